//! A side made ready to run: its backend loaded once (shared by its
//! sessions) and a fresh session per trial, built the way `kiln exec`
//! builds one (same config, backend and profile selection) but in the
//! trial's temporary repository, with the task's limits and the `full`
//! approval policy of `../shared/CONTRACT.md`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::oracle::{OracleBackend, solution_changes};
use super::record::SideInfo;
use super::side::{Oracle, SideSpec};
use super::task::Task;
use crate::agent::{Emitter, Limits, Session};
use crate::approval::Policy;
use crate::backend::Backend;
use crate::cli::setup::{Failure, Setup};
use crate::cli::{BackendArgs, LimitArgs, SafetyArgs, exit};
use crate::config::providers::{self, BackendChoice};

/// Why a trial got no session.
#[derive(Debug)]
pub enum SessionError {
    /// The backend could not be built or reached: a provider error.
    Provider(String),
    /// Anything else (config, profile, the oracle's patch): a harness error.
    Harness(String),
}

impl From<Failure> for SessionError {
    fn from((code, message): Failure) -> Self {
        match code {
            exit::BACKEND => Self::Provider(message),
            _ => Self::Harness(message),
        }
    }
}

enum Kind {
    Oracle(Oracle),
    /// Loaded once, shared by every session of the side.
    Shared(Arc<dyn Backend>),
    /// Built anew per session (`scripted`: a script is replayed from its
    /// first turn).
    PerSession,
}

pub struct SideRuntime {
    pub spec: SideSpec,
    pub info: SideInfo,
    kind: Kind,
    /// Where kiln was started: config and profiles come from here.
    cwd: PathBuf,
    /// Whether the side runs on the in-process engine.
    local: bool,
}

/// The in-process engine runs one session at a time, whichever local side
/// it belongs to.
static LOCAL_ENGINE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn backend_args(spec: &SideSpec) -> BackendArgs {
    let oracle = spec.oracle().is_some();
    BackendArgs {
        provider: (!oracle).then(|| spec.provider.clone()),
        model: (!oracle).then(|| spec.model.clone()),
        profile: spec.profile.clone(),
        ..BackendArgs::default()
    }
}

impl SideRuntime {
    /// Loads the side's backend (a local model loads here) and resolves
    /// its profile; failures are the exit codes of `kiln exec`.
    pub async fn prepare(spec: SideSpec, cwd: &Path) -> Result<Self, Failure> {
        let setup = Setup::load(
            Some(&cwd.to_path_buf()),
            &backend_args(&spec),
            &LimitArgs::default(),
        )?;
        let (kind, probe, local): (Kind, Arc<dyn Backend>, bool) = match spec.oracle() {
            Some(o) => (
                Kind::Oracle(o),
                Arc::new(OracleBackend::new(&spec.model, Vec::new())),
                false,
            ),
            None => {
                let choice =
                    providers::choose(&setup.cfg).map_err(|e| (exit::USAGE, e.to_string()))?;
                let backend = setup.backend().await?;
                match choice {
                    BackendChoice::Scripted { .. } => (Kind::PerSession, backend, false),
                    BackendChoice::Local { .. } => (Kind::Shared(backend.clone()), backend, true),
                    BackendChoice::Endpoint(_) => (Kind::Shared(backend.clone()), backend, false),
                }
            }
        };
        let (profile, _) = setup.profile_for(probe.as_ref())?;
        let backend_info = probe.info();
        let info = SideInfo {
            spec: spec.spec.clone(),
            provider: spec.provider.clone(),
            model: spec.model.clone(),
            profile: profile.name.clone(),
            endpoint: backend_info.base_url,
            sampling: serde_json::to_value(profile.sampling).unwrap_or_default(),
        };
        Ok(Self {
            spec,
            info,
            kind,
            cwd: cwd.to_path_buf(),
            local,
        })
    }

    /// Waits for the turn of this side's next trial: a local side's trials
    /// (of every local side) run one at a time, others at once.
    pub async fn turn(&self) -> Option<tokio::sync::MutexGuard<'static, ()>> {
        match self.local {
            true => Some(LOCAL_ENGINE.lock().await),
            false => None,
        }
    }

    /// A started session in `workdir` for `task` (the `index`-th of the
    /// sorted selection, which the `drop-25` oracle looks at).
    pub async fn session(
        &self,
        workdir: &Path,
        task: &Task,
        index: usize,
        emitter: Emitter,
        cancel: CancellationToken,
    ) -> Result<Session, SessionError> {
        let safety = SafetyArgs {
            approval: Some(Policy::Full),
            ..SafetyArgs::default()
        };
        let mut setup = Setup::load(
            Some(&self.cwd),
            &backend_args(&self.spec),
            &LimitArgs::default(),
        )?
        .at_workspace(workdir)?
        .with_safety(&safety, Policy::Full)?;
        // The run keeps its own transcripts; the attempt's repository is
        // thrown away.
        setup.cfg.sessions = false;
        setup.cfg.checkpoints = false;
        let backend: Arc<dyn Backend> = match &self.kind {
            Kind::Oracle(o) => match o.on_task(index) {
                Oracle::Nothing => Arc::new(OracleBackend::new("none", Vec::new())),
                _ => {
                    let changes = solution_changes(&task.repo_dir(), &task.solution())
                        .map_err(|e| SessionError::Harness(format!("oracle: {e}")))?;
                    Arc::new(OracleBackend::new("solution", changes))
                }
            },
            Kind::Shared(b) => b.clone(),
            Kind::PerSession => setup.backend().await?,
        };
        let (mut parts, _, warning) = setup.parts_with(backend, emitter, cancel)?;
        let limits = &task.file.limits;
        parts.ctx.limits.shell_timeout = Duration::from_secs(limits.tool_timeout_secs.max(1));
        parts.limits = Limits {
            max_turns: limits.turns,
            timeout: Some(Duration::from_secs(limits.wall_secs.max(1))),
            max_tokens: Some(limits.tokens),
            ..Limits::default()
        };
        let mut session = Session::new(parts);
        session.start();
        setup.equip(&mut session, warning);
        Ok(session)
    }
}
