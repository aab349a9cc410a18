//! `kiln eval validate`.

use std::time::Instant;

use clap::Args;
use tokio_util::sync::CancellationToken;

use crate::cli::exit;
use crate::cli::setup::{Failure, usage, watch_ctrl_c};
use crate::eval::side::SideSpec;
use crate::eval::sides::SideRuntime;
use crate::eval::{suite, validate};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The suite: a directory, or a name under evals/ (default: every suite).
    #[arg(long, value_name = "SUITE")]
    pub suite: Option<String>,
    /// Only this task (repeatable).
    #[arg(long = "task", value_name = "ID")]
    pub tasks: Vec<String>,
    /// Tasks validated at once.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub jobs: usize,
}

pub async fn run(args: ValidateArgs) -> u8 {
    match validate_all(args).await {
        Ok(code) => code,
        Err((code, message)) => {
            eprintln!("kiln: error: {message}");
            code
        }
    }
}

async fn validate_all(args: ValidateArgs) -> Result<u8, Failure> {
    let started = Instant::now();
    let (cwd, root) = super::dirs().map_err(usage)?;
    let bad = |e: crate::eval::task::TaskError| usage(e.to_string());
    let suites = match &args.suite {
        Some(s) => vec![suite::resolve(&root, s).map_err(bad)?],
        None => suite::all_suites(&root).map_err(bad)?,
    };
    let mut tasks = Vec::new();
    for dir in &suites {
        tasks.extend(suite::load(dir).map_err(bad)?);
    }
    let tasks = suite::select(tasks, &args.tasks, &[]).map_err(usage)?;
    if tasks.is_empty() {
        return Err(usage("no tasks to validate"));
    }
    let spec = SideSpec::parse("oracle:solution").map_err(|e| usage(e.to_string()))?;
    let oracle = SideRuntime::prepare(spec, &cwd).await?;
    let scratch = tempfile::tempdir().map_err(|e| (exit::FAILED, e.to_string()))?;
    let cancel = CancellationToken::new();
    watch_ctrl_c(cancel.clone());
    let results =
        validate::validate(&tasks, &oracle, scratch.path(), args.jobs, cancel.clone()).await;
    if cancel.is_cancelled() {
        return Ok(exit::INTERRUPTED);
    }
    let width = results
        .iter()
        .map(|r| r.task.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:width$}  {:9}  {:17}  {:>6}  result",
        "task", "untouched", "oracle", "secs"
    );
    for r in &results {
        println!(
            "{:width$}  {:9}  {:17}  {:>6.1}  {}",
            r.task,
            r.untouched,
            r.oracle,
            r.secs,
            r.problem
                .as_deref()
                .map_or("ok".to_string(), |p| format!("INVALID: {p}"))
        );
    }
    let invalid = results.iter().filter(|r| !r.ok()).count();
    println!(
        "{} tasks, {} valid, {invalid} invalid, {:.1}s",
        results.len(),
        results.len() - invalid,
        started.elapsed().as_secs_f64()
    );
    Ok(match invalid {
        0 => exit::DONE,
        _ => exit::FAILED,
    })
}
