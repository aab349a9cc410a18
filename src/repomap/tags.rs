//! Definitions and references of one file, from its tags query.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use streaming_iterator::StreamingIterator;
use tree_sitter::{Parser, QueryCursor};

use super::lang::{CaptureRole, Grammar};

/// Longest definition line kept for the map, in bytes; longer ones are cut.
const MAX_LINE: usize = 120;

/// A definition: the name, its 1-based line and that line's text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Def {
    pub name: String,
    pub line: u32,
    pub text: String,
}

/// What one file defines and what it refers to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileTags {
    /// In source order.
    pub defs: Vec<Def>,
    /// Each referenced name with how often it occurs, sorted by name.
    pub refs: Vec<(String, u32)>,
}

/// Why a file yielded no tags.
#[derive(Debug, thiserror::Error)]
pub enum TagsError {
    #[error("the grammar could not be loaded: {0}")]
    Language(#[from] tree_sitter::LanguageError),
    #[error("the parser gave up")]
    Parse,
}

/// Parses `source` and collects its tags. `parser` is reused across files
/// (one per thread) since creating one allocates.
pub fn extract(
    parser: &mut Parser,
    grammar: &Grammar,
    source: &[u8],
) -> Result<FileTags, TagsError> {
    parser.set_language(&grammar.language)?;
    let tree = parser.parse(source, None).ok_or(TagsError::Parse)?;
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(&grammar.query, tree.root_node(), source);

    let mut defs: Vec<(usize, Def)> = Vec::new();
    let mut def_starts: HashSet<usize> = HashSet::new();
    let mut refs: Vec<(usize, String)> = Vec::new();
    while let Some(m) = matches.next() {
        let mut name = None;
        let mut role = None;
        for c in m.captures {
            match grammar.roles.get(c.index as usize) {
                Some(CaptureRole::Name) => name = Some(c.node),
                Some(r @ (CaptureRole::Definition | CaptureRole::Reference)) => {
                    role = role.or(Some(*r));
                }
                _ => {}
            }
        }
        let (Some(node), Some(role)) = (name, role) else {
            continue;
        };
        let Ok(text) = node.utf8_text(source) else {
            continue;
        };
        if text.is_empty() {
            continue;
        }
        let start = node.start_byte();
        if role == CaptureRole::Definition {
            // Patterns overlap (a method is also a function): one def per name node.
            if def_starts.insert(start) {
                let row = node.start_position().row;
                defs.push((
                    start,
                    Def {
                        name: text.to_string(),
                        line: u32::try_from(row + 1).unwrap_or(u32::MAX),
                        text: line_text(source, node.start_byte()),
                    },
                ));
            }
        } else {
            refs.push((start, text.to_string()));
        }
    }
    defs.sort_by_key(|(start, _)| *start);

    // A definition's own name is not a reference to it; one node counts once.
    let mut seen: HashSet<usize> = HashSet::new();
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for (start, name) in refs {
        if def_starts.contains(&start) || !seen.insert(start) {
            continue;
        }
        *counts.entry(name).or_default() += 1;
    }
    Ok(FileTags {
        defs: defs.into_iter().map(|(_, d)| d).collect(),
        refs: counts.into_iter().collect(),
    })
}

/// The trimmed source line around byte `at`, cut to [`MAX_LINE`] bytes on a
/// character boundary.
fn line_text(source: &[u8], at: usize) -> String {
    let at = at.min(source.len());
    let start = source[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = source[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(source.len(), |i| at + i);
    let line = String::from_utf8_lossy(&source[start..end]);
    let line = line.trim();
    if line.len() <= MAX_LINE {
        return line.to_string();
    }
    let mut cut = MAX_LINE;
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &line[..cut])
}
