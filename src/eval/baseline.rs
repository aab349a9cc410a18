//! The baseline file: one side of one run, reduced to per-task pass
//! counts, which `kiln eval gate` compares later runs against. It is kept
//! in the repository, so it holds counts, not transcripts.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::load::Run;
use super::record::{KilnBuild, SideInfo};
use super::stats;
use super::summary::{self, Metric, SideSummary, Tally};
use super::task::Policy;

/// The format's version; a reader refuses files of a newer one.
pub const BASELINE_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Baseline {
    pub version: u32,
    /// The kiln that wrote this file.
    pub kiln: String,
    pub suite: String,
    pub task_set_hash: String,
    pub side: SideInfo,
    pub trials: u32,
    /// The run it was taken from.
    pub run: BaselineRun,
    /// Mean per-task pass rates, by metric, over tasks with a counted trial.
    pub rates: Rates,
    pub tasks: BTreeMap<String, BaselineTask>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct BaselineRun {
    pub id: String,
    pub started: String,
    pub kiln: KilnBuild,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Rates {
    pub pass1: Option<f64>,
    pub pass2: Option<f64>,
    pub pass: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct BaselineTask {
    pub policy: Policy,
    #[serde(default)]
    pub tags: Vec<String>,
    pub pass1: Tally,
    pub pass2: Tally,
    pub pass: Tally,
}

impl BaselineTask {
    pub fn tally(&self, metric: Metric) -> Tally {
        match metric {
            Metric::Pass1 => self.pass1,
            Metric::Pass2 => self.pass2,
            Metric::Pass => self.pass,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: not a baseline file: {error}")]
    Parse { path: String, error: String },
    #[error(
        "{path}: baseline format version {found}, but this kiln reads up to {BASELINE_VERSION}; \
         update kiln or write the baseline again"
    )]
    Version { path: String, found: u32 },
    #[error("{0}")]
    Side(String),
}

/// The side of `run` named `spec`, or its only side when `spec` is `None`.
pub fn pick_side<'a>(run: &'a Run, spec: Option<&str>) -> Result<&'a SideInfo, BaselineError> {
    let specs = || {
        run.info
            .sides
            .iter()
            .map(|s| format!("`{}`", s.spec))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match spec {
        Some(spec) => run
            .info
            .sides
            .iter()
            .find(|s| s.spec == spec)
            .ok_or_else(|| {
                BaselineError::Side(format!(
                    "run `{}` has no side `{spec}`; its sides: {}",
                    run.info.id,
                    specs()
                ))
            }),
        None => match &run.info.sides[..] {
            [only] => Ok(only),
            _ => Err(BaselineError::Side(format!(
                "run `{}` has {} sides; choose one with --side ({})",
                run.info.id,
                run.info.sides.len(),
                specs()
            ))),
        },
    }
}

impl Baseline {
    /// The baseline of side `spec` (or the only side) of `run`.
    pub fn from_run(run: &Run, spec: Option<&str>) -> Result<Self, BaselineError> {
        let side = pick_side(run, spec)?;
        let summary = SideSummary::of(run, &side.spec);
        let tallies = Metric::ALL.map(|m| summary.tallies(m));
        let ids: Vec<String> = summary.tasks.keys().cloned().collect();
        let rate = |i: usize| stats::mean(&summary::task_rates(&tallies[i], &ids));
        let tasks = run
            .info
            .tasks
            .iter()
            .map(|t| {
                let get = |i: usize| tallies[i].get(&t.id).copied().unwrap_or_default();
                (
                    t.id.clone(),
                    BaselineTask {
                        policy: t.policy,
                        tags: t.tags.clone(),
                        pass1: get(0),
                        pass2: get(1),
                        pass: get(2),
                    },
                )
            })
            .collect();
        Ok(Self {
            version: BASELINE_VERSION,
            kiln: env!("CARGO_PKG_VERSION").to_string(),
            suite: run.info.suite.clone(),
            task_set_hash: run.info.task_set_hash.clone(),
            side: side.clone(),
            trials: run.info.trials,
            run: BaselineRun {
                id: run.info.id.clone(),
                started: run.info.started.clone(),
                kiln: run.info.kiln.clone(),
            },
            rates: Rates {
                pass1: rate(0),
                pass2: rate(1),
                pass: rate(2),
            },
            tasks,
        })
    }

    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| BaselineError::Io {
            path: shown.clone(),
            error,
        })?;
        // Read the version first, so a newer file gets the right message
        // rather than a complaint about a field it renamed.
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let v: Versioned = serde_json::from_str(&text).map_err(|e| BaselineError::Parse {
            path: shown.clone(),
            error: e.to_string(),
        })?;
        if v.version > BASELINE_VERSION || v.version == 0 {
            return Err(BaselineError::Version {
                path: shown,
                found: v.version,
            });
        }
        serde_json::from_str(&text).map_err(|e| BaselineError::Parse {
            path: shown,
            error: e.to_string(),
        })
    }

    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        let io = |error| BaselineError::Io {
            path: path.display().to_string(),
            error,
        };
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| io(std::io::Error::other(e.to_string())))?;
        text.push('\n');
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(path, text).map_err(io)
    }

    pub fn tallies(&self, metric: Metric) -> BTreeMap<String, Tally> {
        self.tasks
            .iter()
            .map(|(id, t)| (id.clone(), t.tally(metric)))
            .collect()
    }
}
