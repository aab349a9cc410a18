//! `kiln exec` end to end with the scripted backend: real binary, real
//! tools, real files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/kiln_cmd.rs"]
mod kiln_cmd;

use kiln_cmd::{events, kiln, last_of, of_type};
use serde_json::json;
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
        std::fs::write(
            f.repo.path().join("lib.py"),
            "def add(a, b):\n    return a - b\n",
        )
        .unwrap();
        f
    }

    fn script(&self, turns: serde_json::Value) -> String {
        let path = self.home.path().join("script.json");
        std::fs::write(&path, json!({ "turns": turns }).to_string()).unwrap();
        path.display().to_string()
    }

    fn exec(&self, script: &str, extra: &[&str]) -> std::process::Output {
        let mut cmd = kiln(self.home.path());
        cmd.args([
            "exec",
            "--json",
            "--provider",
            "scripted",
            "--model",
            script,
            "--cwd",
        ])
        .arg(self.repo.path())
        .args(extra)
        .arg("fix add");
        cmd.output().unwrap()
    }
}

#[test]
fn edits_files_and_reports_events_and_stats() {
    let f = Fixture::new();
    let script = f.script(json!([
        { "text": "Reading.", "tool_calls": [{ "name": "read_file", "arguments": { "path": "lib.py" } }] },
        { "tool_calls": [{ "name": "edit_file", "arguments": { "path": "lib.py", "old_string": "a - b", "new_string": "a + b" } },
                         { "name": "write_file", "arguments": { "path": "tests/test_lib.py", "content": "from lib import add\n" } }] },
        { "text": "Fixed add." }
    ]));
    let out = f.exec(&script, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(f.repo.path().join("lib.py")).unwrap(),
        "def add(a, b):\n    return a + b\n"
    );
    assert!(f.repo.path().join("tests/test_lib.py").is_file());

    let ev = events(&out);
    assert_eq!(ev[0]["type"], "session_started");
    for e in &ev {
        assert_eq!(e["v"], 1);
        assert_eq!(e["session_id"], ev[0]["session_id"]);
    }
    let seqs: Vec<u64> = ev.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "seq is monotonic: {seqs:?}"
    );
    assert_eq!(of_type(&ev, "turn_started").len(), 3);
    assert_eq!(of_type(&ev, "tool_call_completed").len(), 3);
    let edit = of_type(&ev, "tool_call_completed")[1];
    assert_eq!(edit["ok"], true);
    assert!(
        edit["details"]["diff"]
            .as_str()
            .unwrap()
            .contains("+    return a + b")
    );
    let done = last_of(&ev, "session_completed");
    assert_eq!(done["outcome"], "done");
    assert_eq!(done["final_answer"], "Fixed add.");
    assert_eq!(done["stats"]["turns"], 3);
    assert_eq!(done["stats"]["tool_calls"], 3);
    assert!(done["stats"]["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    assert!(of_type(&ev, "turn_completed")[0]["usage"]["completion_tokens"].is_u64());
    assert!(of_type(&ev, "prefix_broken").is_empty());
}

#[test]
fn bad_calls_become_tool_results_and_are_counted() {
    let f = Fixture::new();
    let script = f.script(json!([
        { "tool_calls": [
            { "name": "frobnicate", "arguments": {} },
            { "name": "read_file", "arguments": "{\"path\": \"lib.py\"" },
            { "name": "read_file", "arguments": {} },
            { "name": "read_file", "arguments": { "path": 42 } },
            { "name": "read_file", "arguments": { "path": "../outside.txt" } },
            { "name": "read_file", "arguments": { "path": "missing.py" } }
        ] },
        { "text": "Gave up politely." }
    ]));
    let out = f.exec(&script, &[]);
    assert_eq!(out.status.code(), Some(0));
    let ev = events(&out);
    let results = of_type(&ev, "tool_call_completed");
    let kinds: Vec<_> = results
        .iter()
        .map(|r| r["error_kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "unknown_tool",
            "invalid_json",
            "invalid_arguments",
            "invalid_arguments",
            "path_escape",
            "not_found"
        ]
    );
    assert!(
        results[0]["output"].as_str().unwrap().contains("read_file"),
        "lists the available tools"
    );
    let missing = results[2]["output"].as_str().unwrap();
    assert!(
        missing.contains("path") && missing.contains("\"required\""),
        "states the schema: {missing}"
    );
    let stats = &last_of(&ev, "session_completed")["stats"];
    assert_eq!(stats["tool_errors"]["invalid_arguments"], 2);
    assert_eq!(stats["tool_errors"]["unknown_tool"], 1);
    assert_eq!(stats["tool_errors"]["invalid_json"], 1);
    assert_eq!(stats["tool_errors"]["path_escape"], 1);
}

#[test]
fn loop_guard_warns_then_gives_up() {
    let f = Fixture::new();
    let bad_edit = json!({ "name": "edit_file", "arguments": { "path": "lib.py", "old_string": "nope", "new_string": "x" } });
    let turns: Vec<_> = (0..6)
        .map(|_| json!({ "tool_calls": [bad_edit.clone()] }))
        .collect();
    let script = f.script(json!(turns));
    let out = f.exec(&script, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "loop guard ends the session as failed"
    );
    let ev = events(&out);
    let guards = of_type(&ev, "loop_guard");
    assert_eq!(guards.len(), 4, "repeats 2..=5");
    assert_eq!(guards.last().unwrap()["repeats"], 5);
    let results = of_type(&ev, "tool_call_completed");
    assert!(
        !results[0]["output"]
            .as_str()
            .unwrap()
            .contains("exact call")
    );
    assert!(
        results[1]["output"]
            .as_str()
            .unwrap()
            .contains("exact call 2 times")
    );
    assert_eq!(last_of(&ev, "session_completed")["outcome"], "failed");
    assert_eq!(
        std::fs::read_to_string(f.repo.path().join("lib.py")).unwrap(),
        "def add(a, b):\n    return a - b\n"
    );
}

#[test]
fn limits_exit_3() {
    let f = Fixture::new();
    let call = json!({ "tool_calls": [{ "name": "list_files", "arguments": {} }] });
    let script = f.script(json!([call.clone(), call.clone(), call.clone(), call]));
    let out = f.exec(&script, &["--max-turns", "2"]);
    assert_eq!(out.status.code(), Some(3));
    let done = last_of(&events(&out), "session_completed").clone();
    assert_eq!(done["outcome"], "turn_limit");
    assert_eq!(done["stats"]["turns"], 2);

    let out = f.exec(&script, &["--max-tokens", "10"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        last_of(&events(&out), "session_completed")["outcome"],
        "token_limit"
    );

    let slow = f.script(
        json!([{ "tool_calls": [{ "name": "shell", "arguments": { "command": "sleep 30" } }] }]),
    );
    let started = std::time::Instant::now();
    let out = f.exec(&slow, &["--timeout", "1"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        last_of(&events(&out), "session_completed")["outcome"],
        "time_limit"
    );
    assert!(
        started.elapsed().as_secs() < 15,
        "the hung command was killed at the deadline"
    );
}

#[test]
fn empty_or_cut_answer_exits_1_and_exhausted_script_exits_4() {
    let f = Fixture::new();
    let out = f.exec(&f.script(json!([{ "text": "  " }])), &[]);
    assert_eq!(out.status.code(), Some(1));
    let out = f.exec(
        &f.script(json!([{ "text": "half an ans", "finish_reason": "length" }])),
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let out = f.exec(
        &f.script(json!([{ "tool_calls": [{ "name": "list_files" }] }])),
        &[],
    );
    assert_eq!(out.status.code(), Some(4));
    let done = last_of(&events(&out), "session_completed").clone();
    assert_eq!(done["outcome"], "backend_error");
    assert!(done["error"].as_str().unwrap().contains("has 1 turns"));
}

#[test]
fn plain_mode_prints_answer_on_stdout_progress_on_stderr() {
    let f = Fixture::new();
    let script = f.script(json!([
        { "tool_calls": [{ "name": "list_files", "arguments": {} }] },
        { "text": "All good." }
    ]));
    let out = kiln(f.home.path())
        .args([
            "exec",
            "--provider",
            "scripted",
            "--model",
            &script,
            "--cwd",
        ])
        .arg(f.repo.path())
        .write_stdin("task from stdin")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "All good.\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("list_files"), "{err}");
}

#[test]
fn usage_and_config_errors_exit_2() {
    let f = Fixture::new();
    let script = f.script(json!([{ "text": "x" }]));
    // Bad repo config names the file and key.
    std::fs::create_dir(f.repo.path().join(".kiln")).unwrap();
    std::fs::write(
        f.repo.path().join(".kiln/config.toml"),
        "max_turns = \"lots\"\n",
    )
    .unwrap();
    let out = f.exec(&script, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".kiln/config.toml") && err.contains("max_turns"),
        "{err}"
    );
    std::fs::remove_file(f.repo.path().join(".kiln/config.toml")).unwrap();

    let out = kiln(f.home.path())
        .args(["exec", "--provider", "nosuch", "--model", "m", "task"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown provider `nosuch`"));

    let out = kiln(f.home.path())
        .args(["exec", "--bogus-flag", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = kiln(f.home.path())
        .args(["exec", "--provider", "scripted", "--model", &script])
        .write_stdin("   ")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("task is empty"));

    // KILN_* env layer is read and validated too.
    let out = kiln(f.home.path())
        .env("KILN_MAX_TURNS", "zero")
        .args(["exec", "--provider", "scripted", "--model", &script, "t"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("KILN_MAX_TURNS")
            || String::from_utf8_lossy(&out.stderr).contains("max_turns")
    );
}

#[test]
fn sigint_interrupts_kills_the_command_and_exits_130() {
    use std::io::{BufRead, BufReader};
    let f = Fixture::new();
    // A unique duration so the check below finds only this test's sleep.
    let nap = format!("sleep 31.{}", std::process::id());
    let script = f.script(json!([{ "tool_calls": [{ "name": "shell", "arguments": {
        "command": format!("{nap} && echo done") } }] }]));
    let bin = assert_cmd::cargo::cargo_bin("kiln");
    let mut child = std::process::Command::new(bin)
        .env("HOME", f.home.path())
        .env("XDG_CONFIG_HOME", f.home.path().join(".config"))
        .args([
            "exec",
            "--json",
            "--approval",
            "full",
            "--provider",
            "scripted",
            "--model",
            &script,
            "--cwd",
        ])
        .arg(f.repo.path())
        .arg("wait")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Wait until the command is running.
    for line in lines.by_ref() {
        if line.unwrap().contains("\"tool_call_started\"") {
            break;
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(started.elapsed().as_secs() < 10);
    let last: serde_json::Value = serde_json::from_str(rest.last().unwrap()).unwrap();
    assert_eq!(last["type"], "session_completed");
    assert_eq!(last["outcome"], "interrupted");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let left = std::process::Command::new("pgrep")
        .args(["-f", &nap])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "the command's process group was killed"
    );
}
