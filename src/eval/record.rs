//! What a run writes under `runs/<id>/`: `run.json` ([`RunInfo`]) once, and
//! one [`AttemptRecord`] per line of `attempts.jsonl`. Reports, gates,
//! baselines and merges read only these files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::task::{Difficulty, Policy};

/// `run.json`: everything needed to say what was compared.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct RunInfo {
    pub id: String,
    /// RFC 3339.
    pub started: String,
    pub kiln: KilnBuild,
    pub suite: String,
    /// sha256 over the sorted task ids and the bytes of their files, so two
    /// runs can be compared only when they ran the same tasks. Taken over
    /// the selection before `--shard`, so every shard of a run shares it.
    pub task_set_hash: String,
    /// The tasks run (after `--tag`/`--task` filters and `--shard`).
    pub tasks: Vec<TaskMeta>,
    pub trials: u32,
    pub sides: Vec<SideInfo>,
    pub machine: Machine,
    /// `i/n` when this run is one shard of a larger one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// The ids of the whole selection `task_set_hash` is taken over
    /// (before `--shard`), so a resumed run can check that the tasks did
    /// not change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selection: Vec<String>,
}

/// What reports need to know of a task without its directory.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct TaskMeta {
    pub id: String,
    pub tags: Vec<String>,
    pub difficulty: Difficulty,
    pub policy: Policy,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct KilnBuild {
    pub version: String,
    /// The git commit kiln was built from, when known.
    pub commit: Option<String>,
    /// Whether that checkout had uncommitted changes.
    pub dirty: bool,
}

/// One compared side: `PROVIDER:MODEL[@PROFILE]`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct SideInfo {
    /// The string given on the command line; the key in every record.
    pub spec: String,
    pub provider: String,
    pub model: String,
    pub profile: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The sampling the profile asked for, as JSON.
    #[serde(default)]
    pub sampling: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Machine {
    pub os: String,
    pub arch: String,
    pub cpus: usize,
    pub memory_mb: u64,
    pub hostname: String,
}

/// How one attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Pass,
    Fail,
    Timeout,
    TurnLimit,
    ContextExhausted,
    /// The model's backend failed (unreachable, erroring after retries).
    ProviderError,
    /// kiln or the task failed (a broken check, a fixture that cannot be
    /// copied): not the model's fault.
    HarnessError,
}

impl AttemptOutcome {
    /// Provider and harness errors say nothing about the model's skill, so
    /// they stay out of pass-rate denominators and are reported apart.
    pub fn counts(self) -> bool {
        !matches!(self, Self::ProviderError | Self::HarnessError)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct TokenCounts {
    pub prompt: u64,
    pub completion: u64,
    /// Prompt tokens served from a cache (the engine's KV reuse or the
    /// endpoint's prompt cache).
    pub cached: u64,
}

/// One line of `attempts.jsonl`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct AttemptRecord {
    /// [`SideInfo::spec`].
    pub side: String,
    pub task: String,
    /// 0-based.
    pub trial: u32,
    /// 1-based; attempt 2 saw attempt 1's failing check output.
    pub attempt: u32,
    pub outcome: AttemptOutcome,
    pub turns: u32,
    pub tool_calls: u32,
    /// Failed tool calls by error kind.
    #[serde(default)]
    pub tool_errors: BTreeMap<String, u32>,
    pub tokens: TokenCounts,
    /// Share of prompt tokens not prefilled again (0 to 1), when known.
    #[serde(default)]
    pub prefill_reuse: Option<f64>,
    pub wall_secs: f64,
    pub model_secs: f64,
    pub check_secs: f64,
    /// Lines added plus removed against the baseline commit.
    pub diff_lines: u64,
    /// Whether the agent changed a file that `check/` provides.
    pub protected_touched: bool,
    /// The attempt's event log, relative to the run directory.
    pub transcript: String,
    /// What went wrong, for anything but `pass` and `fail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
