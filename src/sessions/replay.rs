//! Rebuilding the conversation a session sent from its recorded events.
//!
//! The result is what the model saw after the system prompt, message for
//! message: tasks and nudges as user messages, assistant turns with their
//! calls, and each tool result as the model got it (`for_model` where it
//! differed from the full output). Calls that never got a result (the
//! process died, or the session ended mid-turn) get one saying so, so the
//! conversation is valid to send again.

use std::collections::HashSet;

use serde_json::Value;

use super::SessionsError;
use super::log::{Record, SessionLog};
use crate::chat::{Message, ToolCall};

/// The tool result of a call that started but never finished.
pub const INTERRUPTED_RUNNING: &str = "interrupted: the session ended before this call finished; \
     it may have partly run, so check its effects before repeating it";
/// The tool result of a call that never started.
pub const INTERRUPTED_PENDING: &str = "interrupted: the session ended before this call ran";

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replayed {
    /// The conversation after the system prompt.
    pub history: Vec<Message>,
    /// Calls given an `interrupted` result.
    pub interrupted_calls: usize,
    /// Undo notes (and a repo map) recorded after the last task: the next
    /// task carries them, as it would have in the live session.
    pub notes: Vec<String>,
    /// The user's tasks as typed, and every file a call changed: what a
    /// later compaction's summary must keep.
    pub tasks: Vec<String>,
    pub edited: Vec<std::path::PathBuf>,
}

pub fn replay(log: &SessionLog) -> Result<Replayed, SessionsError> {
    let mut state = State::default();
    for record in &log.records {
        state
            .apply(record)
            .map_err(|message| SessionsError::Corrupt {
                path: log.path.clone(),
                line: record.line,
                message,
            })?;
    }
    state.close_pending();
    Ok(state.out)
}

#[derive(Default)]
struct State {
    out: Replayed,
    /// Calls of the last assistant message still without a result.
    pending: Vec<ToolCall>,
    started: HashSet<String>,
}

impl State {
    fn apply(&mut self, record: &Record) -> Result<(), String> {
        let v = &record.value;
        match record.kind() {
            // Undo notes go before the next task's text, as
            // `Session::begin_task` puts them (so user messages never
            // follow each other).
            "user_message" => {
                let task = field(v, "text")?;
                let mut parts = std::mem::take(&mut self.out.notes);
                parts.push(task.clone());
                self.out.tasks.push(task);
                self.user(parts.join("\n\n"));
            }
            "repo_map_added" => self.out.notes.push(field(v, "text")?),
            // The summary message follows the system prompt; the last
            // `kept` messages stay.
            "compacted" => {
                let message = field(v, "message")?;
                let kept = v["kept"]
                    .as_u64()
                    .ok_or("`compacted` event without `kept`")? as usize;
                let history = &mut self.out.history;
                if kept > history.len() {
                    return Err(format!(
                        "`compacted` keeps {kept} messages but only {} came before",
                        history.len()
                    ));
                }
                let tail = history.split_off(history.len() - kept);
                history.clear();
                history.push(Message::User { content: message });
                history.extend(tail);
            }
            "nudged" => self.user(field(v, "text").map_err(|e| {
                format!("{e} (a nudge recorded by an older kiln cannot be replayed)")
            })?),
            "files_restored" => {
                let checkpoint = match &v["checkpoint"] {
                    Value::String(s) => s.clone(),
                    Value::Null => return Err("files_restored without `checkpoint`".into()),
                    other => other.to_string(),
                };
                let files: Vec<String> = serde_json::from_value(v["files"].clone())
                    .map_err(|e| format!("bad `files` in files_restored: {e}"))?;
                if !files.is_empty() {
                    let files: Vec<std::path::PathBuf> = files.iter().map(Into::into).collect();
                    self.out
                        .notes
                        .push(crate::checkpoint::restored_note(&checkpoint, &files));
                }
            }
            "assistant_message" => {
                self.close_pending();
                let tool_calls: Vec<ToolCall> = serde_json::from_value(v["tool_calls"].clone())
                    .map_err(|e| format!("bad `tool_calls` in assistant_message: {e}"))?;
                self.pending = tool_calls.clone();
                self.out.history.push(Message::Assistant {
                    content: field(v, "text")?,
                    tool_calls,
                    reasoning: v["reasoning"].as_str().map(str::to_string),
                });
            }
            "tool_call_started" => {
                self.started.insert(field(v, "call_id")?);
            }
            "tool_call_completed" => {
                let id = field(v, "call_id")?;
                let at = self.pending.iter().position(|c| c.id == id).ok_or_else(|| {
                    format!("a result for call `{id}`, which the last assistant message did not make")
                })?;
                let call = self.pending.remove(at);
                if let Some(files) = v["details"]["changed_files"].as_array() {
                    let files = files.iter().filter_map(Value::as_str).map(Into::into);
                    self.out.edited.extend(files);
                }
                let content = match v["for_model"].as_str() {
                    Some(seen) => seen.to_string(),
                    None => field(v, "output")?,
                };
                self.out.history.push(Message::Tool {
                    tool_call_id: call.id,
                    name: call.name,
                    content,
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn user(&mut self, content: String) {
        self.close_pending();
        self.out.history.push(Message::User { content });
    }

    /// Gives every call still waiting an `interrupted` result.
    fn close_pending(&mut self) {
        for call in std::mem::take(&mut self.pending) {
            let content = match self.started.contains(&call.id) {
                true => INTERRUPTED_RUNNING,
                false => INTERRUPTED_PENDING,
            };
            self.out.interrupted_calls += 1;
            self.out.history.push(Message::Tool {
                tool_call_id: call.id,
                name: call.name,
                content: content.to_string(),
            });
        }
    }
}

fn field(v: &Value, name: &str) -> Result<String, String> {
    v[name].as_str().map(str::to_string).ok_or_else(|| {
        format!(
            "`{}` event without `{name}`",
            v["type"].as_str().unwrap_or("?")
        )
    })
}

#[cfg(test)]
#[path = "replay_tests.rs"]
mod tests;
