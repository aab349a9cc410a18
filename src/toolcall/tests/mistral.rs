use serde_json::json;

use super::*;

const M: Format = Format::Mistral;

#[test]
fn v3_array_with_ids() {
    let out = parse(
        M,
        "[TOOL_CALLS] [{\"name\": \"read_file\", \"arguments\": {\"path\": \"src/main.rs\"}, \"id\": \"abc123def\"}, {\"name\": \"list_files\", \"arguments\": {}, \"id\": \"ghi456jkl\"}]</s>",
    );
    let want = vec![
        started("read_file"),
        started("list_files"),
        call("read_file", json!({"path": "src/main.rs"})),
        call("list_files", json!({})),
    ];
    assert_eq!(out, want);
}

#[test]
fn v11_name_args_form_several_calls() {
    let out = parse(
        M,
        "I'll search first.[TOOL_CALLS]grep[ARGS]{\"pattern\": \"fn main\"}[TOOL_CALLS]read_file[ARGS]{\"path\": \"src/main.rs\"}",
    );
    let mut want = vec![text("I'll search first.")];
    want.extend(both("grep", json!({"pattern": "fn main"})));
    want.extend(both("read_file", json!({"path": "src/main.rs"})));
    assert_eq!(out, want);
}

#[test]
fn call_id_form_and_unknown_tool() {
    let out = parse(
        M,
        "[TOOL_CALLS]get_weather[CALL_ID]a1b2c3d4e[ARGS]{\"city\": \"Paris\"}",
    );
    assert_eq!(out, both("get_weather", json!({"city": "Paris"})).to_vec());
}

#[test]
fn malformed_and_cut_off() {
    let out = parse(M, "[TOOL_CALLS]read_file[ARGS]{\"path\": \"a\"");
    assert_eq!(out[0], started("read_file"));
    let (_, error) = malformed(&out);
    assert!(error.contains("cut off"), "{error}");
    let out = parse(M, "[TOOL_CALLS]read file please");
    let (raw, _) = malformed(&out);
    assert_eq!(raw, "[TOOL_CALLS]read");
    assert_eq!(out.last(), Some(&text("file please")));
    let out = parse(
        M,
        "[TOOL_CALLS][{\"name\": \"read_file\", \"arguments\": {\"path\": 1,}}]",
    );
    let (_, error) = malformed(&out);
    assert!(error.contains("JSON"), "{error}");
}

#[test]
fn generic_fallback_in_mistral_format() {
    let out = parse(
        M,
        "```json\n[{\"name\": \"shell\", \"arguments\": {\"command\": \"ls\"}}]\n```",
    );
    assert_eq!(out, both("shell", json!({"command": "ls"})).to_vec());
}
