//! One eval task: `evals/<suite>/<task>/` with `task.toml`, `prompt.md`,
//! `repo/` (the fixture), `check/` (hidden tests, copied in after the
//! agent stops) and `solution.patch` (the reference fix, a git diff).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// `task.toml`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaskFile {
    /// Unique within the suite; equals the directory name.
    pub id: String,
    /// One line saying what the task asks.
    #[serde(default)]
    pub description: String,
    /// Free-form: the language, the kind of work, `smoke` for the subset
    /// of easy tasks used for quick A/B runs.
    #[serde(default)]
    pub tags: Vec<String>,
    pub difficulty: Difficulty,
    /// `always`: every reasonable model should pass, so a failure is a
    /// regression the gate refuses; `usually`: counted in the pass rate.
    #[serde(default)]
    pub policy: Policy,
    /// Tries per trial; from the second on, the failing check's output is
    /// fed back (as Aider's benchmark does).
    #[serde(default = "default_attempts")]
    pub attempts: u32,
    #[serde(default)]
    pub limits: TaskLimits,
    pub check: CheckSpec,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Difficulty {
    VeryEasy,
    Easy,
    Medium,
    Hard,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    Always,
    #[default]
    Usually,
}

/// The budgets of one attempt.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TaskLimits {
    pub wall_secs: u64,
    pub turns: u32,
    /// Prompt + completion tokens over the attempt.
    pub tokens: u64,
    /// Wall-clock limit of one `shell` call.
    pub tool_timeout_secs: u64,
}

impl Default for TaskLimits {
    fn default() -> Self {
        Self {
            wall_secs: 600,
            turns: 30,
            tokens: 200_000,
            tool_timeout_secs: 120,
        }
    }
}

/// How the hidden check runs: `bash -c COMMAND` in the attempt's
/// repository after `check/` has been copied over it.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    pub command: String,
    #[serde(default = "default_check_timeout")]
    pub timeout_secs: u64,
}

fn default_attempts() -> u32 {
    2
}

fn default_check_timeout() -> u64 {
    30
}

/// A task as found on disk.
#[derive(Clone, Debug)]
pub struct Task {
    pub file: TaskFile,
    /// `evals/<suite>/<task>/`.
    pub dir: PathBuf,
    /// `prompt.md`, verbatim.
    pub prompt: String,
}

impl Task {
    pub fn repo_dir(&self) -> PathBuf {
        self.dir.join("repo")
    }

    pub fn check_dir(&self) -> PathBuf {
        self.dir.join("check")
    }

    pub fn solution(&self) -> PathBuf {
        self.dir.join("solution.patch")
    }

    pub fn id(&self) -> &str {
        &self.file.id
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.file.tags.iter().any(|t| t == tag)
    }
}

/// Why a task directory is not a valid task.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: {error}")]
    Toml { path: String, error: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Task {
    /// Reads and checks `dir`.
    pub fn load(dir: &Path) -> Result<Self, TaskError> {
        let toml_path = dir.join("task.toml");
        let shown = toml_path.display().to_string();
        let text = std::fs::read_to_string(&toml_path).map_err(|error| TaskError::Io {
            path: shown.clone(),
            error,
        })?;
        let file: TaskFile = toml::from_str(&text).map_err(|e| TaskError::Toml {
            path: shown.clone(),
            error: e.to_string(),
        })?;
        let invalid = |message: String| TaskError::Invalid {
            path: shown.clone(),
            message,
        };
        let dir_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if file.id != dir_name {
            return Err(invalid(format!(
                "`id = \"{}\"` must equal the directory name `{dir_name}`",
                file.id
            )));
        }
        if file.attempts == 0 {
            return Err(invalid("`attempts` must be at least 1".into()));
        }
        if file.check.command.trim().is_empty() {
            return Err(invalid("`check.command` is empty".into()));
        }
        let prompt_path = dir.join("prompt.md");
        let prompt = std::fs::read_to_string(&prompt_path).map_err(|error| TaskError::Io {
            path: prompt_path.display().to_string(),
            error,
        })?;
        for needed in ["repo", "check"] {
            if !dir.join(needed).is_dir() {
                return Err(invalid(format!("the task has no `{needed}/` directory")));
            }
        }
        if !dir.join("solution.patch").is_file() {
            return Err(invalid("the task has no `solution.patch`".into()));
        }
        Ok(Self {
            file,
            dir: dir.to_path_buf(),
            prompt,
        })
    }
}
