#![allow(clippy::unwrap_used)]

use super::*;
use crate::eval::baseline::{BASELINE_VERSION, BaselineError};
use crate::eval::record::AttemptOutcome::{Fail, Pass, ProviderError};
use crate::eval::testing::{attempt, info, task};

const SIDE: &str = "local:m";

/// A 40-task suite, `t00` an `always` task; `fails(task, trial)` says
/// which trials fail.
fn suite_run(id: &str, trials: u32, fails: impl Fn(usize, u32) -> bool) -> Run {
    let tasks = (0..40)
        .map(|i| {
            let policy = if i == 0 {
                Policy::Always
            } else {
                Policy::Usually
            };
            task(&format!("t{i:02}"), &["x"], policy)
        })
        .collect();
    let mut records = Vec::new();
    for i in 0..40 {
        for trial in 0..trials {
            let outcome = if fails(i, trial) { Fail } else { Pass };
            records.push(attempt(SIDE, &format!("t{i:02}"), trial, 1, outcome));
        }
    }
    Run {
        dir: id.into(),
        info: info(id, tasks, &[SIDE], trials),
        attempts: records,
        warnings: vec![],
    }
}

/// Baseline: tasks 36..40 fail.
fn base_fails(i: usize, _: u32) -> bool {
    i >= 36
}

#[test]
fn an_unchanged_side_passes() {
    let run = suite_run("r0", 1, base_fails);
    let baseline = Baseline::from_run(&run, None).unwrap();
    assert_eq!(baseline.rates.pass, Some(0.9));
    let r = gate(&baseline, &run, None, GateOptions::default()).unwrap();
    assert!(r.passed(), "{}", render(&r));
    assert_eq!(r.drop, 0.0);
    assert!(!r.significant);
    assert!(render(&r).starts_with("kiln eval gate: PASS"));
}

#[test]
fn a_quarter_of_tasks_flipped_to_fail_fails() {
    let baseline = Baseline::from_run(&suite_run("r0", 1, base_fails), None).unwrap();
    // Ten passing tasks (t01..t10) now fail.
    let now = suite_run("r1", 1, |i, t| base_fails(i, t) || (1..=10).contains(&i));
    let r = gate(&baseline, &now, None, GateOptions::default()).unwrap();
    assert!(!r.passed(), "{}", render(&r));
    assert!((r.drop - 0.25).abs() < 1e-12);
    assert_eq!(
        r.comparison.test,
        PairedTest::McNemar {
            lost: 10,
            gained: 0
        }
    );
    assert!((r.comparison.p_drop - 1.0 / 1024.0).abs() < 1e-12);
    assert!(r.always_failed.is_empty());
    let text = render(&r);
    assert!(text.starts_with("kiln eval gate: FAIL"), "{text}");
    assert!(
        text.contains("drop 25.0 points (tolerance 5.0): beyond"),
        "{text}"
    );
    assert!(
        text.contains("10 tasks lost, 0 gained, p = 0.0010"),
        "{text}"
    );
    assert!(text.contains("worse now (10): t01, t02"), "{text}");
}

#[test]
fn a_drop_that_is_not_significant_passes() {
    let baseline = Baseline::from_run(&suite_run("r0", 1, base_fails), None).unwrap();
    // Three lost: 7.5 points, beyond the tolerance, but p = 1/8.
    let now = suite_run("r1", 1, |i, t| base_fails(i, t) || (1..=3).contains(&i));
    let r = gate(&baseline, &now, None, GateOptions::default()).unwrap();
    assert!(r.beyond_tolerance && !r.significant);
    assert!(r.passed(), "{}", render(&r));
    // A wider tolerance absorbs even a significant drop.
    let now = suite_run("r2", 1, |i, t| base_fails(i, t) || (1..=10).contains(&i));
    let wide = GateOptions {
        tolerance: 0.3,
        ..GateOptions::default()
    };
    let r = gate(&baseline, &now, None, wide).unwrap();
    assert!(r.significant && !r.beyond_tolerance);
    assert!(r.passed());
}

#[test]
fn an_always_task_failure_fails() {
    let baseline = Baseline::from_run(&suite_run("r0", 1, base_fails), None).unwrap();
    let now = suite_run("r1", 1, |i, t| base_fails(i, t) || i == 0);
    let r = gate(&baseline, &now, None, GateOptions::default()).unwrap();
    assert!(!r.beyond_tolerance && !r.significant);
    assert!(!r.passed());
    assert_eq!(r.always_failed.len(), 1);
    assert!(render(&r).contains("`always` tasks FAILED (1): t00 (0/1)"));
}

#[test]
fn an_always_task_with_only_errors_is_unverified_not_failed() {
    let baseline = Baseline::from_run(&suite_run("r0", 1, base_fails), None).unwrap();
    let mut now = suite_run("r1", 1, base_fails);
    now.attempts[0].outcome = ProviderError;
    let r = gate(&baseline, &now, None, GateOptions::default()).unwrap();
    assert!(r.passed());
    assert_eq!(r.always_unverified, vec!["t00".to_string()]);
    assert_eq!(r.comparison.skipped, vec!["t00".to_string()]);
}

#[test]
fn several_trials_use_the_paired_bootstrap() {
    let baseline = Baseline::from_run(&suite_run("r0", 3, base_fails), None).unwrap();
    let same = suite_run("r1", 3, base_fails);
    let r = gate(&baseline, &same, None, GateOptions::default()).unwrap();
    assert_eq!(r.comparison.test, PairedTest::Bootstrap);
    assert!(r.passed());
    // Ten tasks now fail two trials of three.
    let worse = suite_run("r2", 3, |i, t| {
        base_fails(i, t) || ((1..=10).contains(&i) && t > 0)
    });
    let r = gate(&baseline, &worse, None, GateOptions::default()).unwrap();
    assert!(!r.passed(), "{}", render(&r));
    assert!((r.drop - 10.0 * (2.0 / 3.0) / 40.0).abs() < 1e-12);
    assert!(render(&r).contains("t01 (3/3 → 1/3)"));
}

#[test]
fn mismatched_task_sets_are_an_error_unless_allowed() {
    let baseline = Baseline::from_run(&suite_run("r0", 1, base_fails), None).unwrap();
    let mut other = suite_run("r1", 1, base_fails);
    other.info.task_set_hash = "hash-2".into();
    other.info.tasks.truncate(30);
    other.attempts.retain(|a| a.task.as_str() < "t30");
    let err = gate(&baseline, &other, None, GateOptions::default()).unwrap_err();
    assert!(err.to_string().contains("different task set"), "{err}");
    let allow = GateOptions {
        allow_different_tasks: true,
        ..GateOptions::default()
    };
    let r = gate(&baseline, &other, None, allow).unwrap();
    assert_eq!(r.comparison.tasks, 30);
    assert_eq!(r.only_baseline, 10);
    assert!(r.passed());
    // Same hash, fewer tasks: a shard.
    other.info.task_set_hash = baseline.task_set_hash.clone();
    let err = gate(&baseline, &other, None, GateOptions::default()).unwrap_err();
    assert!(err.to_string().contains("kiln eval merge"), "{err}");
}

#[test]
fn sides_and_options_are_checked() {
    let mut run = suite_run("r0", 1, base_fails);
    run.info
        .sides
        .push(crate::eval::testing::side("local:other"));
    let err = Baseline::from_run(&run, None).unwrap_err();
    assert!(err.to_string().contains("choose one with --side"), "{err}");
    let err = Baseline::from_run(&run, Some("nope")).unwrap_err();
    assert!(err.to_string().contains("has no side `nope`"), "{err}");
    let baseline = Baseline::from_run(&run, Some(SIDE)).unwrap();
    let bad = GateOptions {
        tolerance: 1.5,
        ..GateOptions::default()
    };
    assert!(gate(&baseline, &run, Some(SIDE), bad).is_err());
}

#[test]
fn baselines_round_trip_and_check_their_version() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ci/baseline.json");
    let baseline = Baseline::from_run(&suite_run("r0", 1, base_fails), None).unwrap();
    baseline.save(&path).unwrap();
    assert_eq!(Baseline::load(&path).unwrap(), baseline);
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["version"], BASELINE_VERSION);
    assert_eq!(json["tasks"]["t36"]["pass"]["counted"], 1);
    json["version"] = (BASELINE_VERSION + 1).into();
    std::fs::write(&path, json.to_string()).unwrap();
    assert!(matches!(
        Baseline::load(&path),
        Err(BaselineError::Version { .. })
    ));
    std::fs::write(&path, "[]").unwrap();
    assert!(matches!(
        Baseline::load(&path),
        Err(BaselineError::Parse { .. })
    ));
}

#[test]
fn a_rise_passes_and_says_so() {
    let baseline = Baseline::from_run(&suite_run("r0", 1, base_fails), None).unwrap();
    let better = suite_run("r1", 1, |_, _| false);
    let r = gate(&baseline, &better, None, GateOptions::default()).unwrap();
    assert!(r.passed());
    assert!(r.comparison.p_drop > 0.5);
    let text = render(&r);
    assert!(text.contains("a rise of 10.0 points"), "{text}");
    assert!(
        text.contains("better now (4): t36, t37, t38, t39"),
        "{text}"
    );
}
