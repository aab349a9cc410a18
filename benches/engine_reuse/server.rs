//! The same scripted session against a real llama-server with its prompt
//! cache (`cache_prompt: true`), for comparison. The request body is the one
//! kiln's endpoint backend builds, switched to non-streaming so the
//! response carries llama-server's `timings`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use kiln::backend::ChatRequest;
use kiln::backend::openai::{EndpointConfig, OpenAiBackend, TextToolCalls, Timeouts};
use kiln::chat::{Message, ToolCall};
use serde::Serialize;
use serde_json::{Value, json};

use crate::script::{Script, reply_kind, reply_text};

/// One turn as llama-server reports it.
#[derive(Clone, Debug, Serialize)]
pub struct ServerTurn {
    pub turn: usize,
    /// Prompt tokens processed (not served from the cache).
    pub prompt_n: u64,
    /// Prompt tokens served from the slot's cache.
    pub cache_n: u64,
    pub prompt_ms: f64,
    pub predicted_n: u64,
    pub predicted_ms: f64,
    /// Wall time of the HTTP request.
    pub turn_ms: u64,
    pub finish: String,
    pub reply: String,
    pub text: String,
}

/// The llama-server binary: `KILN_LLAMA_SERVER`, else kiln's cached one.
pub fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("KILN_LLAMA_SERVER")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/kiln/bin/llama-server-11434"))
        })?;
    path.is_file().then_some(path)
}

/// A running llama-server, killed when dropped (also on an early error).
pub struct Server {
    child: Child,
    base: String,
    http: reqwest::Client,
    endpoint: OpenAiBackend,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts it on a free local port with the same model, context size,
    /// threads and batch size as kiln's engine, one slot.
    pub async fn start(
        bin: &Path,
        model: &Path,
        n_ctx: u32,
        threads: i32,
        log: &Path,
    ) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log_file = std::fs::File::create(log)?;
        let child = Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("-m")
            .arg(model)
            .args(["--jinja", "-c", &n_ctx.to_string()])
            .args(["-t", &threads.to_string(), "-tb", &threads.to_string()])
            .args(["-np", "1", "-b", "512", "-ub", "512"])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let base = format!("http://127.0.0.1:{port}");
        let endpoint = OpenAiBackend::new(EndpointConfig {
            provider: "llama-server".into(),
            base_url: format!("{base}/v1"),
            model: "bench".into(),
            api_key: None,
            headers: Default::default(),
            extra_body: Default::default(),
            temperature: Some(0.0),
            max_tokens: None,
            timeouts: Timeouts::default(),
            max_retries: 0,
            tool_calls_in_text: TextToolCalls::Off,
            text_tool_format: None,
            context_window: None,
            prices: None,
        })?;
        let server = Self {
            child,
            base,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(900))
                .build()?,
            endpoint,
        };
        server.wait_ready(log).await?;
        Ok(server)
    }

    async fn wait_ready(&self, log: &Path) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(180);
        while Instant::now() < deadline {
            let health = self.http.get(format!("{}/health", self.base)).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        bail!(
            "llama-server did not become ready in 180 s; see {}",
            log.display()
        )
    }

    /// One turn: kiln's request body, non-streaming, prompt cache on.
    async fn turn(
        &self,
        messages: &[Message],
        script: &Script,
        max_tokens: u32,
    ) -> anyhow::Result<(Message, Value, String, u64)> {
        let body = self
            .endpoint
            .request_body(ChatRequest::new(messages, &script.tools))?;
        let mut body: serde_json::Map<String, Value> = serde_json::from_slice(&body)?;
        body.insert("stream".into(), json!(false));
        body.remove("stream_options");
        body.insert("cache_prompt".into(), json!(true));
        body.insert("max_tokens".into(), json!(max_tokens));
        let started = Instant::now();
        let response = self
            .http
            .post(format!("{}/v1/chat/completions", self.base))
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        let turn_ms = started.elapsed().as_millis() as u64;
        if !status.is_success() {
            bail!("llama-server answered HTTP {status}: {text}");
        }
        let v: Value = serde_json::from_str(&text)?;
        let choice = &v["choices"][0];
        let finish = choice["finish_reason"].as_str().unwrap_or("?").to_string();
        Ok((
            assistant(&choice["message"]),
            v["timings"].clone(),
            finish,
            turn_ms,
        ))
    }

    pub async fn session(
        &self,
        script: &Script,
        max_tokens: u32,
    ) -> anyhow::Result<Vec<ServerTurn>> {
        let mut messages = script.opening();
        let mut rows = Vec::new();
        for turn in 1..=script.turns {
            let (reply, timings, finish, turn_ms) = self
                .turn(&messages, script, max_tokens)
                .await
                .with_context(|| format!("llama-server turn {turn}"))?;
            let n = |k: &str| timings[k].as_u64().unwrap_or(0);
            let f = |k: &str| timings[k].as_f64().unwrap_or(0.0);
            rows.push(ServerTurn {
                turn,
                prompt_n: n("prompt_n"),
                cache_n: n("cache_n"),
                prompt_ms: f("prompt_ms"),
                predicted_n: n("predicted_n"),
                predicted_ms: f("predicted_ms"),
                turn_ms,
                finish,
                reply: reply_kind(&reply),
                text: reply_text(&reply),
            });
            if turn < script.turns {
                let follow = script.follow_up(&reply, turn);
                messages.push(reply);
                messages.extend(follow);
            }
        }
        Ok(rows)
    }
}

/// The response's message as kiln's `Message`, tool calls included.
fn assistant(message: &Value) -> Message {
    let tool_calls = message["tool_calls"]
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .enumerate()
                .map(|(i, c)| ToolCall {
                    id: c["id"]
                        .as_str()
                        .map_or_else(|| format!("call_{i}"), str::to_string),
                    name: c["function"]["name"].as_str().unwrap_or("").to_string(),
                    arguments: c["function"]["arguments"]
                        .as_str()
                        .unwrap_or("{}")
                        .to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    Message::Assistant {
        content: message["content"].as_str().unwrap_or("").to_string(),
        tool_calls,
        reasoning: None,
    }
}
