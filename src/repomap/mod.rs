//! The repo map: a compact outline of the workspace's most relevant
//! definitions, from tree-sitter tags ranked by personalized PageRank
//! towards what the conversation mentions (the approach Aider made
//! standard).
//!
//! [`index::build`] walks and parses (cached per file on disk),
//! [`rank::rank`] orders definitions, [`render::render`] fits them to a
//! token budget; [`map`] does all three.

pub mod cache;
pub mod index;
pub mod lang;
pub mod lines;
pub mod names;
pub mod rank;
pub mod render;
pub mod tags;
#[cfg(test)]
mod tests;

use std::path::Path;

pub use index::{Index, IndexStats};
pub use rank::{Focus, RankedDef};

#[derive(Debug, thiserror::Error)]
pub enum RepoMapError {
    #[error("the {lang} tags query does not compile: {source}")]
    Query {
        lang: &'static str,
        source: tree_sitter::QueryError,
    },
}

/// A rendered map and how the files were handled.
#[derive(Debug)]
pub struct RepoMap {
    pub text: String,
    /// Files with definitions in `text`.
    pub files_shown: usize,
    /// Files indexed (parsed or cached).
    pub files_indexed: usize,
    pub stats: IndexStats,
}

/// The map of the workspace at `root` (absolute), focused on `focus`, in at
/// most `max_tokens` (estimated). `cache_dir` is where per-file tags are
/// kept between runs ([`cache::default_dir`] normally; `None` to parse
/// everything afresh).
pub fn map(root: &Path, cache_dir: Option<&Path>, focus: &Focus, max_tokens: usize) -> RepoMap {
    let index = index::build(root, cache_dir);
    let ranked = rank::rank(&index, focus);
    let rendered = render::render(&index, &ranked, max_tokens);
    RepoMap {
        text: rendered.text,
        files_shown: rendered.files,
        files_indexed: index.files.len(),
        stats: index.stats,
    }
}
