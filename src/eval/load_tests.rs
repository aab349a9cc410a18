#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::eval::record::AttemptOutcome::{Fail, Pass};
use crate::eval::task::Policy;
use crate::eval::testing::{attempt, info, task, write_run};

fn two_task_info() -> RunInfo {
    info(
        "r1",
        vec![
            task("a", &["python"], Policy::Usually),
            task("b", &["rust"], Policy::Always),
        ],
        &["local:m1"],
        1,
    )
}

#[test]
fn reads_a_run_dir_or_its_run_json() {
    let tmp = tempfile::tempdir().unwrap();
    let info = two_task_info();
    let records = [
        attempt("local:m1", "a", 0, 1, Pass),
        attempt("local:m1", "b", 0, 1, Fail),
    ];
    write_run(tmp.path(), &info, &records);
    let run = Run::load(tmp.path()).unwrap();
    assert_eq!(run.info, info);
    assert_eq!(run.attempts, records);
    assert!(run.warnings.is_empty());
    let again = Run::load(&tmp.path().join("run.json")).unwrap();
    assert_eq!(again.attempts.len(), 2);
}

#[test]
fn a_missing_run_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Run::load(&tmp.path().join("nope")).unwrap_err();
    assert!(matches!(err, LoadError::NotARun { .. }), "{err}");
    assert!(err.to_string().contains("no run.json"), "{err}");
}

#[test]
fn a_torn_last_line_is_skipped_with_a_warning() {
    let info = two_task_info();
    let good = serde_json::to_string(&attempt("local:m1", "a", 0, 1, Pass)).unwrap();
    let text = format!("{good}\n{}", &good[..good.len() / 2]);
    let (records, warnings) = parse_attempts(&text, "x/attempts.jsonl", &info).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].starts_with("x/attempts.jsonl:2: skipped a torn last line"));
}

#[test]
fn a_bad_line_elsewhere_is_an_error_naming_file_and_line() {
    let info = two_task_info();
    let good = serde_json::to_string(&attempt("local:m1", "a", 0, 1, Pass)).unwrap();
    // A bad line followed by a newline was written whole: not torn.
    for text in [
        format!("{{oops\n{good}\n"),
        format!("{good}\n{{\"side\": 1}}\n"),
    ] {
        let err = parse_attempts(&text, "x/attempts.jsonl", &info).unwrap_err();
        let LoadError::Line { path, line, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(path, "x/attempts.jsonl");
        assert!(*line == 1 || *line == 2);
        assert!(
            err.to_string()
                .starts_with(&format!("x/attempts.jsonl:{line}: "))
        );
    }
}

#[test]
fn records_must_match_the_run() {
    let info = two_task_info();
    let cases = [
        (
            attempt("local:other", "a", 0, 1, Pass),
            "side `local:other`",
        ),
        (attempt("local:m1", "zzz", 0, 1, Pass), "task `zzz`"),
        (
            attempt("local:m1", "a", 1, 1, Pass),
            "trial 1 is out of range",
        ),
        (attempt("local:m1", "a", 0, 0, Pass), "attempt 0"),
    ];
    for (record, needle) in cases {
        let text = format!("{}\n", serde_json::to_string(&record).unwrap());
        let err = parse_attempts(&text, "f", &info).unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
        assert!(err.to_string().starts_with("f:1: "), "{err}");
    }
    let one = serde_json::to_string(&attempt("local:m1", "a", 0, 1, Pass)).unwrap();
    let err = parse_attempts(&format!("{one}\n{one}\n"), "f", &info).unwrap_err();
    assert!(err.to_string().starts_with("f:2: a second record"), "{err}");
}

#[test]
fn a_bad_run_json_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("run.json"), "{\"id\": 3}").unwrap();
    let err = Run::load(tmp.path()).unwrap_err();
    assert!(matches!(err, LoadError::RunJson { .. }), "{err}");
    let mut zero = two_task_info();
    zero.trials = 0;
    write_run(tmp.path(), &zero, &[]);
    let err = Run::load(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("`trials` is 0"), "{err}");
    zero.trials = u32::MAX;
    write_run(tmp.path(), &zero, &[]);
    let err = Run::load(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("more than the 10000"), "{err}");
}
