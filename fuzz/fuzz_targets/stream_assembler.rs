//! The chat-completion stream assembler, fed sequences of structured
//! chunks (tool-call indexes, ids, name and argument fragments, usage in
//! odd shapes, error chunks) mixed with raw garbage.
//!
//! Properties: no panic; the finished text and reasoning are exactly the
//! deltas streamed; every announced call exists, under the announced name,
//! and is announced once; ids are kept or generated, never empty.

#![no_main]

use arbitrary::Arbitrary;
use kiln::backend::Delta;
use kiln::backend::openai::fuzz::assemble;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

const NAMES: &[&str] = &["read_file", "shell", "write_file", "", "é😀"];
const FINISH: &[&str] = &[
    "stop",
    "tool_calls",
    "length",
    "content_filter",
    "function_call",
    "eos",
    "",
    "weird",
];

/// A number as servers write it (or do not).
#[derive(Arbitrary, Debug)]
enum Num<'a> {
    U(u64),
    I(i64),
    F(f64),
    S(&'a str),
    Null,
}

impl Num<'_> {
    fn json(&self) -> Value {
        match self {
            Num::U(n) => json!(n),
            Num::I(n) => json!(n),
            // NaN and infinities are not JSON: they serialise as null.
            Num::F(f) => json!(f),
            Num::S(s) => json!(s),
            Num::Null => Value::Null,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Args<'a> {
    Fragment(&'a str),
    Object(Vec<(&'a str, &'a str)>),
    Number(i64),
    Null,
}

#[derive(Arbitrary, Debug)]
struct CallChunk<'a> {
    index: Option<u8>,
    /// `Some(0)`: an empty id; others: `call_N`.
    id: Option<u8>,
    name: Option<u8>,
    raw_name: Option<&'a str>,
    args: Option<Args<'a>>,
    omit_function: bool,
}

#[derive(Arbitrary, Debug)]
struct ChunkSpec<'a> {
    choice_index: Option<u8>,
    /// The delta under `message` (a non-streamed reply) instead of `delta`.
    as_message: bool,
    content: Option<&'a str>,
    reasoning: Option<&'a str>,
    /// `reasoning_content` (llama-server) or `reasoning` (OpenRouter).
    reasoning_content: bool,
    calls: Vec<CallChunk<'a>>,
    finish: Option<u8>,
    usage: Option<(Num<'a>, Num<'a>, Option<Num<'a>>)>,
    timings: Option<(Num<'a>, Num<'a>, Num<'a>)>,
    error: Option<(Option<&'a str>, Option<Num<'a>>)>,
    extra_choice: bool,
}

#[derive(Arbitrary, Debug)]
enum Event<'a> {
    Chunk(ChunkSpec<'a>),
    Raw(&'a str),
    Done,
    Blank,
}

fn call_json(c: &CallChunk<'_>) -> Value {
    let mut call = Map::new();
    if let Some(i) = c.index {
        call.insert("index".into(), json!(i));
    }
    match c.id {
        Some(0) => {
            call.insert("id".into(), json!(""));
        }
        Some(n) => {
            call.insert("id".into(), json!(format!("call_{n}")));
        }
        None => {}
    }
    if c.omit_function {
        return Value::Object(call);
    }
    let mut function = Map::new();
    if let Some(raw) = c.raw_name {
        function.insert("name".into(), json!(raw));
    } else if let Some(n) = c.name {
        function.insert("name".into(), json!(NAMES[usize::from(n) % NAMES.len()]));
    }
    match &c.args {
        Some(Args::Fragment(s)) => {
            function.insert("arguments".into(), json!(s));
        }
        Some(Args::Object(pairs)) => {
            let obj: Map<String, Value> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), json!(v)))
                .collect();
            function.insert("arguments".into(), Value::Object(obj));
        }
        Some(Args::Number(n)) => {
            function.insert("arguments".into(), json!(n));
        }
        Some(Args::Null) => {
            function.insert("arguments".into(), Value::Null);
        }
        None => {}
    }
    call.insert("function".into(), Value::Object(function));
    Value::Object(call)
}

fn chunk_json(c: &ChunkSpec<'_>) -> Value {
    let mut delta = Map::new();
    if let Some(text) = c.content {
        delta.insert("content".into(), json!(text));
    }
    if let Some(text) = c.reasoning {
        let key = if c.reasoning_content {
            "reasoning_content"
        } else {
            "reasoning"
        };
        delta.insert(key.into(), json!(text));
    }
    if !c.calls.is_empty() {
        delta.insert(
            "tool_calls".into(),
            Value::Array(c.calls.iter().map(call_json).collect()),
        );
    }
    let mut choice = Map::new();
    if let Some(i) = c.choice_index {
        choice.insert("index".into(), json!(i % 3));
    }
    let key = if c.as_message { "message" } else { "delta" };
    choice.insert(key.into(), Value::Object(delta));
    if let Some(f) = c.finish {
        choice.insert(
            "finish_reason".into(),
            json!(FINISH[usize::from(f) % FINISH.len()]),
        );
    }
    let mut choices = vec![Value::Object(choice)];
    if c.extra_choice {
        choices.push(json!({"index": 1, "delta": {"content": "other choice"}}));
    }
    let mut chunk = Map::new();
    chunk.insert("choices".into(), Value::Array(choices));
    if let Some((p, q, cached)) = &c.usage {
        let mut usage = json!({"prompt_tokens": p.json(), "completion_tokens": q.json()});
        if let Some(cached) = cached {
            usage["prompt_tokens_details"] = json!({"cached_tokens": cached.json()});
        }
        chunk.insert("usage".into(), usage);
    }
    if let Some((cache, prompt, predicted)) = &c.timings {
        chunk.insert(
            "timings".into(),
            json!({"cache_n": cache.json(), "prompt_n": prompt.json(), "predicted_n": predicted.json()}),
        );
    }
    if let Some((message, code)) = &c.error {
        let mut error = Map::new();
        if let Some(m) = message {
            error.insert("message".into(), json!(m));
        }
        if let Some(code) = code {
            error.insert("code".into(), code.json());
        }
        chunk.insert("error".into(), Value::Object(error));
    }
    Value::Object(chunk)
}

fuzz_target!(|input: (u16, Vec<Event<'_>>)| {
    let (id_offset, events) = input;
    let data: Vec<String> = events
        .iter()
        .map(|e| match e {
            Event::Chunk(c) => chunk_json(c).to_string(),
            Event::Raw(s) => (*s).to_string(),
            Event::Done => "[DONE]".into(),
            Event::Blank => " \n".into(),
        })
        .collect();
    let out = assemble(data.iter().map(String::as_str), usize::from(id_offset));
    let c = &out.completion;

    let mut text = String::new();
    let mut reasoning = String::new();
    let mut announced = vec![false; c.tool_calls.len()];
    for d in &out.deltas {
        match d {
            Delta::Text { text: t } => text.push_str(t),
            Delta::Reasoning { text: t } => reasoning.push_str(t),
            Delta::ToolCallStarted { index, name } => {
                let call = c
                    .tool_calls
                    .get(*index)
                    .unwrap_or_else(|| panic!("announced call {index} does not exist: {c:?}"));
                assert_eq!(&call.name, name, "announced under another name");
                assert!(!name.is_empty(), "announced without a name");
                assert!(!announced[*index], "call {index} announced twice");
                announced[*index] = true;
            }
            Delta::Retry { .. } => panic!("the assembler never retries"),
        }
    }
    assert_eq!(c.text, text);
    assert_eq!(c.reasoning.clone().unwrap_or_default(), reasoning);
    for (n, call) in c.tool_calls.iter().enumerate() {
        assert!(!call.id.is_empty(), "call {n} has an empty id");
        // A call is announced exactly when it got a name.
        assert_eq!(announced[n], !call.name.is_empty(), "{c:?}");
    }
});
