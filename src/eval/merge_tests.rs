#![allow(clippy::unwrap_used)]

use super::*;
use crate::eval::record::AttemptOutcome::{Fail, Pass};
use crate::eval::task::Policy;
use crate::eval::testing::{attempt, info, side, task, write_run};

/// Shard `i` of 2 of a 4-task run under `root/shard-i`, with transcripts.
fn shard(root: &Path, i: u32) -> Run {
    let ids: Vec<String> = match i {
        1 => vec!["a".into(), "c".into()],
        _ => vec!["b".into(), "d".into()],
    };
    let mut info = info(
        &format!("run-{i}"),
        ids.iter()
            .map(|id| task(id, &["x"], Policy::Usually))
            .collect(),
        &["local:m"],
        1,
    );
    info.shard = Some(format!("{i}/2"));
    info.started = format!("2026-01-02T03:0{i}:00Z");
    let records: Vec<_> = ids
        .iter()
        .map(|id| attempt("local:m", id, 0, 1, if id == "a" { Fail } else { Pass }))
        .collect();
    let dir = root.join(format!("shard-{i}"));
    write_run(&dir, &info, &records);
    for r in &records {
        let path = dir.join(&r.transcript);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("{{\"task\": \"{}\"}}\n", r.task)).unwrap();
    }
    Run::load(&dir).unwrap()
}

#[test]
fn shards_merge_into_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let shards = [shard(tmp.path(), 1), shard(tmp.path(), 2)];
    let merged = merge(&shards, None).unwrap();
    assert!(merged.warnings.is_empty(), "{:?}", merged.warnings);
    assert_eq!(merged.info.id, "run-1-merged");
    assert_eq!(merged.info.shard, None);
    assert_eq!(merged.info.started, "2026-01-02T03:01:00Z");
    let out = tmp.path().join("merged");
    assert!(merged.write(&out).unwrap().is_empty());
    let run = Run::load(&out).unwrap();
    let ids: Vec<&str> = run.info.tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert_eq!(run.attempts.len(), 4);
    for a in &run.attempts {
        let text = std::fs::read_to_string(out.join(&a.transcript)).unwrap();
        assert!(text.contains(&a.task));
    }
    // The merged run's side has every task.
    let s = crate::eval::summary::SideSummary::of(&run, "local:m");
    let t = s.tallies(crate::eval::summary::Metric::Pass);
    assert_eq!(t.values().map(|t| t.pass).sum::<u32>(), 3);
    // Writing again over a non-empty directory is refused.
    let err = merged.write(&out).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
}

#[test]
fn a_missing_shard_is_a_warning_and_ids_can_be_given() {
    let tmp = tempfile::tempdir().unwrap();
    let merged = merge(&[shard(tmp.path(), 2)], Some("nightly")).unwrap();
    assert_eq!(merged.info.id, "nightly");
    assert!(merged.warnings[0].contains("shards 1/2 are missing"));
}

#[test]
fn colliding_transcripts_are_kept_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let one = shard(tmp.path(), 1);
    let mut two = shard(tmp.path(), 2);
    for a in &mut two.attempts {
        a.transcript = "transcripts/a/0-1.jsonl".into();
    }
    // Only one of shard 2's records can keep a path twice; make them differ.
    two.attempts[1].transcript = "../escape.jsonl".into();
    let merged = merge(&[one, two], None).unwrap();
    let paths: Vec<&str> = merged
        .attempts
        .iter()
        .map(|a| a.transcript.as_str())
        .collect();
    assert!(
        paths.contains(&"shard-2/transcripts/a/0-1.jsonl"),
        "{paths:?}"
    );
    assert_eq!(merged.copies.len(), 3);
    assert!(
        merged
            .warnings
            .iter()
            .any(|w| w.contains("outside their run directory"))
    );
}

#[test]
fn mismatched_shards_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let one = shard(tmp.path(), 1);
    let two = shard(tmp.path(), 2);
    let mut cases: Vec<(Run, &str)> = Vec::new();
    let mut r = two.clone();
    r.info.task_set_hash = "other".into();
    cases.push((r, "task set"));
    let mut r = two.clone();
    r.info.trials = 3;
    cases.push((r, "trials"));
    let mut r = two.clone();
    r.info.sides = vec![side("local:other")];
    cases.push((r, "sides"));
    let mut r = two.clone();
    r.info.sides[0].profile = "other".into();
    cases.push((r, "settings of side `local:m`"));
    let mut r = two.clone();
    r.info.suite = "other".into();
    cases.push((r, "suite"));
    let mut r = two.clone();
    r.info.tasks.push(task("a", &[], Policy::Usually));
    cases.push((r, "task `a` is in both"));
    let mut r = two.clone();
    r.info.shard = Some("1/2".into());
    cases.push((r, "both shard 1/2"));
    let mut r = two.clone();
    r.info.shard = Some("2/3".into());
    cases.push((r, "split 3 ways"));
    let mut r = two.clone();
    r.info.shard = Some("5/3".into());
    cases.push((r, "not `i/n`"));
    for (other, needle) in cases {
        let err = merge(&[one.clone(), other], None).unwrap_err();
        assert!(err.to_string().contains(needle), "{needle}: {err}");
    }
    assert!(matches!(merge(&[], None), Err(MergeError::NoRuns)));
}
