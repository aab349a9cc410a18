//! `kiln eval gate`: does a run fall significantly below its baseline?
//!
//! A gate that fails on noise gets switched off, so it fails only when the
//! drop is both larger than a tolerance (it matters) and significant by the
//! paired test over tasks (it is not luck): one-sided exact McNemar with
//! one trial per task, a paired bootstrap otherwise. `always` tasks are
//! the exception: one failure of those fails the gate.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::baseline::{Baseline, pick_side};
use super::compare::{self, Comparison, PairedTest};
use super::load::Run;
use super::report::{p_value, pct, pp_ci};
use super::stats::Resampling;
use super::summary::{Metric, SideSummary, Tally};
use super::task::Policy;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GateOptions {
    /// The largest drop of the pass rate (0 to 1) that is never a failure.
    pub tolerance: f64,
    /// Significance level of the one-sided paired test.
    pub alpha: f64,
    pub metric: Metric,
    /// Compare over the common tasks when the task sets differ.
    pub allow_different_tasks: bool,
    pub resampling: Resampling,
}

impl Default for GateOptions {
    fn default() -> Self {
        Self {
            tolerance: 0.05,
            alpha: 0.05,
            metric: Metric::Pass,
            allow_different_tasks: false,
            resampling: Resampling::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error(transparent)]
    Baseline(#[from] super::baseline::BaselineError),
    #[error("{0}")]
    Mismatch(String),
    #[error("{0}")]
    Options(String),
}

#[derive(Clone, Debug)]
pub struct GateResult {
    pub options: GateOptions,
    pub baseline_side: String,
    pub baseline_run: String,
    pub side: String,
    pub run: String,
    pub comparison: Comparison,
    /// Baseline rate − current rate over the compared tasks.
    pub drop: f64,
    pub beyond_tolerance: bool,
    pub significant: bool,
    /// `always` tasks with a failing counted trial.
    pub always_failed: Vec<(String, Tally)>,
    /// `always` tasks with no counted trial (errors only): not verified.
    pub always_unverified: Vec<String>,
    /// Tasks of one side only (with `--allow-different-tasks`).
    pub only_baseline: usize,
    pub only_current: usize,
}

impl GateResult {
    pub fn passed(&self) -> bool {
        !(self.beyond_tolerance && self.significant) && self.always_failed.is_empty()
    }
}

pub fn gate(
    baseline: &Baseline,
    run: &Run,
    side: Option<&str>,
    options: GateOptions,
) -> Result<GateResult, GateError> {
    if !(0.0..1.0).contains(&options.tolerance) {
        return Err(GateError::Options(format!(
            "--tolerance {} must be at least 0 and below 1 (a share: 0.05 is 5 points)",
            options.tolerance
        )));
    }
    if !(options.alpha > 0.0 && options.alpha < 1.0) {
        return Err(GateError::Options(format!(
            "--alpha {} must be between 0 and 1",
            options.alpha
        )));
    }
    let side = pick_side(run, side)?;
    let current = SideSummary::of(run, &side.spec);
    let base_ids: BTreeSet<&str> = baseline.tasks.keys().map(String::as_str).collect();
    let run_ids: BTreeSet<&str> = current.tasks.keys().map(String::as_str).collect();
    if !options.allow_different_tasks {
        if baseline.task_set_hash != run.info.task_set_hash {
            return Err(GateError::Mismatch(format!(
                "run `{}` ran a different task set than the baseline (task_set_hash {} vs {}); \
                 write a new baseline, or pass --allow-different-tasks to compare the common tasks",
                run.info.id, run.info.task_set_hash, baseline.task_set_hash
            )));
        }
        if base_ids != run_ids {
            return Err(GateError::Mismatch(format!(
                "run `{}` ran {} of the baseline's {} tasks: a shard? Merge the shards with \
                 `kiln eval merge` first, or pass --allow-different-tasks",
                run.info.id,
                run_ids.intersection(&base_ids).count(),
                base_ids.len()
            )));
        }
    }
    let common: BTreeSet<&str> = base_ids.intersection(&run_ids).copied().collect();
    let keep = |m: BTreeMap<String, Tally>| -> BTreeMap<String, Tally> {
        m.into_iter()
            .filter(|(id, _)| common.contains(id.as_str()))
            .collect()
    };
    let before = keep(baseline.tallies(options.metric));
    let now = keep(current.tallies(options.metric));
    let comparison = compare::compare(&before, &now, options.resampling).ok_or_else(|| {
        GateError::Mismatch(format!(
            "no task has a counted trial in both the baseline and run `{}` ({} common tasks)",
            run.info.id,
            common.len()
        ))
    })?;
    let drop = comparison.a_rate - comparison.b_rate;
    let mut always_failed = Vec::new();
    let mut always_unverified = Vec::new();
    for t in run.info.tasks.iter().filter(|t| t.policy == Policy::Always) {
        let Some(tally) = current.tally(&t.id, options.metric) else {
            continue;
        };
        if tally.pass < tally.counted {
            always_failed.push((t.id.clone(), tally));
        } else if tally.counted == 0 {
            always_unverified.push(t.id.clone());
        }
    }
    Ok(GateResult {
        options,
        baseline_side: baseline.side.spec.clone(),
        baseline_run: baseline.run.id.clone(),
        side: side.spec.clone(),
        run: run.info.id.clone(),
        // A drop within float noise of the tolerance is not beyond it.
        beyond_tolerance: drop > options.tolerance + 1e-9,
        significant: comparison.p_drop < options.alpha,
        drop,
        comparison,
        always_failed,
        always_unverified,
        only_baseline: base_ids.len() - common.len(),
        only_current: run_ids.len() - common.len(),
    })
}

/// The verdict with the numbers behind it, for a CI log.
pub fn render(r: &GateResult) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_verdict(&mut out, r);
    out
}

fn write_verdict(out: &mut String, r: &GateResult) -> std::fmt::Result {
    let c = &r.comparison;
    let o = &r.options;
    writeln!(
        out,
        "kiln eval gate: {}",
        if r.passed() { "PASS" } else { "FAIL" }
    )?;
    writeln!(
        out,
        "  side {} of run {} against baseline {} of run {}",
        r.side, r.run, r.baseline_side, r.baseline_run
    )?;
    let mut scope = format!("  metric {}, {} tasks compared", o.metric.label(), c.tasks);
    if !c.skipped.is_empty() {
        scope.push_str(&format!(
            ", {} left out (no counted trial on one side)",
            c.skipped.len()
        ));
    }
    if r.only_baseline + r.only_current > 0 {
        scope.push_str(&format!(
            ", {} only in the baseline, {} only in the run",
            r.only_baseline, r.only_current
        ));
    }
    writeln!(out, "{scope}")?;
    writeln!(
        out,
        "  pass rate: baseline {}, now {}; {} (tolerance {:.1}): {}",
        pct(c.a_rate),
        pct(c.b_rate),
        match r.drop < 0.0 {
            true => format!("a rise of {:.1} points", -r.drop * 100.0),
            false => format!("drop {:.1} points", r.drop * 100.0),
        },
        o.tolerance * 100.0,
        if r.beyond_tolerance {
            "beyond"
        } else {
            "within"
        }
    )?;
    writeln!(
        out,
        "  difference {} (95% paired bootstrap over tasks)",
        pp_ci(&c.diff)
    )?;
    let test = match c.test {
        PairedTest::McNemar { lost, gained } => format!(
            "one-sided exact McNemar: {lost} tasks lost, {gained} gained, p = {}",
            p_value(c.p_drop)
        ),
        PairedTest::Bootstrap => format!(
            "one-sided paired bootstrap over tasks ({} resamples): p = {}",
            o.resampling.resamples,
            p_value(c.p_drop)
        ),
    };
    writeln!(
        out,
        "  {test} (alpha {}): {}",
        o.alpha,
        if r.significant {
            "significant"
        } else {
            "not significant"
        }
    )?;
    let list = |fs: &[compare::Flip]| {
        fs.iter()
            .map(|f| match (f.a.counted, f.b.counted) {
                (1, 1) => f.task.clone(),
                _ => format!(
                    "{} ({}/{} → {}/{})",
                    f.task, f.a.pass, f.a.counted, f.b.pass, f.b.counted
                ),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !c.lost.is_empty() {
        writeln!(out, "  worse now ({}): {}", c.lost.len(), list(&c.lost))?;
    }
    if !c.gained.is_empty() {
        writeln!(
            out,
            "  better now ({}): {}",
            c.gained.len(),
            list(&c.gained)
        )?;
    }
    match r.always_failed.is_empty() {
        true => writeln!(out, "  `always` tasks: none failed")?,
        false => writeln!(
            out,
            "  `always` tasks FAILED ({}): {}",
            r.always_failed.len(),
            r.always_failed
                .iter()
                .map(|(id, t)| format!("{id} ({}/{})", t.pass, t.counted))
                .collect::<Vec<_>>()
                .join(", ")
        )?,
    }
    if !r.always_unverified.is_empty() {
        writeln!(
            out,
            "  warning: `always` tasks with only provider or harness errors, not verified: {}",
            r.always_unverified.join(", ")
        )?;
    }
    let why = match (
        r.beyond_tolerance && r.significant,
        r.always_failed.is_empty(),
    ) {
        (true, true) => "a significant drop beyond the tolerance",
        (true, false) => "a significant drop beyond the tolerance, and `always` tasks failed",
        (false, false) => "`always` tasks failed",
        (false, true) if r.beyond_tolerance => {
            "the drop is beyond the tolerance but not significant: no failure"
        }
        (false, true) if r.significant => {
            "the drop is significant but within the tolerance: no failure"
        }
        (false, true) => "no significant drop",
    };
    writeln!(out, "verdict: {why}")
}

#[cfg(test)]
#[path = "gate_tests.rs"]
mod tests;
