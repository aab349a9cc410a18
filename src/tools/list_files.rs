//! `list_files`: the files under a directory, as ripgrep would see them.
//!
//! Output: one workspace-relative file path per line, sorted, then a
//! closing `[N files; directories are not listed]` line (or a note of how
//! many were left out). Directories are not listed; their files are. Ignored files (.gitignore, .ignore,
//! global git excludes, even outside a git repo) and `.git` are skipped;
//! other hidden files are listed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use globset::{Glob, GlobMatcher};
use ignore::{DirEntry, WalkBuilder, WalkState};
use serde::Deserialize;

use super::{Tool, ToolContext, ToolError, ToolOutput, parse_args};

const DEFAULT_MAX_RESULTS: usize = 500;
/// Bytes reserved for the closing note.
const NOTE_RESERVE: usize = 200;

pub struct ListFiles;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    path: Option<String>,
    pattern: Option<String>,
    max_results: Option<usize>,
}

#[async_trait]
impl Tool for ListFiles {
    fn name(&self) -> &'static str {
        "list_files"
    }

    fn mutates(&self) -> bool {
        false
    }

    async fn call(
        &self,
        args: serde_json::Value,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(args)?;
        let max_results = args.max_results.unwrap_or(DEFAULT_MAX_RESULTS);
        if max_results == 0 {
            return Err(ToolError::InvalidArguments(
                "max_results must be at least 1".into(),
            ));
        }
        let glob = args.pattern.as_deref().map(PathGlob::new).transpose()?;
        let path = args
            .path
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or(".");
        let abs = ctx.workspace.resolve(path)?;
        let rel = ctx.workspace.relative(&abs);
        match std::fs::metadata(&abs) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(ToolError::Failed(format!(
                    "{} is a file, not a directory; use read_file to read it",
                    rel.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(super::read_file::not_found(&ctx.workspace, &abs, &rel));
            }
            Err(e) => {
                return Err(ToolError::Failed(format!(
                    "cannot list {}: {e}",
                    rel.display()
                )));
            }
        }
        let root = ctx.workspace.root().to_path_buf();
        let stop = StopOnDrop::default();
        let flag = stop.flag();
        let dir = abs.clone();
        let files =
            tokio::task::spawn_blocking(move || collect_files(&root, &dir, glob.as_ref(), &flag))
                .await
                .map_err(|e| ToolError::Failed(format!("list_files task failed: {e}")))?;
        drop(stop);

        // Fit the page to the output limits instead of letting the middle be cut.
        let max_shown = max_results.min(ctx.limits.max_output_lines.saturating_sub(1).max(1));
        let max_bytes = ctx
            .limits
            .max_output_bytes
            .saturating_sub(NOTE_RESERVE)
            .max(1);
        let mut text = String::new();
        let mut shown = 0;
        for file in &files {
            let line = format!("{}\n", file.display());
            if shown >= max_shown || text.len() + line.len() > max_bytes {
                break;
            }
            text.push_str(&line);
            shown += 1;
        }
        if files.is_empty() {
            text = format!("No files under {}", rel.display());
            if let Some(p) = &args.pattern {
                text.push_str(&format!(" match `{p}`"));
            }
            text.push_str(" (ignored files are not listed).");
        } else if shown < files.len() {
            text.push_str(&format!(
                "[… {} more not shown ({} files in all; directories are not listed); \
                 narrow it with path or pattern]\n",
                files.len() - shown,
                files.len()
            ));
        } else {
            let plural = if files.len() == 1 { "" } else { "s" };
            text.push_str(&format!(
                "[{} file{plural}; directories are not listed]\n",
                files.len()
            ));
        }
        Ok(ToolOutput::text(text))
    }
}

/// A glob for workspace-relative paths. A glob without `/` also matches the
/// file name alone, so `*.rs` and `Cargo.toml` work at any depth.
#[derive(Clone, Debug)]
pub(crate) struct PathGlob {
    matcher: GlobMatcher,
    name_only: bool,
}

impl PathGlob {
    pub(crate) fn new(pattern: &str) -> Result<Self, ToolError> {
        let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
        let glob = Glob::new(pattern)
            .map_err(|e| ToolError::InvalidArguments(format!("invalid glob `{pattern}`: {e}")))?;
        Ok(Self {
            matcher: glob.compile_matcher(),
            name_only: !pattern.contains('/'),
        })
    }

    /// Whether `rel` (relative to the workspace root) or, if given, `sub`
    /// (relative to the directory searched) matches.
    pub(crate) fn is_match(&self, rel: &Path, sub: Option<&Path>) -> bool {
        self.matcher.is_match(rel)
            || sub.is_some_and(|s| self.matcher.is_match(s))
            || (self.name_only && rel.file_name().is_some_and(|n| self.matcher.is_match(n)))
    }
}

/// The walker every search tool uses: gitignore rules apply even outside a
/// git repository, hidden files are included, `.git` is skipped, symlinks
/// are not followed (so the walk stays inside the workspace).
/// The regular files under `start` that `.gitignore` keeps, walked in one
/// thread, at most `max_depth` levels down.
pub fn files(start: &Path, max_depth: Option<usize>) -> impl Iterator<Item = DirEntry> {
    walker(start)
        .max_depth(max_depth)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
}

pub(crate) fn walker(start: &Path) -> WalkBuilder {
    let mut builder = WalkBuilder::new(start);
    builder
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git");
    builder
}

/// Sets a flag when dropped, so blocking work started for a future that is
/// dropped (cancelled) stops soon after.
#[derive(Default)]
pub(crate) struct StopOnDrop(Arc<AtomicBool>);

impl StopOnDrop {
    pub(crate) fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Sorted workspace-relative paths of the files under `dir`.
fn collect_files(
    root: &Path,
    dir: &Path,
    glob: Option<&PathGlob>,
    stop: &AtomicBool,
) -> Vec<PathBuf> {
    let (tx, rx) = std::sync::mpsc::channel();
    walker(dir).build_parallel().run(|| {
        let tx = tx.clone();
        Box::new(move |entry| {
            if stop.load(Ordering::Relaxed) {
                return WalkState::Quit;
            }
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            let is_file = entry
                .file_type()
                .is_some_and(|t| t.is_file() || t.is_symlink());
            if !is_file {
                return WalkState::Continue;
            }
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap_or(path);
            let sub = path.strip_prefix(dir).ok();
            if glob.is_none_or(|g| g.is_match(rel, sub)) {
                // The receiver outlives the walk; a send cannot fail.
                let _ = tx.send(rel.to_path_buf());
            }
            WalkState::Continue
        })
    });
    drop(tx);
    let mut files: Vec<PathBuf> = rx.into_iter().collect();
    files.sort_by_cached_key(|p| path_sort_key(p));
    files
}

/// A key that sorts paths component by component (`a/b` before `a-b`, as a
/// sorted walk would) with a plain byte comparison, which is much faster
/// than comparing `Path`s.
pub(crate) fn path_sort_key(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str()
        .as_bytes()
        .iter()
        .map(|&b| if b == b'/' { 0 } else { b })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{ToolLimits, Workspace};
    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    fn ctx(dir: &Path) -> ToolContext {
        ToolContext {
            workspace: Workspace::new(dir).unwrap(),
            limits: ToolLimits::default(),
            cancel: CancellationToken::new(),
            reads: Default::default(),
        }
    }

    fn tree(dir: &Path, files: &[&str]) {
        for f in files {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
    }

    async fn list(dir: &Path, args: serde_json::Value) -> Result<String, ToolError> {
        ListFiles.call(args, &ctx(dir)).await.map(|o| o.for_model)
    }

    #[tokio::test]
    async fn lists_sorted_and_respects_gitignore_without_git() {
        let dir = tempfile::tempdir().unwrap();
        tree(
            dir.path(),
            &[
                "b.txt",
                "a/z.rs",
                "a/b/c.rs",
                ".hidden",
                ".git/config",
                "target/debug/x",
                "logs/1.log",
                "keep.log",
                "ig/skip",
            ],
        );
        std::fs::write(dir.path().join(".gitignore"), "target/\nlogs/\n").unwrap();
        std::fs::write(dir.path().join(".ignore"), "ig/\n").unwrap();
        let out = list(dir.path(), json!({})).await.unwrap();
        assert_eq!(
            out,
            ".gitignore\n.hidden\n.ignore\na/b/c.rs\na/z.rs\nb.txt\nkeep.log\n\
             [7 files; directories are not listed]\n"
        );
    }

    #[tokio::test]
    async fn glob_and_subdirectory() {
        let dir = tempfile::tempdir().unwrap();
        tree(
            dir.path(),
            &[
                "src/main.rs",
                "src/x/lib.rs",
                "src/x/data.json",
                "README.md",
                "Cargo.toml",
            ],
        );
        let out = list(dir.path(), json!({"pattern": "*.rs"})).await.unwrap();
        assert_eq!(
            out,
            "src/main.rs\nsrc/x/lib.rs\n[2 files; directories are not listed]\n"
        );
        let out = list(dir.path(), json!({"pattern": "src/**/*.json"}))
            .await
            .unwrap();
        assert_eq!(
            out,
            "src/x/data.json\n[1 file; directories are not listed]\n"
        );
        let out = list(dir.path(), json!({"path": "src/x"})).await.unwrap();
        assert_eq!(
            out,
            "src/x/data.json\nsrc/x/lib.rs\n[2 files; directories are not listed]\n"
        );
        let out = list(dir.path(), json!({"pattern": "Cargo.toml"}))
            .await
            .unwrap();
        assert_eq!(out, "Cargo.toml\n[1 file; directories are not listed]\n");
        let out = list(dir.path(), json!({"pattern": "*.py"})).await.unwrap();
        assert!(out.starts_with("No files under . match `*.py`"), "{out}");
    }

    #[test]
    fn sort_key_orders_by_component() {
        let mut paths: Vec<PathBuf> = ["a-b", "a/c", "a.b/x", "a", "ab"]
            .map(PathBuf::from)
            .to_vec();
        let mut by_path = paths.clone();
        by_path.sort();
        paths.sort_by_cached_key(|p| path_sort_key(p));
        assert_eq!(paths, by_path);
    }

    #[tokio::test]
    async fn caps_with_note() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..30).map(|i| format!("f{i:02}")).collect();
        tree(
            dir.path(),
            &names.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let out = list(dir.path(), json!({"max_results": 10})).await.unwrap();
        assert!(out.starts_with("f00\nf01\n"), "{out}");
        assert!(out.contains("f09\n") && !out.contains("f10"), "{out}");
        assert!(
            out.ends_with(
                "[… 20 more not shown (30 files in all; directories are not listed); \
             narrow it with path or pattern]\n"
            ),
            "{out}"
        );
    }

    #[tokio::test]
    async fn bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        tree(dir.path(), &["f.txt"]);
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        let d = dir.path();
        assert!(matches!(
            list(d, json!({"path": "f.txt"})).await,
            Err(ToolError::Failed(_))
        ));
        assert!(matches!(
            list(d, json!({"path": "nope"})).await,
            Err(ToolError::NotFound(_))
        ));
        assert!(matches!(
            list(d, json!({"path": ".."})).await,
            Err(ToolError::PathEscape(_))
        ));
        assert!(matches!(
            list(d, json!({"path": "out"})).await,
            Err(ToolError::PathEscape(_))
        ));
        assert!(matches!(
            list(d, json!({"path": "/"})).await,
            Err(ToolError::PathEscape(_))
        ));
        assert!(matches!(
            list(d, json!({"pattern": "a[b"})).await,
            Err(ToolError::InvalidArguments(_))
        ));
        assert!(matches!(
            list(d, json!({"max_results": 0})).await,
            Err(ToolError::InvalidArguments(_))
        ));
    }

    #[tokio::test]
    async fn symlinked_dirs_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        tree(outside.path(), &["secret.txt"]);
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        let out = list(dir.path(), json!({})).await.unwrap();
        assert!(!out.contains("secret"), "{out}");
    }
}
