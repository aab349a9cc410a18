//! Backends turn a conversation into the model's next assistant message.
//!
//! Every backend (OpenAI-compatible endpoint, scripted replay, later the
//! in-process llama.cpp engine) sits behind [`Backend`]. A backend streams
//! partial output through a [`DeltaSink`] and returns the finished message.

pub mod count;
pub mod local;
pub mod openai;
pub mod scripted;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::chat::{Message, SamplingPrefs, ToolCall, ToolCallMode, ToolSpec, Usage};
use crate::engine::EngineMetrics;

/// One model request: the whole conversation plus the tool specs.
#[derive(Clone, Copy, Debug)]
pub struct ChatRequest<'a> {
    pub messages: &'a [Message],
    pub tools: &'a [ToolSpec],
    /// 0 for a turn's first request; n > 0 asks again for the same turn
    /// because answer n-1 was discarded, so a backend that can (see
    /// [`Backend::can_resample`]) should sample differently.
    pub resample: u32,
    /// The profile's sampling; explicit backend config wins over it.
    pub sampling: SamplingPrefs,
    pub tool_calls: ToolCallMode,
    /// Where a backend forces the first reply to a user message to be a
    /// tool call (the local engine's grammar), the tools it may call; empty
    /// means any.
    pub first_call_tools: &'a [String],
    /// The reply must be text: no tool call (a compaction summary). The
    /// tools stay in the request so the prompt prefix does not change.
    pub answer_only: bool,
}

impl<'a> ChatRequest<'a> {
    pub fn new(messages: &'a [Message], tools: &'a [ToolSpec]) -> Self {
        Self {
            messages,
            tools,
            resample: 0,
            sampling: SamplingPrefs::default(),
            tool_calls: ToolCallMode::Native,
            first_call_tools: &[],
            answer_only: false,
        }
    }
}

/// Partial output while a request streams, for live display.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Delta {
    Text {
        text: String,
    },
    Reasoning {
        text: String,
    },
    /// A tool call's name became known (its arguments may still be streaming).
    ToolCallStarted {
        index: usize,
        name: String,
    },
    /// The backend will retry the request after `delay_ms`.
    Retry {
        attempt: u32,
        delay_ms: u64,
        reason: String,
    },
}

/// Receives [`Delta`]s while a request streams.
pub trait DeltaSink: Send {
    fn delta(&mut self, delta: Delta);
}

impl<F: FnMut(Delta) + Send> DeltaSink for F {
    fn delta(&mut self, delta: Delta) {
        self(delta)
    }
}

/// Why the model stopped producing this message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    ToolCalls,
    Length,
    ContentFilter,
    Other(String),
}

/// The finished assistant message of one request.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    pub text: String,
    pub reasoning: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
    pub finish: FinishReason,
    /// The local engine's figures for this request (prefill, reuse, speed).
    pub engine: Option<EngineMetrics>,
}

/// What an endpoint charges, in US dollars per million tokens (from the
/// provider's config), so the UI can show a session's cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    pub input: f64,
    pub output: f64,
    /// Prompt tokens served from the server's cache; default: `input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<f64>,
}

impl Prices {
    /// The cost of `usage` in dollars.
    pub fn cost(&self, usage: &crate::chat::Usage) -> f64 {
        let cached = usage.cached_tokens.unwrap_or(0).min(usage.prompt_tokens);
        let fresh = usage.prompt_tokens - cached;
        let per = |n: u64, price: f64| n as f64 * price / 1_000_000.0;
        per(fresh, self.input)
            + per(cached, self.cached_input.unwrap_or(self.input))
            + per(usage.completion_tokens, self.output)
    }
}

#[cfg(test)]
mod price_tests {
    use super::Prices;
    use crate::chat::Usage;

    #[test]
    fn cost_counts_cached_prompt_tokens_at_their_price() {
        let p = Prices {
            input: 3.0,
            output: 15.0,
            cached_input: Some(0.3),
        };
        let u = Usage {
            prompt_tokens: 1_000_000,
            completion_tokens: 100_000,
            cached_tokens: Some(500_000),
        };
        // 0.5M × 3 + 0.5M × 0.3 + 0.1M × 15
        assert!((p.cost(&u) - (1.5 + 0.15 + 1.5)).abs() < 1e-9);
        let plain = Prices {
            cached_input: None,
            ..p
        };
        assert!((plain.cost(&u) - (3.0 + 1.5)).abs() < 1e-9);
    }
}

/// Who answers: shown in events and the UI.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BackendInfo {
    pub provider: String,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The model's parameter count, where the backend knows it (GGUFs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<u64>,
    /// The context window in tokens, where the backend knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// What the endpoint charges, where config says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<Prices>,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot reach {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("server answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error(
        "no first token after {}s (prompt ≈{prompt_tokens} tokens); the server may still be \
         processing the prompt. Raise `first_token_timeout_secs` for slow machines",
        .waited.as_secs()
    )]
    FirstTokenTimeout {
        waited: Duration,
        prompt_tokens: u64,
    },
    #[error("the stream stalled: nothing received for {}s after output began", .idle.as_secs())]
    Stalled { idle: Duration },
    #[error("the stream ended before the response was complete")]
    Truncated,
    #[error("malformed response from the server: {0}")]
    Protocol(String),
    #[error("{0}")]
    Config(String),
    /// The prompt does not fit the context window.
    #[error("{0}")]
    ContextFull(String),
    #[error("local engine: {0}")]
    Engine(String),
    #[error("request cancelled")]
    Cancelled,
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        attempts: u32,
        last: Box<BackendError>,
    },
}

#[async_trait]
pub trait Backend: Send + Sync {
    fn info(&self) -> BackendInfo;

    /// Whether a request with `resample > 0` can get a different answer
    /// (greedy local decoding otherwise gives the same one every time).
    fn can_resample(&self) -> bool {
        false
    }

    /// How many tokens `request`'s prompt takes: exact where the backend
    /// has the model's tokenizer, else the documented estimate
    /// ([`count::estimate_prompt`]).
    async fn count_prompt(&self, request: &ChatRequest<'_>) -> count::TokenCount {
        count::estimate_prompt(request)
    }

    /// How many tokens `text` takes, as [`Backend::count_prompt`] counts.
    async fn count_text(&self, text: &str) -> count::TokenCount {
        count::TokenCount::estimate(text)
    }

    /// Sends one request and returns the assistant message. Retries are the
    /// backend's business; cancellation must be honoured promptly and
    /// reported as [`BackendError::Cancelled`].
    async fn complete(
        &self,
        request: ChatRequest<'_>,
        deltas: &mut dyn DeltaSink,
        cancel: &CancellationToken,
    ) -> Result<Completion, BackendError>;
}
