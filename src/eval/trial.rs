//! One trial: a side on a task in a fresh repository, up to the task's
//! `attempts`, the second and later ones seeing the failing check's
//! output in the same conversation (as Aider's benchmark does).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::check::{self, Checked, Verdict};
use super::record::{AttemptOutcome, AttemptRecord, TokenCounts};
use super::sides::{SessionError, SideRuntime};
use super::task::Task;
use super::workdir::{self, CheckFiles, Workdir};
use crate::agent::{Emitter, Event, EventKind, EventSink, JsonlSink, Outcome, SessionStats};

/// How much failing check output the second attempt shows.
const FEEDBACK_LINES: usize = 200;
const FEEDBACK_BYTES: usize = 12_000;

/// What to run.
pub struct TrialSpec<'a> {
    pub task: &'a Task,
    /// The task's place in the sorted selection.
    pub index: usize,
    pub side: &'a SideRuntime,
    pub trial: u32,
    pub run_dir: &'a Path,
    pub cancel: CancellationToken,
}

/// A finished trial's records, or an interrupted one (nothing recorded, so
/// a resumed run repeats it).
pub enum TrialEnd {
    Done(Vec<AttemptRecord>),
    Interrupted,
}

impl TrialSpec<'_> {
    /// The transcript's path relative to the run directory.
    pub fn transcript(&self) -> String {
        format!(
            "transcripts/{}/{}.t{}.jsonl",
            self.side.spec.slug(),
            self.task.id(),
            self.trial
        )
    }

    fn record(&self, attempt: u32, outcome: AttemptOutcome) -> AttemptRecord {
        AttemptRecord {
            side: self.side.spec.spec.clone(),
            task: self.task.id().to_string(),
            trial: self.trial,
            attempt,
            outcome,
            turns: 0,
            tool_calls: 0,
            tool_errors: Default::default(),
            tokens: TokenCounts::default(),
            prefill_reuse: None,
            wall_secs: 0.0,
            model_secs: 0.0,
            check_secs: 0.0,
            diff_lines: 0,
            protected_touched: false,
            transcript: self.transcript(),
            error: None,
        }
    }

    fn harness(&self, attempt: u32, error: impl ToString) -> TrialEnd {
        let mut r = self.record(attempt, AttemptOutcome::HarnessError);
        r.error = Some(error.to_string());
        TrialEnd::Done(vec![r])
    }
}

/// Adds up the model's time from `turn_completed` events.
struct ModelClock(Arc<AtomicU64>);

impl EventSink for ModelClock {
    fn emit(&mut self, event: &Event) {
        if let EventKind::TurnCompleted { duration_ms, .. } = &event.kind {
            self.0.fetch_add(*duration_ms, Ordering::Relaxed);
        }
    }
}

pub async fn run(spec: TrialSpec<'_>) -> TrialEnd {
    if spec.cancel.is_cancelled() {
        return TrialEnd::Interrupted;
    }
    let transcript = spec.run_dir.join(spec.transcript());
    let file = transcript
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|_| std::fs::File::create(&transcript));
    let file = match file {
        Ok(f) => f,
        Err(e) => return spec.harness(1, format!("cannot write {}: {e}", transcript.display())),
    };
    let model_ms = Arc::new(AtomicU64::new(0));
    let sinks: Vec<Box<dyn EventSink>> = vec![
        Box::new(JsonlSink::new(file, false)),
        Box::new(ModelClock(model_ms.clone())),
    ];
    let emitter = Emitter::new(uuid::Uuid::new_v4().to_string(), sinks);
    let task = spec.task;
    let work = match Workdir::new(&task.repo_dir()) {
        Ok(w) => w,
        Err(e) => return spec.harness(1, format!("cannot prepare the repository: {e}")),
    };
    let checks = match CheckFiles::of(&task.check_dir(), &task.repo_dir()) {
        Ok(c) => c,
        Err(e) => return spec.harness(1, e),
    };
    let session = spec
        .side
        .session(work.root(), task, spec.index, emitter, spec.cancel.clone())
        .await;
    let mut session = match session {
        Ok(s) => s,
        Err(SessionError::Harness(e)) => return spec.harness(1, e),
        Err(SessionError::Provider(e)) => {
            let mut r = spec.record(1, AttemptOutcome::ProviderError);
            r.error = Some(e);
            return TrialEnd::Done(vec![r]);
        }
    };
    let root = work.root();
    let mut records = Vec::new();
    let mut prompt = task.prompt.clone();
    for attempt in 1..=task.file.attempts {
        let before = session.stats().clone();
        let model_before = model_ms.load(Ordering::Relaxed);
        session.limits_mut().max_tokens = Some(before.usage.total() + task.file.limits.tokens);
        let started = Instant::now();
        let end = session.run_task(&prompt).await;
        if end.outcome == Outcome::Interrupted {
            return TrialEnd::Interrupted;
        }
        let mut r = spec.record(attempt, AttemptOutcome::Fail);
        fill_stats(&mut r, &before, session.stats());
        r.model_secs = model_ms
            .load(Ordering::Relaxed)
            .saturating_sub(model_before) as f64
            / 1000.0;
        r.protected_touched = checks.touched(root);
        match workdir::diff_lines(root, &checks.paths) {
            Ok(n) => r.diff_lines = n,
            Err(e) => r.error = Some(format!("cannot measure the diff: {e}")),
        }
        let checked = match agent_outcome(end.outcome) {
            Some(outcome) => {
                r.outcome = outcome;
                r.error = end.error.clone().or(r.error);
                None
            }
            None => match checks.install(root) {
                Err(e) => {
                    r.outcome = AttemptOutcome::HarnessError;
                    r.error = Some(format!("cannot copy the check in: {e}"));
                    None
                }
                Ok(()) => {
                    let timeout = Duration::from_secs(task.file.check.timeout_secs.max(1));
                    // Dropping the check on Ctrl-C kills its process group.
                    let c = tokio::select! {
                        c = check::run(&task.file.check.command, root, timeout) => c,
                        _ = spec.cancel.cancelled() => return TrialEnd::Interrupted,
                    };
                    judge(&mut r, &c, task.file.check.timeout_secs);
                    if let Some(run) = &c.run {
                        session.emitter_mut().emit(EventKind::CheckCompleted {
                            attempt,
                            run: run.clone(),
                            output: run.output.clone(),
                        });
                    }
                    Some(c)
                }
            },
        };
        r.wall_secs = started.elapsed().as_secs_f64();
        if spec.cancel.is_cancelled() {
            return TrialEnd::Interrupted;
        }
        let again = r.outcome == AttemptOutcome::Fail && attempt < task.file.attempts;
        records.push(r);
        let Some(checked) = checked.filter(|_| again) else {
            break;
        };
        if let Err(e) = checks.remove(root) {
            if let Some(last) = records.last_mut() {
                last.error = Some(format!("cannot take the check out again: {e}"));
            }
            break;
        }
        prompt = feedback(&task.file.check.command, &checked);
    }
    TrialEnd::Done(records)
}

/// The outcome when the agent's end decides it without a check.
/// A token budget spent counts as `turn_limit`: both are the attempt's
/// budget running out.
fn agent_outcome(outcome: Outcome) -> Option<AttemptOutcome> {
    match outcome {
        Outcome::Done | Outcome::Failed | Outcome::Interrupted => None,
        Outcome::TimeLimit => Some(AttemptOutcome::Timeout),
        Outcome::TurnLimit | Outcome::TokenLimit => Some(AttemptOutcome::TurnLimit),
        Outcome::ContextExhausted => Some(AttemptOutcome::ContextExhausted),
        Outcome::BackendError => Some(AttemptOutcome::ProviderError),
    }
}

fn judge(r: &mut AttemptRecord, c: &Checked, timeout_secs: u64) {
    r.check_secs = c.secs;
    r.outcome = match &c.verdict {
        Verdict::Pass => AttemptOutcome::Pass,
        Verdict::Fail => AttemptOutcome::Fail,
        Verdict::TimedOut => {
            r.error = Some(format!("the check timed out after {timeout_secs}s"));
            AttemptOutcome::Timeout
        }
        Verdict::Broken(e) => {
            r.error = Some(e.clone());
            AttemptOutcome::HarnessError
        }
    };
}

fn fill_stats(r: &mut AttemptRecord, before: &SessionStats, after: &SessionStats) {
    r.turns = after.turns.saturating_sub(before.turns);
    r.tool_calls = after.tool_calls.saturating_sub(before.tool_calls);
    for (kind, n) in &after.tool_errors {
        let delta = n.saturating_sub(before.tool_errors.get(kind).copied().unwrap_or(0));
        if delta > 0 {
            r.tool_errors.insert(kind.clone(), delta);
        }
    }
    let (b, a) = (&before.usage, &after.usage);
    let cached = a
        .cached_tokens
        .unwrap_or(0)
        .saturating_sub(b.cached_tokens.unwrap_or(0));
    r.tokens = TokenCounts {
        prompt: a.prompt_tokens.saturating_sub(b.prompt_tokens),
        completion: a.completion_tokens.saturating_sub(b.completion_tokens),
        cached,
    };
    // The engine's KV reuse where there is one, else the endpoint's cache.
    r.prefill_reuse = match (&before.engine, &after.engine) {
        (b, Some(a)) => {
            let (bp, br) = b
                .as_ref()
                .map_or((0, 0), |b| (b.prompt_tokens, b.reused_tokens));
            let prompt = a.prompt_tokens.saturating_sub(bp);
            (prompt > 0).then(|| a.reused_tokens.saturating_sub(br) as f64 / prompt as f64)
        }
        (_, None) if a.cached_tokens.is_some() && r.tokens.prompt > 0 => {
            Some(cached as f64 / r.tokens.prompt as f64)
        }
        _ => None,
    };
}

/// The user message of the next attempt: the failing check's output.
fn feedback(command: &str, checked: &Checked) -> String {
    let status = checked
        .run
        .as_ref()
        .map_or_else(|| "failed".to_string(), |r| r.describe());
    let (output, _) = crate::tools::truncate::head_tail(
        checked.output().trim_end(),
        FEEDBACK_LINES,
        FEEDBACK_BYTES,
    );
    let output = if output.is_empty() {
        "(no output)".into()
    } else {
        output
    };
    format!(
        "The tests failed: `{command}` {status}.\n\n```\n{output}\n```\n\nThe tests are correct; \
         don't change them. Fix the code so that they pass, then stop."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_map_to_outcomes() {
        assert_eq!(agent_outcome(Outcome::Done), None);
        assert_eq!(agent_outcome(Outcome::Failed), None);
        assert_eq!(
            agent_outcome(Outcome::TimeLimit),
            Some(AttemptOutcome::Timeout)
        );
        assert_eq!(
            agent_outcome(Outcome::TokenLimit),
            Some(AttemptOutcome::TurnLimit)
        );
        assert_eq!(
            agent_outcome(Outcome::BackendError),
            Some(AttemptOutcome::ProviderError)
        );
    }
}
