//! `kiln eval merge <run>… -o DIR`.

use std::path::PathBuf;

use clap::Args;

use super::load_runs;
use crate::cli::exit;
use crate::eval::merge;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' run directories.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// The merged run directory (must not exist, or be empty).
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
    /// The merged run's id (default: the shards' common id, else the first
    /// shard's with `-merged`).
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
}

pub fn run(args: &MergeArgs) -> anyhow::Result<u8> {
    let runs = load_runs(&args.runs)?;
    let merged = merge::merge(&runs, args.id.as_deref())?;
    for w in &merged.warnings {
        eprintln!("kiln: warning: {w}");
    }
    for w in merged.write(&args.out)? {
        eprintln!("kiln: warning: {w}");
    }
    eprintln!(
        "kiln: merged {} runs into {}: {} tasks, {} attempts",
        runs.len(),
        args.out.display(),
        merged.info.tasks.len(),
        merged.attempts.len()
    );
    Ok(exit::DONE)
}
