//! One download of a model at a time across kiln processes.
//!
//! An OS file lock rather than a create-new marker: the kernel drops it when
//! the holder dies, so a crashed or killed download never leaves a stale
//! lock behind. The lock file itself stays (deleting it would race with a
//! process that just opened it).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::Duration;

use super::error::FetchError;

/// Held while downloading; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct DownloadLock {
    _file: File,
}

/// Waits (asynchronously) until no other process downloads this model.
/// `on_wait` runs once, when the lock is found taken.
// File::try_lock is stable since 1.89, below the toolchain kiln builds with
// (zip already needs 1.88); the manifest's rust-version is older.
#[allow(clippy::incompatible_msrv)]
pub(crate) async fn acquire(
    path: &Path,
    on_wait: impl FnOnce(),
) -> Result<DownloadLock, FetchError> {
    let io_err = |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io_err)?;
    let mut on_wait = Some(on_wait);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(DownloadLock { _file: file }),
            Err(TryLockError::WouldBlock) => {
                if let Some(f) = on_wait.take() {
                    f();
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(TryLockError::Error(e)) => return Err(io_err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn second_holder_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.lock");
        let first = acquire(&path, || {}).await.unwrap();
        let waited = AtomicBool::new(false);
        let second = tokio::time::timeout(
            Duration::from_millis(600),
            acquire(&path, || waited.store(true, Ordering::SeqCst)),
        )
        .await;
        assert!(second.is_err(), "got the lock while it was held");
        assert!(waited.load(Ordering::SeqCst));
        drop(first);
        let again = tokio::time::timeout(Duration::from_secs(2), acquire(&path, || {})).await;
        assert!(matches!(again, Ok(Ok(_))));
    }
}
