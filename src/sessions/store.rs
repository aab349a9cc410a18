//! Where session files live and how they are found by id.

use std::path::{Path, PathBuf};

use super::SessionsError;

const EXT: &str = "jsonl";

/// `sessions/` in kiln's state directory ([`crate::config::state_dir`]).
pub fn sessions_dir() -> Result<PathBuf, SessionsError> {
    crate::config::state_dir()
        .map(|d| d.join("sessions"))
        .ok_or(SessionsError::NoStateDir)
}

/// The file of session `id` in `dir`.
pub fn path_for(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.{EXT}"))
}

/// Every session file in `dir` (none when it does not exist yet).
pub fn list(dir: &Path) -> Result<Vec<PathBuf>, SessionsError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(SessionsError::io(dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| SessionsError::io(dir, e))?.path();
        if path.extension().is_some_and(|e| e == EXT) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The id a session file holds (its name without `.jsonl`).
pub fn id_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The one session whose id starts with `prefix`.
pub fn find(dir: &Path, prefix: &str) -> Result<PathBuf, SessionsError> {
    let prefix = prefix.trim();
    if prefix.is_empty() {
        return Err(SessionsError::NotFound(String::new()));
    }
    let mut matches: Vec<PathBuf> = list(dir)?
        .into_iter()
        .filter(|p| id_of(p).starts_with(prefix))
        .collect();
    match matches.len() {
        0 => Err(SessionsError::NotFound(prefix.to_string())),
        1 => Ok(matches.remove(0)),
        count => {
            let ids: Vec<String> = matches.iter().take(5).map(|p| id_of(p)).collect();
            let more = if count > 5 { ", …" } else { "" };
            Err(SessionsError::Ambiguous {
                prefix: prefix.to_string(),
                count,
                ids: format!("{}{more}", ids.join(", ")),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn find_by_unique_prefix() {
        let dir = tempfile::tempdir().unwrap();
        for id in ["abc123", "abd456", "zzz"] {
            std::fs::write(path_for(dir.path(), id), "").unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "").unwrap();
        assert_eq!(id_of(&find(dir.path(), "abc").unwrap()), "abc123");
        assert!(matches!(
            find(dir.path(), "ab"),
            Err(SessionsError::Ambiguous { count: 2, .. })
        ));
        assert!(matches!(
            find(dir.path(), "q"),
            Err(SessionsError::NotFound(_))
        ));
        assert!(find(dir.path(), "").is_err());
        assert_eq!(list(dir.path()).unwrap().len(), 3);
        assert!(list(&dir.path().join("missing")).unwrap().is_empty());
    }
}
