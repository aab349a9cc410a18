//! Checkpoints and undo.
//!
//! Before an agent turn first changes anything, the workspace (tracked,
//! untracked and deleted files alike; ignored ones left out) is recorded
//! as a commit under a hidden ref, `refs/kiln/checkpoints/<workspace key>`,
//! in the repository's own object database, or outside git in a bare
//! repository kiln keeps under `$XDG_STATE_HOME/kiln/checkpoints/`. The
//! user's index, HEAD and branches are never read for writing or moved.
//! [`Checkpointer::undo`] puts a checkpoint back exactly, after recording
//! the state it replaces so that the undo can be undone too.

mod chain;
mod diff;
mod error;
mod meta;
mod note;
mod restore;
mod scan;
pub mod session_log;
mod snapshot;
mod store;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

pub use chain::{Checkpoint, SHORT_ID};
pub use error::CheckpointError;
pub use meta::{Meta, Reason};
pub use note::restored_note;
pub use store::state_dir;

use snapshot::{Objects, StatCache};
use store::Store;

/// Takes, lists and restores the checkpoints of one workspace. Cheap to
/// clone; every call opens the store afresh, so it can run on a blocking
/// thread.
#[derive(Clone, Debug)]
pub struct Checkpointer {
    root: PathBuf,
    state: PathBuf,
    session_id: Option<String>,
    /// Shared by clones, so a session hashes only what changed.
    cache: Arc<Mutex<StatCache>>,
}

/// A checkpoint just taken.
#[derive(Clone, Debug)]
pub struct Created {
    pub checkpoint: Checkpoint,
    /// Files it holds.
    pub files: usize,
    /// False when the newest checkpoint already held exactly this state
    /// and was reused.
    pub new: bool,
}

/// A checkpoint as `kiln checkpoints` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub checkpoint: Checkpoint,
    /// RFC 3339, UTC.
    pub time: String,
    /// Files that differ between the checkpoint and the workspace now.
    pub changed_files: usize,
}

/// What an undo did.
#[derive(Clone, Debug, Serialize)]
pub struct Restored {
    /// The checkpoint put back.
    pub checkpoint: Checkpoint,
    /// The checkpoint of the state the undo replaced (undo it with
    /// `kiln undo --to <its id>`); `None` when nothing had to change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_undo: Option<Checkpoint>,
    /// Files written back, workspace-relative.
    pub restored: Vec<PathBuf>,
    /// Files deleted because the checkpoint did not have them.
    pub deleted: Vec<PathBuf>,
    /// Paths that could not be restored, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<Failed>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Failed {
    pub path: PathBuf,
    pub error: String,
}

impl Restored {
    /// Every path the undo changed, sorted.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut all: Vec<PathBuf> = self.restored.iter().chain(&self.deleted).cloned().collect();
        all.sort();
        all.dedup();
        all
    }
}

impl Checkpointer {
    /// The checkpointer of the workspace at `root`, with kiln's own stores
    /// under [`state_dir`].
    pub fn new(root: &Path, session_id: Option<String>) -> Result<Self, CheckpointError> {
        Self::with_state_dir(root, &state_dir()?, session_id)
    }

    /// The same with kiln's own stores under `state` (tests).
    pub fn with_state_dir(
        root: &Path,
        state: &Path,
        session_id: Option<String>,
    ) -> Result<Self, CheckpointError> {
        let root = root.canonicalize().map_err(|error| CheckpointError::Read {
            path: root.to_path_buf(),
            error,
        })?;
        Ok(Self {
            root,
            state: state.to_path_buf(),
            session_id,
            cache: Arc::default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// kiln's state directory (session files live under it too).
    pub fn state(&self) -> &Path {
        &self.state
    }

    /// Records the workspace as it is now, before `turn` changes it.
    pub fn create(&self, turn: u32) -> Result<Created, CheckpointError> {
        let store = Store::open(&self.root, &self.state, true)?;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let snap = snapshot::take(&store, Objects::Write(&store.repo), Some(&mut cache))?;
        drop(cache);
        let meta = Meta::turn(self.session_id.clone(), turn);
        let (checkpoint, new) = chain::append(&store, snap.tree, &meta)?;
        Ok(Created {
            checkpoint,
            files: snap.files.len(),
            new,
        })
    }

    /// Every checkpoint, newest first, with how far each is from now.
    /// Writes nothing.
    pub fn list(&self) -> Result<Vec<Listed>, CheckpointError> {
        let store = Store::open(&self.root, &self.state, false)?;
        let chain = chain::list(&store)?;
        if chain.is_empty() {
            return Err(CheckpointError::NoCheckpoints(self.root.clone()));
        }
        let now = snapshot::take(&store, Objects::HashOnly, None)?;
        let mut out = Vec::with_capacity(chain.len());
        for checkpoint in chain {
            let changed_files = match checkpoint.tree == now.tree {
                true => 0,
                false => snapshot::changed(
                    &snapshot::tree_files(&store.repo, checkpoint.tree)?,
                    &now.files,
                ),
            };
            out.push(Listed {
                time: rfc3339(checkpoint.time),
                checkpoint,
                changed_files,
            });
        }
        Ok(out)
    }

    /// Puts a checkpoint back: `to` (an id prefix), else the newest one
    /// taken before a turn that differs from the files now, so repeated
    /// undos walk back turn by turn. The current state is checkpointed
    /// first (`before undo`).
    pub fn undo(&self, to: Option<&str>) -> Result<Restored, CheckpointError> {
        let store = Store::open(&self.root, &self.state, false)?;
        let chain = chain::list(&store)?;
        if chain.is_empty() {
            return Err(CheckpointError::NoCheckpoints(self.root.clone()));
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let now = snapshot::take(&store, Objects::Write(&store.repo), Some(&mut cache))?;
        let target = pick(&chain, now.tree, to)?;
        if target.tree == now.tree {
            return Ok(Restored {
                checkpoint: target.clone(),
                before_undo: None,
                restored: Vec::new(),
                deleted: Vec::new(),
                failed: Vec::new(),
            });
        }
        let meta = Meta::before_undo(self.session_id.clone(), &target.id);
        let (before, _) = chain::append(&store, now.tree, &meta)?;
        let wanted = snapshot::tree_files(&store.repo, target.tree)?;
        let applied = restore::apply(&store, &wanted, &now.files);
        Ok(Restored {
            checkpoint: target.clone(),
            before_undo: Some(before),
            restored: applied.written,
            deleted: applied.deleted,
            failed: applied
                .failed
                .into_iter()
                .map(|(path, error)| Failed { path, error })
                .collect(),
        })
    }

    /// What changed since this session's first checkpoint, as a unified
    /// diff (empty when nothing did, or the session changed nothing yet).
    /// Writes nothing.
    pub fn session_diff(&self) -> Result<String, CheckpointError> {
        let store = match Store::open(&self.root, &self.state, false) {
            Err(CheckpointError::NoCheckpoints(_)) => return Ok(String::new()),
            store => store?,
        };
        let chain = chain::list(&store)?;
        let Some(first) = chain
            .iter()
            .rev()
            .find(|c| c.meta.session_id.is_some() && c.meta.session_id == self.session_id)
        else {
            return Ok(String::new());
        };
        let now = snapshot::take(&store, Objects::HashOnly, None)?;
        if first.tree == now.tree {
            return Ok(String::new());
        }
        let before = snapshot::tree_files(&store.repo, first.tree)?;
        Ok(diff::unified(&store.repo, &self.root, &before, &now.files))
    }

    /// The checkpoint [`Checkpointer::undo`] would restore and how many
    /// files it would change. Writes nothing.
    pub fn preview(&self, to: Option<&str>) -> Result<Listed, CheckpointError> {
        let store = Store::open(&self.root, &self.state, false)?;
        let chain = chain::list(&store)?;
        if chain.is_empty() {
            return Err(CheckpointError::NoCheckpoints(self.root.clone()));
        }
        let now = snapshot::take(&store, Objects::HashOnly, None)?;
        let target = pick(&chain, now.tree, to)?;
        let files = snapshot::tree_files(&store.repo, target.tree)?;
        Ok(Listed {
            time: rfc3339(target.time),
            changed_files: snapshot::changed(&files, &now.files),
            checkpoint: target.clone(),
        })
    }
}

/// The checkpoint an undo restores: `to`, else the newest turn checkpoint
/// that differs from `now`, looking past earlier undos.
fn pick<'c>(
    chain: &'c [Checkpoint],
    now: git2::Oid,
    to: Option<&str>,
) -> Result<&'c Checkpoint, CheckpointError> {
    match to {
        Some(id) => chain::find(chain, id),
        None => chain[resume_from(chain, now)..]
            .iter()
            .find(|c| c.meta.reason == Reason::Turn && c.tree != now)
            .ok_or(CheckpointError::NothingToUndo),
    }
}

/// Where a plain undo starts looking (index into the newest-first chain):
/// right after the previous undo's target when nothing changed since that
/// undo, so repeated undos keep walking back; else at the newest.
fn resume_from(chain: &[Checkpoint], now: git2::Oid) -> usize {
    let Some(tip) = chain.first() else {
        return 0;
    };
    if tip.meta.reason != Reason::BeforeUndo {
        return 0;
    }
    tip.meta
        .undo_to
        .as_deref()
        .and_then(|id| chain.iter().position(|c| c.id == id && c.tree == now))
        .map_or(0, |i| i + 1)
}

/// Unix seconds as RFC 3339 UTC.
pub fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
