//! Which files a checkpoint covers: every regular file and symlink under
//! the workspace that git would not ignore (tracked, untracked, modified),
//! plus tracked files an ignore rule happens to match. `.git` is skipped;
//! symlinks are recorded, never followed.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use git2::Repository;
use ignore::WalkBuilder;

use super::error::CheckpointError;

/// What git records of a file besides its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Executable,
    Symlink,
}

impl Kind {
    /// The git tree mode.
    pub fn mode(self) -> u32 {
        match self {
            Kind::File => 0o100_644,
            Kind::Executable => 0o100_755,
            Kind::Symlink => 0o120_000,
        }
    }

    pub fn from_mode(mode: u32) -> Option<Self> {
        match mode {
            0o100_644 | 0o100_664 => Some(Kind::File),
            0o100_755 => Some(Kind::Executable),
            0o120_000 => Some(Kind::Symlink),
            _ => None,
        }
    }

    fn of_meta(meta: &std::fs::Metadata) -> Option<Self> {
        let ty = meta.file_type();
        if ty.is_symlink() {
            Some(Kind::Symlink)
        } else if ty.is_file() {
            Some(match meta.permissions().mode() & 0o111 {
                0 => Kind::File,
                _ => Kind::Executable,
            })
        } else {
            None
        }
    }
}

/// What a file's metadata says, to tell whether it changed since it was
/// last hashed (the same test git's index makes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    ino: u64,
    dev: u64,
    mode: u32,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
            ino: meta.ino(),
            dev: meta.dev(),
            mode: meta.mode(),
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file changed in the second before `since` (Unix
    /// seconds): a change within the same clock tick could leave the
    /// stamp as it was, so such a file must be hashed again next time.
    pub fn is_recent(&self, since: i64) -> bool {
        self.mtime.0.max(self.ctime.0) >= since - 1
    }
}

/// A covered file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Found {
    pub kind: Kind,
    pub stamp: Stamp,
}

fn found(meta: &std::fs::Metadata) -> Option<Found> {
    Some(Found {
        kind: Kind::of_meta(meta)?,
        stamp: Stamp::of(meta),
    })
}

/// The covered files under `root`, by workspace-relative path. `tracked`
/// is the repository holding the workspace and the workspace's path in it.
pub(crate) fn scan(
    root: &Path,
    tracked: Option<(&Repository, &Path)>,
) -> Result<BTreeMap<PathBuf, Found>, CheckpointError> {
    let mut covered = BTreeMap::new();
    for entry in walker(root).build() {
        let entry = entry.map_err(|e| CheckpointError::Walk(e.to_string()))?;
        if entry.depth() == 0 {
            continue;
        }
        let meta = entry
            .metadata()
            .map_err(|e| CheckpointError::Walk(e.to_string()))?;
        let Some(file) = found(&meta) else {
            continue;
        };
        if let Ok(rel) = entry.path().strip_prefix(root) {
            covered.insert(rel.to_path_buf(), file);
        }
    }
    if let Some((repo, prefix)) = tracked {
        add_tracked(repo, prefix, root, &mut covered)?;
    }
    Ok(covered)
}

/// git's own ignore rules (`.gitignore` files, `.git/info/exclude`, the
/// global excludes file), applied inside and outside a repository; not
/// ripgrep's `.ignore` files, which git does not know about.
fn walker(root: &Path) -> WalkBuilder {
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .ignore(false)
        .parents(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git");
    builder
}

/// Adds the tracked files under the workspace that the walk skipped
/// because an ignore rule matches them (git keeps tracking those). The
/// index is only read, never written.
fn add_tracked(
    repo: &Repository,
    prefix: &Path,
    root: &Path,
    covered: &mut BTreeMap<PathBuf, Found>,
) -> Result<(), CheckpointError> {
    use std::os::unix::ffi::OsStrExt;
    let index = repo
        .index()
        .map_err(CheckpointError::git("cannot read the index"))?;
    for entry in index.iter() {
        let path = Path::new(std::ffi::OsStr::from_bytes(&entry.path));
        let Ok(rel) = path.strip_prefix(prefix) else {
            continue;
        };
        let skip = rel.as_os_str().is_empty()
            || covered.contains_key(rel)
            || in_dot_git(rel)
            // Under a covered symlink: on disk it is the link's target.
            || rel.ancestors().skip(1).any(|a| covered.contains_key(a));
        if skip {
            continue;
        }
        let meta = std::fs::symlink_metadata(root.join(rel)).ok();
        if let Some(file) = meta.as_ref().and_then(found) {
            covered.insert(rel.to_path_buf(), file);
        }
    }
    Ok(())
}

fn in_dot_git(rel: &Path) -> bool {
    rel.components().any(|c| c.as_os_str() == ".git")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn covers_untracked_and_symlinks_skips_ignored_and_dot_git() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".gitignore"), "target/\n*.log\n").unwrap();
        std::fs::create_dir_all(root.join("target/debug")).unwrap();
        std::fs::write(root.join("target/debug/bin"), "x").unwrap();
        std::fs::write(root.join("run.log"), "x").unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/a.rs"), "a").unwrap();
        std::fs::write(root.join("tool.sh"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(root.join("tool.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        symlink("src/a.rs", root.join("link")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join(".git/HEAD"), "x").unwrap();
        let found = scan(root, None).unwrap();
        let names: Vec<_> = found.keys().map(|p| p.display().to_string()).collect();
        assert_eq!(names, [".gitignore", "link", "src/a.rs", "tool.sh"]);
        assert_eq!(found[Path::new("link")].kind, Kind::Symlink);
        assert_eq!(found[Path::new("tool.sh")].kind, Kind::Executable);
        assert_eq!(found[Path::new("src/a.rs")].kind, Kind::File);
    }

    #[test]
    fn tracked_files_count_even_when_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let repo = Repository::init(&root).unwrap();
        std::fs::write(root.join(".gitignore"), "*.lock\n").unwrap();
        std::fs::write(root.join("Cargo.lock"), "x").unwrap();
        std::fs::write(root.join("other.lock"), "y").unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new("Cargo.lock")).unwrap();
        index.write().unwrap();
        let found = scan(&root, Some((&repo, Path::new("")))).unwrap();
        assert!(found.contains_key(Path::new("Cargo.lock")));
        assert!(!found.contains_key(Path::new("other.lock")));
    }
}
