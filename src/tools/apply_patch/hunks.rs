//! Applying hunks: locating each in the file (strictest line comparison
//! first), explaining a hunk that matches nowhere or in several places, and
//! rendering the new content with the file's own line breaks.

use std::path::Path;

use super::parse::{Hunk, HunkLine, Kind, clip};
use crate::tools::ToolError;

/// Lines of a hunk quoted in an error.
const MAX_QUOTED_LINES: usize = 6;
/// Match line numbers listed in an ambiguity error.
const MAX_LISTED_MATCHES: usize = 20;

/// A file line without its line break, which is kept to write it back.
#[derive(Clone, Copy, Debug)]
struct Line<'a> {
    text: &'a str,
    eol: Option<&'static str>,
}

fn split_lines(content: &str) -> Vec<Line<'_>> {
    content
        .split_inclusive('\n')
        .map(|piece| {
            if let Some(text) = piece.strip_suffix("\r\n") {
                Line {
                    text,
                    eol: Some("\r\n"),
                }
            } else if let Some(text) = piece.strip_suffix('\n') {
                Line {
                    text,
                    eol: Some("\n"),
                }
            } else {
                Line {
                    text: piece,
                    eol: None,
                }
            }
        })
        .collect()
}

/// Whether most of the file's line breaks are CRLF.
fn uses_crlf(content: &str) -> bool {
    let crlf = content.matches("\r\n").count();
    crlf > 0 && crlf * 2 >= content.matches('\n').count()
}

/// Line comparisons, strictest first: a hunk is matched by the first that
/// finds it, so sloppy whitespace in the patch still applies.
const LEVELS: [fn(&str, &str) -> bool; 3] = [exact, same_but_trailing, same_but_outer];

fn exact(a: &str, b: &str) -> bool {
    a == b
}

fn same_but_trailing(a: &str, b: &str) -> bool {
    a.trim_end() == b.trim_end()
}

fn same_but_outer(a: &str, b: &str) -> bool {
    a.trim() == b.trim()
}

enum Search {
    One(usize),
    Many(Vec<usize>),
    None,
}

/// Where `old` occurs in `file` at or after `from`.
fn search(file: &[&str], from: usize, old: &[&str], at_eof: bool) -> Search {
    let Some(last) = file.len().checked_sub(old.len()) else {
        return Search::None;
    };
    for eq in LEVELS {
        let fits = |s: usize| old.iter().zip(&file[s..]).all(|(o, f)| eq(f, o));
        if at_eof && last >= from && fits(last) {
            return Search::One(last);
        }
        let hits: Vec<usize> = (from..=last).filter(|&s| fits(s)).collect();
        match hits.as_slice() {
            [] => {}
            [one] => return Search::One(*one),
            _ => return Search::Many(hits),
        }
    }
    Search::None
}

/// The first line at or after `from` that is the `@@` text: whole-line
/// matches first, then a line containing it.
fn find_header(file: &[&str], from: usize, header: &str) -> Option<usize> {
    let tail = file.get(from..)?;
    let needle = header.trim();
    LEVELS
        .iter()
        .find_map(|eq| tail.iter().position(|l| eq(l, header)))
        .or_else(|| tail.iter().position(|l| l.contains(needle)))
        .map(|i| from + i)
}

fn old_side(lines: &[HunkLine]) -> Vec<&str> {
    lines
        .iter()
        .filter(|l| l.kind != Kind::Add)
        .map(|l| l.text.as_str())
        .collect()
}

/// `lines` without blank context lines at either end: models often leave a
/// blank line before the next `@@` that the file does not have there.
fn trim_blank_context(lines: &[HunkLine]) -> &[HunkLine] {
    let blank = |l: &HunkLine| l.kind == Kind::Context && l.text.trim().is_empty();
    let start = lines.iter().position(|l| !blank(l)).unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !blank(l))
        .map_or(start, |i| i + 1);
    &lines[start..end]
}

/// Identifies a hunk in errors.
struct HunkRef<'a> {
    rel: &'a Path,
    number: usize,
    hunk: &'a Hunk,
    /// First line index searched.
    from: usize,
}

impl HunkRef<'_> {
    fn intro(&self) -> String {
        format!(
            "hunk {} of the update of {} (patch line {})",
            self.number,
            self.rel.display(),
            self.hunk.patch_line
        )
    }

    fn searched(&self) -> String {
        if self.from == 0 {
            String::new()
        } else {
            format!(" from line {} on", self.from + 1)
        }
    }

    /// The hunk's first unchanged and removed lines, as in the patch.
    fn quoted(&self, lines: &[HunkLine]) -> String {
        let old: Vec<&HunkLine> = lines.iter().filter(|l| l.kind != Kind::Add).collect();
        let mut out = String::new();
        for l in old.iter().take(MAX_QUOTED_LINES) {
            let mark = if l.kind == Kind::Remove { '-' } else { ' ' };
            out.push_str(&format!("{mark}{}\n", l.text));
        }
        if old.len() > MAX_QUOTED_LINES {
            out.push_str(&format!("… ({} more)\n", old.len() - MAX_QUOTED_LINES));
        }
        out
    }

    fn read_again(&self) -> String {
        format!(
            "Read {} again (read_file) and copy its current lines exactly into the hunk: \
             ' ' for unchanged lines, '-' for removed ones",
            self.rel.display()
        )
    }
}

/// The new content of `content` with `hunks` applied in order.
pub(super) fn apply_hunks(content: &str, hunks: &[Hunk], rel: &Path) -> Result<String, ToolError> {
    let lines = split_lines(content);
    let texts: Vec<&str> = lines.iter().map(|l| l.text).collect();
    let mut cursor = 0;
    let mut edits: Vec<(usize, &[HunkLine])> = Vec::new();
    for (n, hunk) in hunks.iter().enumerate() {
        let mut at = HunkRef {
            rel,
            number: n + 1,
            hunk,
            from: cursor,
        };
        let mut after_header = None;
        for header in &hunk.headers {
            let from = after_header.unwrap_or(cursor);
            let Some(found) = find_header(&texts, from, header) else {
                at.from = from;
                return Err(ToolError::Failed(format!(
                    "{}: its `@@ {header}` line was not found in {}{}. The text after `@@` must \
                     be (part of) a line of the file before the change, such as the enclosing \
                     `def`, `fn` or `class` line, or nothing. {}",
                    at.intro(),
                    rel.display(),
                    at.searched(),
                    at.read_again()
                )));
            };
            // The hunk's context may start on the header line itself.
            at.from = found;
            after_header = Some(found + 1);
        }
        let (start, used) = locate(&texts, &at, after_header)?;
        let old_len = used.iter().filter(|l| l.kind != Kind::Add).count();
        edits.push((start, used));
        cursor = start + old_len;
    }
    Ok(render(&lines, &edits, content))
}

/// Where the hunk applies, with the lines to apply there.
fn locate<'h>(
    file: &[&str],
    at: &HunkRef<'h>,
    after_header: Option<usize>,
) -> Result<(usize, &'h [HunkLine]), ToolError> {
    let all = at.hunk.lines.as_slice();
    if old_side(all).is_empty() {
        // Pure additions go right after the `@@` line, else at the end.
        let pos = match after_header {
            Some(pos) if !at.hunk.at_eof => pos,
            _ => file.len(),
        };
        return Ok((pos, all));
    }
    let trimmed = trim_blank_context(all);
    let mut tries = vec![all];
    if trimmed.len() < all.len() && !old_side(trimmed).is_empty() {
        tries.push(trimmed);
    }
    for lines in tries {
        match search(file, at.from, &old_side(lines), at.hunk.at_eof) {
            Search::One(pos) => return Ok((pos, lines)),
            Search::Many(hits) => return Err(ToolError::Failed(ambiguous(at, lines, &hits))),
            Search::None => {}
        }
    }
    Err(ToolError::Failed(no_match(file, at)))
}

fn ambiguous(at: &HunkRef, lines: &[HunkLine], hits: &[usize]) -> String {
    let mut listed: Vec<String> = hits
        .iter()
        .take(MAX_LISTED_MATCHES)
        .map(|s| (s + 1).to_string())
        .collect();
    if hits.len() > MAX_LISTED_MATCHES {
        listed.push("…".into());
    }
    format!(
        "{} matches {} places in {}{} (starting at lines {}); it must match exactly one. \
         It looks for:\n{}Add more unchanged lines around the change, or an `@@` line \
         naming the enclosing function or class, so that it matches one place. {}",
        at.intro(),
        hits.len(),
        at.rel.display(),
        at.searched(),
        listed.join(", "),
        at.quoted(lines),
        at.read_again()
    )
}

fn no_match(file: &[&str], at: &HunkRef) -> String {
    let old = old_side(&at.hunk.lines);
    let mut msg = format!(
        "{} does not match the file: these lines were not found in {}{}:\n{}",
        at.intro(),
        at.rel.display(),
        at.searched(),
        at.quoted(&at.hunk.lines)
    );
    let earlier = match search(file, 0, &old, false) {
        Search::One(pos) => Some(pos),
        Search::Many(hits) => hits.first().copied(),
        Search::None => None,
    };
    if let Some(pos) = earlier.filter(|&p| p < at.from) {
        msg.push_str(&format!(
            "They are at line {}, before where the search started: hunks must be in the \
             order of the file, and the `@@` line must come before the hunk's lines. ",
            pos + 1
        ));
    } else if let Some((pos, k)) = longest_prefix(file, at.from, &old) {
        msg.push_str(&format!(
            "The first {k} of them match at line {}, but line {} of the file is `{}` where \
             the hunk has `{}`. ",
            pos + 1,
            pos + k + 1,
            clip(file.get(pos + k).copied().unwrap_or("")),
            clip(old.get(k).copied().unwrap_or(""))
        ));
    }
    msg.push_str(&at.read_again());
    msg
}

/// The start and length of the longest run of `old`'s first lines found
/// at or after `from` (ignoring outer whitespace), if any.
fn longest_prefix(file: &[&str], from: usize, old: &[&str]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for s in from..file.len() {
        let k = old
            .iter()
            .zip(&file[s..])
            .take_while(|(o, f)| same_but_outer(f, o))
            .count();
        if k > best.map_or(0, |b| b.1) {
            best = Some((s, k));
        }
    }
    best.filter(|&(s, k)| k < old.len() && s + k < file.len())
}

/// The file with `edits` (start line, hunk lines) applied. Unchanged lines
/// keep their own text and line break; added ones get the file's usual
/// break, and the file ends with a break exactly when it did before.
fn render(lines: &[Line], edits: &[(usize, &[HunkLine])], content: &str) -> String {
    let eol = if uses_crlf(content) { "\r\n" } else { "\n" };
    // An empty file gets a final newline, like an added one.
    let final_newline = lines.last().is_none_or(|l| l.eol.is_some());
    let mut out: Vec<Line> = Vec::with_capacity(lines.len());
    let mut next = 0;
    for &(start, hunk) in edits {
        out.extend_from_slice(&lines[next..start]);
        let mut at = start;
        for l in hunk {
            match l.kind {
                Kind::Context => {
                    out.push(lines[at]);
                    at += 1;
                }
                Kind::Remove => at += 1,
                Kind::Add => out.push(Line {
                    text: &l.text,
                    eol: None,
                }),
            }
        }
        next = at;
    }
    out.extend_from_slice(&lines[next..]);
    let mut text = String::with_capacity(content.len());
    for (i, l) in out.iter().enumerate() {
        text.push_str(l.text);
        if i + 1 < out.len() || final_newline {
            text.push_str(l.eol.unwrap_or(eol));
        }
    }
    text
}
