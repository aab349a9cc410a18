//! `kiln eval baseline <run> -o baseline.json`.

use std::path::PathBuf;

use clap::Args;

use super::load_run;
use crate::cli::exit;
use crate::eval::baseline::Baseline;
use crate::eval::report::pct;

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// The run directory to take the baseline from.
    #[arg(value_name = "RUN")]
    pub run: PathBuf,
    /// The side (`PROVIDER:MODEL[@PROFILE]`); needed when the run has several.
    #[arg(long, value_name = "SPEC")]
    pub side: Option<String>,
    /// The baseline file to write (JSON; keep it in the repository).
    #[arg(short, long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(args: &BaselineArgs) -> anyhow::Result<u8> {
    let run = load_run(&args.run)?;
    let baseline = Baseline::from_run(&run, args.side.as_deref())?;
    baseline.save(&args.out)?;
    let rate = |r: Option<f64>| r.map_or_else(|| "–".into(), pct);
    eprintln!(
        "kiln: wrote {}: side {} of run {}, {} tasks × {} trials, pass@1 {}, pass {}",
        args.out.display(),
        baseline.side.spec,
        baseline.run.id,
        baseline.tasks.len(),
        baseline.trials,
        rate(baseline.rates.pass1),
        rate(baseline.rates.pass)
    );
    Ok(exit::DONE)
}
