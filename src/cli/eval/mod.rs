//! `kiln eval`: run suites of tasks against models, validate them, import
//! benchmarks; and read runs back: reports, baselines, the CI gate and the
//! merge of sharded runs.

pub mod baseline;
pub mod gate;
pub mod import;
pub mod merge;
pub mod report;
pub mod run;
pub mod validate;

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
    /// Run a suite against one or more sides; results go to runs/<id>/.
    Run(run::RunArgs),
    /// Check every task: the check fails on the untouched fixture and
    /// passes after the reference solution.
    Validate(validate::ValidateArgs),
    /// Convert Exercism exercises (Aider's polyglot benchmark layout) into
    /// kiln tasks.
    ImportPolyglot(import::ImportArgs),
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

/// Runs `kiln eval …` and returns the exit code.
pub async fn run(args: EvalArgs) -> u8 {
    let read = match &args.command {
        EvalCommand::Run(_) | EvalCommand::Validate(_) | EvalCommand::ImportPolyglot(_) => None,
        EvalCommand::Report(a) => Some(report::run(a)),
        EvalCommand::Gate(a) => Some(gate::run(a)),
        EvalCommand::Baseline(a) => Some(baseline::run(a)),
        EvalCommand::Merge(a) => Some(merge::run(a)),
    };
    if let Some(result) = read {
        // Reading runs back: every error is a usage error (bad file,
        // missing run, mismatched task sets).
        return result.unwrap_or_else(|e| {
            eprintln!("kiln: error: {e:#}");
            exit::USAGE
        });
    }
    match args.command {
        EvalCommand::Run(a) => run::run(a).await,
        EvalCommand::Validate(a) => validate::run(a).await,
        EvalCommand::ImportPolyglot(a) => import::run(a),
        _ => exit::USAGE,
    }
}

/// The directory kiln was started in, and the repository root above it
/// (where `evals/` and `runs/` are).
pub(crate) fn dirs() -> Result<(PathBuf, PathBuf), String> {
    let cwd = std::env::current_dir().map_err(|e| format!("no working directory: {e}"))?;
    let root = crate::config::repo_root(&cwd);
    Ok((cwd, root))
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
