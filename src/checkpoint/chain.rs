//! The checkpoint chain: commits under one hidden ref, each the parent of
//! the next, newest at the tip.

use git2::{Oid, Repository, Signature};
use serde::Serialize;

use super::error::CheckpointError;
use super::meta::{Meta, Reason};
use super::store::Store;

/// Digits of a checkpoint id shown to people.
pub const SHORT_ID: usize = 10;

/// One checkpoint of the chain.
#[derive(Clone, Debug, Serialize)]
pub struct Checkpoint {
    /// The full commit id.
    pub id: String,
    /// Unix seconds.
    #[serde(skip)]
    pub time: i64,
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(skip)]
    pub tree: Oid,
}

impl Checkpoint {
    pub fn short_id(&self) -> &str {
        self.id.get(..SHORT_ID).unwrap_or(&self.id)
    }

    fn of(commit: &git2::Commit<'_>) -> Self {
        Self {
            id: commit.id().to_string(),
            time: commit.time().seconds(),
            meta: Meta::parse(&String::from_utf8_lossy(commit.message_bytes())),
            tree: commit.tree_id(),
        }
    }
}

/// Attempts at moving the ref when another process moves it at once.
const RACE_RETRIES: usize = 5;

/// Adds a checkpoint of `tree` at the tip. A turn's checkpoint reuses a
/// tip that is a turn's checkpoint of exactly that tree (then the tip is
/// returned and `false`); an undo's is always added, so the chain shows
/// where undos went.
pub(crate) fn append(
    store: &Store,
    tree: Oid,
    meta: &Meta,
) -> Result<(Checkpoint, bool), CheckpointError> {
    let repo = &store.repo;
    let tree_obj = repo
        .find_tree(tree)
        .map_err(CheckpointError::git("cannot read the snapshot tree"))?;
    let sig = Signature::now("kiln", "kiln@localhost")
        .map_err(CheckpointError::git("cannot make a signature"))?;
    let mut last_err = None;
    for _ in 0..RACE_RETRIES {
        let tip = tip(repo, &store.ref_name)?;
        if let Some(tip) = &tip {
            let tip_info = Checkpoint::of(tip);
            let same_reason = tip_info.meta.reason == meta.reason;
            if tip.tree_id() == tree && same_reason && meta.reason == Reason::Turn {
                return Ok((tip_info, false));
            }
        }
        let parents: Vec<&git2::Commit<'_>> = tip.iter().collect();
        let id = repo
            .commit(None, &sig, &sig, &meta.message(), &tree_obj, &parents)
            .map_err(CheckpointError::git("cannot write the checkpoint commit"))?;
        let moved = match &tip {
            Some(old) => repo.reference_matching(&store.ref_name, id, true, old.id(), "checkpoint"),
            None => repo.reference(&store.ref_name, id, false, "checkpoint"),
        };
        match moved {
            Ok(_) => {
                let commit = repo
                    .find_commit(id)
                    .map_err(CheckpointError::git("cannot read the checkpoint commit"))?;
                return Ok((Checkpoint::of(&commit), true));
            }
            // Someone else moved the ref: chain onto their checkpoint.
            Err(e) => last_err = Some(e),
        }
    }
    Err(CheckpointError::Git {
        context: "cannot move the checkpoint ref",
        error: last_err.unwrap_or_else(|| git2::Error::from_str("retries exhausted")),
    })
}

fn tip<'r>(repo: &'r Repository, name: &str) -> Result<Option<git2::Commit<'r>>, CheckpointError> {
    match repo.find_reference(name) {
        Ok(r) => r
            .peel_to_commit()
            .map(Some)
            .map_err(CheckpointError::git("cannot read the checkpoint ref")),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(CheckpointError::Git {
            context: "cannot read the checkpoint ref",
            error: e,
        }),
    }
}

/// Every checkpoint, newest first.
pub(crate) fn list(store: &Store) -> Result<Vec<Checkpoint>, CheckpointError> {
    let mut out = Vec::new();
    let mut next = tip(&store.repo, &store.ref_name)?;
    while let Some(commit) = next {
        out.push(Checkpoint::of(&commit));
        next = commit.parents().next();
    }
    Ok(out)
}

/// The checkpoint whose id starts with `prefix` (at least 4 hex digits).
pub(crate) fn find<'c>(
    chain: &'c [Checkpoint],
    prefix: &str,
) -> Result<&'c Checkpoint, CheckpointError> {
    let wanted = prefix.trim().to_ascii_lowercase();
    if wanted.len() < 4 || !wanted.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CheckpointError::NotFound(prefix.to_string()));
    }
    let hits: Vec<&Checkpoint> = chain.iter().filter(|c| c.id.starts_with(&wanted)).collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(CheckpointError::NotFound(prefix.to_string())),
        many => Err(CheckpointError::Ambiguous(
            prefix.to_string(),
            many.iter()
                .map(|c| c.short_id().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}
