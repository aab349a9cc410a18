//! The on-disk cache of per-file tags: one file per workspace under
//! `~/.cache/kiln/repomap/`, entries keyed by relative path and checked
//! against the file's size and mtime.
//!
//! Format: a header line `kiln-repomap <VERSION> <sha256 of the body>`, then
//! the JSON body. A file with another version, a bad checksum or bad JSON is
//! ignored (the map is rebuilt and the cache rewritten), so a torn or
//! corrupted cache costs time, never a wrong map.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::tags::FileTags;

/// Bump when the queries or [`FileTags`] change, so old entries are dropped.
const VERSION: u32 = 1;
const MAGIC: &str = "kiln-repomap";

/// What identifies one version of a file on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub size: u64,
    /// Nanoseconds since the epoch (0 when the platform has no mtime).
    pub mtime_ns: u64,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Self {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        Self {
            size: meta.len(),
            mtime_ns,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    pub stamp: Stamp,
    pub tags: FileTags,
}

pub type Entries = HashMap<String, Entry>;

/// An entry borrowed from the index, for writing without cloning.
#[derive(Serialize)]
pub struct EntryRef<'a> {
    pub stamp: Stamp,
    pub tags: &'a FileTags,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot write the repo-map cache {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot encode the repo-map cache: {0}")]
    Encode(#[from] serde_json::Error),
}

/// The cache file for the workspace at `root` (absolute) inside `dir`.
pub fn path_for(dir: &Path, root: &Path) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let digest = Sha256::digest(root.as_os_str().as_bytes());
    dir.join(format!("{}.json", hex::encode(&digest[..12])))
}

/// The entries in `path`, or why there are none usable.
pub fn load(path: &Path) -> Result<Entries, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let newline = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("no header line")?;
    let (header, body) = (&bytes[..newline], &bytes[newline + 1..]);
    let header = std::str::from_utf8(header).map_err(|_| "header is not UTF-8")?;
    let mut parts = header.split(' ');
    if parts.next() != Some(MAGIC) {
        return Err("not a repo-map cache".into());
    }
    if parts.next() != Some(VERSION.to_string().as_str()) {
        return Err("another cache version".into());
    }
    if parts.next() != Some(hex::encode(Sha256::digest(body)).as_str()) {
        return Err("checksum mismatch".into());
    }
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

/// Writes `entries` to `path` atomically (a temporary file renamed over
/// it), so readers never see half a cache.
pub fn store(path: &Path, entries: &HashMap<&str, EntryRef<'_>>) -> Result<(), CacheError> {
    let write_err = |source| CacheError::Write {
        path: path.to_path_buf(),
        source,
    };
    let body = serde_json::to_vec(entries)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(write_err)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(write_err)?;
    let header = format!("{MAGIC} {VERSION} {}\n", hex::encode(Sha256::digest(&body)));
    tmp.write_all(header.as_bytes()).map_err(write_err)?;
    tmp.write_all(&body).map_err(write_err)?;
    tmp.persist(path).map_err(|e| write_err(e.error))?;
    Ok(())
}

/// `$XDG_CACHE_HOME/kiln/repomap`, else `~/.cache/kiln/repomap`.
pub fn default_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("kiln").join("repomap"))
}
