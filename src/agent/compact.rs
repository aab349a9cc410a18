//! Compaction: replacing older turns with one summary message.
//!
//! The pure half of it: where to cut, what to ask the model, and the
//! message that replaces the older turns. The session's half (sending
//! the summary request, swapping the messages, events) is in
//! `session_compact.rs`.
//!
//! The cut falls just before an assistant message, so the conversation
//! stays `system, user (summary), assistant, tool…, assistant…`: roles
//! still alternate and every kept tool result keeps its call.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Serialize;

use crate::backend::count::estimate_message;
use crate::chat::Message;
use crate::tools::truncate::head_tail;

/// Appended to the conversation to get the summary; the answer replaces
/// everything between the system prompt and the kept turns.
pub const SUMMARY_REQUEST: &str = "Stop working for a moment: the conversation is about to be \
shortened. Earlier messages will be replaced by your summary; the latest turns stay. Write the \
summary now, as plain text, in at most 250 words, without calling any tool:\n\
- what the user asked, with every requirement and constraint;\n\
- what you found: file paths, function names, error messages, facts you will need;\n\
- what you changed so far and why;\n\
- what is left to do, step by step.";

/// Longest stretch of one task's text copied into the summary message.
const TASK_BYTES: usize = 4_000;
/// Most tasks repeated in the summary message (the latest ones).
const MAX_TASKS: usize = 5;

/// Why the conversation was compacted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompactReason {
    /// The prompt passed the profile's (or `--compact-at`'s) point.
    Threshold,
    /// The user asked (`/compact`).
    User,
    /// The backend refused the prompt as longer than its context.
    Overflow,
}

/// Who wrote the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryBy {
    Model,
    /// The model's summary failed or was empty: kiln listed the calls made.
    Kiln,
}

/// The index of the first kept message: the earliest assistant message
/// from which the rest of the conversation fits `keep_tokens` (estimated),
/// but never later than the last assistant message, so the latest turn and
/// its tool results are always kept. `None` when nothing before the kept
/// part is worth summarising (no assistant turn before it).
pub fn split(messages: &[Message], keep_tokens: u64) -> Option<usize> {
    let starts: Vec<usize> = messages
        .iter()
        .enumerate()
        .filter(|(i, m)| *i >= 2 && matches!(m, Message::Assistant { .. }))
        .map(|(i, _)| i)
        .collect();
    let last = *starts.last()?;
    let mut tail: u64 = messages[last..].iter().map(estimate_message).sum();
    let mut cut = last;
    for &start in starts.iter().rev().skip(1) {
        let more: u64 = messages[start..cut].iter().map(estimate_message).sum();
        if tail + more > keep_tokens {
            break;
        }
        tail += more;
        cut = start;
    }
    // Something before the cut must be a turn of the model's, else the
    // summary would only repeat the task.
    let summarised = messages[1..cut]
        .iter()
        .any(|m| matches!(m, Message::Assistant { .. }));
    summarised.then_some(cut)
}

/// Fewest tokens (estimated) the replaced messages must hold for an
/// automatic compaction to be worth a summary request and a prefix break.
pub const MIN_REPLACED_TOKENS: u64 = 600;

/// The estimated tokens of the messages a cut at `cut` would replace.
pub fn replaced_tokens(messages: &[Message], cut: usize) -> u64 {
    messages[1..cut].iter().map(estimate_message).sum()
}

/// What the summary message is built from.
pub struct SummaryParts<'a> {
    /// The user's tasks so far, oldest first.
    pub tasks: &'a [String],
    pub summary: &'a str,
    /// Every file edited in the session.
    pub edited: &'a BTreeSet<PathBuf>,
    /// Messages the summary replaces.
    pub replaced: usize,
}

/// The user message that replaces the older turns. The task and the
/// edited files are written by kiln, not the model, so no summary can lose
/// them.
pub fn summary_message(parts: &SummaryParts<'_>) -> String {
    let mut out = format!(
        "[The earlier conversation was compacted: {} messages were replaced by this summary. \
         The latest turns follow unchanged.]\n\n",
        parts.replaced
    );
    let skipped = parts.tasks.len().saturating_sub(MAX_TASKS);
    let tasks = &parts.tasks[skipped..];
    out.push_str(match tasks.len() {
        1 => "# The task\n",
        _ => "# The tasks, oldest first\n",
    });
    if skipped > 0 {
        out.push_str(&format!("({skipped} earlier tasks left out)\n"));
    }
    for task in tasks {
        out.push_str(&head_tail(task.trim(), usize::MAX, TASK_BYTES).0);
        out.push_str("\n\n");
    }
    out.push_str("# Summary of the work so far\n");
    out.push_str(parts.summary.trim());
    out.push_str("\n\n# Files edited so far\n");
    if parts.edited.is_empty() {
        out.push_str("(none)\n");
    }
    for path in parts.edited {
        out.push_str(&format!("- {}\n", path.display()));
    }
    out
}

/// kiln's own summary when the model gives none: the calls it made in the
/// replaced messages and whether each worked.
pub fn fallback_summary(replaced: &[Message]) -> String {
    let mut lines = vec!["(The model's summary was not available; the calls made were:)".into()];
    for m in replaced {
        match m {
            Message::Assistant { tool_calls, .. } => {
                for c in tool_calls {
                    let args = head_tail(&c.arguments, usize::MAX, 160)
                        .0
                        .replace('\n', " ");
                    lines.push(format!("- {} {}", c.name, args));
                }
            }
            Message::Tool { content, .. } if content.starts_with("Error") => {
                if let Some(last) = lines.last_mut() {
                    last.push_str(" → failed");
                }
            }
            _ => {}
        }
    }
    lines.join("\n")
}

#[cfg(test)]
#[path = "compact_tests.rs"]
mod tests;
