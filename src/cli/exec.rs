//! `kiln exec`: one task, headless, never waiting for input.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::{BackendArgs, LimitArgs, exit};
use crate::agent::{
    Emitter, EventSink, JsonlSink, Limits, Outcome, ProgressSink, Session, SessionParts,
};
use crate::config::{self, Config, providers};
use crate::profile::{self, Catalog, Profile, Target};
use crate::tools::{ToolContext, ToolLimits, ToolRegistry, Workspace};

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The task. Read from stdin when omitted or `-`.
    pub task: Option<String>,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Work in this directory instead of the current one.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Write the JSONL event stream to stdout instead of the answer.
    #[arg(long)]
    pub json: bool,
    /// With --json, also write streaming deltas.
    #[arg(long, requires = "json")]
    pub json_deltas: bool,
}

pub async fn run(args: ExecArgs) -> u8 {
    match prepare(&args).await {
        Ok(mut prepared) => {
            let end = prepared.session.run_task(&prepared.task).await;
            if !args.json {
                if let Some(answer) = &end.final_answer {
                    println!("{answer}");
                }
            }
            outcome_code(end.outcome)
        }
        Err((code, message)) => {
            eprintln!("kiln: error: {message}");
            code
        }
    }
}

struct Prepared {
    session: Session,
    task: String,
}

/// Everything that can fail before the first model request happens here:
/// usage and configuration errors (exit 2), or a model that cannot be
/// fetched or loaded (exit 4).
async fn prepare(args: &ExecArgs) -> Result<Prepared, (u8, String)> {
    prepare_inner(args).await.map_err(|e| match e {
        providers::BuildError::Backend(m) => (exit::BACKEND, m),
        providers::BuildError::Config(c) => (exit::USAGE, c.to_string()),
    })
}

async fn prepare_inner(args: &ExecArgs) -> Result<Prepared, providers::BuildError> {
    let usage = |m: String| providers::BuildError::Config(crate::config::ConfigError::Usage(m));
    let cwd = match &args.cwd {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().map_err(|e| usage(format!("no working directory: {e}")))?,
    };
    let workspace = Workspace::new(&cwd)
        .map_err(|e| usage(format!("cannot use {} as workspace: {e}", cwd.display())))?;
    let task = read_task(args.task.as_deref()).map_err(usage)?;
    let repo = config::repo_root(workspace.root());
    let cfg = config::load(&repo, &args.backend.overrides(&args.limits))?;
    // Profile problems are usage errors: report them before loading a model.
    let catalog = Catalog::discover(&repo).map_err(|e| usage(e.to_string()))?;
    let flag = args.backend.profile.as_deref();
    if let Some(name) = flag {
        catalog.get(name).map_err(|e| usage(e.to_string()))?;
    }
    let backend = providers::build_backend(providers::choose(&cfg)?, &cfg.local).await?;
    let info = backend.info();
    let target = Target::new(&info.provider, &info.model, info.parameters);
    let selection =
        profile::select(&catalog, flag, &cfg, &target).map_err(|e| usage(e.to_string()))?;
    let chosen = &selection.profile;
    let assembled = profile::assemble::assemble(chosen, &cfg, workspace.root(), &repo)
        .map_err(|e| usage(e.to_string()))?;
    let tools = ToolRegistry::builtin(assembled.specs).map_err(|e| usage(e.to_string()))?;

    let cancel = CancellationToken::new();
    watch_ctrl_c(cancel.clone());
    let ctx = ToolContext {
        workspace,
        limits: tool_limits(&cfg, chosen),
        cancel,
        reads: chosen.read_log(),
    };
    let sink: Box<dyn EventSink> = if args.json {
        Box::new(JsonlSink::new(std::io::stdout(), args.json_deltas))
    } else {
        Box::new(ProgressSink::new(std::io::stderr()))
    };
    let emitter = Emitter::new(uuid::Uuid::new_v4().to_string(), vec![sink]);
    let mut session = Session::new(SessionParts {
        backend,
        tools,
        system_prompt: assembled.system_prompt,
        ctx,
        limits: session_limits(&cfg),
        emitter,
        profile: chosen.session_profile(&selection.reason),
    });
    session.start();
    Ok(Prepared { session, task })
}

fn read_task(arg: Option<&str>) -> Result<String, String> {
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

/// Output budgets: config's explicit limits, else the profile's.
fn tool_limits(cfg: &Config, profile: &Profile) -> ToolLimits {
    let budget = profile.tool_output;
    let bytes = budget.max_tokens * profile::tokens::BYTES_PER_TOKEN;
    ToolLimits {
        shell_timeout: Duration::from_secs(cfg.shell_timeout_secs.max(1)),
        max_output_lines: cfg.max_output_lines.unwrap_or(budget.max_lines).max(10),
        max_output_bytes: cfg.max_output_bytes.unwrap_or(bytes).max(1_000),
        ..ToolLimits::default()
    }
}

fn session_limits(cfg: &Config) -> Limits {
    Limits {
        max_turns: cfg.max_turns,
        timeout: cfg.timeout_secs.map(Duration::from_secs),
        max_tokens: cfg.max_tokens,
        ..Limits::default()
    }
}

fn outcome_code(outcome: Outcome) -> u8 {
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

/// The first Ctrl-C cancels the task (exit 130 once it winds down); a
/// second one exits at once.
fn watch_ctrl_c(cancel: CancellationToken) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(exit::INTERRUPTED));
            }
        }
    });
}
