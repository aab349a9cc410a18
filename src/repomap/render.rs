//! The map as text: the best-ranked definitions grouped under their file's
//! path, cut to a token budget.
//!
//! ```text
//! src/lib.rs:
//!   12: pub struct Config {
//!   40: pub fn load(path: &Path) -> Result<Config, Error> {
//! ```

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use super::index::Index;
use super::lines::SourceLines;
use super::rank::RankedDef;
use crate::profile::tokens::BYTES_PER_TOKEN;

/// Definitions in a row that may not fit before rendering stops.
const MAX_MISSES: usize = 200;

/// A rendered map and how much of the index it shows.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// Files with at least one definition shown.
    pub files: usize,
    /// Definition lines shown.
    pub lines: usize,
}

/// Renders as many of `ranked` (best first) as fit in `max_tokens`
/// (estimated at [`BYTES_PER_TOKEN`] bytes a token). Files come in the
/// order of their best definition, lines within a file in source order.
/// Lines are fitted by the widths the index keeps; only the files shown
/// are read, for the text.
pub fn render(index: &Index, ranked: &[RankedDef<'_>], max_tokens: usize) -> Rendered {
    let budget = max_tokens.saturating_mul(BYTES_PER_TOKEN);
    let mut used = 0;
    let mut misses = 0;
    let mut order: Vec<&Path> = Vec::new();
    let mut chosen: HashMap<&Path, BTreeSet<u32>> = HashMap::new();
    let mut lines: Vec<(u32, u32)> = Vec::new();
    for r in ranked {
        if used >= budget {
            break;
        }
        let Some(tags) = index.files.get(r.file) else {
            continue;
        };
        let taken = chosen.get(r.file);
        lines.clear();
        lines.extend(
            tags.defs
                .iter()
                .filter(|d| d.name == r.sym)
                .filter(|d| !taken.is_some_and(|set| set.contains(&d.line)))
                .map(|d| (d.line, d.width)),
        );
        lines.dedup_by_key(|(line, _)| *line);
        if lines.is_empty() {
            continue;
        }
        let header = if taken.is_some() {
            0
        } else {
            header(r.file).len()
        };
        let cost = header
            + lines
                .iter()
                .map(|&(n, width)| line_len(n, width as usize))
                .sum::<usize>();
        if used + cost > budget {
            // Something smaller further down may still fit, but the tail of
            // a large tree is long: stop once nothing has fit for a while.
            misses += 1;
            if misses > MAX_MISSES {
                break;
            }
            continue;
        }
        misses = 0;
        used += cost;
        if header > 0 {
            order.push(r.file);
        }
        chosen
            .entry(r.file)
            .or_default()
            .extend(lines.iter().map(|&(n, _)| n));
    }
    let mut out = Rendered {
        text: String::with_capacity(used),
        files: order.len(),
        lines: 0,
    };
    for file in order {
        out.text.push_str(&header(file));
        let source = SourceLines::read(&index.root.join(file));
        for &n in chosen.get(file).into_iter().flatten() {
            // `None`: the file shrank since it was indexed.
            if let Some(text) = source.get(n) {
                out.text.push_str(&line(n, &text));
                out.lines += 1;
            }
        }
    }
    out
}

fn header(file: &Path) -> String {
    format!("{}:\n", file.display())
}

fn line(number: u32, text: &str) -> String {
    format!("{number:>5}: {text}\n")
}

/// The length of [`line`] for a text `width` bytes long.
fn line_len(number: u32, width: usize) -> usize {
    number.to_string().len().max(5) + 2 + width + 1
}
