//! What can go wrong while taking, listing or restoring checkpoints.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("no checkpoints for {}", .0.display())]
    NoCheckpoints(PathBuf),
    #[error("no checkpoint `{0}` in this workspace (see `kiln checkpoints`)")]
    NotFound(String),
    #[error("checkpoint id `{0}` is ambiguous: {1}")]
    Ambiguous(String, String),
    #[error("no older checkpoint differs from the files as they are now")]
    NothingToUndo,
    #[error(
        "the workspace is too large to checkpoint ({files} files, {mib} MiB; the limits are \
         {max_files} files and {max_mib} MiB): ignore the bulk in .gitignore, or turn \
         checkpoints off with `checkpoints = false`"
    )]
    TooLarge {
        files: usize,
        mib: u64,
        max_files: usize,
        max_mib: u64,
    },
    #[error("checkpoints are off for this session")]
    Disabled,
    #[error("the checkpoint task stopped: {0}")]
    Task(String),
    #[error("no state directory: set XDG_STATE_HOME or HOME")]
    NoStateDir,
    #[error("cannot read {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot walk the workspace: {0}")]
    Walk(String),
    #[error("checkpoint store {}: {error}", path.display())]
    Store { path: PathBuf, error: git2::Error },
    #[error("{context}: {error}")]
    Git {
        context: &'static str,
        error: git2::Error,
    },
    #[error("cannot create {}: {error}", path.display())]
    Create {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl CheckpointError {
    /// Wraps a git2 error with what was being done.
    pub(crate) fn git(context: &'static str) -> impl FnOnce(git2::Error) -> Self {
        move |error| Self::Git { context, error }
    }

    /// Whether the user asked for something that is not there (exit 2),
    /// as opposed to a failure while doing it.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::NoCheckpoints(_) | Self::NotFound(_) | Self::Ambiguous(..) | Self::NothingToUndo
        )
    }
}
