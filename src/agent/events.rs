//! The typed event stream every front end consumes.
//!
//! Serialised as JSONL, one object per line: `{"v":1,"type":…,"session_id":…,
//! "seq":…,"ts":…, …payload}`. Additive changes keep `v`; breaking ones bump it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::backend::{BackendInfo, FinishReason};
use crate::chat::{ToolCall, Usage};
use crate::engine::EngineMetrics;
use crate::tools::ToolDetails;

/// A unit enum's name as it is serialised (`still_failing`), for text
/// output that must match the events and config files.
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The schema version written into every event.
pub const SCHEMA_VERSION: u32 = 1;

/// One event with its envelope.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    pub v: u32,
    pub session_id: String,
    pub seq: u64,
    /// RFC 3339 UTC timestamp.
    pub ts: String,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    SessionStarted {
        kiln_version: String,
        cwd: PathBuf,
        backend: BackendInfo,
        tools: Vec<String>,
        limits: LimitsInfo,
        /// The prompt profile and why it was chosen.
        #[serde(skip_serializing_if = "Option::is_none")]
        profile: Option<crate::profile::ProfileInfo>,
        /// The approval policy and the shell sandbox.
        #[serde(skip_serializing_if = "Option::is_none")]
        safety: Option<SafetyInfo>,
        /// SHA-256 of the system prompt, so a resume can tell whether it
        /// rebuilt the same prompt (and prefix cache).
        system_prompt_sha256: String,
    },
    /// `kiln resume` continued this session from its recorded events; the
    /// request now carries `messages` (system prompt included) of history.
    SessionResumed {
        from_session: String,
        messages: usize,
        backend: BackendInfo,
        #[serde(skip_serializing_if = "Option::is_none")]
        profile: Option<crate::profile::ProfileInfo>,
        system_prompt_sha256: String,
    },
    /// The session is recorded in `path`; `resume` is the backend and
    /// profile choice `kiln resume` repeats.
    SessionRecorded {
        path: PathBuf,
        resume: crate::sessions::ResumeChoice,
    },
    UserMessage {
        text: String,
    },
    TurnStarted {
        turn: u32,
        /// Messages in the request this turn sends.
        messages: usize,
        /// The request's prompt in tokens against the context window.
        #[serde(skip_serializing_if = "Option::is_none")]
        context: Option<super::context::ContextUse>,
    },
    /// Streamed text, for live display. Not written to JSONL by default.
    AssistantDelta {
        turn: u32,
        text: String,
    },
    /// Streamed reasoning, for live display. Not written to JSONL by default.
    ReasoningDelta {
        turn: u32,
        text: String,
    },
    /// A tool call's name is known while its arguments still stream.
    /// Not written to JSONL by default.
    ToolCallStreaming {
        turn: u32,
        index: usize,
        name: String,
    },
    /// The backend retries the request after a retryable failure.
    BackendRetry {
        turn: u32,
        attempt: u32,
        delay_ms: u64,
        reason: String,
    },
    /// `kiln fix` ran its check: `attempt` 0 is the run before the agent.
    CheckCompleted {
        attempt: u32,
        #[serde(flatten)]
        run: crate::fix::check::CheckRun,
        /// The check's combined output.
        output: String,
    },
    /// `kiln fix` ended; the last event of its stream.
    FixCompleted {
        summary: Box<crate::fix::report::FixSummary>,
    },
    /// A turn ended without a tool call while the work looked unfinished;
    /// the profile's nudge was sent as a user message.
    Nudged {
        turn: u32,
        reason: String,
        /// The message sent.
        text: String,
    },
    /// A call the approval policy did not simply allow: the user was
    /// asked, or it was refused (then the model got a tool result saying
    /// why instead of the call running).
    ApprovalDecided {
        turn: u32,
        call_id: String,
        name: String,
        policy: crate::approval::Policy,
        action: crate::approval::Action,
        decision: crate::approval::Decision,
    },
    /// The finished assistant message of a turn.
    AssistantMessage {
        turn: u32,
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        reasoning: Option<String>,
        tool_calls: Vec<ToolCall>,
    },
    ToolCallStarted {
        turn: u32,
        call_id: String,
        name: String,
        /// The raw argument text, exactly as the model sent it.
        arguments: String,
    },
    ToolCallCompleted {
        turn: u32,
        call_id: String,
        name: String,
        ok: bool,
        /// The error kind (`unknown_tool`, `invalid_json`, …) when not ok.
        #[serde(skip_serializing_if = "Option::is_none")]
        error_kind: Option<String>,
        /// The full output; the model may have seen a truncated version.
        output: String,
        /// Whether the model saw less than `output`.
        truncated_for_model: bool,
        /// Exactly what the model saw, where it differs from `output`
        /// (truncated, or with a hint or notice appended).
        #[serde(skip_serializing_if = "Option::is_none")]
        for_model: Option<String>,
        #[serde(skip_serializing_if = "is_default_details")]
        details: ToolDetails,
        duration_ms: u64,
    },
    /// The same failing call was repeated, or the same successful call with
    /// the same result several times in a row; the model was told.
    LoopGuard {
        turn: u32,
        name: String,
        repeats: u32,
    },
    /// The turn's answer only repeated calls that had failed the same way
    /// before; it was discarded (not added to the conversation) and the
    /// backend asked to sample the turn again.
    Resampled {
        turn: u32,
        attempt: u32,
        reason: String,
    },
    /// A request did not extend the previous one, so any prefix cache misses
    /// from `at_message` on.
    PrefixBroken {
        turn: u32,
        at_message: usize,
        reason: String,
    },
    TurnCompleted {
        turn: u32,
        usage: Usage,
        finish_reason: FinishReason,
        duration_ms: u64,
        /// The local engine's figures: reuse, prefill, speed, TTFT.
        #[serde(skip_serializing_if = "Option::is_none")]
        engine: Option<EngineMetrics>,
    },
    /// The workspace was checkpointed before the turn's first change
    /// (`kiln undo` puts it back).
    CheckpointCreated {
        turn: u32,
        /// The checkpoint's commit id.
        checkpoint: String,
        /// Files it holds.
        files: usize,
        duration_ms: u64,
    },
    /// An undo put a checkpoint's files back; the model is told on its
    /// next request.
    FilesRestored {
        checkpoint: String,
        /// Workspace-relative paths restored or deleted.
        files: Vec<PathBuf>,
    },
    /// The conversation passed the compaction point (or the user asked):
    /// the model is being asked for a summary.
    CompactionStarted {
        turn: u32,
        reason: super::compact::CompactReason,
        /// The prompt before compaction.
        tokens: crate::backend::count::TokenCount,
    },
    /// Older turns were replaced by one summary message (`message`, the
    /// user message that now follows the system prompt); the last `kept`
    /// messages stay as they were. The one planned prefix break.
    Compacted {
        turn: u32,
        reason: super::compact::CompactReason,
        summary_by: super::compact::SummaryBy,
        /// Messages the summary replaced.
        replaced: usize,
        kept: usize,
        tokens_before: crate::backend::count::TokenCount,
        tokens_after: crate::backend::count::TokenCount,
        message: String,
        /// The local engine's figures for the summary request (it should
        /// reuse the whole conversation's KV cache).
        #[serde(skip_serializing_if = "Option::is_none")]
        summary_engine: Option<EngineMetrics>,
        /// Why the model's summary was not used, when it was not.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A map of the repository (tree-sitter definitions ranked towards the
    /// task) goes in front of the first task, once per session.
    RepoMapAdded {
        /// Its estimated tokens.
        tokens: usize,
        /// Files with definitions in the map.
        files_shown: usize,
        /// Source files indexed (the map shows the best ranked of them).
        files: usize,
        text: String,
    },
    /// A non-fatal problem worth showing.
    Warning {
        message: String,
    },
    SessionCompleted {
        outcome: Outcome,
        #[serde(skip_serializing_if = "Option::is_none")]
        final_answer: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        stats: SessionStats,
    },
}

fn is_default_details(d: &ToolDetails) -> bool {
    *d == ToolDetails::default()
}

impl EventKind {
    /// Deltas are for live display; the JSONL log keeps finished items only.
    pub fn is_delta(&self) -> bool {
        matches!(
            self,
            EventKind::AssistantDelta { .. }
                | EventKind::ReasoningDelta { .. }
                | EventKind::ToolCallStreaming { .. }
        )
    }
}

/// The approval policy and sandbox a session runs under.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SafetyInfo {
    pub approval: crate::approval::Policy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<crate::sandbox::SandboxInfo>,
}

/// The limits a session runs under, echoed at its start.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LimitsInfo {
    pub max_turns: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
}

/// How a session ended; maps one-to-one onto exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The model answered without calling a tool.
    Done,
    /// The model stopped without a usable answer (empty, cut off by the
    /// length limit, filtered) or the loop guard gave up.
    Failed,
    TurnLimit,
    TimeLimit,
    TokenLimit,
    /// The conversation no longer fits the model's context window.
    ContextExhausted,
    BackendError,
    Interrupted,
}

impl Outcome {
    /// The exit code of `../shared/CONTRACT.md`.
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Done => 0,
            Outcome::Failed => 1,
            Outcome::TurnLimit
            | Outcome::TimeLimit
            | Outcome::TokenLimit
            | Outcome::ContextExhausted => 3,
            Outcome::BackendError => 4,
            Outcome::Interrupted => 130,
        }
    }
}

/// Totals of one session.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SessionStats {
    pub turns: u32,
    pub tool_calls: u32,
    /// Failed tool calls by error kind.
    pub tool_errors: BTreeMap<String, u32>,
    pub loop_guard_hits: u32,
    /// Calls the approval policy or the user did not let run.
    pub approvals_refused: u32,
    /// Times the conversation was compacted.
    pub compactions: u32,
    pub usage: Usage,
    pub wall_ms: u64,
    /// Totals of the local engine's per-turn figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineTotals>,
}

impl SessionStats {
    /// Counts a completion's tokens and engine figures.
    pub fn add_usage(&mut self, completion: &crate::backend::Completion) {
        self.usage.add(&completion.usage);
        if let Some(m) = &completion.engine {
            self.engine.get_or_insert_with(Default::default).add(m);
        }
    }
}

/// Session totals of the local engine's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EngineTotals {
    pub prompt_tokens: u64,
    pub reused_tokens: u64,
    pub prefilled_tokens: u64,
    pub prefill_ms: u64,
    pub generated_tokens: u64,
    pub generation_ms: u64,
    /// Share of prompt tokens served from the KV cache.
    pub reuse_ratio: f64,
}

impl EngineTotals {
    pub fn add(&mut self, m: &EngineMetrics) {
        self.prompt_tokens += m.prompt_tokens;
        self.reused_tokens += m.reused_tokens;
        self.prefilled_tokens += m.prefilled_tokens;
        self.prefill_ms += m.prefill_ms;
        self.generated_tokens += m.generated_tokens;
        self.generation_ms += m.generation_ms;
        self.reuse_ratio = if self.prompt_tokens > 0 {
            self.reused_tokens as f64 / self.prompt_tokens as f64
        } else {
            0.0
        };
    }
}
