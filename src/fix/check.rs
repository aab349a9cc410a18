//! Running the check command and reading what it reports.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::test_count::{self, Runner, TestCount};
use crate::tools::shell::run_command;

/// One run of the check.
#[derive(Clone, Debug, Serialize)]
pub struct CheckRun {
    pub passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub duration_ms: u64,
    /// The runner's summary, when one was recognised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner: Option<Runner>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tests: Option<TestCount>,
    #[serde(skip)]
    pub output: String,
}

impl CheckRun {
    /// One line for logs and summaries: `failed (exit 1; 3 tests ran, 1 failed)`.
    pub fn describe(&self) -> String {
        let status = match (self.passed, self.timed_out, self.exit_code) {
            (true, _, _) => "passed".to_string(),
            (false, true, _) => "timed out".to_string(),
            (false, false, Some(code)) => format!("failed (exit {code})"),
            (false, false, None) => "failed (killed by a signal)".to_string(),
        };
        match &self.tests {
            Some(t) => format!(
                "{status}; {} tests ran, {} failed, {} skipped",
                t.ran, t.failed, t.skipped
            ),
            None => status,
        }
    }
}

/// Runs `command` in `root` with `bash -c`, killing it at `timeout`. An
/// error means it could not be started at all.
pub async fn run(command: &str, root: &Path, timeout: Duration) -> Result<CheckRun, String> {
    let started = Instant::now();
    let run = run_command(command, root, timeout)
        .await
        .map_err(|e| format!("cannot run the check `{command}`: {e}"))?;
    let counted = test_count::count(&run.output);
    Ok(CheckRun {
        passed: run.exit_code == Some(0),
        exit_code: run.exit_code,
        timed_out: run.timed_out,
        duration_ms: started.elapsed().as_millis() as u64,
        runner: counted.map(|(r, _)| r),
        tests: counted.map(|(_, t)| t),
        output: run.output,
    })
}

/// Why a passing final check does not count, if it does not: the tests it
/// reports must not have dropped since the first run.
pub fn tests_dropped(first: &CheckRun, last: &CheckRun) -> Option<String> {
    let before = first.tests?;
    match last.tests {
        None => Some(format!(
            "the first run reported {} tests, the last reports none it can count",
            before.ran
        )),
        Some(after) if after.ran < before.ran => Some(format!(
            "the number of tests that ran dropped from {} to {} (deleted or skipped tests do \
             not count as a fix)",
            before.ran, after.ran
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn exit_codes_output_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let ok = run(
            "echo 'Ran 3 tests in 0.1s'; echo OK",
            dir.path(),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert!(ok.passed);
        assert_eq!(ok.tests.map(|t| t.ran), Some(3));
        let bad = run("echo oops >&2; exit 3", dir.path(), Duration::from_secs(10))
            .await
            .unwrap();
        assert!(!bad.passed);
        assert_eq!(bad.exit_code, Some(3));
        assert!(bad.output.contains("oops"));
        assert_eq!(bad.describe(), "failed (exit 3)");
        let slow = run("sleep 5", dir.path(), Duration::from_millis(200))
            .await
            .unwrap();
        assert!(slow.timed_out && !slow.passed);
    }

    #[tokio::test]
    async fn dropped_tests_do_not_count() {
        let dir = tempfile::tempdir().unwrap();
        let t = Duration::from_secs(10);
        let three = run("echo 'Ran 3 tests in 0s'; exit 1", dir.path(), t)
            .await
            .unwrap();
        let two = run("echo 'Ran 2 tests in 0s'", dir.path(), t)
            .await
            .unwrap();
        let four = run("echo 'Ran 4 tests in 0s'", dir.path(), t)
            .await
            .unwrap();
        let none = run("true", dir.path(), t).await.unwrap();
        assert!(tests_dropped(&three, &two).unwrap().contains("from 3 to 2"));
        assert!(tests_dropped(&three, &four).is_none());
        assert!(tests_dropped(&three, &none).is_some());
        assert!(
            tests_dropped(&none, &two).is_none(),
            "no count at first: no rule"
        );
    }
}
