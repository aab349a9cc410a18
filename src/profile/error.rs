//! Profile errors: each names the file (and line, where there is one) and
//! the problem.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("unknown profile `{name}`; available profiles: {available}")]
    Unknown { name: String, available: String },
    #[error("{file}:{line}: {problem}")]
    AtLine {
        file: String,
        line: usize,
        problem: String,
    },
    #[error("{file}: {problem}")]
    InFile { file: String, problem: String },
    #[error("cannot read {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("profile `{name}`: inheritance cycle: {chain}")]
    Cycle { name: String, chain: String },
}

/// 1-based line of byte offset `at` in `text`.
pub fn line_at(text: &str, at: usize) -> usize {
    text.get(..at.min(text.len()))
        .map_or(1, |s| s.bytes().filter(|b| *b == b'\n').count() + 1)
}

/// 1-based line where `key` is set (`key =` or `[key]`) in a TOML text, for
/// errors found after parsing.
pub fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            let assign = l
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='));
            assign || l.starts_with(&format!("[{key}]")) || l.starts_with(&format!("[{key}."))
        })
        .map(|i| i + 1)
}

/// An error at `key` of `file`, with its line when it can be found.
pub fn at_key(file: &str, text: &str, key: &str, problem: String) -> ProfileError {
    match line_of_key(text, key) {
        Some(line) => ProfileError::AtLine {
            file: file.to_string(),
            line,
            problem,
        },
        None => ProfileError::InFile {
            file: file.to_string(),
            problem,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let t = "a = 1\n\n[match]\nmodels = []\n";
        assert_eq!(line_at(t, 0), 1);
        assert_eq!(line_at(t, 7), 3);
        assert_eq!(line_of_key(t, "a"), Some(1));
        assert_eq!(line_of_key(t, "match"), Some(3));
        assert_eq!(line_of_key(t, "models"), Some(4));
        assert_eq!(line_of_key(t, "b"), None);
    }
}
