//! An attempt's repository: the fixture copied to a temporary directory
//! and committed as the baseline, the hidden check copied in and out, and
//! what the agent changed.

use std::path::{Path, PathBuf};

use git2::{DiffOptions, IndexAddOption, Repository, Signature};

use super::suite::files_under;

#[derive(Debug, thiserror::Error)]
pub enum WorkdirError {
    #[error("{what} {path}: {error}")]
    Io {
        what: &'static str,
        path: String,
        error: std::io::Error,
    },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("{0}")]
    Task(#[from] super::task::TaskError),
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> WorkdirError {
    let path = path.display().to_string();
    move |error| WorkdirError::Io { what, path, error }
}

/// A temporary git repository holding a copy of a fixture; removed when
/// dropped.
pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    /// Copies `fixture` into a new temporary directory and commits it.
    pub fn new(fixture: &Path) -> Result<Self, WorkdirError> {
        let dir = tempfile::Builder::new()
            .prefix("kiln-eval-")
            .tempdir()
            .map_err(io(
                "cannot create a temporary directory in",
                &std::env::temp_dir(),
            ))?;
        copy_tree(fixture, dir.path())?;
        commit_baseline(dir.path())?;
        Ok(Self { dir })
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// Copies every file under `from` to the same relative path under `to`,
/// overwriting what is there.
pub fn copy_tree(from: &Path, to: &Path) -> Result<Vec<PathBuf>, WorkdirError> {
    let mut copied = Vec::new();
    for file in files_under(from)? {
        let rel = file.strip_prefix(from).unwrap_or(&file).to_path_buf();
        let dest = to.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io("cannot create", parent))?;
        }
        if dest.is_dir() {
            std::fs::remove_dir_all(&dest).map_err(io("cannot remove", &dest))?;
        }
        std::fs::copy(&file, &dest).map_err(io("cannot copy", &file))?;
        copied.push(rel);
    }
    Ok(copied)
}

/// `git init` and one commit of everything in `root`.
pub fn commit_baseline(root: &Path) -> Result<(), WorkdirError> {
    let repo = Repository::init(root)?;
    let mut index = repo.index()?;
    index.add_all(["*"], IndexAddOption::DEFAULT | IndexAddOption::FORCE, None)?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let sig = Signature::now("kiln eval", "kiln@localhost")?;
    repo.commit(Some("HEAD"), &sig, &sig, "baseline", &tree, &[])?;
    Ok(())
}

/// The hidden check's files (relative paths) and where they come from.
pub struct CheckFiles {
    check_dir: PathBuf,
    fixture: PathBuf,
    pub paths: Vec<PathBuf>,
}

impl CheckFiles {
    pub fn of(check_dir: &Path, fixture: &Path) -> Result<Self, WorkdirError> {
        let paths = files_under(check_dir)?
            .into_iter()
            .map(|f| f.strip_prefix(check_dir).unwrap_or(&f).to_path_buf())
            .collect();
        Ok(Self {
            check_dir: check_dir.to_path_buf(),
            fixture: fixture.to_path_buf(),
            paths,
        })
    }

    /// Whether the agent changed, created or deleted a path the check
    /// provides (compared with the fixture).
    pub fn touched(&self, root: &Path) -> bool {
        self.paths.iter().any(|rel| {
            let now = std::fs::read(root.join(rel)).ok();
            let before = std::fs::read(self.fixture.join(rel)).ok();
            now != before
        })
    }

    /// Copies the check over the repository.
    pub fn install(&self, root: &Path) -> Result<(), WorkdirError> {
        copy_tree(&self.check_dir, root).map(|_| ())
    }

    /// Takes the check out again: the fixture's version where it had one,
    /// nothing where it did not.
    pub fn remove(&self, root: &Path) -> Result<(), WorkdirError> {
        for rel in &self.paths {
            let dest = root.join(rel);
            let original = self.fixture.join(rel);
            if original.is_file() {
                std::fs::copy(&original, &dest).map_err(io("cannot restore", &dest))?;
            } else if dest.exists() {
                std::fs::remove_file(&dest).map_err(io("cannot remove", &dest))?;
            }
        }
        Ok(())
    }
}

/// Lines added plus removed against the baseline commit, new files
/// included, leaving out `exclude` (the check's paths).
pub fn diff_lines(root: &Path, exclude: &[PathBuf]) -> Result<u64, WorkdirError> {
    let repo = Repository::open(root)?;
    let head = repo.head()?.peel_to_tree()?;
    let mut opts = DiffOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .show_untracked_content(true);
    let diff = repo.diff_tree_to_workdir_with_index(Some(&head), Some(&mut opts))?;
    let mut total = 0;
    for i in 0..diff.deltas().len() {
        let Some(delta) = diff.get_delta(i) else {
            continue;
        };
        let path = delta.new_file().path().or_else(|| delta.old_file().path());
        if path.is_some_and(|p| exclude.iter().any(|e| e == p)) {
            continue;
        }
        if let Some(patch) = git2::Patch::from_diff(&diff, i)? {
            let (_, added, removed) = patch.line_stats()?;
            total += (added + removed) as u64;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn baseline_check_files_and_diff() {
        let task = tempfile::tempdir().unwrap();
        let fixture = task.path().join("repo");
        let check = task.path().join("check");
        write(&fixture, "calc.py", "a\nb\n");
        write(&fixture, "tests/test_calc.py", "visible\n");
        write(&check, "tests/test_calc.py", "hidden\n");
        write(&check, "tests/test_more.py", "more\n");

        let w = Workdir::new(&fixture).unwrap();
        let root = w.root();
        assert_eq!(diff_lines(root, &[]).unwrap(), 0);
        let files = CheckFiles::of(&check, &fixture).unwrap();
        assert!(!files.touched(root));

        write(root, "calc.py", "a\nc\n");
        write(root, "new.py", "x\ny\n");
        assert_eq!(diff_lines(root, &files.paths).unwrap(), 4);

        files.install(root).unwrap();
        assert!(files.touched(root), "installed check differs from fixture");
        assert_eq!(
            std::fs::read_to_string(root.join("tests/test_calc.py")).unwrap(),
            "hidden\n"
        );
        files.remove(root).unwrap();
        assert!(!files.touched(root));
        assert_eq!(
            std::fs::read_to_string(root.join("tests/test_calc.py")).unwrap(),
            "visible\n"
        );
        assert!(!root.join("tests/test_more.py").exists());

        std::fs::remove_file(root.join("tests/test_calc.py")).unwrap();
        assert!(files.touched(root), "deleting a check path counts");
    }
}
