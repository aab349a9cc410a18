//! `kiln eval validate`: a task is valid when its check fails on the
//! untouched fixture (and can run there at all) and passes once the
//! oracle has applied `solution.patch` through kiln's tools.

use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::check::{self, Verdict};
use super::record::AttemptOutcome;
use super::sides::SideRuntime;
use super::task::Task;
use super::trial::{self, TrialEnd, TrialSpec};
use super::workdir::{CheckFiles, Workdir};

/// One task's validation.
#[derive(Clone, Debug)]
pub struct Validation {
    pub task: String,
    /// What the check said on the untouched fixture.
    pub untouched: String,
    /// How the oracle's trial ended.
    pub oracle: String,
    pub secs: f64,
    /// Why the task is not valid; `None` when it is.
    pub problem: Option<String>,
}

impl Validation {
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// Validates `tasks` (`jobs` at a time) with `oracle` (an
/// `oracle:solution` side), keeping transcripts under `scratch`.
pub async fn validate(
    tasks: &[Task],
    oracle: &SideRuntime,
    scratch: &Path,
    jobs: usize,
    cancel: CancellationToken,
) -> Vec<Validation> {
    let mut out: Vec<Validation> = futures::stream::iter(tasks.iter().enumerate())
        .map(|(index, task)| one(task, index, oracle, scratch, cancel.clone()))
        .buffer_unordered(jobs.max(1))
        .collect()
        .await;
    out.sort_by(|a, b| a.task.cmp(&b.task));
    out
}

async fn one(
    task: &Task,
    index: usize,
    oracle: &SideRuntime,
    scratch: &Path,
    cancel: CancellationToken,
) -> Validation {
    let started = Instant::now();
    let (untouched, mut problem) = untouched(task).await;
    let spec = TrialSpec {
        task,
        index,
        side: oracle,
        trial: 0,
        run_dir: scratch,
        cancel,
    };
    let oracle_said = match trial::run(spec).await {
        TrialEnd::Interrupted => {
            problem.get_or_insert("interrupted".into());
            "interrupted".to_string()
        }
        TrialEnd::Done(records) => {
            let last = records.last();
            let outcome = last.map_or(AttemptOutcome::HarnessError, |r| r.outcome);
            if outcome != AttemptOutcome::Pass {
                let why = last
                    .and_then(|r| r.error.clone())
                    .unwrap_or_else(|| "the check fails after the solution is applied".to_string());
                problem.get_or_insert(format!("oracle: {why}"));
            }
            crate::agent::events::wire_name(&outcome)
        }
    };
    Validation {
        task: task.id().to_string(),
        untouched,
        oracle: oracle_said,
        secs: started.elapsed().as_secs_f64(),
        problem,
    }
}

/// Runs the check on the untouched fixture: it must run and fail.
async fn untouched(task: &Task) -> (String, Option<String>) {
    let prepared = Workdir::new(&task.repo_dir()).and_then(|w| {
        CheckFiles::of(&task.check_dir(), &task.repo_dir())
            .and_then(|c| c.install(w.root()))
            .map(|_| w)
    });
    let work = match prepared {
        Ok(w) => w,
        Err(e) => {
            return (
                "error".into(),
                Some(format!("cannot prepare the fixture: {e}")),
            );
        }
    };
    let spec = &task.file.check;
    let timeout = Duration::from_secs(spec.timeout_secs.max(1));
    let checked = check::run(&spec.command, work.root(), timeout).await;
    match checked.verdict {
        Verdict::Fail => ("fail".into(), None),
        Verdict::Pass => (
            "pass".into(),
            Some("the check passes on the untouched fixture".into()),
        ),
        Verdict::TimedOut => (
            "timeout".into(),
            Some(format!(
                "the check timed out after {}s on the untouched fixture",
                spec.timeout_secs
            )),
        ),
        Verdict::Broken(e) => ("broken".into(), Some(e)),
    }
}
