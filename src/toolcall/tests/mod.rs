//! Tests of the tool-call parsers. Every sample is also fed split at every
//! char boundary, and char by char: the output must not depend on the split.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod generic;
mod harmony;
mod hermes;
mod llama3;
mod misc;
mod mistral;
mod qwen3_xml;

use serde_json::Value;

use super::{Format, Parsed, StreamParser};

pub(super) const TOOLS: &[&str] = &[
    "read_file",
    "write_file",
    "edit_file",
    "list_files",
    "grep",
    "shell",
];

pub(super) fn tools() -> Vec<String> {
    TOOLS.iter().map(|s| s.to_string()).collect()
}

/// Adjacent prose of one kind merged: the split-independent view.
pub(super) fn normalise(items: Vec<Parsed>) -> Vec<Parsed> {
    let mut out: Vec<Parsed> = Vec::new();
    for item in items {
        match (out.last_mut(), &item) {
            (Some(Parsed::Text(a)), Parsed::Text(b)) => a.push_str(b),
            (Some(Parsed::Reasoning(a)), Parsed::Reasoning(b)) => a.push_str(b),
            _ => out.push(item),
        }
    }
    out
}

/// Feeds `pieces` to a fresh parser, then finishes.
pub(super) fn feed_with(mut p: StreamParser, pieces: &[&str]) -> Vec<Parsed> {
    let mut all = Vec::new();
    for piece in pieces {
        all.extend(p.push(piece));
    }
    all.extend(p.finish());
    normalise(all)
}

pub(super) fn parser(format: Format, reasoning: bool) -> StreamParser {
    let mut p = StreamParser::new(format, tools());
    if reasoning {
        p.start_in_reasoning();
    }
    p
}

/// Parses `text` whole, then checks every two-way split and a char-by-char
/// feed give the same result, and that no markup leaked into prose.
pub(super) fn parse_opts(format: Format, reasoning: bool, text: &str) -> Vec<Parsed> {
    let whole = feed_with(parser(format, reasoning), &[text]);
    for cut in (1..text.len()).filter(|&i| text.is_char_boundary(i)) {
        let split = feed_with(parser(format, reasoning), &[&text[..cut], &text[cut..]]);
        assert_eq!(
            split,
            whole,
            "split at {cut}: {:?} | {:?}",
            &text[..cut],
            &text[cut..]
        );
    }
    let chars: Vec<String> = text.chars().map(String::from).collect();
    let pieces: Vec<&str> = chars.iter().map(String::as_str).collect();
    assert_eq!(
        feed_with(parser(format, reasoning), &pieces),
        whole,
        "char by char"
    );
    for item in &whole {
        if let Parsed::Text(t) = item {
            for marker in [
                "<tool_call>",
                "</tool_call>",
                "[TOOL_CALLS]",
                "<|",
                "<think>",
                "</think>",
            ] {
                assert!(!t.contains(marker), "markup {marker:?} in text {t:?}");
            }
        }
    }
    whole
}

pub(super) fn parse(format: Format, text: &str) -> Vec<Parsed> {
    parse_opts(format, false, text)
}

pub(super) fn text(s: &str) -> Parsed {
    Parsed::Text(s.into())
}

pub(super) fn reasoning(s: &str) -> Parsed {
    Parsed::Reasoning(s.into())
}

pub(super) fn started(name: &str) -> Parsed {
    Parsed::ToolCallStarted { name: name.into() }
}

pub(super) fn call(name: &str, args: Value) -> Parsed {
    Parsed::ToolCall {
        name: name.into(),
        arguments: args.to_string(),
    }
}

/// A started + finished call pair.
pub(super) fn both(name: &str, args: Value) -> [Parsed; 2] {
    [started(name), call(name, args)]
}

/// The error of the only `Malformed` in `items`, and its raw text.
pub(super) fn malformed(items: &[Parsed]) -> (String, String) {
    let found: Vec<_> = items
        .iter()
        .filter_map(|p| match p {
            Parsed::Malformed { raw, error } => Some((raw.clone(), error.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "{items:?}");
    found[0].clone()
}
