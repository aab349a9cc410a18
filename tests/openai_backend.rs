//! `OpenAiBackend` against the scripted mock server, over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/mock_openai.rs"]
mod mock_openai;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kiln::backend::openai::{EndpointConfig, OpenAiBackend, TextToolCalls, Timeouts};
use kiln::backend::{Backend, BackendError, ChatRequest, Completion, Delta, FinishReason};
use kiln::chat::{Message, ToolCall, ToolSpec, Usage};
use mock_openai::{Chunk, Ending, MockServer, Reply, chunk};
use serde_json::{Map, json};
use tokio_util::sync::CancellationToken;

fn config(base_url: String) -> EndpointConfig {
    EndpointConfig {
        provider: "mock".into(),
        base_url,
        model: "mock-model".into(),
        api_key: None,
        headers: BTreeMap::new(),
        extra_body: Map::new(),
        temperature: None,
        max_tokens: None,
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            first_token: Duration::from_secs(5),
            first_token_per_1k_tokens: Duration::ZERO,
            idle: Duration::from_secs(5),
        },
        max_retries: 2,
        tool_calls_in_text: TextToolCalls::Auto,
        text_tool_format: None,
        context_window: None,
        prices: None,
    }
}

fn backend(cfg: EndpointConfig) -> OpenAiBackend {
    OpenAiBackend::new(cfg)
        .unwrap()
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

fn user(text: &str) -> Vec<Message> {
    vec![
        Message::System {
            content: "You are a test.".into(),
        },
        Message::User {
            content: text.into(),
        },
    ]
}

async fn complete(
    backend: &OpenAiBackend,
    messages: &[Message],
    tools: &[ToolSpec],
) -> (Result<Completion, BackendError>, Vec<Delta>) {
    let mut deltas = Vec::new();
    let mut sink = |d: Delta| deltas.push(d);
    let result = backend
        .complete(
            ChatRequest::new(messages, tools),
            &mut sink,
            &CancellationToken::new(),
        )
        .await;
    (result, deltas)
}

fn retries(deltas: &[Delta]) -> Vec<(u32, u64, String)> {
    deltas
        .iter()
        .filter_map(|d| match d {
            Delta::Retry {
                attempt,
                delay_ms,
                reason,
            } => Some((*attempt, *delay_ms, reason.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn text_stream_is_assembled() {
    let server = MockServer::start([Reply::stream([
        Chunk::comment("keepalive"),
        chunk::role().into(),
        chunk::text("Hel").into(),
        Chunk::comment("keepalive"),
        chunk::text("lo, wörld").into(),
        chunk::finish("stop").into(),
        chunk::usage(12, 3, None).into(),
    ])])
    .await;
    let b = backend(config(server.base_url()));
    let (result, deltas) = complete(&b, &user("hi"), &[]).await;
    let done = result.unwrap();
    assert_eq!(done.text, "Hello, wörld");
    assert_eq!(done.reasoning, None);
    assert!(done.tool_calls.is_empty());
    assert_eq!(done.finish, FinishReason::Stop);
    assert_eq!(
        deltas,
        vec![
            Delta::Text { text: "Hel".into() },
            Delta::Text {
                text: "lo, wörld".into()
            },
        ]
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let body = &requests[0].body;
    assert_eq!(body["model"], "mock-model");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(
        body["messages"][1],
        json!({"role": "user", "content": "hi"})
    );
    assert!(body.get("tools").is_none(), "no tools → no `tools` field");
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn tool_call_split_inside_escapes_is_assembled_exactly() {
    let args = r#"{"path":"src/ünï.rs","pattern":"say \"hi\"\\n","n":1}"#;
    // Cut right after each backslash (inside `\"` and `\\`) and after a quote.
    let mut cuts: Vec<usize> = args.match_indices('\\').map(|(i, _)| i + 1).collect();
    cuts.push(3);
    cuts.sort();
    cuts.dedup();
    let mut chunks = vec![chunk::role()];
    chunks.extend(chunk::tool_call_split(0, "call_abc", "grep", args, &cuts));
    chunks.push(chunk::finish("tool_calls"));
    let server = MockServer::start([Reply::stream(chunks)]).await;
    let b = backend(config(server.base_url()));
    let (result, deltas) = complete(&b, &user("find"), &[]).await;
    let done = result.unwrap();
    assert_eq!(
        done.tool_calls,
        vec![ToolCall {
            id: "call_abc".into(),
            name: "grep".into(),
            arguments: args.into(),
        }]
    );
    assert_eq!(done.finish, FinishReason::ToolCalls);
    assert_eq!(
        deltas,
        vec![Delta::ToolCallStarted {
            index: 0,
            name: "grep".into()
        }]
    );
}

#[tokio::test]
async fn sse_split_at_arbitrary_bytes_is_reassembled() {
    let args = r#"{"path":"ünï/cødé.rs","text":"a\"b"}"#;
    let mut values = vec![chunk::role(), chunk::text("ça va? ")];
    values.extend(chunk::tool_call_split(
        0,
        "c1",
        "write_file",
        args,
        &[4, 11, 12, 30],
    ));
    values.push(chunk::finish("tool_calls"));
    // 7-byte pieces cut through `data:` prefixes, line ends and UTF-8 chars.
    let server =
        MockServer::start([Reply::ending(chunk::split_bytes(&values, 7), Ending::Close)]).await;
    let b = backend(config(server.base_url()));
    let (result, _) = complete(&b, &user("write"), &[]).await;
    let done = result.unwrap();
    assert_eq!(done.text, "ça va? ");
    assert_eq!(done.tool_calls[0].arguments, args);
    assert_eq!(done.tool_calls[0].name, "write_file");
}

#[tokio::test]
async fn parallel_tool_calls_are_kept_apart() {
    let calls = [
        ("call_1", "read_file", r#"{"path":"a.rs"}"#),
        ("call_2", "grep", r#"{"pattern":"fn main","path":"src"}"#),
    ];
    let mut chunks = vec![chunk::role()];
    chunks.extend(chunk::parallel_tool_calls(&calls, 4));
    chunks.push(chunk::finish("tool_calls"));
    let server = MockServer::start([Reply::stream(chunks)]).await;
    let b = backend(config(server.base_url()));
    let (result, deltas) = complete(&b, &user("look"), &[]).await;
    let done = result.unwrap();
    let got: Vec<_> = done
        .tool_calls
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str()))
        .collect();
    assert_eq!(got, calls.to_vec());
    assert_eq!(
        deltas,
        vec![
            Delta::ToolCallStarted {
                index: 0,
                name: "read_file".into()
            },
            Delta::ToolCallStarted {
                index: 1,
                name: "grep".into()
            },
        ]
    );
}

#[tokio::test]
async fn reasoning_is_kept_apart_and_usage_read() {
    let server = MockServer::start([
        Reply::stream([
            chunk::role(),
            chunk::reasoning("Let me "),
            chunk::reasoning("think."),
            chunk::text("42"),
            chunk::finish("stop"),
            chunk::usage(1000, 7, Some(960)),
        ]),
        // llama-server style: `reasoning` field, usage next to `timings`.
        Reply::stream([
            chunk::reasoning_field("hmm"),
            chunk::text("ok"),
            json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 50, "completion_tokens": 2},
                "timings": {"cache_n": 48, "prompt_n": 2, "predicted_n": 2}}),
        ]),
    ])
    .await;
    let b = backend(config(server.base_url()));
    let (result, deltas) = complete(&b, &user("why"), &[]).await;
    let done = result.unwrap();
    assert_eq!(done.text, "42");
    assert_eq!(done.reasoning.as_deref(), Some("Let me think."));
    assert_eq!(
        done.usage,
        Usage {
            prompt_tokens: 1000,
            completion_tokens: 7,
            cached_tokens: Some(960)
        }
    );
    assert_eq!(
        deltas[0],
        Delta::Reasoning {
            text: "Let me ".into()
        }
    );
    let (result, _) = complete(&b, &user("again"), &[]).await;
    let done = result.unwrap();
    assert_eq!(done.reasoning.as_deref(), Some("hmm"));
    assert_eq!(
        done.usage,
        Usage {
            prompt_tokens: 50,
            completion_tokens: 2,
            cached_tokens: Some(48)
        }
    );
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let server = MockServer::start([
        Reply::error(429, "slow down").with_header("Retry-After", "1"),
        Reply::text("done"),
    ])
    .await;
    let b = backend(config(server.base_url()));
    let (result, deltas) = complete(&b, &user("hi"), &[]).await;
    assert_eq!(result.unwrap().text, "done");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at - requests[0].at;
    assert!(
        waited >= Duration::from_millis(950) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    let retries = retries(&deltas);
    assert_eq!(retries.len(), 1);
    assert_eq!((retries[0].0, retries[0].1), (1, 1000));
    assert!(retries[0].2.contains("429"), "{}", retries[0].2);
}

#[tokio::test]
async fn server_error_is_retried() {
    let server = MockServer::start([Reply::error(503, "loading model"), Reply::text("up")]).await;
    let b = backend(config(server.base_url()));
    let (result, deltas) = complete(&b, &user("hi"), &[]).await;
    assert_eq!(result.unwrap().text, "up");
    assert_eq!(server.requests().len(), 2);
    let retries = retries(&deltas);
    assert_eq!(retries.len(), 1);
    assert!(retries[0].2.contains("503") && retries[0].2.contains("loading model"));
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = MockServer::start([
        Reply::error(400, "model 'nope' not found"),
        Reply::error(401, "invalid api key"),
        Reply::text("never"),
    ])
    .await;
    let b = backend(config(server.base_url()));
    let (result, deltas) = complete(&b, &user("hi"), &[]).await;
    let err = result.unwrap_err();
    assert!(
        matches!(&err, BackendError::Http { status: 400, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("model 'nope' not found"), "{err}");
    assert_eq!(server.requests().len(), 1);
    assert!(retries(&deltas).is_empty());
    let (result, _) = complete(&b, &user("hi"), &[]).await;
    let err = result.unwrap_err().to_string();
    assert!(err.contains("HTTP 401: invalid api key"), "{err}");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn cut_off_stream_is_retried_and_partial_output_discarded() {
    let server = MockServer::start([
        Reply::cut_off([chunk::role(), chunk::text("partial ")]),
        Reply::ending([chunk::text("half")], Ending::Close),
        Reply::text("whole"),
    ])
    .await;
    let b = backend(config(server.base_url()));
    let (result, deltas) = complete(&b, &user("hi"), &[]).await;
    assert_eq!(result.unwrap().text, "whole");
    assert_eq!(server.requests().len(), 3);
    let retries = retries(&deltas);
    assert_eq!(retries.len(), 2);
    assert!(
        retries.iter().all(|r| r.2.contains("ended before")),
        "{retries:?}"
    );
    assert_eq!(retries[1].0, 2);
}

#[tokio::test]
async fn stall_after_first_token_is_retried() {
    let mut cfg = config(String::new());
    cfg.timeouts.idle = Duration::from_millis(200);
    let server = MockServer::start([
        Reply::stall([chunk::role(), chunk::text("I was say")]),
        Reply::text("fine"),
    ])
    .await;
    cfg.base_url = server.base_url();
    let b = backend(cfg);
    let started = Instant::now();
    let (result, deltas) = complete(&b, &user("hi"), &[]).await;
    assert_eq!(result.unwrap().text, "fine");
    assert!(started.elapsed() < Duration::from_secs(2));
    let retries = retries(&deltas);
    assert_eq!(retries.len(), 1);
    assert!(retries[0].2.contains("stalled"), "{}", retries[0].2);
}

#[tokio::test]
async fn first_token_timeout_is_never_retried() {
    let mut cfg = config(String::new());
    cfg.timeouts.first_token = Duration::from_millis(300);
    cfg.max_retries = 3;
    // A hang (no headers: llama-server prefilling), then a stream that only
    // sends role chunks: neither counts as a first token.
    let server = MockServer::start([
        Reply::Hang,
        Reply::stall([chunk::role(), chunk::role()]),
        Reply::text("never"),
    ])
    .await;
    cfg.base_url = server.base_url();
    let b = backend(cfg);
    for expected_requests in [1, 2] {
        let started = Instant::now();
        let (result, deltas) = complete(&b, &user("long prompt"), &[]).await;
        let elapsed = started.elapsed();
        let err = result.unwrap_err();
        assert!(
            matches!(err, BackendError::FirstTokenTimeout { waited, .. } if waited == Duration::from_millis(300)),
            "{err:?}"
        );
        assert!(
            elapsed >= Duration::from_millis(290) && elapsed < Duration::from_secs(2),
            "{elapsed:?}"
        );
        assert!(retries(&deltas).is_empty());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(server.requests().len(), expected_requests);
    }
}

#[tokio::test]
async fn unreachable_server_is_named() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let base_url = format!("http://127.0.0.1:{port}/v1");
    let mut cfg = config(base_url.clone());
    cfg.max_retries = 1;
    let b = backend(cfg);
    let (result, deltas) = complete(&b, &user("hi"), &[]).await;
    let err = result.unwrap_err();
    let BackendError::RetriesExhausted { attempts, last } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*attempts, 2);
    assert!(
        matches!(**last, BackendError::Unreachable { .. }),
        "{last:?}"
    );
    let message = err.to_string();
    assert!(message.contains(&base_url), "{message}");
    assert!(message.contains("not reachable"), "{message}");
    assert_eq!(retries(&deltas).len(), 1);
}

#[tokio::test]
async fn cancellation_is_prompt() {
    let server = MockServer::start([
        Reply::stall([chunk::role(), chunk::text("streaming…")]),
        Reply::error(429, "busy").with_header("Retry-After", "30"),
    ])
    .await;
    let mut cfg = config(server.base_url());
    cfg.timeouts.idle = Duration::from_secs(30);
    let b = backend(cfg);
    for _ in 0..2 {
        let cancel = CancellationToken::new();
        let trigger = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            trigger.cancel();
        });
        let mut sink = |_: Delta| {};
        let started = Instant::now();
        let messages = user("hi");
        let result = b
            .complete(ChatRequest::new(&messages, &[]), &mut sink, &cancel)
            .await;
        assert!(matches!(result, Err(BackendError::Cancelled)), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}

#[tokio::test]
async fn grown_conversation_keeps_a_byte_identical_prefix() {
    let server = MockServer::start([
        Reply::tool_call("call_7", "read_file", r#"{"path":"a.rs"}"#),
        Reply::text("done"),
    ])
    .await;
    let b = backend(config(server.base_url()));
    let tools = [ToolSpec {
        name: "read_file".into(),
        description: "Read a file".into(),
        parameters: json!({"type": "object", "properties": {"path": {"type": "string"}},
            "required": ["path"]}),
    }];
    let mut messages = user("read a.rs");
    let (first, _) = complete(&b, &messages, &tools).await;
    let first = first.unwrap();
    messages.push(Message::Assistant {
        content: first.text,
        tool_calls: first.tool_calls,
        reasoning: Some("not sent back".into()),
    });
    messages.push(Message::Tool {
        tool_call_id: "call_7".into(),
        name: "read_file".into(),
        content: "fn main() {}".into(),
    });
    let (second, _) = complete(&b, &messages, &tools).await;
    second.unwrap();

    let requests = server.requests();
    let (old, new) = (&requests[0], &requests[1]);
    let old_msgs = old.body["messages"].as_array().unwrap();
    let new_msgs = new.body["messages"].as_array().unwrap();
    assert_eq!(new_msgs.len(), old_msgs.len() + 2);
    for (a, b) in old_msgs.iter().zip(new_msgs) {
        assert_eq!(
            serde_json::to_string(a).unwrap(),
            serde_json::to_string(b).unwrap()
        );
    }
    // On the wire too: the old messages array is a textual prefix of the new.
    let messages_text = |raw: &str| {
        let start = raw.find("\"messages\":[").unwrap();
        let end = raw.find("],\"model\":").unwrap();
        raw[start..end].to_string()
    };
    let (old_text, new_text) = (messages_text(&old.raw_body), messages_text(&new.raw_body));
    assert!(new_text.starts_with(&old_text), "{old_text}\n{new_text}");
    assert!(!new.raw_body.contains("not sent back"));
    assert_eq!(
        new_msgs[2]["tool_calls"][0]["function"]["arguments"],
        r#"{"path":"a.rs"}"#
    );
    assert_eq!(new.body["tools"][0]["function"]["name"], "read_file");
    // Same conversation, same bytes.
    let request = ChatRequest::new(&messages, &tools);
    assert_eq!(
        b.request_body(request).unwrap(),
        new.raw_body.as_bytes().to_vec()
    );
}

#[tokio::test]
async fn headers_and_extra_body_are_sent() {
    let server = MockServer::start([Reply::text("ok")]).await;
    let mut cfg = config(server.base_url());
    cfg.api_key = Some("sk-test-123".into());
    cfg.headers.insert("X-Title".into(), "kiln".into());
    cfg.temperature = Some(0.3);
    cfg.max_tokens = Some(256);
    cfg.extra_body.insert("top_k".into(), json!(40));
    cfg.extra_body.insert(
        "chat_template_kwargs".into(),
        json!({"enable_thinking": false}),
    );
    let b = backend(cfg);
    let (result, _) = complete(&b, &user("hi"), &[]).await;
    result.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-123"));
    assert_eq!(request.header("x-title"), Some("kiln"));
    let body = &request.body;
    assert_eq!(body["top_k"], 40);
    assert_eq!(
        body["chat_template_kwargs"],
        json!({"enable_thinking": false})
    );
    assert_eq!(body["temperature"], json!(0.3));
    assert_eq!(body["max_tokens"], 256);
}

#[tokio::test]
async fn errors_inside_the_stream_and_an_exhausted_script() {
    let server = MockServer::start([Reply::stream([
        chunk::role(),
        json!({"error": {"message": "the model crashed"}}),
    ])])
    .await;
    let mut cfg = config(server.base_url());
    cfg.max_retries = 0;
    let b = backend(cfg);
    let (result, _) = complete(&b, &user("hi"), &[]).await;
    let err = result.unwrap_err();
    assert!(matches!(err, BackendError::Protocol(_)), "{err:?}");
    assert!(err.to_string().contains("the model crashed"), "{err}");
    // The script is used up: the mock says so with HTTP 500.
    let (result, _) = complete(&b, &user("hi"), &[]).await;
    let err = result.unwrap_err();
    assert!(
        matches!(&err, BackendError::Http { status: 500, body } if body.contains("no scripted reply")),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 2);
}

fn read_file_spec() -> Vec<ToolSpec> {
    vec![ToolSpec {
        name: "read_file".into(),
        description: "Read a file".into(),
        parameters: json!({"type": "object", "properties": {"path": {"type": "string"}},
            "required": ["path"]}),
    }]
}

/// A text answer streamed in pieces of about `n` bytes.
fn text_reply(text: &str, n: usize) -> Reply {
    let mut chunks = vec![chunk::role()];
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + n).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        chunks.push(chunk::text(&text[start..end]));
        start = end;
    }
    chunks.push(chunk::finish("stop"));
    Reply::stream(chunks)
}

fn text_deltas(deltas: &[Delta]) -> String {
    deltas
        .iter()
        .filter_map(|d| match d {
            Delta::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn hermes_tool_call_in_text_content_becomes_a_tool_call() {
    let content = "Let me look at it.\n<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"src/main.rs\"}}\n</tool_call>";
    let server = MockServer::start([text_reply(content, 7)]).await;
    let b = backend(config(server.base_url()));
    let (result, deltas) = complete(&b, &user("read main"), &read_file_spec()).await;
    let done = result.unwrap();
    assert_eq!(
        done.tool_calls,
        vec![ToolCall {
            id: "call_0".into(),
            name: "read_file".into(),
            arguments: r#"{"path":"src/main.rs"}"#.into(),
        }]
    );
    assert_eq!(done.text, "Let me look at it.");
    assert_eq!(done.finish, FinishReason::ToolCalls);
    // The markup never reached the display.
    assert_eq!(text_deltas(&deltas), "Let me look at it.");
    assert!(deltas.contains(&Delta::ToolCallStarted {
        index: 0,
        name: "read_file".into()
    }));
}

#[tokio::test]
async fn fenced_json_tool_call_in_text_continues_the_id_numbering() {
    let content = "```json\n{\n  \"name\": \"read_file\",\n  \"arguments\": {\"path\": \"Cargo.toml\"}\n}\n```";
    let server = MockServer::start([text_reply(content, 5)]).await;
    let b = backend(config(server.base_url()));
    let mut messages = user("read the manifest");
    messages.push(Message::Assistant {
        content: String::new(),
        tool_calls: vec![ToolCall {
            id: "call_0".into(),
            name: "read_file".into(),
            arguments: r#"{"path":"README.md"}"#.into(),
        }],
        reasoning: None,
    });
    messages.push(Message::Tool {
        tool_call_id: "call_0".into(),
        name: "read_file".into(),
        content: "# readme".into(),
    });
    let (result, deltas) = complete(&b, &messages, &read_file_spec()).await;
    let done = result.unwrap();
    assert_eq!(
        done.tool_calls,
        vec![ToolCall {
            id: "call_1".into(),
            name: "read_file".into(),
            arguments: r#"{"path":"Cargo.toml"}"#.into(),
        }]
    );
    assert_eq!(done.text, "");
    assert_eq!(text_deltas(&deltas), "");
}

#[tokio::test]
async fn tool_calls_in_text_off_keeps_the_text() {
    let content =
        "<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}\n</tool_call>";
    let server = MockServer::start([text_reply(content, 9)]).await;
    let mut cfg = config(server.base_url());
    cfg.tool_calls_in_text = TextToolCalls::Off;
    let b = backend(cfg);
    let (result, deltas) = complete(&b, &user("read a"), &read_file_spec()).await;
    let done = result.unwrap();
    assert!(done.tool_calls.is_empty());
    assert_eq!(done.text, content);
    assert_eq!(done.finish, FinishReason::Stop);
    assert_eq!(text_deltas(&deltas), content);
}

#[tokio::test]
async fn text_mode_sends_no_tools_flattens_calls_and_parses_text_calls() {
    use kiln::chat::{SamplingPrefs, ToolCallMode};
    let content =
        "<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"b\"}}\n</tool_call>";
    let server = MockServer::start([text_reply(content, 6)]).await;
    // Even with text calls off in config, a text-mode profile parses them.
    let mut cfg = config(server.base_url());
    cfg.tool_calls_in_text = TextToolCalls::Off;
    let b = backend(cfg);
    let mut messages = user("read a, then b");
    messages.push(Message::Assistant {
        content: "First a.".into(),
        tool_calls: vec![ToolCall {
            id: "call_0".into(),
            name: "read_file".into(),
            arguments: r#"{"path":"a"}"#.into(),
        }],
        reasoning: None,
    });
    messages.push(Message::Tool {
        tool_call_id: "call_0".into(),
        name: "read_file".into(),
        content: "A's text".into(),
    });
    let tools = read_file_spec();
    let request = ChatRequest {
        tool_calls: ToolCallMode::Text,
        sampling: SamplingPrefs {
            temperature: Some(0.6),
            top_p: Some(0.95),
            top_k: Some(20),
            min_p: None,
        },
        ..ChatRequest::new(&messages, &tools)
    };
    let mut sink = |_: Delta| {};
    let done = b
        .complete(request, &mut sink, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(done.tool_calls.len(), 1);
    assert_eq!(done.tool_calls[0].arguments, r#"{"path":"b"}"#);
    let body = &server.requests()[0].body;
    assert!(body.get("tools").is_none(), "{body}");
    let sent = body["messages"].as_array().unwrap();
    assert_eq!(sent.len(), 4, "{body}");
    assert_eq!(sent[2]["role"], "assistant");
    assert!(sent[2].get("tool_calls").is_none(), "{body}");
    let said = sent[2]["content"].as_str().unwrap();
    assert!(said.starts_with("First a.\n<tool_call>\n"), "{said}");
    assert!(said.contains(r#""arguments":{"path":"a"}"#), "{said}");
    assert_eq!(sent[3]["role"], "user");
    assert_eq!(
        sent[3]["content"],
        "<tool_response>\nA's text\n</tool_response>"
    );
    // The profile's sampling; min_p unset stays unsent.
    assert_eq!(body["temperature"], json!(0.6));
    assert_eq!(body["top_p"], json!(0.95));
    assert_eq!(body["top_k"], 20);
    assert!(body.get("min_p").is_none());
}

#[tokio::test]
async fn config_temperature_beats_the_profile() {
    use kiln::chat::SamplingPrefs;
    let server = MockServer::start([Reply::text("ok")]).await;
    let mut cfg = config(server.base_url());
    cfg.temperature = Some(0.1);
    let b = backend(cfg);
    let messages = user("hi");
    let request = ChatRequest {
        sampling: SamplingPrefs {
            temperature: Some(0.9),
            ..SamplingPrefs::default()
        },
        ..ChatRequest::new(&messages, &[])
    };
    let mut sink = |_: Delta| {};
    b.complete(request, &mut sink, &CancellationToken::new())
        .await
        .unwrap();
    let body = &server.requests()[0].body;
    assert_eq!(body["temperature"], json!(0.1));
    assert!(body.get("top_p").is_none(), "{body}");
}
