//! Definitions and references of one file, from its tags query.
//!
//! [`extract`] gives [`LocalTags`] with the names as strings; the index
//! interns them into [`FileTags`], which is what it keeps and caches.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use streaming_iterator::StreamingIterator;
use tree_sitter::{Parser, QueryCursor};

use super::lang::{CaptureRole, Grammar};
use super::lines;
use super::names::Sym;

/// A definition: the name, its 1-based line and that line's length as the
/// map shows it (see [`lines::display_len`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Def {
    pub name: Sym,
    pub line: u32,
    pub width: u32,
}

/// A name the file refers to, and how often.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ref {
    pub name: Sym,
    pub count: u32,
}

/// What one file defines and what it refers to, by interned name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileTags {
    /// In source order.
    pub defs: Vec<Def>,
    /// One entry per referenced name.
    pub refs: Vec<Ref>,
    /// The 1-based lines of every reference, `refs[0].count` lines for the
    /// first name, then the next name's, each run ascending. Stored as the
    /// difference to the previous line of the run (the first as is), which
    /// the cache's variable-length integers keep to a byte or so each.
    ref_lines: Vec<u32>,
}

impl FileTags {
    /// The lines where `name` is referred to, ascending (a line once per
    /// reference on it).
    pub fn ref_lines_of(&self, name: Sym) -> Vec<u32> {
        let mut start = 0usize;
        for r in &self.refs {
            let count = r.count as usize;
            if r.name == name {
                let mut line = 0u32;
                return self
                    .ref_lines
                    .get(start..start + count)
                    .unwrap_or_default()
                    .iter()
                    .map(|&delta| {
                        line = line.saturating_add(delta);
                        line
                    })
                    .collect();
            }
            start += count;
        }
        Vec::new()
    }

    /// Whether every symbol is below `names` and the line runs match the
    /// counts (checked on tags loaded from the cache).
    pub fn is_valid(&self, names: usize) -> bool {
        let total: u64 = self.refs.iter().map(|r| u64::from(r.count)).sum();
        self.defs.iter().all(|d| (d.name as usize) < names)
            && self.refs.iter().all(|r| (r.name as usize) < names)
            && total == self.ref_lines.len() as u64
    }

    /// Renumbers every symbol through `map` (old symbol → new symbol).
    pub fn remap(&mut self, map: &[Sym]) {
        let to = |s: Sym| map.get(s as usize).copied().unwrap_or(s);
        for d in &mut self.defs {
            d.name = to(d.name);
        }
        for r in &mut self.refs {
            r.name = to(r.name);
        }
    }

    /// Interns `local`'s names through `intern`.
    pub fn intern(local: &LocalTags, mut intern: impl FnMut(&str) -> Sym) -> Self {
        let defs = local
            .defs
            .iter()
            .map(|(name, line, width)| Def {
                name: intern(name),
                line: *line,
                width: *width,
            })
            .collect();
        let mut refs = Vec::with_capacity(local.refs.len());
        let mut ref_lines = Vec::new();
        for (name, lines) in &local.refs {
            refs.push(Ref {
                name: intern(name),
                count: u32::try_from(lines.len()).unwrap_or(u32::MAX),
            });
            let mut prev = 0;
            for &line in lines {
                ref_lines.push(line.saturating_sub(prev));
                prev = line;
            }
        }
        Self {
            defs,
            refs,
            ref_lines,
        }
    }
}

/// Tags with their names as strings, straight from the parser.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalTags {
    /// Name, 1-based line and displayed line length, in source order.
    pub defs: Vec<(String, u32, u32)>,
    /// Each referenced name with the 1-based lines of its references
    /// (ascending, a line once per reference), sorted by name.
    pub refs: Vec<(String, Vec<u32>)>,
}

impl LocalTags {
    /// Every name the tags mention.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.defs
            .iter()
            .map(|(n, _, _)| n.as_str())
            .chain(self.refs.iter().map(|(n, _)| n.as_str()))
    }
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
) -> Result<LocalTags, TagsError> {
    parser.set_language(&grammar.language)?;
    let tree = parser.parse(source, None).ok_or(TagsError::Parse)?;
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(&grammar.query, tree.root_node(), source);

    let mut defs: Vec<(usize, String, u32, u32)> = Vec::new();
    let mut def_starts: HashSet<usize> = HashSet::new();
    let mut refs: Vec<(usize, &str, u32)> = Vec::new();
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
        let line = u32::try_from(node.start_position().row + 1).unwrap_or(u32::MAX);
        if role == CaptureRole::Definition {
            // Patterns overlap (a method is also a function): one def per name node.
            if def_starts.insert(start) {
                let width = lines::display_len(lines::line_at(source, start));
                let width = u32::try_from(width).unwrap_or(u32::MAX);
                defs.push((start, text.to_string(), line, width));
            }
        } else {
            refs.push((start, text, line));
        }
    }
    defs.sort_by_key(|(start, ..)| *start);

    // A definition's own name is not a reference to it; one node counts once.
    let mut seen: HashSet<usize> = HashSet::new();
    let mut by_name: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (start, name, line) in refs {
        if def_starts.contains(&start) || !seen.insert(start) {
            continue;
        }
        by_name.entry(name).or_default().push(line);
    }
    Ok(LocalTags {
        defs: defs.into_iter().map(|(_, n, l, w)| (n, l, w)).collect(),
        refs: by_name
            .into_iter()
            .map(|(name, mut lines)| {
                lines.sort_unstable();
                (name.to_string(), lines)
            })
            .collect(),
    })
}
