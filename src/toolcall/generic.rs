//! The generic JSON fallbacks every format accepts: a bare call object, an
//! array of them, or either inside a ```` ```json ```` block. Small models
//! (Qwen2.5-Coder 0.5B/1.5B) emit these instead of their trained markup.
//!
//! Prose is full of braces and code blocks, so these are only calls when
//! they name a known tool and carry arguments; anything else is given back
//! as text, unchanged. Once a known name and an arguments field are seen
//! the block is committed: it ends as calls or as `Malformed`, never as text.

use super::calls::{CallError, calls_from_value, json_values};
use super::emit::Announcer;
use super::parser::{Cx, Done, State};
use super::scan::{CallHint, JsonScan, JsonSeq, Prefix, SeqState, prefix};

/// What may start at a `{`, `[` or backtick in prose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sniff {
    No,
    Wait,
    /// A bare object or array whose first key may be a call's.
    Json,
    /// A fenced JSON block; the content starts at this offset.
    Fence(usize),
}

/// First keys that make an object worth holding back.
const FIRST_KEYS: &[&str] = &[
    "name",
    "function",
    "tool",
    "tool_name",
    "type",
    "arguments",
    "parameters",
];

/// Fence info strings that may hold a call.
const FENCE_INFO: &[&str] = &[
    "",
    "json",
    "jsonc",
    "json5",
    "tool_call",
    "tool_calls",
    "tool_code",
    "tool",
    "function_call",
];

/// `s` starts with `{` or `[`: `{ "name"…` or `[ { "name"…`?
pub(crate) fn sniff_json(s: &str) -> Sniff {
    let b = s.as_bytes();
    let skip_ws = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut i = 1;
    if b.first() == Some(&b'[') {
        i = skip_ws(i);
        match b.get(i) {
            None => return Sniff::Wait,
            Some(b'{') => i += 1,
            Some(_) => return Sniff::No,
        }
    }
    i = skip_ws(i);
    match b.get(i) {
        None => return Sniff::Wait,
        Some(b'"') => i += 1,
        Some(_) => return Sniff::No,
    }
    let key_start = i;
    while i < b.len() && b[i] != b'"' {
        i += 1;
    }
    let key = &s[key_start..i];
    if i == b.len() {
        if FIRST_KEYS.iter().any(|k| k.starts_with(key)) {
            Sniff::Wait
        } else {
            Sniff::No
        }
    } else if FIRST_KEYS.contains(&key) {
        Sniff::Json
    } else {
        Sniff::No
    }
}

/// `s` starts with a backtick at the start of a line.
pub(crate) fn sniff_fence(s: &str) -> Sniff {
    match prefix(s, "```") {
        Prefix::No => return Sniff::No,
        Prefix::Partial => return Sniff::Wait,
        Prefix::Full => {}
    }
    let after = &s[3..];
    let Some(nl) = after.find('\n') else {
        let info = after.trim().to_ascii_lowercase();
        let plausible = after.len() <= 16 && FENCE_INFO.iter().any(|f| f.starts_with(&info));
        return if plausible { Sniff::Wait } else { Sniff::No };
    };
    let info = after[..nl].trim().to_ascii_lowercase();
    if !FENCE_INFO.contains(&info.as_str()) {
        return Sniff::No;
    }
    let content = &after[nl + 1..];
    let trimmed = content.trim_start();
    let at = s.len() - trimmed.len();
    match trimmed.as_bytes().first() {
        None => Sniff::Wait,
        Some(b'{' | b'[') => match sniff_json(trimmed) {
            Sniff::Json => Sniff::Fence(at),
            other => other,
        },
        Some(_) => Sniff::No,
    }
}

/// Whether the hints show a call: a known tool name and an arguments field.
fn commits<'a>(hints: impl Iterator<Item = &'a CallHint>, cx: &Cx<'_>) -> bool {
    hints
        .into_iter()
        .any(|h| h.has_args && h.name.as_deref().is_some_and(|n| cx.tools.known(n)))
}

/// Shared state of both generic blocks.
#[derive(Debug, Default)]
struct Commit {
    committed: bool,
    announcer: Announcer,
}

impl Commit {
    fn update<'a>(&mut self, hints: impl Iterator<Item = &'a CallHint> + Clone, cx: &mut Cx<'_>) {
        if !self.committed {
            self.committed = commits(hints.clone(), cx);
        }
        if self.committed {
            self.announcer
                .announce(cx.out, hints.map(|h| h.name.as_deref()));
        }
    }

    /// Emits calls (true) or gives `raw` back as text (false).
    fn decide(&mut self, raw: &str, values: &str, cx: &mut Cx<'_>) -> bool {
        let calls = json_values(values).and_then(|vs| {
            let mut calls = Vec::new();
            for v in vs {
                calls.extend(calls_from_value(v, true)?);
            }
            Ok(calls)
        });
        match calls {
            Ok(calls) if self.committed || calls.iter().all(|c| cx.tools.known(&c.name)) => {
                self.announcer.emit(cx.out, calls);
                true
            }
            Ok(_) if !self.committed => self.release(raw, cx),
            Err(_) if !self.committed => self.release(raw, cx),
            Ok(_) => {
                cx.out.malformed(raw, CallError::NotAnObject);
                true
            }
            Err(e) => {
                cx.out.malformed(raw, e);
                true
            }
        }
    }

    fn cut_off(&mut self, raw: &str, cx: &mut Cx<'_>) -> bool {
        if self.committed {
            cx.out.malformed(raw, CallError::Unterminated);
            true
        } else {
            self.release(raw, cx)
        }
    }

    fn release(&mut self, raw: &str, cx: &mut Cx<'_>) -> bool {
        cx.out.text(raw);
        false
    }
}

fn done(consumed: usize, call: bool, json_call: bool) -> Done {
    Done {
        consumed,
        next: State::Text,
        released: !call,
        json_call: call && json_call,
    }
}

/// A bare `{…}` or `[…]` in prose.
#[derive(Debug)]
pub(crate) struct BareJson {
    scan: JsonScan,
    commit: Commit,
}

impl Default for BareJson {
    fn default() -> Self {
        Self {
            scan: JsonScan::new(0),
            commit: Commit::default(),
        }
    }
}

impl BareJson {
    pub fn poll(&mut self, buf: &str, eof: bool, cx: &mut Cx<'_>) -> Option<Done> {
        self.scan.feed(buf);
        self.commit.update(self.scan.hints.iter(), cx);
        match self.scan.end {
            Some(end) => {
                let raw = &buf[..end];
                let call = self.commit.decide(raw, raw, cx);
                Some(done(end, call, true))
            }
            None if eof => {
                let call = self.commit.cut_off(buf, cx);
                Some(done(buf.len(), call, false))
            }
            None => None,
        }
    }
}

/// A ```` ```json ```` block whose content starts like a call.
#[derive(Debug)]
pub(crate) struct Fence {
    content: usize,
    seq: JsonSeq,
    commit: Commit,
}

impl Fence {
    pub fn new(content: usize) -> Self {
        Self {
            content,
            seq: JsonSeq::new(content),
            commit: Commit::default(),
        }
    }

    pub fn poll(&mut self, buf: &str, eof: bool, cx: &mut Cx<'_>) -> Option<Done> {
        let state = self.seq.feed(buf);
        self.commit.update(self.seq.hints(), cx);
        let (values_end, consumed) = match state {
            SeqState::InValue if eof => {
                let call = self.commit.cut_off(buf, cx);
                return Some(done(buf.len(), call, false));
            }
            SeqState::InValue => return None,
            SeqState::Between(p) => {
                let rest = &buf[p..];
                match prefix(rest, "```") {
                    Prefix::Full => (p, p + 3),
                    Prefix::Partial if !eof => return None,
                    // The closing fence may be missing at the very end.
                    Prefix::Partial => (p, buf.len()),
                    Prefix::No if rest.is_empty() && !eof => return None,
                    // Something else after the JSON: not a clean call block;
                    // it ends here and the rest is prose again.
                    Prefix::No => (p, p),
                }
            }
        };
        let raw = &buf[..consumed];
        let call = self.commit.decide(raw, &buf[self.content..values_end], cx);
        Some(done(consumed, call, false))
    }
}
