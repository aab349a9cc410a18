//! The fix's outputs in git: changed files, a patch, a commit (optionally
//! on a new branch). Everything goes through git2; the user's git config
//! supplies the author when it has one.

use std::path::Path;

use git2::{DiffFormat, DiffOptions, IndexAddOption, Repository, Signature};

fn open(root: &Path) -> Result<Repository, String> {
    Repository::discover(root)
        .map_err(|e| format!("{} is not in a git repository ({e})", root.display()))
}

fn workdir_diff<'r>(repo: &'r Repository) -> Result<git2::Diff<'r>, String> {
    let head = repo
        .head()
        .and_then(|h| h.peel_to_tree())
        .map_err(|e| format!("the repository has no HEAD commit to compare with: {e}"))?;
    let mut opts = DiffOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .show_untracked_content(true);
    repo.diff_tree_to_workdir_with_index(Some(&head), Some(&mut opts))
        .map_err(|e| format!("cannot diff the working tree: {e}"))
}

/// Checks that `root` is in a repository with a HEAD commit (what
/// `--commit`, `--branch` and `--patch` need), without diffing anything.
pub fn require_head(root: &Path) -> Result<(), String> {
    let repo = open(root)?;
    repo.head()
        .and_then(|h| h.peel_to_commit())
        .map(|_| ())
        .map_err(|e| format!("the repository has no HEAD commit: {e}"))
}

/// Paths that differ from HEAD (new, changed, deleted), relative to the
/// repository root.
pub fn changed_files(root: &Path) -> Result<Vec<String>, String> {
    let repo = open(root)?;
    let diff = workdir_diff(&repo)?;
    let mut files: Vec<String> = diff
        .deltas()
        .filter_map(|d| {
            d.new_file()
                .path()
                .or_else(|| d.old_file().path())
                .map(|p| p.display().to_string())
        })
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// The working tree's changes against HEAD as a unified patch (`git apply`
/// takes it), new files included.
pub fn patch(root: &Path) -> Result<String, String> {
    let repo = open(root)?;
    let diff = workdir_diff(&repo)?;
    let mut out = Vec::new();
    diff.print(DiffFormat::Patch, |_, _, line| {
        if matches!(line.origin(), '+' | '-' | ' ') {
            out.push(line.origin() as u8);
        }
        out.extend_from_slice(line.content());
        true
    })
    .map_err(|e| format!("cannot write the patch: {e}"))?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Commits every change in the working tree (what `.gitignore` ignores
/// excepted) on HEAD, or first on a new branch `branch` made at HEAD.
/// Returns the commit id.
pub fn commit(root: &Path, branch: Option<&str>, message: &str) -> Result<String, String> {
    let repo = open(root)?;
    let head_commit = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(|e| format!("the repository has no HEAD commit: {e}"))?;
    if let Some(name) = branch {
        let created = repo
            .branch(name, &head_commit, false)
            .map_err(|e| format!("cannot create branch `{name}`: {e}"))?;
        let refname = created
            .get()
            .name()
            .map_err(|e| format!("branch `{name}` has a name git2 cannot read: {e}"))?
            .to_string();
        repo.set_head(&refname)
            .map_err(|e| format!("cannot switch to branch `{name}`: {e}"))?;
    }
    let mut index = repo
        .index()
        .map_err(|e| format!("cannot open the index: {e}"))?;
    let git_err = |e: git2::Error| format!("cannot stage the changes: {e}");
    index
        .add_all(["*"], IndexAddOption::DEFAULT, None)
        .map_err(git_err)?;
    index.update_all(["*"], None).map_err(git_err)?;
    index.write().map_err(git_err)?;
    let tree_id = index.write_tree().map_err(git_err)?;
    let tree = repo.find_tree(tree_id).map_err(git_err)?;
    let sig = repo
        .signature()
        .or_else(|_| Signature::now("kiln", "kiln@localhost"))
        .map_err(|e| format!("no commit author: {e}"))?;
    let id = repo
        .commit(Some("HEAD"), &sig, &sig, message, &tree, &[&head_commit])
        .map_err(|e| format!("cannot commit: {e}"))?;
    Ok(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        for (f, text) in files {
            std::fs::write(dir.path().join(f), text).unwrap();
        }
        let mut index = repo.index().unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = Signature::now("t", "t@t").unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[])
            .unwrap();
        dir
    }

    #[test]
    fn patch_changed_files_and_commit_on_a_new_branch() {
        let dir = repo_with(&[("a.py", "x = 1\n"), ("gone.py", "y\n")]);
        let root = dir.path();
        std::fs::write(root.join("a.py"), "x = 2\n").unwrap();
        std::fs::write(root.join("new.py"), "z\n").unwrap();
        std::fs::remove_file(root.join("gone.py")).unwrap();
        assert_eq!(changed_files(root).unwrap(), ["a.py", "gone.py", "new.py"]);
        let p = patch(root).unwrap();
        assert!(p.contains("-x = 1\n+x = 2\n"), "{p}");
        assert!(p.contains("+++ b/new.py"), "{p}");
        assert!(p.contains("--- a/gone.py"), "{p}");
        let id = commit(root, Some("kiln/fix"), "kiln fix: test").unwrap();
        let repo = Repository::open(root).unwrap();
        assert_eq!(repo.head().unwrap().shorthand().unwrap(), "kiln/fix");
        let c = repo.find_commit(git2::Oid::from_str(&id).unwrap()).unwrap();
        assert_eq!(c.message().unwrap(), "kiln fix: test");
        assert!(changed_files(root).unwrap().is_empty(), "all committed");
        let tree = c.tree().unwrap();
        assert!(tree.get_name("new.py").is_some());
        assert!(tree.get_name("gone.py").is_none());
        assert!(
            commit(root, Some("kiln/fix"), "again").is_err(),
            "branch exists"
        );
    }

    #[test]
    fn outside_a_repository_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = patch(dir.path()).unwrap_err();
        assert!(err.contains("not in a git repository"), "{err}");
    }
}
