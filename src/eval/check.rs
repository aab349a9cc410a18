//! Running a task's hidden check and saying what its result means.

use std::path::Path;
use std::time::Duration;

use crate::fix::check::{self, CheckRun};

/// What one run of the check says.
#[derive(Clone, Debug)]
pub enum Verdict {
    Pass,
    Fail,
    /// The check ran past its timeout (the code under test hung, or the
    /// check is too slow).
    TimedOut,
    /// The check could not run at all: it could not be started, or bash
    /// exited 126/127 (not executable, command not found). Not the model's
    /// fault.
    Broken(String),
}

/// A check run and its verdict.
#[derive(Clone, Debug)]
pub struct Checked {
    pub verdict: Verdict,
    pub run: Option<CheckRun>,
    pub secs: f64,
}

impl Checked {
    pub fn output(&self) -> &str {
        self.run.as_ref().map_or("", |r| r.output.as_str())
    }
}

/// Runs `command` in `root` with `bash -c`, killing its process group at
/// `timeout`.
pub async fn run(command: &str, root: &Path, timeout: Duration) -> Checked {
    let started = std::time::Instant::now();
    let result = check::run(command, root, timeout).await;
    let secs = started.elapsed().as_secs_f64();
    match result {
        Err(e) => Checked {
            verdict: Verdict::Broken(e),
            run: None,
            secs,
        },
        Ok(run) => Checked {
            verdict: verdict(command, &run),
            run: Some(run),
            secs,
        },
    }
}

fn verdict(command: &str, run: &CheckRun) -> Verdict {
    match (run.passed, run.timed_out, run.exit_code) {
        (true, _, _) => Verdict::Pass,
        (false, true, _) => Verdict::TimedOut,
        (false, false, Some(code @ (126 | 127))) => Verdict::Broken(format!(
            "the check `{command}` could not run (exit {code}: {}): {}",
            if code == 127 {
                "command not found"
            } else {
                "not executable"
            },
            last_line(&run.output)
        )),
        _ => Verdict::Fail,
    }
}

fn last_line(output: &str) -> &str {
    output.trim_end().lines().last().unwrap_or("(no output)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verdicts() {
        let dir = tempfile::tempdir().unwrap();
        let t = Duration::from_secs(10);
        let v = |c: &Checked| format!("{:?}", c.verdict);
        assert_eq!(v(&run("true", dir.path(), t).await), "Pass");
        assert_eq!(v(&run("exit 1", dir.path(), t).await), "Fail");
        let missing = run("./no-such-check", dir.path(), t).await;
        assert!(v(&missing).contains("Broken") && v(&missing).contains("exit 127"));
        let slow = run("sleep 5", dir.path(), Duration::from_millis(200)).await;
        assert_eq!(v(&slow), "TimedOut");
        assert!(slow.secs < 4.0);
    }
}
