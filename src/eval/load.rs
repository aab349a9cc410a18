//! Reading a run directory back: `run.json` and `attempts.jsonl`.
//!
//! A run killed mid-write leaves a torn last line, which is skipped with a
//! warning so an interrupted run can still be reported; any other bad line
//! is an error naming the file and line, since silently dropping records
//! would bias every rate computed from them.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use super::record::{AttemptRecord, RunInfo};

pub const RUN_FILE: &str = "run.json";
pub const ATTEMPTS_FILE: &str = "attempts.jsonl";
/// More trials than any run makes; larger counts are taken for corruption.
pub const MAX_TRIALS: u32 = 10_000;

/// A run as read from disk.
#[derive(Clone, Debug)]
pub struct Run {
    pub dir: PathBuf,
    pub info: RunInfo,
    pub attempts: Vec<AttemptRecord>,
    /// What was tolerated (a torn last line), for the caller to show.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: not a run directory (no {RUN_FILE})")]
    NotARun { path: String },
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: {error}")]
    RunJson { path: String, error: String },
    #[error("{path}:{line}: {message}")]
    Line {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Run {
    /// Reads the run at `path`: its directory, or its `run.json`.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let dir = match path.file_name().is_some_and(|n| n == RUN_FILE) && path.is_file() {
            true => path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            false => path.to_path_buf(),
        };
        let run_path = dir.join(RUN_FILE);
        let shown = run_path.display().to_string();
        if !run_path.is_file() {
            return Err(LoadError::NotARun {
                path: dir.display().to_string(),
            });
        }
        let text = std::fs::read_to_string(&run_path).map_err(|error| LoadError::Io {
            path: shown.clone(),
            error,
        })?;
        let info: RunInfo = serde_json::from_str(&text).map_err(|e| LoadError::RunJson {
            path: shown.clone(),
            error: e.to_string(),
        })?;
        check_info(&info).map_err(|message| LoadError::Invalid {
            path: shown,
            message,
        })?;
        let attempts_path = dir.join(ATTEMPTS_FILE);
        let (attempts, warnings) = match attempts_path.is_file() {
            true => {
                let text =
                    std::fs::read_to_string(&attempts_path).map_err(|error| LoadError::Io {
                        path: attempts_path.display().to_string(),
                        error,
                    })?;
                parse_attempts(&text, &attempts_path.display().to_string(), &info)?
            }
            false => (
                Vec::new(),
                vec![format!(
                    "{}: no {ATTEMPTS_FILE}; the run recorded no attempts",
                    dir.display()
                )],
            ),
        };
        Ok(Self {
            dir,
            info,
            attempts,
            warnings,
        })
    }
}

fn check_info(info: &RunInfo) -> Result<(), String> {
    if info.trials == 0 {
        return Err("`trials` is 0".into());
    }
    // Readers keep a slot per trial; a corrupt count must not exhaust memory.
    if info.trials > MAX_TRIALS {
        return Err(format!(
            "`trials` is {}, more than the {MAX_TRIALS} a run can have",
            info.trials
        ));
    }
    if info.sides.is_empty() {
        return Err("the run names no sides".into());
    }
    let mut specs = HashSet::new();
    if let Some(s) = info.sides.iter().find(|s| !specs.insert(s.spec.as_str())) {
        return Err(format!("side `{}` is listed twice", s.spec));
    }
    let mut ids = HashSet::new();
    if let Some(t) = info.tasks.iter().find(|t| !ids.insert(t.id.as_str())) {
        return Err(format!("task `{}` is listed twice", t.id));
    }
    Ok(())
}

/// Parses `attempts.jsonl` text, checking each record against `info`.
pub fn parse_attempts(
    text: &str,
    path: &str,
    info: &RunInfo,
) -> Result<(Vec<AttemptRecord>, Vec<String>), LoadError> {
    let sides: HashSet<&str> = info.sides.iter().map(|s| s.spec.as_str()).collect();
    let tasks: HashSet<&str> = info.tasks.iter().map(|t| t.id.as_str()).collect();
    let mut seen = BTreeSet::new();
    let mut records = Vec::new();
    let mut warnings = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len().saturating_sub(1);
    for (i, raw) in lines.iter().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let bad = |message: String| LoadError::Line {
            path: path.to_string(),
            line,
            message,
        };
        let record: AttemptRecord = match serde_json::from_str(raw) {
            Ok(r) => r,
            // Only the final line can be torn, and only when the write that
            // would have ended it with a newline never happened.
            Err(e) if i == last => {
                warnings.push(format!(
                    "{path}:{line}: skipped a torn last line (the run was interrupted?): {e}"
                ));
                continue;
            }
            Err(e) => return Err(bad(e.to_string())),
        };
        if !sides.contains(record.side.as_str()) {
            return Err(bad(format!(
                "side `{}` is not one of the run's sides",
                record.side
            )));
        }
        if !tasks.contains(record.task.as_str()) {
            return Err(bad(format!(
                "task `{}` is not one of the run's tasks",
                record.task
            )));
        }
        if record.trial >= info.trials {
            return Err(bad(format!(
                "trial {} is out of range (the run has {} trials, numbered from 0)",
                record.trial, info.trials
            )));
        }
        if record.attempt == 0 {
            return Err(bad("attempt 0: attempts are numbered from 1".into()));
        }
        let key = (
            record.side.clone(),
            record.task.clone(),
            record.trial,
            record.attempt,
        );
        if !seen.insert(key) {
            return Err(bad(format!(
                "a second record for side `{}`, task `{}`, trial {}, attempt {}",
                record.side, record.task, record.trial, record.attempt
            )));
        }
        records.push(record);
    }
    Ok((records, warnings))
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
