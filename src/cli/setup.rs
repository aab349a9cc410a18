//! Building a session, shared by the headless subcommands: everything that
//! can fail before the first model request happens here, as usage or
//! configuration errors (exit 2) or a model that cannot be fetched or
//! loaded (exit 4).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{BackendArgs, LimitArgs, SafetyArgs, exit, recording};
use crate::agent::events::EventKind;
use crate::agent::{Emitter, Limits, Session, SessionParts, SessionSafety};
use crate::approval::{self, Approvals, Approver, Policy};
use crate::backend::Backend;
use crate::config::{self, Config, ConfigError, providers};
use crate::profile::{self, Catalog, Profile, Target};
use crate::sandbox::{Plan, Sandbox, Writable};
use crate::tools::{ToolContext, ToolLimits, ToolRegistry, Workspace};

/// A setup failure and its exit code.
pub type Failure = (u8, String);

pub fn usage(message: impl Into<String>) -> Failure {
    (exit::USAGE, message.into())
}

fn build_failure(e: providers::BuildError) -> Failure {
    match e {
        providers::BuildError::Backend(m) => (exit::BACKEND, m),
        providers::BuildError::Config(c) => (exit::USAGE, c.to_string()),
    }
}

fn config_failure(e: ConfigError) -> Failure {
    (exit::USAGE, e.to_string())
}

/// The workspace, config and profiles of a run, before any model loads.
pub struct Setup {
    pub workspace: Workspace,
    pub repo: PathBuf,
    pub cfg: Config,
    pub catalog: Catalog,
    profile_flag: Option<String>,
    /// `--compact-at`, overriding the profile's point.
    compact_at: Option<crate::agent::context::CompactAt>,
    safety: SafetyArgs,
    /// The entry point's approval policy when neither flag nor config sets one.
    default_policy: Policy,
    /// Who answers approval questions; `None` (headless) refuses them.
    approver: Option<Arc<dyn Approver>>,
    /// The shell sandbox, planned once by [`Setup::with_safety`] and shared
    /// by every session built from this setup.
    sandbox: Option<Plan>,
}

impl Setup {
    pub fn load(
        cwd: Option<&PathBuf>,
        backend: &BackendArgs,
        limits: &LimitArgs,
    ) -> Result<Self, Failure> {
        let cwd = match cwd {
            Some(dir) => dir.clone(),
            None => {
                std::env::current_dir().map_err(|e| usage(format!("no working directory: {e}")))?
            }
        };
        let workspace = Workspace::new(&cwd)
            .map_err(|e| usage(format!("cannot use {} as workspace: {e}", cwd.display())))?;
        let repo = config::repo_root(workspace.root());
        let cfg = config::load(&repo, &backend.overrides(limits)).map_err(config_failure)?;
        // Profile problems are usage errors: report them before a model loads.
        let catalog = Catalog::discover(&repo).map_err(|e| usage(e.to_string()))?;
        if let Some(name) = &backend.profile {
            catalog.get(name).map_err(|e| usage(e.to_string()))?;
        }
        Ok(Self {
            workspace,
            repo,
            cfg,
            catalog,
            profile_flag: backend.profile.clone(),
            compact_at: limits.compact_at,
            safety: SafetyArgs::default(),
            default_policy: Policy::Full,
            approver: None,
            sandbox: None,
        })
    }

    /// The safety flags and the entry point's default approval policy;
    /// their errors are reported here, before any model loads.
    pub fn with_safety(
        mut self,
        args: &SafetyArgs,
        default_policy: Policy,
    ) -> Result<Self, Failure> {
        self.safety = args.clone();
        self.default_policy = default_policy;
        approval::command_globs(&self.cfg.allow_commands).map_err(usage)?;
        self.sandbox = Some(self.plan_sandbox()?);
        Ok(self)
    }

    /// Questions of the approval policy go to `approver` (the TUI).
    pub fn with_approver(mut self, approver: Arc<dyn Approver>) -> Self {
        self.approver = Some(approver);
        self
    }

    /// Chooses the profile of the next session (`/profile`); unknown names
    /// are refused with the list of known ones.
    pub fn set_profile(&mut self, name: &str) -> Result<(), String> {
        self.catalog.get(name).map_err(|e| e.to_string())?;
        self.profile_flag = Some(name.to_string());
        Ok(())
    }

    /// The approval policy in force: flag, else config, else the default.
    pub fn policy(&self) -> Policy {
        self.safety
            .approval
            .or(self.cfg.approval)
            .unwrap_or(self.default_policy)
    }

    /// The approvals and the shell sandbox; a required sandbox the kernel
    /// lacks and bad `allow_commands` globs are usage errors.
    fn safety(&self) -> Result<(SessionSafety, Workspace, Option<String>), Failure> {
        let globs = approval::command_globs(&self.cfg.allow_commands).map_err(usage)?;
        let plan = match &self.sandbox {
            Some(plan) => plan.clone(),
            None => self.plan_sandbox()?,
        };
        let workspace = self.workspace.clone().with_sandbox(plan.sandbox);
        let safety = SessionSafety {
            approvals: Approvals::new(self.policy(), globs, self.approver.clone()),
            sandbox: Some(plan.info),
        };
        Ok((safety, workspace, plan.warning))
    }

    /// Probes landlock and resolves where commands may write (not the
    /// workspace under `read-only`).
    fn plan_sandbox(&self) -> Result<Plan, Failure> {
        let sandbox_cfg = &self.cfg.sandbox;
        let mode = self.safety.sandbox.unwrap_or(sandbox_cfg.mode);
        let network = sandbox_cfg.network && !self.safety.no_network;
        let writable = Writable {
            workspace: (self.policy() != Policy::ReadOnly).then(|| self.workspace.root()),
            config: sandbox_cfg,
        };
        Sandbox::plan(mode, network, writable).map_err(|e| usage(e.to_string()))
    }

    /// Loads the backend, chooses the profile and builds the started
    /// session, recorded in a session file unless config says `sessions =
    /// false`. `cancel` stops it (Ctrl-C).
    pub async fn session(
        &self,
        emitter: Emitter,
        cancel: CancellationToken,
    ) -> Result<(Session, Profile), Failure> {
        let (mut parts, chosen, warning) = self.parts(emitter, cancel).await?;
        let recorded = self
            .cfg
            .sessions
            .then(|| recording::attach_new(&mut parts.emitter));
        let mut session = Session::new(parts);
        session.start();
        self.equip(&mut session, warning);
        if let Some(recorded) = recorded {
            let choice = recording::resume_choice(&self.cfg, &chosen.name);
            recording::announce(session.emitter_mut(), recorded, choice);
        }
        Ok((session, chosen))
    }

    /// Loads the backend and chooses the profile: what a new or resumed
    /// session is built from.
    pub async fn parts(
        &self,
        emitter: Emitter,
        cancel: CancellationToken,
    ) -> Result<(SessionParts, Profile, Option<String>), Failure> {
        let backend = self.backend().await?;
        self.parts_with(backend, emitter, cancel)
    }

    /// Loads (or connects to) the configured backend. `kiln eval` builds it
    /// once and shares it between the sessions of one side.
    pub async fn backend(&self) -> Result<Arc<dyn Backend>, Failure> {
        let choice = providers::choose(&self.cfg).map_err(config_failure)?;
        providers::build_backend(choice, &self.cfg.local)
            .await
            .map_err(build_failure)
    }

    /// The profile for `backend`: the flag, else config, else the
    /// profiles' match rules.
    pub fn profile_for(&self, backend: &dyn Backend) -> Result<(Profile, String), Failure> {
        let info = backend.info();
        let target = Target::new(&info.provider, &info.model, info.parameters);
        let selection = profile::select(
            &self.catalog,
            self.profile_flag.as_deref(),
            &self.cfg,
            &target,
        )
        .map_err(|e| usage(e.to_string()))?;
        Ok((selection.profile, selection.reason))
    }

    /// Session parts around an already built backend.
    pub fn parts_with(
        &self,
        backend: Arc<dyn Backend>,
        emitter: Emitter,
        cancel: CancellationToken,
    ) -> Result<(SessionParts, Profile, Option<String>), Failure> {
        let cfg = &self.cfg;
        let (chosen, reason) = self.profile_for(backend.as_ref())?;
        let assembled =
            profile::assemble::assemble(&chosen, cfg, self.workspace.root(), &self.repo)
                .map_err(|e| usage(e.to_string()))?;
        let tools = ToolRegistry::builtin(assembled.specs).map_err(|e| usage(e.to_string()))?;
        let (safety, workspace, warning) = self.safety()?;
        let ctx = ToolContext {
            workspace,
            limits: tool_limits(cfg, &chosen),
            cancel,
            reads: chosen.read_log(),
        };
        let parts = SessionParts {
            backend,
            tools,
            system_prompt: assembled.system_prompt,
            ctx,
            limits: Limits {
                compact_at: self.compact_at,
                ..session_limits(cfg)
            },
            emitter,
            profile: chosen.session_profile(&reason),
            safety,
        };
        Ok((parts, chosen, warning))
    }

    /// Moves the setup to another workspace (an eval attempt's temporary
    /// repository), keeping the config and profiles loaded from where kiln
    /// was started. The sandbox is planned again by [`Setup::with_safety`].
    pub fn at_workspace(mut self, root: &std::path::Path) -> Result<Self, Failure> {
        self.workspace = Workspace::new(root)
            .map_err(|e| usage(format!("cannot use {} as workspace: {e}", root.display())))?;
        self.repo = self.workspace.root().to_path_buf();
        self.sandbox = None;
        Ok(self)
    }

    /// What a started (or resumed) session gets besides its parts: the
    /// sandbox's fallback warning, and checkpoints unless config turns
    /// them off.
    pub fn equip(&self, session: &mut Session, sandbox_warning: Option<String>) {
        if let Some(message) = sandbox_warning {
            session.emitter_mut().emit(EventKind::Warning { message });
        }
        if self.cfg.checkpoints {
            let id = session.emitter_mut().session_id().to_string();
            checkpoints_on(session, self.workspace.root(), id);
        }
    }
}

/// Checkpoints for `kiln undo`; where none can be kept the session still
/// runs, with a warning.
fn checkpoints_on(session: &mut Session, root: &std::path::Path, session_id: String) {
    match crate::checkpoint::Checkpointer::new(root, Some(session_id)) {
        Ok(c) => session.set_checkpointer(c),
        Err(e) => session
            .emitter_mut()
            .emit(crate::agent::EventKind::Warning {
                message: format!("checkpoints are off: {e}"),
            }),
    }
}

/// Output budgets: config's explicit limits, else the profile's.
pub fn tool_limits(cfg: &Config, profile: &Profile) -> ToolLimits {
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

/// The first Ctrl-C cancels the run (exit 130 once it winds down); a
/// second one exits at once.
pub fn watch_ctrl_c(cancel: CancellationToken) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(exit::INTERRUPTED));
            }
        }
    });
}
