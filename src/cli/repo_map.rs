//! The repo map a profile puts in front of a session's first task: built
//! once, focused on the files and identifiers the task names, and never
//! rewritten afterwards (so the prompt prefix stays stable).

use std::path::{Path, PathBuf};

use crate::agent::Session;
use crate::repomap::{self, Focus};

/// Adds the map to `session` when its profile wants one and no task has
/// run yet. Slow trees only cost time once: per-file tags are cached.
pub async fn add(session: &mut Session, task: &str) {
    let Some(budget) = session.repo_map_budget() else {
        return;
    };
    let root = session.tool_context().workspace.root().to_path_buf();
    let focus = focus(&root, task);
    let built = tokio::task::spawn_blocking(move || {
        let cache = repomap::cache::default_dir();
        // The heading below takes some of the budget.
        repomap::map(&root, cache.as_deref(), &focus, budget.saturating_sub(32))
    })
    .await;
    match built {
        Ok(map) if !map.text.trim().is_empty() => {
            let text = format!(
                "Repository map (the most relevant definitions, by file; line numbers are \
                 1-based):\n{}",
                map.text.trim_end()
            );
            session.add_repo_map(text, map.files_shown, map.files_indexed);
        }
        Ok(_) => {}
        Err(e) => session
            .emitter_mut()
            .emit(crate::agent::EventKind::Warning {
                message: format!("the repo map failed: {e}"),
            }),
    }
}

/// What the task names: words that are files of the workspace, and words
/// that look like code identifiers (`snake_case`, `camelCase`, `Type`,
/// `call()`).
pub fn focus(root: &Path, task: &str) -> Focus {
    let mut focus = Focus::default();
    let words = task.split(|c: char| c.is_whitespace() || "`'\",;:()[]{}<>".contains(c));
    for word in words {
        let word = word.trim_end_matches(['.', '?', '!']);
        if word.is_empty() {
            continue;
        }
        let path = word.trim_start_matches("./").trim_start_matches('@');
        if (path.contains('/') || path.contains('.')) && root.join(path).is_file() {
            focus.mentioned_files.push(PathBuf::from(path));
            continue;
        }
        if looks_like_identifier(word) && !focus.mentioned_idents.iter().any(|i| i == word) {
            focus.mentioned_idents.push(word.to_string());
        }
    }
    focus
}

fn looks_like_identifier(word: &str) -> bool {
    let valid = word.len() >= 3
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !word.starts_with(|c: char| c.is_ascii_digit());
    let snake = word.contains('_');
    let inner_upper = word.chars().skip(1).any(|c| c.is_ascii_uppercase());
    valid && (snake || inner_upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn focus_takes_existing_paths_and_code_like_words() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/calc.py"), "").unwrap();
        let f = focus(
            dir.path(),
            "Fix `parse_line` in src/calc.py, and ./src/missing.py; see HttpClient. Thanks!",
        );
        assert_eq!(f.mentioned_files, [PathBuf::from("src/calc.py")]);
        assert_eq!(f.mentioned_idents, ["parse_line", "HttpClient"]);
        assert!(f.chat_files.is_empty());
    }
}
