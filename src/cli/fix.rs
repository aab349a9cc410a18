//! `kiln fix`: run a check, let the agent fix what fails, prove it with the
//! same check. Headless, for CI.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::setup::{Failure, Setup, usage, watch_ctrl_c};
use super::{BackendArgs, LimitArgs, SafetyArgs, exit, parse_duration};
use crate::agent::{Emitter, EventKind, EventSink, JsonlSink, ProgressSink};
use crate::approval::Policy;
use crate::fix::protect::{DEFAULT_PROTECT, Snapshot};
use crate::fix::report::{FixOutcome, FixSummary};
use crate::fix::{self, FixPlan, check, git};

#[derive(Debug, Args)]
pub struct FixArgs {
    /// The check, run with `bash -c` in the workspace, e.g. "cargo test".
    #[arg(long, value_name = "COMMAND")]
    pub check: String,
    /// Agent runs, each followed by the check.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub attempts: u32,
    /// Wall-clock limit of one check run.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10m")]
    pub check_timeout: Duration,
    /// Files the agent may not change (restored before every check);
    /// added to the default test paths.
    #[arg(long = "protect", value_name = "GLOB")]
    pub protect: Vec<String>,
    /// Do not protect the default test paths (tests/**, **/test_*.py, …).
    #[arg(long)]
    pub no_default_protect: bool,
    /// Commit the fix (git2) when the check passes.
    #[arg(long)]
    pub commit: bool,
    /// Commit the fix on this new branch (implies --commit).
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// Write the changes as a patch to this file.
    #[arg(long, value_name = "FILE")]
    pub patch: Option<PathBuf>,
    /// Write a Markdown summary (for a PR comment) to this file.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Write the JSONL event stream, ending in a `fix_completed` summary,
    /// to stdout.
    #[arg(long)]
    pub json: bool,
    /// Work in this directory instead of the current one.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Do not record the session for `kiln resume` (config: `sessions = false`).
    #[arg(long)]
    pub no_session_file: bool,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub safety: SafetyArgs,
}

pub async fn run(args: FixArgs) -> u8 {
    match fix_up(&args).await {
        Ok(summary) => outcome_code(summary.outcome),
        Err((code, message)) => {
            eprintln!("kiln: error: {message}");
            code
        }
    }
}

async fn fix_up(args: &FixArgs) -> Result<FixSummary, Failure> {
    if args.check.trim().is_empty() {
        return Err(usage("--check is empty"));
    }
    let mut setup = Setup::load(args.cwd.as_ref(), &args.backend, &args.limits)?
        .with_safety(&args.safety, Policy::Full)?;
    setup.cfg.sessions &= !args.no_session_file;
    let root = setup.workspace.root().to_path_buf();
    let wants_git = args.commit || args.branch.is_some() || args.patch.is_some();
    if wants_git {
        git::require_head(&root).map_err(|e| usage(format!("--commit/--branch/--patch: {e}")))?;
    }
    let globs: Vec<String> = match args.no_default_protect {
        true => Vec::new(),
        false => DEFAULT_PROTECT.iter().map(|g| g.to_string()).collect(),
    }
    .into_iter()
    .chain(args.protect.iter().cloned())
    .collect();
    setup.workspace = setup
        .workspace
        .clone()
        .with_protected(&globs)
        .map_err(|e| usage(format!("bad --protect glob: {e}")))?;
    let snapshot = Snapshot::take(&root, &globs).map_err(usage)?;
    let deadline = setup
        .cfg
        .timeout_secs
        .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    let mut plan = FixPlan {
        check: args.check.clone(),
        attempts: args.attempts.max(1),
        check_timeout: args.check_timeout,
        deadline,
        protect: globs,
        output_lines: 400,
        output_bytes: 30_000,
    };

    let sink: Box<dyn EventSink> = match args.json {
        true => Box::new(JsonlSink::new(std::io::stdout(), false)),
        false => Box::new(ProgressSink::new(std::io::stderr())),
    };
    let mut emitter = Emitter::new(uuid::Uuid::new_v4().to_string(), vec![sink]);
    let first = check::run(&plan.check, &root, plan.check_timeout)
        .await
        .map_err(usage)?;
    emitter.emit(EventKind::CheckCompleted {
        attempt: 0,
        run: first.clone(),
        output: first.output.clone(),
    });
    if first.passed {
        // Nothing to fix: no model is loaded.
        let summary = fix::already_passing(&plan, first);
        return Ok(finish(args, &root, summary, &mut emitter));
    }
    let cancel = CancellationToken::new();
    watch_ctrl_c(cancel.clone());
    let (mut session, profile) = setup.session(emitter, cancel).await?;
    let limits = super::setup::tool_limits(&setup.cfg, &profile);
    plan.output_lines = limits.max_output_lines;
    plan.output_bytes = limits.max_output_bytes;
    let summary = fix::attempts(&mut session, &root, &plan, &snapshot, first).await;
    Ok(finish(args, &root, summary, session.emitter_mut()))
}

/// Writes the outputs (commit, patch, summary) and the last event.
fn finish(
    args: &FixArgs,
    root: &Path,
    mut summary: FixSummary,
    emitter: &mut Emitter,
) -> FixSummary {
    let mut problems = Vec::new();
    summary.changed_files = git::changed_files(root).unwrap_or_default();
    let patch = git::patch(root).ok();
    if let (Some(file), Some(p)) = (&args.patch, &patch)
        && let Err(e) = std::fs::write(file, p)
    {
        problems.push(format!("cannot write {}: {e}", file.display()));
    }
    let fixed = summary.outcome == FixOutcome::Fixed;
    if (args.commit || args.branch.is_some()) && fixed && !summary.changed_files.is_empty() {
        match git::commit(root, args.branch.as_deref(), &commit_message(&summary)) {
            Ok(id) => {
                summary.commit = Some(id);
                summary.branch = args.branch.clone();
            }
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        let joined = problems.join("; ");
        summary.error = Some(match summary.error.take() {
            Some(e) => format!("{e}; {joined}"),
            None => joined,
        });
    }
    let markdown = summary.markdown(patch.as_deref());
    if let Some(file) = &args.summary
        && let Err(e) = std::fs::write(file, &markdown)
    {
        eprintln!("kiln: error: cannot write {}: {e}", file.display());
    }
    if !args.json {
        println!("{markdown}");
    }
    emitter.emit(EventKind::FixCompleted {
        summary: Box::new(summary.clone()),
    });
    summary
}

fn commit_message(summary: &FixSummary) -> String {
    let mut msg = format!("kiln fix: make `{}` pass\n", summary.check);
    if let Some(answer) = &summary.final_answer {
        msg.push('\n');
        msg.push_str(answer.trim());
        msg.push('\n');
    }
    msg.push_str(&format!(
        "\nBefore: {}\nAfter: {}\n",
        summary.first.describe(),
        summary.last_check().describe()
    ));
    msg
}

fn outcome_code(outcome: FixOutcome) -> u8 {
    match outcome {
        FixOutcome::AlreadyPassing | FixOutcome::Fixed => exit::DONE,
        FixOutcome::StillFailing => exit::FAILED,
        FixOutcome::BudgetExhausted => exit::LIMIT,
        FixOutcome::BackendError => exit::BACKEND,
        FixOutcome::Interrupted => exit::INTERRUPTED,
    }
}
