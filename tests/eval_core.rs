//! The core suite (`evals/core/`) through the real binary: `kiln eval
//! validate` accepts every task (its check fails untouched and passes
//! with the solution applied through kiln's tools), and a run gives the
//! oracle 100% and a do-nothing side 0%.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/kiln_cmd.rs"]
mod kiln_cmd;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kiln_cmd::kiln;
use serde_json::Value;

fn core() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("evals/core")
}

fn task_count() -> usize {
    std::fs::read_dir(core())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("task.toml").is_file())
        .count()
}

#[test]
fn the_core_suite_validates_and_separates_the_oracle_from_doing_nothing() {
    let home = tempfile::tempdir().unwrap();
    let runs = tempfile::tempdir().unwrap();
    let suite = core().display().to_string();
    let n = task_count();
    assert!(n >= 40, "the core suite has {n} tasks");

    let out = kiln(home.path())
        .args(["eval", "validate", "--suite", &suite, "--jobs", "2"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    eprintln!("{text}");

    let out = kiln(home.path())
        .args(["eval", "run", "--suite", &suite])
        .args(["--runs-dir", &runs.path().display().to_string()])
        .args(["--model", "oracle:solution", "--model", "oracle:none"])
        .args(["--jobs", "2"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let mut last: BTreeMap<(String, String), (u64, String)> = BTreeMap::new();
    for line in std::fs::read_to_string(dir.join("attempts.jsonl"))
        .unwrap()
        .lines()
    {
        let r: Value = serde_json::from_str(line).unwrap();
        let key = (
            r["side"].as_str().unwrap().into(),
            r["task"].as_str().unwrap().into(),
        );
        let attempt = r["attempt"].as_u64().unwrap();
        if last.get(&key).is_none_or(|(a, _)| *a < attempt) {
            last.insert(key, (attempt, r["outcome"].as_str().unwrap().into()));
        }
    }
    assert_eq!(last.len(), 2 * n);
    for ((side, task), (_, outcome)) in &last {
        let expected = match side.as_str() {
            "oracle:solution" => "pass",
            _ => "fail",
        };
        assert_eq!(outcome, expected, "{side} on {task}");
    }
}
