//! The [`EventSink`] that writes the session file.
//!
//! Each event is one line written with a single `write` call, so a killed
//! process leaves at most one torn line, at the end. Turn ends, tool
//! results and session boundaries are synced to disk (`fdatasync`): a
//! crash of the machine loses at most the turn in flight. The file is
//! locked for as long as the sink lives, so `kiln sessions` can tell a
//! running session from an interrupted one and two processes never append
//! to one file.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::SessionsError;
use super::log::SessionLog;
use super::store;
use crate::agent::{Event, EventKind, EventSink};

pub struct FileSink {
    path: PathBuf,
    /// `None` once a write failed: later lines must not follow a torn one.
    file: Option<File>,
}

impl FileSink {
    /// Creates the file of a new session (its directory too, private).
    pub fn create(path: &Path) -> Result<Self, SessionsError> {
        if let Some(dir) = path.parent() {
            create_private_dir(dir).map_err(|e| SessionsError::io(dir, e))?;
        }
        let mut options = OpenOptions::new();
        options.append(true).create_new(true);
        private_file(&mut options);
        let file = options.open(path).map_err(|e| SessionsError::io(path, e))?;
        lock(&file, path)?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Some(file),
        })
    }

    /// Opens a recorded session to append to it: locks it (a session in
    /// use elsewhere is refused), reads it under the lock, cuts off a torn
    /// last line (what a killed kiln left) and ends the last line.
    pub fn resume(path: &Path) -> Result<(Self, SessionLog), SessionsError> {
        let io = |e| SessionsError::io(path, e);
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        lock(&file, path)?;
        let bytes = std::fs::read(path).map_err(io)?;
        let log = SessionLog::parse(path, &bytes)?;
        let mut sink = Self {
            path: path.to_path_buf(),
            file: Some(file),
        };
        if let (Some(torn), Some(file)) = (&log.torn, &sink.file) {
            file.set_len(torn.offset).map_err(io)?;
        }
        if log.missing_newline
            && let Some(file) = &mut sink.file
        {
            file.write_all(b"\n").map_err(io)?;
        }
        Ok((sink, log))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write(&mut self, event: &Event) -> std::io::Result<()> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        let mut line = serde_json::to_vec(event)?;
        line.push(b'\n');
        file.write_all(&line)?;
        if must_sync(&event.kind) {
            file.sync_data()?;
        }
        Ok(())
    }
}

impl EventSink for FileSink {
    fn emit(&mut self, event: &Event) {
        if event.kind.is_delta() {
            return;
        }
        if let Err(e) = self.write(event) {
            // The session goes on; its file stops here, whole up to the
            // last line written.
            tracing::warn!(
                "cannot write the session file {}: {e}; it stops recording here",
                self.path.display()
            );
            self.file = None;
        }
    }
}

/// The points where losing the tail would lose work: a finished turn or
/// tool result, and session boundaries.
fn must_sync(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::SessionStarted { .. }
            | EventKind::SessionResumed { .. }
            | EventKind::TurnCompleted { .. }
            | EventKind::ToolCallCompleted { .. }
            | EventKind::SessionCompleted { .. }
    )
}

// File::try_lock is stable since 1.89, below the toolchain kiln builds with;
// the manifest's rust-version is older (see models::lock).
#[allow(clippy::incompatible_msrv)]
fn lock(file: &File, path: &Path) -> Result<(), SessionsError> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(SessionsError::Busy {
            id: store::id_of(path),
        }),
        Err(TryLockError::Error(e)) => Err(SessionsError::io(path, e)),
    }
}

/// Whether another process holds the session file (it is running).
#[allow(clippy::incompatible_msrv)]
pub fn in_use(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
}

/// Session files hold code and command output: only the user may read them.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn private_file(options: &mut OpenOptions) {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    #[cfg(not(unix))]
    let _ = options;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::agent::Emitter;

    fn warning(message: &str) -> EventKind {
        EventKind::Warning {
            message: message.into(),
        }
    }

    #[test]
    fn writes_finished_events_with_the_envelope_and_skips_deltas() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sessions/s1.jsonl");
        let sink = FileSink::create(&path).unwrap();
        assert!(in_use(&path), "the live sink holds the lock");
        let mut em = Emitter::new("s1".into(), vec![Box::new(sink)]);
        em.emit(warning("a"));
        em.emit(EventKind::AssistantDelta {
            turn: 1,
            text: "x".into(),
        });
        em.emit(warning("b"));
        drop(em);
        assert!(!in_use(&path), "dropping the sink releases the lock");
        let log = SessionLog::read(&path).unwrap();
        assert_eq!(log.records.len(), 2);
        assert_eq!(log.records[0].value["type"], "warning");
        assert_eq!(log.records[1].value["seq"], 3);
        assert_eq!(log.session_id(), Some("s1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A second session with the same id never overwrites the first.
        assert!(FileSink::create(&path).is_err());
    }

    #[test]
    fn resume_cuts_a_torn_tail_and_refuses_a_busy_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let whole = r#"{"v":1,"session_id":"s","seq":1,"ts":"t","type":"warning","message":"a"}"#;
        std::fs::write(&path, format!("{whole}\n{{\"v\":1,\"ty")).unwrap();
        let (sink, log) = FileSink::resume(&path).unwrap();
        assert!(log.torn.is_some());
        assert_eq!(log.last_seq(), 1);
        assert!(matches!(
            FileSink::resume(&path),
            Err(SessionsError::Busy { .. })
        ));
        let mut em = Emitter::new("s".into(), vec![Box::new(sink)]);
        em.continue_after(log.last_seq());
        em.emit(warning("b"));
        drop(em);
        let log = SessionLog::read(&path).unwrap();
        assert!(log.torn.is_none());
        assert_eq!(log.records.len(), 2);
        assert_eq!(log.last_seq(), 2);
    }

    #[test]
    fn resume_ends_a_whole_last_line_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let whole = r#"{"v":1,"session_id":"s","seq":1,"ts":"t","type":"warning","message":"a"}"#;
        std::fs::write(&path, whole).unwrap();
        let (sink, log) = FileSink::resume(&path).unwrap();
        let mut em = Emitter::new("s".into(), vec![Box::new(sink)]);
        em.continue_after(log.last_seq());
        em.emit(warning("b"));
        drop(em);
        assert_eq!(SessionLog::read(&path).unwrap().records.len(), 2);
    }
}
