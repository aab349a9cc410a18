//! `kiln exec` end to end against a mock OpenAI-compatible server on
//! 127.0.0.1: real binary, real HTTP and SSE, real files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/kiln_cmd.rs"]
mod kiln_cmd;
#[path = "support/mock_openai.rs"]
mod mock_openai;

use std::time::{Duration, Instant};

use kiln_cmd::{events, kiln, last_of, of_type};
use mock_openai::{MockServer, Reply, chunk};
use serde_json::{Value, json};
use tempfile::TempDir;

struct Fixture {
    home: TempDir,
    repo: TempDir,
}

impl Fixture {
    /// A repo whose `.kiln/config.toml` points provider `mock` at `base_url`
    /// with short timeouts.
    fn new(base_url: &str) -> Self {
        let f = Self {
            home: tempfile::tempdir().unwrap(),
            repo: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(f.repo.path().join(".kiln")).unwrap();
        std::fs::write(
            f.repo.path().join(".kiln/config.toml"),
            format!(
                "[providers.mock]\nbase_url = \"{base_url}\"\nmodel = \"mock-model\"\n\
                 headers = {{ X-Kiln-Test = \"yes\" }}\n\
                 first_token_timeout_secs = 2\nfirst_token_secs_per_1k_tokens = 0\n\
                 idle_timeout_secs = 2\nmax_retries = 2\n"
            ),
        )
        .unwrap();
        std::fs::write(f.repo.path().join("notes.txt"), "alpha\nbeta\n").unwrap();
        f
    }

    fn exec(&self, task: &str) -> std::process::Output {
        kiln(self.home.path())
            .args(["exec", "--json", "--provider", "mock", "--cwd"])
            .arg(self.repo.path())
            .arg(task)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap()
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.repo.path().join(path)).unwrap()
    }
}

fn messages(body: &Value) -> &Vec<Value> {
    body["messages"].as_array().unwrap()
}

#[test]
fn split_tool_call_writes_file_and_requests_only_grow() {
    let content = "say \"héllo\" 🌍\n\tand a \\ backslash\n";
    let args = json!({ "path": "out/greeting.txt", "content": content }).to_string();
    // Cut the arguments at every 3rd byte that is a char boundary, inside
    // escapes and multi-byte characters' neighbours alike.
    let cuts: Vec<usize> = (1..args.len())
        .filter(|i| i % 3 == 0 && args.is_char_boundary(*i))
        .collect();
    let mut chunks = vec![chunk::role(), chunk::text("Writing it.")];
    chunks.extend(chunk::tool_call_split(
        0,
        "call_a",
        "write_file",
        &args,
        &cuts,
    ));
    chunks.push(chunk::finish("tool_calls"));
    chunks.push(chunk::usage(100, 20, Some(64)));
    let server = MockServer::start_blocking([
        Reply::stream(chunks),
        Reply::tool_call("call_b", "read_file", r#"{"path": "out/greeting.txt"}"#),
        Reply::text("Wrote the greeting."),
    ]);
    let f = Fixture::new(&server.base_url());
    let out = f.exec("write a greeting");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(f.read("out/greeting.txt"), content);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        events(&out).len()
    );

    let ev = events(&out);
    let done = last_of(&ev, "session_completed");
    assert_eq!(done["final_answer"], "Wrote the greeting.");
    assert_eq!(done["stats"]["usage"]["cached_tokens"], 64);
    assert_eq!(
        of_type(&ev, "assistant_message")[0]["tool_calls"][0]["arguments"],
        args
    );

    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].header("x-kiln-test"), Some("yes"));
    for pair in reqs.windows(2) {
        let (a, b) = (messages(&pair[0].body), messages(&pair[1].body));
        assert!(b.len() > a.len());
        for (i, m) in a.iter().enumerate() {
            assert_eq!(
                serde_json::to_string(m).unwrap(),
                serde_json::to_string(&b[i]).unwrap(),
                "message {i} changed"
            );
        }
        assert_eq!(
            pair[0].body["tools"], pair[1].body["tools"],
            "tools never change mid-session"
        );
        // Byte-level: the earlier request's messages text is a prefix of the later one's.
        let raw_a = messages_text(&pair[0].raw_body);
        let raw_b = messages_text(&pair[1].raw_body);
        assert!(
            raw_b.starts_with(raw_a.trim_end_matches(']')),
            "raw messages prefix broke"
        );
    }
    let tools: Vec<_> = reqs[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].clone())
        .collect();
    assert_eq!(
        tools,
        [
            "read_file",
            "list_files",
            "grep",
            "repo_map",
            "symbols",
            "edit_file",
            "write_file",
            "shell"
        ]
    );
}

/// The raw text of the `messages` array inside a request body.
fn messages_text(raw: &str) -> &str {
    let start = raw.find("\"messages\":").unwrap() + "\"messages\":".len();
    let v: Value = serde_json::from_str(raw).unwrap();
    let len = serde_json::to_string(&v["messages"]).unwrap().len();
    &raw[start..start + len]
}

#[test]
fn parallel_calls_malformed_arguments_and_unknown_tool() {
    let calls = [
        ("c1", "write_file", r#"{"path": "a.txt", "content": "A\n"}"#),
        ("c2", "write_file", r#"{"path": "b.txt", "content": "B\n"}"#),
        (
            "c3",
            "edit_file",
            r#"{"path": "notes.txt", "old_string": "beta"#,
        ),
        ("c4", "teleport", r#"{"to": "mars"}"#),
        ("c5", "read_file", r#"{"path": 7}"#),
    ];
    let mut chunks = vec![chunk::role()];
    chunks.extend(chunk::parallel_tool_calls(&calls, 4));
    chunks.push(chunk::finish("tool_calls"));
    let server = MockServer::start_blocking([Reply::stream(chunks), Reply::text("Done.")]);
    let f = Fixture::new(&server.base_url());
    let out = f.exec("do things");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(f.read("a.txt"), "A\n");
    assert_eq!(f.read("b.txt"), "B\n");
    assert_eq!(f.read("notes.txt"), "alpha\nbeta\n");

    let ev = events(&out);
    let kinds: Vec<_> = of_type(&ev, "tool_call_completed")
        .iter()
        .map(|e| e["error_kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        [
            Value::Null,
            Value::Null,
            json!("invalid_json"),
            json!("unknown_tool"),
            json!("invalid_arguments")
        ]
    );
    // The second request carries every result, in call order, with the errors spelled out.
    let second = &server.requests()[1].body;
    let tool_msgs: Vec<_> = messages(second)
        .iter()
        .filter(|m| m["role"] == "tool")
        .collect();
    assert_eq!(tool_msgs.len(), 5);
    let ids: Vec<_> = tool_msgs
        .iter()
        .map(|m| m["tool_call_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["c1", "c2", "c3", "c4", "c5"]);
    assert!(
        tool_msgs[2]["content"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    assert!(
        tool_msgs[3]["content"]
            .as_str()
            .unwrap()
            .contains("unknown tool `teleport`")
    );
    assert!(tool_msgs[4]["content"].as_str().unwrap().contains("schema"));
    let stats = &last_of(&ev, "session_completed")["stats"];
    assert_eq!(stats["tool_calls"], 5);
    assert_eq!(stats["tool_errors"]["invalid_json"], 1);
}

#[test]
fn rate_limit_then_success_honours_retry_after() {
    let server = MockServer::start_blocking([
        Reply::error(429, "slow down").with_header("Retry-After", "1"),
        Reply::text("Fine."),
    ]);
    let f = Fixture::new(&server.base_url());
    let out = f.exec("hi");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at.duration_since(reqs[0].at);
    assert!(
        gap >= Duration::from_millis(900),
        "waited {gap:?}, Retry-After said 1s"
    );
    let ev = events(&out);
    let retry = last_of(&ev, "backend_retry");
    assert_eq!(retry["attempt"], 1);
    assert!(retry["reason"].as_str().unwrap().contains("429"), "{retry}");
}

#[test]
fn stream_cut_midway_is_retried() {
    let server = MockServer::start_blocking([
        Reply::cut_off([chunk::role(), chunk::text("Half an ans")]),
        Reply::text("A whole answer."),
    ]);
    let f = Fixture::new(&server.base_url());
    let out = f.exec("hi");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev = events(&out);
    assert_eq!(
        last_of(&ev, "session_completed")["final_answer"],
        "A whole answer."
    );
    assert_eq!(of_type(&ev, "backend_retry").len(), 1);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn server_that_never_answers_is_not_resent() {
    let server = MockServer::start_blocking([Reply::Hang, Reply::text("too late")]);
    let f = Fixture::new(&server.base_url());
    let started = Instant::now();
    let out = f.exec("hi");
    assert_eq!(out.status.code(), Some(4));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(
        server.requests().len(),
        1,
        "a request that may still be prefilling is never resent"
    );
    let done = last_of(&events(&out), "session_completed").clone();
    assert_eq!(done["outcome"], "backend_error");
    assert!(
        done["error"].as_str().unwrap().contains("first token"),
        "{done}"
    );
}

#[test]
fn dead_endpoint_and_auth_error_exit_4_with_clear_messages() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let f = Fixture::new(&format!("http://127.0.0.1:{port}/v1"));
    let out = kiln(f.home.path())
        .args(["exec", "--provider", "mock", "--cwd"])
        .arg(f.repo.path())
        .arg("hi")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    // The session is saved, ending in the backend error.
    let dir = f.home.path().join(".local/state/kiln/sessions");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "one session file in {}", dir.display());
    let saved = std::fs::read_to_string(files[0].path()).unwrap();
    let last: Value = serde_json::from_str(saved.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "session_completed");
    assert_eq!(last["outcome"], "backend_error");

    let server = MockServer::start_blocking([Reply::error(401, "invalid api key")]);
    let f = Fixture::new(&server.base_url());
    let out = f.exec("hi");
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        server.requests().len(),
        1,
        "4xx other than 408/429 is not retried"
    );
    let done = last_of(&events(&out), "session_completed").clone();
    assert!(
        done["error"].as_str().unwrap().contains("invalid api key"),
        "{done}"
    );
}

#[test]
fn a_context_length_error_is_compacted_away_and_retried() {
    let server = MockServer::start_blocking([
        Reply::tool_call("c1", "read_file", r#"{"path":"notes.txt"}"#),
        Reply::tool_call("c2", "list_files", "{}"),
        Reply::error(
            400,
            "This model's maximum context length is 4096 tokens. However, your messages \
             resulted in 5000 tokens.",
        ),
        Reply::text("Summary: notes.txt holds alpha and beta."),
        Reply::text("It says alpha and beta."),
    ]);
    let f = Fixture::new(&server.base_url());
    let out = f.exec("What does notes.txt say?");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 5);
    // The summary request is the refused one plus the request for a summary,
    // with the tools listed but not callable.
    let refused = messages(&reqs[2].body);
    let summary = messages(&reqs[3].body);
    assert_eq!(&summary[..refused.len()], &refused[..]);
    assert_eq!(reqs[3].body["tool_choice"], "none");
    // The retry: system prompt, the summary message, the latest turn.
    let retry = messages(&reqs[4].body);
    assert_eq!(retry[0], refused[0]);
    let text = retry[1]["content"].as_str().unwrap();
    assert!(text.contains("What does notes.txt say?"), "{text}");
    assert!(text.contains("notes.txt holds alpha and beta"), "{text}");
    assert!(retry.len() < refused.len());
    let compacted = last_of(&events(&out), "compacted").clone();
    assert_eq!(compacted["reason"], "overflow");

    // A refusal that compaction cannot help (nothing to summarise yet) ends
    // with context_exhausted (exit 3) and says what to set.
    let server = MockServer::start_blocking([Reply::error(
        400,
        "the request exceeds the available context size, try increasing it",
    )]);
    let f = Fixture::new(&server.base_url());
    let out = f.exec("hi");
    assert_eq!(out.status.code(), Some(3));
    let done = last_of(&events(&out), "session_completed").clone();
    assert_eq!(done["outcome"], "context_exhausted");
    assert!(
        done["error"].as_str().unwrap().contains("context_window"),
        "{done}"
    );
}
