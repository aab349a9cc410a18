//! `kiln eval`: run suites of tasks against models and compare them.

pub mod import;
pub mod run;
pub mod validate;

use std::path::PathBuf;

use clap::{Args, Subcommand};

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
}

pub async fn run(args: EvalArgs) -> u8 {
    match args.command {
        EvalCommand::Run(a) => run::run(a).await,
        EvalCommand::Validate(a) => validate::run(a).await,
        EvalCommand::ImportPolyglot(a) => import::run(a),
    }
}

/// The directory kiln was started in, and the repository root above it
/// (where `evals/` and `runs/` are).
pub(crate) fn dirs() -> Result<(PathBuf, PathBuf), String> {
    let cwd = std::env::current_dir().map_err(|e| format!("no working directory: {e}"))?;
    let root = crate::config::repo_root(&cwd);
    Ok((cwd, root))
}
