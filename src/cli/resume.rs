//! `kiln resume`: continue a recorded session where it stopped.
//!
//! The conversation is rebuilt from the session file and sent again with a
//! new prompt, under the same session id, appending to the same file. The
//! backend, model and profile are the session's unless flags choose others;
//! the system prompt is rebuilt, and a warning says when it came out
//! different (a prefix cache cannot be reused then).

use std::path::PathBuf;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::exec::{Prepared, read_task, run_prepared};
use super::setup::{Failure, Setup, usage, watch_ctrl_c};
use super::{BackendArgs, LimitArgs, SafetyArgs, recording};
use crate::agent::prefix::sha256_hex;
use crate::agent::{Emitter, EventKind, EventSink, JsonlSink, ProgressSink, Session};
use crate::approval::Policy;
use crate::sessions::{FileSink, ResumeChoice, SessionMeta, SessionsError, replay, store};

/// The prompt when none is given.
pub const DEFAULT_PROMPT: &str = "Continue the task.";

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The session's id, or any unique prefix of it (see `kiln sessions`).
    /// With --last, the only argument is the prompt.
    pub id: Option<String>,
    /// What to do next (`-`: read it from stdin). Default: "Continue the task."
    pub prompt: Option<String>,
    /// Resume the most recently active session of this repository.
    #[arg(long)]
    pub last: bool,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub safety: SafetyArgs,
    /// Work in this directory instead of the one the session ran in.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Write the JSONL event stream to stdout instead of the answer.
    #[arg(long)]
    pub json: bool,
    /// With --json, also write streaming deltas.
    #[arg(long, requires = "json")]
    pub json_deltas: bool,
}

pub async fn run(args: ResumeArgs) -> u8 {
    run_prepared(prepare(&args).await, args.json).await
}

fn failure(e: SessionsError) -> Failure {
    usage(e.to_string())
}

async fn prepare(args: &ResumeArgs) -> Result<Prepared, Failure> {
    let (path, prompt) = target(args)?;
    let prompt = match prompt {
        Some(p) => read_task(Some(&p)).map_err(usage)?,
        None => DEFAULT_PROMPT.to_string(),
    };
    // Locked from here on: no other kiln appends to this session.
    let (file_sink, log) = FileSink::resume(&path).map_err(failure)?;
    let meta = SessionMeta::of(&log).map_err(failure)?;
    let replayed = replay(&log).map_err(failure)?;
    let cwd = args.cwd.clone().unwrap_or_else(|| meta.cwd.clone());
    if !cwd.is_dir() {
        return Err(usage(format!(
            "session {} ran in {}, which is not a directory any more; pass --cwd DIR",
            meta.id,
            cwd.display()
        )));
    }
    let setup = Setup::load(
        Some(&cwd),
        &backend_args(&args.backend, &meta),
        &args.limits,
    )?
    .with_safety(&args.safety, Policy::Auto)?;
    let cancel = CancellationToken::new();
    watch_ctrl_c(cancel.clone());
    let out: Box<dyn EventSink> = match args.json {
        true => Box::new(JsonlSink::new(std::io::stdout(), args.json_deltas)),
        false => Box::new(ProgressSink::new(std::io::stderr())),
    };
    let mut emitter = Emitter::new(meta.id.clone(), vec![out]);
    emitter.continue_after(log.last_seq());
    emitter.add_sink(Box::new(file_sink));
    let (mut parts, chosen, sandbox_warning) = setup.parts(emitter, cancel).await?;
    let user_chose = args.backend.profile.is_some()
        || args.backend.provider.is_some()
        || args.backend.model.is_some()
        || args.backend.base_url.is_some();
    if let (false, Some(info)) = (user_chose, &mut parts.profile.info) {
        info.reason = "the resumed session's profile".into();
    }
    let same_prompt =
        meta.system_prompt_sha256.as_deref() == Some(&sha256_hex(&parts.system_prompt));
    let mut session = Session::resume(parts, replayed.history);
    session.queue_undo_notes(replayed.notes);
    session.restore_memory(replayed.tasks, replayed.edited);
    session.start_resumed(&meta.id);
    setup.equip(&mut session, sandbox_warning);
    let mut warnings: Vec<String> = log.torn_warning().into_iter().collect();
    if replayed.interrupted_calls > 0 {
        warnings.push(format!(
            "{} tool call(s) never finished before the session stopped; the model is told \
             they were interrupted",
            replayed.interrupted_calls
        ));
    }
    if !same_prompt {
        warnings.push(
            "the rebuilt system prompt differs from the one this session last ran with (the \
             profile, config, model or repository instructions changed): the conversation goes \
             on, but no prompt cache can be reused"
                .into(),
        );
    }
    let emitter = session.emitter_mut();
    for message in warnings {
        emitter.emit(EventKind::Warning { message });
    }
    let choice = recording::resume_choice(&setup.cfg, &chosen.name);
    recording::announce(emitter, Ok(path), choice);
    Ok(Prepared {
        session,
        task: prompt,
    })
}

/// The session file to resume and the prompt given, if any.
fn target(args: &ResumeArgs) -> Result<(PathBuf, Option<String>), Failure> {
    let dir = store::sessions_dir().map_err(failure)?;
    match (args.last, &args.id, &args.prompt) {
        (true, _, Some(_)) => Err(usage(
            "with --last, give only the prompt: the session is the newest of this repository",
        )),
        (true, prompt, None) => {
            let repo = match &args.cwd {
                Some(dir) => crate::config::repo_root(&dir.canonicalize().unwrap_or(dir.clone())),
                None => super::sessions::current_repo().map_err(failure)?,
            };
            let newest = super::sessions::of_repo(&dir, Some(&repo))
                .map_err(failure)?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    usage(format!(
                        "no session recorded in {} yet (`kiln sessions --all` lists every one)",
                        repo.display()
                    ))
                })?;
            Ok((newest.path, prompt.clone()))
        }
        (false, Some(id), prompt) => Ok((store::find(&dir, id).map_err(failure)?, prompt.clone())),
        (false, None, _) => Err(usage(
            "which session? give its id (see `kiln sessions`) or --last",
        )),
    }
}

/// The session's backend, model and profile, unless flags choose a
/// backend (then the profile is the flag's or chosen by rules again).
fn backend_args(given: &BackendArgs, meta: &SessionMeta) -> BackendArgs {
    let mut args = given.clone();
    if given.provider.is_some() || given.model.is_some() || given.base_url.is_some() {
        return args;
    }
    let choice = meta.resume.clone().unwrap_or_else(|| ResumeChoice {
        provider: Some(meta.provider.clone()),
        // The local engine reports a display name, not a loadable model.
        model: (meta.provider != "local").then(|| meta.model.clone()),
        base_url: None,
        profile: meta.profile.clone(),
    });
    args.provider = choice.provider;
    args.model = choice.model;
    args.base_url = choice.base_url;
    if args.profile.is_none() {
        args.profile = choice.profile;
    }
    args
}
