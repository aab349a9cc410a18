//! The `oracle` provider: a scripted backend that applies a task's
//! `solution.patch` through kiln's own tools (reading each file it will
//! change, then `write_file`, or `shell` where the profile offers no
//! `write_file`, and `shell rm` for deletions), then answers. It proves
//! that a task is solvable through the tools the agent gets, and gives
//! tests a side with a known pass rate.

use std::path::Path;
use std::sync::Mutex;

use async_trait::async_trait;
use git2::{ApplyLocation, Delta as DeltaStatus, Diff, Repository};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::workdir::{Workdir, WorkdirError};
use crate::backend::{
    Backend, BackendError, BackendInfo, ChatRequest, Completion, Delta, DeltaSink, FinishReason,
};
use crate::chat::{ToolCall, Usage};

/// One file the solution changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Write {
        path: String,
        content: String,
        /// Whether the fixture has the file (it is read first).
        existed: bool,
    },
    Delete {
        path: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path} does not apply to the fixture: {error}")]
    Apply { path: String, error: git2::Error },
    #[error("{path}: {message}")]
    Unsupported { path: String, message: String },
    #[error(transparent)]
    Workdir(#[from] WorkdirError),
}

/// What `patch` does to `fixture`, file by file: it is applied with git2
/// to a scratch copy and the results read back.
pub fn solution_changes(fixture: &Path, patch: &Path) -> Result<Vec<Change>, OracleError> {
    let shown = patch.display().to_string();
    let bytes = std::fs::read(patch).map_err(|error| OracleError::Io {
        path: shown.clone(),
        error,
    })?;
    let apply_err = |error| OracleError::Apply {
        path: shown.clone(),
        error,
    };
    let diff = Diff::from_buffer(&bytes).map_err(apply_err)?;
    let scratch = Workdir::new(fixture)?;
    let repo = Repository::open(scratch.root()).map_err(WorkdirError::Git)?;
    repo.apply(&diff, ApplyLocation::WorkDir, None)
        .map_err(apply_err)?;
    let mut changes = Vec::new();
    for delta in diff.deltas() {
        let old = delta.old_file().path().map(path_str);
        let new = delta.new_file().path().map(path_str);
        if delta.status() == DeltaStatus::Deleted {
            changes.extend(old.map(|path| Change::Delete { path }));
            continue;
        }
        let Some(path) = new else { continue };
        if delta.status() == DeltaStatus::Renamed
            && let Some(old) = old.filter(|o| *o != path)
        {
            changes.push(Change::Delete { path: old });
        }
        let abs = scratch.root().join(&path);
        let raw = std::fs::read(&abs).map_err(|error| OracleError::Io {
            path: abs.display().to_string(),
            error,
        })?;
        let content = String::from_utf8(raw).map_err(|_| OracleError::Unsupported {
            path: shown.clone(),
            message: format!("`{path}` is not UTF-8 text, which write_file cannot write"),
        })?;
        let existed = fixture.join(&path).is_file();
        changes.push(Change::Write {
            path,
            content,
            existed,
        });
    }
    Ok(changes)
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// The scripted answers of one oracle session.
pub struct OracleBackend {
    name: String,
    changes: Vec<Change>,
    /// The turns, planned at the first request from the tools it offers.
    plan: Mutex<Option<Plan>>,
}

struct Plan {
    turns: Vec<Vec<(String, serde_json::Value)>>,
    next: usize,
}

impl OracleBackend {
    /// `model` names it in events (`solution`, `none`); `changes` empty
    /// means it only answers.
    pub fn new(model: &str, changes: Vec<Change>) -> Self {
        Self {
            name: model.to_string(),
            changes,
            plan: Mutex::new(None),
        }
    }

    fn plan(&self, tools: &[&str]) -> Plan {
        let has = |t: &str| tools.contains(&t);
        let mut reads = Vec::new();
        let mut edits = Vec::new();
        for change in &self.changes {
            match change {
                Change::Write {
                    path,
                    content,
                    existed,
                } => {
                    if *existed && has("read_file") {
                        reads.push(("read_file".into(), json!({ "path": path })));
                    }
                    edits.push(match has("write_file") {
                        true => (
                            "write_file".into(),
                            json!({ "path": path, "content": content }),
                        ),
                        false => (
                            "shell".into(),
                            json!({ "command": shell_write(path, content) }),
                        ),
                    });
                }
                Change::Delete { path } => {
                    let quoted = shlex::try_quote(path).map(|q| q.into_owned());
                    let command = format!("rm -f -- {}", quoted.unwrap_or_default());
                    edits.push(("shell".into(), json!({ "command": command })));
                }
            }
        }
        let turns = [reads, edits]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect();
        Plan { turns, next: 0 }
    }
}

/// A `shell` command that writes `content` to `path` byte for byte.
fn shell_write(path: &str, content: &str) -> String {
    let quoted = shlex::try_quote(path)
        .map(|q| q.into_owned())
        .unwrap_or_default();
    let escaped: String = content.bytes().map(|b| format!("\\x{b:02x}")).collect();
    format!("mkdir -p \"$(dirname {quoted})\" && printf '{escaped}' > {quoted}")
}

#[async_trait]
impl Backend for OracleBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            provider: "oracle".into(),
            model: self.name.clone(),
            base_url: None,
            parameters: None,
            context_window: None,
            prices: None,
        }
    }

    async fn complete(
        &self,
        request: ChatRequest<'_>,
        deltas: &mut dyn DeltaSink,
        cancel: &CancellationToken,
    ) -> Result<Completion, BackendError> {
        if cancel.is_cancelled() {
            return Err(BackendError::Cancelled);
        }
        let (turn_no, calls) = {
            let mut guard = self
                .plan
                .lock()
                .map_err(|_| BackendError::Protocol("oracle state poisoned".into()))?;
            let tools: Vec<&str> = request.tools.iter().map(|t| t.name.as_str()).collect();
            let plan = guard.get_or_insert_with(|| self.plan(&tools));
            let turn = plan.turns.get(plan.next).cloned().unwrap_or_default();
            plan.next += 1;
            (plan.next, turn)
        };
        let text = match calls.is_empty() {
            true => "Done.".to_string(),
            false => String::new(),
        };
        if !text.is_empty() {
            deltas.delta(Delta::Text { text: text.clone() });
        }
        let tool_calls: Vec<ToolCall> = calls
            .into_iter()
            .enumerate()
            .map(|(i, (name, args))| {
                deltas.delta(Delta::ToolCallStarted {
                    index: i,
                    name: name.clone(),
                });
                ToolCall {
                    id: format!("oracle_{turn_no}_{}", i + 1),
                    name,
                    arguments: args.to_string(),
                }
            })
            .collect();
        let prompt_chars: usize = request
            .messages
            .iter()
            .map(|m| serde_json::to_string(m).map_or(0, |s| s.len()))
            .sum();
        let completion_chars =
            text.len() + tool_calls.iter().map(|c| c.arguments.len()).sum::<usize>();
        let finish = match tool_calls.is_empty() {
            true => FinishReason::Stop,
            false => FinishReason::ToolCalls,
        };
        Ok(Completion {
            text,
            reasoning: None,
            tool_calls,
            usage: Usage {
                prompt_tokens: prompt_chars.div_ceil(4) as u64,
                completion_tokens: completion_chars.div_ceil(4) as u64,
                cached_tokens: None,
            },
            finish,
            engine: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_of_a_patch() {
        let dir = tempfile::tempdir().unwrap();
        let fixture = dir.path().join("repo");
        std::fs::create_dir_all(&fixture).unwrap();
        std::fs::write(
            fixture.join("calc.py"),
            "def add(a, b):\n    return a - b\n",
        )
        .unwrap();
        std::fs::write(fixture.join("old.py"), "x = 1\n").unwrap();
        let patch = dir.path().join("solution.patch");
        std::fs::write(
            &patch,
            "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n \
             def add(a, b):\n-    return a - b\n+    return a + b\n\
             diff --git a/old.py b/old.py\ndeleted file mode 100644\n--- a/old.py\n+++ /dev/null\n\
             @@ -1 +0,0 @@\n-x = 1\n\
             diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n\
             @@ -0,0 +1 @@\n+y = 2\n",
        )
        .unwrap();
        let changes = solution_changes(&fixture, &patch).unwrap();
        assert_eq!(
            changes,
            [
                Change::Write {
                    path: "calc.py".into(),
                    content: "def add(a, b):\n    return a + b\n".into(),
                    existed: true
                },
                Change::Delete {
                    path: "old.py".into()
                },
                Change::Write {
                    path: "new.py".into(),
                    content: "y = 2\n".into(),
                    existed: false
                },
            ]
        );
        std::fs::write(&patch, "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-nope\n+x\n").unwrap();
        let err = solution_changes(&fixture, &patch).unwrap_err().to_string();
        assert!(err.contains("does not apply"), "{err}");
    }

    #[tokio::test]
    async fn shell_write_is_byte_exact() {
        let dir = tempfile::tempdir().unwrap();
        let content = "it's \"quoted\" \\ % $HOME\nno newline";
        let cmd = shell_write("sub dir/f.txt", content);
        let run =
            crate::tools::shell::run_command(&cmd, dir.path(), std::time::Duration::from_secs(10))
                .await
                .unwrap();
        assert_eq!(run.exit_code, Some(0), "{}", run.output);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("sub dir/f.txt")).unwrap(),
            content
        );
    }
}
