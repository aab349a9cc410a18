//! Building a session, shared by the headless subcommands: everything that
//! can fail before the first model request happens here, as usage or
//! configuration errors (exit 2) or a model that cannot be fetched or
//! loaded (exit 4).

use std::path::PathBuf;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{BackendArgs, LimitArgs, exit, recording};
use crate::agent::{Emitter, Limits, Session, SessionParts};
use crate::config::{self, Config, ConfigError, providers};
use crate::profile::{self, Catalog, Profile, Target};
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
        })
    }

    /// Loads the backend, chooses the profile and builds the started
    /// session, recorded in a session file unless config says `sessions =
    /// false`. `cancel` stops it (Ctrl-C).
    pub async fn session(
        &self,
        emitter: Emitter,
        cancel: CancellationToken,
    ) -> Result<(Session, Profile), Failure> {
        let (mut parts, chosen) = self.parts(emitter, cancel).await?;
        let recorded = self
            .cfg
            .sessions
            .then(|| recording::attach_new(&mut parts.emitter));
        let mut session = Session::new(parts);
        session.start();
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
    ) -> Result<(SessionParts, Profile), Failure> {
        let cfg = &self.cfg;
        let choice = providers::choose(cfg).map_err(config_failure)?;
        let backend = providers::build_backend(choice, &cfg.local)
            .await
            .map_err(build_failure)?;
        let info = backend.info();
        let target = Target::new(&info.provider, &info.model, info.parameters);
        let selection = profile::select(&self.catalog, self.profile_flag.as_deref(), cfg, &target)
            .map_err(|e| usage(e.to_string()))?;
        let chosen = selection.profile;
        let assembled =
            profile::assemble::assemble(&chosen, cfg, self.workspace.root(), &self.repo)
                .map_err(|e| usage(e.to_string()))?;
        let tools = ToolRegistry::builtin(assembled.specs).map_err(|e| usage(e.to_string()))?;
        let ctx = ToolContext {
            workspace: self.workspace.clone(),
            limits: tool_limits(cfg, &chosen),
            cancel,
            reads: chosen.read_log(),
        };
        let parts = SessionParts {
            backend,
            tools,
            system_prompt: assembled.system_prompt,
            ctx,
            limits: session_limits(cfg),
            emitter,
            profile: chosen.session_profile(&selection.reason),
        };
        Ok((parts, chosen))
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
