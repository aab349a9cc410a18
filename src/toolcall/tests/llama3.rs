use serde_json::json;

use super::*;

const L: Format = Format::Llama3Json;

#[test]
fn python_tag_call() {
    let out = parse(
        L,
        "<|python_tag|>{\"name\": \"read_file\", \"parameters\": {\"path\": \"main.py\"}}<|eom_id|>",
    );
    assert_eq!(out, both("read_file", json!({"path": "main.py"})).to_vec());
}

#[test]
fn python_tag_several_calls_separated_by_semicolons() {
    let out = parse(
        L,
        "<|python_tag|>{\"type\": \"function\", \"name\": \"grep\", \"parameters\": {\"pattern\": \"TODO\"}}; {\"name\": \"list_files\", \"parameters\": {}}",
    );
    // One block: every name is announced before its calls.
    let want = vec![
        started("grep"),
        started("list_files"),
        call("grep", json!({"pattern": "TODO"})),
        call("list_files", json!({})),
    ];
    assert_eq!(out, want);
}

#[test]
fn llama32_bare_json_with_type_function_and_semicolons() {
    let out = parse(
        L,
        "{\"type\": \"function\", \"name\": \"read_file\", \"parameters\": {\"path\": \"a.py\"}}; {\"name\": \"read_file\", \"parameters\": {\"path\": \"b.py\"}}",
    );
    let mut want = both("read_file", json!({"path": "a.py"})).to_vec();
    want.extend(both("read_file", json!({"path": "b.py"})));
    assert_eq!(out, want);
}

#[test]
fn unknown_tool_after_python_tag_is_a_call_but_bare_is_text() {
    let out = parse(
        L,
        "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}",
    );
    assert_eq!(out, both("get_weather", json!({"city": "Paris"})).to_vec());
    let bare = "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}";
    assert_eq!(parse(L, bare), vec![text(bare)]);
}

#[test]
fn builtin_tool_code_after_python_tag_is_malformed() {
    let out = parse(
        L,
        "<|python_tag|>brave_search.call(query=\"rust\")<|eom_id|>",
    );
    let (raw, error) = malformed(&out);
    assert_eq!(
        raw,
        "<|python_tag|>brave_search.call(query=\"rust\")<|eom_id|>"
    );
    assert!(error.contains("unexpected"), "{error}");
}

#[test]
fn llama31_function_tag_and_cut_off_call() {
    let out = parse(
        L,
        "Looking.\n<function=grep>{\"pattern\": \"main\"}</function>",
    );
    let mut want = vec![text("Looking.")];
    want.extend(both("grep", json!({"pattern": "main"})));
    assert_eq!(out, want);
    let out = parse(
        L,
        "<|python_tag|>{\"name\": \"shell\", \"parameters\": {\"command\": \"ls",
    );
    assert_eq!(out[0], started("shell"));
    malformed(&out);
}
