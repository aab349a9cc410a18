//! `kiln eval run`: every (side, task, trial) of a selection, a few at a
//! time, each finished trial appended to `attempts.jsonl` as it ends. A run
//! interrupted (Ctrl-C, a kill) resumes from what that file holds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio_util::sync::CancellationToken;

use super::provenance;
use super::record::{AttemptOutcome, AttemptRecord, RunInfo, TaskMeta};
use super::side::SideSpec;
use super::sides::SideRuntime;
use super::store::{self, Appender};
use super::suite::{self, Shard};
use super::task::Task;
use super::trial::{self, TrialEnd, TrialSpec};
use crate::cli::exit;
use crate::cli::setup::{Failure, usage};

/// What `kiln eval run` was asked for.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// Where kiln was started: config comes from here.
    pub cwd: PathBuf,
    /// The repository root: `evals/` is under it.
    pub root: PathBuf,
    pub suite: String,
    pub sides: Vec<String>,
    pub trials: u32,
    pub tasks: Vec<String>,
    pub tags: Vec<String>,
    pub shard: Option<Shard>,
    pub runs_dir: PathBuf,
}

/// A run ready to go: its directory, what it runs, and what is done.
pub struct Prepared {
    pub dir: PathBuf,
    pub info: RunInfo,
    /// The tasks to run, each with its place in the whole selection.
    tasks: Vec<(usize, Task)>,
    sides: Vec<SideRuntime>,
    done: Vec<AttemptRecord>,
}

fn bad_task(e: impl std::fmt::Display) -> Failure {
    usage(e.to_string())
}

fn store_failure(e: store::StoreError) -> Failure {
    (exit::FAILED, e.to_string())
}

async fn prepare_sides(specs: &[String], cwd: &Path) -> Result<Vec<SideRuntime>, Failure> {
    let mut seen = BTreeSet::new();
    let mut sides = Vec::new();
    for s in specs {
        if !seen.insert(s.as_str()) {
            return Err(usage(format!("side `{s}` is given twice")));
        }
        let spec = SideSpec::parse(s).map_err(|e| usage(e.to_string()))?;
        sides.push(SideRuntime::prepare(spec, cwd).await?);
    }
    Ok(sides)
}

/// A new run: selects the tasks, loads the sides, writes `run.json`.
pub async fn prepare_new(req: &RunRequest) -> Result<Prepared, Failure> {
    if req.sides.is_empty() {
        return Err(usage(
            "no side: give at least one --model PROVIDER:MODEL[@PROFILE]",
        ));
    }
    if req.trials == 0 {
        return Err(usage("--trials must be at least 1"));
    }
    let dir = suite::resolve(&req.root, &req.suite).map_err(bad_task)?;
    let selection = suite::select(suite::load(&dir).map_err(bad_task)?, &req.tasks, &req.tags)
        .map_err(usage)?;
    if selection.is_empty() {
        return Err(usage(format!(
            "no task of suite `{}` matches the filters",
            req.suite
        )));
    }
    let hash = suite::task_set_hash(&selection).map_err(bad_task)?;
    let selection_ids = selection.iter().map(|t| t.id().to_string()).collect();
    let indexed: Vec<(usize, Task)> = selection.into_iter().enumerate().collect();
    let tasks = match req.shard {
        Some(s) => s.pick(&indexed),
        None => indexed,
    };
    let sides = prepare_sides(&req.sides, &req.cwd).await?;
    let id = new_run_id();
    let info = RunInfo {
        id: id.clone(),
        started: now_rfc3339(),
        kiln: provenance::kiln_build(),
        suite: req.suite.clone(),
        task_set_hash: hash,
        tasks: tasks.iter().map(|(_, t)| meta(t)).collect(),
        trials: req.trials,
        sides: sides.iter().map(|s| s.info.clone()).collect(),
        machine: provenance::machine(),
        shard: req.shard.map(|s| s.to_string()),
        selection: selection_ids,
    };
    let run_dir = req.runs_dir.join(&id);
    // A new directory of its own: two runs never share one.
    std::fs::create_dir_all(&req.runs_dir)
        .and_then(|_| std::fs::create_dir(&run_dir))
        .map_err(|e| usage(format!("cannot create {}: {e}", run_dir.display())))?;
    store::write_info(&run_dir, &info).map_err(store_failure)?;
    Ok(Prepared {
        dir: run_dir,
        info,
        tasks,
        sides,
        done: Vec::new(),
    })
}

/// An interrupted run, from its directory: the same tasks (which must not
/// have changed) and sides; finished trials are kept.
pub async fn prepare_resume(run_dir: &Path, cwd: &Path, root: &Path) -> Result<Prepared, Failure> {
    let info = store::read_info(run_dir).map_err(|e| usage(e.to_string()))?;
    let dir = suite::resolve(root, &info.suite).map_err(bad_task)?;
    let all = suite::load(&dir).map_err(bad_task)?;
    let ids: Vec<String> = match info.selection.is_empty() {
        true => info.tasks.iter().map(|t| t.id.clone()).collect(),
        false => info.selection.clone(),
    };
    let selection = suite::select(all, &ids, &[]).map_err(usage)?;
    let hash = suite::task_set_hash(&selection).map_err(bad_task)?;
    if hash != info.task_set_hash {
        return Err(usage(format!(
            "the tasks of {} changed since the run started (task-set hash {} now, {} then); \
             start a new run",
            run_dir.display(),
            hash,
            info.task_set_hash
        )));
    }
    let wanted: BTreeSet<&str> = info.tasks.iter().map(|t| t.id.as_str()).collect();
    let tasks: Vec<(usize, Task)> = selection
        .into_iter()
        .enumerate()
        .filter(|(_, t)| wanted.contains(t.id()))
        .collect();
    let specs: Vec<String> = info.sides.iter().map(|s| s.spec.clone()).collect();
    let sides = prepare_sides(&specs, cwd).await?;
    let attempts: BTreeMap<String, u32> = tasks
        .iter()
        .map(|(_, t)| (t.id().to_string(), t.file.attempts))
        .collect();
    let done = store::read_finished(run_dir, &|task| attempts.get(task).copied().unwrap_or(1))
        .map_err(store_failure)?;
    Ok(Prepared {
        dir: run_dir.to_path_buf(),
        info,
        tasks,
        sides,
        done,
    })
}

fn meta(t: &Task) -> TaskMeta {
    TaskMeta {
        id: t.id().to_string(),
        tags: t.file.tags.clone(),
        difficulty: t.file.difficulty,
        policy: t.file.policy,
    }
}

/// How a run went, side by side.
#[derive(Debug, Default)]
pub struct Summary {
    pub interrupted: bool,
    /// Per side, the last attempt's outcome of each trial.
    pub sides: Vec<(String, BTreeMap<AttemptOutcome, u32>)>,
}

impl Summary {
    fn of(sides: &[SideRuntime], records: &[AttemptRecord]) -> Self {
        let mut last: BTreeMap<(&str, &str, u32), &AttemptRecord> = BTreeMap::new();
        for r in records {
            let key = (r.side.as_str(), r.task.as_str(), r.trial);
            if last.get(&key).is_none_or(|p| p.attempt < r.attempt) {
                last.insert(key, r);
            }
        }
        let sides = sides
            .iter()
            .map(|s| {
                let mut counts = BTreeMap::new();
                for r in last.values().filter(|r| r.side == s.spec.spec) {
                    *counts.entry(r.outcome).or_insert(0) += 1;
                }
                (s.spec.spec.clone(), counts)
            })
            .collect();
        Self {
            interrupted: false,
            sides,
        }
    }

    /// One line per side: passes over the trials that count, and the
    /// provider and harness errors apart.
    pub fn lines(&self) -> Vec<String> {
        self.sides
            .iter()
            .map(|(side, counts)| {
                let n = |o| counts.get(&o).copied().unwrap_or(0);
                let counted: u32 = counts
                    .iter()
                    .filter(|(o, _)| o.counts())
                    .map(|(_, n)| n)
                    .sum();
                let pass = n(AttemptOutcome::Pass);
                let rate = match counted {
                    0 => "-".to_string(),
                    c => format!("{:.1}%", 100.0 * f64::from(pass) / f64::from(c)),
                };
                format!(
                    "{side}: {pass}/{counted} trials passed ({rate}); {} provider errors, {} \
                     harness errors",
                    n(AttemptOutcome::ProviderError),
                    n(AttemptOutcome::HarnessError)
                )
            })
            .collect()
    }
}

/// Runs what is left of `p`, `jobs` trials at a time.
pub async fn execute(
    p: Prepared,
    jobs: usize,
    cancel: CancellationToken,
) -> Result<Summary, Failure> {
    let finished: BTreeSet<(String, String, u32)> = p
        .done
        .iter()
        .map(|r| (r.side.clone(), r.task.clone(), r.trial))
        .collect();
    let mut queue = Vec::new();
    for trial in 0..p.info.trials {
        for (t, (_, task)) in p.tasks.iter().enumerate() {
            for (s, side) in p.sides.iter().enumerate() {
                let key = (side.spec.spec.clone(), task.id().to_string(), trial);
                if !finished.contains(&key) {
                    queue.push((s, t, trial));
                }
            }
        }
    }
    let total = (p.info.trials as usize * p.tasks.len() * p.sides.len()) as u64;
    let bar = progress_bar(total, (finished.len() as u64).min(total));
    let mut appender = Appender::open(&p.dir).map_err(store_failure)?;
    let mut records = p.done.clone();
    let mut summary_failure = None;
    let mut interrupted = false;
    {
        let (dir, tasks, sides) = (&p.dir, &p.tasks, &p.sides);
        let mut stream = futures::stream::iter(queue)
            .map(|(s, t, trial)| {
                let cancel = cancel.clone();
                async move {
                    let side = &sides[s];
                    let _turn = side.turn().await;
                    let (index, task) = &tasks[t];
                    let spec = TrialSpec {
                        task,
                        index: *index,
                        side,
                        trial,
                        run_dir: dir,
                        cancel,
                    };
                    (s, t, trial, trial::run(spec).await)
                }
            })
            .buffer_unordered(jobs.max(1));
        while let Some((s, t, trial, end)) = stream.next().await {
            match end {
                TrialEnd::Interrupted => interrupted = true,
                TrialEnd::Done(new) => {
                    if let Err(e) = appender.append(&new) {
                        summary_failure = Some(store_failure(e));
                        cancel.cancel();
                        continue;
                    }
                    let outcome = new.last().map(|r| r.outcome);
                    bar.set_message(format!(
                        "{} · {} t{trial}: {}",
                        p.sides[s].spec,
                        p.tasks[t].1.id(),
                        outcome.map_or("-".into(), |o| crate::agent::events::wire_name(&o))
                    ));
                    bar.inc(1);
                    records.extend(new);
                }
            }
        }
    }
    bar.finish_and_clear();
    if let Some(f) = summary_failure {
        return Err(f);
    }
    let mut summary = Summary::of(&p.sides, &records);
    summary.interrupted = interrupted || cancel.is_cancelled();
    Ok(summary)
}

fn progress_bar(total: u64, done: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} trials · {wide_msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_position(done);
    bar
}

/// `20261203-165012-3f9a`: sortable, and unique enough for one machine.
fn new_run_id() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}-{:04x}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        rand::random::<u16>()
    )
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn run_ids_sort_by_time() {
        let id = super::new_run_id();
        assert_eq!(id.len(), "20261203-165012-3f9a".len(), "{id}");
        assert!(id.starts_with("20"), "{id}");
    }
}
