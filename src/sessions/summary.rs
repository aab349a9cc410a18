//! One line about a session for `kiln sessions`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::SessionsError;
use super::file_sink::in_use;
use super::log::SessionLog;
use super::meta::SessionMeta;

/// Where a session stands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "outcome")]
pub enum SessionState {
    /// Its last task ended with this outcome (`done`, `turn_limit`, …).
    Ended(String),
    /// A kiln process holds it now.
    Running,
    /// Its last task never ended: the process was killed or crashed.
    Interrupted,
}

impl SessionState {
    pub fn label(&self) -> &str {
        match self {
            SessionState::Ended(outcome) => outcome,
            SessionState::Running => "running",
            SessionState::Interrupted => "interrupted",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct SessionSummary {
    pub id: String,
    pub path: PathBuf,
    pub started: String,
    pub updated: String,
    pub cwd: PathBuf,
    pub provider: String,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The first task, as sent.
    pub task: String,
    /// Model requests across every task.
    pub turns: u64,
    /// Tasks given (the first and every resume).
    pub tasks: u64,
    #[serde(flatten)]
    pub state: SessionState,
}

impl SessionSummary {
    pub fn read(path: &Path) -> Result<Self, SessionsError> {
        let log = SessionLog::read(path)?;
        let meta = SessionMeta::of(&log)?;
        let mut task = None;
        let (mut turns, mut tasks) = (0, 0);
        // The last task ended when a session_completed follows it.
        let mut ended: Option<String> = None;
        for r in &log.records {
            match r.kind() {
                "user_message" => {
                    tasks += 1;
                    task.get_or_insert_with(|| r.str("text").unwrap_or_default().to_string());
                    ended = None;
                }
                "turn_completed" => turns += 1,
                "session_completed" => {
                    ended = Some(r.str("outcome").unwrap_or("unknown").to_string());
                }
                _ => {}
            }
        }
        let state = match ended {
            _ if in_use(path) => SessionState::Running,
            Some(outcome) => SessionState::Ended(outcome),
            None => SessionState::Interrupted,
        };
        Ok(Self {
            id: meta.id,
            path: path.to_path_buf(),
            started: meta.started,
            updated: meta.updated,
            cwd: meta.cwd,
            provider: meta.provider,
            model: meta.model,
            profile: meta.profile,
            task: task.unwrap_or_default(),
            turns,
            tasks,
            state,
        })
    }
}

/// Every readable session in `dir`, most recently active first, with the
/// problems of those that could not be read.
pub fn all(dir: &Path) -> Result<(Vec<SessionSummary>, Vec<SessionsError>), SessionsError> {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for path in super::store::list(dir)? {
        match SessionSummary::read(&path) {
            Ok(s) => found.push(s),
            Err(e) => problems.push(e),
        }
    }
    // RFC 3339 UTC timestamps sort as text once the `Z` is gone (kiln
    // writes no fraction when it is zero: `…:05Z` must sort before `…:05.1Z`).
    let key = |s: &SessionSummary| s.updated.trim_end_matches('Z').to_string();
    found.sort_by(|a, b| key(b).cmp(&key(a)).then_with(|| b.id.cmp(&a.id)));
    Ok((found, problems))
}
