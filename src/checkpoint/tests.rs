#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use git2::{IndexAddOption, Repository, Signature};

use super::*;

/// Everything under `root` but `.git`: path → (kind, bytes or link target, mode).
fn state(root: &Path) -> BTreeMap<String, (char, Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (char, Vec<u8>, u32)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_name() == ".git" {
            continue;
        }
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode();
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).unwrap();
            out.insert(rel, ('l', target.display().to_string().into_bytes(), 0));
        } else if meta.is_dir() {
            out.insert(rel, ('d', Vec::new(), 0));
            walk(root, &path, out);
        } else {
            out.insert(rel, ('f', std::fs::read(&path).unwrap(), mode & 0o111));
        }
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn commit_all(root: &Path) -> Repository {
    let repo = Repository::init(root).unwrap();
    let mut index = repo.index().unwrap();
    index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::now("t", "t@t").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[])
        .unwrap();
    drop(tree);
    repo
}

struct Ws {
    dir: tempfile::TempDir,
    state: tempfile::TempDir,
}

impl Ws {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            state: tempfile::tempdir().unwrap(),
        }
    }
    fn root(&self) -> &Path {
        self.dir.path()
    }
    fn ckpt(&self) -> Checkpointer {
        Checkpointer::with_state_dir(self.root(), self.state.path(), Some("s-1".into())).unwrap()
    }
}

/// The agent's kind of damage: an edit, a new file, a deletion, a mode
/// change, a file turned into a directory.
fn agent_changes(root: &Path) {
    write(root, "src/lib.rs", "changed by the agent\n");
    write(root, "src/new.rs", "new\n");
    std::fs::remove_file(root.join("README.md")).unwrap();
    std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::remove_file(root.join("notes.txt")).unwrap();
    write(root, "notes.txt/inside", "dir now\n");
    std::fs::remove_file(root.join("link")).unwrap();
    write(root, "link", "a file now\n");
    write(root, "target/debug/out", "rebuilt\n");
}

fn fixture(root: &Path) {
    write(root, ".gitignore", "target/\n*.log\n");
    write(root, "src/lib.rs", "fn a() {}\n");
    write(root, "README.md", "readme\n");
    write(root, "notes.txt", "notes\n");
    write(root, "run.sh", "#!/bin/sh\n");
    std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    symlink("src/lib.rs", root.join("link")).unwrap();
}

#[test]
fn undo_in_a_git_repo_restores_exactly_and_leaves_git_alone() {
    let ws = Ws::new();
    let root = ws.root();
    fixture(root);
    write(root, "gone.txt", "tracked, deleted by the user\n");
    let repo = commit_all(root);
    // The user's own uncommitted work: a modification, an untracked
    // file, a deleted tracked file, an ignored file.
    write(root, "README.md", "readme, edited\n");
    write(root, "untracked.txt", "mine\n");
    std::fs::remove_file(root.join("gone.txt")).unwrap();
    write(root, "target/debug/out", "build output\n");
    write(root, "debug.log", "log\n");
    let index_before = std::fs::read(root.join(".git/index")).unwrap();
    let head_before = repo.head().unwrap().target();
    let head_name = repo.head().unwrap().name().unwrap().to_string();
    let before = state(root);

    let ckpt = ws.ckpt();
    let created = ckpt.create(1).unwrap();
    assert!(created.new);
    assert_eq!(created.files, 7, "ignored and deleted files are not in it");
    agent_changes(root);
    assert_ne!(state(root), before);

    let restored = ckpt.undo(None).unwrap();
    assert_eq!(restored.checkpoint.id, created.checkpoint.id);
    let mut expected_after = before.clone();
    // Ignored files are never touched: the rebuilt output stays.
    expected_after.insert("target/debug/out".into(), ('f', b"rebuilt\n".to_vec(), 0));
    assert_eq!(state(root), expected_after);
    assert!(!root.join("gone.txt").exists());
    let files: Vec<String> = restored
        .files()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(
        files,
        [
            "README.md",
            "link",
            "notes.txt",
            "notes.txt/inside",
            "run.sh",
            "src/lib.rs",
            "src/new.rs"
        ]
    );
    assert!(restored.failed.is_empty(), "{:?}", restored.failed);
    assert_eq!(
        std::fs::read(root.join(".git/index")).unwrap(),
        index_before
    );
    assert_eq!(repo.head().unwrap().target(), head_before);
    assert_eq!(repo.branches(None).unwrap().count(), 1);
    assert_eq!(repo.head().unwrap().name().unwrap(), head_name);
}

#[test]
fn outside_git_undo_and_undo_of_undo() {
    let ws = Ws::new();
    let root = ws.root();
    fixture(root);
    let before = state(root);
    let ckpt = ws.ckpt();
    ckpt.create(1).unwrap();
    agent_changes(root);
    let after_agent = state(root);
    assert!(
        !root.join(".git").exists(),
        "no repository is made in the workspace"
    );

    let undo = ckpt.undo(None).unwrap();
    let mut expected = before.clone();
    expected.insert("target".into(), ('d', vec![], 0));
    expected.insert("target/debug".into(), ('d', vec![], 0));
    expected.insert("target/debug/out".into(), ('f', b"rebuilt\n".to_vec(), 0));
    assert_eq!(state(root), expected);

    // The undo recorded what it replaced; putting that back redoes.
    let before_undo = undo.before_undo.unwrap();
    assert_eq!(before_undo.meta.reason, Reason::BeforeUndo);
    let redo = ckpt.undo(Some(&before_undo.id[..8])).unwrap();
    assert_eq!(state(root), after_agent);
    assert_eq!(redo.checkpoint.id, before_undo.id);

    let list = ckpt.list().unwrap();
    let labels: Vec<&str> = list
        .iter()
        .map(|l| l.checkpoint.meta.label.as_str())
        .collect();
    assert_eq!(labels.len(), 3, "{labels:?}");
    assert!(labels[0].starts_with("before undo to "), "{labels:?}");
    assert_eq!(labels[2], "before turn 1");
    assert_eq!(list[1].changed_files, 0, "the redo restored it exactly");
    assert_eq!(list[2].changed_files, 7);
    assert_eq!(list[2].checkpoint.meta.session_id.as_deref(), Some("s-1"));
}

#[test]
fn repeated_undos_walk_back_turn_by_turn() {
    let ws = Ws::new();
    let root = ws.root();
    write(root, "a.txt", "0\n");
    let ckpt = ws.ckpt();
    ckpt.create(1).unwrap();
    write(root, "a.txt", "1\n");
    ckpt.create(2).unwrap();
    write(root, "a.txt", "2\n");
    ckpt.undo(None).unwrap();
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "1\n");
    ckpt.undo(None).unwrap();
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "0\n");
    assert!(matches!(
        ckpt.undo(None),
        Err(CheckpointError::NothingToUndo)
    ));
}

#[test]
fn an_unchanged_state_reuses_the_newest_checkpoint() {
    let ws = Ws::new();
    write(ws.root(), "a.txt", "0\n");
    let ckpt = ws.ckpt();
    let first = ckpt.create(1).unwrap();
    let second = ckpt.create(2).unwrap();
    assert!(!second.new);
    assert_eq!(first.checkpoint.id, second.checkpoint.id);
    assert_eq!(ckpt.list().unwrap().len(), 1);
}

#[test]
fn files_ignored_by_the_checkpoints_rules_survive_an_undo() {
    let ws = Ws::new();
    let root = ws.root();
    write(root, ".gitignore", "*.log\n");
    write(root, "debug.log", "the user's log\n");
    let ckpt = ws.ckpt();
    ckpt.create(1).unwrap();
    // The agent stops ignoring logs; the log becomes covered, but it was
    // never the agent's, and the checkpoint's rules ignore it.
    write(root, ".gitignore", "");
    write(root, "made.log", "agent\n");
    ckpt.undo(None).unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join(".gitignore")).unwrap(),
        "*.log\n"
    );
    assert!(root.join("debug.log").exists());
    assert!(
        root.join("made.log").exists(),
        "ignored by the restored rules: kept"
    );
}

#[test]
fn a_workspace_in_a_subdirectory_covers_only_that_subtree() {
    let ws = Ws::new();
    let root = ws.root();
    write(root, "outside.txt", "o\n");
    write(root, "sub/in.txt", "i\n");
    commit_all(root);
    let sub = root.join("sub");
    let ckpt = Checkpointer::with_state_dir(&sub, ws.state.path(), None).unwrap();
    let created = ckpt.create(1).unwrap();
    assert_eq!(created.files, 1);
    write(root, "outside.txt", "changed\n");
    write(&sub, "in.txt", "changed\n");
    let restored = ckpt.undo(None).unwrap();
    assert_eq!(restored.restored, [Path::new("in.txt")]);
    assert_eq!(std::fs::read_to_string(sub.join("in.txt")).unwrap(), "i\n");
    assert_eq!(
        std::fs::read_to_string(root.join("outside.txt")).unwrap(),
        "changed\n"
    );
}

#[test]
fn errors_are_specific() {
    let ws = Ws::new();
    write(ws.root(), "a.txt", "0\n");
    let ckpt = ws.ckpt();
    assert!(matches!(
        ckpt.list(),
        Err(CheckpointError::NoCheckpoints(_))
    ));
    assert!(matches!(
        ckpt.undo(None),
        Err(CheckpointError::NoCheckpoints(_))
    ));
    ckpt.create(1).unwrap();
    let err = ckpt.undo(Some("zzzz")).unwrap_err();
    assert!(err.is_usage());
    assert!(err.to_string().contains("no checkpoint `zzzz`"), "{err}");
    assert!(matches!(
        ckpt.undo(None),
        Err(CheckpointError::NothingToUndo)
    ));
}

#[test]
fn an_undo_is_appended_to_the_session_file() {
    let ws = Ws::new();
    write(ws.root(), "a.txt", "0\n");
    let ckpt = ws.ckpt();
    ckpt.create(1).unwrap();
    write(ws.root(), "a.txt", "1\n");
    let sessions = ws.state.path().join("sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let file = sessions.join("s-1.jsonl");
    std::fs::write(&file, "{\"v\":1,\"seq\":1}\n{\"v\":1,\"seq\":7}").unwrap();
    let restored = ckpt.undo(None).unwrap();
    let written = session_log::append_files_restored(ws.state.path(), &restored).unwrap();
    assert_eq!(written.as_deref(), Some(file.as_path()));
    let text = std::fs::read_to_string(&file).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "files_restored");
    assert_eq!(last["seq"], 8);
    assert_eq!(last["session_id"], "s-1");
    assert_eq!(last["checkpoint"], restored.checkpoint.id);
    assert_eq!(last["files"], serde_json::json!(["a.txt"]));
    assert_eq!(text.lines().count(), 3, "the torn line stays its own line");
    assert!(session_log::session_file(ws.state.path(), "../x").is_none());
}

/// Timing on a real tree: `KILN_CHECKPOINT_BENCH=<dir> cargo test --lib
/// checkpoint_timing -- --ignored --nocapture` (the directory is copied).
#[test]
#[ignore]
fn checkpoint_timing() {
    use std::time::Instant;
    let Some(src) = std::env::var_os("KILN_CHECKPOINT_BENCH") else {
        return;
    };
    let ws = Ws::new();
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(Path::new(&src).join("."))
        .arg(ws.root())
        .status()
        .unwrap();
    assert!(copied.success());
    let ckpt = ws.ckpt();
    let t = Instant::now();
    let first = ckpt.create(1).unwrap();
    println!("first checkpoint: {} files, {:?}", first.files, t.elapsed());
    write(ws.root(), "touched.txt", "x\n");
    let t = Instant::now();
    ckpt.create(2).unwrap();
    println!("second checkpoint (1 file new): {:?}", t.elapsed());
    write(ws.root(), "touched2.txt", "x\n");
    let t = Instant::now();
    ws.ckpt().create(1).unwrap();
    println!(
        "a new session's first checkpoint (store warm): {:?}",
        t.elapsed()
    );
    let t = Instant::now();
    let listed = ckpt.list().unwrap();
    println!("list {} checkpoints: {:?}", listed.len(), t.elapsed());
    let t = Instant::now();
    let restored = ckpt.undo(None).unwrap();
    println!("undo ({} files): {:?}", restored.files().len(), t.elapsed());
}

#[test]
fn a_directory_holding_ignored_files_is_reported_not_removed() {
    let ws = Ws::new();
    let root = ws.root();
    write(root, ".gitignore", "*.log\n");
    write(root, "a", "a file\n");
    let ckpt = ws.ckpt();
    ckpt.create(1).unwrap();
    std::fs::remove_file(root.join("a")).unwrap();
    write(root, "a/made.txt", "x\n");
    write(root, "a/kept.log", "ignored\n");
    let restored = ckpt.undo(None).unwrap();
    assert_eq!(restored.deleted, [Path::new("a/made.txt")]);
    assert_eq!(restored.failed.len(), 1, "{:?}", restored.failed);
    assert_eq!(restored.failed[0].path, Path::new("a"));
    assert!(
        restored.failed[0].error.contains("ignored"),
        "{:?}",
        restored.failed
    );
    assert_eq!(
        std::fs::read_to_string(root.join("a/kept.log")).unwrap(),
        "ignored\n"
    );
}

#[test]
fn session_diff_shows_what_this_session_changed() {
    let ws = Ws::new();
    write(ws.root(), "a.txt", "one\ntwo\n");
    write(ws.root(), "gone.txt", "bye\n");
    let ckpt = ws.ckpt();
    assert_eq!(ckpt.session_diff().unwrap(), "", "no checkpoint yet");
    ckpt.create(1).unwrap();
    write(ws.root(), "a.txt", "one\nTWO\n");
    write(ws.root(), "new.txt", "hello\n");
    std::fs::remove_file(ws.root().join("gone.txt")).unwrap();
    let diff = ckpt.session_diff().unwrap();
    assert!(diff.contains("--- a/a.txt\n+++ b/a.txt"), "{diff}");
    assert!(diff.contains("-two\n+TWO\n"), "{diff}");
    assert!(
        diff.contains("--- /dev/null\n+++ b/new.txt") && diff.contains("+hello"),
        "{diff}"
    );
    assert!(
        diff.contains("--- a/gone.txt\n+++ /dev/null") && diff.contains("-bye"),
        "{diff}"
    );
    // Another session's checkpoints are not this session's start.
    let other =
        Checkpointer::with_state_dir(ws.root(), ws.state.path(), Some("s-2".into())).unwrap();
    assert_eq!(other.session_diff().unwrap(), "");
}
