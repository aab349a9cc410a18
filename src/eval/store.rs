//! The files of a run directory: `run.json`, written once, and
//! `attempts.jsonl`, appended one finished trial at a time so an
//! interrupted run loses at most the trials in flight.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::record::{AttemptOutcome, AttemptRecord, RunInfo};

pub const RUN_FILE: &str = "run.json";
pub const ATTEMPTS_FILE: &str = "attempts.jsonl";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: {error}")]
    Json {
        path: String,
        error: serde_json::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.display().to_string();
    move |error| StoreError::Io { path, error }
}

/// Writes `run.json` in `dir` (created if needed), atomically.
pub fn write_info(dir: &Path, info: &RunInfo) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join(RUN_FILE);
    let text = serde_json::to_string_pretty(info).map_err(|error| StoreError::Json {
        path: path.display().to_string(),
        error,
    })?;
    write_atomic(&path, format!("{text}\n").as_bytes())
}

pub fn read_info(dir: &Path) -> Result<RunInfo, StoreError> {
    let path = dir.join(RUN_FILE);
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    serde_json::from_str(&text).map_err(|error| StoreError::Json {
        path: path.display().to_string(),
        error,
    })
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    tmp.write_all(bytes).map_err(io(path))?;
    tmp.as_file().sync_all().map_err(io(path))?;
    tmp.persist(path).map_err(|e| io(path)(e.error))?;
    Ok(())
}

/// Appends records to `attempts.jsonl`.
pub struct Appender {
    path: PathBuf,
    file: std::fs::File,
}

impl Appender {
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(ATTEMPTS_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        Ok(Self { path, file })
    }

    /// One write per trial, synced, so a trial is on disk whole or (when
    /// the process dies mid-write) as a torn last line that
    /// [`read_finished`] drops.
    pub fn append(&mut self, records: &[AttemptRecord]) -> Result<(), StoreError> {
        let mut buf = String::new();
        for r in records {
            let line = serde_json::to_string(r).map_err(|error| StoreError::Json {
                path: self.path.display().to_string(),
                error,
            })?;
            buf.push_str(&line);
            buf.push('\n');
        }
        self.file
            .write_all(buf.as_bytes())
            .map_err(io(&self.path))?;
        self.file.sync_data().map_err(io(&self.path))
    }
}

/// The records of finished trials in `dir`'s `attempts.jsonl`; lines that
/// do not parse (a torn last line) and trials whose last attempt is
/// missing are dropped, and the file is rewritten without them.
/// `attempts` gives each task's attempt count.
pub fn read_finished(
    dir: &Path,
    attempts: &dyn Fn(&str) -> u32,
) -> Result<Vec<AttemptRecord>, StoreError> {
    let path = dir.join(ATTEMPTS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&path)(e)),
    };
    let mut lines = 0;
    let mut trials: BTreeMap<(String, String, u32), Vec<AttemptRecord>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        lines += 1;
        if let Ok(r) = serde_json::from_str::<AttemptRecord>(line) {
            trials
                .entry((r.side.clone(), r.task.clone(), r.trial))
                .or_default()
                .push(r);
        }
    }
    let kept: Vec<AttemptRecord> = trials
        .into_values()
        .filter(|records| finished(records, attempts))
        .flatten()
        .collect();
    if kept.len() != lines {
        let mut buf = String::new();
        for r in &kept {
            if let Ok(line) = serde_json::to_string(r) {
                buf.push_str(&line);
                buf.push('\n');
            }
        }
        write_atomic(&path, buf.as_bytes())?;
    }
    Ok(kept)
}

/// A trial is finished when its attempts run 1..=n without a gap and the
/// last one ended it: anything but `fail`, or the task's last attempt.
fn finished(records: &[AttemptRecord], attempts: &dyn Fn(&str) -> u32) -> bool {
    let mut sorted: Vec<&AttemptRecord> = records.iter().collect();
    sorted.sort_by_key(|r| r.attempt);
    let consecutive = sorted
        .iter()
        .enumerate()
        .all(|(i, r)| r.attempt == i as u32 + 1);
    match sorted.last() {
        Some(last) if consecutive => {
            last.outcome != AttemptOutcome::Fail || last.attempt >= attempts(&last.task)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::record::TokenCounts;

    fn rec(task: &str, trial: u32, attempt: u32, outcome: AttemptOutcome) -> AttemptRecord {
        AttemptRecord {
            side: "oracle:none".into(),
            task: task.into(),
            trial,
            attempt,
            outcome,
            turns: 1,
            tool_calls: 0,
            tool_errors: Default::default(),
            tokens: TokenCounts::default(),
            prefill_reuse: None,
            wall_secs: 0.1,
            model_secs: 0.0,
            check_secs: 0.1,
            diff_lines: 0,
            protected_touched: false,
            transcript: "t".into(),
            error: None,
        }
    }

    #[test]
    fn torn_lines_and_unfinished_trials_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Appender::open(dir.path()).unwrap();
        use AttemptOutcome::*;
        a.append(&[rec("a", 0, 1, Fail), rec("a", 0, 2, Pass)])
            .unwrap();
        a.append(&[rec("b", 0, 1, Fail)]).unwrap(); // attempt 2 missing
        a.append(&[rec("c", 0, 1, Pass)]).unwrap();
        a.append(&[rec("d", 0, 1, HarnessError)]).unwrap();
        drop(a);
        let path = dir.path().join(ATTEMPTS_FILE);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"side\":\"oracle:none\",\"task\":\"e\",\"tri");
        std::fs::write(&path, text).unwrap();

        let kept = read_finished(dir.path(), &|_| 2).unwrap();
        let keys: Vec<(&str, u32)> = kept.iter().map(|r| (r.task.as_str(), r.attempt)).collect();
        assert_eq!(keys, [("a", 1), ("a", 2), ("c", 1), ("d", 1)]);
        let again = read_finished(dir.path(), &|_| 2).unwrap();
        assert_eq!(again, kept, "the file was rewritten clean");
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 4);
        // With one attempt per task, b's failure finished its trial.
        let mut a = Appender::open(dir.path()).unwrap();
        a.append(&[rec("b", 0, 1, Fail)]).unwrap();
        assert_eq!(read_finished(dir.path(), &|_| 1).unwrap().len(), 5);
    }
}
