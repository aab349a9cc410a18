//! The agent loop: send the conversation, run the tool calls, repeat.
//!
//! A turn is one model request. The loop ends when the model answers without
//! calling a tool, a limit is reached (turns, wall time, tokens), the backend
//! fails for good, or the cancellation token fires. Nothing the model sends
//! can make it panic: every bad call becomes a tool result.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::approval::Approvals;
use crate::backend::{Backend, BackendError, ChatRequest, Completion, Delta, FinishReason};
use crate::chat::{Message, SamplingPrefs, ToolCall, ToolCallMode, ToolSpec};
use crate::profile::ProfileInfo;
use crate::profile::tokens::BYTES_PER_TOKEN;
use crate::sandbox::SandboxInfo;
use crate::tools::truncate::head_tail;
use crate::tools::{ToolContext, ToolError, ToolRegistry, ToolResult};

use super::compact::CompactReason;
use super::context::{CompactAt, ContextUse};
use super::events::{EventKind, LimitsInfo, Outcome, SafetyInfo, SessionStats};
use super::loop_guard::{LoopGuard, Verdict, repeat_notice, repeat_success_notice};
use super::prefix::PrefixTracker;
use super::scaffold::{Progress, Scaffold};
use super::sink::Emitter;

/// How often one turn is sampled again when it only repeats failed calls.
const MAX_RESAMPLES: u32 = 2;

/// The budgets one task runs under.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_turns: u32,
    pub timeout: Option<Duration>,
    /// Total prompt + completion tokens across all turns.
    pub max_tokens: Option<u64>,
    /// Identical failing calls before the loop guard ends the session.
    pub loop_guard_give_up: u32,
    /// Where to compact, overriding the profile (`--compact-at`).
    pub compact_at: Option<CompactAt>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_turns: 50,
            timeout: None,
            max_tokens: None,
            loop_guard_give_up: 5,
            compact_at: None,
        }
    }
}

/// How a task ended.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionEnd {
    pub outcome: Outcome,
    pub final_answer: Option<String>,
    pub error: Option<String>,
}

impl SessionEnd {
    fn new(outcome: Outcome) -> Self {
        Self {
            outcome,
            final_answer: None,
            error: None,
        }
    }

    fn error(outcome: Outcome, error: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            ..Self::new(outcome)
        }
    }
}

/// What a session is made of.
pub struct SessionParts {
    pub backend: Arc<dyn Backend>,
    pub tools: ToolRegistry,
    pub system_prompt: String,
    pub ctx: ToolContext,
    pub limits: Limits,
    pub emitter: Emitter,
    pub profile: SessionProfile,
    pub safety: SessionSafety,
}

/// What the agent may do without asking, and the sandbox its commands
/// run in (the sandbox itself travels with the workspace).
#[derive(Debug, Default)]
pub struct SessionSafety {
    pub approvals: Approvals,
    /// For events; `None` where no sandbox was planned (tests).
    pub sandbox: Option<SandboxInfo>,
}

/// What the session takes from its prompt profile besides the prompt and
/// the tools.
#[derive(Clone, Debug, Default)]
pub struct SessionProfile {
    /// For events; `None` where no profile was chosen (tests).
    pub info: Option<ProfileInfo>,
    pub sampling: SamplingPrefs,
    pub tool_calls: ToolCallMode,
    pub scaffold: Scaffold,
    /// The tools a forced first call may use (empty: any).
    pub first_call_tools: Vec<String>,
    /// Where the conversation is compacted (`None`: only when it would
    /// not fit otherwise, or on `/compact`).
    pub compact_at: Option<CompactAt>,
    /// Tokens of repo map for the first task (0: none).
    pub repo_map_tokens: usize,
}

impl SessionProfile {
    /// The request for `messages` with `tools` under this profile.
    pub(crate) fn request<'a>(
        &'a self,
        messages: &'a [Message],
        tools: &'a [ToolSpec],
        resample: u32,
    ) -> ChatRequest<'a> {
        ChatRequest {
            resample,
            sampling: self.sampling,
            tool_calls: self.tool_calls,
            first_call_tools: &self.first_call_tools,
            ..ChatRequest::new(messages, tools)
        }
    }
}

pub struct Session {
    backend: Arc<dyn Backend>,
    tools: ToolRegistry,
    /// Fixed for the whole session so the request prefix never changes.
    specs: Vec<ToolSpec>,
    messages: Vec<Message>,
    ctx: ToolContext,
    limits: Limits,
    emitter: Emitter,
    guard: LoopGuard,
    prefix: PrefixTracker,
    stats: SessionStats,
    profile: SessionProfile,
    progress: Progress,
    safety: SessionSafety,
    /// Text streamed in the turn in flight, kept if the user interrupts it.
    partial: String,
    /// The last task was interrupted; the next one says so to the model.
    interrupted: bool,
    /// Checkpoints before each turn's first change, and undo.
    undo: undo::UndoState,
    /// Tasks and edited files for summaries; compaction bookkeeping.
    compaction: compaction::CompactState,
}

impl Session {
    pub fn new(parts: SessionParts) -> Self {
        let SessionParts {
            backend,
            tools,
            system_prompt,
            ctx,
            limits,
            emitter,
            profile,
            safety,
        } = parts;
        let specs = tools.specs();
        let guard = LoopGuard::new(limits.loop_guard_give_up);
        Self {
            backend,
            tools,
            specs,
            messages: vec![Message::System {
                content: system_prompt,
            }],
            ctx,
            limits,
            emitter,
            guard,
            prefix: PrefixTracker::default(),
            stats: SessionStats::default(),
            profile,
            progress: Progress::default(),
            safety,
            partial: String::new(),
            interrupted: false,
            undo: undo::UndoState::default(),
            compaction: compaction::CompactState::default(),
        }
    }

    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    pub fn stats(&self) -> &SessionStats {
        &self.stats
    }

    /// Where the session's events go (for callers that add their own).
    pub fn emitter_mut(&mut self) -> &mut Emitter {
        &mut self.emitter
    }

    /// What the tools work with (the TUI marks attached files as read).
    pub fn tool_context(&self) -> &ToolContext {
        &self.ctx
    }

    /// The token that interrupts the next task (the TUI makes one per task).
    pub fn set_cancel(&mut self, cancel: tokio_util::sync::CancellationToken) {
        self.ctx.cancel = cancel;
    }

    /// Starts a new conversation segment from an earlier one's messages
    /// (after the system prompt): a `/model` or `/profile` switch. The next
    /// request renders them anew, so it is reported as a prefix break.
    pub fn carry_over(&mut self, history: &[Message]) {
        let carried = history
            .iter()
            .filter(|m| !matches!(m, Message::System { .. }))
            .cloned();
        self.messages.extend(carried);
    }

    /// The approval state (the TUI changes the policy mid-session; the
    /// tools and the prompt stay as they are).
    pub fn approvals_mut(&mut self) -> &mut Approvals {
        &mut self.safety.approvals
    }

    /// Swaps the event emitter (a new conversation segment keeps the
    /// session's emitter, and with it the session file and `seq`).
    pub fn replace_emitter(&mut self, emitter: Emitter) -> Emitter {
        std::mem::replace(&mut self.emitter, emitter)
    }

    /// The budgets of the next task (`kiln fix` spreads one deadline over
    /// its attempts).
    pub fn limits_mut(&mut self) -> &mut Limits {
        &mut self.limits
    }

    /// Emits `session_started`; call once before the first task.
    pub fn start(&mut self) {
        let kind = EventKind::SessionStarted {
            kiln_version: env!("CARGO_PKG_VERSION").to_string(),
            cwd: self.ctx.workspace.root().to_path_buf(),
            backend: self.backend.info(),
            tools: self.specs.iter().map(|s| s.name.clone()).collect(),
            limits: LimitsInfo {
                max_turns: self.limits.max_turns,
                timeout_secs: self.limits.timeout.map(|t| t.as_secs()),
                max_tokens: self.limits.max_tokens,
            },
            profile: self.profile.info.clone(),
            safety: Some(SafetyInfo {
                approval: self.safety.approvals.policy(),
                sandbox: self.safety.sandbox.clone(),
            }),
            system_prompt_sha256: self.system_prompt_sha256(),
        };
        self.emitter.emit(kind);
    }

    /// Continues a recorded conversation: `history` is everything after
    /// the system prompt, which comes from `parts` (rebuilt, so the request
    /// prefix matches when nothing changed). Call
    /// [`Session::start_resumed`] instead of [`Session::start`].
    pub fn resume(parts: SessionParts, history: Vec<Message>) -> Self {
        let mut session = Self::new(parts);
        session.messages.extend(history);
        session
    }

    /// Emits `session_resumed`; call once before the first task of a
    /// resumed session.
    pub fn start_resumed(&mut self, from_session: &str) {
        let kind = EventKind::SessionResumed {
            from_session: from_session.to_string(),
            messages: self.messages.len(),
            backend: self.backend.info(),
            profile: self.profile.info.clone(),
            system_prompt_sha256: self.system_prompt_sha256(),
        };
        self.emitter.emit(kind);
    }

    fn system_prompt_sha256(&self) -> String {
        match self.messages.first() {
            Some(Message::System { content }) => super::prefix::sha256_hex(content),
            _ => String::new(),
        }
    }

    /// Runs one user task to its end and emits `session_completed`.
    pub async fn run_task(&mut self, task: &str) -> SessionEnd {
        let started = Instant::now();
        self.progress.reset();
        let task = match std::mem::take(&mut self.interrupted) {
            true => format!("(The user interrupted your previous answer.)\n\n{task}"),
            false => task.to_string(),
        };
        self.emitter
            .emit(EventKind::UserMessage { text: task.clone() });
        self.compaction.tasks.push(task.clone());
        let content = self.begin_task(&task);
        self.messages.push(Message::User { content });
        let cancel = self.ctx.cancel.clone();
        let deadline = self.limits.timeout.map(|t| tokio::time::Instant::now() + t);
        let end = tokio::select! {
            end = self.turns() => end,
            _ = cancel.cancelled() => SessionEnd::new(Outcome::Interrupted),
            _ = sleep_until(deadline) => SessionEnd::error(
                Outcome::TimeLimit,
                format!("time limit of {}s reached", self.limits.timeout.unwrap_or_default().as_secs()),
            ),
        };
        if end.outcome == Outcome::Interrupted {
            self.settle_interrupted();
        }
        self.stats.wall_ms += started.elapsed().as_millis() as u64;
        self.emitter.emit(EventKind::SessionCompleted {
            outcome: end.outcome,
            final_answer: end.final_answer.clone(),
            error: end.error.clone(),
            stats: self.stats.clone(),
        });
        end
    }

    /// Leaves an interrupted conversation valid and honest: the streamed
    /// part of the answer stays, every call left without a result gets one
    /// saying it was interrupted, and the next task tells the model.
    fn settle_interrupted(&mut self) {
        self.interrupted = true;
        let partial = std::mem::take(&mut self.partial);
        if !partial.trim().is_empty() {
            self.emitter.emit(EventKind::AssistantMessage {
                turn: self.stats.turns + 1,
                text: partial.clone(),
                reasoning: None,
                tool_calls: Vec::new(),
            });
            self.messages.push(Message::Assistant {
                content: partial,
                tool_calls: Vec::new(),
                reasoning: None,
            });
        }
        let Some(Message::Assistant { tool_calls, .. }) = self
            .messages
            .iter()
            .rev()
            .find(|m| !matches!(m, Message::Tool { .. }))
        else {
            return;
        };
        let answered: Vec<&str> = self
            .messages
            .iter()
            .rev()
            .take_while(|m| matches!(m, Message::Tool { .. }))
            .filter_map(|m| match m {
                Message::Tool { tool_call_id, .. } => Some(tool_call_id.as_str()),
                _ => None,
            })
            .collect();
        let missing: Vec<ToolCall> = tool_calls
            .iter()
            .filter(|c| !answered.contains(&c.id.as_str()))
            .cloned()
            .collect();
        for call in missing {
            let content =
                "interrupted: the user stopped the session before this call finished".to_string();
            self.emitter.emit(EventKind::ToolCallCompleted {
                turn: self.stats.turns,
                call_id: call.id.clone(),
                name: call.name.clone(),
                ok: false,
                error_kind: Some("interrupted".into()),
                output: content.clone(),
                truncated_for_model: false,
                for_model: None,
                details: Default::default(),
                duration_ms: 0,
            });
            self.messages.push(Message::Tool {
                tool_call_id: call.id,
                name: call.name,
                content,
            });
        }
    }

    async fn turns(&mut self) -> SessionEnd {
        let mut turn = 0;
        loop {
            if let Some(end) = self.limit_reached(turn) {
                return end;
            }
            turn += 1;
            let completion = match self.turn_completion(turn).await {
                Ok(c) => c,
                Err(end) => return end,
            };
            if completion.tool_calls.is_empty() {
                if completion.finish != FinishReason::Length && self.nudge(turn) {
                    continue;
                }
                return finished(completion);
            }
            for call in &completion.tool_calls {
                if let Some(end) = self.run_tool(turn, call).await {
                    return end;
                }
            }
        }
    }

    /// Sends the profile's nudge when the turn ended without a tool call
    /// while the work looks unfinished; returns whether it did.
    fn nudge(&mut self, turn: u32) -> bool {
        let can_run = self.tools.get("shell").is_some();
        let Some((text, reason)) = self.progress.nudge(&self.profile.scaffold, can_run) else {
            return false;
        };
        self.emitter.emit(EventKind::Nudged {
            turn,
            reason,
            text: text.clone(),
        });
        self.messages.push(Message::User { content: text });
        true
    }

    fn limit_reached(&self, turns_done: u32) -> Option<SessionEnd> {
        if turns_done >= self.limits.max_turns {
            return Some(SessionEnd::error(
                Outcome::TurnLimit,
                format!("turn limit of {} reached", self.limits.max_turns),
            ));
        }
        let used = self.stats.usage.total();
        match self.limits.max_tokens {
            Some(max) if used >= max => Some(SessionEnd::error(
                Outcome::TokenLimit,
                format!("token limit of {max} reached ({used} used)"),
            )),
            _ => None,
        }
    }

    /// Gets the turn's completion and appends it as the assistant message.
    /// A completion whose calls all repeat calls that already failed is,
    /// where the backend can sample differently, discarded and asked for
    /// again (at most [`MAX_RESAMPLES`] times): greedy decoding would
    /// otherwise repeat it word for word, whatever the error said.
    async fn turn_completion(&mut self, turn: u32) -> Result<Completion, SessionEnd> {
        let mut resample = 0;
        loop {
            let started = Instant::now();
            let completion = self.request(turn, resample).await?;
            let can_resample = resample < MAX_RESAMPLES && self.backend.can_resample();
            let repeated = can_resample
                .then(|| self.repeated_failure(&completion))
                .flatten();
            if repeated.is_none() {
                self.messages.push(Message::Assistant {
                    content: completion.text.clone(),
                    tool_calls: completion.tool_calls.clone(),
                    reasoning: completion.reasoning.clone(),
                });
                self.emitter.emit(EventKind::AssistantMessage {
                    turn,
                    text: completion.text.clone(),
                    reasoning: completion.reasoning.clone(),
                    tool_calls: completion.tool_calls.clone(),
                });
            }
            self.emitter.emit(EventKind::TurnCompleted {
                turn,
                usage: completion.usage,
                finish_reason: completion.finish.clone(),
                duration_ms: started.elapsed().as_millis() as u64,
                engine: completion.engine.clone(),
            });
            match repeated {
                Some(name) => {
                    resample += 1;
                    self.emitter.emit(EventKind::Resampled {
                        turn,
                        attempt: resample,
                        reason: format!(
                            "the answer repeated a `{name}` call that already failed the same \
                             way; it was discarded and sampled again"
                        ),
                    });
                }
                None => return Ok(completion),
            }
        }
    }

    /// The tool name when every call of `completion` already failed before
    /// with the same arguments.
    fn repeated_failure(&self, completion: &Completion) -> Option<String> {
        let calls = &completion.tool_calls;
        let all = !calls.is_empty() && calls.iter().all(|c| self.guard.has_failed(c));
        all.then(|| calls[0].name.clone())
    }

    /// Sends the conversation (compacted first if it outgrew its point);
    /// counts the usage. A backend that says the prompt does not fit (its
    /// window smaller than kiln knew) gets one compacted retry.
    async fn request(&mut self, turn: u32, resample: u32) -> Result<Completion, SessionEnd> {
        let mut compacted_for_overflow = false;
        loop {
            self.announce_turn(turn).await?;
            let failed = match self.send(turn, resample).await {
                Ok(completion) => {
                    self.stats.turns += 1;
                    self.stats.add_usage(&completion);
                    return Ok(completion);
                }
                Err(BackendError::Cancelled) => return Err(SessionEnd::new(Outcome::Interrupted)),
                Err(BackendError::ContextFull(m)) => m,
                Err(e) => return Err(SessionEnd::error(Outcome::BackendError, e.to_string())),
            };
            let retry = match compacted_for_overflow {
                true => Err(CompactError::Nothing),
                false => self.compact(turn, CompactReason::Overflow).await,
            };
            compacted_for_overflow = true;
            match retry {
                Ok(_) => continue,
                Err(CompactError::Cancelled) => return Err(SessionEnd::new(Outcome::Interrupted)),
                Err(CompactError::Nothing) => {
                    return Err(SessionEnd::error(
                        Outcome::ContextExhausted,
                        format!(
                            "{failed}; compaction could not shorten the conversation enough. \
                             Set the provider's `context_window` so kiln compacts in time"
                        ),
                    ));
                }
            }
        }
    }

    /// Fits the context, then emits `turn_started` (and `prefix_broken`
    /// where the request does not extend the previous one).
    async fn announce_turn(&mut self, turn: u32) -> Result<(), SessionEnd> {
        let context: ContextUse = self.fit_context(turn).await?;
        self.emitter.emit(EventKind::TurnStarted {
            turn,
            messages: self.messages.len(),
            context: Some(context),
        });
        let compacted = std::mem::take(&mut self.compaction.just_compacted);
        if let Some(at) = self.prefix.observe(&self.messages) {
            let reason = match compacted {
                true => "compaction replaced the older turns with a summary",
                false => "the conversation was rewritten",
            };
            self.emitter.emit(EventKind::PrefixBroken {
                turn,
                at_message: at,
                reason: reason.into(),
            });
        }
        Ok(())
    }

    /// One request, streaming its deltas as events; the streamed text is
    /// kept in `partial` until it completes (an interrupt keeps it).
    async fn send(&mut self, turn: u32, resample: u32) -> Result<Completion, BackendError> {
        let request = self.profile.request(&self.messages, &self.specs, resample);
        let emitter = &mut self.emitter;
        let partial = &mut self.partial;
        partial.clear();
        let mut on_delta = |d: Delta| {
            if let Delta::Text { text } = &d {
                partial.push_str(text);
            }
            emitter.emit(delta_event(turn, d))
        };
        let completion = self
            .backend
            .complete(request, &mut on_delta, &self.ctx.cancel)
            .await?;
        self.partial.clear();
        Ok(completion)
    }

    /// Runs one call and appends its result. Returns an end when the loop
    /// guard gives up.
    async fn run_tool(&mut self, turn: u32, call: &ToolCall) -> Option<SessionEnd> {
        self.emitter.emit(EventKind::ToolCallStarted {
            turn,
            call_id: call.id.clone(),
            name: call.name.clone(),
            arguments: call.arguments.clone(),
        });
        let result = match self.approve(turn, call).await {
            Some(refusal) => ToolResult {
                outcome: Err(ToolError::Refused(refusal)),
                duration: Duration::ZERO,
            },
            None => {
                // Only calls that will run are worth a checkpoint.
                self.checkpoint_before(turn, call).await;
                self.tools.dispatch(call, &self.ctx).await
            }
        };
        let mut for_model = result.for_model(self.tools.spec(&call.name));
        if result.outcome.is_ok() {
            for_model = self.fit_output(for_model).await;
        }
        let checked_changes = self.progress.observe(call, &result.outcome);
        let scaffold = &self.profile.scaffold;
        match &result.outcome {
            Err(e) => for_model.extend(scaffold.hint(e)),
            Ok(_) if checked_changes => {
                for_model.extend(
                    scaffold
                        .done_hint
                        .as_ref()
                        .map(|h| format!("\n\n{}", h.trim())),
                );
            }
            Ok(_) => {}
        }
        self.stats.tool_calls += 1;
        let mut truncated_for_model = false;
        // `full` is the successful output; a failure's output is what the
        // model is told, notice included.
        let (verdict, error_kind, full, details) = match &result.outcome {
            Ok(out) => {
                self.compaction
                    .edited
                    .extend(out.details.changed_files.iter().cloned());
                truncated_for_model = for_model != out.full;
                let verdict = self.guard.succeeded(call, &out.full);
                (verdict, None, Some(out.full.clone()), out.details.clone())
            }
            Err(e) => {
                *self.stats.tool_errors.entry(e.kind().into()).or_default() += 1;
                let verdict = self.guard.failed(call, &for_model);
                (
                    verdict,
                    Some(e.kind().to_string()),
                    None,
                    Default::default(),
                )
            }
        };
        let ok = full.is_some();
        let end = self.guard_verdict(turn, call, verdict, ok, &mut for_model);
        let output = full.unwrap_or_else(|| for_model.clone());
        // Replay needs what the model saw; only stored where it differs.
        let seen = (for_model != output).then(|| for_model.clone());
        self.messages.push(Message::Tool {
            tool_call_id: call.id.clone(),
            name: call.name.clone(),
            content: for_model,
        });
        self.emitter.emit(EventKind::ToolCallCompleted {
            turn,
            call_id: call.id.clone(),
            name: call.name.clone(),
            ok,
            error_kind,
            output,
            truncated_for_model,
            for_model: seen,
            details,
            duration_ms: result.duration.as_millis() as u64,
        });
        end
    }

    /// A tool's output for the model within the profile's token budget:
    /// tools cut at the estimate (bytes / 3); where the backend counts
    /// exactly and the text still runs over, it is cut again to fit.
    async fn fit_output(&mut self, text: String) -> String {
        let budget = (self.ctx.limits.max_output_bytes / BYTES_PER_TOKEN) as u64;
        let count = self.backend.count_text(&text).await;
        if !count.exact || count.tokens <= budget || count.tokens == 0 {
            return text;
        }
        let bytes = (text.len() as u64 * budget / count.tokens) as usize;
        head_tail(&text, usize::MAX, bytes).0
    }

    /// Checks `call` against the approval policy (asking the user where it
    /// says to); returns the refusal the model gets when it may not run.
    async fn approve(&mut self, turn: u32, call: &ToolCall) -> Option<String> {
        let mutates = self.tools.get(&call.name).is_some_and(|t| t.mutates());
        let verdict = self.safety.approvals.check(call, mutates).await;
        if verdict.notable() {
            if verdict.refusal.is_some() {
                self.stats.approvals_refused += 1;
            }
            self.emitter.emit(EventKind::ApprovalDecided {
                turn,
                call_id: call.id.clone(),
                name: call.name.clone(),
                policy: self.safety.approvals.policy(),
                action: verdict.action.clone(),
                decision: verdict.decision.clone(),
            });
        }
        verdict.refusal
    }

    /// Acts on the loop guard's verdict: a notice for the model on a
    /// repeat, the end of the session at the limit.
    fn guard_verdict(
        &mut self,
        turn: u32,
        call: &ToolCall,
        verdict: Verdict,
        ok: bool,
        for_model: &mut String,
    ) -> Option<SessionEnd> {
        match verdict {
            Verdict::Fresh => None,
            Verdict::Repeated { repeats } => {
                self.loop_guard_hit(turn, call, repeats);
                let notice = match ok {
                    true => repeat_success_notice(repeats),
                    false => self
                        .profile
                        .scaffold
                        .repeat_notice(repeats)
                        .unwrap_or_else(|| repeat_notice(repeats)),
                };
                for_model.push_str(&notice);
                None
            }
            Verdict::GiveUp { repeats } => {
                self.loop_guard_hit(turn, call, repeats);
                let error = if ok {
                    format!(
                        "loop guard: the model made the same `{}` call {repeats} times in a row \
                         with the same result",
                        call.name
                    )
                } else {
                    format!(
                        "loop guard: the model made the same failing `{}` call {repeats} times",
                        call.name
                    )
                };
                Some(SessionEnd::error(Outcome::Failed, error))
            }
        }
    }

    fn loop_guard_hit(&mut self, turn: u32, call: &ToolCall, repeats: u32) {
        self.stats.loop_guard_hits += 1;
        self.emitter.emit(EventKind::LoopGuard {
            turn,
            name: call.name.clone(),
            repeats,
        });
    }
}

/// The model answered without a tool call: done, unless it gave nothing
/// usable.
fn finished(completion: Completion) -> SessionEnd {
    let text = completion.text.trim();
    match completion.finish {
        FinishReason::Length => SessionEnd::error(
            Outcome::Failed,
            "the model's answer was cut off by its output token limit",
        ),
        FinishReason::ContentFilter => {
            SessionEnd::error(Outcome::Failed, "the model's answer was filtered")
        }
        _ if text.is_empty() => {
            SessionEnd::error(Outcome::Failed, "the model ended without an answer")
        }
        _ => SessionEnd {
            final_answer: Some(text.to_string()),
            ..SessionEnd::new(Outcome::Done)
        },
    }
}

fn delta_event(turn: u32, delta: Delta) -> EventKind {
    match delta {
        Delta::Text { text } => EventKind::AssistantDelta { turn, text },
        Delta::Reasoning { text } => EventKind::ReasoningDelta { turn, text },
        Delta::ToolCallStarted { index, name } => {
            EventKind::ToolCallStreaming { turn, index, name }
        }
        Delta::Retry {
            attempt,
            delay_ms,
            reason,
        } => EventKind::BackendRetry {
            turn,
            attempt,
            delay_ms,
            reason,
        },
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[path = "session_undo.rs"]
mod undo;

#[path = "session_compact.rs"]
mod compaction;
pub use compaction::{CompactError, Compaction};

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "session_compact_tests.rs"]
mod compact_tests;
