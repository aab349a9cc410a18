//! `kiln exec` end to end against a real llama.cpp `llama-server` serving
//! Qwen2.5-Coder-0.5B-Instruct: the real binary on both sides, real HTTP and
//! SSE, the model's own chat template rendered by llama.cpp, real tool calls
//! and real files.
//!
//! Needs the model (`kiln models pull qwen2.5-coder-0.5b`) and llama-server
//! (`scripts/build-llama-server.sh`); skipped without them, failed with
//! `CI=true`.
//!
//! Reproducible: sampling is greedy (temperature 0), the server is fresh
//! and gets the same requests in the same order, and the workspace has a
//! fixed path, because the system prompt names it and a different path
//! changes what a model this small does.
//!
//! What the 0.5B model does, measured on this setup: asked a question it
//! can answer, it answers; after a tool result it calls tools again (a bare
//! JSON call is its likeliest first token at 86-98%, a ```` ```json ````
//! block the runner-up, over some twenty variants of task wording, system
//! prompt, AGENTS.md, file content and tool), so a session that used a tool
//! does not end on an answer. Hence two
//! sessions on one server: one that must run a tool and feed its result
//! back (it ends at its turn limit, or with an answer carrying the value
//! if a later model or server does better), and one that must end with an
//! answer (exit 0).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/kiln_cmd.rs"]
mod kiln_cmd;
#[path = "support/llama_server.rs"]
mod llama_server;
#[path = "support/weights.rs"]
mod weights;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use kiln_cmd::{events, kiln, last_of, of_type};
use llama_server::LlamaServer;
use serde_json::Value;

/// A value the model cannot guess: it has to read the file.
const CODE: &str = "QX-7391";

/// The workspace: the same path on every run (see the module docs).
fn workspace() -> std::path::PathBuf {
    std::env::temp_dir().join("kiln-llama-server-e2e")
}

/// Greedy sampling, a bound on a turn that runs away, and timeouts for a
/// busy 2-core machine (a 1.5k-token prefill can take minutes there).
const CONFIG: &str = "[providers.llama-server]\ntemperature = 0.0\n\
                      max_completion_tokens = 128\nfirst_token_timeout_secs = 600\n\
                      idle_timeout_secs = 120\nmax_retries = 1\n";

fn fresh_workspace(dir: &Path) {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot clear {}: {e}", dir.display()));
    }
    std::fs::create_dir_all(dir.join(".kiln")).unwrap();
    std::fs::write(dir.join(".kiln/config.toml"), CONFIG).unwrap();
    std::fs::write(
        dir.join("deploy_code.txt"),
        format!("deploy code: {CODE}\n"),
    )
    .unwrap();
}

fn exec(server: &LlamaServer, home: &Path, dir: &Path, max_turns: u32, task: &str) -> Output {
    let started = Instant::now();
    let out = kiln(home)
        .args(["exec", "--json", "--provider", "llama-server", "--base-url"])
        .arg(server.base_url())
        .args([
            "--max-turns",
            &max_turns.to_string(),
            "--timeout",
            "9m",
            "--cwd",
        ])
        .arg(dir)
        .arg(task)
        .timeout(Duration::from_secs(600))
        .output()
        .unwrap();
    eprintln!("{task:?}: {:.1}s", started.elapsed().as_secs_f64());
    out
}

fn context(out: &Output, server: &LlamaServer) -> String {
    format!(
        "exit: {:?}\nkiln stderr:\n{}\nkiln stdout:\n{}\nllama-server log ends:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout),
        server.log_tail(30)
    )
}

/// Checks every session shares: the backend echoed, one JSON event per
/// line, no retries (the server accepted every request as sent), real usage
/// figures, and requests after the first served mostly from the server's
/// KV cache (kiln's requests only grow, byte for byte).
fn check_common(ev: &[Value], server: &LlamaServer, ctx: &str) {
    let begin = last_of(ev, "session_started");
    assert_eq!(begin["backend"]["provider"], "llama-server", "{ctx}");
    assert_eq!(begin["backend"]["base_url"], server.base_url(), "{ctx}");
    assert!(of_type(ev, "backend_retry").is_empty(), "retries\n{ctx}");
    let turns = of_type(ev, "turn_completed");
    assert!(!turns.is_empty(), "{ctx}");
    for t in &turns {
        assert!(t["usage"]["prompt_tokens"].as_u64().unwrap() > 0, "{t}");
        assert!(t["usage"]["completion_tokens"].as_u64().unwrap() > 0, "{t}");
    }
    for pair in turns.windows(2) {
        let before = pair[0]["usage"]["prompt_tokens"].as_u64().unwrap();
        let now = pair[1]["usage"]["prompt_tokens"].as_u64().unwrap();
        let cached = pair[1]["usage"]["cached_tokens"].as_u64().unwrap_or(0);
        assert!(
            now > before,
            "turn {}: the prompt shrank\n{ctx}",
            pair[1]["turn"]
        );
        assert!(
            cached * 10 >= before * 9,
            "turn {} reused {cached} tokens of the previous prompt's {before}\n{ctx}",
            pair[1]["turn"]
        );
    }
}

#[test]
fn sessions_against_a_real_llama_server() {
    let _weights = weights::lock();
    let Some(model) = weights::model("qwen2.5-coder-0.5b") else {
        return;
    };
    let Some(binary) = llama_server::binary() else {
        return;
    };
    let started = Instant::now();
    let server = LlamaServer::start(&binary, &model);
    eprintln!(
        "llama-server ready in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let home = tempfile::tempdir().unwrap();
    let dir = workspace();

    // 1. A question the model answers itself: the session ends with exit 0
    // and the answer as `final_answer`.
    fresh_workspace(&dir);
    let out = exec(
        &server,
        home.path(),
        &dir,
        2,
        "What is the capital of France? Answer in one word, without using tools.",
    );
    let ctx = context(&out, &server);
    assert_eq!(out.status.code(), Some(0), "{ctx}");
    let ev = events(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        ev.len()
    );
    check_common(&ev, &server, &ctx);
    let done = last_of(&ev, "session_completed");
    assert_eq!(done["outcome"], "done", "{ctx}");
    let answer = done["final_answer"].as_str().unwrap_or("");
    assert!(answer.contains("Paris"), "final answer {answer:?}\n{ctx}");
    assert!(of_type(&ev, "tool_call_started").is_empty(), "{ctx}");

    // 2. A task that needs a tool: the model reads the file, kiln runs the
    // call and sends the result back, and the server takes the grown
    // conversation (tool calls and results rendered by llama.cpp's
    // template) for the next turns, including whatever calls the model
    // wrote in turn 2 (often one cut off by the token limit, which must not
    // make the server reject the history). With 3 turns allowed, the
    // session ends at the limit (exit 3) or with an answer.
    fresh_workspace(&dir);
    let out = exec(
        &server,
        home.path(),
        &dir,
        3,
        "Read deploy_code.txt and tell me the deploy code.",
    );
    let ctx = context(&out, &server);
    let ev = events(&out);
    check_common(&ev, &server, &ctx);
    let read: Vec<&Value> = of_type(&ev, "tool_call_completed")
        .into_iter()
        .filter(|e| e["ok"] == true && e["output"].as_str().unwrap_or("").contains(CODE))
        .collect();
    assert!(
        !read.is_empty(),
        "no successful tool call read {CODE}\n{ctx}"
    );
    assert!(
        of_type(&ev, "tool_call_started")
            .iter()
            .any(|s| s["call_id"] == read[0]["call_id"] && s["name"] == read[0]["name"]),
        "the completed call was never started\n{ctx}"
    );
    let turns = of_type(&ev, "turn_completed").len();
    let done = last_of(&ev, "session_completed");
    eprintln!(
        "tool session: {} after {turns} turns, {} tool calls ({} failed)",
        done["outcome"],
        done["stats"]["tool_calls"],
        of_type(&ev, "tool_call_completed")
            .iter()
            .filter(|e| e["ok"] == false)
            .count()
    );
    match done["outcome"].as_str() {
        Some("turn_limit") => {
            assert_eq!(out.status.code(), Some(3), "{ctx}");
            assert_eq!(turns, 3, "{ctx}");
        }
        Some("done") => {
            assert_eq!(out.status.code(), Some(0), "{ctx}");
            assert!(turns >= 2, "{ctx}");
            let answer = done["final_answer"].as_str().unwrap_or("");
            assert!(answer.contains(CODE), "final answer {answer:?}\n{ctx}");
        }
        other => panic!("session ended {other:?}\n{ctx}"),
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
