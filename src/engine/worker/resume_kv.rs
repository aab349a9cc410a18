//! Conversation snapshots on the engine thread: saved after a task's final
//! answer, loaded into an empty cache before the prefix warm start, so a
//! resumed conversation in a new process reuses its whole KV state.

use std::time::Instant;

use llama_cpp_2::token::LlamaToken;

use super::Worker;
use crate::engine::SnapshotSaved;
use crate::engine::warm::Lookup;

/// What looking for a conversation snapshot did.
pub(super) enum SnapshotLoad {
    /// Nothing saved shares more than the stable prefix with the prompt.
    Missing,
    /// Loaded: the cache holds the snapshot's tokens.
    Hit,
    /// One matched but could not be used; it was removed. Says why.
    Failed(String),
}

impl Worker<'_> {
    /// Loads the saved conversation sharing the longest prefix with
    /// `prompt`, when that is more than `min` tokens, into the empty cache.
    /// The normal prefix reuse then cuts whatever differs after it.
    pub(super) fn snapshot_load(&mut self, prompt: &[i32], min: usize) -> SnapshotLoad {
        let Some(snaps) = self.snapshots.clone() else {
            return SnapshotLoad::Missing;
        };
        let Some(found) = snaps.best(&self.info.identity, prompt, min) else {
            return SnapshotLoad::Missing;
        };
        let path = match snaps.cache().lookup(&found.key) {
            Lookup::Valid(path) => path,
            Lookup::Missing => {
                // A sidecar without its state: an interrupted save.
                snaps.cache().remove(&found.key);
                return SnapshotLoad::Missing;
            }
            Lookup::Corrupt => {
                return SnapshotLoad::Failed(
                    "a saved conversation snapshot failed its checksum and was removed; the \
                     conversation is prefilled again"
                        .into(),
                );
            }
        };
        let capacity = found.tokens.len() + 1;
        match self.ctx.state_seq_load_file(&path, 0, capacity) {
            Ok((tokens, _)) if tokens.iter().map(|t| t.0).eq(found.tokens.iter().copied()) => {
                self.cached = found.tokens;
                SnapshotLoad::Hit
            }
            other => {
                let why = match other {
                    Err(e) => e.to_string(),
                    Ok(_) => "its tokens differ from its sidecar".into(),
                };
                snaps.cache().remove(&found.key);
                self.reset();
                SnapshotLoad::Failed(format!(
                    "a saved conversation snapshot could not be loaded ({why}) and was removed; \
                     the conversation is prefilled again"
                ))
            }
        }
    }

    /// Saves the whole cache (prompt and answer of the last request) as a
    /// conversation snapshot, once, when that request ended a task normally.
    pub(super) fn save_snapshot(&mut self) -> Option<SnapshotSaved> {
        if !std::mem::take(&mut self.snapshot_ready) {
            return None;
        }
        let snaps = self.snapshots.clone()?;
        let started = Instant::now();
        let (key, staged) = snaps.staging(&self.info.identity, &self.cached)?;
        if snaps.cache().state_path(&key).is_file() {
            return None;
        }
        let tokens: Vec<LlamaToken> = self.cached.iter().map(|&t| LlamaToken(t)).collect();
        if let Err(e) = self.ctx.state_seq_save_file(&staged, 0, &tokens) {
            tracing::warn!("could not save the conversation snapshot: {e}");
            let _ = std::fs::remove_file(&staged);
            return None;
        }
        let bytes = std::fs::metadata(&staged).map(|m| m.len()).unwrap_or(0);
        if !snaps.commit(&self.info.identity, &key, &self.cached, &staged) {
            return None;
        }
        let saved = SnapshotSaved {
            tokens: self.cached.len(),
            bytes,
            save_ms: started.elapsed().as_millis() as u64,
        };
        tracing::debug!(?saved, "conversation snapshot saved");
        Some(saved)
    }
}
