//! One HTTP attempt: send the body, read the SSE stream under the first-token
//! and idle limits, and classify whatever goes wrong.
//!
//! The transport is reqwest + `eventsource-stream` rather than async-openai's
//! client: that client drops the `Retry-After` header and has only one
//! timeout, so it cannot tell a long prefill from a stalled stream.

use std::time::{Duration, SystemTime};

use eventsource_stream::{EventStreamError, Eventsource};
use futures::StreamExt;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use tokio::time::{Instant, timeout, timeout_at};

use super::retry::parse_retry_after;
use super::stream::{Assembler, Progress, clip, error_message};
use super::{EndpointConfig, Timeouts};
use crate::backend::{BackendError, Completion, DeltaSink};

/// Why an attempt failed, plus the server's `Retry-After` when it sent one.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: BackendError,
    pub retry_after: Option<Duration>,
}

impl From<BackendError> for Failure {
    fn from(error: BackendError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

/// The reusable part of every request to one endpoint.
#[derive(Debug)]
pub(crate) struct Transport {
    client: reqwest::Client,
    url: String,
    headers: HeaderMap,
    timeouts: Timeouts,
    provider: String,
    base_url: String,
}

impl Transport {
    pub fn new(cfg: &EndpointConfig) -> Result<Self, BackendError> {
        // reqwest is built without a default TLS provider; install ours
        // unless the binary already did (then this is a harmless no-op).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base_url = cfg.base_url.trim_end_matches('/').to_string();
        let url = format!("{base_url}/chat/completions");
        reqwest::Url::parse(&url)
            .map_err(|e| BackendError::Config(format!("invalid base URL {base_url:?}: {e}")))?;
        let mut headers = HeaderMap::new();
        if let Some(key) = cfg.api_key.as_deref().filter(|k| !k.is_empty()) {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
                .map_err(|_| BackendError::Config("the API key is not a valid header".into()))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        for (name, value) in &cfg.headers {
            let bad = |what: &str| BackendError::Config(format!("invalid header {name:?}: {what}"));
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad("name"))?;
            let value = HeaderValue::from_str(value).map_err(|_| bad("value"))?;
            headers.insert(name, value);
        }
        // No overall timeout on purpose: a long answer is fine as long as
        // tokens keep coming; the stream's own limits handle the rest.
        let client = reqwest::Client::builder()
            .connect_timeout(cfg.timeouts.connect)
            .build()
            .map_err(|e| BackendError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            url,
            headers,
            timeouts: cfg.timeouts,
            provider: cfg.provider.clone(),
            base_url,
        })
    }

    /// Sends `body` once and assembles the streamed reply. Dropping the
    /// returned future (cancellation, timeout) drops the connection, which
    /// tells the server to stop generating.
    pub async fn attempt(
        &self,
        body: &bytes::Bytes,
        prompt_tokens: u64,
        id_offset: usize,
        sink: &mut dyn DeltaSink,
    ) -> Result<Completion, Failure> {
        let first_limit = self.timeouts.first_token_for(prompt_tokens);
        let first_deadline = Instant::now() + first_limit;
        let first_token_timeout = || BackendError::FirstTokenTimeout {
            waited: first_limit,
            prompt_tokens,
        };
        let send = self
            .client
            .post(&self.url)
            .headers(self.headers.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "text/event-stream")
            .body(body.clone())
            .send();
        // Headers count toward the first-token limit: llama-server sends
        // none until prefill is done.
        let response = match timeout_at(first_deadline, send).await {
            Err(_) => return Err(first_token_timeout().into()),
            Ok(Err(e)) => return Err(self.send_error(&e).into()),
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if !status.is_success() {
            return Err(self.http_failure(response).await);
        }

        let mut events = response.bytes_stream().eventsource();
        let mut assembler = Assembler::new(id_offset);
        let mut deadline = first_deadline;
        let mut flowing = false;
        loop {
            let next = match timeout_at(deadline, events.next()).await {
                Ok(next) => next,
                Err(_) if flowing => {
                    return Err(BackendError::Stalled {
                        idle: self.timeouts.idle,
                    }
                    .into());
                }
                Err(_) => return Err(first_token_timeout().into()),
            };
            let event = match next {
                None => break,
                Some(Ok(event)) => event,
                Some(Err(EventStreamError::Transport(e))) => {
                    tracing::debug!(error = %e, "stream broke off");
                    return Err(BackendError::Truncated.into());
                }
                Some(Err(e)) => {
                    return Err(
                        BackendError::Protocol(format!("unreadable event stream: {e}")).into(),
                    );
                }
            };
            let progress = match assembler.event(&event.data, sink) {
                Ok(progress) => progress,
                // Named events other than messages/errors are not chunks
                // (pings and the like); skip them when unreadable.
                Err(BackendError::Protocol(_))
                    if !matches!(event.event.as_str(), "message" | "error") =>
                {
                    Progress::Nothing
                }
                Err(e) => return Err(e.into()),
            };
            match progress {
                Progress::Done => return Ok(assembler.finish()),
                Progress::Output => flowing = true,
                Progress::Nothing => {}
            }
            if flowing {
                deadline = Instant::now() + self.timeouts.idle;
            }
        }
        // Some servers close without `[DONE]`; a finish reason is enough.
        if assembler.finished() {
            Ok(assembler.finish())
        } else {
            Err(BackendError::Truncated.into())
        }
    }

    /// A non-2xx answer: the server's own error message, and `Retry-After`.
    async fn http_failure(&self, response: reqwest::Response) -> Failure {
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        // An error body arrives at once or not at all; don't wait long.
        let text = match timeout(self.timeouts.idle, response.text()).await {
            Ok(Ok(text)) => text,
            _ => String::new(),
        };
        let message = serde_json::from_str(&text)
            .ok()
            .and_then(|v| error_message(&v))
            .unwrap_or_else(|| clip(text.trim()));
        let body = if message.is_empty() {
            status
                .canonical_reason()
                .unwrap_or("no details")
                .to_string()
        } else {
            message
        };
        let error = match context_overflow(status.as_u16(), &body) {
            true => BackendError::ContextFull(format!(
                "the server says the prompt does not fit its context (HTTP {}): {body}",
                status.as_u16()
            )),
            false => BackendError::Http {
                status: status.as_u16(),
                body,
            },
        };
        Failure { error, retry_after }
    }

    fn send_error(&self, err: &reqwest::Error) -> BackendError {
        if err.is_builder() {
            return BackendError::Config(format!("cannot build the request: {err}"));
        }
        // The innermost cause is the useful one ("Connection refused").
        let mut cause: &dyn std::error::Error = err;
        while let Some(source) = cause.source() {
            cause = source;
        }
        let message = if err.is_connect() {
            let what = if err.is_timeout() {
                format!(
                    "no connection within {}s",
                    self.timeouts.connect.as_secs_f32()
                )
            } else {
                cause.to_string()
            };
            format!(
                "{what}; the server is not reachable. Is {} running and listening at {}?",
                self.provider, self.base_url
            )
        } else {
            // Connected, but the connection broke before any answer.
            format!("the connection broke before the server answered: {cause}")
        };
        BackendError::Unreachable {
            url: self.url.clone(),
            message,
        }
    }
}

/// Whether an error answer says the prompt is longer than the model's
/// context, in the words OpenAI, llama-server, vLLM, Ollama and
/// OpenRouter use.
pub(crate) fn context_overflow(status: u16, body: &str) -> bool {
    const SIGNS: &[&str] = &[
        "context length",
        "context_length",
        "context window",
        "context size",
        "maximum context",
        "prompt is too long",
        "too many tokens",
        "exceeds the available context",
    ];
    let body = body.to_lowercase();
    matches!(status, 400 | 413 | 422) && SIGNS.iter().any(|s| body.contains(s))
}
