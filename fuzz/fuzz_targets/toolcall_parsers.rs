//! The streaming tool-call parser, every format, fed whole and split at
//! fuzzer-chosen points; then the same text through text-mode recovery of
//! the OpenAI backend.
//!
//! Properties: no panic; the split does not change the (prose-merged)
//! result; every finished call's arguments are a JSON object; every call
//! was announced first; text mode numbers its calls and announcements
//! consistently.

#![no_main]

use arbitrary::Arbitrary;
use kiln::backend::openai::fuzz::text_mode;
use kiln::backend::{Completion, Delta, FinishReason};
use kiln::chat::ToolSpec;
use kiln::toolcall::{Format, Parsed, StreamParser};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

const FORMATS: [Format; 6] = [
    Format::Hermes,
    Format::Qwen3CoderXml,
    Format::Llama3Json,
    Format::Mistral,
    Format::Harmony,
    Format::GenericJson,
];

/// Markup and call fragments of every format: inputs built from them and
/// raw text reach the inside of calls far sooner than raw bytes alone.
const TOKENS: &[&str] = &[
    "<tool_call>",
    "</tool_call>",
    "<function=",
    "</function>",
    "<parameter=",
    "</parameter>",
    "<|python_tag|>",
    "[TOOL_CALLS]",
    "[ARGS]",
    "[CALL_ID]",
    "</s>",
    "<|start|>",
    "<|channel|>",
    "<|message|>",
    "<|constrain|>",
    "<|call|>",
    "<|end|>",
    "<|return|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|im_end|>",
    "<|endoftext|>",
    "assistant",
    "analysis",
    "commentary",
    "final",
    " to=functions.",
    "json",
    "<think>",
    "</think>",
    "```json\n",
    "```\n",
    "\n```",
    "{\"name\": \"read_file\", \"arguments\": ",
    "{\"name\": \"shell\", \"parameters\": ",
    "{\"tool\": \"write_file\", \"tool_input\": ",
    "{\"path\": \"a.rs\"}",
    "{\"command\": \"ls\", \"timeout\": 5}",
    "{\"content\": \"x\\ny\"}",
    "[{\"name\": \"grep\", \"arguments\": {}}]",
    "read_file",
    "write_file",
    "shell",
    "path",
    "content",
    "command",
    "timeout",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "\\",
    ":",
    ",",
    ";",
    ">",
    "\n",
    "\r\n",
    " ",
    "é",
    "😀",
];

#[derive(Arbitrary, Debug)]
enum Piece<'a> {
    Token(u8),
    Text(&'a str),
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    format: u8,
    start_in_reasoning: bool,
    /// Parse with the tools' schemas (`with_tools`) instead of names only.
    schemas: bool,
    /// Split points, taken modulo the text's length.
    cuts: Vec<u16>,
    pieces: Vec<Piece<'a>>,
}

fn specs() -> Vec<ToolSpec> {
    let spec = |name: &str, parameters| ToolSpec {
        name: name.into(),
        description: String::new(),
        parameters,
    };
    let string = json!({"type": "string"});
    let integer = json!({"type": "integer"});
    vec![
        spec(
            "read_file",
            json!({"type": "object", "properties": {"path": string, "offset": integer}}),
        ),
        spec(
            "write_file",
            json!({"type": "object", "properties": {"path": string, "content": string}}),
        ),
        spec(
            "shell",
            json!({"type": "object", "properties": {"command": string, "timeout": integer}}),
        ),
        spec(
            "grep",
            json!({"type": "object", "properties": {"pattern": string}}),
        ),
    ]
}

fn parser(format: Format, specs: &[ToolSpec], schemas: bool, reasoning: bool) -> StreamParser {
    let mut p = if schemas {
        StreamParser::with_tools(format, specs)
    } else {
        StreamParser::new(format, specs.iter().map(|s| s.name.clone()).collect())
    };
    if reasoning {
        p.start_in_reasoning();
    }
    p
}

/// Feeds `pieces`, finishes, and merges adjacent prose of one kind (the
/// split-independent view, as in the parser's own tests).
fn feed(mut p: StreamParser, pieces: &[&str]) -> Vec<Parsed> {
    let mut all = Vec::new();
    for piece in pieces {
        all.extend(p.push(piece));
    }
    all.extend(p.finish());
    let mut out: Vec<Parsed> = Vec::new();
    for item in all {
        match (out.last_mut(), &item) {
            (Some(Parsed::Text(a)), Parsed::Text(b)) => a.push_str(b),
            (Some(Parsed::Reasoning(a)), Parsed::Reasoning(b)) => a.push_str(b),
            _ => out.push(item),
        }
    }
    out
}

/// `text` cut at `cuts` (modulo its length, moved back to char boundaries).
fn split<'t>(text: &'t str, cuts: &[u16]) -> Vec<&'t str> {
    if text.is_empty() {
        return vec![text];
    }
    let mut at: Vec<usize> = cuts
        .iter()
        .map(|&c| {
            let mut i = usize::from(c) % (text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        })
        .collect();
    at.push(0);
    at.push(text.len());
    at.sort_unstable();
    at.dedup();
    at.windows(2).map(|w| &text[w[0]..w[1]]).collect()
}

/// Every finished call was announced (in order), and its arguments are a
/// JSON object.
fn check_calls(items: &[Parsed]) {
    let mut announced: Vec<&str> = Vec::new();
    let mut next = 0;
    for item in items {
        match item {
            Parsed::ToolCallStarted { name } => announced.push(name),
            Parsed::ToolCall { name, arguments } => {
                let value: serde_json::Value =
                    serde_json::from_str(arguments).unwrap_or_else(|e| {
                        panic!("arguments of {name} are not JSON ({e}): {arguments:?}")
                    });
                assert!(
                    value.is_object(),
                    "arguments of {name} not an object: {arguments}"
                );
                let found = announced[next..].iter().position(|a| a == name);
                let Some(k) = found else {
                    panic!("call {name} was not announced: {items:?}");
                };
                next += k + 1;
            }
            Parsed::Text(_) | Parsed::Reasoning(_) | Parsed::Malformed { .. } => {}
        }
    }
}

/// Text mode hands every call (malformed ones too) to the conversation,
/// numbered in order, and announces them with consecutive indexes.
fn check_text_mode(format: Format, specs: &[ToolSpec], text: &str, pieces: &[&str]) {
    let parsed = feed(StreamParser::with_tools(format, specs), &[text]);
    let calls = parsed
        .iter()
        .filter(|p| matches!(p, Parsed::ToolCall { .. } | Parsed::Malformed { .. }))
        .count();
    let completion = Completion {
        text: text.to_string(),
        reasoning: None,
        tool_calls: Vec::new(),
        usage: Default::default(),
        finish: FinishReason::Stop,
        engine: None,
    };
    let (deltas, done) = text_mode(Some(format), specs, pieces, completion);
    assert_eq!(done.tool_calls.len(), calls, "{parsed:?} -> {done:?}");
    for (n, call) in done.tool_calls.iter().enumerate() {
        assert_eq!(call.id, format!("call_{n}"));
    }
    if calls > 0 {
        assert_eq!(done.finish, FinishReason::ToolCalls);
    }
    let indexes: Vec<usize> = deltas
        .iter()
        .filter_map(|d| match d {
            Delta::ToolCallStarted { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    let want: Vec<usize> = (0..indexes.len()).collect();
    assert_eq!(indexes, want, "{deltas:?}");
}

fuzz_target!(|input: Input<'_>| {
    let format = FORMATS[usize::from(input.format) % FORMATS.len()];
    let mut text = String::new();
    for piece in &input.pieces {
        match piece {
            Piece::Token(t) => text.push_str(TOKENS[usize::from(*t) % TOKENS.len()]),
            Piece::Text(s) => text.push_str(s),
        }
    }
    let specs = specs();
    let make = || parser(format, &specs, input.schemas, input.start_in_reasoning);
    let whole = feed(make(), &[&text]);
    let pieces = split(&text, &input.cuts);
    let parts = feed(make(), &pieces);
    assert_eq!(parts, whole, "split {pieces:?} of {text:?} ({format:?})");
    check_calls(&whole);
    check_text_mode(format, &specs, &text, &pieces);
});
