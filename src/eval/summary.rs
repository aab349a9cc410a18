//! A run's records folded per side → per task → per trial, with the
//! counters that reports show next to the rates.
//!
//! A trial's verdict depends on the [`Metric`]; provider and harness errors
//! (and trials with no record at all) make a trial [`Verdict::Excluded`],
//! so they stay out of every denominator and are counted apart.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::load::Run;
use super::record::{AttemptOutcome, AttemptRecord, TokenCounts};

/// Which attempts of a trial count toward its pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// The first attempt passed.
    Pass1,
    /// One of the first two attempts passed (the second sees the first's
    /// failing check output).
    Pass2,
    /// One of the task's attempts passed.
    #[default]
    Pass,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::Pass1, Metric::Pass2, Metric::Pass];

    /// The attempts considered, `None` for all of them.
    fn attempt_limit(self) -> Option<u32> {
        match self {
            Self::Pass1 => Some(1),
            Self::Pass2 => Some(2),
            Self::Pass => None,
        }
    }

    /// How reports name it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass1 => "pass@1",
            Self::Pass2 => "pass@2",
            Self::Pass => "pass",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pass1 => "pass1",
            Self::Pass2 => "pass2",
            Self::Pass => "pass",
        })
    }
}

impl FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pass1" | "pass@1" => Ok(Self::Pass1),
            "pass2" | "pass@2" => Ok(Self::Pass2),
            "pass" => Ok(Self::Pass),
            _ => Err(format!(
                "`{s}` is not a metric (pass1, pass2 or pass: the first attempt, the first two, all)"
            )),
        }
    }
}

/// One trial under one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// A provider or harness error, or no record: says nothing of the model.
    Excluded,
}

/// Passes over counted trials of one task; `excluded` trials are apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Tally {
    pub pass: u32,
    pub counted: u32,
    #[serde(default)]
    pub excluded: u32,
}

impl Tally {
    /// The task's pass rate, `None` when no trial counted.
    pub fn rate(&self) -> Option<f64> {
        (self.counted > 0).then(|| f64::from(self.pass) / f64::from(self.counted))
    }
}

/// The attempts of one trial: (attempt number, outcome), in order.
#[derive(Clone, Debug, Default)]
pub struct Trial {
    pub attempts: Vec<(u32, AttemptOutcome)>,
}

impl Trial {
    pub fn verdict(&self, metric: Metric) -> Verdict {
        let limit = metric.attempt_limit();
        let mut considered = self
            .attempts
            .iter()
            .filter(|(n, _)| limit.is_none_or(|l| *n <= l))
            .map(|(_, o)| *o)
            .peekable();
        // No record of the attempts that matter: nothing to judge.
        let mut excluded = considered.peek().is_none();
        for outcome in considered {
            if outcome == AttemptOutcome::Pass {
                return Verdict::Pass;
            }
            excluded |= !outcome.counts();
        }
        match excluded {
            true => Verdict::Excluded,
            false => Verdict::Fail,
        }
    }
}

/// Sums over a side's attempts: cost, time, tool use, outcomes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Totals {
    pub attempts: u64,
    pub outcomes: BTreeMap<AttemptOutcome, u64>,
    pub tokens: TokenCounts,
    pub wall_secs: f64,
    pub model_secs: f64,
    pub check_secs: f64,
    pub tool_calls: u64,
    pub tool_errors: BTreeMap<String, u64>,
    /// Sum and count of the attempts that reported `prefill_reuse`.
    pub prefill_reuse_sum: f64,
    pub prefill_reuse_known: u64,
    pub turns: u64,
    pub protected_touched: u64,
}

impl Totals {
    fn add(&mut self, r: &AttemptRecord) {
        self.attempts += 1;
        *self.outcomes.entry(r.outcome).or_default() += 1;
        self.tokens.prompt += r.tokens.prompt;
        self.tokens.completion += r.tokens.completion;
        self.tokens.cached += r.tokens.cached;
        self.wall_secs += r.wall_secs;
        self.model_secs += r.model_secs;
        self.check_secs += r.check_secs;
        self.tool_calls += u64::from(r.tool_calls);
        for (kind, n) in &r.tool_errors {
            *self.tool_errors.entry(kind.clone()).or_default() += u64::from(*n);
        }
        if let Some(reuse) = r.prefill_reuse.filter(|x| x.is_finite()) {
            self.prefill_reuse_sum += reuse;
            self.prefill_reuse_known += 1;
        }
        self.turns += u64::from(r.turns);
        self.protected_touched += u64::from(r.protected_touched);
    }

    pub fn tool_error_count(&self) -> u64 {
        self.tool_errors.values().sum()
    }

    /// Failed tool calls over calls.
    pub fn tool_error_rate(&self) -> Option<f64> {
        (self.tool_calls > 0).then(|| self.tool_error_count() as f64 / self.tool_calls as f64)
    }

    /// Cached prompt tokens over prompt tokens.
    pub fn cache_share(&self) -> Option<f64> {
        (self.tokens.prompt > 0).then(|| self.tokens.cached as f64 / self.tokens.prompt as f64)
    }

    /// The mean `prefill_reuse` of the attempts that reported one.
    pub fn prefill_reuse(&self) -> Option<f64> {
        (self.prefill_reuse_known > 0)
            .then(|| self.prefill_reuse_sum / self.prefill_reuse_known as f64)
    }

    /// Attempts that ended in a provider or harness error.
    pub fn errors(&self) -> u64 {
        self.outcomes
            .iter()
            .filter(|(o, _)| !o.counts())
            .map(|(_, n)| n)
            .sum()
    }

    pub fn per_attempt(&self, total: f64) -> Option<f64> {
        (self.attempts > 0).then(|| total / self.attempts as f64)
    }
}

/// One side of one run.
#[derive(Clone, Debug)]
pub struct SideSummary {
    /// The side's spec (`PROVIDER:MODEL[@PROFILE]`).
    pub spec: String,
    /// How reports name it: the spec, with the run id when two runs
    /// compared the same spec.
    pub label: String,
    pub run_id: String,
    pub trials: u32,
    /// Task id → trials (index = trial number), for every task of the run.
    pub tasks: BTreeMap<String, Vec<Trial>>,
    pub totals: Totals,
}

impl SideSummary {
    /// Folds the records of side `spec` of `run`.
    pub fn of(run: &Run, spec: &str) -> Self {
        let trials = run.info.trials;
        let mut tasks: BTreeMap<String, Vec<Trial>> = run
            .info
            .tasks
            .iter()
            .map(|t| (t.id.clone(), vec![Trial::default(); trials as usize]))
            .collect();
        let mut mine: Vec<&AttemptRecord> =
            run.attempts.iter().filter(|r| r.side == spec).collect();
        mine.sort_by_key(|r| (r.trial, r.attempt));
        let mut totals = Totals::default();
        for r in mine {
            totals.add(r);
            if let Some(trial) = tasks
                .get_mut(&r.task)
                .and_then(|ts| ts.get_mut(r.trial as usize))
            {
                trial.attempts.push((r.attempt, r.outcome));
            }
        }
        Self {
            spec: spec.to_string(),
            label: spec.to_string(),
            run_id: run.info.id.clone(),
            trials,
            tasks,
            totals,
        }
    }

    pub fn tally(&self, task: &str, metric: Metric) -> Option<Tally> {
        let trials = self.tasks.get(task)?;
        let mut t = Tally::default();
        for trial in trials {
            match trial.verdict(metric) {
                Verdict::Pass => {
                    t.pass += 1;
                    t.counted += 1;
                }
                Verdict::Fail => t.counted += 1,
                Verdict::Excluded => t.excluded += 1,
            }
        }
        Some(t)
    }

    pub fn tallies(&self, metric: Metric) -> BTreeMap<String, Tally> {
        self.tasks
            .keys()
            .filter_map(|id| Some((id.clone(), self.tally(id, metric)?)))
            .collect()
    }

    /// Trials with no record at all (an interrupted run).
    pub fn missing_trials(&self) -> u64 {
        self.tasks
            .values()
            .flatten()
            .filter(|t| t.attempts.is_empty())
            .count() as u64
    }

    /// The most attempts any trial took.
    pub fn max_attempts(&self) -> usize {
        self.tasks
            .values()
            .flatten()
            .map(|t| t.attempts.len())
            .max()
            .unwrap_or(0)
    }
}

/// Per-task values of `tallies` (pass rates) for the tasks in `ids` that
/// counted at least one trial.
pub fn task_rates<'a>(
    tallies: &BTreeMap<String, Tally>,
    ids: impl IntoIterator<Item = &'a String>,
) -> Vec<f64> {
    ids.into_iter()
        .filter_map(|id| tallies.get(id)?.rate())
        .collect()
}

/// Per-task pass^k values ([`super::stats::pass_hat_k`]) for the tasks in
/// `ids` with at least `k` counted trials.
pub fn pass_hat_k_values<'a>(
    tallies: &BTreeMap<String, Tally>,
    ids: impl IntoIterator<Item = &'a String>,
    k: u32,
) -> Vec<f64> {
    ids.into_iter()
        .filter_map(|id| {
            let t = tallies.get(id)?;
            super::stats::pass_hat_k(u64::from(t.pass), u64::from(t.counted), u64::from(k))
        })
        .collect()
}

#[cfg(test)]
#[path = "summary_tests.rs"]
mod tests;
