//! The session's side of compaction and context accounting.
//!
//! Cache-aware by construction: the summary request is the conversation so
//! far plus one user message, so the local engine reuses its whole KV cache
//! (and an endpoint its prefix cache) for it; afterwards the system prompt
//! and the tool specs stay the prefix, so only the summary and the kept
//! turns are prefilled again.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::Session;
use crate::agent::compact::{self, CompactReason, SummaryBy, SummaryParts};
use crate::agent::context::{CompactAt, ContextUse, answer_room};
use crate::agent::events::{EventKind, Outcome};
use crate::agent::session::SessionEnd;
use crate::backend::count::TokenCount;
use crate::backend::{BackendError, ChatRequest, Delta};
use crate::chat::Message;
use crate::engine::EngineMetrics;

/// Tokens of recent turns kept verbatim when the window is unknown.
const KEEP_TOKENS_UNKNOWN_WINDOW: u64 = 2_000;

/// What compaction remembers across the session.
#[derive(Default)]
pub(super) struct CompactState {
    /// The user's tasks, as typed (no notes): the summary repeats them.
    pub(super) tasks: Vec<String>,
    /// Every file a tool call changed: the summary lists them.
    pub(super) edited: BTreeSet<PathBuf>,
    /// The next request follows a compaction (a planned prefix break).
    pub(super) just_compacted: bool,
    /// The message count right after the last compaction: with nothing new
    /// since, compacting again cannot help.
    compacted_len: usize,
}

/// Why `/compact` did nothing.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CompactError {
    #[error("nothing to compact yet: the conversation has no earlier turns to summarise")]
    Nothing,
    #[error("compaction was interrupted")]
    Cancelled,
}

/// What a compaction did.
#[derive(Clone, Debug, PartialEq)]
pub struct Compaction {
    pub before: TokenCount,
    pub after: TokenCount,
    pub replaced: usize,
    pub summary_by: SummaryBy,
}

impl Session {
    /// Remembers what a resumed conversation's summary must keep: the
    /// recorded tasks and edited files.
    pub fn restore_memory(&mut self, tasks: Vec<String>, edited: Vec<PathBuf>) {
        self.compaction.tasks = tasks;
        self.compaction.edited.extend(edited);
    }

    /// The compaction point in force: `--compact-at`, else the profile's.
    fn compact_at(&self) -> Option<CompactAt> {
        self.limits.compact_at.or(self.profile.compact_at)
    }

    /// Counts the prompt the next request would send.
    pub async fn context_use(&mut self) -> ContextUse {
        let request = self.profile.request(&self.messages, &self.specs, 0);
        let count = self.backend.count_prompt(&request).await;
        ContextUse::new(count, self.backend.info().context_window)
    }

    /// Makes the next request fit: compacts past the compaction point, and
    /// ends the task when even then the prompt leaves the answer no room.
    pub(super) async fn fit_context(&mut self, turn: u32) -> Result<ContextUse, SessionEnd> {
        let mut used = self.context_use().await;
        let can_compact = self.messages.len() > self.compaction.compacted_len;
        if can_compact && used.needs_compaction(self.compact_at()) {
            match self
                .compact_counted(turn, CompactReason::Threshold, used)
                .await
            {
                Ok(done) => used = ContextUse::new(done.after, used.window),
                Err(CompactError::Nothing) => {}
                Err(CompactError::Cancelled) => return Err(SessionEnd::new(Outcome::Interrupted)),
            }
        }
        match (used.overflows(), used.window) {
            (true, Some(window)) => Err(SessionEnd::error(
                Outcome::ContextExhausted,
                format!(
                    "the conversation needs {}{} tokens and the answer {} more, but the context \
                     window holds {window}; compaction could not shorten it enough (the latest \
                     turn alone is too long). Start a new session, or raise the context size",
                    if used.exact { "" } else { "≈" },
                    used.tokens,
                    answer_room(window),
                ),
            )),
            _ => Ok(used),
        }
    }

    /// Replaces the older turns with a summary the model writes (kiln's
    /// list of calls if it cannot), keeping the system prompt, the tasks,
    /// the edited files and the latest turns.
    pub async fn compact(
        &mut self,
        turn: u32,
        reason: CompactReason,
    ) -> Result<Compaction, CompactError> {
        let before = self.context_use().await;
        self.compact_counted(turn, reason, before).await
    }

    /// [`Session::compact`] with the prompt already counted (`before`).
    async fn compact_counted(
        &mut self,
        turn: u32,
        reason: CompactReason,
        before: ContextUse,
    ) -> Result<Compaction, CompactError> {
        // A backend that refused the prompt has a smaller window than kiln
        // knew: keep only the latest turn.
        let keep = match reason {
            CompactReason::Overflow => 0,
            _ => self.keep_tokens(before.window),
        };
        let cut = compact::split(&self.messages, keep).ok_or(CompactError::Nothing)?;
        // Automatic compaction that would free little only costs a request
        // and the prefix cache; the user's `/compact` is always honoured.
        let small = compact::replaced_tokens(&self.messages, cut) < compact::MIN_REPLACED_TOKENS;
        if reason == CompactReason::Threshold && small && !before.overflows() {
            return Err(CompactError::Nothing);
        }
        self.emitter.emit(EventKind::CompactionStarted {
            turn,
            reason,
            tokens: count(before),
        });
        let mut summary_engine = None;
        let (summary, summary_by, error) = match self.summarise(&mut summary_engine).await {
            Ok(text) => (text, SummaryBy::Model, None),
            Err(BackendError::Cancelled) => return Err(CompactError::Cancelled),
            Err(e) => (
                compact::fallback_summary(&self.messages[1..cut]),
                SummaryBy::Kiln,
                Some(e.to_string()),
            ),
        };
        let replaced = cut - 1;
        let message = compact::summary_message(&SummaryParts {
            tasks: &self.compaction.tasks,
            summary: &summary,
            edited: &self.compaction.edited,
            replaced,
        });
        let kept = self.messages.split_off(cut);
        self.messages.truncate(1);
        self.messages.push(Message::User {
            content: message.clone(),
        });
        self.messages.extend(kept);
        self.compaction.just_compacted = true;
        self.compaction.compacted_len = self.messages.len();
        self.stats.compactions += 1;
        let after = self.context_use().await;
        self.emitter.emit(EventKind::Compacted {
            turn,
            reason,
            summary_by,
            replaced,
            kept: self.messages.len() - 2,
            tokens_before: count(before),
            tokens_after: count(after),
            message,
            summary_engine,
            error,
        });
        Ok(Compaction {
            before: count(before),
            after: count(after),
            replaced,
            summary_by,
        })
    }

    /// How much of the latest turns stays verbatim: a third of the
    /// compaction point (or of the window), so compaction frees most of it.
    fn keep_tokens(&self, window: Option<u64>) -> u64 {
        let point = self
            .compact_at()
            .and_then(|a| a.threshold(window))
            .or(window);
        point.map_or(KEEP_TOKENS_UNKNOWN_WINDOW, |p| p / 3)
    }

    /// Asks the model for the summary: the conversation as it is plus one
    /// request, tools listed but not callable.
    async fn summarise(
        &mut self,
        engine: &mut Option<EngineMetrics>,
    ) -> Result<String, BackendError> {
        let mut messages = self.messages.clone();
        messages.push(Message::User {
            content: compact::SUMMARY_REQUEST.to_string(),
        });
        let request = ChatRequest {
            answer_only: true,
            first_call_tools: &[],
            ..self.profile.request(&messages, &self.specs, 0)
        };
        let mut ignore = |_: Delta| {};
        let completion = self
            .backend
            .complete(request, &mut ignore, &self.ctx.cancel)
            .await?;
        self.stats.add_usage(&completion);
        engine.clone_from(&completion.engine);
        let text = completion.text.trim();
        match text.is_empty() {
            true => Err(BackendError::Protocol(
                "the model answered the summary request without text".into(),
            )),
            false => Ok(text.to_string()),
        }
    }
}

fn count(c: ContextUse) -> TokenCount {
    TokenCount {
        tokens: c.tokens,
        exact: c.exact,
    }
}
