//! The on-disk cache of per-file tags: one file per workspace under
//! `~/.cache/kiln/repomap/`, entries keyed by relative path and checked
//! against the file's size and mtime.
//!
//! Format: a header line `kiln-repomap <VERSION> <sha256 of the body>`, then
//! the body in postcard (a compact binary serde format): the interned
//! name table and each file's tags by symbol. A file with another version,
//! a bad checksum, a body that does not decode or tags that do not fit the
//! table is ignored (the map is rebuilt and the cache rewritten), so a torn
//! or corrupted cache costs time, never a wrong map.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::names::Names;
use super::tags::FileTags;

/// Bump when the queries, [`FileTags`] or the body change, so old caches
/// are dropped.
const VERSION: u32 = 3;
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

/// One cached file.
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    /// Workspace-relative, `/`-separated as the walk gives it.
    pub path: String,
    pub stamp: Stamp,
    pub tags: FileTags,
}

/// A whole cache: the names and the files' tags, whose symbols index it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Body {
    pub names: Names,
    pub files: Vec<Entry>,
}

/// [`Entry`] borrowed from the index, for writing without cloning; the
/// same fields in the same order, so it encodes the same.
#[derive(Serialize)]
pub struct EntryRef<'a> {
    pub path: &'a str,
    pub stamp: Stamp,
    pub tags: &'a FileTags,
}

/// [`Body`] borrowed.
#[derive(Serialize)]
pub struct BodyRef<'a> {
    pub names: &'a Names,
    pub files: Vec<EntryRef<'a>>,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot write the repo-map cache {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot encode the repo-map cache: {0}")]
    Encode(#[from] postcard::Error),
}

/// The cache file for the workspace at `root` (absolute) inside `dir`.
pub fn path_for(dir: &Path, root: &Path) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let digest = Sha256::digest(root.as_os_str().as_bytes());
    dir.join(format!("{}.bin", hex::encode(&digest[..12])))
}

/// The cache in `path`, or why it is not usable.
pub fn load(path: &Path) -> Result<Body, String> {
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
    let body: Body = postcard::from_bytes(body).map_err(|e| e.to_string())?;
    if !body.names.is_valid() {
        return Err("bad name table".into());
    }
    let names = body.names.len();
    if !body.files.iter().all(|e| e.tags.is_valid(names)) {
        return Err("tags outside the name table".into());
    }
    Ok(body)
}

/// Writes `entries` to `path` atomically (a temporary file renamed over
/// it), so readers never see half a cache.
pub fn store(path: &Path, body: &BodyRef<'_>) -> Result<(), CacheError> {
    let write_err = |source| CacheError::Write {
        path: path.to_path_buf(),
        source,
    };
    let body = postcard::to_stdvec(body)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(write_err)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(write_err)?;
    let header = format!("{MAGIC} {VERSION} {}\n", hex::encode(Sha256::digest(&body)));
    tmp.write_all(header.as_bytes()).map_err(write_err)?;
    tmp.write_all(&body).map_err(write_err)?;
    tmp.persist(path).map_err(|e| write_err(e.error))?;
    Ok(())
}

/// `$KILN_CACHE_DIR/repomap`, else `$XDG_CACHE_HOME/kiln/repomap`, else
/// `~/.cache/kiln/repomap` (as the models directory is found).
pub fn default_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let base = var("KILN_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("kiln")))
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache").join("kiln")))?;
    Some(base.join("repomap"))
}
