//! `kiln eval report <run>…`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{StatsArgs, load_runs};
use crate::cli::exit;
use crate::eval::report::{Options, Report, html, markdown};
use crate::eval::summary::Metric;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run directories (`runs/<id>`); every side of every run is reported,
    /// and each later side is compared with the first.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// Where to write `report.md` and `report.html` (default: the first
    /// run's directory).
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also print the Markdown on stdout (e.g. into `$GITHUB_STEP_SUMMARY`).
    #[arg(long)]
    pub print: bool,
    /// The metric of the per-tag breakdown and the paired comparison:
    /// pass1 (first attempt), pass2 (first two) or pass (any attempt).
    #[arg(long, value_name = "METRIC", default_value_t = Metric::Pass)]
    pub metric: Metric,
    /// Compare runs of different task sets over the tasks they share.
    #[arg(long)]
    pub allow_different_tasks: bool,
    #[command(flatten)]
    pub stats: StatsArgs,
}

pub fn run(args: &ReportArgs) -> anyhow::Result<u8> {
    let runs = load_runs(&args.runs)?;
    let report = Report::build(
        &runs,
        Options {
            metric: args.metric,
            resampling: args.stats.resampling(),
            allow_different_tasks: args.allow_different_tasks,
        },
    )?;
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => runs[0].dir.clone(),
    };
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let md = markdown::render(&report);
    let md_path = out.join("report.md");
    let html_path = out.join("report.html");
    std::fs::write(&md_path, &md).with_context(|| format!("cannot write {}", md_path.display()))?;
    std::fs::write(&html_path, html::render(&report))
        .with_context(|| format!("cannot write {}", html_path.display()))?;
    if args.print {
        print!("{md}");
    }
    eprintln!(
        "kiln: wrote {} and {}",
        md_path.display(),
        html_path.display()
    );
    Ok(exit::DONE)
}
