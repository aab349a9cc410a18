//! `kiln fix`: run a check, let the agent fix what fails, prove it with the
//! same check.
//!
//! The check runs first; if it passes, nothing else happens (no model is
//! loaded). Otherwise the agent gets the failure output and a fix-up
//! prompt; when it stops, protected files are restored ([`protect`]) and
//! the check runs again. A passing check counts only if the number of tests
//! it reports did not drop ([`check::tests_dropped`]). Later attempts
//! continue the same conversation with the new failure output, so the
//! prompt prefix (and the KV cache) carries over.

pub mod check;
pub mod git;
pub mod protect;
pub mod report;
pub mod test_count;

use std::path::Path;
use std::time::Duration;

use crate::agent::events::wire_name;
use crate::agent::{EventKind, Outcome, Session};
use check::CheckRun;
use protect::Snapshot;
use report::{Attempt, FixOutcome, FixSummary};

/// What one `kiln fix` run is asked to do.
#[derive(Clone, Debug)]
pub struct FixPlan {
    pub check: String,
    pub attempts: u32,
    pub check_timeout: Duration,
    /// The whole run's deadline (`--timeout`).
    pub deadline: Option<tokio::time::Instant>,
    /// The protected globs, named in the prompt.
    pub protect: Vec<String>,
    /// How much check output the model sees: lines and bytes.
    pub output_lines: usize,
    pub output_bytes: usize,
}

/// The summary of a run whose first check already passes.
pub fn already_passing(plan: &FixPlan, first: CheckRun) -> FixSummary {
    summary(plan, FixOutcome::AlreadyPassing, first, Vec::new())
}

fn summary(
    plan: &FixPlan,
    outcome: FixOutcome,
    first: CheckRun,
    attempts: Vec<Attempt>,
) -> FixSummary {
    let final_output = attempts
        .last()
        .map_or(&first.output, |a| &a.check.output)
        .clone();
    FixSummary {
        outcome,
        check: plan.check.clone(),
        first,
        attempts,
        changed_files: Vec::new(),
        commit: None,
        branch: None,
        final_answer: None,
        final_output,
        error: None,
    }
}

/// Runs the attempts after a failing first check.
pub async fn attempts(
    session: &mut Session,
    root: &Path,
    plan: &FixPlan,
    snapshot: &Snapshot,
    first: CheckRun,
) -> FixSummary {
    let mut done: Vec<Attempt> = Vec::new();
    let mut final_answer = None;
    let mut error = None;
    let mut outcome = FixOutcome::StillFailing;
    for n in 1..=plan.attempts.max(1) {
        let prompt = match done.last() {
            None => first_prompt(plan, &first),
            Some(prev) => retry_prompt(plan, prev),
        };
        session.limits_mut().timeout = plan
            .deadline
            .map(|d| d.saturating_duration_since(tokio::time::Instant::now()));
        crate::cli::repo_map::add(session, &prompt).await;
        let end = session.run_task(&prompt).await;
        final_answer = end.final_answer.clone().or(final_answer);
        let restored = match snapshot.restore(root) {
            Ok(paths) => paths.iter().map(|p| p.display().to_string()).collect(),
            Err(e) => {
                error = Some(e);
                outcome = FixOutcome::StillFailing;
                break;
            }
        };
        let check = match check::run(&plan.check, root, plan.check_timeout).await {
            Ok(c) => c,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        session.emitter_mut().emit(EventKind::CheckCompleted {
            attempt: n,
            run: check.clone(),
            output: check.output.clone(),
        });
        let rejected = check
            .passed
            .then(|| check::tests_dropped(&first, &check))
            .flatten();
        let passed = check.passed && rejected.is_none();
        done.push(Attempt {
            attempt: n,
            agent: wire_name(&end.outcome),
            agent_error: end.error.clone(),
            check,
            restored,
            rejected,
        });
        if passed {
            outcome = FixOutcome::Fixed;
            break;
        }
        let stop = match end.outcome {
            Outcome::TurnLimit
            | Outcome::TimeLimit
            | Outcome::TokenLimit
            | Outcome::ContextExhausted => Some(FixOutcome::BudgetExhausted),
            Outcome::BackendError => Some(FixOutcome::BackendError),
            Outcome::Interrupted => Some(FixOutcome::Interrupted),
            Outcome::Done | Outcome::Failed => None,
        };
        // Per-attempt turn limits leave room for the next attempt; time and
        // tokens are for the whole run.
        let last_turns_only = end.outcome == Outcome::TurnLimit && n < plan.attempts;
        if let Some(stop) = stop.filter(|_| !last_turns_only) {
            outcome = stop;
            error = end.error;
            break;
        }
    }
    let mut s = summary(plan, outcome, first, done);
    s.final_answer = final_answer;
    s.error = error;
    s
}

fn trimmed(plan: &FixPlan, output: &str) -> String {
    let (text, _) =
        crate::tools::truncate::head_tail(output.trim_end(), plan.output_lines, plan.output_bytes);
    if text.is_empty() {
        "(no output)".into()
    } else {
        text
    }
}

fn rules(plan: &FixPlan) -> String {
    let protected = match plan.protect.is_empty() {
        true => String::new(),
        false => format!(
            " These files are protected: changes to them are refused and undone before the \
             check runs: {}.",
            plan.protect.join(", ")
        ),
    };
    format!(
        "Fix the code under test, not the tests or the check: the check command cannot be \
         changed, and deleting or skipping tests does not count as a fix.{protected}"
    )
}

fn first_prompt(plan: &FixPlan, first: &CheckRun) -> String {
    format!(
        "The check `{}` fails ({}). Make it pass.\n\nIts output:\n```\n{}\n```\n\n{}\n\nFind \
         the cause, fix it, run the check yourself with `shell` to confirm, then stop and \
         summarise what you changed. kiln runs the check again when you stop.",
        plan.check,
        first.describe(),
        trimmed(plan, &first.output),
        rules(plan)
    )
}

fn retry_prompt(plan: &FixPlan, prev: &Attempt) -> String {
    let mut why = String::new();
    if !prev.restored.is_empty() {
        why.push_str(&format!(
            " kiln restored protected files you changed: {}.",
            prev.restored.join(", ")
        ));
    }
    if let Some(r) = &prev.rejected {
        why.push_str(&format!(" The passing run did not count: {r}."));
    }
    format!(
        "kiln ran the check `{}` again after your changes and it does not pass yet ({}).{why}\n\n\
         Its output:\n```\n{}\n```\n\n{}\n\nContinue: fix the cause, confirm with the check, \
         then stop.",
        plan.check,
        prev.check.describe(),
        trimmed(plan, &prev.check.output),
        rules(plan)
    )
}
