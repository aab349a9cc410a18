//! `kiln eval run`.

use std::path::PathBuf;

use clap::Args;
use tokio_util::sync::CancellationToken;

use crate::cli::exit;
use crate::cli::setup::{Failure, usage, watch_ctrl_c};
use crate::eval::runner::{self, RunRequest, Summary};
use crate::eval::suite::Shard;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The suite: a directory, or a name under evals/.
    #[arg(long, value_name = "SUITE", required_unless_present = "resume")]
    pub suite: Option<String>,
    /// A side, PROVIDER:MODEL[@PROFILE] (repeat to compare); `oracle:solution`,
    /// `oracle:none` and `oracle:drop-25` are scripted sides for tests.
    #[arg(
        long = "model",
        value_name = "SIDE",
        required_unless_present = "resume"
    )]
    pub sides: Vec<String>,
    /// Trials per task and side.
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub trials: u32,
    /// Trials run at once (a local model's trials still run one at a time).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub jobs: usize,
    /// Only this task (repeatable).
    #[arg(long = "task", value_name = "ID")]
    pub tasks: Vec<String>,
    /// Only tasks with this tag (repeatable: all must match), e.g. `smoke`.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Run every N-th task of the sorted selection from the I-th (1-based).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Where runs are written (default: runs/ at the repository root).
    #[arg(long, value_name = "DIR")]
    pub runs_dir: Option<PathBuf>,
    /// Continue an interrupted run (its directory); finished trials are kept.
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["suite", "sides", "tasks", "tags", "shard", "trials", "runs_dir"])]
    pub resume: Option<PathBuf>,
}

pub async fn run(args: RunArgs) -> u8 {
    match run_eval(args).await {
        Ok(code) => code,
        Err((code, message)) => {
            eprintln!("kiln: error: {message}");
            code
        }
    }
}

async fn run_eval(args: RunArgs) -> Result<u8, Failure> {
    let (cwd, root) = super::dirs().map_err(usage)?;
    let prepared = match &args.resume {
        Some(dir) => runner::prepare_resume(dir, &cwd, &root).await?,
        None => {
            let req = RunRequest {
                cwd,
                root: root.clone(),
                suite: args.suite.clone().unwrap_or_default(),
                sides: args.sides.clone(),
                trials: args.trials,
                tasks: args.tasks.clone(),
                tags: args.tags.clone(),
                shard: args.shard,
                runs_dir: args.runs_dir.clone().unwrap_or_else(|| root.join("runs")),
            };
            runner::prepare_new(&req).await?
        }
    };
    let dir = prepared.dir.clone();
    eprintln!(
        "kiln eval: run {} · {} tasks × {} sides × {} trials → {}",
        prepared.info.id,
        prepared.info.tasks.len(),
        prepared.info.sides.len(),
        prepared.info.trials,
        dir.display()
    );
    let cancel = CancellationToken::new();
    watch_ctrl_c(cancel.clone());
    let summary = runner::execute(prepared, args.jobs, cancel).await?;
    report(&summary);
    if summary.interrupted {
        eprintln!(
            "kiln eval: interrupted; continue with `kiln eval run --resume {}`",
            dir.display()
        );
        return Ok(exit::INTERRUPTED);
    }
    println!("{}", dir.display());
    Ok(exit::DONE)
}

fn report(summary: &Summary) {
    for line in summary.lines() {
        eprintln!("kiln eval: {line}");
    }
}
