//! Parsing: the patch text into file operations and their hunks.

use super::truncate;

const BEGIN: &str = "*** Begin Patch";
const END: &str = "*** End Patch";
pub(super) const ADD: &str = "*** Add File:";
pub(super) const UPDATE: &str = "*** Update File:";
const DELETE: &str = "*** Delete File:";
const MOVE: &str = "*** Move to:";
const END_OF_FILE: &str = "*** End of File";

#[derive(Debug)]
pub(super) enum Op {
    Add {
        path: String,
        lines: Vec<String>,
    },
    Delete {
        path: String,
    },
    Update {
        path: String,
        move_to: Option<String>,
        hunks: Vec<Hunk>,
    },
}

#[derive(Debug, Default)]
pub(super) struct Hunk {
    /// `@@` texts, each a file line the hunk comes after (nested scopes).
    pub(super) headers: Vec<String>,
    pub(super) lines: Vec<HunkLine>,
    /// `*** End of File`: the hunk's old lines end the file.
    pub(super) at_eof: bool,
    /// Line of the patch the hunk starts on, for errors.
    pub(super) patch_line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Context,
    Remove,
    Add,
}

#[derive(Debug)]
pub(super) struct HunkLine {
    pub(super) kind: Kind,
    pub(super) text: String,
}

/// The operations of a patch, or what is wrong with its text.
/// The paths a patch's file headers name (added, updated, deleted, moved
/// to), in order, without validating the patch: for approvals and display.
pub fn named_paths(patch: &str) -> Vec<String> {
    patch
        .lines()
        .filter_map(|l| {
            [ADD, UPDATE, DELETE, MOVE]
                .iter()
                .find_map(|h| l.strip_prefix(h))
        })
        .map(|p| p.trim().to_string())
        .collect()
}

pub(super) fn parse(patch: &str) -> Result<Vec<Op>, String> {
    let text = patch.replace("\r\n", "\n");
    let mut lines: Vec<(usize, &str)> = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .collect();
    trim_blank_ends(&mut lines);
    // Small models often wrap the patch in a ```diff fence.
    let fenced = lines.len() >= 2
        && lines[0].1.trim_start().starts_with("```")
        && lines[lines.len() - 1].1.trim() == "```";
    if fenced {
        lines.pop();
        lines.remove(0);
        trim_blank_ends(&mut lines);
    }
    let begins = lines.first().is_some_and(|l| l.1.trim() == BEGIN);
    let ends = lines.len() >= 2 && lines.last().is_some_and(|l| l.1.trim() == END);
    match (begins, ends) {
        (true, true) => {
            lines.pop();
            lines.remove(0);
        }
        (false, false) => {}
        // One marker without the other usually means a cut-off patch.
        (true, false) => {
            return Err(format!(
                "the patch starts with `{BEGIN}` but its last line is not `{END}`; was it \
                 cut off? Send the whole patch, ending with `{END}`"
            ));
        }
        (false, true) => {
            return Err(format!(
                "the patch ends with `{END}` but does not start with `{BEGIN}`; send the \
                 whole patch, starting with `{BEGIN}`"
            ));
        }
    }
    parse_ops(&lines)
}

fn trim_blank_ends(lines: &mut Vec<(usize, &str)>) {
    while lines.last().is_some_and(|l| l.1.trim().is_empty()) {
        lines.pop();
    }
    let blank = lines.iter().take_while(|l| l.1.trim().is_empty()).count();
    lines.drain(..blank);
}

fn parse_ops(lines: &[(usize, &str)]) -> Result<Vec<Op>, String> {
    let mut ops = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (no, line) = lines[i];
        i += 1;
        // Markers in the middle are tolerated: two patches pasted together.
        if line.trim().is_empty() || is_marker(line) {
            continue;
        }
        if let Some(path) = header_path(no, line, ADD)? {
            let mut content = Vec::new();
            // Blank lines count as empty lines only between `+` lines.
            let mut blanks = 0;
            while i < lines.len() && !ends_section(lines[i].1) {
                let (no, l) = lines[i];
                i += 1;
                if let Some(text) = l.strip_prefix('+') {
                    content.extend(std::iter::repeat_n(String::new(), blanks));
                    blanks = 0;
                    content.push(text.to_string());
                } else if l.trim().is_empty() {
                    blanks += 1;
                } else {
                    return Err(format!(
                        "line {no}: every line of a new file's content (after `{ADD} {path}`) \
                         must start with `+`; this one does not: `{}`",
                        clip(l)
                    ));
                }
            }
            ops.push(Op::Add {
                path,
                lines: content,
            });
        } else if let Some(path) = header_path(no, line, DELETE)? {
            ops.push(Op::Delete { path });
        } else if let Some(path) = header_path(no, line, UPDATE)? {
            let mut move_to = None;
            if let Some(&(move_no, l)) = lines.get(i) {
                move_to = header_path(move_no, l, MOVE)?;
                if move_to.is_some() {
                    i += 1;
                }
            }
            let (hunks, next) = parse_hunks(lines, i, &path)?;
            i = next;
            if hunks.is_empty() && move_to.is_none() {
                return Err(format!(
                    "line {no}: `{UPDATE} {path}` has no hunks; follow it with `@@` hunks of \
                     ' ', '-' and '+' lines"
                ));
            }
            ops.push(Op::Update {
                path,
                move_to,
                hunks,
            });
        } else if line.starts_with("--- ") || line.starts_with("diff --git") {
            return Err(format!(
                "line {no}: `{}` looks like a unified diff; apply_patch takes its own format: \
                 `{UPDATE} <path>` followed by `@@` hunks",
                clip(line)
            ));
        } else {
            return Err(stray_line(no, line));
        }
    }
    if ops.is_empty() {
        return Err(format!(
            "the patch changes no file; it needs at least one `{ADD}`, `{UPDATE}` or \
             `{DELETE}` section"
        ));
    }
    Ok(ops)
}

/// The hunks of an Update section starting at `lines[i]`, and the index of
/// the line after the section.
fn parse_hunks(
    lines: &[(usize, &str)],
    mut i: usize,
    path: &str,
) -> Result<(Vec<Hunk>, usize), String> {
    let mut hunks = Vec::new();
    let mut hunk: Option<Hunk> = None;
    while i < lines.len() && !ends_section(lines[i].1) {
        let (no, l) = lines[i];
        i += 1;
        if let Some(rest) = l.strip_prefix("@@") {
            // `@@` lines in a row narrow step by step (class, then method).
            let open = hunk.as_ref().is_some_and(|h| h.lines.is_empty());
            if !open && let Some(h) = hunk.take() {
                finish_hunk(h, path, &mut hunks)?;
            }
            let h = hunk.get_or_insert_with(|| Hunk {
                patch_line: no,
                ..Default::default()
            });
            h.headers.extend(hunk_header(rest));
            continue;
        }
        if l.trim() == END_OF_FILE {
            match hunk.as_mut() {
                Some(h) => h.at_eof = true,
                None => {
                    return Err(format!(
                        "line {no}: `{END_OF_FILE}` must end a hunk of `{UPDATE} {path}`"
                    ));
                }
            }
            continue;
        }
        let (kind, text) = match l.as_bytes().first() {
            None => (Kind::Context, ""),
            Some(b' ') => (Kind::Context, &l[1..]),
            Some(b'-') => (Kind::Remove, &l[1..]),
            Some(b'+') => (Kind::Add, &l[1..]),
            Some(_) if l.starts_with("***") => return Err(stray_line(no, l)),
            Some(_) => {
                return Err(format!(
                    "line {no}: `{}` in a hunk of `{UPDATE} {path}` does not start with ' ' \
                     (unchanged line), '-' (removed line) or '+' (added line)",
                    clip(l)
                ));
            }
        };
        hunk.get_or_insert_with(|| Hunk {
            patch_line: no,
            ..Default::default()
        })
        .lines
        .push(HunkLine {
            kind,
            text: text.to_string(),
        });
    }
    if let Some(h) = hunk.take() {
        finish_hunk(h, path, &mut hunks)?;
    }
    Ok((hunks, i))
}

fn finish_hunk(h: Hunk, path: &str, hunks: &mut Vec<Hunk>) -> Result<(), String> {
    if h.lines.iter().any(|l| l.kind != Kind::Context) {
        hunks.push(h);
        return Ok(());
    }
    // Blank lines between sections are layout, not a hunk.
    if h.headers.is_empty() && h.lines.iter().all(|l| l.text.trim().is_empty()) {
        return Ok(());
    }
    Err(format!(
        "line {}: a hunk of `{UPDATE} {path}` has no '-' or '+' lines, so it changes nothing",
        h.patch_line
    ))
}

/// The text of an `@@` line; a unified diff's `-12,5 +12,6 @@` line numbers
/// are dropped, since hunks are located by their lines.
fn hunk_header(rest: &str) -> Option<String> {
    let mut text = rest.trim();
    if let Some((ranges, tail)) = text.split_once("@@")
        && ranges.trim_start().starts_with('-')
        && ranges
            .chars()
            .all(|c| c.is_ascii_digit() || " ,+-".contains(c))
    {
        text = tail.trim();
    }
    // `@@ def foo(): @@`: a closing pair copied from unified diffs.
    if let Some(inner) = text.strip_suffix("@@") {
        text = inner.trim_end();
    }
    (!text.is_empty()).then(|| text.to_string())
}

/// The path of a `prefix` header line; `None` when `line` is another line.
fn header_path(no: usize, line: &str, prefix: &str) -> Result<Option<String>, String> {
    let Some(path) = line.strip_prefix(prefix) else {
        return Ok(None);
    };
    let path = path.trim();
    if path.is_empty() {
        return Err(format!("line {no}: `{prefix}` is not followed by a path"));
    }
    Ok(Some(path.to_string()))
}

fn is_marker(line: &str) -> bool {
    let t = line.trim();
    t == BEGIN || t == END
}

/// Whether `line` starts the next file section (or ends the patch).
fn ends_section(line: &str) -> bool {
    is_marker(line) || [ADD, UPDATE, DELETE].iter().any(|p| line.starts_with(p))
}

fn stray_line(no: usize, line: &str) -> String {
    if line.starts_with(MOVE) {
        return format!("line {no}: `{MOVE}` must come right after an `{UPDATE}` line");
    }
    format!(
        "line {no}: expected `{ADD} <path>`, `{UPDATE} <path>` or `{DELETE} <path>`, got `{}`",
        clip(line)
    )
}

/// A line quoted in an error, shortened if long.
pub(super) fn clip(line: &str) -> String {
    const MAX: usize = 120;
    if line.len() <= MAX {
        return line.to_string();
    }
    format!("{}…", &line[..truncate::floor_char_boundary(line, MAX)])
}
