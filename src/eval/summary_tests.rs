#![allow(clippy::unwrap_used)]

use super::*;
use crate::eval::load::Run;
use crate::eval::record::AttemptOutcome::{Fail, HarnessError, Pass, ProviderError, Timeout};
use crate::eval::task::Policy;
use crate::eval::testing::{attempt, info, task};

fn run(records: Vec<AttemptRecord>, trials: u32) -> Run {
    Run {
        dir: "r".into(),
        info: info(
            "r",
            vec![
                task("a", &[], Policy::Usually),
                task("b", &[], Policy::Usually),
                task("c", &[], Policy::Usually),
                task("d", &[], Policy::Usually),
            ],
            &["s"],
            trials,
        ),
        attempts: records,
        warnings: vec![],
    }
}

#[test]
fn verdicts_follow_the_metric() {
    let s = SideSummary::of(
        &run(
            vec![
                attempt("s", "a", 0, 1, Pass),
                attempt("s", "b", 0, 1, Fail),
                attempt("s", "b", 0, 2, Pass),
                attempt("s", "c", 0, 1, Timeout),
                attempt("s", "c", 0, 2, Fail),
                attempt("s", "c", 0, 3, Pass),
                attempt("s", "d", 0, 1, ProviderError),
            ],
            1,
        ),
        "s",
    );
    let rates = |m| {
        let t = s.tallies(m);
        ["a", "b", "c", "d"].map(|id| (t[id].pass, t[id].counted, t[id].excluded))
    };
    assert_eq!(
        rates(Metric::Pass1),
        [(1, 1, 0), (0, 1, 0), (0, 1, 0), (0, 0, 1)]
    );
    assert_eq!(
        rates(Metric::Pass2),
        [(1, 1, 0), (1, 1, 0), (0, 1, 0), (0, 0, 1)]
    );
    assert_eq!(
        rates(Metric::Pass),
        [(1, 1, 0), (1, 1, 0), (1, 1, 0), (0, 0, 1)]
    );
    assert_eq!(s.max_attempts(), 3);
    assert_eq!(s.totals.attempts, 7);
    assert_eq!(s.totals.errors(), 1);
}

#[test]
fn errors_after_a_failure_exclude_the_trial_but_a_pass_wins() {
    let s = SideSummary::of(
        &run(
            vec![
                attempt("s", "a", 0, 1, Fail),
                attempt("s", "a", 0, 2, HarnessError),
                attempt("s", "b", 0, 1, ProviderError),
                attempt("s", "b", 0, 2, Pass),
            ],
            1,
        ),
        "s",
    );
    let t = s.tallies(Metric::Pass2);
    assert_eq!(t["a"].excluded, 1);
    assert_eq!(t["b"].pass, 1);
    // Missing trials are excluded and counted.
    assert_eq!(t["c"].excluded, 1);
    assert_eq!(s.missing_trials(), 2);
    // attempt 1 of `a` failed: pass@1 still counts it.
    assert_eq!(s.tally("a", Metric::Pass1).unwrap().counted, 1);
}

#[test]
fn totals_add_up() {
    let mut r1 = attempt("s", "a", 0, 1, Fail);
    r1.tool_errors.insert("bad_args".into(), 2);
    r1.prefill_reuse = None;
    let mut r2 = attempt("s", "a", 0, 2, Pass);
    r2.tool_errors.insert("bad_args".into(), 1);
    r2.tool_errors.insert("not_found".into(), 1);
    let other = attempt("t", "a", 0, 1, Pass);
    let mut run = run(vec![r1, r2, other], 1);
    run.info.sides.push(crate::eval::testing::side("t"));
    let s = SideSummary::of(&run, "s");
    let t = &s.totals;
    assert_eq!(t.attempts, 2);
    assert_eq!(t.tokens.prompt, 2000);
    assert_eq!(t.tokens.cached, 1200);
    assert_eq!(t.tool_calls, 10);
    assert_eq!(t.tool_error_count(), 4);
    assert_eq!(t.tool_error_rate(), Some(0.4));
    assert_eq!(t.tool_errors["bad_args"], 3);
    assert_eq!(t.cache_share(), Some(0.6));
    assert_eq!(t.prefill_reuse(), Some(0.6));
    assert_eq!(t.prefill_reuse_known, 1);
    assert_eq!(t.per_attempt(t.wall_secs), Some(10.0));
}

#[test]
fn pass_hat_k_over_trials() {
    // a: 3 of 3 trials pass; b: 2 of 3; c: 0 of 3; d: 1 counted of 3.
    let mut records = vec![];
    for trial in 0..3 {
        records.push(attempt("s", "a", trial, 1, Pass));
        let b = if trial < 2 { Pass } else { Fail };
        records.push(attempt("s", "b", trial, 1, b));
        records.push(attempt("s", "c", trial, 1, Fail));
        let d = if trial == 0 { Pass } else { ProviderError };
        records.push(attempt("s", "d", trial, 1, d));
    }
    let s = SideSummary::of(&run(records, 3), "s");
    let tallies = s.tallies(Metric::Pass);
    let ids: Vec<String> = s.tasks.keys().cloned().collect();
    let k2 = pass_hat_k_values(&tallies, &ids, 2);
    // d has one counted trial, too few for k = 2.
    assert_eq!(k2.len(), 3);
    let expected = [1.0, 1.0 / 3.0, 0.0];
    for (got, want) in k2.iter().zip(expected) {
        assert!((got - want).abs() < 1e-12, "{k2:?}");
    }
    assert_eq!(pass_hat_k_values(&tallies, &ids, 3), vec![1.0, 0.0, 0.0]);
    let rates = task_rates(&tallies, &ids);
    assert_eq!(rates, vec![1.0, 2.0 / 3.0, 0.0, 1.0]);
}

#[test]
fn metrics_parse() {
    assert_eq!("pass1".parse::<Metric>(), Ok(Metric::Pass1));
    assert_eq!("pass@2".parse::<Metric>(), Ok(Metric::Pass2));
    assert_eq!("pass".parse::<Metric>(), Ok(Metric::Pass));
    assert!("best".parse::<Metric>().is_err());
}
