//! Turning the workspace into git objects and back into a file list.
//!
//! Blobs are written from the bytes on disk (no clean filters, so a
//! restore gives back exactly those bytes); trees are built in memory and
//! written directly, so no index file is ever involved.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository};

use super::error::CheckpointError;
use super::scan::{self, Found, Kind, Stamp};
use super::store::Store;

/// One file of a checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub oid: Oid,
    pub kind: Kind,
}

/// Files by workspace-relative path.
pub(crate) type Files = BTreeMap<PathBuf, Entry>;

/// The workspace as it is now.
pub(crate) struct Snapshot {
    pub files: Files,
    pub tree: Oid,
}

/// Whether objects go into the store or are only hashed (listing compares
/// without writing anything).
#[derive(Clone, Copy)]
pub(crate) enum Objects<'r> {
    Write(&'r Repository),
    HashOnly,
}

/// Files up to this size are read whole, hashed, and written only when
/// the store lacks them; larger ones are streamed.
const IN_MEMORY: u64 = 64 * 1024 * 1024;

impl Objects<'_> {
    fn file(self, abs: &Path, len: u64) -> Result<Oid, CheckpointError> {
        let read_err = |error| CheckpointError::Read {
            path: abs.to_path_buf(),
            error,
        };
        match self {
            Objects::HashOnly => Oid::hash_file(ObjectType::Blob, abs)
                .map_err(|e| read_err(std::io::Error::other(e.message().to_string()))),
            Objects::Write(_) if len <= IN_MEMORY => {
                let bytes = std::fs::read(abs).map_err(read_err)?;
                self.object(ObjectType::Blob, &bytes)
            }
            Objects::Write(repo) => {
                let mut file = std::fs::File::open(abs).map_err(read_err)?;
                // No hint path: no filters, the blob holds the bytes as they are.
                let mut writer = repo
                    .blob_writer(None)
                    .map_err(CheckpointError::git("cannot write a blob"))?;
                std::io::copy(&mut file, &mut writer).map_err(read_err)?;
                writer
                    .commit()
                    .map_err(CheckpointError::git("cannot write a blob"))
            }
        }
    }

    fn object(self, kind: ObjectType, bytes: &[u8]) -> Result<Oid, CheckpointError> {
        match self {
            Objects::HashOnly => Oid::hash_object(kind, bytes),
            // Most of a workspace is unchanged between checkpoints: libgit2
            // hashes first and writes only what the store lacks.
            Objects::Write(repo) => repo.odb().and_then(|odb| odb.write(kind, bytes)),
        }
        .map_err(CheckpointError::git("cannot write an object"))
    }

    /// Whether `oid` can be used as is (a cached id must still be there).
    /// No rescan of the pack directory on a miss: the file is read again.
    fn has(self, oid: Oid) -> bool {
        match self {
            Objects::HashOnly => true,
            Objects::Write(repo) => repo
                .odb()
                .is_ok_and(|odb| odb.exists_ext(oid, git2::OdbLookupFlags::NO_REFRESH)),
        }
    }
}

/// Beyond these a workspace is not checkpointed (kiln run in a home
/// directory would otherwise copy all of it before every turn).
const MAX_FILES: usize = 200_000;
const MAX_BYTES: u64 = 2 * 1024 * 1024 * 1024;

fn check_size(covered: &BTreeMap<PathBuf, Found>) -> Result<(), CheckpointError> {
    let bytes: u64 = covered.values().map(|f| f.stamp.len()).sum();
    if covered.len() > MAX_FILES || bytes > MAX_BYTES {
        return Err(CheckpointError::TooLarge {
            files: covered.len(),
            mib: bytes >> 20,
            max_files: MAX_FILES,
            max_mib: MAX_BYTES >> 20,
        });
    }
    Ok(())
}

/// Blob ids of files as last hashed, by path and metadata stamp: a
/// session's later checkpoints read only the files that changed.
#[derive(Debug, Default)]
pub(crate) struct StatCache(HashMap<PathBuf, (Stamp, Oid)>);

/// Reads every covered file of the workspace into `objects`; files whose
/// stamp is in `cache` are not read again.
pub(crate) fn take(
    store: &Store,
    objects: Objects<'_>,
    cache: Option<&mut StatCache>,
) -> Result<Snapshot, CheckpointError> {
    let started = time::OffsetDateTime::now_utc().unix_timestamp();
    let tracked = store.prefix.as_deref().map(|p| (&store.repo, p));
    let covered = scan::scan(&store.root, tracked)?;
    check_size(&covered)?;
    let mut old = cache.as_ref().map(|c| &c.0);
    let mut fresh = HashMap::new();
    let mut files = Files::new();
    for (rel, found) in covered {
        let cached = old
            .as_mut()
            .and_then(|c| c.get(&rel))
            .filter(|(stamp, oid)| *stamp == found.stamp && objects.has(*oid))
            .map(|(_, oid)| *oid);
        let oid = match cached {
            Some(oid) => oid,
            None => read(&store.root.join(&rel), found, objects)?,
        };
        if !found.stamp.is_recent(started) {
            fresh.insert(rel.clone(), (found.stamp, oid));
        }
        files.insert(
            rel,
            Entry {
                oid,
                kind: found.kind,
            },
        );
    }
    if let Some(cache) = cache {
        cache.0 = fresh;
    }
    let tree = write_tree(&files, objects)?;
    Ok(Snapshot { files, tree })
}

/// The blob id of one file (its target, for a symlink).
fn read(abs: &Path, found: Found, objects: Objects<'_>) -> Result<Oid, CheckpointError> {
    match found.kind {
        Kind::Symlink => {
            let target = std::fs::read_link(abs).map_err(|error| CheckpointError::Read {
                path: abs.to_path_buf(),
                error,
            })?;
            objects.object(ObjectType::Blob, target.as_os_str().as_bytes())
        }
        Kind::File | Kind::Executable => objects.file(abs, found.stamp.len()),
    }
}

/// A directory being assembled into a tree object.
#[derive(Default)]
struct Dir {
    files: BTreeMap<Vec<u8>, Entry>,
    dirs: BTreeMap<Vec<u8>, Dir>,
}

/// Writes (or hashes) the tree of `files` and returns its id.
pub(crate) fn write_tree(files: &Files, objects: Objects<'_>) -> Result<Oid, CheckpointError> {
    let mut top = Dir::default();
    for (rel, entry) in files {
        let names: Vec<&[u8]> = rel.iter().map(|c| c.as_bytes()).collect();
        let Some((name, parents)) = names.split_last() else {
            continue;
        };
        let mut dir = &mut top;
        for parent in parents {
            dir = dir.dirs.entry(parent.to_vec()).or_default();
        }
        dir.files.insert(name.to_vec(), *entry);
    }
    write_dir(&top, objects)
}

fn write_dir(dir: &Dir, objects: Objects<'_>) -> Result<Oid, CheckpointError> {
    // git orders a directory as if its name ended in `/`.
    let mut entries: Vec<(Vec<u8>, u32, Oid)> = Vec::new();
    for (name, sub) in &dir.dirs {
        let mut key = name.clone();
        key.push(b'/');
        entries.push((key, 0o40_000, write_dir(sub, objects)?));
    }
    for (name, entry) in &dir.files {
        if dir.dirs.contains_key(name) {
            return Err(CheckpointError::Walk(format!(
                "{} is both a file and a directory",
                String::from_utf8_lossy(name)
            )));
        }
        entries.push((name.clone(), entry.kind.mode(), entry.oid));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut bytes = Vec::new();
    for (key, mode, oid) in entries {
        let name = key.strip_suffix(b"/").unwrap_or(&key);
        bytes.extend_from_slice(format!("{mode:o} ").as_bytes());
        bytes.extend_from_slice(name);
        bytes.push(0);
        bytes.extend_from_slice(oid.as_bytes());
    }
    objects.object(ObjectType::Tree, &bytes)
}

/// The files of the tree `id`.
pub(crate) fn tree_files(repo: &Repository, id: Oid) -> Result<Files, CheckpointError> {
    let mut files = Files::new();
    let tree = repo
        .find_tree(id)
        .map_err(CheckpointError::git("cannot read a checkpoint tree"))?;
    collect(repo, &tree, PathBuf::new(), &mut files)?;
    Ok(files)
}

fn collect(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    prefix: PathBuf,
    files: &mut Files,
) -> Result<(), CheckpointError> {
    for item in tree.iter() {
        let name = std::ffi::OsString::from_vec(item.name_bytes().to_vec());
        let path = prefix.join(name);
        match item.kind() {
            Some(ObjectType::Tree) => {
                let sub = repo
                    .find_tree(item.id())
                    .map_err(CheckpointError::git("cannot read a checkpoint tree"))?;
                collect(repo, &sub, path, files)?;
            }
            _ => {
                if let Some(kind) = Kind::from_mode(item.filemode() as u32) {
                    files.insert(
                        path,
                        Entry {
                            oid: item.id(),
                            kind,
                        },
                    );
                }
            }
        }
    }
    Ok(())
}

/// How many paths differ between two file lists (added, removed or
/// changed in content or mode).
pub(crate) fn changed(a: &Files, b: &Files) -> usize {
    let differs = a.iter().filter(|(p, e)| b.get(*p) != Some(e)).count();
    differs + b.keys().filter(|p| !a.contains_key(*p)).count()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn trees_match_what_git_writes_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let blob = |s: &str| repo.blob(s.as_bytes()).unwrap();
        let mut files = Files::new();
        // `a.b` sorts before `a/` in git's order but after `a` bytewise.
        for (path, kind) in [
            ("a", Kind::File),
            ("a.b", Kind::Executable),
            ("b/c/d", Kind::File),
            ("b/c.e", Kind::Symlink),
            ("b-", Kind::File),
        ] {
            let p = if path == "a" { "x/a/f" } else { path };
            files.insert(
                PathBuf::from(p),
                Entry {
                    oid: blob(path),
                    kind,
                },
            );
        }
        files.insert(
            PathBuf::from("x/a.b"),
            Entry {
                oid: blob("y"),
                kind: Kind::File,
            },
        );
        let ours = write_tree(&files, Objects::Write(&repo)).unwrap();
        assert_eq!(write_tree(&files, Objects::HashOnly).unwrap(), ours);

        let mut index = git2::Index::new().unwrap();
        for (path, e) in &files {
            index
                .add(&git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode: e.kind.mode(),
                    uid: 0,
                    gid: 0,
                    file_size: 0,
                    id: e.oid,
                    flags: 0,
                    flags_extended: 0,
                    path: path.as_os_str().as_bytes().to_vec(),
                })
                .unwrap();
        }
        assert_eq!(
            index.write_tree_to(&repo).unwrap(),
            ours,
            "same bytes as libgit2's tree"
        );
        assert_eq!(tree_files(&repo, ours).unwrap(), files);
        assert_eq!(changed(&files, &files), 0);
        let mut other = files.clone();
        other.remove(Path::new("b-"));
        other.insert(
            PathBuf::from("new"),
            Entry {
                oid: blob("n"),
                kind: Kind::File,
            },
        );
        other.get_mut(Path::new("a.b")).unwrap().kind = Kind::File;
        assert_eq!(changed(&files, &other), 3);
    }
}
