//! Checkpoints and `kiln undo` end to end: a scripted `kiln exec` session
//! edits, creates and deletes files; `kiln undo` puts them back exactly
//! and leaves git's own state alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/kiln_cmd.rs"]
mod kiln_cmd;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use kiln_cmd::{events, kiln, of_type};
use serde_json::json;
use tempfile::TempDir;

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

/// Every file under `root` but `.git`, with its bytes and exec bit.
fn tree(root: &Path) -> BTreeMap<String, (Vec<u8>, bool)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() == ".git" {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let exec = std::fs::metadata(&path).unwrap().permissions().mode() & 0o111 != 0;
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            out.insert(rel, (std::fs::read(&path).unwrap(), exec));
        }
    }
    out
}

struct Fixture {
    home: TempDir,
    dir: TempDir,
}

impl Fixture {
    fn new() -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// The user's state: committed files (when `git`), then uncommitted
    /// work on top: a modification, an untracked file, a deleted tracked
    /// file and ignored files.
    fn user_state(&self, git_repo: bool) {
        self.write(".gitignore", "target/\n*.log\n");
        self.write("lib.py", "def add(a, b):\n    return a - b\n");
        self.write("README.md", "readme\n");
        self.write("gone.txt", "deleted by the user\n");
        self.write("run.sh", "#!/bin/sh\necho hi\n");
        std::fs::set_permissions(
            self.root().join("run.sh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        if git_repo {
            git(self.root(), &["init", "-q"]);
            git(self.root(), &["add", "-A"]);
            git(self.root(), &["commit", "-qm", "fixture"]);
        }
        self.write("README.md", "readme, edited by the user\n");
        self.write("untracked.txt", "the user's own notes\n");
        std::fs::remove_file(self.root().join("gone.txt")).unwrap();
        self.write("target/out.bin", "build output\n");
        self.write("debug.log", "a log\n");
    }

    fn script(&self, turns: serde_json::Value) -> String {
        let path = self.home.path().join("script.json");
        std::fs::write(&path, json!({ "turns": turns }).to_string()).unwrap();
        path.display().to_string()
    }

    /// Two changing turns: edit + create, then a shell that deletes the
    /// untracked file and writes an ignored one.
    fn agent_session(&self) -> Output {
        let script = self.script(json!([
            { "tool_calls": [{ "name": "read_file", "arguments": { "path": "lib.py" } }] },
            { "tool_calls": [
                { "name": "edit_file", "arguments": { "path": "lib.py", "old_string": "a - b", "new_string": "a + b" } },
                { "name": "write_file", "arguments": { "path": "tests/test_lib.py", "content": "from lib import add\n" } }
            ] },
            { "tool_calls": [{ "name": "shell", "arguments": { "command": "rm untracked.txt README.md && chmod -x run.sh && echo more >> target/out.bin" } }] },
            { "text": "Fixed add." }
        ]));
        self.kiln(&[
            "exec",
            "--json",
            "--provider",
            "scripted",
            "--model",
            &script,
            "fix add",
        ])
    }

    fn kiln(&self, args: &[&str]) -> Output {
        let mut cmd = kiln(self.home.path());
        cmd.args(args).arg("--cwd").arg(self.root());
        cmd.output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.kiln(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "kiln {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn list(&self) -> Vec<serde_json::Value> {
        let out = self.ok(&["checkpoints", "--json"]);
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the session, then two undos back to the state before it.
fn session_then_undo_everything(f: &Fixture) -> BTreeMap<String, (Vec<u8>, bool)> {
    let before = tree(f.root());
    let out = f.agent_session();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev = events(&out);
    let created = of_type(&ev, "checkpoint_created");
    assert_eq!(created.len(), 2, "one per changing turn: {created:?}");
    assert_eq!(created[0]["turn"], 2);
    assert_eq!(created[1]["turn"], 3);
    assert_eq!(
        created[0]["files"], 5,
        "ignored and deleted files are not in it"
    );
    assert!(!f.root().join("untracked.txt").exists());

    // The newest checkpoint: before turn 3 (the shell command).
    let first = f.ok(&["undo", "--yes"]);
    let text = stdout(&first);
    assert!(text.contains("restored README.md"), "{text}");
    assert!(text.contains("restored untracked.txt"), "{text}");
    assert!(text.contains("restored run.sh"), "{text}");
    assert!(f.root().join("untracked.txt").exists());
    assert_eq!(
        std::fs::read_to_string(f.root().join("lib.py")).unwrap(),
        "def add(a, b):\n    return a + b\n",
        "turn 2's edit is still there"
    );
    // Again: before turn 2, the state before the session.
    let second = f.ok(&["undo", "--yes"]);
    let text = stdout(&second);
    assert!(text.contains("restored lib.py"), "{text}");
    assert!(text.contains("deleted  tests/test_lib.py"), "{text}");
    let mut expected = before;
    // Ignored files are never touched: the shell's append stays.
    expected.insert(
        "target/out.bin".into(),
        (b"build output\nmore\n".to_vec(), false),
    );
    assert_eq!(tree(f.root()), expected);
    assert!(
        !f.root().join("gone.txt").exists(),
        "the deleted file stays deleted"
    );
    assert!(
        !f.root().join("tests").exists(),
        "the emptied directory is gone"
    );
    // Nothing older to go back to.
    let third = f.kiln(&["undo", "--yes"]);
    assert_eq!(third.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&third.stderr).contains("no older checkpoint"),
        "{}",
        String::from_utf8_lossy(&third.stderr)
    );
    expected
}

#[test]
fn undo_in_a_git_repo_restores_the_state_before_the_session() {
    let f = Fixture::new();
    f.user_state(true);
    let status = || {
        git(
            f.root(),
            &[
                "--no-optional-locks",
                "status",
                "--porcelain",
                "--untracked-files=all",
            ],
        )
    };
    let index = || std::fs::read(f.root().join(".git/index")).unwrap();
    let refs = || {
        git(
            f.root(),
            &[
                "for-each-ref",
                "--format=%(refname) %(objectname)",
                "refs/heads",
                "refs/tags",
            ],
        )
    };
    let (status_before, index_before, refs_before) = (status(), index(), refs());
    let head_before = git(f.root(), &["rev-parse", "HEAD"]);
    let symbolic_before = git(f.root(), &["symbolic-ref", "HEAD"]);
    assert!(status_before.contains(" D gone.txt"), "{status_before}");

    session_then_undo_everything(&f);

    assert_eq!(
        index(),
        index_before,
        "the index file is byte for byte the same"
    );
    assert_eq!(status(), status_before);
    assert_eq!(refs(), refs_before);
    assert_eq!(git(f.root(), &["rev-parse", "HEAD"]), head_before);
    assert_eq!(git(f.root(), &["symbolic-ref", "HEAD"]), symbolic_before);
    assert!(git(f.root(), &["stash", "list"]).is_empty());
    // The checkpoints are ordinary commits under a hidden ref.
    let hidden = git(
        f.root(),
        &["for-each-ref", "--format=%(refname)", "refs/kiln"],
    );
    assert!(hidden.starts_with("refs/kiln/checkpoints/"), "{hidden}");
    let fsck = std::process::Command::new("git")
        .args(["fsck", "--strict"])
        .current_dir(f.root())
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
}

#[test]
fn undo_outside_git_uses_kilns_own_store() {
    let f = Fixture::new();
    f.user_state(false);
    session_then_undo_everything(&f);
    assert!(!f.root().join(".git").exists());
    let stores = f.home.path().join(".local/state/kiln/checkpoints");
    assert_eq!(std::fs::read_dir(&stores).unwrap().count(), 1);
}

#[test]
fn checkpoints_lists_newest_first_and_undo_of_undo_redoes() {
    let f = Fixture::new();
    f.user_state(false);
    let none = f.kiln(&["checkpoints"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no checkpoints"));
    let out = f.agent_session();
    let session_id = events(&out)[0]["session_id"].as_str().unwrap().to_string();
    let after_session = tree(f.root());

    let list = f.list();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["label"], "before turn 3");
    assert_eq!(list[0]["turn"], 3);
    assert_eq!(list[0]["session_id"], session_id.as_str());
    assert_eq!(list[0]["reason"], "turn");
    // Turn 3 removed two files and changed a mode; turn 2 two more files.
    assert_eq!(list[0]["changed_files"], 3);
    assert_eq!(list[1]["changed_files"], 5);
    let table = stdout(&f.ok(&["checkpoints"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("ID"), "{table}");
    assert!(
        lines[1].contains("before turn 3") && lines[1].contains(&session_id[..8]),
        "{table}"
    );
    let short = &list[1]["id"].as_str().unwrap()[..10];
    assert!(lines[2].starts_with(short), "{table}");

    // Straight back to before turn 2, then undo that undo.
    let undo = f.ok(&["undo", "--yes", "--json", "--to", short]);
    let restored: serde_json::Value = serde_json::from_slice(&undo.stdout).unwrap();
    assert_eq!(restored["checkpoint"]["id"], list[1]["id"]);
    let before_undo = restored["before_undo"]["id"].as_str().unwrap();
    assert_ne!(tree(f.root()), after_session);
    let list = f.list();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["reason"], "before_undo");
    assert_eq!(list[0]["changed_files"], 5);
    f.ok(&["undo", "--yes", "--to", &before_undo[..12]]);
    assert_eq!(tree(f.root()), after_session);

    let missing = f.kiln(&["undo", "--yes", "--to", "deadbeef"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no checkpoint `deadbeef`"));
}

#[test]
fn undo_tells_the_session_file() {
    let f = Fixture::new();
    f.user_state(false);
    let out = f.agent_session();
    let session_id = events(&out)[0]["session_id"].as_str().unwrap().to_string();
    let sessions = f.home.path().join(".local/state/kiln/sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let file = sessions.join(format!("{session_id}.jsonl"));
    std::fs::write(&file, String::from_utf8_lossy(&out.stdout).as_bytes()).unwrap();
    let last_seq = events(&out).last().unwrap()["seq"].as_u64().unwrap();
    let undo = f.ok(&["undo", "--yes"]);
    assert!(String::from_utf8_lossy(&undo.stderr).contains("noted in the session file"));
    let text = std::fs::read_to_string(&file).unwrap();
    let note: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(note["type"], "files_restored");
    assert_eq!(note["v"], 1);
    assert_eq!(note["session_id"], session_id.as_str());
    assert_eq!(note["seq"], last_seq + 1);
    assert_eq!(
        note["files"],
        json!(["README.md", "run.sh", "untracked.txt"])
    );
}

#[test]
fn checkpoints_can_be_turned_off() {
    let f = Fixture::new();
    f.user_state(false);
    f.write(".kiln/config.toml", "checkpoints = false\n");
    let out = f.agent_session();
    assert_eq!(out.status.code(), Some(0));
    assert!(of_type(&events(&out), "checkpoint_created").is_empty());
    assert_eq!(f.kiln(&["undo", "--yes"]).status.code(), Some(2));
}
