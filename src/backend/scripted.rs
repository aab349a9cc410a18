//! A backend that replays assistant turns from a JSON file.
//!
//! Deterministic tests and the eval oracle drive the real agent loop and
//! tools with it. The script format:
//!
//! ```json
//! { "turns": [
//!   { "text": "Let me look.", "tool_calls": [
//!       { "name": "read_file", "arguments": { "path": "src/lib.rs" } },
//!       { "name": "edit_file", "arguments": "{not json" } ] },
//!   { "text": "Done." }
//! ] }
//! ```
//!
//! `arguments` is an object (sent as its JSON text) or a string (sent
//! verbatim, so malformed JSON can be replayed). Usage is estimated at four
//! characters per token so token limits can be exercised.

use std::path::Path;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::{
    Backend, BackendError, BackendInfo, ChatRequest, Completion, Delta, DeltaSink, FinishReason,
};
use crate::chat::{ToolCall, Usage};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
    turns: Vec<ScriptedTurn>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptedTurn {
    #[serde(default)]
    text: String,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ScriptedCall>,
    /// `stop` (default), `length` or `content_filter`.
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptedCall {
    name: String,
    #[serde(default)]
    arguments: Option<serde_json::Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("cannot read script {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("invalid script {path}: {error}")]
    Parse {
        path: String,
        error: serde_json::Error,
    },
}

pub struct ScriptedBackend {
    name: String,
    turns: Vec<ScriptedTurn>,
    next: Mutex<usize>,
}

impl ScriptedBackend {
    pub fn from_file(path: &Path) -> Result<Self, ScriptError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ScriptError::Io {
            path: shown.clone(),
            error,
        })?;
        let script: Script = serde_json::from_str(&text).map_err(|error| ScriptError::Parse {
            path: shown.clone(),
            error,
        })?;
        Ok(Self {
            name: shown,
            turns: script.turns,
            next: Mutex::new(0),
        })
    }

    fn take_turn(&self) -> Result<(usize, ScriptedTurn), BackendError> {
        let mut next = self
            .next
            .lock()
            .map_err(|_| BackendError::Protocol("scripted backend state poisoned".into()))?;
        let index = *next;
        let turn = self.turns.get(index).cloned().ok_or_else(|| {
            BackendError::Protocol(format!(
                "the script {} has {} turns and the session asked for turn {}",
                self.name,
                self.turns.len(),
                index + 1
            ))
        })?;
        *next += 1;
        Ok((index, turn))
    }
}

#[async_trait]
impl Backend for ScriptedBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            provider: "scripted".into(),
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
        let (index, turn) = self.take_turn()?;
        if let Some(r) = &turn.reasoning {
            deltas.delta(Delta::Reasoning { text: r.clone() });
        }
        if !turn.text.is_empty() {
            deltas.delta(Delta::Text {
                text: turn.text.clone(),
            });
        }
        let tool_calls: Vec<ToolCall> = turn
            .tool_calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                deltas.delta(Delta::ToolCallStarted {
                    index: i,
                    name: c.name.clone(),
                });
                ToolCall {
                    id: format!("call_{}_{}", index + 1, i + 1),
                    name: c.name.clone(),
                    arguments: match &c.arguments {
                        None => "{}".into(),
                        Some(serde_json::Value::String(raw)) => raw.clone(),
                        Some(v) => v.to_string(),
                    },
                }
            })
            .collect();
        let prompt_chars: usize = request
            .messages
            .iter()
            .map(|m| serde_json::to_string(m).map(|s| s.len()).unwrap_or(0))
            .sum();
        let completion_chars =
            turn.text.len() + tool_calls.iter().map(|c| c.arguments.len()).sum::<usize>();
        let finish = match turn.finish_reason.as_deref() {
            Some("length") => FinishReason::Length,
            Some("content_filter") => FinishReason::ContentFilter,
            _ if !tool_calls.is_empty() => FinishReason::ToolCalls,
            _ => FinishReason::Stop,
        };
        Ok(Completion {
            text: turn.text,
            reasoning: turn.reasoning,
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
    use crate::chat::Message;

    fn backend(json: &str) -> ScriptedBackend {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, json).unwrap();
        ScriptedBackend::from_file(&path).unwrap()
    }

    #[tokio::test]
    async fn replays_turns_then_reports_exhaustion() {
        let b = backend(
            r#"{"turns":[{"text":"hi","tool_calls":[{"name":"grep","arguments":{"pattern":"x"}},{"name":"shell","arguments":"{bad"}]},{"text":"bye"}]}"#,
        );
        let msgs = [Message::User {
            content: "task".into(),
        }];
        let req = ChatRequest::new(&msgs, &[]);
        let cancel = CancellationToken::new();
        let mut seen = Vec::new();
        let mut sink = |d: Delta| seen.push(d);
        let c1 = b.complete(req, &mut sink, &cancel).await.unwrap();
        assert_eq!(c1.tool_calls.len(), 2);
        assert_eq!(c1.tool_calls[0].arguments, r#"{"pattern":"x"}"#);
        assert_eq!(c1.tool_calls[1].arguments, "{bad");
        assert_eq!(c1.finish, FinishReason::ToolCalls);
        assert!(c1.usage.prompt_tokens > 0);
        let c2 = b.complete(req, &mut sink, &cancel).await.unwrap();
        assert_eq!(c2.text, "bye");
        let err = b.complete(req, &mut sink, &cancel).await.unwrap_err();
        assert!(err.to_string().contains("has 2 turns"), "{err}");
        assert!(seen.contains(&Delta::Text { text: "hi".into() }));
    }

    #[test]
    fn bad_script_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        std::fs::write(&path, r#"{"turns":[{"txt":"x"}]}"#).unwrap();
        let err = ScriptedBackend::from_file(&path).err().unwrap().to_string();
        assert!(err.contains("bad.json") && err.contains("txt"), "{err}");
    }
}
