//! Session files end to end: `kiln exec` records, `kiln sessions` lists,
//! `kiln resume` continues (against the mock OpenAI server, which records
//! what the resumed request sent), and a kiln killed mid-call leaves a file
//! that resumes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/kiln_cmd.rs"]
mod kiln_cmd;
#[path = "support/mock_openai.rs"]
mod mock_openai;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kiln_cmd::{events, kiln, of_type};
use mock_openai::{MockServer, Reply};
use serde_json::{Value, json};
use tempfile::TempDir;

struct Fixture {
    home: TempDir,
    repo: TempDir,
}

impl Fixture {
    fn new() -> Self {
        let f = Self {
            home: tempfile::tempdir().unwrap(),
            repo: tempfile::tempdir().unwrap(),
        };
        std::fs::write(f.repo.path().join("notes.txt"), "alpha\nbeta\n").unwrap();
        f
    }

    /// A repo whose config points provider `mock` at `server`.
    fn with_mock(server: &MockServer) -> Self {
        let f = Self::new();
        std::fs::create_dir(f.repo.path().join(".kiln")).unwrap();
        std::fs::write(
            f.repo.path().join(".kiln/config.toml"),
            format!(
                "[providers.mock]\nbase_url = \"{}\"\nmodel = \"mock-model\"\n\
                 first_token_timeout_secs = 5\nidle_timeout_secs = 5\nmax_retries = 0\n",
                server.base_url()
            ),
        )
        .unwrap();
        f
    }

    fn script(&self, name: &str, turns: Value) -> String {
        let path = self.home.path().join(name);
        std::fs::write(&path, json!({ "turns": turns }).to_string()).unwrap();
        path.display().to_string()
    }

    fn sessions_dir(&self) -> PathBuf {
        self.home.path().join(".local/state/kiln/sessions")
    }

    fn session_files(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.sessions_dir()) {
            Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// `kiln ARGS` run in the repo (the current directory matters for
    /// `kiln sessions` and `--last`).
    fn kiln(&self, args: &[&str]) -> Output {
        kiln(self.home.path())
            .current_dir(self.repo.path())
            .args(args)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap()
    }

    fn exec_scripted(&self, script: &str, task: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "exec",
            "--json",
            "--provider",
            "scripted",
            "--model",
            script,
        ];
        args.extend_from_slice(extra);
        args.push(task);
        self.kiln(&args)
    }
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn listed(out: &Output) -> Vec<Value> {
    events(out)
}

#[test]
fn exec_records_every_finished_event_in_the_session_file() {
    let f = Fixture::new();
    let script = f.script(
        "s.json",
        json!([
            { "text": "Reading.", "tool_calls": [{ "name": "read_file", "arguments": { "path": "notes.txt" } },
                                                  { "name": "read_file", "arguments": { "path": "nope.txt" } }] },
            { "text": "Two lines." }
        ]),
    );
    let out = f.exec_scripted(&script, "count the lines", &["--json-deltas"]);
    ok(&out);
    let streamed = events(&out);
    let files = f.session_files();
    assert_eq!(files.len(), 1);
    let id = streamed[0]["session_id"].as_str().unwrap();
    assert_eq!(files[0], f.sessions_dir().join(format!("{id}.jsonl")));

    // The file holds exactly the streamed events less the deltas.
    let recorded = read_lines(&files[0]);
    let finished: Vec<&Value> = streamed
        .iter()
        .filter(|e| {
            !matches!(
                e["type"].as_str().unwrap(),
                "assistant_delta" | "reasoning_delta" | "tool_call_streaming"
            )
        })
        .collect();
    assert!(finished.len() < streamed.len(), "deltas were streamed");
    assert_eq!(recorded.iter().collect::<Vec<_>>(), finished);
    let seqs: Vec<u64> = recorded
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let types: Vec<&str> = recorded
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for t in [
        "session_started",
        "session_recorded",
        "user_message",
        "assistant_message",
        "tool_call_completed",
        "turn_completed",
        "session_completed",
    ] {
        assert!(types.contains(&t), "{t} missing from {types:?}");
    }
    let rec = &of_type(&recorded, "session_recorded")[0];
    assert_eq!(rec["path"], files[0].display().to_string());
    assert_eq!(rec["resume"]["provider"], "scripted");
    assert_eq!(
        recorded[0]["system_prompt_sha256"].as_str().unwrap().len(),
        64
    );
    // The failed call's result carries what the model was told.
    let failed = of_type(&recorded, "tool_call_completed")[1];
    assert_eq!(failed["ok"], false);

    // Progress output names the file and how to resume.
    let progress = kiln(f.home.path())
        .current_dir(f.repo.path())
        .args([
            "exec",
            "--provider",
            "scripted",
            "--model",
            &script,
            "once more",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&progress.stderr);
    assert!(
        stderr.contains("session recorded in") && stderr.contains("kiln resume "),
        "{stderr}"
    );
}

#[test]
fn recording_can_be_turned_off_and_follows_xdg_state_home() {
    let f = Fixture::new();
    let script = f.script("s.json", json!([{ "text": "Done." }]));
    ok(&f.exec_scripted(&script, "t", &["--no-session-file"]));
    std::fs::create_dir_all(f.home.path().join(".config/kiln")).unwrap();
    std::fs::write(
        f.home.path().join(".config/kiln/config.toml"),
        "sessions = false\n",
    )
    .unwrap();
    ok(&f.exec_scripted(&script, "t", &[]));
    assert!(f.session_files().is_empty());
    std::fs::remove_file(f.home.path().join(".config/kiln/config.toml")).unwrap();

    let state = f.home.path().join("state");
    let out = kiln(f.home.path())
        .current_dir(f.repo.path())
        .env("XDG_STATE_HOME", &state)
        .args(["exec", "--provider", "scripted", "--model", &script, "t"])
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(
        std::fs::read_dir(state.join("kiln/sessions"))
            .unwrap()
            .count(),
        1
    );
    assert!(f.session_files().is_empty());
}

#[test]
fn sessions_lists_this_repos_sessions_newest_first() {
    let f = Fixture::new();
    let other = tempfile::tempdir().unwrap();
    let done = f.script("done.json", json!([{ "text": "Done." }]));
    let empty = f.script("empty.json", json!([{ "text": "" }]));
    ok(&f.exec_scripted(&done, "first task", &[]));
    let out = f.exec_scripted(&empty, "second task\nwith two lines", &[]);
    assert_eq!(out.status.code(), Some(1));
    let elsewhere = kiln(f.home.path())
        .current_dir(other.path())
        .args([
            "exec",
            "--provider",
            "scripted",
            "--model",
            &done,
            "other repo",
        ])
        .output()
        .unwrap();
    ok(&elsewhere);

    let out = f.kiln(&["sessions", "--json"]);
    ok(&out);
    let list = listed(&out);
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0]["task"], "second task\nwith two lines");
    assert_eq!(list[0]["state"], "ended");
    assert_eq!(list[0]["outcome"], "failed");
    assert_eq!(list[1]["task"], "first task");
    assert_eq!(list[1]["outcome"], "done");
    assert_eq!(list[1]["turns"], 1);
    assert_eq!(list[1]["provider"], "scripted");
    assert_eq!(list[1]["profile"], "default");

    let all = listed(&f.kiln(&["sessions", "--all", "--json"]));
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["task"], "other repo");

    let out = f.kiln(&["sessions"]);
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("ID"));
    assert!(lines[1].contains("second task with two lines") && lines[1].contains("failed"));
    let short: String = list[1]["id"].as_str().unwrap().chars().take(8).collect();
    assert!(lines[2].starts_with(&short) && lines[2].contains("done"));

    // A broken file is reported and skipped, the rest still listed.
    std::fs::write(f.sessions_dir().join("broken.jsonl"), "{oops\n{}\n").unwrap();
    let out = f.kiln(&["sessions", "--json"]);
    ok(&out);
    assert_eq!(listed(&out).len(), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.jsonl:1"));
}

fn messages(body: &Value) -> Vec<Value> {
    body["messages"].as_array().unwrap().clone()
}

#[test]
fn resume_sends_the_earlier_conversation_and_appends_to_the_same_file() {
    let server = MockServer::start_blocking([
        Reply::tool_call("call_a", "read_file", r#"{"path": "notes.txt"}"#),
        Reply::text("Two lines."),
        Reply::text("Still two."),
    ]);
    let f = Fixture::with_mock(&server);
    let out = f.kiln(&["exec", "--json", "--provider", "mock", "count the lines"]);
    ok(&out);
    let first = events(&out);
    let id = first[0]["session_id"].as_str().unwrap().to_string();

    let out = f.kiln(&["resume", "--last", "--json", "and now?"]);
    ok(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "no warning: same prompt"
    );
    let resumed = events(&out);
    assert_eq!(resumed[0]["type"], "session_resumed");
    assert_eq!(resumed[0]["session_id"], id);
    assert_eq!(resumed[0]["from_session"], id);
    assert_eq!(resumed[0]["messages"], 5);
    assert_eq!(resumed[0]["backend"]["provider"], "mock");
    assert_eq!(
        resumed[0]["profile"]["reason"],
        "the resumed session's profile"
    );
    let last_seq = first.last().unwrap()["seq"].as_u64().unwrap();
    assert_eq!(resumed[0]["seq"].as_u64().unwrap(), last_seq + 1);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let before = messages(&reqs[1].body);
    let after = messages(&reqs[2].body);
    assert_eq!(after.len(), before.len() + 2);
    assert_eq!(
        after[..before.len()],
        before[..],
        "the earlier conversation, unchanged"
    );
    assert_eq!(after[before.len()]["role"], "assistant");
    assert_eq!(after[before.len()]["content"], "Two lines.");
    assert_eq!(
        after[before.len() + 1],
        json!({"role": "user", "content": "and now?"})
    );
    assert_eq!(reqs[1].body["tools"], reqs[2].body["tools"]);
    // The tool result is the one the model saw the first time.
    assert!(
        before
            .iter()
            .any(|m| m["role"] == "tool" && m["content"].as_str().unwrap().contains("alpha"))
    );

    let files = f.session_files();
    assert_eq!(files.len(), 1, "same session, same file");
    let recorded = read_lines(&files[0]);
    assert_eq!(recorded.len(), first.len() + resumed.len());
    assert!(recorded.iter().all(|e| e["session_id"] == id.as_str()));

    // Without a prompt it sends "Continue the task."; an id prefix works.
    server.push(Reply::text("Continuing."));
    let out = f.kiln(&["resume", &id[..6]]);
    ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Continuing.");
    let last = messages(&server.requests()[3].body);
    assert_eq!(last.last().unwrap()["content"], "Continue the task.");
    assert_eq!(last.len(), after.len() + 2);
}

#[test]
fn resume_errors_are_usage_errors_with_a_reason() {
    let f = Fixture::new();
    let out = f.kiln(&["resume"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("which session?"));
    let out = f.kiln(&["resume", "--last"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no session recorded"));
    let out = f.kiln(&["resume", "nosuchid"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no session id starts with `nosuchid`"));

    // Corruption in the middle is named with file and line; the file is
    // left as it was.
    let script = f.script("s.json", json!([{ "text": "Done." }]));
    ok(&f.exec_scripted(&script, "t", &[]));
    let path = f.session_files().remove(0);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.insert_str(text.find('\n').unwrap() + 1, "not json\n");
    std::fs::write(&path, &text).unwrap();
    let out = f.kiln(&[
        "resume",
        "--last",
        "--provider",
        "scripted",
        "--model",
        &script,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:2: not JSON", path.display())),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

/// kiln spawned so the test can kill it.
fn spawn_kiln(f: &Fixture, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
        .env("HOME", f.home.path())
        .env("XDG_CONFIG_HOME", f.home.path().join(".config"))
        .env_remove("XDG_STATE_HOME")
        .env_remove("KILN_PROVIDER")
        .env_remove("KILN_MODEL")
        .current_dir(f.repo.path())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_killed_session_resumes_with_every_finished_item() {
    let server = MockServer::start_blocking([Reply::text("Picked up.")]);
    let f = Fixture::with_mock(&server);
    // The command leaves its pid so the test can end it (kiln's SIGKILL
    // does not reach the command's own process group).
    let nap = "echo $$ > sleep.pid && exec sleep 30";
    let script = f.script(
        "s.json",
        json!([
            { "text": "Reading first.", "tool_calls": [{ "name": "read_file", "arguments": { "path": "notes.txt" } }] },
            { "text": "Now wait.", "tool_calls": [
                { "name": "shell", "arguments": { "command": nap } },
                { "name": "read_file", "arguments": { "path": "notes.txt" } } ] },
            { "text": "never reached" }
        ]),
    );
    let mut child = spawn_kiln(
        &f,
        &[
            "exec",
            "--approval",
            "full",
            "--provider",
            "scripted",
            "--model",
            &script,
            "wait for it",
        ],
    );
    // Kill it once the shell call is running.
    let started = Instant::now();
    let path = loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the shell call never started"
        );
        std::thread::sleep(Duration::from_millis(50));
        let Some(path) = f.session_files().pop() else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let calls_started = text.matches("\"tool_call_started\"").count();
        let running = std::fs::read_to_string(f.repo.path().join("sleep.pid"))
            .is_ok_and(|p| p.ends_with('\n'));
        if calls_started == 2 && running {
            break path;
        }
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    if let Ok(pid) = std::fs::read_to_string(f.repo.path().join("sleep.pid")) {
        let pid = nix::unistd::Pid::from_raw(pid.trim().parse().unwrap());
        let _ = nix::sys::signal::killpg(pid, nix::sys::signal::Signal::SIGKILL);
    }
    // What a kill in the middle of a write leaves: a torn last line.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut file, br#"{"v":1,"session_id":"x","seq":99,"ty"#).unwrap();
    drop(file);

    let list = listed(&f.kiln(&["sessions", "--json"]));
    assert_eq!(list[0]["state"], "interrupted");

    // Another profile: another system prompt, which is worth a warning.
    let out = f.kiln(&[
        "resume",
        "--last",
        "--provider",
        "mock",
        "--profile",
        "minimal",
        "go on",
    ]);
    ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Picked up.");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("torn last line"), "{stderr}");
    assert!(stderr.contains("2 tool call(s) never finished"), "{stderr}");
    assert!(stderr.contains("system prompt differs"), "{stderr}");

    let sent = messages(&server.requests()[0].body);
    let roles: Vec<&str> = sent.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(
        roles,
        [
            "system",
            "user",
            "assistant",
            "tool",
            "assistant",
            "tool",
            "tool",
            "user"
        ]
    );
    assert_eq!(sent[1]["content"], "wait for it");
    assert!(sent[3]["content"].as_str().unwrap().contains("alpha"));
    assert_eq!(sent[4]["tool_calls"].as_array().unwrap().len(), 2);
    assert!(
        sent[5]["content"]
            .as_str()
            .unwrap()
            .starts_with("interrupted: the session ended before this call finished")
    );
    assert_eq!(
        sent[6]["content"],
        "interrupted: the session ended before this call ran"
    );
    assert_eq!(sent[7]["content"], "go on");
    // The torn line is gone and the file reads whole again.
    let recorded = read_lines(&path);
    assert!(recorded.iter().all(|e| e["seq"] != 99));
    assert_eq!(
        listed(&f.kiln(&["sessions", "--json"]))[0]["outcome"],
        "done"
    );
}
