//! Putting a checkpoint's files back: every file of the checkpoint is
//! written (content and mode) where it differs, and covered files that
//! the checkpoint does not have are deleted. Ignored files are never
//! touched, by the rules of now or of the checkpoint. Each file is replaced
//! atomically (temp file + rename); a path that cannot be restored is
//! reported and the rest goes on.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use git2::Repository;

use super::scan::{self, Kind};
use super::snapshot::{Entry, Files};
use super::store::Store;
use crate::tools::write_file::write_atomic;

/// What a restore did.
#[derive(Clone, Debug, Default)]
pub(crate) struct Applied {
    pub written: Vec<PathBuf>,
    pub deleted: Vec<PathBuf>,
    pub failed: Vec<(PathBuf, String)>,
}

/// Makes the workspace of `store` hold `target`; `current` is what it
/// holds now (from the snapshot just taken).
pub(crate) fn apply(store: &Store, target: &Files, current: &Files) -> Applied {
    let root = &store.root;
    let mut done = Applied::default();
    let stale: BTreeSet<&PathBuf> = current
        .keys()
        .filter(|p| !target.contains_key(*p))
        .collect();
    // Paths the checkpoint needs as directories (or as files where a
    // directory is now) must go first, whatever the ignore rules say.
    let target_dirs: BTreeSet<&Path> = target.keys().flat_map(|p| proper_ancestors(p)).collect();
    let (blocking, rest): (Vec<&PathBuf>, Vec<&PathBuf>) = stale.iter().partition(|p| {
        target_dirs.contains(p.as_path()) || proper_ancestors(p).any(|a| target.contains_key(a))
    });
    for rel in blocking {
        delete(root, rel, &mut done);
    }
    for (rel, entry) in target {
        if current.get(rel) == Some(entry) {
            continue;
        }
        match write(&store.repo, root, rel, entry) {
            Ok(()) => done.written.push(rel.clone()),
            Err(e) => done.failed.push((rel.clone(), e)),
        }
    }
    // The checkpoint's own ignore rules are in place now: a file they
    // ignore is the user's, not one the agent made, so it stays.
    let covered_now = scan::scan(root, store.prefix.as_deref().map(|p| (&store.repo, p)));
    for rel in rest {
        let keep = match &covered_now {
            Ok(covered) => !covered.contains_key(rel.as_path()),
            Err(_) => false,
        };
        if !keep {
            delete(root, rel, &mut done);
        }
    }
    if let Err(e) = covered_now {
        done.failed.push((
            PathBuf::from("."),
            format!("cannot re-read the ignore rules: {e}"),
        ));
    }
    remove_empty_dirs(root, &done.deleted);
    done
}

fn proper_ancestors(rel: &Path) -> impl Iterator<Item = &Path> {
    rel.ancestors()
        .skip(1)
        .filter(|a| !a.as_os_str().is_empty())
}

fn delete(root: &Path, rel: &Path, done: &mut Applied) {
    match std::fs::remove_file(root.join(rel)) {
        Ok(()) => done.deleted.push(rel.to_path_buf()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => done
            .failed
            .push((rel.to_path_buf(), format!("cannot delete it: {e}"))),
    }
}

/// Writes one file of the checkpoint.
fn write(repo: &Repository, root: &Path, rel: &Path, entry: &Entry) -> Result<(), String> {
    let abs = root.join(rel);
    real_parents(root, rel)?;
    let blob = repo
        .find_blob(entry.oid)
        .map_err(|e| format!("the checkpoint lacks its content: {e}"))?;
    let now = std::fs::symlink_metadata(&abs).ok();
    if let Some(meta) = &now {
        if meta.is_dir() {
            // Only empty directories (ignored content stays untouched).
            remove_empty_tree(&abs).map_err(|e| {
                format!(
                    "a directory is in the way and cannot be removed ({e}); it holds files \
                     the checkpoint does not cover (ignored ones)"
                )
            })?;
        } else if meta.file_type().is_symlink() != (entry.kind == Kind::Symlink) {
            std::fs::remove_file(&abs).map_err(|e| format!("cannot replace it: {e}"))?;
        }
    }
    match entry.kind {
        Kind::Symlink => write_symlink(&abs, blob.content()),
        Kind::File | Kind::Executable => {
            write_atomic(&abs, blob.content()).map_err(|e| format!("cannot write it: {e}"))?;
            set_exec(&abs, entry.kind == Kind::Executable)
        }
    }
}

/// Removes `dir` if it holds nothing but empty directories.
fn remove_empty_tree(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            remove_empty_tree(&entry.path())?;
        }
    }
    std::fs::remove_dir(dir)
}

/// Creates the missing parent directories of `rel`, refusing to go
/// through a symlink or a file (that would write outside the workspace or
/// clobber something).
fn real_parents(root: &Path, rel: &Path) -> Result<(), String> {
    let mut dir = root.to_path_buf();
    let Some(parent) = rel.parent() else {
        return Ok(());
    };
    for name in parent.iter() {
        dir.push(name);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(format!(
                    "{} is in the way (not a directory)",
                    dir.strip_prefix(root).unwrap_or(&dir).display()
                ));
            }
            Err(_) => std::fs::create_dir(&dir).map_err(|e| {
                format!(
                    "cannot create the directory {}: {e}",
                    dir.strip_prefix(root).unwrap_or(&dir).display()
                )
            })?,
        }
    }
    Ok(())
}

/// Points `abs` at `target`, atomically: a link made under a temp name is
/// renamed over it.
fn write_symlink(abs: &Path, target: &[u8]) -> Result<(), String> {
    let dir = abs.parent().ok_or("the path has no parent")?;
    let tmp = dir.join(format!(".kiln-link-{}", uuid::Uuid::new_v4().simple()));
    let target = Path::new(std::ffi::OsStr::from_bytes(target));
    std::os::unix::fs::symlink(target, &tmp).map_err(|e| format!("cannot make the link: {e}"))?;
    std::fs::rename(&tmp, abs).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot put the link in place: {e}")
    })
}

/// Gives `abs` execute bits where it has read bits, or takes them away,
/// as git does; other permission bits stay as they are.
fn set_exec(abs: &Path, exec: bool) -> Result<(), String> {
    let meta = std::fs::metadata(abs).map_err(|e| format!("cannot stat it: {e}"))?;
    let mode = meta.permissions().mode();
    let wanted = if exec {
        mode | ((mode & 0o444) >> 2)
    } else {
        mode & !0o111
    };
    if wanted != mode {
        std::fs::set_permissions(abs, std::fs::Permissions::from_mode(wanted))
            .map_err(|e| format!("cannot set its mode: {e}"))?;
    }
    Ok(())
}

/// Removes directories that deleting files left empty (never the root).
fn remove_empty_dirs(root: &Path, deleted: &[PathBuf]) {
    let mut dirs: BTreeMap<usize, BTreeSet<&Path>> = BTreeMap::new();
    for rel in deleted {
        for dir in proper_ancestors(rel) {
            dirs.entry(dir.components().count())
                .or_default()
                .insert(dir);
        }
    }
    // Deepest first, so a parent is tried once its children are gone;
    // `remove_dir` refuses any directory that still holds something.
    for (_, level) in dirs.iter().rev() {
        for dir in level {
            let _ = std::fs::remove_dir(root.join(dir));
        }
    }
}
