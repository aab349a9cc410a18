//! Settings of one OpenAI-compatible endpoint, resolved from config.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::toolcall::Format;

/// Everything the endpoint client needs; built by `crate::config`. Its
/// `Debug` form hides the key and header values (they may be secrets).
#[derive(Clone)]
pub struct EndpointConfig {
    /// The provider's name, for display and events (`llama-server`, `openai`, …).
    pub provider: String,
    /// Base URL up to and including the API version, e.g. `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// The model id the server expects.
    pub model: String,
    /// The API key, already read from the configured environment variable.
    pub api_key: Option<String>,
    /// Extra HTTP headers sent with every request.
    pub headers: BTreeMap<String, String>,
    /// Extra top-level fields merged into every request body (e.g. `top_k`).
    pub extra_body: serde_json::Map<String, serde_json::Value>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
    pub timeouts: Timeouts,
    /// Retries after the first attempt, for retryable failures.
    pub max_retries: u32,
    /// Whether tool calls written as text content are recovered.
    pub tool_calls_in_text: TextToolCalls,
    /// The markup of such calls; `None`: Hermes `<tool_call>` tags plus the
    /// generic JSON forms (a bare call object, a ```` ```json ```` block).
    pub text_tool_format: Option<Format>,
    /// The model's context window, where config gives it.
    pub context_window: Option<u64>,
    /// What the endpoint charges, where config gives it.
    pub prices: Option<crate::backend::Prices>,
}

impl std::fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<&String> = self.headers.keys().collect();
        f.debug_struct("EndpointConfig")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("headers (values redacted)", &headers)
            .field("temperature", &self.temperature)
            .field("max_tokens", &self.max_tokens)
            .field("timeouts", &self.timeouts)
            .field("max_retries", &self.max_retries)
            .field("tool_calls_in_text", &self.tool_calls_in_text)
            .field("text_tool_format", &self.text_tool_format)
            .field("context_window", &self.context_window)
            .field("prices", &self.prices)
            .finish_non_exhaustive()
    }
}

/// Recovering tool calls that a server returns as text content (servers
/// without a tool-call parser for the model, or small models that ignore
/// their trained format).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextToolCalls {
    /// When tools were offered, and only if the server sent no native calls.
    #[default]
    Auto,
    /// Always; calls found in text are added after any native ones.
    On,
    /// Never: text stays text.
    Off,
}

/// A long prefill is not a stall: time to first token has its own limit,
/// scaled by the prompt's size, and the idle limit only applies once tokens
/// flow.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timeouts {
    /// TCP connect (and TLS handshake) limit.
    pub connect: Duration,
    /// Base limit from sending the request to the first streamed token.
    pub first_token: Duration,
    /// Added to `first_token` for every 1,000 (estimated) prompt tokens.
    pub first_token_per_1k_tokens: Duration,
    /// Longest silence allowed once the first token has arrived.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            first_token: Duration::from_secs(120),
            first_token_per_1k_tokens: Duration::from_secs(30),
            idle: Duration::from_secs(60),
        }
    }
}

impl Timeouts {
    /// The first-token limit for a prompt of about `prompt_tokens` tokens.
    pub fn first_token_for(&self, prompt_tokens: u64) -> Duration {
        self.first_token
            + self
                .first_token_per_1k_tokens
                .mul_f64(prompt_tokens as f64 / 1000.0)
    }
}

#[cfg(test)]
mod debug_tests {
    #[test]
    fn debug_hides_the_key_and_header_values() {
        let cfg = super::EndpointConfig {
            provider: "test".into(),
            base_url: "http://127.0.0.1:1/v1".into(),
            model: "m".into(),
            api_key: Some("sk-secret-123".into()),
            headers: [("X-Api-Key".to_string(), "hdr-secret".to_string())].into(),
            extra_body: Default::default(),
            temperature: None,
            max_tokens: None,
            timeouts: Default::default(),
            max_retries: 0,
            tool_calls_in_text: Default::default(),
            text_tool_format: None,
            context_window: None,
            prices: None,
        };
        let text = format!("{cfg:?}");
        assert!(
            !text.contains("sk-secret-123") && !text.contains("hdr-secret"),
            "{text}"
        );
        assert!(
            text.contains("X-Api-Key") && text.contains("<redacted>"),
            "{text}"
        );
    }
}
