//! Any OpenAI-compatible `/chat/completions` endpoint: llama-server, Ollama,
//! vLLM, LM Studio, OpenRouter, OpenAI.
//!
//! async-openai provides the request types; the transport is our own (see
//! [`client`]) because we need `Retry-After` and separate limits for time to
//! first token and for a stream that stalls after tokens began to flow.
//!
//! - [`request`]: conversation → byte-stable request body
//! - [`client`]: one HTTP attempt under the stream timeouts
//! - [`stream`]: SSE chunks → deltas and the finished message
//! - [`retry`]: which failures are retried, backoff, `Retry-After`
//! - [`text_calls`]: tool calls the server returned as text content

mod client;
pub mod config;
#[doc(hidden)]
pub mod fuzz;
mod request;
mod retry;
mod stream;
mod text_calls;

use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

pub use config::{EndpointConfig, TextToolCalls, Timeouts};

use self::client::{Failure, Transport};
use self::retry::{Backoff, is_retryable};
use self::text_calls::TextCalls;
use super::{Backend, BackendError, BackendInfo, ChatRequest, Completion, Delta, DeltaSink};
use crate::chat::{Message, ToolCallMode};

/// A [`Backend`] talking to one OpenAI-compatible endpoint.
#[derive(Debug)]
pub struct OpenAiBackend {
    cfg: EndpointConfig,
    transport: Transport,
    backoff: Backoff,
}

impl OpenAiBackend {
    /// Validates the config (URL, headers) and builds the HTTP client.
    pub fn new(cfg: EndpointConfig) -> Result<Self, BackendError> {
        let transport = Transport::new(&cfg)?;
        Ok(Self {
            cfg,
            transport,
            backoff: Backoff::default(),
        })
    }

    /// Replaces the retry backoff schedule (default: 500 ms doubling up to
    /// 30 s, with jitter). Mostly for tests, which want millisecond waits.
    /// A server's `Retry-After` still takes precedence.
    pub fn with_backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.backoff = Backoff { base, cap };
        self
    }

    /// The exact request body [`Backend::complete`] sends for `request`.
    pub fn request_body(&self, request: ChatRequest<'_>) -> Result<Vec<u8>, BackendError> {
        request::build_body(&self.cfg, request)
    }

    pub fn config(&self) -> &EndpointConfig {
        &self.cfg
    }

    /// One attempt, with calls written as text recovered when configured.
    async fn attempt(
        &self,
        body: &bytes::Bytes,
        prompt_tokens: u64,
        id_offset: usize,
        request: ChatRequest<'_>,
        deltas: &mut dyn DeltaSink,
    ) -> Result<Completion, Failure> {
        let text_mode = request.tool_calls == ToolCallMode::Text;
        let Some(mut text_calls) = TextCalls::new(&self.cfg, request.tools, text_mode) else {
            return self
                .transport
                .attempt(body, prompt_tokens, id_offset, deltas)
                .await;
        };
        let completion = {
            let mut filter = text_calls.sink(deltas);
            self.transport
                .attempt(body, prompt_tokens, id_offset, &mut filter)
                .await?
        };
        Ok(text_calls.finish(completion, deltas, id_offset))
    }
}

#[async_trait]
impl Backend for OpenAiBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            provider: self.cfg.provider.clone(),
            model: self.cfg.model.clone(),
            base_url: Some(self.cfg.base_url.clone()),
            parameters: None,
            context_window: self.cfg.context_window,
            prices: self.cfg.prices,
        }
    }

    /// Retries retryable failures up to `max_retries` times, announcing each
    /// with [`Delta::Retry`]. Output streamed by a failed attempt is
    /// discarded: the result only holds the successful attempt. When retries
    /// run out the result is [`BackendError::RetriesExhausted`]; with
    /// `max_retries == 0` the single failure is returned as is.
    async fn complete(
        &self,
        request: ChatRequest<'_>,
        deltas: &mut dyn DeltaSink,
        cancel: &CancellationToken,
    ) -> Result<Completion, BackendError> {
        let body = bytes::Bytes::from(request::build_body(&self.cfg, request)?);
        // A rough token estimate (≈4 bytes per token of JSON) that only
        // scales the first-token limit; no tokenizer needed.
        let prompt_tokens = body.len() as u64 / 4;
        let id_offset = request
            .messages
            .iter()
            .map(|m| match m {
                Message::Assistant { tool_calls, .. } => tool_calls.len(),
                _ => 0,
            })
            .sum();
        let mut retries = 0u32;
        loop {
            let result = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(BackendError::Cancelled),
                r = self.attempt(&body, prompt_tokens, id_offset, request, deltas) => r,
            };
            let failure = match result {
                Ok(completion) => return Ok(completion),
                Err(failure) => failure,
            };
            if !is_retryable(&failure.error) {
                return Err(failure.error);
            }
            if retries >= self.cfg.max_retries {
                return Err(if retries == 0 {
                    failure.error
                } else {
                    BackendError::RetriesExhausted {
                        attempts: retries + 1,
                        last: Box::new(failure.error),
                    }
                });
            }
            retries += 1;
            let delay = self.backoff.delay(retries, failure.retry_after);
            tracing::warn!(attempt = retries, ?delay, error = %failure.error, "retrying");
            deltas.delta(Delta::Retry {
                attempt: retries,
                delay_ms: delay.as_millis() as u64,
                reason: failure.error.to_string(),
            });
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(BackendError::Cancelled),
                _ = tokio::time::sleep(delay) => {}
            }
        }
    }
}
