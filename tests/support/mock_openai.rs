//! A scripted OpenAI-compatible server for tests.
//!
//! [`MockServer::start`] binds `127.0.0.1:0` and answers
//! `POST /v1/chat/completions` with the scripted [`Reply`]s, in order; once
//! they run out it answers HTTP 500 with a body saying so. Every request is
//! recorded ([`MockServer::requests`]) with its JSON body and headers.
//!
//! The server runs on its own thread and Tokio runtime, so it keeps serving
//! while a test blocks, e.g. on a spawned `kiln` subprocess pointed at
//! [`MockServer::base_url`]. Dropping the server stops it and closes all of
//! its connections.
//!
//! Use it from an integration test with
//! `#[path = "support/mock_openai.rs"] mod mock_openai;`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The model id the mock reports in its chunks and `/v1/models`.
pub const MODEL: &str = "mock-model";

/// One piece of a streamed body, written after an optional delay.
#[derive(Clone, Debug)]
pub struct Chunk {
    pub delay: Duration,
    /// Bytes written as they are: usually a whole `data: …\n\n` event, but
    /// may be any fragment (even half a UTF-8 character).
    pub bytes: Vec<u8>,
}

impl Chunk {
    /// An SSE event carrying `value` as JSON.
    pub fn data(value: &Value) -> Self {
        Self::raw(format!("data: {value}\n\n"))
    }

    /// An SSE comment (keepalive), which clients must ignore.
    pub fn comment(text: &str) -> Self {
        Self::raw(format!(": {text}\n\n"))
    }

    pub fn raw(bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            delay: Duration::ZERO,
            bytes: bytes.into(),
        }
    }

    /// Waits `delay` before writing this chunk.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

impl From<Value> for Chunk {
    fn from(value: Value) -> Self {
        Chunk::data(&value)
    }
}

/// How a streamed reply ends after its chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `data: [DONE]`, then the body ends.
    Done,
    /// The body ends cleanly without `[DONE]`.
    Close,
    /// The connection is broken off mid-body.
    Abort,
    /// Nothing more is ever sent; the connection stays open.
    Stall,
}

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// HTTP 200 with an SSE body.
    Stream { chunks: Vec<Chunk>, ending: Ending },
    /// Any status, with headers and a body (JSON bodies get a JSON content type).
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Accepts the request and never answers, not even headers.
    Hang,
}

impl Reply {
    /// A stream of `chunks`, then `[DONE]`.
    pub fn stream<C: Into<Chunk>>(chunks: impl IntoIterator<Item = C>) -> Self {
        Self::ending(chunks, Ending::Done)
    }

    pub fn ending<C: Into<Chunk>>(chunks: impl IntoIterator<Item = C>, ending: Ending) -> Self {
        Reply::Stream {
            chunks: chunks.into_iter().map(Into::into).collect(),
            ending,
        }
    }

    /// `chunks`, then the connection closes without `[DONE]` or a finish reason.
    pub fn cut_off<C: Into<Chunk>>(chunks: impl IntoIterator<Item = C>) -> Self {
        Self::ending(chunks, Ending::Abort)
    }

    /// `chunks`, then silence forever.
    pub fn stall<C: Into<Chunk>>(chunks: impl IntoIterator<Item = C>) -> Self {
        Self::ending(chunks, Ending::Stall)
    }

    /// A complete text answer: role chunk, `text` in a few pieces, `stop`,
    /// a usage chunk.
    pub fn text(text: &str) -> Self {
        let mut chunks = vec![chunk::role()];
        chunks.extend(pieces(text, 3).into_iter().map(chunk::text));
        chunks.push(chunk::finish("stop"));
        chunks.push(chunk::usage(10, 5, None));
        Self::stream(chunks)
    }

    /// A complete answer calling one tool, its arguments split in pieces.
    pub fn tool_call(id: &str, name: &str, arguments: &str) -> Self {
        let cuts: Vec<usize> = (1..arguments.len())
            .filter(|i| i % 5 == 0 && arguments.is_char_boundary(*i))
            .collect();
        let mut chunks = vec![chunk::role()];
        chunks.extend(chunk::tool_call_split(0, id, name, arguments, &cuts));
        chunks.push(chunk::finish("tool_calls"));
        chunks.push(chunk::usage(10, 5, None));
        Self::stream(chunks)
    }

    /// An HTTP status with an OpenAI-style error body carrying `message`.
    pub fn error(status: u16, message: &str) -> Self {
        Reply::Status {
            status,
            headers: Vec::new(),
            body: json!({"error": {"message": message, "type": "mock_error", "code": status}})
                .to_string(),
        }
    }

    /// An HTTP status with a raw body.
    pub fn status(status: u16, body: &str) -> Self {
        Reply::Status {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    /// Adds a response header (only meaningful for [`Reply::Status`]).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Status { headers, .. } = &mut self {
            headers.push((name.to_string(), value.to_string()));
        }
        self
    }
}

/// `text` cut into about `n` pieces on char boundaries.
fn pieces(text: &str, n: usize) -> Vec<&str> {
    let step = text.len().div_ceil(n.max(1)).max(1);
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + step).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[start..end]);
        start = end;
    }
    out
}

/// Builders for chat-completion chunks as OpenAI sends them.
pub mod chunk {
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::{Chunk, MODEL};

    /// A chunk with one choice whose delta is `delta`.
    pub fn delta(delta: Value, finish_reason: Option<&str>) -> Value {
        json!({
            "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0,
            "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        })
    }

    /// The role-only first chunk (carries no output).
    pub fn role() -> Value {
        delta(json!({"role": "assistant", "content": ""}), None)
    }

    pub fn text(text: &str) -> Value {
        delta(json!({"content": text}), None)
    }

    /// Reasoning as llama-server/DeepSeek send it (`reasoning_content`).
    pub fn reasoning(text: &str) -> Value {
        delta(json!({"reasoning_content": text}), None)
    }

    /// Reasoning as OpenRouter/Ollama send it (`reasoning`).
    pub fn reasoning_field(text: &str) -> Value {
        delta(json!({"reasoning": text}), None)
    }

    pub fn finish(reason: &str) -> Value {
        delta(json!({}), Some(reason))
    }

    /// The final usage chunk (empty `choices`).
    pub fn usage(prompt: u64, completion: u64, cached: Option<u64>) -> Value {
        let mut usage = json!({"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion});
        if let Some(cached) = cached {
            usage["prompt_tokens_details"] = json!({"cached_tokens": cached});
        }
        json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0,
            "model": MODEL, "choices": [], "usage": usage})
    }

    /// The first delta of a tool call: index, id, name and an arguments piece.
    pub fn tool_call_start(index: usize, id: &str, name: &str, arguments: &str) -> Value {
        delta(
            json!({"tool_calls": [{"index": index, "id": id, "type": "function",
                "function": {"name": name, "arguments": arguments}}]}),
            None,
        )
    }

    /// A later delta of a tool call: only its index and an arguments piece.
    pub fn tool_call_args(index: usize, arguments: &str) -> Value {
        delta(
            json!({"tool_calls": [{"index": index, "function": {"arguments": arguments}}]}),
            None,
        )
    }

    /// One tool call's deltas, `arguments` cut at the byte offsets `cuts`
    /// (ascending, on char boundaries; cuts inside an escape such as `\"` are
    /// the interesting ones).
    pub fn tool_call_split(
        index: usize,
        id: &str,
        name: &str,
        arguments: &str,
        cuts: &[usize],
    ) -> Vec<Value> {
        let mut bounds = vec![0];
        bounds.extend(
            cuts.iter()
                .copied()
                .filter(|&c| c > 0 && c < arguments.len()),
        );
        bounds.push(arguments.len());
        bounds
            .windows(2)
            .enumerate()
            .map(|(n, w)| {
                let piece = &arguments[w[0]..w[1]];
                if n == 0 {
                    tool_call_start(index, id, name, piece)
                } else {
                    tool_call_args(index, piece)
                }
            })
            .collect()
    }

    /// Several tool calls streamed interleaved (`(id, name, arguments)`),
    /// each call's arguments in pieces of `piece_len` bytes (rounded up to a
    /// char boundary).
    pub fn parallel_tool_calls(calls: &[(&str, &str, &str)], piece_len: usize) -> Vec<Value> {
        let split: Vec<Vec<&str>> = calls
            .iter()
            .map(|(_, _, args)| super::pieces(args, args.len().div_ceil(piece_len.max(1))))
            .collect();
        let rounds = split.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let mut out = Vec::new();
        for round in 0..rounds {
            for (index, (id, name, _)) in calls.iter().enumerate() {
                let piece = split[index].get(round).copied();
                if round == 0 {
                    out.push(tool_call_start(index, id, name, piece.unwrap_or("")));
                } else if let Some(piece) = piece {
                    out.push(tool_call_args(index, piece));
                }
            }
        }
        out
    }

    /// The SSE text of `values` (then `[DONE]`) re-cut into raw pieces of
    /// `piece_len` bytes, ignoring line and UTF-8 boundaries, written 1 ms
    /// apart so they reach the client as separate reads.
    pub fn split_bytes(values: &[Value], piece_len: usize) -> Vec<Chunk> {
        let mut text = String::new();
        for v in values {
            text.push_str(&format!("data: {v}\n\n"));
        }
        text.push_str("data: [DONE]\n\n");
        text.as_bytes()
            .chunks(piece_len.max(1))
            .map(|b| Chunk::raw(b.to_vec()).after(Duration::from_millis(1)))
            .collect()
    }
}

/// A request the mock received.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The body parsed as JSON (`Value::Null` if it was not JSON).
    pub body: Value,
    /// The body exactly as received.
    pub raw_body: String,
    /// Header names lower-cased; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// When the request arrived.
    pub at: Instant,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

#[derive(Default)]
struct Script {
    replies: VecDeque<Reply>,
    requests: Vec<RecordedRequest>,
}

type Shared = Arc<Mutex<Script>>;

/// The running server; see the module docs.
pub struct MockServer {
    addr: SocketAddr,
    script: Shared,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Starts a server that will serve `replies` in order.
    pub async fn start(replies: impl IntoIterator<Item = Reply>) -> Self {
        let (mut server, ready) = Self::spawn(replies);
        server.addr = ready.await.expect("mock server failed to start");
        server
    }

    /// Like [`MockServer::start`], for tests without an async runtime.
    pub fn start_blocking(replies: impl IntoIterator<Item = Reply>) -> Self {
        let (mut server, ready) = Self::spawn(replies);
        server.addr = ready.blocking_recv().expect("mock server failed to start");
        server
    }

    fn spawn(replies: impl IntoIterator<Item = Reply>) -> (Self, oneshot::Receiver<SocketAddr>) {
        let script: Shared = Arc::new(Mutex::new(Script {
            replies: replies.into_iter().collect(),
            requests: Vec::new(),
        }));
        let (ready_tx, ready_rx) = oneshot::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/models", get(models))
            .with_state(script.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("mock server runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind 127.0.0.1:0");
                let _ = ready_tx.send(listener.local_addr().expect("local addr"));
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = shutdown_rx => {}
                }
            });
            // Dropping the runtime drops every connection, hung ones included.
        });
        let server = Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            script,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        };
        (server, ready_rx)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/v1`, the base URL to configure a client with.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every chat request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.script.lock().unwrap().requests.clone()
    }

    /// Appends replies to the script.
    pub fn push(&self, reply: Reply) {
        self.script.lock().unwrap().replies.push_back(reply);
    }

    /// Scripted replies not yet served.
    pub fn remaining(&self) -> usize {
        self.script.lock().unwrap().replies.len()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn models() -> Response {
    json_response(
        200,
        &json!({"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "mock"}]})
            .to_string(),
    )
}

async fn chat(State(script): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let raw_body = String::from_utf8_lossy(&body).into_owned();
    let mut recorded = BTreeMap::new();
    for (name, value) in &headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        recorded
            .entry(name.as_str().to_string())
            .and_modify(|v: &mut String| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let (reply, number) = {
        let mut script = script.lock().unwrap();
        script.requests.push(RecordedRequest {
            body: serde_json::from_str(&raw_body).unwrap_or(Value::Null),
            raw_body,
            headers: recorded,
            at: Instant::now(),
        });
        (script.replies.pop_front(), script.requests.len())
    };
    match reply {
        None => json_response(
            500,
            &json!({"error": {"message": format!(
                "mock_openai: no scripted reply left for request #{number}"),
                "type": "mock_exhausted"}})
            .to_string(),
        ),
        Some(Reply::Hang) => std::future::pending().await,
        Some(Reply::Status {
            status,
            headers,
            body,
        }) => {
            let mut response = json_response(status, &body);
            for (name, value) in headers {
                response.headers_mut().insert(
                    name.parse::<axum::http::HeaderName>().unwrap(),
                    value.parse().unwrap(),
                );
            }
            response
        }
        Some(Reply::Stream { chunks, ending }) => sse_response(chunks, ending),
    }
}

fn json_response(status: u16, body: &str) -> Response {
    let content_type = if serde_json::from_str::<Value>(body).is_ok() {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", content_type)
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn sse_response(chunks: Vec<Chunk>, ending: Ending) -> Response {
    type Item = Result<Bytes, std::io::Error>;
    let body: BoxStream<'static, Item> = stream::iter(chunks)
        .then(|chunk| async move {
            if !chunk.delay.is_zero() {
                tokio::time::sleep(chunk.delay).await;
            }
            Ok(Bytes::from(chunk.bytes))
        })
        .boxed();
    let body = match ending {
        Ending::Done => body
            .chain(stream::once(async {
                Ok(Bytes::from_static(b"data: [DONE]\n\n"))
            }))
            .boxed(),
        Ending::Close => body,
        Ending::Abort => body
            .chain(stream::once(async {
                // Let hyper flush what came before, so the client sees a
                // started response that breaks off, not a refused one.
                tokio::time::sleep(Duration::from_millis(20)).await;
                Err(std::io::Error::other("mock_openai: connection broken off"))
            }))
            .boxed(),
        Ending::Stall => body.chain(stream::pending()).boxed(),
    };
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(body))
        .unwrap()
}
