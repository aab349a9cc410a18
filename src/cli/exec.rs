//! `kiln exec`: one task, headless, never waiting for input.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::setup::{Failure, Setup, usage, watch_ctrl_c};
use super::{BackendArgs, LimitArgs, SafetyArgs, exit};
use crate::agent::{Emitter, EventSink, JsonlSink, Outcome, ProgressSink, Session};
use crate::approval::Policy;

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The task. Read from stdin when omitted or `-`.
    pub task: Option<String>,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub safety: SafetyArgs,
    /// Work in this directory instead of the current one.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Write the JSONL event stream to stdout instead of the answer.
    #[arg(long)]
    pub json: bool,
    /// With --json, also write streaming deltas.
    #[arg(long, requires = "json")]
    pub json_deltas: bool,
    /// Do not record the session for `kiln resume` (config: `sessions = false`).
    #[arg(long)]
    pub no_session_file: bool,
}

pub async fn run(args: ExecArgs) -> u8 {
    run_prepared(prepare(&args).await, args.json).await
}

/// A session ready to run one task.
pub(crate) struct Prepared {
    pub session: Session,
    pub task: String,
}

/// Runs the prepared task (or reports why there is none) the way every
/// headless entry point does: the final answer on stdout unless `json`,
/// the outcome as the exit code.
pub(crate) async fn run_prepared(prepared: Result<Prepared, Failure>, json: bool) -> u8 {
    match prepared {
        Ok(mut prepared) => {
            super::repo_map::add(&mut prepared.session, &prepared.task).await;
            let end = prepared.session.run_task(&prepared.task).await;
            if let (false, Some(answer)) = (json, &end.final_answer) {
                println!("{answer}");
            }
            outcome_code(end.outcome)
        }
        Err((code, message)) => {
            eprintln!("kiln: error: {message}");
            code
        }
    }
}

async fn prepare(args: &ExecArgs) -> Result<Prepared, Failure> {
    let mut setup = Setup::load(args.cwd.as_ref(), &args.backend, &args.limits)?
        .with_safety(&args.safety, Policy::Auto)?;
    setup.cfg.sessions &= !args.no_session_file;
    let task = read_task(args.task.as_deref()).map_err(usage)?;
    let cancel = CancellationToken::new();
    watch_ctrl_c(cancel.clone());
    let sink: Box<dyn EventSink> = if args.json {
        Box::new(JsonlSink::new(std::io::stdout(), args.json_deltas))
    } else {
        Box::new(ProgressSink::new(std::io::stderr()))
    };
    let emitter = Emitter::new(uuid::Uuid::new_v4().to_string(), vec![sink]);
    let (session, _) = setup.session(emitter, cancel).await?;
    Ok(Prepared { session, task })
}

pub(crate) fn read_task(arg: Option<&str>) -> Result<String, String> {
    let task = match arg {
        Some(t) if t != "-" => t.to_string(),
        _ => {
            let mut stdin = std::io::stdin();
            if arg.is_none() && stdin.is_terminal() {
                return Err("no task: pass it as an argument or on stdin".into());
            }
            let mut text = String::new();
            stdin
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read the task from stdin: {e}"))?;
            text
        }
    };
    if task.trim().is_empty() {
        return Err("the task is empty".into());
    }
    Ok(task)
}

pub(crate) fn outcome_code(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Done => exit::DONE,
        Outcome::Failed => exit::FAILED,
        Outcome::TurnLimit
        | Outcome::TimeLimit
        | Outcome::TokenLimit
        | Outcome::ContextExhausted => exit::LIMIT,
        Outcome::BackendError => exit::BACKEND,
        Outcome::Interrupted => exit::INTERRUPTED,
    }
}
