//! Entry points for the cargo-fuzz targets in `fuzz/`: the stream
//! assembler, text-mode call recovery and the `Retry-After` parser are
//! crate-private, so the fuzz crate reaches them through these thin
//! wrappers. Nothing in kiln calls them; they add no behaviour.

use std::time::{Duration, SystemTime};

use super::config::{EndpointConfig, TextToolCalls, Timeouts};
use super::retry::parse_retry_after;
use super::stream::{Assembler, Progress};
use super::text_calls::TextCalls;
use crate::backend::{BackendError, Completion, Delta};
use crate::chat::ToolSpec;
use crate::toolcall::Format;

/// What feeding a stream's events to the assembler produced.
#[derive(Debug)]
pub struct Assembled {
    /// Every delta passed to the sink, in order.
    pub deltas: Vec<Delta>,
    /// Events the assembler refused (an unreadable chunk, an error chunk).
    pub errors: Vec<BackendError>,
    /// Whether `[DONE]` arrived (the events after it are not fed, as in
    /// the HTTP client).
    pub done: bool,
    pub completion: Completion,
}

/// Feeds each SSE event's `data` to a fresh assembler, then finishes it.
/// A refused event is recorded and the stream goes on: the assembler must
/// stay consistent whatever came before.
pub fn assemble<'a>(events: impl IntoIterator<Item = &'a str>, id_offset: usize) -> Assembled {
    let mut assembler = Assembler::new(id_offset);
    let mut deltas = Vec::new();
    let mut errors = Vec::new();
    let mut done = false;
    for data in events {
        let mut sink = |d: Delta| deltas.push(d);
        match assembler.event(data, &mut sink) {
            Ok(Progress::Done) => {
                done = true;
                break;
            }
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    Assembled {
        deltas,
        errors,
        done,
        completion: assembler.finish(),
    }
}

/// Runs text deltas through text-mode tool-call recovery (as a profile's
/// text tool calls do) and finishes with `completion`, the message the
/// stream assembled; returns the deltas passed on and the final message.
pub fn text_mode(
    format: Option<Format>,
    tools: &[ToolSpec],
    pieces: &[&str],
    completion: Completion,
) -> (Vec<Delta>, Completion) {
    let cfg = EndpointConfig {
        provider: "fuzz".into(),
        base_url: "http://127.0.0.1:1/v1".into(),
        model: "fuzz".into(),
        api_key: None,
        headers: Default::default(),
        extra_body: Default::default(),
        temperature: None,
        max_tokens: None,
        timeouts: Timeouts::default(),
        max_retries: 0,
        tool_calls_in_text: TextToolCalls::On,
        text_tool_format: format,
        context_window: None,
        prices: None,
    };
    let mut out = Vec::new();
    let Some(mut calls) = TextCalls::new(&cfg, tools, true) else {
        return (out, completion);
    };
    {
        let mut inner = |d: Delta| out.push(d);
        let mut filter = calls.sink(&mut inner);
        for piece in pieces {
            crate::backend::DeltaSink::delta(
                &mut filter,
                Delta::Text {
                    text: (*piece).to_string(),
                },
            );
        }
    }
    let mut inner = |d: Delta| out.push(d);
    let completion = calls.finish(completion, &mut inner, 0);
    (out, completion)
}

/// A `Retry-After` header value → the wait it asks for.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    parse_retry_after(value, now)
}
