//! Mistral: `[TOOL_CALLS][{"name": …, "arguments": {…}}, …]` (v3), or the
//! newer `[TOOL_CALLS]NAME[ARGS]{…}` (optionally `[CALL_ID]id` before
//! `[ARGS]`), one marker per call.

use super::calls::{Call, CallError, calls_from_value, json_values, object_text};
use super::emit::Announcer;
use super::parser::{Cx, Done};
use super::scan::{JsonScan, Prefix, find_any, prefix};

const TAG: &str = "[TOOL_CALLS]";
const ARGS: &str = "[ARGS]";
const CALL_ID: &str = "[CALL_ID]";

#[derive(Debug)]
enum Mode {
    /// A JSON array (or object) right after the marker.
    Json(JsonScan),
    /// `NAME[ARGS]{…}`: the name starts at `at`; `args` once `[ARGS]` is seen.
    Named {
        at: usize,
        name: Option<String>,
        args: Option<JsonScan>,
    },
}

#[derive(Debug, Default)]
pub(crate) struct Mistral {
    mode: Option<Mode>,
    announcer: Announcer,
}

fn name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

impl Mistral {
    pub fn poll(&mut self, buf: &str, eof: bool, cx: &mut Cx<'_>) -> Option<Done> {
        let len = buf.len();
        if self.mode.is_none() {
            let trimmed = buf[TAG.len()..].trim_start();
            let at = len - trimmed.len();
            self.mode = match trimmed.as_bytes().first() {
                None if !eof => return None,
                Some(b'{' | b'[') => Some(Mode::Json(JsonScan::new(at))),
                _ => Some(Mode::Named {
                    at,
                    name: None,
                    args: None,
                }),
            };
        }
        let cut_off = |cx: &mut Cx<'_>| {
            cx.out.malformed(buf, CallError::Unterminated);
            Some(Done::call(len))
        };
        match self.mode.as_mut()? {
            Mode::Json(scan) => {
                scan.feed(buf);
                self.announcer
                    .announce(cx.out, scan.hints.iter().map(|h| h.name.as_deref()));
                let Some(end) = scan.end else {
                    return if eof { cut_off(cx) } else { None };
                };
                let start = len - buf[TAG.len()..].trim_start().len();
                let calls: Result<Vec<Call>, CallError> =
                    json_values(&buf[start..end]).and_then(|vs| {
                        let mut calls = Vec::new();
                        for v in vs {
                            calls.extend(calls_from_value(v, false)?);
                        }
                        Ok(calls)
                    });
                self.finish(&buf[..end], calls, cx);
                Some(Done::call(end))
            }
            Mode::Named { at, name, args } => {
                if name.is_none() {
                    let name_len = buf[*at..]
                        .find(|c: char| !name_char(c))
                        .unwrap_or(len - *at);
                    let q = *at + name_len;
                    let rest = &buf[q..];
                    let args_at = match (prefix(rest, ARGS), prefix(rest, CALL_ID)) {
                        (Prefix::Full, _) => q + ARGS.len(),
                        (_, Prefix::Full) => match find_any(buf, q, &[ARGS]) {
                            Ok((i, _)) => i + ARGS.len(),
                            Err(_) => return if eof { cut_off(cx) } else { None },
                        },
                        (Prefix::Partial, _) | (_, Prefix::Partial) if !eof => return None,
                        _ if rest.is_empty() && !eof => return None,
                        _ => {
                            // Not the `NAME[ARGS]` form after all.
                            let err = if rest.is_empty() {
                                CallError::Unterminated
                            } else {
                                CallError::Unexpected(rest.chars().take(1).collect())
                            };
                            cx.out.malformed(&buf[..q], err);
                            return Some(Done::call(q));
                        }
                    };
                    if name_len == 0 {
                        cx.out.malformed(&buf[..args_at], CallError::NoName);
                        return Some(Done::call(args_at));
                    }
                    let n = buf[*at..q].to_string();
                    self.announcer
                        .announce(cx.out, std::iter::once(Some(n.as_str())));
                    *name = Some(n);
                    *at = args_at;
                }
                if args.is_none() {
                    let trimmed = buf[*at..].trim_start();
                    match trimmed.as_bytes().first() {
                        None => return if eof { cut_off(cx) } else { None },
                        Some(b'{') => *args = Some(JsonScan::new(len - trimmed.len())),
                        Some(_) => {
                            let n = name.clone().unwrap_or_default();
                            cx.out
                                .malformed(&buf[..*at], CallError::ArgumentsNotObject(n));
                            return Some(Done::call(*at));
                        }
                    }
                }
                let scan = args.as_mut()?;
                scan.feed(buf);
                let Some(end) = scan.end else {
                    return if eof { cut_off(cx) } else { None };
                };
                let n = name.clone().unwrap_or_default();
                let start = len - buf[*at..].trim_start().len();
                let call = object_text(&n, &buf[start..end]).map(|arguments| {
                    vec![Call {
                        name: n.clone(),
                        arguments,
                    }]
                });
                self.finish(&buf[..end], call, cx);
                Some(Done::call(end))
            }
        }
    }

    fn finish(&mut self, raw: &str, calls: Result<Vec<Call>, CallError>, cx: &mut Cx<'_>) {
        match calls {
            Ok(calls) => self.announcer.emit(cx.out, calls),
            Err(e) => cx.out.malformed(raw, e),
        }
    }
}
