//! Constrained tool calls: a lazy grammar that takes over once the model
//! opens a tool call, so small models emit parseable, schema-valid calls.
//!
//! The grammar only applies after a trigger matches, so prose is free. For
//! JSON-based formats the triggers include the openings Qwen2.5-Coder uses
//! in practice (a bare `{"name"` object or a ```json fence) besides the
//! format's own tag.

use serde_json::json;

use crate::chat::ToolSpec;
use crate::engine::LazyGrammar;
use crate::toolcall::Format;

/// The grammar for `format`, or `None` for formats kiln does not constrain
/// (their calls are still parsed; a bad one becomes a tool error).
pub fn lazy_grammar(format: Format, tools: &[ToolSpec]) -> Option<LazyGrammar> {
    let (openers, block) = match format {
        Format::Hermes | Format::GenericJson => (
            vec![r"<tool_call>", r"```json", r#"\{\s*"name""#],
            r#"block ::= "<tool_call>" ws call ws "</tool_call>" | "```json" ws call ws "```" | call"#,
        ),
        Format::Llama3Json => (
            vec![r"<\|python_tag\|>", r#"\{\s*"name""#],
            r#"block ::= "<|python_tag|>" ws call | call"#,
        ),
        _ => return None,
    };
    let call = call_grammar(format, tools)?;
    // Whitespace between and after calls is bounded: an unbounded `ws`
    // lets a small model loop on newlines, and a newline after the last
    // call must still allow the turn to end.
    let gbnf = format!("root ::= block (ws block)* ws\n{block}\nws ::= [ \\t\\n]{{0,8}}\n{call}");
    let group = openers.join("|");
    Some(LazyGrammar {
        gbnf,
        trigger_patterns: vec![format!(r"[\s\S]*?({group})[\s\S]*")],
        forced: false,
    })
}

/// The JSON schema of one call to any of `tools`, as GBNF with root `call`.
fn call_grammar(format: Format, tools: &[ToolSpec]) -> Option<String> {
    let args_key = match format {
        Format::Llama3Json => "parameters",
        _ => "arguments",
    };
    // Property order matters: llama.cpp's converter emits properties in
    // order, so the grammar must expect `name` first, as models write it, or
    // the `{"name"` a trigger replays would not parse. serde_json and toml
    // are built with `preserve_order` for this (and so arguments follow the
    // order of the tool specs, e.g. `path` before `old_string`).
    let any_of: Vec<_> = tools
        .iter()
        .map(|t| {
            json!({
                "type": "object",
                "properties": { "name": { "const": t.name }, args_key: bounded(&t.parameters) },
                "required": ["name", args_key],
                "additionalProperties": false,
            })
        })
        .collect();
    let schema = json!({ "anyOf": any_of }).to_string();
    let gbnf = schema_to_gbnf(&schema)?;
    // Rename the converted root so ours can wrap it.
    Some(
        gbnf.lines()
            .map(|l| match l.strip_prefix("root ::=") {
                Some(rest) => format!("call ::={rest}"),
                None => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// The argument schema with an upper bound on every integer that has none,
/// so a small model cannot run away inside a number (seen: 0.5B Qwen filling
/// a `timeout_secs` with digits until the token cap).
fn bounded(schema: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match schema {
        Value::Object(map) => {
            let mut map: serde_json::Map<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), bounded(v))).collect();
            if map.get("type").and_then(Value::as_str) == Some("integer")
                && !map.contains_key("maximum")
            {
                map.insert("maximum".into(), Value::from(MAX_INTEGER));
            }
            Value::Object(map)
        }
        Value::Array(items) => Value::Array(items.iter().map(bounded).collect()),
        other => other.clone(),
    }
}

/// Larger than any line number or timeout a tool takes.
const MAX_INTEGER: u64 = 99_999_999;

#[cfg(feature = "llama")]
fn schema_to_gbnf(schema: &str) -> Option<String> {
    match llama_cpp_2::json_schema_to_grammar(schema) {
        Ok(g) => Some(g),
        Err(e) => {
            tracing::warn!("tool schemas could not be turned into a grammar: {e}");
            None
        }
    }
}

#[cfg(not(feature = "llama"))]
fn schema_to_gbnf(_: &str) -> Option<String> {
    None
}

#[cfg(all(test, feature = "llama"))]
mod tests {
    use super::*;

    #[test]
    fn hermes_grammar_wraps_every_tool() {
        let specs = crate::tools::spec::load_specs(None).unwrap();
        let g = lazy_grammar(Format::Hermes, &specs).unwrap();
        assert!(g.gbnf.starts_with("root ::= block"));
        assert!(g.gbnf.contains("call ::="));
        assert!(
            !g.gbnf
                .lines()
                .any(|l| l.starts_with("root ::=") && l.contains("anyOf"))
        );
        for s in &specs {
            assert!(
                g.gbnf.contains(&format!("\\\"{}\\\"", s.name)),
                "{}",
                s.name
            );
        }
        assert!(g.trigger_patterns[0].contains("<tool_call>"));
        assert!(lazy_grammar(Format::Qwen3CoderXml, &specs).is_none());
    }
}
