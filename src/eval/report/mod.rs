//! `kiln eval report`: what one or more runs say, as numbers the Markdown
//! and HTML renderers both draw from.
//!
//! Every rate is a mean of per-task rates over the tasks with a counted
//! trial, with a 95% bootstrap interval over tasks. Sides come from every
//! run given; with two or more, each later side is compared with the first.

pub mod html;
pub mod markdown;
mod svg;

use std::collections::{BTreeMap, BTreeSet};

use super::compare::{self, Comparison};
use super::load::Run;
use super::record::{AttemptOutcome, TaskMeta};
use super::stats::{self, Estimate, Resampling};
use super::summary::{self, Metric, SideSummary};

/// How a report is computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// The metric of the per-tag breakdown and the paired comparison.
    pub metric: Metric,
    pub resampling: Resampling,
    /// Compare runs of different task sets over their common tasks.
    pub allow_different_tasks: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            metric: Metric::Pass,
            resampling: Resampling::default(),
            allow_different_tasks: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("no run to report")]
    NoRuns,
    #[error("{0}")]
    Mismatch(String),
}

/// Where a report's data came from.
#[derive(Clone, Debug)]
pub struct RunHeader {
    pub id: String,
    pub dir: String,
    pub started: String,
    pub suite: String,
    pub kiln: String,
    pub trials: u32,
    pub tasks: usize,
    pub shard: Option<String>,
    pub machine: String,
}

/// One side's numbers.
#[derive(Clone, Debug)]
pub struct SideReport {
    pub summary: SideSummary,
    /// pass@1, pass@2, and pass over all attempts when some trial took
    /// more than two.
    pub rates: Vec<(Metric, Option<Estimate>)>,
    /// pass^k for k = 1..=trials (empty with one trial).
    pub pass_hat_k: Vec<(u32, Option<Estimate>)>,
    /// Trials left out of the report metric's denominator.
    pub excluded_trials: u64,
    /// Tasks with a counted trial under the report's metric.
    pub counted_tasks: usize,
}

impl SideReport {
    /// `10`, or `8 of 10` when errors left tasks with no counted trial.
    pub fn tasks_cell(&self) -> String {
        let all = self.summary.tasks.len();
        match self.counted_tasks == all {
            true => all.to_string(),
            false => format!("{} of {all}", self.counted_tasks),
        }
    }

    pub fn rate(&self, metric: Metric) -> Option<Estimate> {
        self.rates
            .iter()
            .find(|(m, _)| *m == metric)
            .and_then(|(_, e)| *e)
    }
}

#[derive(Clone, Debug)]
pub struct TagRow {
    pub tag: String,
    pub tasks: usize,
    /// One per side, in side order.
    pub per_side: Vec<Option<Estimate>>,
}

/// A paired comparison of side `b` against side `a` (indices into sides).
#[derive(Clone, Debug)]
pub struct Paired {
    pub a: usize,
    pub b: usize,
    pub comparison: Comparison,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub suite: String,
    pub runs: Vec<RunHeader>,
    pub options: Options,
    /// The tasks reported, by id.
    pub tasks: Vec<TaskMeta>,
    pub sides: Vec<SideReport>,
    pub tags: Vec<TagRow>,
    pub paired: Vec<Paired>,
    /// Things the reader should know (torn lines, skipped tasks).
    pub notes: Vec<String>,
}

impl Report {
    pub fn build(runs: &[Run], options: Options) -> Result<Self, ReportError> {
        let first = runs.first().ok_or(ReportError::NoRuns)?;
        let mut notes: Vec<String> = runs.iter().flat_map(|r| r.warnings.clone()).collect();
        let tasks = common_tasks(runs, options.allow_different_tasks, &mut notes)?;
        let ids: Vec<String> = tasks.iter().map(|t| t.id.clone()).collect();
        let mut summaries = side_summaries(runs)?;
        for s in &mut summaries {
            s.tasks.retain(|id, _| ids.contains(id));
        }
        let r = options.resampling;
        let sides: Vec<SideReport> = summaries
            .into_iter()
            .map(|s| side_report(s, &ids, options))
            .collect();
        let tags = tag_rows(&tasks, &sides, options);
        let tallies: Vec<_> = sides
            .iter()
            .map(|s| s.summary.tallies(options.metric))
            .collect();
        let paired = (1..sides.len())
            .filter_map(|b| {
                Some(Paired {
                    a: 0,
                    b,
                    comparison: compare::compare(&tallies[0], &tallies[b], r)?,
                })
            })
            .collect();
        Ok(Self {
            suite: first.info.suite.clone(),
            runs: runs.iter().map(header).collect(),
            options,
            tasks,
            sides,
            tags,
            paired,
            notes,
        })
    }

    /// The rate metrics any side shows, in order.
    pub fn shown_metrics(&self) -> Vec<Metric> {
        Metric::ALL
            .into_iter()
            .filter(|m| self.sides.iter().any(|s| s.rates.iter().any(|r| r.0 == *m)))
            .collect()
    }

    /// The largest trial count of any side (pass^k columns).
    pub fn max_trials(&self) -> u32 {
        self.sides
            .iter()
            .map(|s| s.summary.trials)
            .max()
            .unwrap_or(1)
    }
}

fn header(run: &Run) -> RunHeader {
    let i = &run.info;
    let mut kiln = i.kiln.version.clone();
    if let Some(c) = &i.kiln.commit {
        kiln.push_str(&format!(
            " ({c}{})",
            if i.kiln.dirty { ", dirty" } else { "" }
        ));
    }
    let m = &i.machine;
    RunHeader {
        id: i.id.clone(),
        dir: run.dir.display().to_string(),
        started: i.started.clone(),
        suite: i.suite.clone(),
        kiln,
        trials: i.trials,
        tasks: i.tasks.len(),
        shard: i.shard.clone(),
        machine: format!(
            "{} {}, {} CPUs, {} GiB",
            m.os,
            m.arch,
            m.cpus,
            m.memory_mb / 1024
        ),
    }
}

/// The tasks every run ran. Runs of different task sets are refused
/// unless `allow_different`, since their rates would not be comparable.
fn common_tasks(
    runs: &[Run],
    allow_different: bool,
    notes: &mut Vec<String>,
) -> Result<Vec<TaskMeta>, ReportError> {
    let first = &runs[0];
    let mut common: BTreeSet<&str> = first.info.tasks.iter().map(|t| t.id.as_str()).collect();
    for run in &runs[1..] {
        let theirs: BTreeSet<&str> = run.info.tasks.iter().map(|t| t.id.as_str()).collect();
        let same_hash = run.info.task_set_hash == first.info.task_set_hash;
        if !allow_different {
            if !same_hash {
                return Err(ReportError::Mismatch(format!(
                    "runs `{}` and `{}` ran different task sets (task_set_hash {} vs {}); \
                     pass --allow-different-tasks to compare their common tasks",
                    first.info.id, run.info.id, first.info.task_set_hash, run.info.task_set_hash
                )));
            }
            if theirs != common {
                return Err(ReportError::Mismatch(format!(
                    "runs `{}` and `{}` share a task set but ran different tasks: shards of one \
                     run? Merge them first with `kiln eval merge`",
                    first.info.id, run.info.id
                )));
            }
        }
        common = common.intersection(&theirs).copied().collect();
    }
    let all: usize = runs
        .iter()
        .flat_map(|r| r.info.tasks.iter().map(|t| t.id.as_str()))
        .collect::<BTreeSet<_>>()
        .len();
    if common.len() < all {
        notes.push(format!(
            "{} of {all} tasks are common to every run; only those are reported",
            common.len()
        ));
    }
    if common.is_empty() && runs.len() > 1 {
        return Err(ReportError::Mismatch("the runs share no task".into()));
    }
    let mut tasks: Vec<TaskMeta> = first
        .info
        .tasks
        .iter()
        .filter(|t| common.contains(t.id.as_str()))
        .cloned()
        .collect();
    tasks.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(tasks)
}

/// Every side of every run, labelled uniquely.
fn side_summaries(runs: &[Run]) -> Result<Vec<SideSummary>, ReportError> {
    let mut seen_runs = BTreeSet::new();
    for run in runs {
        if !seen_runs.insert((&run.info.id, &run.dir)) {
            return Err(ReportError::Mismatch(format!(
                "run `{}` ({}) is given twice",
                run.info.id,
                run.dir.display()
            )));
        }
    }
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for s in runs.iter().flat_map(|r| &r.info.sides) {
        *count.entry(s.spec.as_str()).or_default() += 1;
    }
    let mut out = Vec::new();
    for run in runs {
        for side in &run.info.sides {
            let mut s = SideSummary::of(run, &side.spec);
            if count[side.spec.as_str()] > 1 {
                s.label = format!("{} ({})", side.spec, run.info.id);
            }
            out.push(s);
        }
    }
    let mut labels = BTreeSet::new();
    if let Some(s) = out.iter().find(|s| !labels.insert(s.label.clone())) {
        return Err(ReportError::Mismatch(format!(
            "two runs share the id `{}` and the side `{}`; give each run once",
            s.run_id, s.spec
        )));
    }
    Ok(out)
}

fn side_report(summary: SideSummary, ids: &[String], options: Options) -> SideReport {
    let r = options.resampling;
    let mut metrics = vec![Metric::Pass1, Metric::Pass2];
    if summary.max_attempts() > 2 {
        metrics.push(Metric::Pass);
    }
    let rates = metrics
        .into_iter()
        .map(|m| {
            let tallies = summary.tallies(m);
            (
                m,
                stats::bootstrap_ci(&summary::task_rates(&tallies, ids), r),
            )
        })
        .collect();
    let final_tallies = summary.tallies(Metric::Pass);
    let pass_hat_k = match summary.trials {
        1 => Vec::new(),
        n => (1..=n)
            .map(|k| {
                let values = summary::pass_hat_k_values(&final_tallies, ids, k);
                (k, stats::bootstrap_ci(&values, r))
            })
            .collect(),
    };
    let tallies = summary.tallies(options.metric);
    let excluded_trials = tallies.values().map(|t| u64::from(t.excluded)).sum();
    let counted_tasks = tallies.values().filter(|t| t.counted > 0).count();
    SideReport {
        summary,
        rates,
        pass_hat_k,
        excluded_trials,
        counted_tasks,
    }
}

fn tag_rows(tasks: &[TaskMeta], sides: &[SideReport], options: Options) -> Vec<TagRow> {
    let mut by_tag: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for t in tasks {
        for tag in &t.tags {
            by_tag.entry(tag.as_str()).or_default().push(t.id.clone());
        }
    }
    let tallies: Vec<_> = sides
        .iter()
        .map(|s| s.summary.tallies(options.metric))
        .collect();
    by_tag
        .into_iter()
        .map(|(tag, ids)| TagRow {
            tag: tag.to_string(),
            tasks: ids.len(),
            per_side: tallies
                .iter()
                .map(|t| stats::bootstrap_ci(&summary::task_rates(t, &ids), options.resampling))
                .collect(),
        })
        .collect()
}

/// `62.5%`.
pub fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// `62.5% [40.0, 85.0]`, or `–` when there is nothing to estimate.
pub fn pct_ci(e: Option<Estimate>) -> String {
    match e {
        Some(e) => format!(
            "{:.1}% [{:.1}, {:.1}]",
            e.value * 100.0,
            e.lo * 100.0,
            e.hi * 100.0
        ),
        None => "–".into(),
    }
}

/// A signed difference in percentage points: `−12.5 pp [−25.0, −2.5]`.
pub fn pp_ci(e: &Estimate) -> String {
    format!(
        "{} pp [{}, {}]",
        signed(e.value * 100.0),
        signed(e.lo * 100.0),
        signed(e.hi * 100.0)
    )
}

fn signed(x: f64) -> String {
    // Avoid "-0.0" for differences that round to nothing.
    let x = if x.abs() < 0.05 { 0.0 } else { x };
    match x > 0.0 {
        true => format!("+{x:.1}"),
        false => format!("{x:.1}").replace('-', "−"),
    }
}

/// A p-value to four places; below that, a bound.
pub fn p_value(p: f64) -> String {
    match p < 0.0001 {
        true => "< 0.0001".into(),
        false => format!("{p:.4}"),
    }
}

/// `2/3`: passes over counted trials, with excluded ones noted.
pub fn tally_cell(t: Option<summary::Tally>) -> String {
    match t {
        None => "–".into(),
        Some(t) if t.excluded > 0 => format!("{}/{} (+{} err)", t.pass, t.counted, t.excluded),
        Some(t) => format!("{}/{}", t.pass, t.counted),
    }
}

/// A thousands-grouped integer: `12,345`.
pub fn int(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Every outcome with its column heading, in report order (both formats).
pub(crate) const OUTCOMES: [(AttemptOutcome, &str); 7] = [
    (AttemptOutcome::Pass, "pass"),
    (AttemptOutcome::Fail, "fail"),
    (AttemptOutcome::Timeout, "timeout"),
    (AttemptOutcome::TurnLimit, "turn limit"),
    (AttemptOutcome::ContextExhausted, "context exhausted"),
    (AttemptOutcome::ProviderError, "provider error"),
    (AttemptOutcome::HarnessError, "harness error"),
];

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
