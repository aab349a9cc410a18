use serde_json::json;

use super::*;

const H: Format = Format::Hermes;

#[test]
fn qwen25_call_after_prose() {
    let out = parse(
        H,
        "I'll read the file first.\n<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"src/main.rs\"}}\n</tool_call>",
    );
    let mut want = vec![text("I'll read the file first.")];
    want.extend(both("read_file", json!({"path": "src/main.rs"})));
    assert_eq!(out, want);
}

#[test]
fn several_calls_and_prose_between_and_after() {
    let out = parse(
        H,
        "Let me look around.\n\n<tool_call>\n{\"name\": \"list_files\", \"arguments\": {\"path\": \".\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"grep\", \"arguments\": {\"pattern\": \"fn main\", \"path\": \"src\"}}\n</tool_call>\nBoth are running — wäit for résults.",
    );
    let mut want = vec![text("Let me look around.")];
    want.extend(both("list_files", json!({"path": "."})));
    want.extend(both("grep", json!({"pattern": "fn main", "path": "src"})));
    want.push(text("Both are running — wäit for résults."));
    assert_eq!(out, want);
}

#[test]
fn qwen3_thinking_then_call() {
    let out = parse(
        H,
        "<think>\nThe user wants the files listed. I should call list_files with path \".\".\n</think>\n\n<tool_call>\n{\"name\": \"list_files\", \"arguments\": {\"path\": \".\"}}\n</tool_call>",
    );
    let mut want = vec![reasoning(
        "The user wants the files listed. I should call list_files with path \".\".",
    )];
    want.extend(both("list_files", json!({"path": "."})));
    assert_eq!(out, want);
}

#[test]
fn template_opened_think_and_markup_inside_reasoning_is_not_a_call() {
    let out = parse_opts(
        H,
        true,
        "Maybe <tool_call>{\"name\": \"shell\"}</tool_call> is wrong; no tool needed.\n</think>\n\nThe answer is 42.",
    );
    assert_eq!(
        out,
        vec![
            reasoning(
                "Maybe <tool_call>{\"name\": \"shell\"}</tool_call> is wrong; no tool needed."
            ),
            text("The answer is 42."),
        ]
    );
}

#[test]
fn unknown_tool_inside_tags_is_still_a_call() {
    let out = parse(
        H,
        "<tool_call>\n{\"name\": \"delete_everything\", \"arguments\": {}}\n</tool_call>",
    );
    assert_eq!(out, both("delete_everything", json!({})).to_vec());
}

#[test]
fn invalid_json_in_tags_is_malformed_with_raw_and_error() {
    let block =
        "<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.rs\"}\n</tool_call>";
    let out = parse(H, &format!("Reading.\n{block}\nDone?"));
    assert_eq!(out[0], text("Reading."));
    let (raw, error) = malformed(&out);
    assert_eq!(raw, block);
    assert!(error.contains("JSON"), "{error}");
    assert_eq!(out.last(), Some(&text("Done?")));
}

#[test]
fn unterminated_call_is_malformed_not_text() {
    let out = parse(
        H,
        "<tool_call>\n{\"name\": \"write_file\", \"arguments\": {\"path\": \"a.rs\", \"content\": \"fn ma",
    );
    assert_eq!(out[0], started("write_file"));
    let (raw, error) = malformed(&out);
    assert!(
        raw.starts_with("<tool_call>") && raw.ends_with("fn ma"),
        "{raw}"
    );
    assert!(error.contains("EOF"), "{error}");
}

#[test]
fn complete_json_without_closing_tag_is_accepted() {
    let out = parse(
        H,
        "<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.rs\"}}\n",
    );
    assert_eq!(out, both("read_file", json!({"path": "a.rs"})).to_vec());
    // A second opening ends a call whose closer was forgotten.
    let out = parse(
        H,
        "<tool_call>{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}<tool_call>{\"name\": \"read_file\", \"arguments\": {\"path\": \"b\"}}</tool_call>",
    );
    let mut want = both("read_file", json!({"path": "a"})).to_vec();
    want.extend(both("read_file", json!({"path": "b"})));
    assert_eq!(out, want);
}

#[test]
fn closing_tag_inside_an_argument_string_does_not_end_the_call() {
    let content = "Wrap calls in <tool_call> … </tool_call> tags.\n";
    let body = json!({"name": "write_file", "arguments": {"path": "doc.md", "content": content}});
    let out = parse(H, &format!("<tool_call>\n{body}\n</tool_call>"));
    assert_eq!(
        out,
        both("write_file", json!({"path": "doc.md", "content": content})).to_vec()
    );
}

#[test]
fn arguments_as_a_json_string_are_decoded_and_normalised() {
    let out = parse(
        H,
        r#"<tool_call>{"arguments": "{\"path\": \"x.rs\", \"max_lines\": 10}", "name": "read_file"}</tool_call>"#,
    );
    assert_eq!(
        out,
        both("read_file", json!({"path": "x.rs", "max_lines": 10})).to_vec()
    );
    let out = parse(
        H,
        r#"<tool_call>{"name": "read_file", "arguments": "{\"path\": "}</tool_call>"#,
    );
    let (_, error) = malformed(&out);
    assert!(error.contains("not a JSON object"), "{error}");
}

#[test]
fn openai_shaped_and_fenced_bodies_inside_tags() {
    let out = parse(
        H,
        "<tool_call>\n```json\n{\"type\": \"function\", \"function\": {\"name\": \"grep\", \"arguments\": {\"pattern\": \"x\"}}}\n```\n</tool_call>",
    );
    assert_eq!(out, both("grep", json!({"pattern": "x"})).to_vec());
}

#[test]
fn empty_or_nameless_tags_are_malformed() {
    let (raw, error) = malformed(&parse(H, "<tool_call>\n</tool_call>"));
    assert_eq!(raw, "<tool_call>\n</tool_call>");
    assert!(error.contains("empty"), "{error}");
    let (_, error) = malformed(&parse(H, "<tool_call>{\"arguments\": {}}</tool_call>"));
    assert!(error.contains("name"), "{error}");
    let (_, error) = malformed(&parse(H, "<tool_call>read_file(\"a\")</tool_call>"));
    assert!(error.contains("unexpected"), "{error}");
}

#[test]
fn partial_opening_is_withheld_until_known() {
    let mut p = StreamParser::new(H, tools());
    assert_eq!(p.push("I'll check.\n<tool"), vec![text("I'll check.")]);
    assert_eq!(p.push("_call>\n{\"name\": \"read_"), vec![]);
    assert_eq!(p.push("file\", \"arg"), vec![started("read_file")]);
    assert_eq!(
        p.push("uments\": {\"path\": \"a\"}}\n</tool_call>"),
        vec![call("read_file", json!({"path": "a"}))]
    );
    assert_eq!(p.finish(), vec![]);
    // Not a tag after all: released as soon as that is certain.
    let mut p = StreamParser::new(H, tools());
    assert_eq!(p.push("a <to"), vec![text("a")]);
    assert_eq!(p.push("p> b"), vec![text(" <top> b")]);
}

#[test]
fn bare_json_and_fences_are_accepted_as_in_generic() {
    let out = parse(
        H,
        "{\"name\": \"read_file\", \"arguments\": {\"path\": \"README.md\"}}",
    );
    assert_eq!(
        out,
        both("read_file", json!({"path": "README.md"})).to_vec()
    );
}
