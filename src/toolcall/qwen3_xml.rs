//! Qwen3-Coder's XML calls:
//!
//! ```text
//! <tool_call>
//! <function=NAME>
//! <parameter=KEY>
//! VALUE
//! </parameter>
//! </function>
//! </tool_call>
//! ```
//!
//! Values are raw text (no escaping), so a parameter's type comes from the
//! tool's schema when known; otherwise JSON is tried for values that are not
//! plain strings. The same `<function=NAME>` tag without `<tool_call>` (the
//! model forgot it) and Llama 3.1's `<function=NAME>{json}</function>` are
//! accepted too.

use serde_json::{Map, Value};

use super::calls::{Call, CallError, Tools, object_text};
use super::emit::Announcer;
use super::parser::{Cx, Done};
use super::scan::{find_any, partial_tail};

const FUNCTION: &str = "<function=";
const FUNCTION_END: &str = "</function>";
const PARAMETER: &str = "<parameter=";
const PARAMETER_END: &str = "</parameter>";

/// Names of the `<function=NAME>` tags seen so far, found incrementally.
#[derive(Debug)]
pub(crate) struct NameScan {
    from: usize,
    pub names: Vec<String>,
}

impl NameScan {
    pub fn new(from: usize) -> Self {
        Self {
            from,
            names: Vec::new(),
        }
    }

    pub fn feed(&mut self, buf: &str) {
        loop {
            match find_any(buf, self.from, &[FUNCTION]) {
                Ok((i, _)) => {
                    let name_start = i + FUNCTION.len();
                    let Some(gt) = buf[name_start..].find('>') else {
                        self.from = i;
                        return;
                    };
                    self.names
                        .push(buf[name_start..name_start + gt].trim().to_string());
                    self.from = name_start + gt + 1;
                }
                Err(keep) => {
                    self.from = keep;
                    return;
                }
            }
        }
    }
}

/// `<function=NAME>…</function>` straight in prose.
#[derive(Debug)]
pub(crate) struct BareFunction {
    names: NameScan,
    search: usize,
    announcer: Announcer,
}

impl Default for BareFunction {
    fn default() -> Self {
        Self {
            names: NameScan::new(0),
            search: FUNCTION.len(),
            announcer: Announcer::default(),
        }
    }
}

impl BareFunction {
    pub fn poll(&mut self, buf: &str, eof: bool, cx: &mut Cx<'_>) -> Option<Done> {
        self.names.feed(buf);
        self.announcer.announce(
            cx.out,
            self.names.names.iter().take(1).map(|n| Some(n.as_str())),
        );
        let end = match find_any(buf, self.search, &[FUNCTION_END]) {
            Ok((i, _)) => i + FUNCTION_END.len(),
            Err(_) if eof => buf.len(),
            Err(keep) => {
                self.search = keep;
                return None;
            }
        };
        let raw = &buf[..end];
        match parse_functions(raw, cx.tools) {
            Ok(calls) => self.announcer.emit(cx.out, calls),
            Err(e) => cx.out.malformed(raw, e),
        }
        Some(Done::call(end))
    }
}

/// Every `<function=…>…</function>` in `body`. A function whose closing tag
/// is missing counts only if its last parameter was closed: otherwise the
/// generation was cut off mid-value.
pub(crate) fn parse_functions(body: &str, tools: &Tools) -> Result<Vec<Call>, CallError> {
    let mut calls = Vec::new();
    let mut rest = body;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let Some(after) = rest.strip_prefix(FUNCTION) else {
            return Err(CallError::Unexpected(rest.chars().take(40).collect()));
        };
        let gt = after.find('>').ok_or(CallError::Unterminated)?;
        let name = after[..gt].trim();
        if name.is_empty() {
            return Err(CallError::NoName);
        }
        let inner = &after[gt + 1..];
        let (inner, closed, next) = match inner.find(FUNCTION_END) {
            Some(k) => (&inner[..k], true, &inner[k + FUNCTION_END.len()..]),
            None => (inner, false, ""),
        };
        let arguments = if inner.trim_start().starts_with('{') {
            if !closed {
                // Complete JSON is complete even without the closer.
                serde_json::from_str::<Value>(inner.trim())?;
            }
            object_text(name, inner)?
        } else {
            parameters(name, inner, closed, tools)?
        };
        calls.push(Call {
            name: name.to_string(),
            arguments,
        });
        rest = next;
    }
    if calls.is_empty() {
        return Err(CallError::Empty);
    }
    Ok(calls)
}

fn parameters(tool: &str, inner: &str, closed: bool, tools: &Tools) -> Result<String, CallError> {
    let mut map = Map::new();
    let mut rest = inner;
    while let Some(i) = rest.find(PARAMETER) {
        let after = &rest[i + PARAMETER.len()..];
        let gt = after.find('>').ok_or(CallError::Unterminated)?;
        let key = after[..gt].trim().to_string();
        let value = &after[gt + 1..];
        // `</parameter>` wins over a later `<parameter=` so that a value may
        // contain the tag's text; without a closer, the next tag ends it.
        let (value, next) = match value.find(PARAMETER_END) {
            Some(j) => (&value[..j], &value[j + PARAMETER_END.len()..]),
            None => match value.find(PARAMETER) {
                Some(j) => (&value[..j], &value[j..]),
                None if closed => (value, ""),
                None => return Err(CallError::Unterminated),
            },
        };
        map.insert(key.clone(), convert(tool, &key, trim_newline(value), tools));
        rest = next;
    }
    if !closed && partial_tail(rest, 0, &[PARAMETER]) < rest.len() {
        return Err(CallError::Unterminated);
    }
    Ok(Value::Object(map).to_string())
}

/// The template puts the value on its own lines: drop one newline each side.
fn trim_newline(value: &str) -> &str {
    let value = value
        .strip_prefix("\r\n")
        .or_else(|| value.strip_prefix('\n'))
        .unwrap_or(value);
    value
        .strip_suffix("\r\n")
        .or_else(|| value.strip_suffix('\n'))
        .unwrap_or(value)
}

fn convert(tool: &str, key: &str, value: &str, tools: &Tools) -> Value {
    let json = || serde_json::from_str::<Value>(value.trim()).ok();
    match tools.param_is_string(tool, key) {
        Some(true) => Value::String(value.to_string()),
        Some(false) => json().unwrap_or_else(|| Value::String(value.to_string())),
        // No schema: a number, boolean, null, object or array is meant as
        // one; a quoted string keeps its quotes, being raw text.
        None => json()
            .filter(|v| !v.is_string())
            .unwrap_or_else(|| Value::String(value.to_string())),
    }
}
