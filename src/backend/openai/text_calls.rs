//! Tool calls a server returned as text content.
//!
//! A server without a tool-call parser for the model (or a model that
//! ignored its trained format) sends `<tool_call>{…}</tool_call>` or a bare
//! JSON object as ordinary content. With `tool_calls_in_text` on (or `auto`,
//! when tools were offered) the content is run through
//! [`crate::toolcall::StreamParser`] while it streams: prose goes on as text
//! deltas, calls become [`Completion::tool_calls`] and the markup is removed.

use super::config::{EndpointConfig, TextToolCalls};
use crate::backend::{Completion, Delta, DeltaSink, FinishReason};
use crate::chat::{ToolCall, ToolSpec};
use crate::toolcall::{Format, Parsed, StreamParser, guess_name};

/// The text-call state of one attempt.
pub(crate) struct TextCalls {
    mode: TextToolCalls,
    parser: StreamParser,
    /// Native calls announced so far: text calls are numbered after them.
    native: usize,
    started: usize,
    text: String,
    reasoning: String,
    calls: Vec<(String, String)>,
}

impl TextCalls {
    /// `None` when off, or in `auto` mode when no tools were offered.
    /// `text_mode` (a profile's text tool calls) always parses.
    pub fn new(cfg: &EndpointConfig, tools: &[ToolSpec], text_mode: bool) -> Option<Self> {
        let mode = match (text_mode, cfg.tool_calls_in_text) {
            (true, _) => TextToolCalls::On,
            (false, TextToolCalls::Off) => return None,
            (false, TextToolCalls::Auto) if tools.is_empty() => return None,
            (false, m) => m,
        };
        // Hermes tags plus the generic JSON forms cover most servers' models.
        let format = cfg.text_tool_format.unwrap_or(Format::Hermes);
        Some(Self {
            mode,
            parser: StreamParser::with_tools(format, tools),
            native: 0,
            started: 0,
            text: String::new(),
            reasoning: String::new(),
            calls: Vec::new(),
        })
    }

    /// A sink that filters text deltas through the parser into `inner`.
    pub fn sink<'a>(&'a mut self, inner: &'a mut dyn DeltaSink) -> Filter<'a> {
        Filter { calls: self, inner }
    }

    fn apply(&mut self, parsed: Vec<Parsed>, inner: &mut dyn DeltaSink) {
        for p in parsed {
            match p {
                Parsed::Text(text) => {
                    self.text.push_str(&text);
                    inner.delta(Delta::Text { text });
                }
                Parsed::Reasoning(text) => {
                    self.reasoning.push_str(&text);
                    inner.delta(Delta::Reasoning { text });
                }
                Parsed::ToolCallStarted { name } => {
                    inner.delta(Delta::ToolCallStarted {
                        index: self.native + self.started,
                        name,
                    });
                    self.started += 1;
                }
                Parsed::ToolCall { name, arguments } => self.calls.push((name, arguments)),
                // Still a call, so the model gets the tool's error about it
                // (invalid JSON) instead of the session ending on markup.
                Parsed::Malformed { raw, error } => {
                    tracing::debug!(%error, "malformed tool call in text");
                    let name = guess_name(&raw).unwrap_or_else(|| "invalid_tool_call".into());
                    self.calls.push((name, raw));
                }
            }
        }
    }

    /// Flushes the parser and moves the calls it found into `completion`.
    /// In `auto` mode native calls win: the text is then left as sent.
    pub fn finish(
        mut self,
        mut completion: Completion,
        inner: &mut dyn DeltaSink,
        id_offset: usize,
    ) -> Completion {
        let rest = self.parser.finish();
        self.apply(rest, inner);
        let native = !completion.tool_calls.is_empty();
        if (native && self.mode == TextToolCalls::Auto)
            || (self.calls.is_empty() && self.reasoning.is_empty())
        {
            return completion;
        }
        completion.text = self.text;
        if !self.reasoning.is_empty() {
            completion.reasoning = Some(match completion.reasoning.take() {
                Some(r) => format!("{r}\n{}", self.reasoning),
                None => self.reasoning,
            });
        }
        for (name, arguments) in self.calls {
            let n = completion.tool_calls.len();
            completion.tool_calls.push(ToolCall {
                id: format!("call_{}", id_offset + n),
                name,
                arguments,
            });
        }
        if !completion.tool_calls.is_empty() && completion.finish == FinishReason::Stop {
            completion.finish = FinishReason::ToolCalls;
        }
        completion
    }
}

/// Passes deltas on, with text content parsed for calls.
pub(crate) struct Filter<'a> {
    calls: &'a mut TextCalls,
    inner: &'a mut dyn DeltaSink,
}

impl DeltaSink for Filter<'_> {
    fn delta(&mut self, delta: Delta) {
        match delta {
            Delta::Text { text } => {
                let parsed = self.calls.parser.push(&text);
                self.calls.apply(parsed, self.inner);
            }
            Delta::ToolCallStarted { index, name } => {
                self.calls.native = self.calls.native.max(index + 1);
                self.inner.delta(Delta::ToolCallStarted { index, name });
            }
            other => self.inner.delta(other),
        }
    }
}
