//! Where a workspace's checkpoints live: the object database of the git
//! repository that holds the workspace, or, outside git, a bare repository
//! kiln keeps under its state directory. Either way the checkpoints are
//! commits under one hidden ref per workspace, so the user's index, HEAD
//! and branches are never touched.

use std::path::{Path, PathBuf};

use git2::Repository;
use sha2::{Digest, Sha256};

use super::error::CheckpointError;

/// An open checkpoint store for one workspace.
pub(crate) struct Store {
    pub repo: Repository,
    /// The canonical workspace root.
    pub root: PathBuf,
    /// The hidden ref whose history is the checkpoint chain.
    pub ref_name: String,
    /// The workspace relative to the repository's working directory, where
    /// the workspace is in a git repository (its tracked files are covered
    /// even when an ignore rule matches them).
    pub prefix: Option<PathBuf>,
}

impl Store {
    /// Opens the store of `root` (canonical); kiln's own stores are under
    /// `state` (see [`state_dir`]). Without `create`, a missing kiln-kept
    /// store is [`CheckpointError::NoCheckpoints`].
    pub fn open(root: &Path, state: &Path, create: bool) -> Result<Self, CheckpointError> {
        let ref_name = format!("refs/kiln/checkpoints/{}", key(root));
        if let Some((repo, prefix)) = user_repo(root) {
            return Ok(Self {
                repo,
                root: root.to_path_buf(),
                ref_name,
                prefix: Some(prefix),
            });
        }
        let path = own_store_path(root, state);
        let repo = if path.exists() {
            Repository::open_bare(&path)
        } else if create {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|error| CheckpointError::Create {
                    path: parent.to_path_buf(),
                    error,
                })?;
            }
            Repository::init_bare(&path)
        } else {
            return Err(CheckpointError::NoCheckpoints(root.to_path_buf()));
        };
        let repo = repo.map_err(|error| CheckpointError::Store {
            path: path.clone(),
            error,
        })?;
        Ok(Self {
            repo,
            root: root.to_path_buf(),
            ref_name,
            prefix: None,
        })
    }
}

/// The non-bare repository whose working directory holds `root`, and
/// `root` relative to that directory.
fn user_repo(root: &Path) -> Option<(Repository, PathBuf)> {
    let repo = Repository::discover(root).ok()?;
    let workdir = repo.workdir()?.canonicalize().ok()?;
    let prefix = root.strip_prefix(&workdir).ok()?.to_path_buf();
    Some((repo, prefix))
}

/// A short stable name for a workspace: the first 16 hex digits of the
/// SHA-256 of its canonical path.
fn key(root: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let digest = Sha256::digest(root.as_os_str().as_bytes());
    hex::encode(&digest[..8])
}

/// `$XDG_STATE_HOME/kiln`, else `~/.local/state/kiln`.
pub fn state_dir() -> Result<PathBuf, CheckpointError> {
    crate::config::state_dir().ok_or(CheckpointError::NoStateDir)
}

fn own_store_path(root: &Path, state: &Path) -> PathBuf {
    state.join("checkpoints").join(format!("{}.git", key(root)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_git_workspace_uses_the_repository_and_its_subdirectory() {
        let dir = tempfile::tempdir().unwrap();
        Repository::init(dir.path()).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let root = dir.path().join("sub").canonicalize().unwrap();
        let state = tempfile::tempdir().unwrap();
        let store = Store::open(&root, state.path(), false).unwrap();
        assert_eq!(store.prefix.as_deref(), Some(Path::new("sub")));
        assert!(store.ref_name.starts_with("refs/kiln/checkpoints/"));
        assert_eq!(store.ref_name.len(), "refs/kiln/checkpoints/".len() + 16);
        assert_eq!(std::fs::read_dir(state.path()).unwrap().count(), 0);
    }

    #[test]
    fn elsewhere_kiln_keeps_a_bare_store_made_on_first_use() {
        let dir = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        assert!(matches!(
            Store::open(&root, state.path(), false),
            Err(CheckpointError::NoCheckpoints(_))
        ));
        let store = Store::open(&root, state.path(), true).unwrap();
        assert!(store.repo.is_bare());
        assert!(store.prefix.is_none());
        assert!(
            store
                .repo
                .path()
                .starts_with(state.path().join("checkpoints"))
        );
        assert!(!root.join(".git").exists(), "the workspace is left alone");
        assert!(Store::open(&root, state.path(), false).is_ok());
    }
}
