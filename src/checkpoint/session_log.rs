//! Telling a saved session about an undo made from outside it: `kiln undo`
//! runs in its own process, so it appends a `files_restored` event to the
//! session's file (`<state>/sessions/<id>.jsonl`, when there is one) and a
//! resumed session passes the news on to the model.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::Restored;
use crate::agent::events::SCHEMA_VERSION;

/// The session file of `session_id` under the state directory `state`;
/// `None` for an id that is not a plain name (it comes from a commit
/// message, which anyone can write).
pub fn session_file(state: &Path, session_id: &str) -> Option<PathBuf> {
    let plain = !session_id.is_empty()
        && session_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plain.then(|| state.join("sessions").join(format!("{session_id}.jsonl")))
}

/// Appends a `files_restored` event to the file of the session that took
/// the restored checkpoint, if that file exists. Returns the file written.
pub fn append_files_restored(
    state: &Path,
    restored: &Restored,
) -> std::io::Result<Option<PathBuf>> {
    let Some(session_id) = restored.checkpoint.meta.session_id.as_deref() else {
        return Ok(None);
    };
    let Some(path) = session_file(state, session_id) else {
        return Ok(None);
    };
    if !path.is_file() {
        return Ok(None);
    }
    let existing = std::fs::read(&path)?;
    let seq = last_seq(&existing) + 1;
    let ts = super::rfc3339(time::OffsetDateTime::now_utc().unix_timestamp());
    let files: Vec<String> = restored
        .files()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let line = json!({
        "v": SCHEMA_VERSION,
        "type": "files_restored",
        "session_id": session_id,
        "seq": seq,
        "ts": ts,
        "checkpoint": restored.checkpoint.id,
        "files": files,
    });
    let mut file = std::fs::OpenOptions::new().append(true).open(&path)?;
    // A torn last line (a killed writer) must not swallow ours.
    let sep = match existing.last() {
        Some(b'\n') | None => "",
        Some(_) => "\n",
    };
    // One write of the whole line, so a concurrent appender cannot split it.
    file.write_all(format!("{sep}{line}\n").as_bytes())?;
    Ok(Some(path))
}

/// The highest `seq` in the file (0 when none parses).
fn last_seq(bytes: &[u8]) -> u64 {
    bytes
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice::<serde_json::Value>(line).ok())
        .filter_map(|v| v["seq"].as_u64())
        .max()
        .unwrap_or(0)
}
