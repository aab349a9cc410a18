//! Streamed chunks → one [`Completion`].
//!
//! OpenAI-compatible servers (llama-server, Ollama, vLLM, LM Studio,
//! OpenRouter, OpenAI itself) disagree on details, so chunks are read with
//! our own structs where every field is optional, rather than with
//! async-openai's strict response types. A non-streamed reply (a server that
//! ignored `stream: true`) parses too: `message` is read like `delta`.

use serde::Deserialize;
use serde_json::Value;

use crate::backend::{BackendError, Completion, Delta, DeltaSink, FinishReason};
use crate::chat::{ToolCall, Usage};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Chunk {
    #[serde(default)]
    choices: Option<Vec<Choice>>,
    #[serde(default)]
    usage: Option<UsageChunk>,
    /// llama-server's own statistics, sent next to (or instead of) `usage`.
    #[serde(default)]
    timings: Option<Timings>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct Choice {
    #[serde(default)]
    index: Option<u64>,
    #[serde(default, alias = "message")]
    delta: Option<ChoiceDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ChoiceDelta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallChunk>>,
}

#[derive(Debug, Default, Deserialize)]
struct ToolCallChunk {
    #[serde(default)]
    index: Option<usize>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionChunk>,
}

#[derive(Debug, Default, Deserialize)]
struct FunctionChunk {
    #[serde(default)]
    name: Option<String>,
    /// Normally a string fragment; some servers send a whole JSON object.
    #[serde(default)]
    arguments: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct UsageChunk {
    #[serde(default)]
    prompt_tokens: Option<Value>,
    #[serde(default)]
    completion_tokens: Option<Value>,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
}

#[derive(Debug, Default, Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct Timings {
    #[serde(default)]
    cache_n: Option<Value>,
    #[serde(default)]
    prompt_n: Option<Value>,
    #[serde(default)]
    predicted_n: Option<Value>,
}

/// A token count, however the server wrote the number.
fn count(v: &Option<Value>) -> Option<u64> {
    match v.as_ref()? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        _ => None,
    }
}

/// What one SSE event meant for the stream as a whole.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Nothing the model produced (role-only chunk, empty delta).
    Nothing,
    /// Model output or the end of it: counts as the first token.
    Output,
    /// The server said `[DONE]`.
    Done,
}

#[derive(Debug, Default)]
struct PartialCall {
    index: Option<usize>,
    id: Option<String>,
    name: String,
    arguments: String,
}

/// Accumulates the chunks of one attempt.
#[derive(Debug, Default)]
pub(crate) struct Assembler {
    text: String,
    reasoning: String,
    calls: Vec<PartialCall>,
    usage: Option<Usage>,
    cached_from_timings: Option<u64>,
    timings_usage: Option<Usage>,
    finish: Option<FinishReason>,
    /// Numbering for calls the server gave no id: continues after the tool
    /// calls already in the conversation, so ids stay unique and
    /// deterministic.
    id_offset: usize,
}

impl Assembler {
    pub fn new(id_offset: usize) -> Self {
        Self {
            id_offset,
            ..Self::default()
        }
    }

    /// Takes in one SSE event's `data`.
    pub fn event(
        &mut self,
        data: &str,
        sink: &mut dyn DeltaSink,
    ) -> Result<Progress, BackendError> {
        let data = data.trim();
        if data == "[DONE]" {
            return Ok(Progress::Done);
        }
        if data.is_empty() {
            return Ok(Progress::Nothing);
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|e| {
            BackendError::Protocol(format!("unreadable stream chunk ({e}): {}", clip(data)))
        })?;
        self.chunk(chunk, sink)
    }

    fn chunk(&mut self, chunk: Chunk, sink: &mut dyn DeltaSink) -> Result<Progress, BackendError> {
        if let Some(error) = chunk.error.filter(|e| !e.is_null()) {
            return Err(stream_error(&error));
        }
        let mut progress = Progress::Nothing;
        if let Some(usage) = chunk.usage {
            self.usage = Some(Usage {
                prompt_tokens: count(&usage.prompt_tokens).unwrap_or(0),
                completion_tokens: count(&usage.completion_tokens).unwrap_or(0),
                cached_tokens: usage
                    .prompt_tokens_details
                    .and_then(|d| count(&d.cached_tokens)),
            });
        }
        if let Some(t) = chunk.timings {
            self.cached_from_timings = count(&t.cache_n).or(self.cached_from_timings);
            if let (Some(p), Some(c)) = (count(&t.prompt_n), count(&t.predicted_n)) {
                let cached = count(&t.cache_n);
                self.timings_usage = Some(Usage {
                    // Saturating: the counts are the server's, however
                    // absurd (found by fuzzing: two near-u64::MAX counts
                    // overflowed, a panic in debug builds).
                    prompt_tokens: p.saturating_add(cached.unwrap_or(0)),
                    completion_tokens: c,
                    cached_tokens: cached,
                });
            }
        }
        // Only the first choice matters: we never ask for n > 1.
        for choice in chunk.choices.unwrap_or_default() {
            if choice.index.is_some_and(|i| i != 0) {
                continue;
            }
            if choice.delta.is_some_and(|delta| self.delta(delta, sink)) {
                progress = Progress::Output;
            }
            if let Some(reason) = choice.finish_reason.filter(|r| !r.is_empty()) {
                self.finish = Some(finish_reason(&reason));
                progress = Progress::Output;
            }
        }
        Ok(progress)
    }

    /// Applies one delta; true when it carried model output.
    fn delta(&mut self, delta: ChoiceDelta, sink: &mut dyn DeltaSink) -> bool {
        let mut output = false;
        if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
            self.text.push_str(&text);
            sink.delta(Delta::Text { text });
            output = true;
        }
        // Servers name the field differently; one sends both, with the same text.
        if let Some(text) = delta
            .reasoning_content
            .or(delta.reasoning)
            .filter(|t| !t.is_empty())
        {
            self.reasoning.push_str(&text);
            sink.delta(Delta::Reasoning { text });
            output = true;
        }
        for call in delta.tool_calls.unwrap_or_default() {
            self.tool_call(call, sink);
            output = true;
        }
        output
    }

    fn tool_call(&mut self, chunk: ToolCallChunk, sink: &mut dyn DeltaSink) {
        let id = chunk.id.filter(|s| !s.is_empty());
        let slot = match (chunk.index, &id) {
            // Keyed by index, unless a different id shows up at the same
            // index (servers that number every call 0).
            (Some(i), _) => self.calls.iter().rposition(|c| {
                c.index == Some(i) && (id.is_none() || c.id.is_none() || c.id == id)
            }),
            (None, Some(_)) => self.calls.iter().position(|c| c.id == id),
            // Neither: a continuation of the latest call.
            (None, None) => self.calls.len().checked_sub(1),
        };
        let slot = slot.unwrap_or_else(|| {
            self.calls.push(PartialCall {
                index: chunk.index,
                ..PartialCall::default()
            });
            self.calls.len() - 1
        });
        let Some(call) = self.calls.get_mut(slot) else {
            return;
        };
        if call.id.is_none() {
            call.id = id;
        }
        let function = chunk.function.unwrap_or_default();
        if let Some(name) = function
            .name
            .filter(|n| !n.is_empty() && call.name.is_empty())
        {
            call.name = name.clone();
            sink.delta(Delta::ToolCallStarted { index: slot, name });
        }
        match function.arguments {
            Some(Value::String(part)) => call.arguments.push_str(&part),
            Some(Value::Null) | None => {}
            Some(other) => call.arguments.push_str(&other.to_string()),
        }
    }

    /// Whether the server ended the message (a finish reason arrived).
    pub fn finished(&self) -> bool {
        self.finish.is_some()
    }

    /// The finished message. Without a finish reason (a `[DONE]` with none)
    /// the reason is inferred from whether tools were called.
    pub fn finish(self) -> Completion {
        let tool_calls: Vec<ToolCall> = self
            .calls
            .into_iter()
            .enumerate()
            .map(|(n, c)| ToolCall {
                id: c
                    .id
                    .unwrap_or_else(|| format!("call_{}", self.id_offset + n)),
                name: c.name,
                arguments: c.arguments,
            })
            .collect();
        let finish = self.finish.unwrap_or(if tool_calls.is_empty() {
            FinishReason::Stop
        } else {
            FinishReason::ToolCalls
        });
        let mut usage = self.usage.or(self.timings_usage).unwrap_or_default();
        if usage.cached_tokens.is_none() {
            usage.cached_tokens = self.cached_from_timings;
        }
        Completion {
            text: self.text,
            reasoning: (!self.reasoning.is_empty()).then_some(self.reasoning),
            tool_calls,
            usage,
            finish,
            engine: None,
        }
    }
}

fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "stop" | "eos" | "end_turn" => FinishReason::Stop,
        "tool_calls" | "function_call" | "tool_use" => FinishReason::ToolCalls,
        "length" | "max_tokens" => FinishReason::Length,
        "content_filter" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_string()),
    }
}

/// `{"error": …}` inside the stream: an HTTP error when it carries a status
/// code (so a 5xx is retried), else a protocol error.
fn stream_error(error: &Value) -> BackendError {
    let message = error_message(error).unwrap_or_else(|| clip(&error.to_string()));
    let status = error
        .get("code")
        .or_else(|| error.get("status"))
        .and_then(|c| c.as_u64().or_else(|| c.as_str()?.parse().ok()))
        .filter(|c| (400..600).contains(c));
    match status {
        Some(status) => BackendError::Http {
            status: status as u16,
            body: message,
        },
        None => BackendError::Protocol(format!("error in stream: {message}")),
    }
}

/// The human-readable message of an OpenAI-style error value:
/// `{"error": {"message": …}}`, `{"error": "…"}`, `{"message": …}` or a string.
pub(crate) fn error_message(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => map
            .get("error")
            .and_then(error_message)
            .or_else(|| map.get("message").and_then(error_message))
            .or_else(|| map.get("detail").and_then(error_message)),
        _ => None,
    }
}

/// At most ~500 bytes of `s`, for error messages.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 500;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
