#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;

fn feed(asm: &mut Assembler, events: &[Value]) -> Vec<Delta> {
    let mut deltas = Vec::new();
    let mut sink = |d: Delta| deltas.push(d);
    for e in events {
        asm.event(&e.to_string(), &mut sink).unwrap();
    }
    deltas
}

fn call_delta(index: Option<usize>, id: Option<&str>, name: Option<&str>, args: &str) -> Value {
    let mut call = json!({"function": {"arguments": args}});
    if let Some(i) = index {
        call["index"] = json!(i);
    }
    if let Some(id) = id {
        call["id"] = json!(id);
        call["type"] = json!("function");
    }
    if let Some(name) = name {
        call["function"]["name"] = json!(name);
    }
    json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]})
}

#[test]
fn role_only_chunks_are_not_output() {
    let mut asm = Assembler::new(0);
    let mut sink = |_: Delta| {};
    let role = json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]});
    assert_eq!(
        asm.event(&role.to_string(), &mut sink).unwrap(),
        Progress::Nothing
    );
    assert_eq!(asm.event(" [DONE]", &mut sink).unwrap(), Progress::Done);
    let text = json!({"choices": [{"delta": {"content": "hi"}}]});
    assert_eq!(
        asm.event(&text.to_string(), &mut sink).unwrap(),
        Progress::Output
    );
}

#[test]
fn arguments_split_anywhere_are_concatenated() {
    let args = r#"{"path":"ünï\"cødé\\n.rs","n":1}"#;
    // Split at every byte boundary that falls on a char boundary of the text.
    let cuts: Vec<usize> = (1..args.len())
        .filter(|&i| args.is_char_boundary(i))
        .collect();
    for &cut in &cuts {
        let mut asm = Assembler::new(0);
        let deltas = feed(
            &mut asm,
            &[
                call_delta(Some(0), Some("c1"), Some("read"), &args[..cut]),
                call_delta(Some(0), None, None, &args[cut..]),
                json!({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]}),
            ],
        );
        assert_eq!(
            deltas,
            vec![Delta::ToolCallStarted {
                index: 0,
                name: "read".into()
            }]
        );
        let done = asm.finish();
        assert_eq!(done.finish, FinishReason::ToolCalls);
        assert_eq!(done.tool_calls.len(), 1);
        assert_eq!(done.tool_calls[0].arguments, args);
        assert_eq!(done.tool_calls[0].id, "c1");
    }
}

#[test]
fn parallel_calls_by_index_and_missing_ids() {
    let mut asm = Assembler::new(3);
    let deltas = feed(
        &mut asm,
        &[
            call_delta(Some(0), None, Some("a"), "{\"x\""),
            call_delta(Some(1), None, Some("b"), "{\"y\""),
            call_delta(Some(0), None, None, ":1}"),
            call_delta(Some(1), None, None, ":2}"),
        ],
    );
    assert_eq!(deltas.len(), 2);
    let done = asm.finish();
    assert_eq!(done.finish, FinishReason::ToolCalls, "inferred");
    let got: Vec<_> = done
        .tool_calls
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![("call_3", "a", "{\"x\":1}"), ("call_4", "b", "{\"y\":2}")]
    );
}

#[test]
fn calls_without_index_are_keyed_by_id_or_follow_the_last() {
    let mut asm = Assembler::new(0);
    feed(
        &mut asm,
        &[
            call_delta(None, Some("a"), Some("one"), "{"),
            call_delta(None, None, None, "}"),
            call_delta(None, Some("b"), Some("two"), "[]"),
            // Same index for two different ids: two calls.
            call_delta(Some(0), Some("c"), Some("three"), "1"),
            call_delta(Some(0), Some("d"), Some("four"), "2"),
            call_delta(Some(0), None, None, "3"),
        ],
    );
    let done = asm.finish();
    let got: Vec<_> = done
        .tool_calls
        .iter()
        .map(|c| (c.id.as_str(), c.arguments.as_str()))
        .collect();
    assert_eq!(got, vec![("a", "{}"), ("b", "[]"), ("c", "1"), ("d", "23")]);
}

#[test]
fn reasoning_usage_and_timings() {
    let mut asm = Assembler::new(0);
    let deltas = feed(
        &mut asm,
        &[
            json!({"choices": [{"delta": {"reasoning_content": "think "}}]}),
            json!({"choices": [{"delta": {"reasoning": "more"}}]}),
            json!({"choices": [{"delta": {"content": "answer"}, "finish_reason": "stop"}]}),
            json!({"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 5.0},
                   "timings": {"cache_n": 7, "prompt_n": 3, "predicted_n": 5}}),
        ],
    );
    assert_eq!(deltas.len(), 3);
    let done = asm.finish();
    assert_eq!(done.text, "answer");
    assert_eq!(done.reasoning.as_deref(), Some("think more"));
    assert_eq!(
        done.usage,
        Usage {
            prompt_tokens: 10,
            completion_tokens: 5,
            cached_tokens: Some(7)
        }
    );
}

#[test]
fn non_streamed_message_and_odd_finish_reasons() {
    let mut asm = Assembler::new(0);
    feed(
        &mut asm,
        &[
            json!({"choices": [{"message": {"content": "whole", "tool_calls": [
            {"id": "x", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}
        ]}, "finish_reason": "weird"}], "usage": {"prompt_tokens": 1, "completion_tokens": 2,
            "prompt_tokens_details": {"cached_tokens": 1}}}),
        ],
    );
    assert!(asm.finished());
    let done = asm.finish();
    assert_eq!(done.text, "whole");
    assert_eq!(done.tool_calls[0].arguments, r#"{"a":1}"#);
    assert_eq!(done.finish, FinishReason::Other("weird".into()));
    assert_eq!(done.usage.cached_tokens, Some(1));
}

#[test]
fn errors_in_the_stream() {
    let mut asm = Assembler::new(0);
    let mut sink = |_: Delta| {};
    let err = asm
        .event(
            r#"{"error": {"code": 502, "message": "provider down"}}"#,
            &mut sink,
        )
        .unwrap_err();
    assert!(
        matches!(&err, BackendError::Http { status: 502, body } if body == "provider down"),
        "{err:?}"
    );
    let err = asm
        .event(r#"{"error": {"message": "context too long"}}"#, &mut sink)
        .unwrap_err();
    assert!(err.to_string().contains("context too long"), "{err}");
    let err = asm.event("{not json", &mut sink).unwrap_err();
    assert!(matches!(err, BackendError::Protocol(_)));
}

#[test]
fn absurd_timings_counts_saturate() {
    let mut asm = Assembler::new(0);
    feed(
        &mut asm,
        &[json!({"choices": [], "timings": {
            "cache_n": u64::MAX, "prompt_n": u64::MAX - 1, "predicted_n": 1e300}})],
    );
    let usage = asm.finish().usage;
    assert_eq!(usage.prompt_tokens, u64::MAX);
    assert_eq!(usage.cached_tokens, Some(u64::MAX));
}
