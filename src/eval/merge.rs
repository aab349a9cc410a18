//! `kiln eval merge`: the shards of one run (`kiln eval run --shard i/n`
//! on several CI jobs) joined into one run directory, so one report and
//! one gate see every task.
//!
//! Shards must agree on what was run (suite, task set, sides, trials) and
//! split the tasks without overlap; anything else is refused, since a
//! merged run that mixed two configurations would report a blend.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use super::load::{ATTEMPTS_FILE, RUN_FILE, Run};
use super::record::{AttemptRecord, RunInfo};

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no shard to merge")]
    NoRuns,
    #[error("{0}")]
    Mismatch(String),
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> MergeError + '_ {
    move |error| MergeError::Io {
        path: path.display().to_string(),
        error,
    }
}

/// A merged run, ready to be written.
#[derive(Debug)]
pub struct Merged {
    pub info: RunInfo,
    pub attempts: Vec<AttemptRecord>,
    /// Transcript files to copy: (source, path relative to the new run).
    pub copies: Vec<(PathBuf, String)>,
    pub warnings: Vec<String>,
}

/// `i/n` → (i, n).
fn parse_shard(s: &str) -> Option<(u32, u32)> {
    let (i, n) = s.split_once('/')?;
    let (i, n) = (i.trim().parse().ok()?, n.trim().parse().ok()?);
    (i >= 1 && i <= n).then_some((i, n))
}

/// A transcript path that stays inside its run directory.
fn is_inside(rel: &str) -> bool {
    let p = Path::new(rel);
    !rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

pub fn merge(runs: &[Run], id: Option<&str>) -> Result<Merged, MergeError> {
    let first = runs.first().ok_or(MergeError::NoRuns)?;
    let mut warnings: Vec<String> = runs.iter().flat_map(|r| r.warnings.clone()).collect();
    let f = &first.info;
    let specs = |i: &RunInfo| i.sides.iter().map(|s| s.spec.clone()).collect::<Vec<_>>();
    let mismatch = |run: &Run, what: &str, a: String, b: String| {
        MergeError::Mismatch(format!(
            "{} ({}) and {} ({}) differ in {what}: {a} vs {b}; they are not shards of one run",
            first.dir.display(),
            f.id,
            run.dir.display(),
            run.info.id
        ))
    };
    for run in &runs[1..] {
        let i = &run.info;
        if i.suite != f.suite {
            return Err(mismatch(run, "suite", f.suite.clone(), i.suite.clone()));
        }
        if i.task_set_hash != f.task_set_hash {
            return Err(mismatch(
                run,
                "task set (task_set_hash)",
                f.task_set_hash.clone(),
                i.task_set_hash.clone(),
            ));
        }
        if i.trials != f.trials {
            return Err(mismatch(
                run,
                "trials",
                f.trials.to_string(),
                i.trials.to_string(),
            ));
        }
        if specs(i) != specs(f) {
            return Err(mismatch(
                run,
                "sides",
                specs(f).join(", "),
                specs(i).join(", "),
            ));
        }
        if let Some((a, b)) = f.sides.iter().zip(&i.sides).find(|(a, b)| a != b) {
            let json = |s| serde_json::to_string(s).unwrap_or_default();
            return Err(mismatch(
                run,
                &format!("the settings of side `{}`", a.spec),
                json(a),
                json(b),
            ));
        }
        if (&i.kiln.version, &i.kiln.commit) != (&f.kiln.version, &f.kiln.commit) {
            warnings.push(format!(
                "{} was run by kiln {} ({:?}), {} by kiln {} ({:?})",
                f.id, f.kiln.version, f.kiln.commit, i.id, i.kiln.version, i.kiln.commit
            ));
        }
    }
    check_shards(runs, &mut warnings)?;
    let mut owner: BTreeMap<&str, &Run> = BTreeMap::new();
    for run in runs {
        for t in &run.info.tasks {
            if let Some(other) = owner.insert(t.id.as_str(), run) {
                return Err(MergeError::Mismatch(format!(
                    "task `{}` is in both {} and {}: shards must split the tasks without overlap",
                    t.id,
                    other.dir.display(),
                    run.dir.display()
                )));
            }
        }
    }
    let mut tasks: Vec<_> = runs.iter().flat_map(|r| r.info.tasks.clone()).collect();
    tasks.sort_by(|a, b| a.id.cmp(&b.id));
    let ids: BTreeSet<&str> = runs.iter().map(|r| r.info.id.as_str()).collect();
    let merged_id = match (id, ids.len()) {
        (Some(id), _) => id.to_string(),
        (None, 1) => f.id.clone(),
        (None, _) => format!("{}-merged", f.id),
    };
    let started = runs
        .iter()
        .map(|r| r.info.started.clone())
        .min()
        .unwrap_or_default();
    let (attempts, copies) = collect_attempts(runs, &mut warnings);
    Ok(Merged {
        info: RunInfo {
            id: merged_id,
            started,
            tasks,
            shard: None,
            ..f.clone()
        },
        attempts,
        copies,
        warnings,
    })
}

/// Shard labels, where the runs carry them, must be one `n` and distinct
/// `i`s; missing shards are only a warning (a job may have failed).
fn check_shards(runs: &[Run], warnings: &mut Vec<String>) -> Result<(), MergeError> {
    let mut seen: BTreeMap<u32, &Run> = BTreeMap::new();
    let mut total = None;
    for run in runs {
        let Some(label) = &run.info.shard else {
            continue;
        };
        let (i, n) = parse_shard(label).ok_or_else(|| {
            MergeError::Mismatch(format!(
                "{}: shard `{label}` is not `i/n` with 1 ≤ i ≤ n",
                run.dir.display()
            ))
        })?;
        if *total.get_or_insert(n) != n {
            return Err(MergeError::Mismatch(format!(
                "{}: shard {label} of a run split {} ways, the others were split {} ways",
                run.dir.display(),
                n,
                total.unwrap_or(n)
            )));
        }
        if let Some(other) = seen.insert(i, run) {
            return Err(MergeError::Mismatch(format!(
                "{} and {} are both shard {label}",
                other.dir.display(),
                run.dir.display()
            )));
        }
    }
    if let Some(n) = total {
        let missing: Vec<String> = (1..=n)
            .filter(|i| !seen.contains_key(i))
            .map(|i| format!("{i}/{n}"))
            .collect();
        if !missing.is_empty() {
            warnings.push(format!(
                "shards {} are missing: the merged run covers only the tasks of the others",
                missing.join(", ")
            ));
        }
    }
    Ok(())
}

/// Every shard's records, with transcript paths kept unless two shards
/// used the same one (then the later goes under `shard-K/`).
fn collect_attempts(
    runs: &[Run],
    warnings: &mut Vec<String>,
) -> (Vec<AttemptRecord>, Vec<(PathBuf, String)>) {
    let mut attempts = Vec::new();
    let mut copies = Vec::new();
    let mut taken = BTreeSet::new();
    let mut outside = 0;
    for (k, run) in runs.iter().enumerate() {
        for record in &run.attempts {
            let mut record = record.clone();
            if !is_inside(&record.transcript) {
                outside += 1;
            } else {
                let src = run.dir.join(&record.transcript);
                let mut rel = record.transcript.clone();
                if !taken.insert(rel.clone()) {
                    rel = format!("shard-{}/{rel}", k + 1);
                    taken.insert(rel.clone());
                    record.transcript = rel.clone();
                }
                copies.push((src, rel));
            }
            attempts.push(record);
        }
    }
    if outside > 0 {
        warnings.push(format!(
            "{outside} transcript paths point outside their run directory; not copied"
        ));
    }
    (attempts, copies)
}

impl Merged {
    /// Writes the run to `out`, which must not exist or be empty.
    pub fn write(&self, out: &Path) -> Result<Vec<String>, MergeError> {
        if out.exists() {
            let mut entries = std::fs::read_dir(out).map_err(io(out))?;
            if entries.next().is_some() {
                return Err(MergeError::Mismatch(format!(
                    "{}: the output directory is not empty",
                    out.display()
                )));
            }
        }
        std::fs::create_dir_all(out).map_err(io(out))?;
        let mut warnings = Vec::new();
        let mut missing = 0;
        for (src, rel) in &self.copies {
            if !src.is_file() {
                missing += 1;
                continue;
            }
            let dest = out.join(rel);
            if let Some(dir) = dest.parent() {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
            }
            std::fs::copy(src, &dest).map_err(io(src))?;
        }
        if missing > 0 {
            warnings.push(format!(
                "{missing} of {} transcripts were not found in their shard; the records keep their paths",
                self.copies.len()
            ));
        }
        let mut lines = String::new();
        for a in &self.attempts {
            let line = serde_json::to_string(a)
                .map_err(|e| io(out)(std::io::Error::other(e.to_string())))?;
            lines.push_str(&line);
            lines.push('\n');
        }
        let path = out.join(ATTEMPTS_FILE);
        std::fs::write(&path, lines).map_err(io(&path))?;
        // run.json last: a directory without it is not mistaken for a run.
        let info = serde_json::to_string_pretty(&self.info)
            .map_err(|e| io(out)(std::io::Error::other(e.to_string())))?;
        let path = out.join(RUN_FILE);
        std::fs::write(&path, info + "\n").map_err(io(&path))?;
        Ok(warnings)
    }
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
