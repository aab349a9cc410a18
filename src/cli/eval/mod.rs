//! `kiln eval`: reading runs back — reports, baselines, the CI gate and
//! the merge of sharded runs.

pub mod baseline;
pub mod gate;
pub mod merge;
pub mod report;

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::exit;
use crate::eval::load::Run;
use crate::eval::stats::{DEFAULT_RESAMPLES, DEFAULT_SEED, Resampling};

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(subcommand)]
    pub command: EvalCommand,
}

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Write a Markdown and a self-contained HTML report of one or more
    /// runs; with two sides, a paired comparison.
    Report(report::ReportArgs),
    /// Exit 1 when a run's side drops significantly below a baseline (or an
    /// `always` task fails); for CI.
    Gate(gate::GateArgs),
    /// Write a baseline file from one side of a run, for `kiln eval gate`.
    Baseline(baseline::BaselineArgs),
    /// Join the shards of one run (`--shard i/n`) into one run directory.
    Merge(merge::MergeArgs),
}

/// How bootstrap intervals and p-values are drawn.
#[derive(Debug, Clone, Args)]
pub struct StatsArgs {
    /// Seed of the bootstrap resampling (the same seed gives the same numbers).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Bootstrap resamples.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RESAMPLES,
          value_parser = clap::value_parser!(u32).range(100..=1_000_000))]
    pub resamples: u32,
}

impl StatsArgs {
    pub fn resampling(&self) -> Resampling {
        Resampling {
            resamples: self.resamples,
            seed: self.seed,
        }
    }
}

/// Reads `paths` as runs, showing what was tolerated on stderr.
pub fn load_runs(paths: &[PathBuf]) -> anyhow::Result<Vec<Run>> {
    paths.iter().map(|p| load_run(p)).collect()
}

pub fn load_run(path: &std::path::Path) -> anyhow::Result<Run> {
    let run = Run::load(path)?;
    for w in &run.warnings {
        eprintln!("kiln: warning: {w}");
    }
    Ok(run)
}

/// Runs `kiln eval …` and returns the exit code; errors are usage errors.
pub fn run(args: EvalArgs) -> u8 {
    let result = match &args.command {
        EvalCommand::Report(a) => report::run(a),
        EvalCommand::Gate(a) => gate::run(a),
        EvalCommand::Baseline(a) => baseline::run(a),
        EvalCommand::Merge(a) => merge::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kiln: error: {e:#}");
            exit::USAGE
        }
    }
}
