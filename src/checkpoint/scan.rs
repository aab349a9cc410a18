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

    /// The kind of what `abs` is now; `None` for directories, devices,
    /// sockets and missing paths.
    pub fn of(abs: &Path) -> Option<Self> {
        let meta = std::fs::symlink_metadata(abs).ok()?;
        Self::of_meta(&meta)
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

/// The covered files under `root`, by workspace-relative path. `tracked`
/// is the repository holding the workspace and the workspace's path in it.
pub(crate) fn scan(
    root: &Path,
    tracked: Option<(&Repository, &Path)>,
) -> Result<BTreeMap<PathBuf, Kind>, CheckpointError> {
    let mut found = BTreeMap::new();
    for entry in walker(root).build() {
        let entry = entry.map_err(|e| CheckpointError::Walk(e.to_string()))?;
        if entry.depth() == 0 {
            continue;
        }
        let meta = entry
            .metadata()
            .map_err(|e| CheckpointError::Walk(e.to_string()))?;
        let Some(kind) = Kind::of_meta(&meta) else {
            continue;
        };
        if let Ok(rel) = entry.path().strip_prefix(root) {
            found.insert(rel.to_path_buf(), kind);
        }
    }
    if let Some((repo, prefix)) = tracked {
        add_tracked(repo, prefix, root, &mut found)?;
    }
    Ok(found)
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
    found: &mut BTreeMap<PathBuf, Kind>,
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
        if rel.as_os_str().is_empty() || found.contains_key(rel) || in_dot_git(rel) {
            continue;
        }
        if let Some(kind) = Kind::of(&root.join(rel)) {
            found.insert(rel.to_path_buf(), kind);
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
        assert_eq!(found[Path::new("link")], Kind::Symlink);
        assert_eq!(found[Path::new("tool.sh")], Kind::Executable);
        assert_eq!(found[Path::new("src/a.rs")], Kind::File);
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
