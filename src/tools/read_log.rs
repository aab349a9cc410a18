//! What the model has seen of each file: stale-write protection.
//!
//! `read_file` stamps a file (size and modification time) when the model
//! reads it, and kiln's own writes stamp what they wrote. An edit or write
//! to a file whose stamp no longer matches — a formatter, a `git checkout`
//! or the user changed it since — is refused and the model is told to read
//! it again, so it never overwrites changes it has not seen. A file the
//! model never read has no stamp and is not checked. A change that keeps
//! both the size and the modification time (within the file system's
//! timestamp resolution) goes unnoticed.
//!
//! A log made with [`ReadLog::requiring_reads`] (a profile's
//! `read_before_edit`) also refuses changes to existing files the model
//! has not read, as Claude Code does: small models otherwise edit text
//! they imagine.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::ToolError;

#[derive(Clone, Debug, Default)]
pub struct ReadLog(Arc<Mutex<State>>);

#[derive(Debug, Default)]
struct State {
    stamps: HashMap<PathBuf, Stamp>,
    require_read: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(abs: &Path) -> Option<Self> {
        let meta = std::fs::metadata(abs).ok()?;
        Some(Self {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

impl ReadLog {
    /// A log that also refuses changes to existing files never read.
    pub fn requiring_reads() -> Self {
        Self(Arc::new(Mutex::new(State {
            require_read: true,
            ..State::default()
        })))
    }

    /// Records `abs` as the model now knows it (read, or written by kiln).
    pub fn seen(&self, abs: &Path) {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match Stamp::of(abs) {
            Some(stamp) => state.stamps.insert(abs.to_path_buf(), stamp),
            None => state.stamps.remove(abs),
        };
    }

    /// Forgets what the model saw of `abs` (an undo replaced it: it must
    /// be read again before it is edited).
    pub fn forget(&self, abs: &Path) {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        state.stamps.remove(abs);
    }

    /// Refuses a write to `abs` when it changed since the model last saw it
    /// (or, when reads are required, when it exists and was never read).
    pub fn check_fresh(&self, abs: &Path, rel: &Path) -> Result<(), ToolError> {
        let state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let Some(seen) = state.stamps.get(abs) else {
            if state.require_read && abs.exists() {
                return Err(ToolError::NotRead(format!(
                    "you have not read {0} yet, so nothing was written. Call read_file on \
                     {0} first, then make your change against what it shows",
                    rel.display()
                )));
            }
            return Ok(());
        };
        if Stamp::of(abs).as_ref() == Some(seen) {
            return Ok(());
        }
        Err(ToolError::Stale(format!(
            "{} changed on disk since you last read it (another program or the user edited \
             it); nothing was written. Read it again with read_file, then redo your change \
             on its current content",
            rel.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_changed_after_reading_is_stale_until_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.txt");
        let rel = Path::new("a.txt");
        std::fs::write(&f, "one\n").unwrap();
        let log = ReadLog::default();
        // Never read: not checked.
        assert!(log.check_fresh(&f, rel).is_ok());
        log.seen(&f);
        assert!(log.check_fresh(&f, rel).is_ok());
        std::fs::write(&f, "one\ntwo\n").unwrap();
        let err = log.check_fresh(&f, rel).unwrap_err();
        assert_eq!(err.kind(), "stale");
        assert!(err.to_string().contains("a.txt changed on disk"), "{err}");
        log.seen(&f);
        assert!(log.check_fresh(&f, rel).is_ok());
    }

    #[test]
    fn required_reads_refuse_unread_existing_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.txt");
        let rel = Path::new("a.txt");
        let log = ReadLog::requiring_reads();
        // A new file needs no read.
        assert!(log.check_fresh(&f, rel).is_ok());
        std::fs::write(&f, "one\n").unwrap();
        let err = log.check_fresh(&f, rel).unwrap_err();
        assert_eq!(err.kind(), "not_read");
        assert!(err.to_string().contains("Call read_file on a.txt"), "{err}");
        log.seen(&f);
        assert!(log.check_fresh(&f, rel).is_ok());
        assert!(
            ReadLog::default()
                .check_fresh(&dir.path().join("b"), rel)
                .is_ok()
        );
    }
}
