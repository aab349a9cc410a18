//! Planning: every file's new content, computed before anything is written,
//! then the checked, all-or-nothing write and the diffs to report.

use std::fs::Permissions;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::hunks::apply_hunks;
use super::parse::{ADD, Op, UPDATE};
use super::then;
use crate::tools::read_file::{binary_error, looks_binary, regular_file_size};
use crate::tools::write_file::write_atomic;
use crate::tools::{ToolContext, ToolError, Workspace};

/// Largest file apply_patch loads (as edit_file).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Content larger than this is not diffed (as write_file).
const MAX_DIFF_INPUT: usize = 4 * 1024 * 1024;

/// One file the patch touches, keyed by its resolved path.
#[derive(Debug)]
pub(super) struct Entry {
    abs: PathBuf,
    pub(super) rel: PathBuf,
    /// On disk before the patch; `None`: absent.
    original: Option<Vec<u8>>,
    original_mode: Option<Permissions>,
    /// After the patch; `None`: absent.
    new: Option<Vec<u8>>,
    /// Set on a move's destination: the source's entry.
    moved_from: Option<usize>,
}

impl Entry {
    pub(super) fn changed(&self) -> bool {
        self.original != self.new
    }

    /// The content after the patch; `None`: absent.
    pub(super) fn new_content(&self) -> Option<&[u8]> {
        self.new.as_deref()
    }
}

#[derive(Debug, Default)]
pub(super) struct Plan {
    pub(super) entries: Vec<Entry>,
}

impl Plan {
    /// Computes every file's new content; the summary has one line per
    /// operation.
    pub(super) fn build(&mut self, ops: &[Op], ws: &Workspace) -> Result<Vec<String>, ToolError> {
        let mut summary = Vec::new();
        for op in ops {
            match op {
                Op::Add { path, lines } => {
                    let (abs, rel) = resolve(ws, path)?;
                    let i = self.absent(ws, &abs, &rel, || {
                        format!(
                            "{} already exists; use `{UPDATE} {}` to change it",
                            rel.display(),
                            rel.display()
                        )
                    })?;
                    let mut content: String = lines.join("\n");
                    if !lines.is_empty() {
                        content.push('\n');
                    }
                    self.entries[i].new = Some(content.into_bytes());
                    summary.push(format!("A {}", rel.display()));
                }
                Op::Delete { path } => {
                    let (abs, rel) = resolve(ws, path)?;
                    let i = self.existing(ws, &abs, &rel)?;
                    self.entries[i].new = None;
                    summary.push(format!("D {}", rel.display()));
                }
                Op::Update {
                    path,
                    move_to,
                    hunks,
                } => {
                    let (abs, rel) = resolve(ws, path)?;
                    let i = self.existing(ws, &abs, &rel).map_err(|e| match e {
                        ToolError::NotFound(m) => ToolError::NotFound(then(
                            m,
                            &format!("To create a new file, use `{ADD} <path>`"),
                        )),
                        other => other,
                    })?;
                    let current = self.entries[i].new.as_deref().unwrap_or_default();
                    if looks_binary(current) {
                        return Err(binary_error(&rel, current.len() as u64));
                    }
                    let text = std::str::from_utf8(current).map_err(|_| {
                        ToolError::Failed(format!(
                            "{} is not valid UTF-8, so apply_patch cannot update it safely; \
                             use write_file to replace it or shell for byte-level changes",
                            rel.display()
                        ))
                    })?;
                    let updated = apply_hunks(text, hunks, &rel)?.into_bytes();
                    let dest = match move_to {
                        Some(dest) => Some(resolve(ws, dest)?),
                        None => None,
                    };
                    match dest {
                        Some((dabs, drel)) if dabs != abs => {
                            let j = self.absent(ws, &dabs, &drel, || {
                                format!(
                                    "cannot move {} to {}: {} already exists",
                                    rel.display(),
                                    drel.display(),
                                    drel.display()
                                )
                            })?;
                            self.entries[j].new = Some(updated);
                            self.entries[j].moved_from = Some(i);
                            self.entries[i].new = None;
                            summary.push(format!("R {} -> {}", rel.display(), drel.display()));
                        }
                        _ => {
                            self.entries[i].new = Some(updated);
                            summary.push(format!("M {}", rel.display()));
                        }
                    }
                }
            }
        }
        Ok(summary)
    }

    fn find(&self, abs: &Path) -> Option<usize> {
        self.entries.iter().position(|e| e.abs == abs)
    }

    /// The entry of a file that exists at this point of the patch.
    fn existing(&mut self, ws: &Workspace, abs: &Path, rel: &Path) -> Result<usize, ToolError> {
        if let Some(i) = self.find(abs) {
            if self.entries[i].new.is_none() {
                return Err(ToolError::NotFound(format!(
                    "{} does not exist: an earlier part of this patch deletes or moves it",
                    rel.display()
                )));
            }
            return Ok(i);
        }
        let size = regular_file_size(ws, abs, rel)?;
        if size > MAX_FILE_BYTES {
            return Err(ToolError::Failed(format!(
                "{} is {size} bytes, too big for apply_patch (at most {MAX_FILE_BYTES})",
                rel.display()
            )));
        }
        let bytes = std::fs::read(abs)
            .map_err(|e| ToolError::Failed(format!("cannot read {}: {e}", rel.display())))?;
        let mode = std::fs::metadata(abs).ok().map(|m| m.permissions());
        self.entries.push(Entry {
            abs: abs.to_path_buf(),
            rel: rel.to_path_buf(),
            original: Some(bytes.clone()),
            original_mode: mode,
            new: Some(bytes),
            moved_from: None,
        });
        Ok(self.entries.len() - 1)
    }

    /// The entry of a path that is free at this point of the patch and can
    /// be created; `exists` words the error when it is taken.
    fn absent(
        &mut self,
        ws: &Workspace,
        abs: &Path,
        rel: &Path,
        exists: impl Fn() -> String,
    ) -> Result<usize, ToolError> {
        if let Some(i) = self.find(abs) {
            if self.entries[i].new.is_some() {
                return Err(ToolError::Failed(exists()));
            }
            return Ok(i);
        }
        match std::fs::symlink_metadata(abs) {
            Ok(_) => return Err(ToolError::Failed(exists())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ToolError::Failed(format!(
                    "cannot check {}: {e}",
                    rel.display()
                )));
            }
        }
        // Refuse now what create_dir_all would only fail on while writing.
        let blocker = self
            .entries
            .iter()
            .find(|e| e.new.is_some() && abs.starts_with(&e.abs))
            .map(|e| e.abs.clone())
            .or_else(|| file_ancestor(abs));
        if let Some(file) = blocker {
            return Err(ToolError::Failed(format!(
                "cannot create {}: {} is a file, not a directory",
                rel.display(),
                ws.relative(&file).display()
            )));
        }
        self.entries.push(Entry {
            abs: abs.to_path_buf(),
            rel: rel.to_path_buf(),
            original: None,
            original_mode: None,
            new: None,
            moved_from: None,
        });
        Ok(self.entries.len() - 1)
    }

    /// Writes the plan: every changed file is checked for outside changes
    /// first; an I/O failure part-way restores the files already changed.
    pub(super) fn commit(&self, ctx: &ToolContext) -> Result<(), ToolError> {
        let changed: Vec<&Entry> = self.entries.iter().filter(|e| e.changed()).collect();
        for e in &changed {
            ctx.reads.check_fresh(&e.abs, &e.rel)?;
        }
        // Deletions last: a failed write then has nothing to re-create.
        let order = changed
            .iter()
            .filter(|e| e.new.is_some())
            .chain(changed.iter().filter(|e| e.new.is_none()));
        let mut done: Vec<&Entry> = Vec::new();
        for e in order {
            if let Err(err) = self.write(e) {
                // A new file may exist already (its mode failed to set).
                if e.original.is_none() && e.new.is_some() && e.abs.exists() {
                    done.push(e);
                }
                let verb = if e.new.is_some() { "write" } else { "delete" };
                let mut msg = format!("cannot {verb} {}: {err}", e.rel.display());
                let unrestored: Vec<String> = done
                    .iter()
                    .rev()
                    .filter_map(|d| {
                        restore(d)
                            .err()
                            .map(|err| format!("{} ({err})", d.rel.display()))
                    })
                    .collect();
                if unrestored.is_empty() {
                    msg.push_str(". Nothing was changed: files already written were restored");
                } else {
                    msg.push_str(&format!(
                        ". The patch is partly applied: these could not be restored: {}",
                        unrestored.join(", ")
                    ));
                }
                for d in &done {
                    ctx.reads.seen(&d.abs);
                }
                return Err(ToolError::Failed(msg));
            }
            done.push(e);
        }
        for e in &changed {
            ctx.reads.seen(&e.abs);
        }
        Ok(())
    }

    fn write(&self, e: &Entry) -> std::io::Result<()> {
        let Some(content) = &e.new else {
            return std::fs::remove_file(&e.abs);
        };
        if let Some(parent) = e.abs.parent() {
            std::fs::create_dir_all(parent)?;
        }
        write_atomic(&e.abs, content)?;
        // A moved file keeps its mode (an executable script stays one).
        let source_mode = e
            .moved_from
            .and_then(|s| self.entries[s].original_mode.clone());
        if let (None, Some(mode)) = (&e.original, source_mode) {
            std::fs::set_permissions(&e.abs, mode)?;
        }
        Ok(())
    }

    /// The unified diff of entry `i`; a move's diff runs from its source.
    pub(super) fn diff(&self, i: usize) -> String {
        let e = &self.entries[i];
        if !e.changed() {
            return String::new();
        }
        let moved_away = e.new.is_none()
            && self
                .entries
                .iter()
                .any(|d| d.moved_from == Some(i) && d.original.is_none() && d.new.is_some());
        if moved_away {
            return String::new();
        }
        let (old_name, old) = match (e.moved_from, &e.original) {
            (_, Some(bytes)) => (format!("a/{}", e.rel.display()), Some(bytes.as_slice())),
            (Some(src), None) => (
                format!("a/{}", self.entries[src].rel.display()),
                self.entries[src].original.as_deref(),
            ),
            (None, None) => ("/dev/null".to_string(), None),
        };
        let new_name = match e.new {
            Some(_) => format!("b/{}", e.rel.display()),
            None => "/dev/null".to_string(),
        };
        let new = e.new.as_deref().unwrap_or_default();
        let old = old.unwrap_or_default();
        if looks_binary(old) || looks_binary(new) {
            return String::new();
        }
        file_diff(
            &old_name,
            &new_name,
            &String::from_utf8_lossy(old),
            &String::from_utf8_lossy(new),
        )
    }
}

fn resolve(ws: &Workspace, path: &str) -> Result<(PathBuf, PathBuf), ToolError> {
    let abs = ws.resolve(path)?;
    // Every path of a patch is written, deleted or moved.
    ws.check_writable(&abs)?;
    let rel = ws.relative(&abs);
    Ok((abs, rel))
}

/// The nearest existing ancestor of `abs` when it is not a directory.
fn file_ancestor(abs: &Path) -> Option<PathBuf> {
    abs.ancestors()
        .skip(1)
        .find_map(|dir| std::fs::metadata(dir).ok().map(|m| (dir, m)))
        .filter(|(_, m)| !m.is_dir())
        .map(|(dir, _)| dir.to_path_buf())
}

/// Puts a file back as it was before the patch.
fn restore(e: &Entry) -> std::io::Result<()> {
    let Some(bytes) = &e.original else {
        return match std::fs::remove_file(&e.abs) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        };
    };
    write_atomic(&e.abs, bytes)?;
    if let Some(mode) = &e.original_mode {
        std::fs::set_permissions(&e.abs, mode.clone())?;
    }
    Ok(())
}

fn file_diff(old_name: &str, new_name: &str, old: &str, new: &str) -> String {
    if old == new || old.len() > MAX_DIFF_INPUT || new.len() > MAX_DIFF_INPUT {
        return String::new();
    }
    let (old, new) = (old.replace("\r\n", "\n"), new.replace("\r\n", "\n"));
    similar::TextDiff::configure()
        .timeout(Duration::from_secs(2))
        .diff_lines(old.as_str(), new.as_str())
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}
