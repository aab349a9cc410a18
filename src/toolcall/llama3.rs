//! Llama 3.x: `<|python_tag|>` then one or more call objects
//! (`{"name": …, "parameters": {…}}`, or with `"type": "function"`),
//! separated by `;`, up to `<|eom_id|>` / `<|eot_id|>` or the end. The
//! bare form without the tag is the generic fallback's job.

use super::calls::{CallError, calls_from_value, json_values};
use super::emit::Announcer;
use super::parser::{Cx, Done};
use super::scan::{JsonSeq, Prefix, SeqState, find_any, prefix};

const TAG: &str = "<|python_tag|>";
const ENDS: &[&str] = &["<|eom_id|>", "<|eot_id|>"];

#[derive(Debug, Default)]
pub(crate) struct PythonTag {
    seq: Option<JsonSeq>,
    /// Not JSON (code for the built-in interpreter): scan for an end token.
    other_from: Option<usize>,
    announcer: Announcer,
}

impl PythonTag {
    pub fn poll(&mut self, buf: &str, eof: bool, cx: &mut Cx<'_>) -> Option<Done> {
        let start = TAG.len();
        let len = buf.len();
        if self.seq.is_none() && self.other_from.is_none() {
            let trimmed = buf[start..].trim_start();
            match trimmed.as_bytes().first() {
                None if !eof => return None,
                Some(b'{' | b'[') => self.seq = Some(JsonSeq::new(len - trimmed.len())),
                _ => self.other_from = Some(start),
            }
        }
        let (body_end, consumed) = match (self.seq.as_mut(), self.other_from) {
            (Some(seq), _) => {
                let state = seq.feed(buf);
                self.announcer
                    .announce(cx.out, seq.hints().map(|h| h.name.as_deref()));
                match state {
                    SeqState::InValue => (eof.then_some((len, len)))?,
                    SeqState::Between(p) => {
                        let rest = &buf[p..];
                        let ends: Vec<Prefix> = ENDS.iter().map(|e| prefix(rest, e)).collect();
                        if let Some(k) = ends.iter().position(|e| *e == Prefix::Full) {
                            (p, p + ENDS[k].len())
                        } else if rest.is_empty() || ends.contains(&Prefix::Partial) {
                            (eof.then_some((p, len)))?
                        } else {
                            // Prose after the calls.
                            (p, p)
                        }
                    }
                }
            }
            (None, from) => match find_any(buf, from.unwrap_or(start), ENDS) {
                Ok((i, k)) => (i, i + ENDS[k].len()),
                Err(_) if eof => (len, len),
                Err(keep) => {
                    self.other_from = Some(keep);
                    return None;
                }
            },
        };
        let raw = &buf[..consumed];
        let body = buf[start..body_end].trim();
        let calls = if self.seq.is_some() {
            json_values(body).and_then(|vs| {
                let mut calls = Vec::new();
                for v in vs {
                    calls.extend(calls_from_value(v, false)?);
                }
                Ok(calls)
            })
        } else if body.is_empty() {
            Err(CallError::Empty)
        } else {
            Err(CallError::Unexpected(body.chars().take(40).collect()))
        };
        match calls {
            Ok(calls) => self.announcer.emit(cx.out, calls),
            Err(e) => cx.out.malformed(raw, e),
        }
        Some(Done::call(consumed))
    }
}
