#![allow(clippy::unwrap_used)]

use super::*;
use crate::eval::record::AttemptOutcome::{self, Fail, HarnessError, Pass, ProviderError, Timeout};
use crate::eval::task::Policy;
use crate::eval::testing::{attempt, info, task};

const A: &str = "local:qwen2.5-coder-1.5b";
const B: &str = "openrouter:qwen/qwen3-coder@local-large";

/// Ten tasks, one trial, two sides: B loses six tasks A passes and gains
/// one; one task has a provider error on B.
fn ab_run() -> Run {
    let tags: [&[&str]; 10] = [
        &["python", "smoke"],
        &["python"],
        &["rust"],
        &["rust", "smoke"],
        &["shell"],
        &["python"],
        &["rust"],
        &["python", "smoke"],
        &["shell"],
        &["rust"],
    ];
    let tasks = (0..10)
        .map(|i| {
            let policy = if i == 0 {
                Policy::Always
            } else {
                Policy::Usually
            };
            task(&format!("t{i}"), tags[i], policy)
        })
        .collect();
    let mut records = Vec::new();
    let a: [&[AttemptOutcome]; 10] = [
        &[Pass],
        &[Pass],
        &[Fail, Pass],
        &[Pass],
        &[Pass],
        &[Pass],
        &[Fail, Fail],
        &[Pass],
        &[Timeout, Fail],
        &[Pass],
    ];
    let b: [&[AttemptOutcome]; 10] = [
        &[Pass],
        &[Fail, Fail],
        &[Fail, Fail],
        &[Fail, Fail],
        &[Fail, Fail],
        &[Fail, Fail],
        &[Pass],
        &[Fail, Pass],
        &[HarnessError],
        &[ProviderError],
    ];
    for (side, outcomes) in [(A, a), (B, b)] {
        for (i, os) in outcomes.iter().enumerate() {
            for (n, o) in os.iter().enumerate() {
                let mut r = attempt(side, &format!("t{i}"), 0, n as u32 + 1, *o);
                if side == B {
                    r.tokens.prompt = 2500;
                    r.tokens.cached = 500;
                    r.wall_secs = 30.0;
                    r.tool_errors.insert("invalid_arguments".into(), 1);
                }
                records.push(r);
            }
        }
    }
    Run {
        dir: "runs/r1".into(),
        info: info("r1", tasks, &[A, B], 1),
        attempts: records,
        warnings: vec![],
    }
}

#[test]
fn markdown_report_of_two_sides() {
    let report = Report::build(&[ab_run()], Options::default()).unwrap();
    insta::assert_snapshot!(markdown::render(&report));
}

#[test]
fn the_numbers_behind_the_report() {
    let report = Report::build(&[ab_run()], Options::default()).unwrap();
    let [a, b] = &report.sides[..] else {
        unreachable!()
    };
    // A: pass@1 7/10, pass@2 8/10.
    assert!((a.rate(Metric::Pass1).unwrap().value - 0.7).abs() < 1e-12);
    assert!((a.rate(Metric::Pass2).unwrap().value - 0.8).abs() < 1e-12);
    // B: t8 (harness) and t9 (provider) are out: 2/8 and 3/8.
    let b1 = b.rate(Metric::Pass1).unwrap();
    assert_eq!(b1.n, 8);
    assert!((b1.value - 0.25).abs() < 1e-12);
    assert!((b.rate(Metric::Pass2).unwrap().value - 0.375).abs() < 1e-12);
    assert_eq!(b.excluded_trials, 2);
    let c = &report.paired[0].comparison;
    // Compared over t0..t7: A passes t0-t5 (t2 on attempt 2), t7; B t0, t6, t7.
    assert_eq!(c.tasks, 8);
    assert_eq!(
        c.test,
        crate::eval::compare::PairedTest::McNemar { lost: 5, gained: 1 }
    );
    assert_eq!(c.skipped, vec!["t8".to_string(), "t9".to_string()]);
    // Tag rows: python has t0, t1, t5, t7.
    let python = report.tags.iter().find(|t| t.tag == "python").unwrap();
    assert_eq!(python.tasks, 4);
    assert!((python.per_side[0].unwrap().value - 1.0).abs() < 1e-12);
    assert!((python.per_side[1].unwrap().value - 0.5).abs() < 1e-12);
}

#[test]
fn html_is_one_self_contained_page() {
    let report = Report::build(&[ab_run()], Options::default()).unwrap();
    let html = html::render(&report);
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.trim_end().ends_with("</html>"));
    // The pass-rate, per-tag, tokens and time charts.
    assert_eq!(html.matches("<svg").count(), 4);
    assert_eq!(html.matches("</svg>").count(), 4);
    for external in [
        "http://", "https://", "<script", "<link", "src=", "@import", "url(",
    ] {
        assert!(!html.contains(external), "found {external}");
    }
    assert!(html.contains("exact McNemar"));
    assert!(html.contains("openrouter:qwen&#x2f;qwen3-coder@local-large"));
    // Whiskers for the intervals.
    assert!(html.contains("<path d=\"M"));
}

#[test]
fn several_trials_show_pass_hat_k_and_the_bootstrap() {
    let tasks = (0..6)
        .map(|i| task(&format!("t{i}"), &["x"], Policy::Usually))
        .collect();
    let mut records = Vec::new();
    for trial in 0..3 {
        for i in 0..6 {
            let a = if i < 5 { Pass } else { Fail };
            let b = if i < 2 || (i < 4 && trial == 0) {
                Pass
            } else {
                Fail
            };
            records.push(attempt("a", &format!("t{i}"), trial, 1, a));
            records.push(attempt("b", &format!("t{i}"), trial, 1, b));
        }
    }
    let run = Run {
        dir: "runs/r3".into(),
        info: info("r3", tasks, &["a", "b"], 3),
        attempts: records,
        warnings: vec!["runs/r3/attempts.jsonl:37: skipped a torn last line".into()],
    };
    let report = Report::build(&[run], Options::default()).unwrap();
    let b = &report.sides[1];
    // b: t0, t1 pass 3/3; t2, t3 pass 1/3; t4, t5 0/3.
    let k3 = b.pass_hat_k.iter().find(|x| x.0 == 3).unwrap().1.unwrap();
    assert!((k3.value - 2.0 / 6.0).abs() < 1e-12);
    let k1 = b.pass_hat_k.iter().find(|x| x.0 == 1).unwrap().1.unwrap();
    assert!((k1.value - (2.0 + 2.0 / 3.0) / 6.0).abs() < 1e-12);
    let c = &report.paired[0].comparison;
    assert_eq!(c.test, crate::eval::compare::PairedTest::Bootstrap);
    assert_eq!(c.lost.len(), 3);
    let md = markdown::render(&report);
    assert!(md.contains("| pass^1 | pass^2 | pass^3 |"), "{md}");
    assert!(md.contains("`t2` (3/3 → 1/3)"), "{md}");
    assert!(md.contains("paired bootstrap over tasks, two-sided p = "));
    assert!(md.contains("## Notes"));
}

#[test]
fn runs_of_different_task_sets_are_refused_unless_allowed() {
    let one = ab_run();
    let mut other = ab_run();
    other.info.id = "r2".into();
    other.dir = "runs/r2".into();
    other.info.task_set_hash = "hash-2".into();
    other.info.tasks.truncate(6);
    let err = Report::build(&[one.clone(), other.clone()], Options::default()).unwrap_err();
    assert!(err.to_string().contains("different task sets"), "{err}");
    let opts = Options {
        allow_different_tasks: true,
        ..Options::default()
    };
    let report = Report::build(&[one.clone(), other.clone()], opts).unwrap();
    assert_eq!(report.tasks.len(), 6);
    // The same specs in two runs get the run id in their labels.
    assert_eq!(report.sides.len(), 4);
    assert_eq!(report.sides[2].summary.label, format!("{A} (r2)"));
    assert_eq!(report.paired.len(), 3);
    // Same hash, different tasks: shards, to be merged first.
    other.info.task_set_hash = one.info.task_set_hash.clone();
    let err = Report::build(&[one.clone(), other], Options::default()).unwrap_err();
    assert!(err.to_string().contains("kiln eval merge"), "{err}");
    let err = Report::build(&[one.clone(), one], Options::default()).unwrap_err();
    assert!(err.to_string().contains("given twice"), "{err}");
}

#[test]
fn a_run_with_no_attempts_still_reports() {
    let mut run = ab_run();
    run.attempts.clear();
    let report = Report::build(&[run], Options::default()).unwrap();
    assert!(report.paired.is_empty());
    assert_eq!(report.sides[0].rate(Metric::Pass1), None);
    assert_eq!(report.sides[0].summary.missing_trials(), 10);
    let md = markdown::render(&report);
    assert!(md.contains("| 0 of 10 | – | – |"), "{md}");
    assert!(html::render(&report).contains("<svg"));
}
