//! `kiln eval run` and `kiln eval validate` end to end on the mini suite
//! (`tests/fixtures/evals/mini/`): real binary, real sessions driven by the
//! oracle sides, real checks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/kiln_cmd.rs"]
mod kiln_cmd;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kiln_cmd::kiln;
use serde_json::Value;
use tempfile::TempDir;

fn mini() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/evals/mini")
}

/// An isolated home, an empty working directory and a runs directory.
struct Env {
    home: TempDir,
    cwd: TempDir,
    runs: TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
            cwd: tempfile::tempdir().unwrap(),
            runs: tempfile::tempdir().unwrap(),
        }
    }

    fn eval(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = kiln(self.home.path());
        cmd.current_dir(self.cwd.path()).arg("eval").args(args);
        cmd.output().unwrap()
    }

    fn run(&self, extra: &[&str]) -> (std::process::Output, PathBuf) {
        let suite = mini().display().to_string();
        let runs = self.runs.path().display().to_string();
        let mut args = vec!["run", "--suite", &suite, "--runs-dir", &runs];
        args.extend_from_slice(extra);
        let out = self.eval(&args);
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (out, PathBuf::from(dir))
    }
}

fn records(run_dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(run_dir.join("attempts.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// (side, task, trial) → the last attempt's outcome.
fn last_outcomes(records: &[Value]) -> BTreeMap<(String, String, u64), String> {
    let mut last: BTreeMap<(String, String, u64), (u64, String)> = BTreeMap::new();
    for r in records {
        let key = (
            r["side"].as_str().unwrap().to_string(),
            r["task"].as_str().unwrap().to_string(),
            r["trial"].as_u64().unwrap(),
        );
        let attempt = r["attempt"].as_u64().unwrap();
        let outcome = r["outcome"].as_str().unwrap().to_string();
        if last.get(&key).is_none_or(|(a, _)| *a < attempt) {
            last.insert(key, (attempt, outcome));
        }
    }
    last.into_iter().map(|(k, (_, o))| (k, o)).collect()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn oracle_passes_every_valid_task_and_doing_nothing_passes_none() {
    let env = Env::new();
    let (out, dir) = env.run(&[
        "--model",
        "oracle:solution",
        "--model",
        "oracle:none",
        "--trials",
        "2",
        "--jobs",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let info: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["trials"], 2);
    assert_eq!(info["sides"][0]["spec"], "oracle:solution");
    assert_eq!(info["sides"][1]["profile"], "default");
    assert_eq!(info["tasks"].as_array().unwrap().len(), 4);
    assert_eq!(info["task_set_hash"].as_str().unwrap().len(), 64);

    let recs = records(&dir);
    let last = last_outcomes(&recs);
    assert_eq!(last.len(), 2 * 4 * 2, "every (side, task, trial) finished");
    for ((side, task, _), outcome) in &last {
        let expected = match (side.as_str(), task.as_str()) {
            (_, "broken-check") => "harness_error",
            ("oracle:solution", _) => "pass",
            _ => "fail",
        };
        assert_eq!(outcome, expected, "{side} {task}");
    }
    // Doing nothing fails attempt 1, gets the check's output, fails again;
    // py-new-module allows one attempt only.
    let none_attempts = |task: &str| {
        recs.iter()
            .filter(|r| r["side"] == "oracle:none" && r["task"] == task && r["trial"] == 0)
            .count()
    };
    assert_eq!(none_attempts("py-fix-add"), 2);
    assert_eq!(none_attempts("py-new-module"), 1);
    let transcript =
        std::fs::read_to_string(dir.join("transcripts/oracle_none/py-fix-add.t0.jsonl")).unwrap();
    assert!(
        transcript.contains("The tests failed") && transcript.contains("expected 5"),
        "attempt 2 saw the failing check output"
    );
    for r in &recs {
        assert!(dir.join(r["transcript"].as_str().unwrap()).is_file());
        assert_eq!(r["protected_touched"], false);
        if r["side"] == "oracle:solution" && r["outcome"] == "pass" {
            assert!(r["diff_lines"].as_u64().unwrap() > 0, "{r}");
            assert!(r["tool_calls"].as_u64().unwrap() > 0, "{r}");
        }
        if r["outcome"] == "harness_error" {
            assert!(r["error"].as_str().unwrap().contains("exit 127"), "{r}");
        }
    }
    let err = stderr(&out);
    assert!(
        err.contains(
            "oracle:solution: 6/6 trials passed (100.0%); 0 provider errors, 2 harness errors"
        ),
        "{err}"
    );
    assert!(
        err.contains("oracle:none: 0/6 trials passed (0.0%)"),
        "{err}"
    );
}

#[test]
fn drop_25_skips_every_fourth_task_and_shards_share_the_hash() {
    let env = Env::new();
    let (out, dir) = env.run(&["--model", "oracle:drop-25"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let last = last_outcomes(&records(&dir));
    let by_task: BTreeMap<&str, &str> = last
        .iter()
        .map(|((_, t, _), o)| (t.as_str(), o.as_str()))
        .collect();
    // Sorted: broken-check, py-fix-add, py-new-module, sh-greeting (4th).
    assert_eq!(by_task["py-fix-add"], "pass");
    assert_eq!(by_task["py-new-module"], "pass");
    assert_eq!(by_task["sh-greeting"], "fail");

    let (out, shard_dir) = env.run(&["--model", "oracle:solution", "--shard", "2/2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let read = |d: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(d.join("run.json")).unwrap()).unwrap()
    };
    let (whole, shard) = (read(&dir), read(&shard_dir));
    assert_eq!(shard["shard"], "2/2");
    assert_eq!(shard["task_set_hash"], whole["task_set_hash"]);
    let ids: Vec<&str> = shard["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["py-fix-add", "sh-greeting"]);
}

/// (side, task, trial, attempt, outcome) of every record.
fn result_set(dir: &Path) -> BTreeSet<(String, String, u64, u64, String)> {
    records(dir)
        .iter()
        .map(|r| {
            (
                r["side"].as_str().unwrap().into(),
                r["task"].as_str().unwrap().into(),
                r["trial"].as_u64().unwrap(),
                r["attempt"].as_u64().unwrap(),
                r["outcome"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[test]
fn an_interrupted_run_resumes_to_the_same_results() {
    let env = Env::new();
    let sides = [
        "--model",
        "oracle:solution",
        "--model",
        "oracle:none",
        "--trials",
        "2",
    ];
    let (out, full) = env.run(&sides);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let expected = result_set(&full);

    // The same run, interrupted with SIGINT once its first trials are in.
    let runs = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kiln"))
        .current_dir(env.cwd.path())
        .env("HOME", env.home.path())
        .env("XDG_CONFIG_HOME", env.home.path().join(".config"))
        .env("XDG_STATE_HOME", env.home.path().join(".local/state"))
        .env("KILN_APPROVAL", "full")
        .env_remove("KILN_PROVIDER")
        .env_remove("KILN_MODEL")
        .args(["eval", "run", "--suite"])
        .arg(mini())
        .arg("--runs-dir")
        .arg(runs.path())
        .args(sides)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let dir = loop {
        let found = std::fs::read_dir(runs.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|d| {
                std::fs::read_to_string(d.join("attempts.jsonl"))
                    .is_ok_and(|t| t.lines().count() >= 2)
            });
        if let Some(d) = found {
            break d;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no records appeared"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let partial = result_set(&dir);
    assert!(
        !partial.is_empty() && partial.len() < expected.len(),
        "interrupted in the middle: {} of {} records",
        partial.len(),
        expected.len()
    );
    assert!(partial.is_subset(&expected));
    // A kill mid-write leaves a torn line; resuming drops it.
    let jsonl = dir.join("attempts.jsonl");
    let mut text = std::fs::read_to_string(&jsonl).unwrap();
    text.push_str(r#"{"side":"oracle:none","task":"sh-gree"#);
    std::fs::write(&jsonl, text).unwrap();

    let out = env.eval(&["run", "--resume", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(result_set(&dir), expected);
    let lines = std::fs::read_to_string(&jsonl).unwrap().lines().count();
    assert_eq!(lines, expected.len(), "no trial was recorded twice");
}

#[test]
fn validate_accepts_good_tasks_and_reports_broken_ones() {
    let env = Env::new();
    let suite = mini().display().to_string();
    let out = env.eval(&["validate", "--suite", &suite]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", stderr(&out));
    let line = |task: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(task))
            .unwrap_or_else(|| panic!("no row for {task}: {stdout}"))
            .to_string()
    };
    assert!(line("broken-check").contains("INVALID") && line("broken-check").contains("127"));
    for task in ["py-fix-add", "py-new-module", "sh-greeting"] {
        let l = line(task);
        assert!(
            l.contains("fail") && l.contains("pass") && l.ends_with("ok"),
            "{l}"
        );
    }
    assert!(stdout.contains("4 tasks, 3 valid, 1 invalid"), "{stdout}");

    let out = env.eval(&["validate", "--suite", &suite, "--task", "py-fix-add"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A task whose solution does not fix it, and one that passes untouched.
    let copy = tempfile::tempdir().unwrap();
    let copy_task = |id: &str| {
        let to = copy.path().join(id);
        let status = std::process::Command::new("cp")
            .args(["-r"])
            .arg(mini().join(id))
            .arg(&to)
            .status()
            .unwrap();
        assert!(status.success());
        to
    };
    let weak = copy_task("py-fix-add");
    std::fs::write(weak.join("solution.patch"), "").unwrap();
    let easy = copy_task("sh-greeting");
    std::fs::write(easy.join("repo/greet.sh"), "echo \"hello, $1\"\n").unwrap();
    std::fs::write(easy.join("solution.patch"), "").unwrap();
    let out = env.eval(&["validate", "--suite", copy.path().to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", stderr(&out));
    assert!(
        stdout.contains("passes on the untouched fixture"),
        "{stdout}"
    );
    assert!(stdout.contains("2 tasks, 0 valid, 2 invalid"), "{stdout}");

    // A malformed task is a usage error naming its file.
    std::fs::write(weak.join("task.toml"), "id = \"py-fix-add\"\n").unwrap();
    let out = env.eval(&["validate", "--suite", copy.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("py-fix-add/task.toml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_sides_and_suites_are_usage_errors() {
    let env = Env::new();
    let (out, _) = env.run(&["--model", "oracle:perfect"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("oracle:perfect"), "{}", stderr(&out));
    let out = env.eval(&["run", "--suite", "nope", "--model", "oracle:none"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no suite `nope`"), "{}", stderr(&out));
    let (out, _) = env.run(&["--model", "oracle:none", "--task", "missing"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_failing_backend_is_a_provider_error_outside_the_pass_rate() {
    let env = Env::new();
    // A real provider path (`scripted`, built like `kiln exec` builds it)
    // whose script has no turns: every request fails.
    let script = env.home.path().join("empty.json");
    std::fs::write(&script, r#"{"turns":[]}"#).unwrap();
    let side = format!("scripted:{}", script.display());
    let (out, dir) = env.run(&["--model", &side]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let last = last_outcomes(&records(&dir));
    assert_eq!(last.len(), 4);
    assert!(last.values().all(|o| o == "provider_error"), "{last:?}");
    let err = stderr(&out);
    assert!(
        err.contains("0/0 trials passed (-); 4 provider errors, 0 harness errors"),
        "{err}"
    );
}

#[test]
fn the_oracle_uses_shell_where_the_profile_has_no_write_file() {
    let env = Env::new();
    let (out, dir) = env.run(&[
        "--model",
        "oracle:solution@minimal",
        "--task",
        "py-new-module",
        "--task",
        "py-fix-add",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let last = last_outcomes(&records(&dir));
    assert_eq!(last.len(), 2);
    assert!(last.values().all(|o| o == "pass"), "{last:?}");
    let transcript = std::fs::read_to_string(
        dir.join("transcripts/oracle_solution_minimal/py-fix-add.t0.jsonl"),
    )
    .unwrap();
    assert!(transcript.contains(r#""name":"shell""#) && !transcript.contains("write_file"));
}
