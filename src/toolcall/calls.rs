//! From parsed JSON to normalised calls, shared by every format.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::scan::{ARG_KEYS, NAME_KEYS};
use crate::chat::ToolSpec;

/// One recovered call; `arguments` is compact JSON object text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Call {
    pub name: String,
    pub arguments: String,
}

/// Why text that looked like a call is not one.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CallError {
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("no tool name (expected a \"name\" field)")]
    NoName,
    #[error("no \"arguments\" field")]
    NoArguments,
    #[error("the arguments of `{0}` are not a JSON object")]
    ArgumentsNotObject(String),
    #[error("the arguments of `{name}` are a string that is not a JSON object: {error}")]
    ArgumentsString {
        name: String,
        error: serde_json::Error,
    },
    #[error("expected a JSON object (or an array of them) per call")]
    NotAnObject,
    #[error("the tool call is empty")]
    Empty,
    #[error("the tool call was cut off before it ended")]
    Unterminated,
    #[error("unexpected text in the tool call: {0:?}")]
    Unexpected(String),
}

/// What the parser knows about the offered tools.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tools {
    names: Vec<String>,
    /// tool → parameter → whether its schema type is `string`.
    string_params: HashMap<String, HashMap<String, bool>>,
}

impl Tools {
    pub fn from_names(names: Vec<String>) -> Self {
        Self {
            names,
            string_params: HashMap::new(),
        }
    }

    pub fn from_specs(specs: &[ToolSpec]) -> Self {
        let mut tools = Self::from_names(specs.iter().map(|s| s.name.clone()).collect());
        for spec in specs {
            let Some(props) = spec.parameters.get("properties").and_then(Value::as_object) else {
                continue;
            };
            let types = props
                .iter()
                .filter_map(|(k, schema)| {
                    let ty = schema.get("type")?;
                    let is_string = match ty {
                        Value::String(t) => t == "string",
                        // ["string", "null"]: still a string when present.
                        Value::Array(ts) => ts.iter().all(|t| t == "string" || t == "null"),
                        _ => return None,
                    };
                    Some((k.clone(), is_string))
                })
                .collect();
            tools.string_params.insert(spec.name.clone(), types);
        }
        tools
    }

    pub fn known(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// `Some(true)` when the schema says the parameter is a string, `None`
    /// when there is no schema for it.
    pub fn param_is_string(&self, tool: &str, param: &str) -> Option<bool> {
        self.string_params.get(tool)?.get(param).copied()
    }
}

/// Reads every JSON value in `body` (separated by whitespace, `,` or `;`).
pub(crate) fn json_values(body: &str) -> Result<Vec<Value>, CallError> {
    let mut values = Vec::new();
    let mut rest = body;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',' || c == ';');
        if rest.is_empty() {
            break;
        }
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        match stream.next() {
            Some(Ok(v)) => values.push(v),
            Some(Err(e)) => return Err(e.into()),
            None => break,
        }
        rest = rest.get(stream.byte_offset()..).unwrap_or("");
    }
    if values.is_empty() {
        return Err(CallError::Empty);
    }
    Ok(values)
}

/// Calls from one value: a call object or an array of them. With
/// `require_args`, an object without an arguments field is not a call.
pub(crate) fn calls_from_value(v: Value, require_args: bool) -> Result<Vec<Call>, CallError> {
    match v {
        Value::Object(map) => Ok(vec![call_from_object(map, require_args)?]),
        Value::Array(items) if !items.is_empty() => items
            .into_iter()
            .map(|item| match item {
                Value::Object(map) => call_from_object(map, require_args),
                _ => Err(CallError::NotAnObject),
            })
            .collect(),
        _ => Err(CallError::NotAnObject),
    }
}

fn call_from_object(mut map: Map<String, Value>, require_args: bool) -> Result<Call, CallError> {
    // OpenAI's own shape: {"type": "function", "function": {"name", "arguments"}}.
    if let Some(Value::Object(inner)) = map.get("function")
        && inner.contains_key("name")
    {
        let inner = inner.clone();
        return call_from_object(inner, require_args);
    }
    let name = NAME_KEYS
        .iter()
        .find_map(|k| match map.get(*k) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => None,
        })
        .ok_or(CallError::NoName)?;
    let args = ARG_KEYS.iter().find_map(|k| map.remove(*k));
    let arguments = match args {
        None if require_args => return Err(CallError::NoArguments),
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        // Some models double-encode, as the OpenAI wire format does.
        Some(Value::String(s)) if s.trim().is_empty() => Map::new(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(CallError::ArgumentsNotObject(name)),
            Err(error) => return Err(CallError::ArgumentsString { name, error }),
        },
        Some(_) => return Err(CallError::ArgumentsNotObject(name)),
    };
    Ok(Call {
        name,
        arguments: Value::Object(arguments).to_string(),
    })
}

/// Normalises arguments given as JSON object text.
pub(crate) fn object_text(name: &str, text: &str) -> Result<String, CallError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok("{}".into());
    }
    match serde_json::from_str::<Value>(text)? {
        v @ Value::Object(_) => Ok(v.to_string()),
        _ => Err(CallError::ArgumentsNotObject(name.to_string())),
    }
}

/// Best guess at the tool a malformed call meant, from its raw text: a
/// `"name": "…"` field, `<function=…>`, `to=functions.…` or
/// `[TOOL_CALLS]…[ARGS]`. Lets a caller report the error against that tool.
pub fn guess_name(raw: &str) -> Option<String> {
    let valid = |s: &str| {
        let s = s.trim();
        (!s.is_empty()
            && s.len() <= 128
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .then(|| s.to_string())
    };
    if let Some(i) = raw.find("\"name\"") {
        let rest = raw[i + 6..].trim_start();
        if let Some(rest) = rest.strip_prefix(':') {
            let rest = rest.trim_start();
            if let Some(rest) = rest.strip_prefix('"')
                && let Some(end) = rest.find('"')
                && let Some(name) = valid(&rest[..end])
            {
                return Some(name);
            }
        }
    }
    let between = |open: &str, close: &[char]| {
        let i = raw.find(open)?;
        let rest = &raw[i + open.len()..];
        let end = rest.find(close).unwrap_or(rest.len());
        valid(&rest[..end])
    };
    between("<function=", &['>'])
        .or_else(|| between("to=functions.", &[' ', '<', '\n']))
        .or_else(|| between("[TOOL_CALLS]", &['[']))
}
