//! The transcript: what the session said and did, built from its events.
//!
//! Entries carry a version that changes whenever their text does, so the
//! view can cache their rendered lines and redo only what changed.

use crate::agent::EventKind;
use crate::agent::events::wire_name;
use crate::approval::Decision;

/// One block of the transcript.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    User(String),
    /// Assistant text; `streaming` while deltas still arrive.
    Assistant {
        text: String,
        streaming: bool,
    },
    Tool(ToolCard),
    /// `/diff`'s output.
    Diff(String),
    /// Something kiln says: warnings, refusals, outcomes, command output.
    Notice {
        text: String,
        level: Level,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

/// A tool call: collapsed to one line, expandable to its full output.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolCard {
    pub call_id: String,
    pub name: String,
    /// The key argument (path, command, pattern), clipped.
    pub summary: String,
    pub status: ToolStatus,
    pub output: String,
    pub diff: Option<String>,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolStatus {
    Running,
    Ok,
    /// Failed, with the error kind.
    Failed(String),
}

/// The transcript and a version per entry.
#[derive(Debug, Default)]
pub struct Transcript {
    entries: Vec<(Entry, u64)>,
    next_version: u64,
}

impl Transcript {
    pub fn entries(&self) -> impl Iterator<Item = (&Entry, u64)> {
        self.entries.iter().map(|(e, v)| (e, *v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes the last entry (benchmarks replace a streaming answer).
    pub fn pop_last(&mut self) -> Option<Entry> {
        self.entries.pop().map(|(e, _)| e)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn push(&mut self, entry: Entry) {
        let v = self.bump();
        self.entries.push((entry, v));
    }

    pub fn notice(&mut self, level: Level, text: impl Into<String>) {
        self.push(Entry::Notice {
            text: text.into(),
            level,
        });
    }

    fn bump(&mut self) -> u64 {
        self.next_version += 1;
        self.next_version
    }

    /// The last entry, to change it in place (its version moves on).
    fn last_mut(&mut self) -> Option<&mut Entry> {
        let v = self.bump();
        self.entries.last_mut().map(|(e, ver)| {
            *ver = v;
            e
        })
    }

    fn card_mut(&mut self, call_id: &str) -> Option<&mut ToolCard> {
        let v = self.bump();
        self.entries.iter_mut().rev().find_map(|(e, ver)| match e {
            Entry::Tool(card) if card.call_id == call_id => {
                *ver = v;
                Some(card)
            }
            _ => None,
        })
    }

    /// Folds one event in. Returns whether anything visible changed.
    pub fn apply(&mut self, kind: &EventKind) -> bool {
        match kind {
            EventKind::UserMessage { text } => self.push(Entry::User(text.clone())),
            EventKind::AssistantDelta { text, .. } => self.stream(text),
            EventKind::AssistantMessage { text, .. } => self.finish_text(text),
            EventKind::ToolCallStarted {
                call_id,
                name,
                arguments,
                ..
            } => {
                self.end_stream();
                self.push(Entry::Tool(ToolCard {
                    call_id: call_id.clone(),
                    name: name.clone(),
                    summary: summarize_args(name, arguments),
                    status: ToolStatus::Running,
                    output: String::new(),
                    diff: None,
                    duration_ms: 0,
                }));
            }
            EventKind::ToolCallCompleted {
                call_id,
                ok,
                error_kind,
                output,
                details,
                duration_ms,
                ..
            } => {
                if let Some(card) = self.card_mut(call_id) {
                    card.status = match ok {
                        true => ToolStatus::Ok,
                        false => ToolStatus::Failed(error_kind.clone().unwrap_or_default()),
                    };
                    card.output = output.clone();
                    card.diff = details.diff.clone();
                    card.duration_ms = *duration_ms;
                }
            }
            EventKind::ApprovalDecided {
                action, decision, ..
            } => {
                let what = match decision {
                    Decision::AllowedByUser => "allowed by you",
                    Decision::AllowedForSession => "allowed for this session",
                    Decision::Denied => "denied by you",
                    Decision::Refused => "refused by the approval policy",
                    Decision::Allowed => "allowed",
                };
                self.notice(Level::Warning, format!("{what}: {}", action.describe()))
            }
            EventKind::Warning { message } => self.notice(Level::Warning, message.clone()),
            EventKind::FilesRestored { checkpoint, files } => {
                let list: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
                let short = checkpoint.get(..10).unwrap_or(checkpoint);
                self.notice(
                    Level::Info,
                    format!("undo: restored checkpoint {short}: {}", list.join(", ")),
                )
            }
            EventKind::Nudged { reason, .. } => {
                self.notice(Level::Info, format!("nudged the model: {reason}"))
            }
            EventKind::LoopGuard { name, repeats, .. } => self.notice(
                Level::Warning,
                format!("loop guard: the same `{name}` call {repeats} times"),
            ),
            EventKind::BackendRetry {
                attempt,
                delay_ms,
                reason,
                ..
            } => self.notice(
                Level::Warning,
                format!("retry {attempt} in {delay_ms} ms: {reason}"),
            ),
            EventKind::CompactionStarted { .. }
            | EventKind::Compacted { .. }
            | EventKind::RepoMapAdded { .. } => match crate::agent::sink::progress_line(kind) {
                Some(line) => self.notice(Level::Info, line.trim().to_string()),
                None => return false,
            },
            EventKind::PrefixBroken { reason, .. } => {
                self.notice(Level::Info, format!("prompt prefix broken: {reason}"))
            }
            EventKind::SessionCompleted { outcome, error, .. } => {
                self.end_stream();
                match error {
                    Some(e) => self.notice(Level::Error, format!("{}: {e}", wire_name(outcome))),
                    None if wire_name(outcome) == "interrupted" => {
                        self.notice(Level::Warning, "interrupted")
                    }
                    None => return false,
                }
            }
            _ => return false,
        }
        true
    }

    fn streaming(&self) -> bool {
        matches!(
            self.entries.last(),
            Some((
                Entry::Assistant {
                    streaming: true,
                    ..
                },
                _
            ))
        )
    }

    fn stream(&mut self, text: &str) {
        if !self.streaming() {
            self.push(Entry::Assistant {
                text: text.to_string(),
                streaming: true,
            });
        } else if let Some(Entry::Assistant { text: t, .. }) = self.last_mut() {
            t.push_str(text);
        }
    }

    /// The finished message replaces what streamed (they match, except that
    /// tool-call markup a backend recovered from the text is gone).
    fn finish_text(&mut self, text: &str) {
        if self.streaming() {
            if text.trim().is_empty() {
                self.entries.pop();
            } else if let Some(Entry::Assistant { text: t, streaming }) = self.last_mut() {
                *t = text.to_string();
                *streaming = false;
            }
        } else if !text.trim().is_empty() {
            self.push(Entry::Assistant {
                text: text.to_string(),
                streaming: false,
            });
        }
    }

    /// A stream cut short (interrupt, error) stays as it is, marked done.
    fn end_stream(&mut self) {
        if !self.streaming() {
            return;
        }
        if let Some(Entry::Assistant { streaming, .. }) = self.last_mut() {
            *streaming = false;
        }
    }
}

/// The argument a person wants to see on a tool card's one line.
pub fn summarize_args(name: &str, arguments: &str) -> String {
    let args: serde_json::Value = serde_json::from_str(arguments).unwrap_or_default();
    let get = |k: &str| args.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let text = match name {
        "shell" => get("command"),
        "grep" => get("pattern").map(|p| match get("path") {
            Some(path) => format!("{p} in {path}"),
            None => p,
        }),
        "apply_patch" => {
            get("patch").map(|p| crate::tools::apply_patch::named_paths(&p).join(", "))
        }
        _ => get("path"),
    };
    let text = text.unwrap_or_else(|| arguments.to_string());
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match flat.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::ToolDetails;

    fn delta(t: &str) -> EventKind {
        EventKind::AssistantDelta {
            turn: 1,
            text: t.into(),
        }
    }

    #[test]
    fn deltas_stream_into_one_entry_then_the_message_settles_it() {
        let mut t = Transcript::default();
        t.apply(&EventKind::UserMessage { text: "hi".into() });
        t.apply(&delta("Hel"));
        t.apply(&delta("lo"));
        let (e, v1) = t.entries().last().map(|(e, v)| (e.clone(), v)).unwrap();
        assert_eq!(
            e,
            Entry::Assistant {
                text: "Hello".into(),
                streaming: true
            }
        );
        t.apply(&EventKind::AssistantMessage {
            turn: 1,
            text: "Hello.".into(),
            reasoning: None,
            tool_calls: vec![],
        });
        let (e, v2) = t.entries().last().map(|(e, v)| (e.clone(), v)).unwrap();
        assert_eq!(
            e,
            Entry::Assistant {
                text: "Hello.".into(),
                streaming: false
            }
        );
        assert!(v2 > v1, "a change moves the version on");
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn tool_cards_fill_in_when_the_call_completes() {
        let mut t = Transcript::default();
        t.apply(&EventKind::ToolCallStarted {
            turn: 1,
            call_id: "c1".into(),
            name: "shell".into(),
            arguments: r#"{"command":"python3 -m unittest\n-q"}"#.into(),
        });
        let Some((Entry::Tool(card), _)) = t.entries().last() else {
            panic!("no card")
        };
        assert_eq!(card.summary, "python3 -m unittest -q");
        assert_eq!(card.status, ToolStatus::Running);
        t.apply(&EventKind::ToolCallCompleted {
            turn: 1,
            call_id: "c1".into(),
            name: "shell".into(),
            ok: false,
            error_kind: Some("failed".into()),
            output: "boom".into(),
            truncated_for_model: false,
            for_model: None,
            details: ToolDetails {
                diff: Some("+x".into()),
                ..Default::default()
            },
            duration_ms: 12,
        });
        let Some((Entry::Tool(card), _)) = t.entries().last() else {
            panic!("no card")
        };
        assert_eq!(card.status, ToolStatus::Failed("failed".into()));
        assert_eq!(card.output, "boom");
        assert_eq!(card.diff.as_deref(), Some("+x"));
    }

    #[test]
    fn empty_final_text_removes_a_blank_stream() {
        let mut t = Transcript::default();
        t.apply(&delta("  "));
        t.apply(&EventKind::AssistantMessage {
            turn: 1,
            text: " ".into(),
            reasoning: None,
            tool_calls: vec![],
        });
        assert!(t.is_empty());
    }
}
