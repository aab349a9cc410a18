//! `kiln eval report | baseline | gate | merge` end to end: the real binary
//! on run directories written here, checking files and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/kiln_cmd.rs"]
mod kiln_cmd;

use std::path::{Path, PathBuf};
use std::process::Output;

use kiln::eval::record::{
    AttemptOutcome, AttemptRecord, KilnBuild, Machine, RunInfo, SideInfo, TaskMeta, TokenCounts,
};
use kiln::eval::task::{Difficulty, Policy};
use kiln_cmd::kiln;

const A: &str = "local:qwen2.5-coder-0.5b";
const B: &str = "local:smollm2-360m@small";

fn side(spec: &str) -> SideInfo {
    let (provider, rest) = spec.split_once(':').unwrap();
    let (model, profile) = rest.split_once('@').unwrap_or((rest, "default"));
    SideInfo {
        spec: spec.into(),
        provider: provider.into(),
        model: model.into(),
        profile: profile.into(),
        endpoint: None,
        sampling: serde_json::json!({"temperature": 0.2}),
    }
}

fn info(id: &str, tasks: &[usize], sides: &[&str], shard: Option<&str>) -> RunInfo {
    RunInfo {
        id: id.into(),
        started: "2026-03-04T05:06:07Z".into(),
        kiln: KilnBuild {
            version: "0.1.0".into(),
            commit: None,
            dirty: false,
        },
        suite: "core".into(),
        task_set_hash: "sha256:0011".into(),
        selection: Vec::new(),
        tasks: tasks
            .iter()
            .map(|i| TaskMeta {
                id: format!("task-{i:02}"),
                tags: vec![if i % 2 == 0 { "python" } else { "rust" }.into()],
                difficulty: Difficulty::Easy,
                policy: if *i == 0 {
                    Policy::Always
                } else {
                    Policy::Usually
                },
            })
            .collect(),
        trials: 1,
        sides: sides.iter().map(|s| side(s)).collect(),
        machine: Machine {
            os: "linux".into(),
            arch: "x86_64".into(),
            cpus: 2,
            memory_mb: 8192,
            hostname: "ci".into(),
        },
        shard: shard.map(String::from),
    }
}

fn record(side: &str, task: usize, pass: bool) -> AttemptRecord {
    AttemptRecord {
        side: side.into(),
        task: format!("task-{task:02}"),
        trial: 0,
        attempt: 1,
        outcome: if pass {
            AttemptOutcome::Pass
        } else {
            AttemptOutcome::Fail
        },
        turns: 3,
        tool_calls: 4,
        tool_errors: Default::default(),
        tokens: TokenCounts {
            prompt: 900,
            completion: 120,
            cached: 400,
        },
        prefill_reuse: Some(0.4),
        wall_secs: 12.5,
        model_secs: 10.0,
        check_secs: 0.5,
        diff_lines: 2,
        protected_touched: false,
        transcript: format!("transcripts/{task:02}.jsonl"),
        error: None,
    }
}

fn write_run(dir: &Path, info: &RunInfo, records: &[AttemptRecord]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("run.json"),
        serde_json::to_string_pretty(info).unwrap(),
    )
    .unwrap();
    let lines: String = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect();
    std::fs::write(dir.join("attempts.jsonl"), lines).unwrap();
    dir.to_path_buf()
}

/// 40 tasks; side A passes all but 36..40; side B also fails `b_fails`.
fn ab_run(dir: &Path, b_fails: impl Fn(usize) -> bool) -> PathBuf {
    let tasks: Vec<usize> = (0..40).collect();
    let mut records = Vec::new();
    for i in &tasks {
        records.push(record(A, *i, *i < 36));
        records.push(record(B, *i, *i < 36 && !b_fails(*i)));
    }
    write_run(dir, &info("r1", &tasks, &[A, B], None), &records)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn eval(home: &Path, args: &[&str]) -> Output {
    kiln(home).arg("eval").args(args).output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn report_writes_markdown_and_html() {
    let tmp = tempfile::tempdir().unwrap();
    // B loses six tasks: exactly McNemar's p < 0.05 on one-way flips.
    let run = ab_run(&tmp.path().join("runs/r1"), |i| (1..=6).contains(&i));
    let out = eval(tmp.path(), &["report", s(&run), "--print"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert_eq!(stdout(&out), md);
    assert!(md.contains(&format!("## Paired comparison: `{B}` vs `{A}`")));
    assert!(md.contains("b = 6 (pass on"), "{md}");
    assert!(md.contains("two-sided p = 0.031"), "{md}");
    assert!(md.contains("(significant at 0.05)"), "{md}");
    assert!(md.contains("`task-01`, `task-02`"), "{md}");
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("<svg"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    // Elsewhere with -o.
    let elsewhere = tmp.path().join("out");
    let out = eval(tmp.path(), &["report", s(&run), "-o", s(&elsewhere)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(elsewhere.join("report.html").is_file());
    assert!(stdout(&out).is_empty());
}

#[test]
fn report_errors_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = eval(tmp.path(), &["report", s(&tmp.path().join("missing"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a run directory"),
        "{}",
        stderr(&out)
    );
    // A bad line that is not the last: named by file and line.
    let run = ab_run(&tmp.path().join("r"), |_| false);
    let attempts = run.join("attempts.jsonl");
    let text = std::fs::read_to_string(&attempts).unwrap();
    std::fs::write(&attempts, format!("{{bad\n{text}")).unwrap();
    let out = eval(tmp.path(), &["report", s(&run)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("attempts.jsonl:1: "),
        "{}",
        stderr(&out)
    );
    // A torn last line is only a warning.
    std::fs::write(&attempts, format!("{text}{{\"side\": \"local")).unwrap();
    let out = eval(tmp.path(), &["report", s(&run)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("torn last line"), "{}", stderr(&out));
}

#[test]
fn baseline_then_gate_pass_and_fail() {
    let tmp = tempfile::tempdir().unwrap();
    let base_run = ab_run(&tmp.path().join("runs/base"), |_| false);
    let baseline = tmp.path().join("ci/baseline.json");
    // Two sides: --side is required.
    let out = eval(tmp.path(), &["baseline", s(&base_run), "-o", s(&baseline)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--side"), "{}", stderr(&out));
    let out = eval(
        tmp.path(),
        &["baseline", s(&base_run), "--side", A, "-o", s(&baseline)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["side"]["spec"], A);
    assert_eq!(json["task_set_hash"], "sha256:0011");
    assert_eq!(json["tasks"].as_object().unwrap().len(), 40);

    // Side B is unchanged in the baseline run: passes.
    let gate = |run: &Path, extra: &[&str]| {
        let mut args = vec!["gate", "--baseline", s(&baseline), s(run), "--side", B];
        args.extend(extra);
        eval(tmp.path(), &args)
    };
    let out = gate(&base_run, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).starts_with("kiln eval gate: PASS"));

    // A quarter of the tasks flipped to fail: exit 1.
    let worse = ab_run(&tmp.path().join("runs/worse"), |i| (1..=10).contains(&i));
    let out = gate(&worse, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("significant drop beyond the tolerance"));
    // ...unless the tolerance is wider than the drop.
    let out = gate(&worse, &["--tolerance", "0.3"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // The `always` task failing: exit 1 even with a small drop.
    let always = ab_run(&tmp.path().join("runs/always"), |i| i == 0);
    let out = gate(&always, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("`always` tasks FAILED (1): task-00"));

    // Another task set: exit 2, or compared over the common tasks.
    let mut other_info = info("r9", &(0..30).collect::<Vec<_>>(), &[B], None);
    other_info.task_set_hash = "sha256:ffff".into();
    let records: Vec<_> = (0..30).map(|i| record(B, i, true)).collect();
    let other = write_run(&tmp.path().join("runs/other"), &other_info, &records);
    let out = gate(&other, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("different task set"),
        "{}",
        stderr(&out)
    );
    let out = gate(&other, &["--allow-different-tasks"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("10 only in the baseline"),
        "{}",
        stdout(&out)
    );

    // A baseline file that is not one: exit 2.
    std::fs::write(&baseline, "{}").unwrap();
    let out = gate(&base_run, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a baseline file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn merge_joins_shards_for_one_report() {
    let tmp = tempfile::tempdir().unwrap();
    let mut shards = Vec::new();
    for k in 0..3usize {
        let tasks: Vec<usize> = (0..12).filter(|i| i % 3 == k).collect();
        let records: Vec<_> = tasks.iter().map(|i| record(A, *i, i % 4 != 0)).collect();
        let label = format!("{}/3", k + 1);
        let dir = tmp.path().join(format!("shard-{}", k + 1));
        shards.push(write_run(
            &dir,
            &info(&format!("job-{k}"), &tasks, &[A], Some(&label)),
            &records,
        ));
    }
    let merged = tmp.path().join("merged");
    let mut args = vec!["merge", "-o", s(&merged), "--id", "nightly"];
    args.extend(shards.iter().map(|p| s(p)));
    let out = eval(tmp.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(merged.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["id"], "nightly");
    assert_eq!(run["tasks"].as_array().unwrap().len(), 12);
    assert!(run.get("shard").is_none());
    let lines = std::fs::read_to_string(merged.join("attempts.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 12);

    let out = eval(tmp.path(), &["report", s(&merged), "--print"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // 9 of 12 pass (tasks 0, 4, 8 fail).
    assert!(
        stdout(&out).contains(&format!("| `{A}` | 12 | 75.0% [")),
        "{}",
        stdout(&out)
    );

    // A report over the unmerged shards is refused with a hint.
    let out = eval(tmp.path(), &["report", s(&shards[0]), s(&shards[1])]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("kiln eval merge"), "{}", stderr(&out));

    // Overlapping shards: refused.
    let again = tmp.path().join("again");
    let out = eval(
        tmp.path(),
        &["merge", "-o", s(&again), s(&shards[0]), s(&shards[0])],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("both shard 1/3"), "{}", stderr(&out));
    assert!(!again.join("run.json").exists());
}
