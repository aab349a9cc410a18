//! Hermes / Qwen2.5 / Qwen3: `<tool_call>\n{"name": …, "arguments": {…}}\n</tool_call>`,
//! one block per call. Qwen3-Coder's XML body (`<function=…>`) is accepted
//! inside the same tags, so both formats share this block.
//!
//! A JSON body is scanned as JSON, so a `</tool_call>` inside an argument
//! string (writing docs about tool calls) does not end the block.

use super::calls::{Call, CallError, calls_from_value, json_values};
use super::emit::Announcer;
use super::parser::{Cx, Done};
use super::qwen3_xml::{self, NameScan};
use super::scan::{JsonSeq, Prefix, SeqState, find_any, prefix};

pub(crate) const OPEN: &str = "<tool_call>";
pub(crate) const CLOSE: &str = "</tool_call>";
const FUNCTION: &str = "<function=";
const FUNCTION_END: &str = "</function>";

#[derive(Debug)]
enum Body {
    Json(JsonSeq),
    /// `after`: just past the latest `</function>` (0: none yet).
    Xml {
        names: NameScan,
        after: usize,
        search: usize,
    },
    /// Anything else: ends at the closing tag, then fails to parse.
    Other {
        from: usize,
    },
}

#[derive(Debug, Default)]
pub(crate) struct Hermes {
    body: Option<Body>,
    announcer: Announcer,
}

impl Hermes {
    pub fn poll(&mut self, buf: &str, eof: bool, cx: &mut Cx<'_>) -> Option<Done> {
        let start = OPEN.len();
        if self.body.is_none() {
            let trimmed = buf[start..].trim_start();
            let at = buf.len() - trimmed.len();
            self.body = match trimmed.as_bytes().first() {
                None if !eof => return None,
                Some(b'{' | b'[') => Some(Body::Json(JsonSeq::new(at))),
                Some(b'<') => match prefix(trimmed, FUNCTION) {
                    Prefix::Partial if !eof => return None,
                    Prefix::Full => Some(Body::Xml {
                        names: NameScan::new(at),
                        after: 0,
                        search: at,
                    }),
                    _ => Some(Body::Other { from: start }),
                },
                _ => Some(Body::Other { from: start }),
            };
        }
        let (body_end, consumed) = self.end(buf, eof, cx)?;
        let raw = &buf[..consumed];
        match parse_body(&buf[start..body_end], cx) {
            Ok(calls) => self.announcer.emit(cx.out, calls),
            Err(e) => cx.out.malformed(raw, e),
        }
        Some(Done::call(consumed))
    }

    /// Where the body ends and how much the block consumes.
    fn end(&mut self, buf: &str, eof: bool, cx: &mut Cx<'_>) -> Option<(usize, usize)> {
        let len = buf.len();
        let body = self.body.as_mut()?;
        match body {
            Body::Json(seq) => {
                let state = seq.feed(buf);
                self.announcer
                    .announce(cx.out, seq.hints().map(|h| h.name.as_deref()));
                match state {
                    SeqState::InValue if eof => {
                        // Cut off mid-JSON; a closing tag may still end it.
                        Some(match find_any(buf, OPEN.len(), &[CLOSE]) {
                            Ok((i, _)) => (i, i + CLOSE.len()),
                            Err(_) => (len, len),
                        })
                    }
                    SeqState::InValue => None,
                    SeqState::Between(p) => {
                        let rest = &buf[p..];
                        match (prefix(rest, CLOSE), prefix(rest, OPEN)) {
                            (Prefix::Full, _) => Some((p, p + CLOSE.len())),
                            // The next call starts: this one's closer is missing.
                            (_, Prefix::Full) => Some((p, p)),
                            (Prefix::Partial, _) | (_, Prefix::Partial) => eof.then_some((p, len)),
                            _ if rest.is_empty() => eof.then_some((p, len)),
                            _ => {
                                // Text after the JSON: the body runs to the closer.
                                *body = Body::Other { from: p };
                                self.end(buf, eof, cx)
                            }
                        }
                    }
                }
            }
            Body::Xml {
                names,
                after,
                search,
            } => {
                let decision = xml_end(buf, eof, after, search);
                // Names only from this block's own functions.
                names.feed(&buf[..decision.map_or(len, |(end, _)| end)]);
                self.announcer
                    .announce(cx.out, names.names.iter().map(|n| Some(n.as_str())));
                decision
            }
            Body::Other { from } => match find_any(buf, *from, &[CLOSE, OPEN]) {
                Ok((i, 0)) => Some((i, i + CLOSE.len())),
                Ok((i, _)) => Some((i, i)),
                Err(keep) => {
                    *from = keep;
                    eof.then_some((len, len))
                }
            },
        }
    }
}

/// Where an XML body ends: at the `</tool_call>` after its last
/// `</function>`; `after` and `search` carry the scan between polls.
fn xml_end(buf: &str, eof: bool, after: &mut usize, search: &mut usize) -> Option<(usize, usize)> {
    let len = buf.len();
    loop {
        // Only a following `<function=` continues the block, so
        // a later bare function is not swallowed.
        if *after > 0 && prefix(buf[*after..].trim_start(), FUNCTION) != Prefix::Full {
            break;
        }
        match find_any(buf, *search, &[FUNCTION_END]) {
            Ok((i, _)) => {
                *after = i + FUNCTION_END.len();
                *search = *after;
            }
            Err(keep) => {
                *search = keep;
                break;
            }
        }
    }
    if *after == 0 {
        // No `</function>` yet. A `</tool_call>` now may be text
        // inside a value, so only the end decides.
        if !eof {
            return None;
        }
        return Some(match find_any(buf, OPEN.len(), &[CLOSE]) {
            Ok((i, _)) => (i, i + CLOSE.len()),
            Err(_) => (len, len),
        });
    }
    let rest = buf[*after..].trim_start();
    let p = len - rest.len();
    match (
        prefix(rest, CLOSE),
        prefix(rest, FUNCTION),
        prefix(rest, OPEN),
    ) {
        (Prefix::Full, _, _) => Some((p, p + CLOSE.len())),
        (_, _, Prefix::Full) => Some((p, p)),
        // Another function in the same block: wait for its end.
        (_, Prefix::Full, _) => eof.then_some((len, len)),
        (Prefix::Partial, _, _) | (_, Prefix::Partial, _) | (_, _, Prefix::Partial) => {
            eof.then_some((p, len))
        }
        _ if rest.is_empty() => eof.then_some((p, len)),
        // Prose after `</function>`: the closer was left out.
        _ => Some((p, p)),
    }
}

/// The calls in one `<tool_call>` body. Names are not checked against the
/// offered tools: inside explicit tags an unknown name is still a call, so
/// the agent loop's unknown-tool error can teach the model.
pub(crate) fn parse_body(body: &str, cx: &Cx<'_>) -> Result<Vec<Call>, CallError> {
    let body = strip_fence(body.trim());
    if body.is_empty() {
        return Err(CallError::Empty);
    }
    if body.starts_with(FUNCTION) {
        return qwen3_xml::parse_functions(body, cx.tools);
    }
    if !body.starts_with(['{', '[']) {
        return Err(CallError::Unexpected(body.chars().take(40).collect()));
    }
    let mut calls = Vec::new();
    for v in json_values(body)? {
        calls.extend(calls_from_value(v, false)?);
    }
    Ok(calls)
}

/// Qwen2.5 sometimes wraps the JSON in a code fence inside the tags.
fn strip_fence(body: &str) -> &str {
    let Some(rest) = body.strip_prefix("```") else {
        return body;
    };
    let rest = rest.split_once('\n').map_or("", |(_, r)| r);
    rest.trim_end().strip_suffix("```").unwrap_or(rest).trim()
}
