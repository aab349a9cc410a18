use serde_json::json;

use super::*;
use crate::chat::ToolSpec;

const Q: Format = Format::Qwen3CoderXml;

const WRITE: &str = "I'll create the file.\n\n<tool_call>\n<function=write_file>\n<parameter=path>\nsrc/lib.rs\n</parameter>\n<parameter=content>\npub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\n</parameter>\n</function>\n</tool_call>";

#[test]
fn write_file_call_with_multiline_value() {
    let out = parse(Q, WRITE);
    let mut want = vec![text("I'll create the file.")];
    want.extend(both(
        "write_file",
        json!({"path": "src/lib.rs", "content": "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n"}),
    ));
    assert_eq!(out, want);
}

#[test]
fn non_string_values_are_json_without_a_schema() {
    let out = parse(
        Q,
        "<tool_call>\n<function=read_file>\n<parameter=path>\n42\n</parameter>\n<parameter=max_lines>\n50\n</parameter>\n<parameter=opts>\n{\"a\": [1, true]}\n</parameter>\n</function>\n</tool_call>",
    );
    assert_eq!(
        out,
        both(
            "read_file",
            json!({"path": 42, "max_lines": 50, "opts": {"a": [1, true]}})
        )
        .to_vec()
    );
}

#[test]
fn schema_decides_string_parameters() {
    let spec = ToolSpec {
        name: "grep".into(),
        description: String::new(),
        parameters: json!({"type": "object", "properties": {
            "pattern": {"type": "string"}, "max_results": {"type": "integer"}}}),
    };
    let mut p = StreamParser::with_tools(Q, &[spec]);
    let mut out = p.push(
        "<tool_call>\n<function=grep>\n<parameter=pattern>\n42\n</parameter>\n<parameter=max_results>\n7\n</parameter>\n</function>\n</tool_call>",
    );
    out.extend(p.finish());
    assert_eq!(
        out,
        both("grep", json!({"pattern": "42", "max_results": 7})).to_vec()
    );
}

#[test]
fn several_functions_and_bare_function_without_tool_call_tag() {
    let out = parse(
        Q,
        "<tool_call>\n<function=read_file>\n<parameter=path>\na.rs\n</parameter>\n</function>\n<function=read_file>\n<parameter=path>\nb.rs\n</parameter>\n</function>\n</tool_call>\n<function=list_files>\n<parameter=path>\n.\n</parameter>\n</function>\n</tool_call>",
    );
    let mut want = vec![started("read_file"), started("read_file")];
    want.push(call("read_file", json!({"path": "a.rs"})));
    want.push(call("read_file", json!({"path": "b.rs"})));
    want.extend(both("list_files", json!({"path": "."})));
    assert_eq!(out, want);
}

#[test]
fn value_containing_closing_tag_text_and_missing_parameter_closer() {
    let out = parse(
        Q,
        "<tool_call>\n<function=write_file>\n<parameter=content>\nsay </tool_call> here\n</parameter>\n<parameter=path>\nx.md\n</function>\n</tool_call>",
    );
    assert_eq!(
        out,
        both(
            "write_file",
            json!({"content": "say </tool_call> here", "path": "x.md"})
        )
        .to_vec()
    );
}

#[test]
fn cut_off_value_is_malformed() {
    let out = parse(
        Q,
        "<tool_call>\n<function=write_file>\n<parameter=path>\na.rs\n</parameter>\n<parameter=content>\nfn main() {",
    );
    assert_eq!(out[0], started("write_file"));
    let (raw, error) = malformed(&out);
    assert!(raw.starts_with("<tool_call>"));
    assert!(error.contains("cut off"), "{error}");
    // All parameters closed, only `</function>` missing: complete.
    let out = parse(
        Q,
        "<tool_call>\n<function=read_file>\n<parameter=path>\na.rs\n</parameter>\n",
    );
    assert_eq!(out, both("read_file", json!({"path": "a.rs"})).to_vec());
}

#[test]
fn split_stress_on_the_full_sample_with_thinking() {
    let sample = format!("<think>\nNeed a file.\n</think>\n{WRITE}\nDone — ✓");
    let out = parse(Q, &sample);
    assert_eq!(out.first(), Some(&reasoning("Need a file.")));
    assert_eq!(out.last(), Some(&text("Done — ✓")));
}
