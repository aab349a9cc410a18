//! `kiln eval gate --baseline FILE <run>`: the CI check.

use std::path::PathBuf;

use clap::Args;

use super::{StatsArgs, load_run};
use crate::cli::exit;
use crate::eval::baseline::Baseline;
use crate::eval::gate::{self, GateOptions};
use crate::eval::summary::Metric;

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The baseline file (`kiln eval baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: PathBuf,
    /// The run directory to check (merge shards first).
    #[arg(value_name = "RUN")]
    pub run: PathBuf,
    /// The side to check; needed when the run has several.
    #[arg(long, value_name = "SPEC")]
    pub side: Option<String>,
    /// The largest drop of the pass rate that never fails, as a share
    /// (0.05: five points).
    #[arg(long, value_name = "SHARE", default_value_t = 0.05)]
    pub tolerance: f64,
    /// Significance level of the one-sided paired test.
    #[arg(long, value_name = "P", default_value_t = 0.05)]
    pub alpha: f64,
    /// pass1 (first attempt), pass2 (first two) or pass (any attempt);
    /// `always` tasks must pass by the same measure.
    #[arg(long, value_name = "METRIC", default_value_t = Metric::Pass)]
    pub metric: Metric,
    /// Compare over the common tasks when the task set changed.
    #[arg(long)]
    pub allow_different_tasks: bool,
    #[command(flatten)]
    pub stats: StatsArgs,
}

pub fn run(args: &GateArgs) -> anyhow::Result<u8> {
    let baseline = Baseline::load(&args.baseline)?;
    let run = load_run(&args.run)?;
    let result = gate::gate(
        &baseline,
        &run,
        args.side.as_deref(),
        GateOptions {
            tolerance: args.tolerance,
            alpha: args.alpha,
            metric: args.metric,
            allow_different_tasks: args.allow_different_tasks,
            resampling: args.stats.resampling(),
        },
    )?;
    print!("{}", gate::render(&result));
    Ok(match result.passed() {
        true => exit::DONE,
        false => exit::FAILED,
    })
}
