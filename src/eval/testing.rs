//! Hand-built runs for the tests of the readers.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use super::record::{
    AttemptOutcome, AttemptRecord, KilnBuild, Machine, RunInfo, SideInfo, TaskMeta, TokenCounts,
};
use super::task::{Difficulty, Policy};

pub fn side(spec: &str) -> SideInfo {
    let (provider, rest) = spec.split_once(':').unwrap_or(("local", spec));
    let (model, profile) = rest.split_once('@').unwrap_or((rest, "default"));
    SideInfo {
        spec: spec.into(),
        provider: provider.into(),
        model: model.into(),
        profile: profile.into(),
        endpoint: None,
        sampling: serde_json::Value::Null,
    }
}

pub fn task(id: &str, tags: &[&str], policy: Policy) -> TaskMeta {
    TaskMeta {
        id: id.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        difficulty: Difficulty::Easy,
        policy,
    }
}

pub fn info(id: &str, tasks: Vec<TaskMeta>, sides: &[&str], trials: u32) -> RunInfo {
    RunInfo {
        id: id.into(),
        started: "2026-01-02T03:04:05Z".into(),
        kiln: KilnBuild {
            version: "0.1.0".into(),
            commit: Some("abc1234".into()),
            dirty: false,
        },
        suite: "core".into(),
        task_set_hash: "hash-1".into(),
        selection: Vec::new(),
        tasks,
        trials,
        sides: sides.iter().map(|s| side(s)).collect(),
        machine: Machine {
            os: "linux".into(),
            arch: "x86_64".into(),
            cpus: 8,
            memory_mb: 16_384,
            hostname: "ci".into(),
        },
        shard: None,
    }
}

pub fn attempt(
    side: &str,
    task: &str,
    trial: u32,
    attempt: u32,
    outcome: AttemptOutcome,
) -> AttemptRecord {
    AttemptRecord {
        side: side.into(),
        task: task.into(),
        trial,
        attempt,
        outcome,
        turns: 4,
        tool_calls: 5,
        tool_errors: Default::default(),
        tokens: TokenCounts {
            prompt: 1000,
            completion: 200,
            cached: 600,
        },
        prefill_reuse: Some(0.6),
        wall_secs: 10.0,
        model_secs: 8.0,
        check_secs: 1.0,
        diff_lines: 3,
        protected_touched: false,
        transcript: format!("transcripts/{task}/{trial}-{attempt}.jsonl"),
        error: None,
    }
}

/// Writes `run.json` and `attempts.jsonl` under `dir`.
pub fn write_run(dir: &Path, info: &RunInfo, attempts: &[AttemptRecord]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("run.json"),
        serde_json::to_string_pretty(info).unwrap(),
    )
    .unwrap();
    let mut lines = String::new();
    for a in attempts {
        lines.push_str(&serde_json::to_string(a).unwrap());
        lines.push('\n');
    }
    std::fs::write(dir.join("attempts.jsonl"), lines).unwrap();
}
