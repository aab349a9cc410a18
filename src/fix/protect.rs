//! Protected files: restored before every check, whatever the agent did to
//! them (the file tools also refuse to change them; a shell command could).

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Common test locations, protected unless `--no-default-protect`.
pub const DEFAULT_PROTECT: &[&str] = &[
    "tests/**",
    "test/**",
    "spec/**",
    "**/tests/**",
    "**/__tests__/**",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
    "**/*_test.go",
    "**/*.test.*",
    "**/*.spec.*",
];

/// The protected files as they were when `kiln fix` started.
pub struct Snapshot {
    set: GlobSet,
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Snapshot {
    /// Reads every file under `root` matching `globs` (what `.gitignore`
    /// ignores is left out).
    pub fn take(root: &Path, globs: &[String]) -> Result<Self, String> {
        let mut builder = GlobSetBuilder::new();
        for g in globs {
            let glob = GlobBuilder::new(g)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("bad --protect glob `{g}`: {e}"))?;
            builder.add(glob);
        }
        let set = builder
            .build()
            .map_err(|e| format!("bad --protect globs: {e}"))?;
        let mut files = Vec::new();
        for rel in matching(root, &set) {
            let bytes = std::fs::read(root.join(&rel))
                .map_err(|e| format!("cannot read protected {}: {e}", rel.display()))?;
            files.push((rel, bytes));
        }
        Ok(Self { set, files })
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Puts every protected file back as it was and removes protected
    /// files that did not exist; returns the paths it had to touch.
    pub fn restore(&self, root: &Path) -> Result<Vec<PathBuf>, String> {
        let mut touched = Vec::new();
        for (rel, bytes) in &self.files {
            let abs = root.join(rel);
            if std::fs::read(&abs).ok().as_deref() == Some(bytes.as_slice()) {
                continue;
            }
            if let Some(parent) = abs.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot restore {}: {e}", rel.display()))?;
            }
            crate::tools::write_file::write_atomic(&abs, bytes)
                .map_err(|e| format!("cannot restore {}: {e}", rel.display()))?;
            touched.push(rel.clone());
        }
        for rel in matching(root, &self.set) {
            if !self.files.iter().any(|(r, _)| *r == rel) {
                std::fs::remove_file(root.join(&rel))
                    .map_err(|e| format!("cannot remove added {}: {e}", rel.display()))?;
                touched.push(rel);
            }
        }
        Ok(touched)
    }
}

fn matching(root: &Path, set: &GlobSet) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = crate::tools::list_files::files(root, None)
        .filter_map(|e| e.path().strip_prefix(root).ok().map(Path::to_path_buf))
        .filter(|rel| set.is_match(rel))
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs() -> Vec<String> {
        DEFAULT_PROTECT.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_globs_cover_common_test_layouts() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "test_calc.py",
            "pkg/calc_test.py",
            "tests/it.rs",
            "crates/a/tests/x.rs",
            "web/src/app.test.ts",
            "web/__tests__/a.js",
            "server/handler_test.go",
            "calc.py",
            "src/lib.rs",
        ] {
            std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
            std::fs::write(root.join(f), f).unwrap();
        }
        let snap = Snapshot::take(root, &globs()).unwrap();
        let names: Vec<String> = snap
            .files
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        assert_eq!(snap.len(), 7, "{names:?}");
        assert!(!names.iter().any(|n| n == "calc.py" || n == "src/lib.rs"));
    }

    #[test]
    fn restore_undoes_edits_deletions_and_additions() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("tests")).unwrap();
        std::fs::write(root.join("tests/a.py"), "assert f() == 2\n").unwrap();
        std::fs::write(root.join("tests/b.py"), "b\n").unwrap();
        std::fs::write(root.join("main.py"), "x\n").unwrap();
        let snap = Snapshot::take(root, &globs()).unwrap();
        assert!(snap.restore(root).unwrap().is_empty(), "nothing changed");
        std::fs::write(root.join("tests/a.py"), "assert True\n").unwrap();
        std::fs::remove_file(root.join("tests/b.py")).unwrap();
        std::fs::write(root.join("tests/new_test.py"), "x\n").unwrap();
        std::fs::write(root.join("main.py"), "y\n").unwrap();
        let touched = snap.restore(root).unwrap();
        assert_eq!(touched.len(), 3, "{touched:?}");
        assert_eq!(
            std::fs::read_to_string(root.join("tests/a.py")).unwrap(),
            "assert f() == 2\n"
        );
        assert!(root.join("tests/b.py").is_file());
        assert!(!root.join("tests/new_test.py").exists());
        assert_eq!(
            std::fs::read_to_string(root.join("main.py")).unwrap(),
            "y\n"
        );
        assert!(Snapshot::take(root, &["[".to_string()]).is_err());
    }
}
