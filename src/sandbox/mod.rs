//! The sandbox around the model's shell commands.
//!
//! On Linux, commands run under landlock: they may read and execute
//! anything, but write only beneath the workspace, the temp directory,
//! `/dev` and the configured extra paths (by default the language caches
//! `~/.cargo`, `~/.cache` and `~/.npm`, so builds and tests still work);
//! with the network off, TCP connect and bind are denied too.
//!
//! The rules are applied by kiln itself, re-executed as the hidden
//! `kiln sandbox-exec` helper between fork and `bash`: a fresh
//! single-threaded process restricts itself and then execs the command,
//! which inherits the restriction (landlock cannot be lifted). Doing it in
//! the agent's own `pre_exec` would allocate after fork in a threaded
//! process.
//!
//! Where the kernel lacks landlock, mode `on` warns once and runs commands
//! without it (the file tools stay confined to the workspace either way);
//! mode `required` refuses to start instead.

pub mod landlock;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Whether commands run sandboxed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Sandbox when the kernel can; warn and run without it otherwise.
    #[default]
    On,
    /// Sandbox, or refuse to start.
    Required,
    /// No sandbox.
    Off,
}

/// `[sandbox]` in config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    pub mode: Mode,
    /// Extra writable paths besides the workspace and the temp dir; `~/`
    /// is the home directory. Paths that do not exist are skipped.
    pub writable: Vec<String>,
    /// Whether commands may open TCP connections.
    pub network: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            mode: Mode::On,
            writable: vec!["~/.cargo".into(), "~/.cache".into(), "~/.npm".into()],
            network: true,
        }
    }
}

/// A sandbox ready to wrap commands.
#[derive(Clone, Debug)]
pub struct Sandbox(Arc<Spec>);

#[derive(Debug)]
struct Spec {
    /// The `kiln` binary, run as `kiln sandbox-exec`.
    helper: PathBuf,
    writable: Vec<PathBuf>,
    network: bool,
    /// Under the `read-only` policy: the only temp dir commands may write
    /// (`TMPDIR`), removed with the session. The shared temp dir may hold
    /// the workspace itself, so it is not writable then.
    private_tmp: Option<tempfile::TempDir>,
}

/// What the sandbox does in a session, for events and the progress line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SandboxInfo {
    /// `landlock`, `off` or `unavailable`.
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub writable: Vec<PathBuf>,
    pub network: bool,
}

/// The sandbox a session gets, with a warning to show when it fell back.
#[derive(Clone, Debug)]
pub struct Plan {
    pub sandbox: Option<Sandbox>,
    pub info: SandboxInfo,
    pub warning: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(
        "the sandbox is required (`--sandbox required`) but this kernel cannot provide it: \
         {0}. Use `--sandbox on` to run commands without it, with a warning"
    )]
    Unavailable(String),
    #[error("cannot find the kiln binary to run commands in the sandbox: {0}")]
    Helper(std::io::Error),
}

/// Where commands of a session may write.
pub struct Writable<'a> {
    /// The workspace root; `None` under the `read-only` approval policy.
    pub workspace: Option<&'a Path>,
    pub config: &'a SandboxConfig,
}

impl Sandbox {
    /// Decides the session's sandbox: probes landlock, resolves the
    /// writable paths and finds the helper binary.
    pub fn plan(mode: Mode, network: bool, writable: Writable<'_>) -> Result<Plan, SandboxError> {
        let off = |kind: &str, warning| Plan {
            sandbox: None,
            info: SandboxInfo {
                kind: kind.into(),
                writable: Vec::new(),
                network: true,
            },
            warning,
        };
        if mode == Mode::Off {
            return Ok(off("off", None));
        }
        if let Err(why) = landlock::probe() {
            if mode == Mode::Required {
                return Err(SandboxError::Unavailable(why));
            }
            let warning = format!(
                "the shell sandbox is unavailable ({why}); commands run without it. The file \
                 tools still write only inside the workspace. Use `--sandbox required` to refuse \
                 to run instead, or `--sandbox off` to silence this"
            );
            return Ok(off("unavailable", Some(warning)));
        }
        let helper = std::env::current_exe().map_err(SandboxError::Helper)?;
        let private_tmp = match writable.workspace {
            Some(_) => None,
            None => Some(
                tempfile::Builder::new()
                    .prefix("kiln-readonly-")
                    .tempdir()
                    .map_err(SandboxError::Helper)?,
            ),
        };
        let paths = writable_paths(&writable, private_tmp.as_ref().map(|t| t.path()));
        let info = SandboxInfo {
            kind: "landlock".into(),
            writable: paths.clone(),
            network,
        };
        Ok(Plan {
            sandbox: Some(Sandbox(Arc::new(Spec {
                helper,
                writable: paths,
                network,
                private_tmp,
            }))),
            info,
            warning: None,
        })
    }

    /// A sandbox that runs `helper` (tests point it at the built binary).
    pub fn with_helper(helper: PathBuf, writable: Vec<PathBuf>, network: bool) -> Self {
        Sandbox(Arc::new(Spec {
            helper,
            writable,
            network,
            private_tmp: None,
        }))
    }

    /// `bash -c command` inside the sandbox.
    pub fn bash(&self, command: &str) -> tokio::process::Command {
        let spec = &self.0;
        let mut cmd = tokio::process::Command::new(&spec.helper);
        cmd.arg("sandbox-exec");
        for path in &spec.writable {
            cmd.arg("--write").arg(path);
        }
        if !spec.network {
            cmd.arg("--no-network");
        }
        cmd.arg("--").arg("bash").arg("-c").arg(command);
        if let Some(tmp) = &spec.private_tmp {
            cmd.env("TMPDIR", tmp.path());
        }
        cmd
    }
}

/// The workspace, the temp dirs, `/dev` and the configured extras that
/// exist, canonicalised and without duplicates; under `read-only` (no
/// workspace) only `private_tmp` and `/dev`.
fn writable_paths(w: &Writable<'_>, private_tmp: Option<&Path>) -> Vec<PathBuf> {
    let Some(workspace) = w.workspace else {
        let paths = private_tmp.into_iter().map(Path::to_path_buf);
        return canonical_unique(paths.chain([PathBuf::from("/dev")]));
    };
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut paths = vec![workspace.to_path_buf(), std::env::temp_dir()];
    paths.extend(["/tmp", "/var/tmp", "/dev"].map(PathBuf::from));
    for p in &w.config.writable {
        match (p.strip_prefix("~/"), &home) {
            (Some(rest), Some(home)) => paths.push(home.join(rest)),
            (Some(_), None) => {}
            (None, _) => paths.push(PathBuf::from(p)),
        }
    }
    canonical_unique(paths)
}

fn canonical_unique(paths: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in paths.into_iter().filter_map(|p| p.canonicalize().ok()) {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writable_paths_exist_are_canonical_and_follow_the_policy() {
        let ws = tempfile::tempdir().unwrap();
        let extra = tempfile::tempdir().unwrap();
        let config = SandboxConfig {
            writable: vec![extra.path().display().to_string(), "/does/not/exist".into()],
            ..SandboxConfig::default()
        };
        let with = writable_paths(
            &Writable {
                workspace: Some(ws.path()),
                config: &config,
            },
            None,
        );
        let ws_real = ws.path().canonicalize().unwrap();
        assert!(with.contains(&ws_real));
        assert!(with.contains(&extra.path().canonicalize().unwrap()));
        assert!(with.contains(&PathBuf::from("/dev")));
        assert!(!with.iter().any(|p| p.starts_with("/does")));
        let private = tempfile::tempdir().unwrap();
        let read_only = writable_paths(
            &Writable {
                workspace: None,
                config: &config,
            },
            Some(private.path()),
        );
        // Read-only: no workspace, no shared temp dir, no extras.
        assert_eq!(
            read_only,
            [
                private.path().canonicalize().unwrap(),
                PathBuf::from("/dev")
            ]
        );
    }

    #[test]
    fn off_needs_no_probe() {
        let config = SandboxConfig::default();
        let plan = Sandbox::plan(
            Mode::Off,
            true,
            Writable {
                workspace: None,
                config: &config,
            },
        )
        .unwrap();
        assert!(plan.sandbox.is_none());
        assert_eq!(plan.info.kind, "off");
        assert!(plan.warning.is_none());
    }
}
