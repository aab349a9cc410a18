//! Session files: every finished event of a session, one JSON line each, in
//! `$XDG_STATE_HOME/kiln/sessions/<id>.jsonl` (default
//! `~/.local/state/kiln/sessions`), so `kiln sessions` can list them and
//! `kiln resume` can rebuild the conversation and go on.
//!
//! The file is written as the session runs ([`FileSink`]): each line in one
//! write, synced to disk at every turn and tool result, so a killed kiln
//! loses at most the item in flight. Reading ([`log`]) tolerates exactly
//! that: a torn last line. Anything else malformed is an error naming the
//! file and line, never silently skipped.

pub mod file_sink;
pub mod log;
pub mod meta;
pub mod replay;
pub mod store;
pub mod summary;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use file_sink::FileSink;
pub use log::SessionLog;
pub use meta::SessionMeta;
pub use replay::{Replayed, replay};
pub use summary::{SessionState, SessionSummary};

/// The backend and profile a session ran with, as `kiln resume` chooses
/// them again: the configured values after layering (model files made
/// absolute), not the backend's display names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResumeChoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionsError {
    #[error("cannot locate the session directory: neither XDG_STATE_HOME nor HOME is set")]
    NoStateDir,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Unusable { path: PathBuf, message: String },
    #[error("no session id starts with `{0}` (see `kiln sessions --all`)")]
    NotFound(String),
    #[error("`{prefix}` matches {count} sessions ({ids}); give more of the id")]
    Ambiguous {
        prefix: String,
        count: usize,
        ids: String,
    },
    #[error("session {id} is in use by another kiln process; wait for it to end")]
    Busy { id: String },
}

impl SessionsError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        SessionsError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
