use serde_json::json;

use super::*;

const G: Format = Format::GenericJson;

#[test]
fn qwen25_bare_object() {
    let out = parse(
        G,
        "{\"name\": \"read_file\", \"arguments\": {\"path\": \"README.md\"}}",
    );
    assert_eq!(
        out,
        both("read_file", json!({"path": "README.md"})).to_vec()
    );
}

#[test]
fn qwen25_fenced_block_after_prose() {
    let out = parse(
        G,
        "To create the script, I'll write it:\n\n```json\n{\n  \"name\": \"write_file\",\n  \"arguments\": {\n    \"path\": \"hello.py\",\n    \"content\": \"print(\\\"héllo\\\")\\n\"\n  }\n}\n```\n",
    );
    let mut want = vec![text("To create the script, I'll write it:")];
    want.extend(both(
        "write_file",
        json!({"path": "hello.py", "content": "print(\"héllo\")\n"}),
    ));
    assert_eq!(out, want);
}

#[test]
fn array_of_calls_and_plain_fence() {
    let out = parse(
        G,
        "```\n[{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}, {\"name\": \"read_file\", \"arguments\": {\"path\": \"b\"}}]\n```",
    );
    let mut want = vec![started("read_file"), started("read_file")];
    want.push(call("read_file", json!({"path": "a"})));
    want.push(call("read_file", json!({"path": "b"})));
    assert_eq!(out, want);
}

#[test]
fn prose_with_json_that_is_not_a_call_stays_text() {
    let sample = "Here is the config:\n```json\n{\"name\": \"my-package\", \"version\": \"1.0.0\"}\n```\nAnd a schema {\"type\": \"object\", \"properties\": {}} inline, a set {1, 2}, an array [1, 2] and code:\n```rust\nfn main() { println!(\"{}\", 1); }\n```\n```\n{\n  \"key\": \"value\"\n}\n```";
    assert_eq!(parse(G, sample), vec![text(sample)]);
}

#[test]
fn unknown_tool_name_stays_text() {
    let sample = "{\"name\": \"delete_everything\", \"arguments\": {}}";
    assert_eq!(parse(G, sample), vec![text(sample)]);
    let fenced = "```json\n{\"name\": \"browse\", \"arguments\": {\"url\": \"x\"}}\n```";
    assert_eq!(parse(G, fenced), vec![text(fenced)]);
}

#[test]
fn known_name_without_arguments_stays_text() {
    let sample = "The tool {\"name\": \"read_file\"} reads files.";
    assert_eq!(parse(G, sample), vec![text(sample)]);
}

#[test]
fn committed_call_with_bad_arguments_is_malformed() {
    // Known name and an arguments field: a call, even though the arguments
    // are not an object.
    let out = parse(G, "{\"name\": \"read_file\", \"arguments\": [\"a.rs\"]}");
    assert_eq!(out[0], started("read_file"));
    let (raw, error) = malformed(&out);
    assert_eq!(raw, "{\"name\": \"read_file\", \"arguments\": [\"a.rs\"]}");
    assert!(error.contains("not a JSON object"), "{error}");
}

#[test]
fn cut_off_bare_call_is_malformed_but_cut_off_prose_json_is_text() {
    let out = parse(
        G,
        "{\"name\": \"write_file\", \"arguments\": {\"path\": \"a\", \"content\": \"x",
    );
    let (_, error) = malformed(&out);
    assert!(error.contains("cut off"), "{error}");
    let prose = "Try {\"name\": \"value\", unfinished";
    assert_eq!(parse(G, prose), vec![text(prose)]);
}

#[test]
fn arguments_string_holding_json_and_flat_keys() {
    let out = parse(
        G,
        r#"{"function": "grep", "parameters": "{\"pattern\": \"TODO\"}"}"#,
    );
    assert_eq!(out, both("grep", json!({"pattern": "TODO"})).to_vec());
}

#[test]
fn calls_mixed_with_prose() {
    let out = parse(
        G,
        "First I read it. {\"name\": \"read_file\", \"arguments\": {\"path\": \"a.rs\"}} Then I grep:\n```json\n{\"name\": \"grep\", \"arguments\": {\"pattern\": \"fn\"}}\n```\nThat's all.",
    );
    let mut want = vec![text("First I read it.")];
    want.extend(both("read_file", json!({"path": "a.rs"})));
    want.push(text("Then I grep:"));
    want.extend(both("grep", json!({"pattern": "fn"})));
    want.push(text("That's all."));
    assert_eq!(out, want);
}

#[test]
fn fence_with_text_after_the_json_is_not_a_clean_block() {
    let sample = "```json\n{\"name\": \"x\", \"arguments\": {}}\n// comment\n```";
    assert_eq!(parse(G, sample), vec![text(sample)]);
}

#[test]
fn think_reasoning_in_generic_format() {
    let out = parse(
        G,
        "<think>I need the file. {\"name\": \"read_file\", \"arguments\": {}}</think>{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}",
    );
    let mut want = vec![reasoning(
        "I need the file. {\"name\": \"read_file\", \"arguments\": {}}",
    )];
    want.extend(both("read_file", json!({"path": "a"})));
    assert_eq!(out, want);
}

#[test]
fn brace_in_prose_is_released_promptly() {
    let mut p = StreamParser::new(G, tools());
    assert_eq!(p.push("fn main() {"), vec![text("fn main()")]);
    assert_eq!(p.push("\n    let x"), vec![text(" {\n    let x")]);
    assert_eq!(p.push(" = {\"na"), vec![text(" =")]);
    // Decided at the closing brace: not a call.
    assert_eq!(p.push("me\": 1}"), vec![text(" {\"name\": 1}")]);
    assert_eq!(p.push(";"), vec![text(";")]);
}
