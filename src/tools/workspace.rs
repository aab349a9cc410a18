//! The directory the tools may touch, and the mapping of model-given paths
//! into it.
//!
//! Every path is resolved like `realpath` does (symlinks followed component by
//! component, `..` applied to the real directory), except that components past
//! the deepest existing one are taken literally, so not-yet-existing targets
//! resolve too. The result must lie inside the canonical root.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::ToolError;

/// Symlink expansions allowed while resolving one path (Linux uses 40).
const MAX_SYMLINKS: usize = 40;

#[derive(Clone, Debug)]
pub struct Workspace {
    root: PathBuf,
    /// Paths the file tools must not change (`kiln fix --protect`).
    protected: Option<Arc<Protected>>,
    /// Where `shell` commands run confined, if anywhere.
    sandbox: Option<crate::sandbox::Sandbox>,
}

#[derive(Debug)]
struct Protected {
    set: globset::GlobSet,
    globs: Vec<String>,
}

impl Workspace {
    /// A workspace rooted at `root`, which must exist; the root is canonicalised.
    pub fn new(root: &Path) -> std::io::Result<Self> {
        let root = root.canonicalize()?;
        if !root.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                format!("workspace root {} is not a directory", root.display()),
            ));
        }
        Ok(Self {
            root,
            protected: None,
            sandbox: None,
        })
    }

    /// The same workspace with files matching `globs` (relative to the
    /// root) protected from the file tools.
    pub fn with_protected(mut self, globs: &[String]) -> Result<Self, globset::Error> {
        let mut builder = globset::GlobSetBuilder::new();
        for g in globs {
            builder.add(
                globset::GlobBuilder::new(g)
                    .literal_separator(true)
                    .build()?,
            );
        }
        self.protected = Some(Arc::new(Protected {
            set: builder.build()?,
            globs: globs.to_vec(),
        }));
        Ok(self)
    }

    /// The same workspace with `shell` commands run in `sandbox`.
    pub fn with_sandbox(mut self, sandbox: Option<crate::sandbox::Sandbox>) -> Self {
        self.sandbox = sandbox;
        self
    }

    pub fn sandbox(&self) -> Option<&crate::sandbox::Sandbox> {
        self.sandbox.as_ref()
    }

    /// Whether the workspace-relative `rel` is protected.
    pub fn is_protected(&self, rel: &Path) -> bool {
        self.protected.as_ref().is_some_and(|p| p.set.is_match(rel))
    }

    /// Refuses a change to a protected file.
    pub fn check_writable(&self, abs: &Path) -> Result<(), ToolError> {
        let rel = self.relative(abs);
        match &self.protected {
            Some(p) if p.set.is_match(&rel) => Err(ToolError::Protected(format!(
                "{} is protected (it matches {}), so it cannot be changed: fix the code under \
                 test, not the tests or the check",
                rel.display(),
                p.globs.join(", ")
            ))),
            _ => Ok(()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Maps a model-given path (relative to the root, or absolute) to an
    /// absolute path inside the workspace. The target need not exist.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, ToolError> {
        if path.trim().is_empty() {
            return Err(ToolError::InvalidArguments(
                "the path is empty; give a path relative to the workspace root".into(),
            ));
        }
        if path.contains('\0') {
            return Err(ToolError::InvalidArguments(
                "the path contains a NUL byte".into(),
            ));
        }
        let joined = self.root.join(path);
        let mut budget = MAX_SYMLINKS;
        let resolved = real_path(&joined, &mut budget).map_err(|e| match e {
            ResolveError::Loop => {
                ToolError::Failed(format!("`{path}`: too many levels of symbolic links"))
            }
        })?;
        if resolved.starts_with(&self.root) {
            Ok(resolved)
        } else {
            Err(ToolError::PathEscape(format!(
                "`{path}` resolves to {}, which is outside the workspace; \
                 paths must stay inside {}",
                resolved.display(),
                self.root.display()
            )))
        }
    }

    /// `abs` relative to the root for display (`.` for the root itself);
    /// paths outside the root are returned unchanged.
    pub fn relative(&self, abs: &Path) -> PathBuf {
        match abs.strip_prefix(&self.root) {
            Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
            Ok(rel) => rel.to_path_buf(),
            Err(_) => abs.to_path_buf(),
        }
    }
}

enum ResolveError {
    Loop,
}

/// `realpath` of an absolute path that tolerates a missing tail: once a
/// component does not exist, the rest is applied lexically (a `..` after a
/// missing directory cancels it, as `mkdir -p` would make it).
fn real_path(path: &Path, budget: &mut usize) -> Result<PathBuf, ResolveError> {
    let mut cur = PathBuf::from("/");
    let mut missing = false;
    for comp in path.components() {
        match comp {
            Component::Prefix(_) | Component::RootDir => cur = PathBuf::from("/"),
            Component::CurDir => {}
            // `cur` is a real path here, so popping it is what the kernel does.
            Component::ParentDir => {
                cur.pop();
            }
            Component::Normal(name) => {
                let next = cur.join(name);
                if missing {
                    cur = next;
                    continue;
                }
                match std::fs::symlink_metadata(&next) {
                    Ok(meta) if meta.file_type().is_symlink() => {
                        if *budget == 0 {
                            return Err(ResolveError::Loop);
                        }
                        *budget -= 1;
                        let Ok(target) = std::fs::read_link(&next) else {
                            missing = true;
                            cur = next;
                            continue;
                        };
                        // A relative target is relative to the link's directory;
                        // an absolute one replaces `cur` entirely in `join`.
                        cur = real_path(&cur.join(target), budget)?;
                        // A dangling link makes everything after it missing.
                        missing = std::fs::symlink_metadata(&cur).is_err();
                    }
                    Ok(_) => cur = next,
                    Err(_) => {
                        missing = true;
                        cur = next;
                    }
                }
            }
        }
    }
    Ok(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn setup() -> (tempfile::TempDir, tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/a.txt"), "a").unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        (dir, outside, ws)
    }

    fn assert_escape(ws: &Workspace, path: &str) {
        match ws.resolve(path) {
            Err(ToolError::PathEscape(msg)) => {
                assert!(msg.contains("must stay inside"), "{msg}");
                assert!(msg.contains(&ws.root().display().to_string()), "{msg}");
            }
            other => panic!("{path}: expected PathEscape, got {other:?}"),
        }
    }

    #[test]
    fn relative_paths_resolve_inside() {
        let (_d, _o, ws) = setup();
        assert_eq!(
            ws.resolve("src/a.txt").unwrap(),
            ws.root().join("src/a.txt")
        );
        assert_eq!(
            ws.resolve("./src/../src/a.txt").unwrap(),
            ws.root().join("src/a.txt")
        );
        assert_eq!(ws.resolve(".").unwrap(), ws.root());
        // Missing targets resolve too, including `..` after a missing dir.
        assert_eq!(
            ws.resolve("new/dir/f.rs").unwrap(),
            ws.root().join("new/dir/f.rs")
        );
        assert_eq!(ws.resolve("new/../g.rs").unwrap(), ws.root().join("g.rs"));
    }

    #[test]
    fn absolute_inside_is_fine_outside_is_refused() {
        let (_d, outside, ws) = setup();
        let abs = ws.root().join("src/a.txt");
        assert_eq!(ws.resolve(abs.to_str().unwrap()).unwrap(), abs);
        assert_escape(&ws, outside.path().join("secret").to_str().unwrap());
        assert_escape(&ws, "/etc/passwd");
    }

    #[test]
    fn dotdot_escape_is_refused() {
        let (_d, _o, ws) = setup();
        assert_escape(&ws, "..");
        assert_escape(&ws, "../x");
        assert_escape(&ws, "src/../../x");
        assert_escape(&ws, "missing/../../x");
    }

    #[test]
    fn symlink_escapes_are_refused() {
        let (dir, outside, ws) = setup();
        symlink(outside.path().join("secret"), dir.path().join("file_link")).unwrap();
        symlink(outside.path(), dir.path().join("dir_link")).unwrap();
        symlink(outside.path().join("nope"), dir.path().join("dangling")).unwrap();
        symlink("../..", dir.path().join("src/up")).unwrap();
        assert_escape(&ws, "file_link");
        assert_escape(&ws, "dir_link/secret");
        assert_escape(&ws, "dir_link/new_file");
        assert_escape(&ws, "dangling");
        assert_escape(&ws, "src/up/x");
    }

    #[test]
    fn symlinks_inside_are_followed() {
        let (dir, _o, ws) = setup();
        symlink("src", dir.path().join("alias")).unwrap();
        symlink("a.txt", dir.path().join("src/link")).unwrap();
        assert_eq!(
            ws.resolve("alias/a.txt").unwrap(),
            ws.root().join("src/a.txt")
        );
        assert_eq!(ws.resolve("src/link").unwrap(), ws.root().join("src/a.txt"));
        assert_eq!(
            ws.resolve("alias/../src/a.txt").unwrap(),
            ws.root().join("src/a.txt")
        );
    }

    #[test]
    fn symlink_loop_is_an_error() {
        let (dir, _o, ws) = setup();
        symlink("b", dir.path().join("a")).unwrap();
        symlink("a", dir.path().join("b")).unwrap();
        assert!(matches!(ws.resolve("a"), Err(ToolError::Failed(_))));
    }

    #[test]
    fn empty_path_is_an_error() {
        let (_d, _o, ws) = setup();
        assert!(matches!(
            ws.resolve(""),
            Err(ToolError::InvalidArguments(_))
        ));
        assert!(matches!(
            ws.resolve("  "),
            Err(ToolError::InvalidArguments(_))
        ));
    }

    #[test]
    fn relative_for_display() {
        let (_d, _o, ws) = setup();
        assert_eq!(
            ws.relative(&ws.root().join("src/a.txt")),
            PathBuf::from("src/a.txt")
        );
        assert_eq!(ws.relative(ws.root()), PathBuf::from("."));
        assert_eq!(ws.relative(Path::new("/etc")), PathBuf::from("/etc"));
    }
}
