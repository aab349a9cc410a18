//! The approval policy and the shell sandbox, through the real binary:
//! what runs, what is refused (and what the model is told), and that a
//! sandboxed command cannot write outside the workspace.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/kiln_cmd.rs"]
mod kiln_cmd;

use std::path::{Path, PathBuf};

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
        std::fs::write(f.repo.path().join("lib.py"), "X = 1\n").unwrap();
        f
    }

    /// Runs `kiln exec` with the scripted `turns`, the approval policy left
    /// to the entry point's default unless `extra` sets one.
    fn exec(&self, turns: serde_json::Value, extra: &[&str]) -> std::process::Output {
        let script = self.home.path().join("script.json");
        std::fs::write(&script, json!({ "turns": turns }).to_string()).unwrap();
        let mut cmd = kiln(self.home.path());
        cmd.env_remove("KILN_APPROVAL")
            .args(["exec", "--json", "--provider", "scripted", "--model"])
            .arg(&script)
            .arg("--cwd")
            .arg(self.repo.path())
            .args(extra)
            .arg("task");
        cmd.output().unwrap()
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.repo.path().join(name)).unwrap_or_default()
    }
}

fn shell(cmd: &str) -> serde_json::Value {
    json!({ "name": "shell", "arguments": { "command": cmd } })
}

fn results(out: &std::process::Output) -> Vec<serde_json::Value> {
    of_type(&events(out), "tool_call_completed")
        .into_iter()
        .cloned()
        .collect()
}

/// A directory outside the workspace and outside every temp dir (the
/// sandbox lets commands write to those).
fn outside_dir() -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = base.join(format!("outside-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn exec_defaults_to_auto_and_refuses_what_would_ask() {
    let f = Fixture::new();
    let out = f.exec(
        json!([
            { "tool_calls": [
                shell("ls && grep -n X lib.py"),
                shell("echo changed > made.txt"),
                { "name": "edit_file", "arguments": { "path": "lib.py", "old_string": "X = 1", "new_string": "X = 2" } }
            ] },
            { "text": "Done." }
        ]),
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev = events(&out);
    let started = &ev[0];
    assert_eq!(started["safety"]["approval"], "auto");
    let r = results(&out);
    // A read-only command runs, an edit in the workspace runs, the other
    // command is refused with a result that says why.
    assert_eq!(r[0]["ok"], true, "{}", r[0]);
    assert!(r[0]["output"].as_str().unwrap().contains("1:X = 1"));
    assert_eq!(r[1]["ok"], false);
    assert_eq!(r[1]["error_kind"], "refused");
    let text = r[1]["output"].as_str().unwrap();
    assert!(
        text.contains("echo changed > made.txt") && text.contains("headless"),
        "{text}"
    );
    assert!(!f.repo.path().join("made.txt").exists());
    assert_eq!(r[2]["ok"], true);
    assert_eq!(f.file("lib.py"), "X = 2\n");

    let decided = of_type(&ev, "approval_decided");
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0]["decision"], "refused");
    assert_eq!(decided[0]["policy"], "auto");
    assert_eq!(decided[0]["action"]["kind"], "command");
    let done = last_of(&ev, "session_completed");
    assert_eq!(done["stats"]["approvals_refused"], 1);
    assert_eq!(done["stats"]["tool_errors"]["refused"], 1);
}

#[test]
fn read_only_refuses_edits_and_writing_commands() {
    let f = Fixture::new();
    let out = f.exec(
        json!([
            { "tool_calls": [
                { "name": "write_file", "arguments": { "path": "new.py", "content": "x" } },
                { "name": "edit_file", "arguments": { "path": "lib.py", "old_string": "X = 1", "new_string": "X = 2" } },
                shell("rm lib.py"),
                shell("cat lib.py")
            ] },
            { "text": "Looked only." }
        ]),
        &["--approval", "read-only"],
    );
    assert_eq!(out.status.code(), Some(0));
    let r = results(&out);
    let kinds: Vec<_> = r.iter().map(|r| r["error_kind"].clone()).collect();
    assert_eq!(
        kinds,
        [
            json!("refused"),
            json!("refused"),
            json!("refused"),
            json!(null)
        ]
    );
    assert!(r[0]["output"].as_str().unwrap().contains("`read-only`"));
    assert_eq!(f.file("lib.py"), "X = 1\n");
    assert!(!f.repo.path().join("new.py").exists());
}

#[test]
fn allow_commands_in_config_let_a_command_run_under_auto() {
    let f = Fixture::new();
    std::fs::create_dir_all(f.repo.path().join(".kiln")).unwrap();
    std::fs::write(
        f.repo.path().join(".kiln/config.toml"),
        "allow_commands = [\"python3 -c *\"]\n",
    )
    .unwrap();
    let out = f.exec(
        json!([
            { "tool_calls": [shell("python3 -c 'print(6*7)'"), shell("python3 -m this")] },
            { "text": "Ran it." }
        ]),
        &[],
    );
    let r = results(&out);
    assert_eq!(r[0]["ok"], true);
    assert!(r[0]["output"].as_str().unwrap().contains("42"));
    assert_eq!(r[1]["error_kind"], "refused");
}

#[test]
fn sandboxed_commands_write_in_the_workspace_but_not_outside_it() {
    let f = Fixture::new();
    let outside = outside_dir();
    let target = outside.join("escape.txt");
    let cmd = format!(
        "echo inside > inside.txt && echo tmp > \"$(mktemp)\" && echo escaped > {}; echo \"rc=$?\"",
        target.display()
    );
    let out = f.exec(
        json!([{ "tool_calls": [shell(&cmd)] }, { "text": "Tried." }]),
        &["--approval", "full", "--sandbox", "required"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev = events(&out);
    assert_eq!(ev[0]["safety"]["sandbox"]["kind"], "landlock");
    let text = results(&out)[0]["output"].as_str().unwrap().to_string();
    assert!(text.contains("Permission denied"), "{text}");
    assert!(text.contains("rc=1"), "{text}");
    assert_eq!(f.file("inside.txt"), "inside\n");
    assert!(
        !target.exists(),
        "the sandbox let a command write {}",
        target.display()
    );

    // Without the sandbox the same command does write there: the test can fail.
    let out = f.exec(
        json!([{ "tool_calls": [shell(&cmd)] }, { "text": "Tried." }]),
        &["--approval", "full", "--sandbox", "off"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(events(&out)[0]["safety"]["sandbox"]["kind"], "off");
    assert!(target.exists());
    std::fs::remove_dir_all(&outside).unwrap();
}

#[test]
fn read_only_makes_the_workspace_read_only_for_commands_too() {
    let f = Fixture::new();
    std::fs::create_dir_all(f.repo.path().join(".kiln")).unwrap();
    // Allowed by the user's glob, but the sandbox still stops the write.
    std::fs::write(
        f.repo.path().join(".kiln/config.toml"),
        "allow_commands = [\"touch *\"]\n",
    )
    .unwrap();
    let out = f.exec(
        json!([{ "tool_calls": [shell("touch made.txt")] }, { "text": "Tried." }]),
        &["--approval", "read-only", "--sandbox", "required"],
    );
    let r = results(&out);
    assert!(
        r[0]["output"]
            .as_str()
            .unwrap()
            .contains("Permission denied"),
        "{}",
        r[0]
    );
    assert!(!f.repo.path().join("made.txt").exists());
}

#[test]
fn no_network_denies_tcp_to_commands() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let f = Fixture::new();
    let probe = format!(
        "python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5); print('connected')\""
    );
    let with = f.exec(
        json!([{ "tool_calls": [shell(&probe)] }, { "text": "ok" }]),
        &["--approval", "full"],
    );
    assert!(
        results(&with)[0]["output"]
            .as_str()
            .unwrap()
            .contains("connected")
    );
    let without = f.exec(
        json!([{ "tool_calls": [shell(&probe)] }, { "text": "ok" }]),
        &["--approval", "full", "--no-network"],
    );
    let text = results(&without)[0]["output"].as_str().unwrap().to_string();
    assert!(text.contains("PermissionError"), "{text}");
    assert!(!text.contains("connected"), "{text}");
}

#[test]
fn bad_policy_values_are_usage_errors() {
    let f = Fixture::new();
    let out = f.exec(json!([{ "text": "x" }]), &["--approval", "sometimes"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::create_dir_all(f.repo.path().join(".kiln")).unwrap();
    std::fs::write(
        f.repo.path().join(".kiln/config.toml"),
        "allow_commands = [\"a[\"]\n",
    )
    .unwrap();
    let out = f.exec(json!([{ "text": "x" }]), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("allow_commands"));
    std::fs::write(
        f.repo.path().join(".kiln/config.toml"),
        "approval = \"never\"\n",
    )
    .unwrap();
    let out = f.exec(json!([{ "text": "x" }]), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("approval"));
}
