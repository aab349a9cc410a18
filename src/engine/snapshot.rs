//! Conversation snapshots: the KV state of a whole conversation (prompt and
//! answer) saved at the end of a task, so a resumed session in a new process
//! reuses all of it instead of only the system prefix.
//!
//! Each snapshot is a [`WarmCache`] entry (state file, sha256 marker,
//! staging file) in `kv/conv/`, plus a sidecar with its token ids so a new
//! prompt can be matched against it without loading the state. The sidecar
//! is checked against the key (a hash of the model identity and the tokens),
//! so a damaged one is detected and removed like a damaged state.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::tokens::common_prefix;
use super::warm::WarmCache;

/// Most snapshots kept; the least recently used go first. Small, because a
/// snapshot of a long conversation is tens of megabytes.
pub const MAX_SNAPSHOTS: usize = 4;

/// The snapshots directory under the warm-start directory.
#[derive(Clone, Debug)]
pub struct Snapshots {
    cache: WarmCache,
}

/// A saved snapshot that shares a useful prefix with a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub key: String,
    pub tokens: Vec<i32>,
    /// Tokens it has in common with the prompt, from the start.
    pub shared: usize,
}

#[derive(Serialize, Deserialize)]
struct Sidecar {
    identity: String,
    tokens: Vec<i32>,
}

impl Snapshots {
    pub fn new(warm_dir: &Path) -> Self {
        Self {
            cache: WarmCache::with_limit(warm_dir.join("conv"), MAX_SNAPSHOTS),
        }
    }

    pub fn cache(&self) -> &WarmCache {
        &self.cache
    }

    /// The snapshot of this model sharing the longest prefix with `prompt`,
    /// when that prefix is longer than `min` tokens.
    pub fn best(&self, identity: &str, prompt: &[i32], min: usize) -> Option<Candidate> {
        let entries = std::fs::read_dir(self.cache.dir()).ok()?;
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".tokens").map(str::to_string)
            })
            .filter_map(|key| {
                let tokens = self.sidecar(&key, identity)?;
                let shared = common_prefix(&tokens, prompt);
                (shared > min).then_some(Candidate {
                    key,
                    tokens,
                    shared,
                })
            })
            .max_by_key(|c| c.shared)
    }

    /// The tokens of snapshot `key` when it belongs to this model. A sidecar
    /// that cannot be read or does not match its key is removed with its
    /// state.
    fn sidecar(&self, key: &str, identity: &str) -> Option<Vec<i32>> {
        let parsed = std::fs::read(self.cache.tokens_path(key))
            .ok()
            .and_then(|b| serde_json::from_slice::<Sidecar>(&b).ok());
        match parsed {
            Some(s) if s.identity != identity => None,
            Some(s) if WarmCache::key(identity, &s.tokens) == key => Some(s.tokens),
            _ => {
                tracing::warn!("removing a damaged conversation snapshot {key}");
                self.cache.remove(key);
                None
            }
        }
    }

    /// A staging path for the state of `tokens`, and its key; `None` when
    /// the directory cannot be created.
    pub fn staging(&self, identity: &str, tokens: &[i32]) -> Option<(String, PathBuf)> {
        let key = WarmCache::key(identity, tokens);
        let path = self.cache.staging_path(&key)?;
        Some((key, path))
    }

    /// Publishes a staged state with its sidecar, then drops the snapshots
    /// it supersedes (those whose tokens are a prefix of these: this one
    /// shares at least as much with any prompt).
    pub fn commit(&self, identity: &str, key: &str, tokens: &[i32], staged: &Path) -> bool {
        let sidecar = Sidecar {
            identity: identity.to_string(),
            tokens: tokens.to_vec(),
        };
        let Ok(bytes) = serde_json::to_vec(&sidecar) else {
            return false;
        };
        let path = self.cache.tokens_path(key);
        if crate::tools::write_file::write_atomic(&path, &bytes).is_err() {
            let _ = std::fs::remove_file(staged);
            return false;
        }
        if !self.cache.commit(key, staged) {
            return false;
        }
        self.drop_superseded(identity, key, tokens);
        true
    }

    fn drop_superseded(&self, identity: &str, key: &str, tokens: &[i32]) {
        let Ok(entries) = std::fs::read_dir(self.cache.dir()) else {
            return;
        };
        let keys: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".tokens").map(str::to_string)
            })
            .filter(|k| k != key)
            .collect();
        for other in keys {
            if self
                .sidecar(&other, identity)
                .is_some_and(|t| tokens.starts_with(&t))
            {
                self.cache.remove(&other);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::engine::warm::Lookup;

    fn save(s: &Snapshots, tokens: &[i32]) -> String {
        let (key, staged) = s.staging("m", tokens).unwrap();
        std::fs::write(&staged, format!("{tokens:?}")).unwrap();
        assert!(s.commit("m", &key, tokens, &staged));
        key
    }

    fn count(dir: &Path, ext: &str) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(ext)
            })
            .count()
    }

    #[test]
    fn best_match_supersede_damage_and_bound() {
        let dir = tempfile::tempdir().unwrap();
        let s = Snapshots::new(dir.path());
        assert_eq!(s.best("m", &[1, 2, 3], 0), None, "no directory yet");
        let a = save(&s, &[1, 2, 3, 4]);
        let b = save(&s, &[1, 2, 9, 9, 9]);
        let prompt = [1, 2, 3, 4, 5, 6];
        let found = s.best("m", &prompt, 2).unwrap();
        assert_eq!((found.key.as_str(), found.shared), (a.as_str(), 4));
        assert_eq!(s.best("m", &prompt, 4), None, "must beat the minimum");
        assert_eq!(s.best("other-model", &prompt, 0), None);
        assert_eq!(
            s.cache().lookup(&a),
            Lookup::Valid(s.cache().state_path(&a))
        );

        // A longer save of the same conversation replaces the shorter one.
        let c = save(&s, &[1, 2, 3, 4, 5]);
        assert!(!s.cache().state_path(&a).exists());
        assert_eq!(s.best("m", &prompt, 2).unwrap().key, c);

        // A damaged sidecar is detected and removed with its state.
        std::fs::write(
            s.cache().tokens_path(&c),
            br#"{"identity":"m","tokens":[1,2,3,4,7]}"#,
        )
        .unwrap();
        assert_eq!(s.best("m", &prompt, 2), None);
        assert!(!s.cache().state_path(&c).exists());
        std::fs::write(s.cache().tokens_path(&b), b"{not json").unwrap();
        assert_eq!(s.best("m", &[1, 2, 9], 0), None);
        assert!(!s.cache().state_path(&b).exists());

        // Bounded.
        for i in 0..(MAX_SNAPSHOTS as i32 + 3) {
            save(&s, &[100 + i, 1]);
        }
        let conv = dir.path().join("conv");
        assert_eq!(count(&conv, ".state"), MAX_SNAPSHOTS);
        assert_eq!(count(&conv, ".tokens"), MAX_SNAPSHOTS);
    }
}
