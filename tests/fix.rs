//! `kiln fix` end to end with the scripted backend: real binary, real
//! checks (python3 unittest, cargo test), real git repositories.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/kiln_cmd.rs"]
mod kiln_cmd;

use std::path::Path;
use std::process::Output;

use kiln_cmd::{events, kiln, last_of, of_type};
use serde_json::json;
use tempfile::TempDir;

const CALC: &str = "def add(a, b):\n    return a - b\n\n\ndef mean(values):\n    return sum(values) / len(values)\n";
const TEST_CALC: &str = "import unittest\n\nfrom calc import add, mean\n\n\nclass CalcTest(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n    def test_mean(self):\n        self.assertEqual(mean([1, 2, 3, 6]), 3)\n";
const UNITTEST: &str = "python3 -m unittest";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A committed repository with `files`.
fn repo(files: &[(&str, &str)]) -> TempDir {
    repo_after(files, |_| {})
}

/// A repository with `files`, committed after `prepare` ran in it.
fn repo_after(files: &[(&str, &str)], prepare: impl FnOnce(&Path)) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (f, text) in files {
        let path = dir.path().join(f);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    prepare(dir.path());
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "fixture"]);
    dir
}

fn python_repo() -> TempDir {
    repo(&[
        ("calc.py", CALC),
        ("test_calc.py", TEST_CALC),
        (".gitignore", "__pycache__/\n"),
    ])
}

struct Run {
    home: TempDir,
}

impl Run {
    fn new() -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn fix(&self, repo: &Path, turns: serde_json::Value, args: &[&str]) -> Output {
        let script = self.home.path().join("script.json");
        std::fs::write(&script, json!({ "turns": turns }).to_string()).unwrap();
        let mut cmd = kiln(self.home.path());
        // A check that runs cargo builds the fixture in its own target dir.
        cmd.env_remove("CARGO_TARGET_DIR");
        cmd.args(["fix", "--json", "--provider", "scripted", "--model"])
            .arg(&script)
            .arg("--cwd")
            .arg(repo)
            .args(args);
        cmd.output().unwrap()
    }

    fn file(&self, name: &str) -> std::path::PathBuf {
        self.home.path().join(name)
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn fix_add() -> serde_json::Value {
    json!({ "name": "edit_file", "arguments": {
        "path": "calc.py", "old_string": "return a - b", "new_string": "return a + b" } })
}

#[test]
fn a_failing_python_test_is_fixed_committed_and_summarised() {
    let r = Run::new();
    let repo = python_repo();
    let summary = r.file("summary.md");
    let patch = r.file("fix.patch");
    let out = r.fix(
        repo.path(),
        json!([
            { "text": "Fixing add.", "tool_calls": [fix_add()] },
            { "text": "add now adds." }
        ]),
        &[
            "--check",
            UNITTEST,
            "--commit",
            "--summary",
            summary.to_str().unwrap(),
            "--patch",
            patch.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ev = events(&out);
    let checks = of_type(&ev, "check_completed");
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0]["passed"], false);
    assert_eq!(checks[0]["tests"]["ran"], 2);
    assert_eq!(checks[1]["passed"], true);
    let done = last_of(&ev, "fix_completed");
    assert_eq!(done["summary"]["outcome"], "fixed");
    assert_eq!(done["summary"]["changed_files"], json!(["calc.py"]));
    assert_eq!(ev.last().unwrap()["type"], "fix_completed");
    // Committed on the current branch with a message that says what it did.
    let log = git(repo.path(), &["log", "--format=%s", "-1"]);
    assert_eq!(log.trim(), format!("kiln fix: make `{UNITTEST}` pass"));
    assert!(
        git(repo.path(), &["status", "--porcelain"])
            .trim()
            .is_empty()
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("kiln fixed the check"), "{md}");
    assert!(md.contains("add now adds."), "{md}");
    assert!(md.contains("+    return a + b"), "{md}");
    let p = std::fs::read_to_string(&patch).unwrap();
    assert!(p.contains("-    return a - b\n+    return a + b"), "{p}");
}

#[test]
fn a_failing_rust_test_is_fixed_on_a_new_branch() {
    let r = Run::new();
    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"fixme\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        (
            "src/lib.rs",
            "pub fn double(x: i32) -> i32 {\n    x + 2\n}\n",
        ),
        (
            "tests/double.rs",
            "#[test]\nfn doubles() {\n    assert_eq!(fixme::double(4), 8);\n    assert_eq!(fixme::double(3), 6);\n}\n",
        ),
        (".gitignore", "/target\n"),
    ];
    // Cargo.lock committed as cargo writes it, so the fix changes only src/.
    let repo = repo_after(&files, |dir| {
        let ok = std::process::Command::new("cargo")
            .args(["generate-lockfile", "--offline"])
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(ok.success());
    });
    let out = r.fix(
        repo.path(),
        json!([
            { "tool_calls": [{ "name": "edit_file", "arguments": {
                "path": "src/lib.rs", "old_string": "x + 2", "new_string": "x * 2" } }] },
            { "text": "double multiplies now." }
        ]),
        &[
            "--check",
            "cargo test --offline -q",
            "--branch",
            "kiln/fix-1",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ev = events(&out);
    let checks = of_type(&ev, "check_completed");
    assert_eq!(checks[0]["runner"], "cargo", "{}", checks[0]);
    assert_eq!(checks[1]["passed"], true);
    let branch = git(repo.path(), &["rev-parse", "--abbrev-ref", "HEAD"]);
    assert_eq!(branch.trim(), "kiln/fix-1");
    let changed = git(repo.path(), &["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(changed.trim(), "src/lib.rs");
    assert_eq!(
        last_of(&ev, "fix_completed")["summary"]["branch"],
        "kiln/fix-1"
    );
}

#[test]
fn editing_the_protected_test_is_refused_and_undone() {
    let r = Run::new();
    let repo = python_repo();
    let out = r.fix(
        repo.path(),
        json!([
            { "tool_calls": [{ "name": "edit_file", "arguments": {
                "path": "test_calc.py", "old_string": "add(2, 3), 5", "new_string": "add(2, 3), -1" } }] },
            { "tool_calls": [{ "name": "shell", "arguments": {
                "command": "sed -i 's/add(2, 3), 5/add(2, 3), -1/' test_calc.py && python3 -m unittest" } }] },
            { "text": "The tests pass now." }
        ]),
        &["--check", UNITTEST, "--attempts", "1"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let ev = events(&out);
    let refused = &of_type(&ev, "tool_call_completed")[0];
    assert_eq!(refused["error_kind"], "protected", "{refused}");
    assert!(
        refused["output"]
            .as_str()
            .unwrap()
            .contains("test_calc.py is protected")
    );
    let done = last_of(&ev, "fix_completed");
    let attempt = &done["summary"]["attempts"][0];
    assert_eq!(attempt["restored"], json!(["test_calc.py"]), "{attempt}");
    assert_eq!(attempt["check"]["passed"], false);
    assert_eq!(done["summary"]["outcome"], "still_failing");
    assert_eq!(
        std::fs::read_to_string(repo.path().join("test_calc.py")).unwrap(),
        TEST_CALC
    );
}

#[test]
fn deleting_a_test_does_not_count_as_a_fix() {
    let r = Run::new();
    let repo = python_repo();
    let only_mean = TEST_CALC.replace(
        "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n",
        "",
    );
    let out = r.fix(
        repo.path(),
        json!([
            { "tool_calls": [{ "name": "write_file", "arguments": {
                "path": "test_calc.py", "content": only_mean } }] },
            { "text": "Removed the broken test." }
        ]),
        &[
            "--check",
            UNITTEST,
            "--attempts",
            "1",
            "--no-default-protect",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let ev = events(&out);
    let attempt = &last_of(&ev, "fix_completed")["summary"]["attempts"][0];
    assert_eq!(attempt["check"]["passed"], true, "the check itself passes");
    assert!(
        attempt["rejected"]
            .as_str()
            .unwrap()
            .contains("dropped from 2 to 1"),
        "{attempt}"
    );
}

#[test]
fn a_passing_check_exits_0_without_the_model() {
    let r = Run::new();
    let repo = python_repo();
    std::fs::write(repo.path().join("calc.py"), CALC.replace("a - b", "a + b")).unwrap();
    // An empty script: any model request would fail the run.
    let out = r.fix(repo.path(), json!([]), &["--check", UNITTEST]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ev = events(&out);
    assert!(of_type(&ev, "session_started").is_empty());
    assert!(of_type(&ev, "turn_started").is_empty());
    assert_eq!(
        last_of(&ev, "fix_completed")["summary"]["outcome"],
        "already_passing"
    );
}

#[test]
fn a_budget_that_runs_out_exits_3() {
    let r = Run::new();
    let repo = python_repo();
    let look =
        json!({ "tool_calls": [{ "name": "read_file", "arguments": { "path": "calc.py" } }] });
    let out = r.fix(
        repo.path(),
        json!([look, look, look, look]),
        &["--check", UNITTEST, "--attempts", "2", "--max-turns", "1"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let ev = events(&out);
    let s = &last_of(&ev, "fix_completed")["summary"];
    assert_eq!(s["outcome"], "budget_exhausted");
    // Both attempts ran: a turn limit only ends the run on the last one.
    assert_eq!(s["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(s["attempts"][0]["agent"], "turn_limit");
}

#[test]
fn usage_errors_exit_2() {
    let r = Run::new();
    let plain = tempfile::tempdir().unwrap();
    std::fs::write(plain.path().join("a.py"), "").unwrap();
    let out = r.fix(plain.path(), json!([]), &["--check", "false", "--commit"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not in a git repository"),
        "{}",
        stderr(&out)
    );
    let repo = python_repo();
    let out = r.fix(
        repo.path(),
        json!([]),
        &["--check", "false", "--protect", "[oops"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--protect"), "{}", stderr(&out));
}
