use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::ApplyPatch;
use crate::tools::{Tool, ToolContext, ToolError, ToolLimits, ToolOutput, Workspace};

fn ctx(dir: &Path) -> ToolContext {
    ToolContext {
        workspace: Workspace::new(dir).unwrap(),
        limits: ToolLimits::default(),
        cancel: CancellationToken::new(),
        reads: Default::default(),
    }
}

async fn patch(dir: &Path, text: &str) -> Result<ToolOutput, ToolError> {
    ApplyPatch.call(json!({ "patch": text }), &ctx(dir)).await
}

fn failed_msg(r: Result<ToolOutput, ToolError>) -> String {
    match r {
        Err(ToolError::Failed(msg)) => msg,
        other => panic!("expected Failed, got {other:?}"),
    }
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap()
}

fn paths(list: &[&str]) -> Vec<PathBuf> {
    list.iter().map(PathBuf::from).collect()
}

#[tokio::test]
async fn add_creates_the_file_and_its_directories() {
    let dir = tempfile::tempdir().unwrap();
    let out = patch(
        dir.path(),
        "*** Begin Patch\n*** Add File: pkg/new.py\n+def f():\n+    return 1\n*** End Patch",
    )
    .await
    .unwrap();
    assert_eq!(read(dir.path(), "pkg/new.py"), "def f():\n    return 1\n");
    assert!(
        out.for_model.starts_with("Patch applied:\nA pkg/new.py\n"),
        "{}",
        out.for_model
    );
    assert_eq!(out.details.changed_files, paths(&["pkg/new.py"]));
    let diff = out.details.diff.unwrap();
    assert!(
        diff.starts_with("--- /dev/null\n+++ b/pkg/new.py\n"),
        "{diff}"
    );
    assert!(diff.contains("+def f():\n+    return 1\n"), "{diff}");
    assert!(out.for_model.contains(&diff), "{}", out.for_model);
}

#[tokio::test]
async fn add_of_an_existing_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "keep\n").unwrap();
    let msg = failed_msg(patch(dir.path(), "*** Add File: a.txt\n+new\n").await);
    assert!(msg.contains("a.txt already exists"), "{msg}");
    assert!(msg.contains("*** Update File: a.txt"), "{msg}");
    assert_eq!(read(dir.path(), "a.txt"), "keep\n");
}

#[tokio::test]
async fn context_header_picks_the_right_place() {
    let dir = tempfile::tempdir().unwrap();
    let text = "def foo():\n    x = 1\n    return x\n\ndef bar():\n    x = 1\n    return x\n";
    std::fs::write(dir.path().join("m.py"), text).unwrap();
    let hunk = "     x = 1\n-    return x\n+    return x + 1\n";
    // Without the header the same lines are in both functions.
    let msg = failed_msg(patch(dir.path(), &format!("*** Update File: m.py\n@@\n{hunk}")).await);
    assert!(msg.contains("matches 2 places"), "{msg}");
    assert_eq!(read(dir.path(), "m.py"), text);
    let out = patch(
        dir.path(),
        &format!("*** Update File: m.py\n@@ def bar():\n{hunk}"),
    )
    .await
    .unwrap();
    assert_eq!(
        read(dir.path(), "m.py"),
        "def foo():\n    x = 1\n    return x\n\ndef bar():\n    x = 1\n    return x + 1\n"
    );
    assert!(out.for_model.contains("M m.py\n"), "{}", out.for_model);
    assert_eq!(out.details.changed_files, paths(&["m.py"]));
}

#[tokio::test]
async fn nested_headers_and_end_of_file_anchor_hunks() {
    let dir = tempfile::tempdir().unwrap();
    let text = "class A:\n    def f(self):\n        return 0\n\
                class B:\n    def f(self):\n        return 0\n\
                x = 0\nx = 0\n";
    std::fs::write(dir.path().join("c.py"), text).unwrap();
    patch(
        dir.path(),
        "*** Update File: c.py\n@@ class B: @@\n@@     def f(self):\n-        return 0\n\
         +        return 1\n@@\n-x = 0\n+x = 1\n*** End of File\n",
    )
    .await
    .unwrap();
    assert_eq!(
        read(dir.path(), "c.py"),
        text.replacen("return 0\nx", "return 1\nx", 1).replacen(
            "x = 0\nx = 0\n",
            "x = 0\nx = 1\n",
            1
        )
    );
}

#[tokio::test]
async fn two_hunks_apply_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (1..=12).map(|i| format!("line {i}\n")).collect();
    std::fs::write(dir.path().join("n.txt"), &text).unwrap();
    let out = patch(
        dir.path(),
        "*** Begin Patch\n*** Update File: n.txt\n@@\n line 1\n-line 2\n+two\n line 3\n\
         @@\n line 9\n-line 10\n+ten\n+ten and a half\n line 11\n*** End Patch\n",
    )
    .await
    .unwrap();
    let want = text
        .replace("line 2\n", "two\n")
        .replace("line 10\n", "ten\nten and a half\n");
    assert_eq!(read(dir.path(), "n.txt"), want);
    let diff = out.details.diff.unwrap();
    assert!(diff.contains("-line 2\n+two\n"), "{diff}");
    assert!(diff.contains("-line 10\n+ten\n+ten and a half\n"), "{diff}");
}

#[tokio::test]
async fn hunks_out_of_order_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (1..=12).map(|i| format!("line {i}\n")).collect();
    std::fs::write(dir.path().join("n.txt"), &text).unwrap();
    let msg = failed_msg(
        patch(
            dir.path(),
            "*** Update File: n.txt\n@@\n line 9\n-line 10\n+ten\n@@\n line 1\n-line 2\n+two\n",
        )
        .await,
    );
    assert!(msg.contains("hunk 2 of the update of n.txt"), "{msg}");
    assert!(msg.contains("They are at line 1"), "{msg}");
    assert_eq!(read(dir.path(), "n.txt"), text);
}

#[tokio::test]
async fn delete_removes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gone.py"), "x = 1\n").unwrap();
    let out = patch(
        dir.path(),
        "*** Begin Patch\n*** Delete File: gone.py\n*** End Patch",
    )
    .await
    .unwrap();
    assert!(!dir.path().join("gone.py").exists());
    assert!(out.for_model.contains("D gone.py\n"), "{}", out.for_model);
    assert_eq!(out.details.changed_files, paths(&["gone.py"]));
    let diff = out.details.diff.unwrap();
    assert!(diff.starts_with("--- a/gone.py\n+++ /dev/null\n"), "{diff}");
    assert!(diff.contains("-x = 1\n"), "{diff}");
}

#[tokio::test]
async fn missing_files_are_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let r = patch(dir.path(), "*** Delete File: nope.txt\n").await;
    assert!(
        matches!(r, Err(ToolError::NotFound(ref m)) if m.contains("nope.txt does not exist")),
        "{r:?}"
    );
    let r = patch(dir.path(), "*** Update File: nope.txt\n@@\n-a\n+b\n").await;
    assert!(
        matches!(r, Err(ToolError::NotFound(ref m))
            if m.contains("nope.txt does not exist") && m.contains("*** Add File:")),
        "{r:?}"
    );
}

#[tokio::test]
async fn move_renames_with_changes_and_keeps_the_mode() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("run.sh");
    std::fs::write(&old, "#!/bin/sh\necho old\n").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o751)).unwrap();
    let out = patch(
        dir.path(),
        "*** Begin Patch\n*** Update File: run.sh\n*** Move to: bin/run.sh\n@@\n #!/bin/sh\n\
         -echo old\n+echo new\n*** End Patch",
    )
    .await
    .unwrap();
    assert!(!old.exists());
    assert_eq!(read(dir.path(), "bin/run.sh"), "#!/bin/sh\necho new\n");
    let mode = std::fs::metadata(dir.path().join("bin/run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o751);
    assert!(
        out.for_model.contains("R run.sh -> bin/run.sh\n"),
        "{}",
        out.for_model
    );
    assert_eq!(out.details.changed_files, paths(&["run.sh", "bin/run.sh"]));
    let diff = out.details.diff.unwrap();
    assert!(
        diff.starts_with("--- a/run.sh\n+++ b/bin/run.sh\n"),
        "{diff}"
    );
    assert!(diff.contains("-echo old\n+echo new\n"), "{diff}");
}

#[tokio::test]
async fn crlf_and_missing_final_newline_are_preserved() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.txt"), "one\r\ntwo\r\nthree\r\n").unwrap();
    std::fs::write(dir.path().join("n.txt"), "a\nb").unwrap();
    patch(
        dir.path(),
        "*** Update File: w.txt\n@@\n one\n-two\n+TWO\n+2\n three\n\
         *** Update File: n.txt\n@@\n a\n b\n+c\n",
    )
    .await
    .unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("w.txt")).unwrap(),
        b"one\r\nTWO\r\n2\r\nthree\r\n"
    );
    assert_eq!(read(dir.path(), "n.txt"), "a\nb\nc");
}

#[tokio::test]
async fn whitespace_differences_still_match() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.py"), "x = 1   \ny = 2\n    z = 3\n").unwrap();
    // Trailing spaces missing from the context; indentation off on `z`.
    patch(
        dir.path(),
        "*** Update File: t.py\n@@\n x = 1\n-y = 2\n+y = 20\n z = 3\n",
    )
    .await
    .unwrap();
    // Unchanged lines keep the file's own whitespace.
    assert_eq!(read(dir.path(), "t.py"), "x = 1   \ny = 20\n    z = 3\n");
}

#[tokio::test]
async fn ambiguous_hunk_lists_the_places() {
    let dir = tempfile::tempdir().unwrap();
    let text = "a\nx = 1\nb\nx = 1\n";
    std::fs::write(dir.path().join("a.txt"), text).unwrap();
    let msg = failed_msg(patch(dir.path(), "*** Update File: a.txt\n@@\n-x = 1\n+x = 2\n").await);
    assert!(msg.contains("matches 2 places in a.txt"), "{msg}");
    assert!(msg.contains("lines 2, 4"), "{msg}");
    assert!(msg.contains("\n-x = 1\n"), "{msg}");
    assert!(msg.contains("read_file"), "{msg}");
    assert!(msg.ends_with("Nothing was written"), "{msg}");
    assert_eq!(read(dir.path(), "a.txt"), text);
}

#[tokio::test]
async fn no_match_names_the_file_and_the_lines_sought() {
    let dir = tempfile::tempdir().unwrap();
    let text = "def add(a, b):\n    return a - b\n";
    std::fs::write(dir.path().join("calc.py"), text).unwrap();
    let msg = failed_msg(
        patch(
            dir.path(),
            "*** Update File: calc.py\n@@\n def add(a, b):\n-    return a + b\n+    return b + a\n",
        )
        .await,
    );
    assert!(msg.contains("hunk 1 of the update of calc.py"), "{msg}");
    assert!(msg.contains("not found in calc.py"), "{msg}");
    assert!(
        msg.contains(" def add(a, b):\n-    return a + b\n"),
        "{msg}"
    );
    assert!(msg.contains("The first 1 of them match at line 1"), "{msg}");
    assert!(msg.contains("`    return a - b`"), "{msg}");
    assert!(msg.contains("Read calc.py again (read_file)"), "{msg}");
    assert_eq!(read(dir.path(), "calc.py"), text);

    let msg = failed_msg(
        patch(
            dir.path(),
            "*** Update File: calc.py\n@@ class Calc:\n-x\n+y\n",
        )
        .await,
    );
    assert!(
        msg.contains("`@@ class Calc:` line was not found in calc.py"),
        "{msg}"
    );
}

#[tokio::test]
async fn nothing_is_written_when_a_later_part_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "a1\n").unwrap();
    std::fs::write(dir.path().join("b.txt"), "b1\n").unwrap();
    std::fs::write(dir.path().join("d.txt"), "d1\n").unwrap();
    let msg = failed_msg(
        patch(
            dir.path(),
            "*** Begin Patch\n*** Update File: a.txt\n@@\n-a1\n+a2\n*** Add File: c.txt\n+c\n\
             *** Delete File: d.txt\n*** Update File: b.txt\n@@\n-nope\n+b2\n*** End Patch",
        )
        .await,
    );
    assert!(msg.contains("b.txt"), "{msg}");
    assert_eq!(read(dir.path(), "a.txt"), "a1\n");
    assert_eq!(read(dir.path(), "b.txt"), "b1\n");
    assert_eq!(read(dir.path(), "d.txt"), "d1\n");
    assert!(!dir.path().join("c.txt").exists());
}

#[tokio::test]
async fn paths_outside_the_workspace_are_refused() {
    // The workspace is nested, so `..` lands in a directory the test owns.
    let top = tempfile::tempdir().unwrap();
    let (dir, outside) = (top.path().join("ws"), top.path().join("out"));
    std::fs::create_dir(&dir).unwrap();
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("o.txt"), "abc\n").unwrap();
    std::os::unix::fs::symlink(outside.join("o.txt"), dir.join("link")).unwrap();
    std::fs::write(dir.join("ok.txt"), "ok\n").unwrap();
    for p in [
        "*** Add File: ../evil.txt\n+x\n".to_string(),
        "*** Update File: link\n@@\n-abc\n+x\n".to_string(),
        format!("*** Delete File: {}\n", outside.join("o.txt").display()),
        "*** Update File: ok.txt\n*** Move to: ../moved.txt\n@@\n-ok\n+x\n".to_string(),
    ] {
        let r = patch(&dir, &p).await;
        assert!(matches!(r, Err(ToolError::PathEscape(_))), "{p}: {r:?}");
    }
    assert_eq!(read(&outside, "o.txt"), "abc\n");
    assert_eq!(read(&dir, "ok.txt"), "ok\n");
    assert!(!top.path().join("evil.txt").exists());
    assert!(!top.path().join("moved.txt").exists());
}

#[tokio::test]
async fn fenced_and_bare_patches_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "x\n").unwrap();
    patch(
        dir.path(),
        "\n```diff\n*** Begin Patch\n*** Update File: a.txt\n@@\n-x\n+y\n\n*** End Patch\n```\n\n",
    )
    .await
    .unwrap();
    assert_eq!(read(dir.path(), "a.txt"), "y\n");
    // No markers at all, and a unified diff's hunk header.
    patch(dir.path(), "*** Update File: a.txt\n@@ -1 +1 @@\n-y\n+z\n")
        .await
        .unwrap();
    assert_eq!(read(dir.path(), "a.txt"), "z\n");
    // One marker without the other: probably cut off.
    let r = patch(
        dir.path(),
        "*** Begin Patch\n*** Update File: a.txt\n@@\n-z\n+w\n",
    )
    .await;
    assert!(
        matches!(r, Err(ToolError::InvalidArguments(ref m)) if m.contains("cut off")),
        "{r:?}"
    );
    assert_eq!(read(dir.path(), "a.txt"), "z\n");
}

#[tokio::test]
async fn malformed_patches_say_which_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "x\n").unwrap();
    let cases = [
        ("*** Update File: a.txt\n@@\nx\n+y\n", "line 3"),
        ("*** Add File: b.txt\nno plus\n", "must start with `+`"),
        ("--- a/a.txt\n+++ b/a.txt\n", "unified diff"),
        ("*** Update File: a.txt\n", "has no hunks"),
        ("*** Update File: a.txt\n@@\n x\n", "changes nothing"),
        ("", "changes no file"),
    ];
    for (p, want) in cases {
        let r = patch(dir.path(), p).await;
        assert!(
            matches!(r, Err(ToolError::InvalidArguments(ref m)) if m.contains(want)),
            "{p:?}: {r:?}"
        );
    }
    assert_eq!(read(dir.path(), "a.txt"), "x\n");
}

#[tokio::test]
async fn a_file_changed_since_it_was_read_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.py");
    std::fs::write(&p, "x = 1\n").unwrap();
    let ctx = ctx(dir.path());
    let change = json!({"patch": "*** Update File: a.py\n@@\n-x = 1\n+x = 2\n"});
    crate::tools::read_file::ReadFile
        .call(json!({"path": "a.py"}), &ctx)
        .await
        .unwrap();
    // The user edits the file after the model read it.
    std::fs::write(&p, "x = 1\ny = 3\n").unwrap();
    let err = ApplyPatch.call(change.clone(), &ctx).await.unwrap_err();
    assert_eq!(err.kind(), "stale", "{err}");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "x = 1\ny = 3\n");
    crate::tools::read_file::ReadFile
        .call(json!({"path": "a.py"}), &ctx)
        .await
        .unwrap();
    ApplyPatch.call(change, &ctx).await.unwrap();
    // kiln's own write keeps the file fresh for the next patch.
    let next = json!({"patch": "*** Update File: a.py\n@@\n-y = 3\n+y = 4\n"});
    ApplyPatch.call(next, &ctx).await.unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "x = 2\ny = 4\n");
}
