//! `/diff`: what changed in the workspace since a checkpoint, as one
//! unified diff (the TUI shows what the session changed).

use std::path::Path;

use git2::Repository;

use super::snapshot::{Entry, Files};

/// Files whose diff is not shown line by line.
const MAX_DIFF_BYTES: usize = 1 << 20;

/// A unified diff of `before` (files of a checkpoint, read from `repo`)
/// against `after` (the workspace now, read from `root`).
pub(crate) fn unified(repo: &Repository, root: &Path, before: &Files, after: &Files) -> String {
    let mut out = String::new();
    let paths: std::collections::BTreeSet<&std::path::PathBuf> =
        before.keys().chain(after.keys()).collect();
    for path in paths {
        let (old, new) = (before.get(path), after.get(path));
        if old.map(|e| e.oid) == new.map(|e| e.oid) {
            continue;
        }
        let name = path.display().to_string();
        let old_text = old.map(|e| blob_text(repo, e));
        let new_text = new.map(|_| std::fs::read(root.join(path)).map_err(|e| e.to_string()));
        let old_bytes = old_text.unwrap_or(Ok(Vec::new()));
        let new_bytes = new_text.unwrap_or(Ok(Vec::new()));
        match (old_bytes, new_bytes) {
            (Ok(a), Ok(b)) => out.push_str(&file_diff(&name, old.is_some(), new.is_some(), &a, &b)),
            (Err(e), _) | (_, Err(e)) => out.push_str(&format!("{name}: cannot read ({e})\n")),
        }
    }
    out
}

fn blob_text(repo: &Repository, entry: &Entry) -> Result<Vec<u8>, String> {
    repo.find_blob(entry.oid)
        .map(|b| b.content().to_vec())
        .map_err(|e| e.message().to_string())
}

fn file_diff(name: &str, existed: bool, exists: bool, old: &[u8], new: &[u8]) -> String {
    let (a, b) = (
        if existed {
            format!("a/{name}")
        } else {
            "/dev/null".into()
        },
        if exists {
            format!("b/{name}")
        } else {
            "/dev/null".into()
        },
    );
    let text = |bytes: &[u8]| {
        (bytes.len() <= MAX_DIFF_BYTES && !bytes.contains(&0))
            .then(|| String::from_utf8(bytes.to_vec()).ok())
            .flatten()
    };
    match (text(old), text(new)) {
        (Some(o), Some(n)) => similar::TextDiff::from_lines(&o, &n)
            .unified_diff()
            .context_radius(3)
            .header(&a, &b)
            .to_string(),
        _ => format!(
            "--- {a}\n+++ {b}\nBinary or large file changed ({} → {} bytes)\n",
            old.len(),
            new.len()
        ),
    }
}
