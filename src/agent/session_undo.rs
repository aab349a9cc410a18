//! The session's side of checkpoints: one before the first change of each
//! turn, and an in-process undo (the TUI's `/undo`) that tells the model
//! which files changed under it.

#[cfg(test)]
use std::path::PathBuf;
use std::time::Instant;

use super::Session;
use crate::agent::events::EventKind;
use crate::chat::ToolCall;
use crate::checkpoint::{CheckpointError, Checkpointer, Restored, restored_note};

/// Checkpointing state of a session.
#[derive(Default)]
pub(super) struct UndoState {
    checkpointer: Option<Checkpointer>,
    /// The turn of the current task already checkpointed.
    done_turn: Option<u32>,
    /// Undo notes for the model, sent with the next task.
    notes: Vec<String>,
}

impl Session {
    /// Takes a checkpoint before the first change of every turn from now on.
    pub fn set_checkpointer(&mut self, checkpointer: Checkpointer) {
        self.undo.checkpointer = Some(checkpointer);
    }

    pub fn checkpointer(&self) -> Option<&Checkpointer> {
        self.undo.checkpointer.as_ref()
    }

    /// The undo notes the next task will carry to the model.
    pub fn pending_undo_notes(&self) -> &[String] {
        &self.undo.notes
    }

    /// Puts a checkpoint back (`to`, else the newest that differs from the
    /// files now; see [`Checkpointer::undo`]), emits `files_restored`,
    /// forgets what the model read of those files, and queues a note that
    /// tells it which files changed. The note goes out with the next task,
    /// in its user message, so roles keep alternating and the prompt
    /// prefix only grows.
    pub async fn undo(&mut self, to: Option<&str>) -> Result<Restored, CheckpointError> {
        let checkpointer = self
            .undo
            .checkpointer
            .clone()
            .ok_or(CheckpointError::Disabled)?;
        let to = to.map(str::to_string);
        let restored = tokio::task::spawn_blocking(move || checkpointer.undo(to.as_deref()))
            .await
            .map_err(|e| CheckpointError::Task(e.to_string()))??;
        let files = restored.files();
        for rel in &files {
            self.ctx.reads.forget(&self.ctx.workspace.root().join(rel));
        }
        self.emitter.emit(EventKind::FilesRestored {
            checkpoint: restored.checkpoint.id.clone(),
            files: files.clone(),
        });
        if !files.is_empty() {
            self.undo
                .notes
                .push(restored_note(&restored.checkpoint.id, &files));
        }
        Ok(restored)
    }

    /// Queues undo notes for the next task (a resumed session's, recorded
    /// by `kiln undo` after its last task).
    pub fn queue_undo_notes(&mut self, notes: Vec<String>) {
        self.undo.notes.extend(notes);
    }

    /// The repo map budget while the session still wants one: the profile
    /// asks for it and no task has run yet.
    pub fn repo_map_budget(&self) -> Option<usize> {
        let fresh = self.compaction.tasks.is_empty() && self.messages.len() == 1;
        (fresh && self.profile.repo_map_tokens > 0).then_some(self.profile.repo_map_tokens)
    }

    /// Puts a repo map in front of the next task (once, at the start of
    /// a session, so the prompt prefix never changes for it).
    pub fn add_repo_map(&mut self, text: String, files_shown: usize, files: usize) {
        self.emitter.emit(EventKind::RepoMapAdded {
            tokens: crate::profile::tokens::estimate(&text),
            files_shown,
            files,
            text: text.clone(),
        });
        self.undo.notes.push(text);
        // Once per session: the first task's message is part of the prefix.
        self.profile.repo_map_tokens = 0;
    }

    /// The user message of a new task: queued undo notes first. Also
    /// starts the task's turn count for checkpoints afresh.
    pub(super) fn begin_task(&mut self, task: &str) -> String {
        self.undo.done_turn = None;
        let mut parts: Vec<String> = std::mem::take(&mut self.undo.notes);
        parts.push(task.to_string());
        parts.join("\n\n")
    }

    /// Checkpoints the workspace before the first call of `turn` that can
    /// change files. A failure is a warning: the session goes on.
    pub(super) async fn checkpoint_before(&mut self, turn: u32, call: &ToolCall) {
        let Some(checkpointer) = self.undo.checkpointer.clone() else {
            return;
        };
        let mutates = self.tools.get(&call.name).is_some_and(|t| t.mutates());
        if !mutates || self.undo.done_turn == Some(turn) {
            return;
        }
        self.undo.done_turn = Some(turn);
        let started = Instant::now();
        let created = tokio::task::spawn_blocking(move || checkpointer.create(turn))
            .await
            .map_err(|e| CheckpointError::Task(e.to_string()))
            .and_then(|r| r);
        let kind = match created {
            Ok(c) => EventKind::CheckpointCreated {
                turn,
                checkpoint: c.checkpoint.id,
                files: c.files,
                duration_ms: started.elapsed().as_millis() as u64,
            },
            Err(e) => EventKind::Warning {
                message: format!(
                    "no checkpoint before turn {turn} (undo cannot go back to it): {e}"
                ),
            },
        };
        self.emitter.emit(kind);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::{Arc, Mutex};

    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::agent::events::Event;
    use crate::agent::sink::{Emitter, EventSink};
    use crate::agent::{Limits, Outcome, SessionParts};
    use crate::backend::scripted::ScriptedBackend;
    use crate::chat::Message;
    use crate::tools::{ReadLog, ToolContext, ToolLimits, ToolRegistry, Workspace};

    struct Collect(Arc<Mutex<Vec<EventKind>>>);

    impl EventSink for Collect {
        fn emit(&mut self, event: &Event) {
            self.0.lock().unwrap().push(event.kind.clone());
        }
    }

    #[tokio::test]
    async fn undo_restores_tells_the_model_and_forgets_reads() {
        let dir = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("a.txt"), "before\n").unwrap();
        let script = state.path().join("script.json");
        let turns = json!({ "turns": [
            { "tool_calls": [{ "name": "read_file", "arguments": { "path": "a.txt" } }] },
            { "tool_calls": [
                { "name": "write_file", "arguments": { "path": "a.txt", "content": "after\n" } },
                { "name": "write_file", "arguments": { "path": "b.txt", "content": "new\n" } }
            ] },
            { "text": "done" },
            { "text": "again" }
        ] });
        std::fs::write(&script, turns.to_string()).unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let reads = ReadLog::requiring_reads();
        let mut session = Session::new(SessionParts {
            backend: Arc::new(ScriptedBackend::from_file(&script).unwrap()),
            tools: ToolRegistry::builtin(crate::tools::spec::load_specs(None).unwrap()).unwrap(),
            system_prompt: "system".into(),
            ctx: ToolContext {
                workspace: Workspace::new(&root).unwrap(),
                limits: ToolLimits::default(),
                cancel: CancellationToken::new(),
                reads: reads.clone(),
            },
            limits: Limits::default(),
            emitter: Emitter::new("s-1".into(), vec![Box::new(Collect(events.clone()))]),
            profile: Default::default(),
            safety: Default::default(),
        });
        assert!(matches!(
            session.undo(None).await,
            Err(CheckpointError::Disabled)
        ));
        session.set_checkpointer(
            Checkpointer::with_state_dir(&root, state.path(), Some("s-1".into())).unwrap(),
        );
        let end = session.run_task("change a").await;
        assert_eq!(end.outcome, Outcome::Done, "{:?}", end.error);
        let created: Vec<u32> = events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                EventKind::CheckpointCreated { turn, files, .. } => {
                    assert_eq!(*files, 1);
                    Some(*turn)
                }
                _ => None,
            })
            .collect();
        assert_eq!(created, [2], "once, in the turn that changes files");
        assert!(
            reads
                .check_fresh(&root.join("a.txt"), "a.txt".as_ref())
                .is_ok()
        );

        let restored = session.undo(None).await.unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("a.txt")).unwrap(),
            "before\n"
        );
        assert!(!root.join("b.txt").exists());
        let restored_event = events
            .lock()
            .unwrap()
            .iter()
            .find_map(|e| match e {
                EventKind::FilesRestored { checkpoint, files } => {
                    Some((checkpoint.clone(), files.clone()))
                }
                _ => None,
            })
            .unwrap();
        assert_eq!(restored_event.0, restored.checkpoint.id);
        assert_eq!(
            restored_event.1,
            [PathBuf::from("a.txt"), PathBuf::from("b.txt")]
        );
        // The model must read a.txt again before editing it.
        let err = reads
            .check_fresh(&root.join("a.txt"), "a.txt".as_ref())
            .unwrap_err();
        assert_eq!(err.kind(), "not_read");
        assert_eq!(session.pending_undo_notes().len(), 1);

        let messages_before = session.messages().len();
        session.run_task("next task").await;
        let Message::User { content } = &session.messages()[messages_before] else {
            panic!("the next message is the user's");
        };
        assert!(content.contains("restored to checkpoint"), "{content}");
        assert!(content.contains("- a.txt\n- b.txt"), "{content}");
        assert!(content.ends_with("next task"), "{content}");
        assert!(session.pending_undo_notes().is_empty());
    }
}
