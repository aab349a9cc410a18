//! Completion in the input box: slash commands, and `@path` file names
//! (ignore-aware, like the file tools).

use std::path::Path;

/// Most candidates shown at once.
const MAX: usize = 8;
/// Most files indexed for `@` completion (very large trees stay usable).
const MAX_FILES: usize = 50_000;

/// The slash commands and what they do, for completion and `/help`.
pub const COMMANDS: &[(&str, &str)] = &[
    ("/help", "list the commands and keys"),
    (
        "/model",
        "switch the model: /model NAME (starts a new conversation segment)",
    ),
    (
        "/profile",
        "switch the prompt profile: /profile NAME (new conversation segment)",
    ),
    (
        "/approval",
        "change the approval policy: /approval read-only|ask|auto|full",
    ),
    ("/clear", "start a new conversation"),
    ("/diff", "show what this session changed"),
    (
        "/compact",
        "summarise the older turns now to free context (the latest turns stay)",
    ),
    (
        "/undo",
        "restore the files as they were before the last change",
    ),
    ("/quit", "leave kiln"),
];

/// Workspace files, relative, for `@` completion.
#[derive(Debug, Default)]
pub struct Completer {
    files: Vec<String>,
}

impl Completer {
    pub fn new(root: &Path) -> Self {
        let mut files: Vec<String> = crate::tools::list_files::files(root, None)
            .take(MAX_FILES)
            .filter_map(|e| {
                e.path()
                    .strip_prefix(root)
                    .ok()
                    .map(|p| p.to_string_lossy().into_owned())
            })
            .collect();
        files.sort();
        Self { files }
    }

    #[cfg(test)]
    pub fn with_files(files: &[&str]) -> Self {
        Self {
            files: files.iter().map(|f| f.to_string()).collect(),
        }
    }

    /// Candidates for the word being typed: `first_word` says whether it
    /// is the first word of the input (where commands complete).
    pub fn candidates(&self, word: &str, first_word: bool) -> Vec<String> {
        if first_word && word.starts_with('/') {
            return COMMANDS
                .iter()
                .map(|(c, _)| *c)
                .filter(|c| c.starts_with(word))
                .map(String::from)
                .take(MAX)
                .collect();
        }
        let Some(query) = word.strip_prefix('@') else {
            return Vec::new();
        };
        let query = query.to_lowercase();
        let prefix = self
            .files
            .iter()
            .filter(|f| f.to_lowercase().starts_with(&query));
        let inside = self.files.iter().filter(|f| {
            let f = f.to_lowercase();
            !f.starts_with(&query) && f.contains(&query)
        });
        prefix
            .chain(inside)
            .take(MAX)
            .map(|f| format!("@{f}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_paths() {
        let c = Completer::with_files(&["calc.py", "src/main.rs", "tests/test_calc.py"]);
        assert_eq!(c.candidates("/u", true), ["/undo"]);
        assert!(c.candidates("/u", false).is_empty());
        assert_eq!(
            c.candidates("@calc", false),
            ["@calc.py", "@tests/test_calc.py"]
        );
        assert_eq!(c.candidates("@MAIN", false), ["@src/main.rs"]);
        assert!(c.candidates("plain", false).is_empty());
    }

    #[test]
    fn the_walk_respects_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "target/\n").unwrap();
        std::fs::create_dir(dir.path().join("target")).unwrap();
        std::fs::write(dir.path().join("target/x.rs"), "").unwrap();
        std::fs::write(dir.path().join("a.rs"), "").unwrap();
        let c = Completer::new(dir.path());
        assert_eq!(c.candidates("@", false), ["@.gitignore", "@a.rs"]);
    }
}
