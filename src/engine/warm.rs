//! Warm start: the KV state of a session's stable prefix (system prompt and
//! tool specs) saved to disk, so a new session with the same prefix loads
//! it instead of prefilling.
//!
//! Files are keyed by the model file's identity and the prefix tokens, and
//! each has a sha256 marker written after the state: a corrupt, truncated
//! or mismatched file is detected before llama.cpp reads it, then deleted
//! (and saved anew by the next cold prefill). The directory is bounded.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Most state files kept; the least recently used go first.
const MAX_FILES: usize = 8;

#[derive(Clone, Debug)]
pub struct WarmCache {
    dir: PathBuf,
    max_files: usize,
}

/// What warm start did for one request, for events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarmStart {
    /// The prefix state was loaded from disk.
    Hit,
    /// No saved state; it was saved after this prefill.
    Saved,
    /// A saved state failed its check and was replaced.
    Corrupt,
}

/// The result of looking a saved state up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    Missing,
    Valid(PathBuf),
    /// It existed but failed its checksum; it has been removed.
    Corrupt,
}

impl WarmCache {
    pub fn new(dir: PathBuf) -> Self {
        Self::with_limit(dir, MAX_FILES)
    }

    /// A cache keeping at most `max_files` states.
    pub fn with_limit(dir: PathBuf, max_files: usize) -> Self {
        Self { dir, max_files }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The default directory: `~/.cache/kiln/kv` (honours `KILN_CACHE_DIR`
    /// and `XDG_CACHE_HOME`).
    pub fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("KILN_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("kiln")))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kiln")))?;
        Some(base.join("kv"))
    }

    pub fn key(model_identity: &str, tokens: &[i32]) -> String {
        let mut h = Sha256::new();
        h.update(model_identity.as_bytes());
        for t in tokens {
            h.update(t.to_le_bytes());
        }
        hex::encode(h.finalize())
    }

    pub fn state_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.state"))
    }

    fn marker_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.sha256"))
    }

    /// Where a state's token sidecar lives (conversation snapshots).
    pub fn tokens_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.tokens"))
    }

    /// The state file for `key` when it exists and passes its checksum.
    /// A file that fails is removed, and [`Lookup::Corrupt`] says so.
    pub fn lookup(&self, key: &str) -> Lookup {
        let state = self.state_path(key);
        let marker = std::fs::read_to_string(self.marker_path(key));
        match (state.is_file(), marker) {
            (false, Err(_)) => Lookup::Missing,
            (true, Ok(m)) if file_sha256(&state).is_some_and(|h| h == m.trim()) => {
                touch(&state);
                Lookup::Valid(state)
            }
            _ => {
                self.remove(key);
                Lookup::Corrupt
            }
        }
    }

    pub fn remove(&self, key: &str) {
        let _ = std::fs::remove_file(self.state_path(key));
        let _ = std::fs::remove_file(self.marker_path(key));
        let _ = std::fs::remove_file(self.tokens_path(key));
    }

    /// A temporary path to save a new state to, before [`Self::commit`].
    pub fn staging_path(&self, key: &str) -> Option<PathBuf> {
        std::fs::create_dir_all(&self.dir).ok()?;
        Some(self.dir.join(format!("{key}.state.partial")))
    }

    /// Publishes a saved state: checksum marker, rename, eviction.
    pub fn commit(&self, key: &str, staged: &Path) -> bool {
        let Some(hash) = file_sha256(staged) else {
            return false;
        };
        let ok = std::fs::rename(staged, self.state_path(key)).is_ok()
            && std::fs::write(self.marker_path(key), hash).is_ok();
        if !ok {
            self.remove(key);
        }
        self.evict();
        ok
    }

    fn evict(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut states: Vec<(std::time::SystemTime, String)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let key = name.strip_suffix(".state")?.to_string();
                let modified = e.metadata().ok()?.modified().ok()?;
                Some((modified, key))
            })
            .collect();
        states.sort();
        let excess = states.len().saturating_sub(self.max_files);
        for (_, key) in states.into_iter().take(excess) {
            self.remove(&key);
        }
    }
}

fn file_sha256(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Some(hex::encode(h.finalize()))
}

/// Marks a state as recently used, for eviction order.
fn touch(path: &Path) {
    if let Ok(f) = std::fs::File::options().append(true).open(path) {
        let _ = f.set_modified(std::time::SystemTime::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_lookup_corrupt_and_evict() {
        let dir = tempfile::tempdir().unwrap();
        let cache = WarmCache::new(dir.path().join("kv"));
        let key = WarmCache::key("model-a", &[1, 2, 3]);
        assert_ne!(key, WarmCache::key("model-b", &[1, 2, 3]));
        assert_eq!(cache.lookup(&key), Lookup::Missing);
        let staged = cache.staging_path(&key).unwrap();
        std::fs::write(&staged, b"state bytes").unwrap();
        assert!(cache.commit(&key, &staged));
        assert_eq!(cache.lookup(&key), Lookup::Valid(cache.state_path(&key)));
        // Corrupt it: detected, removed.
        std::fs::write(cache.state_path(&key), b"state bytez").unwrap();
        assert_eq!(cache.lookup(&key), Lookup::Corrupt);
        assert!(!cache.state_path(&key).exists());
        assert_eq!(cache.lookup(&key), Lookup::Missing);
        // Bounded.
        for i in 0..(MAX_FILES as i32 + 3) {
            let k = WarmCache::key("m", &[i]);
            let s = cache.staging_path(&k).unwrap();
            std::fs::write(&s, i.to_string()).unwrap();
            assert!(cache.commit(&k, &s));
        }
        let states = std::fs::read_dir(dir.path().join("kv"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".state")
            })
            .count();
        assert_eq!(states, MAX_FILES);
    }
}
