//! A kiln killed with SIGKILL while it writes a file leaves the old file or
//! the new one, never a torn one: `write_file` and `edit_file` write a
//! temporary file beside the target and rename it over the target. Checked
//! twice: by watching the file while kiln writes it, and by killing kiln at
//! points spread over a run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::json;

const SIZE: usize = 4 << 20;
const KILLS: u32 = 24;

fn kiln(home: &Path, repo: &Path, script: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiln"));
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env_remove("KILN_PROVIDER")
        .env_remove("KILN_MODEL")
        .args(["exec", "--json", "--provider", "scripted", "--model"])
        .arg(script)
        .arg("--cwd")
        .arg(repo)
        .arg("rewrite big.txt")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// The file's content as one of the whole versions, or a description of
/// the torn state.
fn state(path: &Path) -> Result<char, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("unreadable: {e}"))?;
    let first = *bytes.first().ok_or("empty")?;
    if bytes.len() == SIZE && bytes.iter().all(|&b| b == first) {
        Ok(first as char)
    } else {
        Err(format!(
            "torn: {} bytes starting with {:?}",
            bytes.len(),
            first as char
        ))
    }
}

#[test]
fn sigkill_during_writes_never_leaves_a_torn_file() {
    let home = tempfile::tempdir().unwrap();
    let script = home.path().join("script.json");
    let write = |c: &str| {
        json!({ "tool_calls": [{ "name": "write_file",
        "arguments": { "path": "big.txt", "content": c.repeat(SIZE) } }] })
    };
    let turns = json!({ "turns": [write("b"), write("c"), { "text": "done" }] });
    std::fs::write(&script, turns.to_string()).unwrap();

    // An undisturbed run, watched: the file must be whole at every instant
    // (so a kill at any instant leaves it whole). It also times the run so
    // the kills below spread over its whole duration.
    let repo = tempfile::tempdir().unwrap();
    let big = repo.path().join("big.txt");
    std::fs::write(&big, "a".repeat(SIZE)).unwrap();
    let started = Instant::now();
    let mut child = kiln(home.path(), repo.path(), &script).spawn().unwrap();
    let mut looks = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Err(torn) = state(&big) {
            let _ = child.kill();
            panic!("while kiln wrote it, big.txt was {torn}");
        }
        looks += 1;
    };
    let full = started.elapsed();
    assert!(status.success());
    assert_eq!(state(&big), Ok('c'));

    let mut seen = std::collections::BTreeMap::new();
    for i in 0..KILLS {
        let repo = tempfile::tempdir().unwrap();
        let big = repo.path().join("big.txt");
        std::fs::write(&big, "a".repeat(SIZE)).unwrap();
        let mut child = kiln(home.path(), repo.path(), &script).spawn().unwrap();
        std::thread::sleep(full * i / KILLS);
        let _ = child.kill(); // SIGKILL; it may have finished already
        child.wait().unwrap();
        match state(&big) {
            Ok(c) => *seen.entry(c).or_insert(0) += 1,
            Err(torn) => panic!("kill {i} after {:?}: big.txt is {torn}", full * i / KILLS),
        }
    }
    eprintln!(
        "{looks} looks during a {full:?} run saw whole files only; after {KILLS} kills \
         big.txt held: {seen:?}"
    );
    // The kills landed before, between and after the writes.
    assert!(seen.len() >= 2, "{seen:?}");
}
