//! Harmony (gpt-oss). Each message is a header and a body:
//!
//! ```text
//! <|channel|>analysis<|message|>…<|end|>                       → reasoning
//! <|start|>assistant<|channel|>commentary to=functions.NAME <|constrain|>json<|message|>{…}<|call|>
//! <|start|>assistant<|channel|>final<|message|>…<|return|>     → text
//! ```
//!
//! The recipient (`to=…`) may sit before or after the channel. The engine
//! passes special tokens through as text; `<|call|>` and `<|return|>` end
//! generation, so the body of the last message often has no closer.

use super::calls::{CallError, object_text};
use super::parser::{Cx, Done, ReasonEnd, State};
use super::scan::find_any;
use super::{Parsed, parser::Block};
use crate::tools::truncate::floor_char_boundary;

const MESSAGE: &str = "<|message|>";
/// The first three end a message; the others start the next one.
const ENDS: &[&str] = &[
    "<|call|>",
    "<|end|>",
    "<|return|>",
    "<|start|>",
    "<|channel|>",
];
/// A header longer than this is not one.
const MAX_HEADER: usize = 512;
/// What opens a header in prose.
const OPENERS: &[&str] = &["<|start|>", "<|channel|>"];

/// From `<|start|>` or `<|channel|>` up to `<|message|>`.
#[derive(Debug, Default)]
pub(crate) struct Header {
    from: usize,
}

impl Header {
    pub fn poll(&mut self, buf: &str, eof: bool, cx: &mut Cx<'_>) -> Option<Done> {
        // `<|message|>` counts only within the limit, and "too long" is
        // decided on that window alone: how the text was split must not
        // matter. (Found by fuzzing: the whole pending text, however long,
        // was dropped as header when more than MAX_HEADER bytes had arrived
        // in one piece, but parsed when they came in smaller pieces.)
        let limit = MAX_HEADER + MESSAGE.len();
        let window = &buf[..floor_char_boundary(buf, limit)];
        let (header, consumed) = match find_any(window, self.from.max(1), &[MESSAGE]) {
            Ok((i, _)) => (&buf[..i], i + MESSAGE.len()),
            Err(_) if buf.len() >= limit => {
                // Not a header: drop only the opening token as stray markup
                // and read on from there.
                cx.out.boundary();
                let opener = OPENERS
                    .iter()
                    .find(|o| buf.starts_with(**o))
                    .map_or(1, |o| o.len());
                return Some(Done {
                    consumed: opener,
                    next: State::Text,
                    released: false,
                    json_call: false,
                });
            }
            Err(keep) if !eof => {
                self.from = keep;
                return None;
            }
            Err(_) => {
                // No body ever came: a recipient makes it a cut-off call,
                // anything else is only markup.
                if recipient(buf).is_some() {
                    cx.out.malformed(buf, CallError::Unterminated);
                } else {
                    cx.out.boundary();
                }
                return Some(Done::call(buf.len()));
            }
        };
        cx.out.boundary();
        let next = match recipient(header) {
            Some(to) => {
                let name = to.strip_prefix("functions.").unwrap_or(to).to_string();
                cx.out.event(Parsed::ToolCallStarted { name: name.clone() });
                State::Block(Block::HarmonyCall(CallBody {
                    header: buf[..consumed].to_string(),
                    name,
                    from: 0,
                }))
            }
            None if channel(header) == Some("analysis") => State::Reasoning(ReasonEnd::Harmony),
            // final, a commentary preamble, or no channel at all: prose.
            None => State::Text,
        };
        Some(Done {
            consumed,
            next,
            released: false,
            json_call: false,
        })
    }
}

fn channel(header: &str) -> Option<&str> {
    let i = header.find("<|channel|>")?;
    header[i + "<|channel|>".len()..]
        .split(|c: char| c.is_whitespace() || c == '<')
        .next()
}

fn recipient(header: &str) -> Option<&str> {
    header
        .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '|'))
        .find_map(|word| word.strip_prefix("to="))
        .filter(|to| !to.is_empty())
}

/// The JSON arguments after a header with a recipient.
#[derive(Debug)]
pub(crate) struct CallBody {
    header: String,
    name: String,
    from: usize,
}

impl CallBody {
    pub fn poll(&mut self, buf: &str, eof: bool, cx: &mut Cx<'_>) -> Option<Done> {
        let (body_end, consumed) = match find_any(buf, self.from, ENDS) {
            Ok((i, k)) if k < 3 => (i, i + ENDS[k].len()),
            Ok((i, _)) => (i, i),
            Err(_) if eof => (buf.len(), buf.len()),
            Err(keep) => {
                self.from = keep;
                return None;
            }
        };
        let body = &buf[..body_end];
        let args = if body.trim().is_empty() {
            Err(CallError::Empty)
        } else {
            object_text(&self.name, body)
        };
        match args {
            Ok(arguments) => cx.out.event(Parsed::ToolCall {
                name: self.name.clone(),
                arguments,
            }),
            Err(e) => cx
                .out
                .malformed(&format!("{}{}", self.header, &buf[..consumed]), e),
        }
        Some(Done::call(consumed))
    }
}
