//! `write_file`: create or replace a whole file, atomically.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::truncate::{self, count_lines};
use super::{Tool, ToolContext, ToolError, ToolOutput, parse_args};

/// Old content larger than this is not diffed (the diff would be useless).
const MAX_DIFF_INPUT: usize = 4 * 1024 * 1024;

pub struct WriteFile;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    path: String,
    content: String,
}

#[async_trait]
impl Tool for WriteFile {
    fn name(&self) -> &'static str {
        "write_file"
    }

    fn mutates(&self) -> bool {
        true
    }

    async fn call(
        &self,
        args: serde_json::Value,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(args)?;
        let abs = ctx.workspace.resolve(&args.path)?;
        ctx.workspace.check_writable(&abs)?;
        let rel = ctx.workspace.relative(&abs);
        if abs == ctx.workspace.root() || abs.is_dir() {
            return Err(ToolError::Failed(format!(
                "{} is a directory; give the path of a file inside it",
                rel.display()
            )));
        }
        let old = match std::fs::read(&abs) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(ToolError::Failed(format!(
                    "cannot read the current {}: {e}",
                    rel.display()
                )));
            }
        };
        if let Some(parent) = abs.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                ToolError::Failed(format!(
                    "cannot create the directory {}: {e}",
                    ctx.workspace.relative(parent).display()
                ))
            })?;
        }
        ctx.reads.check_fresh(&abs, &rel)?;
        write_atomic(&abs, args.content.as_bytes())
            .map_err(|e| ToolError::Failed(format!("cannot write {}: {e}", rel.display())))?;
        ctx.reads.seen(&abs);

        let bytes = args.content.len();
        let lines = count_lines(&args.content);
        let old_text = old.as_deref().map(String::from_utf8_lossy);
        let diff = unified_diff(&rel, old_text.as_deref().unwrap_or(""), &args.content);
        let summary = match &old {
            None => format!("Created {} ({bytes} bytes, {lines} lines).", rel.display()),
            Some(old) => format!(
                "Overwrote {} ({bytes} bytes, {lines} lines; it was {} bytes){}.",
                rel.display(),
                old.len(),
                diff_stat(&diff)
            ),
        };
        let full = if diff.is_empty() {
            summary.clone()
        } else {
            format!("{summary}\n{diff}")
        };
        let mut out = ToolOutput {
            for_model: summary,
            full: truncate::cap_full(full),
            details: Default::default(),
        };
        out.details.changed_files = vec![rel];
        out.details.diff = (!diff.is_empty()).then_some(diff);
        Ok(out)
    }
}

/// Replaces `path` with `content` so readers see the old or the new file,
/// never a partial one: a temp file in the same directory is renamed over
/// it. An existing file keeps its permission bits; a new one gets the
/// umask's defaults. Not fsynced: a crash may lose the write but not tear it.
pub(crate) fn write_atomic(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path has no parent")
    })?;
    let existing = std::fs::metadata(path).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(".kiln-write-")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    tmp.write_all(content)?;
    tmp.flush()?;
    if let Some(perms) = existing {
        // chmod is not subject to the umask, so the mode is copied exactly.
        std::fs::set_permissions(tmp.path(), perms)?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A unified diff of `old` → `new` with `a/<rel>` and `b/<rel>` headers;
/// empty when they are equal.
pub(crate) fn unified_diff(rel: &Path, old: &str, new: &str) -> String {
    if old == new || old.len() > MAX_DIFF_INPUT || new.len() > MAX_DIFF_INPUT {
        return String::new();
    }
    let diff = similar::TextDiff::configure()
        .timeout(Duration::from_secs(2))
        .diff_lines(old, new);
    let name = rel.display().to_string();
    diff.unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// ` (+A -R lines)` counted from a unified diff, or empty.
fn diff_stat(diff: &str) -> String {
    let (mut added, mut removed) = (0, 0);
    for line in diff.lines() {
        if line.starts_with('+') && !line.starts_with("+++") {
            added += 1;
        } else if line.starts_with('-') && !line.starts_with("---") {
            removed += 1;
        }
    }
    if added + removed == 0 {
        if diff.is_empty() {
            ", unchanged".to_string()
        } else {
            String::new()
        }
    } else {
        format!(", +{added} -{removed} lines")
    }
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

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".kiln-write-"))
            .collect()
    }

    #[tokio::test]
    async fn creates_file_and_parents() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(dir.path());
        let out = WriteFile
            .call(json!({"path": "a/b/c.txt", "content": "one\ntwo\n"}), &c)
            .await
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a/b/c.txt")).unwrap(),
            "one\ntwo\n"
        );
        assert_eq!(out.for_model, "Created a/b/c.txt (8 bytes, 2 lines).");
        assert_eq!(
            out.details.changed_files,
            vec![Path::new("a/b/c.txt").to_path_buf()]
        );
        let diff = out.details.diff.unwrap();
        assert!(
            diff.starts_with("--- a/a/b/c.txt\n+++ b/a/b/c.txt\n"),
            "{diff}"
        );
        assert!(diff.contains("+one\n+two\n"), "{diff}");
        assert!(leftovers(&dir.path().join("a/b")).is_empty());
    }

    #[tokio::test]
    async fn overwrites_with_diff_and_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.sh");
        std::fs::write(&path, "echo old\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o751)).unwrap();
        let out = WriteFile
            .call(
                json!({"path": "run.sh", "content": "echo new\n"}),
                &ctx(dir.path()),
            )
            .await
            .unwrap();
        assert!(
            out.for_model
                .starts_with("Overwrote run.sh (9 bytes, 1 lines; it was 9 bytes)"),
            "{}",
            out.for_model
        );
        assert!(out.for_model.contains("+1 -1"), "{}", out.for_model);
        let diff = out.details.diff.unwrap();
        assert!(diff.contains("-echo old\n+echo new\n"), "{diff}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "echo new\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o751);
        assert!(leftovers(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn new_file_gets_default_permissions_not_0600() {
        let dir = tempfile::tempdir().unwrap();
        WriteFile
            .call(json!({"path": "n.txt", "content": "x"}), &ctx(dir.path()))
            .await
            .unwrap();
        let mode = std::fs::metadata(dir.path().join("n.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o044, 0o044, "{mode:o}");
    }

    #[tokio::test]
    async fn refuses_directories_and_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("f"), dir.path().join("dangling")).unwrap();
        let c = ctx(dir.path());
        let err = WriteFile
            .call(json!({"path": "sub", "content": "x"}), &c)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ToolError::Failed(ref m) if m.contains("directory")),
            "{err:?}"
        );
        for p in ["../x.txt", "out/x.txt", "dangling", "/tmp/kiln-escape.txt"] {
            let err = WriteFile
                .call(json!({"path": p, "content": "x"}), &c)
                .await
                .unwrap_err();
            assert!(matches!(err, ToolError::PathEscape(_)), "{p}: {err:?}");
        }
        assert!(!outside.path().join("x.txt").exists());
        assert!(!outside.path().join("f").exists());
    }

    #[tokio::test]
    async fn missing_argument_is_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let err = WriteFile
            .call(json!({"path": "a"}), &ctx(dir.path()))
            .await
            .unwrap_err();
        assert!(matches!(err, ToolError::InvalidArguments(_)), "{err:?}");
    }
}
