//! `edit_file`: exact search and replace, with errors that show the model
//! what the file really says when its `old_string` is off.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::read_file::{binary_error, looks_binary, regular_file_size};
use super::truncate;
use super::write_file::{unified_diff, write_atomic};
use super::{Tool, ToolContext, ToolError, ToolOutput, parse_args};

/// Largest file edit_file loads.
const MAX_EDIT_BYTES: u64 = 64 * 1024 * 1024;
/// Match line numbers listed in an ambiguity error.
const MAX_LISTED_MATCHES: usize = 20;
/// Windows whose exact similarity is computed after the cheap ranking.
const FUZZY_CANDIDATES: usize = 5;
/// Below this similarity a region is not offered as "closest".
const MIN_SIMILARITY: f32 = 0.3;
/// Bound on line comparisons of the cheap ranking.
const MAX_FUZZY_PAIRS: usize = 1_000_000;

pub struct EditFile;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    path: String,
    old_string: String,
    new_string: String,
    #[serde(default)]
    replace_all: bool,
}

#[async_trait]
impl Tool for EditFile {
    fn name(&self) -> &'static str {
        "edit_file"
    }

    fn mutates(&self) -> bool {
        true
    }

    async fn call(
        &self,
        args: serde_json::Value,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(args)?;
        check_args(&args)?;
        let abs = ctx.workspace.resolve(&args.path)?;
        ctx.workspace.check_writable(&abs)?;
        let rel = ctx.workspace.relative(&abs);
        let size = regular_file_size(&ctx.workspace, &abs, &rel).map_err(|e| match e {
            ToolError::NotFound(msg) => {
                ToolError::NotFound(format!("{msg}. To create a new file, use write_file"))
            }
            other => other,
        })?;
        if size > MAX_EDIT_BYTES {
            return Err(ToolError::Failed(format!(
                "{} is {size} bytes, too big for edit_file (at most {MAX_EDIT_BYTES})",
                rel.display()
            )));
        }
        let bytes = std::fs::read(&abs)
            .map_err(|e| ToolError::Failed(format!("cannot read {}: {e}", rel.display())))?;
        if looks_binary(&bytes) {
            return Err(binary_error(&rel, size));
        }
        let content = String::from_utf8(bytes).map_err(|_| {
            ToolError::Failed(format!(
                "{} is not valid UTF-8, so edit_file cannot edit it safely; \
                 use write_file to replace it or shell for byte-level changes",
                rel.display()
            ))
        })?;
        // Before matching: a file changed since it was read (or never read,
        // where reads are required) is to be read again, whatever it says.
        ctx.reads.check_fresh(&abs, &rel)?;
        let edit = apply(&content, &args, &rel).map_err(|e| match e {
            ToolError::Failed(msg) if msg.starts_with(NO_MATCH) => {
                ToolError::Failed(with_elsewhere(msg, ctx, &rel, &args.old_string))
            }
            other => other,
        })?;
        write_atomic(&abs, edit.content.as_bytes())
            .map_err(|e| ToolError::Failed(format!("cannot write {}: {e}", rel.display())))?;
        ctx.reads.seen(&abs);

        let diff = unified_diff(&rel, &to_lf(&content), &to_lf(&edit.content));
        let plural = if edit.replacements == 1 { "" } else { "s" };
        let text = format!(
            "Edited {}: {} replacement{plural}.\n{diff}",
            rel.display(),
            edit.replacements
        );
        let mut out = truncate::output(text, &ctx.limits);
        out.details.changed_files = vec![rel];
        out.details.diff = (!diff.is_empty()).then_some(diff);
        Ok(out)
    }
}

/// Arguments refused before the file is even read.
fn check_args(args: &Args) -> Result<(), ToolError> {
    if args.old_string.is_empty() {
        return Err(ToolError::InvalidArguments(
            "old_string is empty; to create a file or replace all of it, use write_file".into(),
        ));
    }
    if args.old_string == args.new_string {
        return Err(ToolError::InvalidArguments(
            "old_string and new_string are identical; there is nothing to change".into(),
        ));
    }
    Ok(())
}

/// For the cargo-fuzz target in `fuzz/`: what edit_file does to a file
/// holding `content` (the argument checks, then the replacement or the
/// error that explains a miss), without the file. Returns the new content
/// and the number of replacements.
#[doc(hidden)]
pub fn replace_for_fuzz(
    content: &str,
    old_string: &str,
    new_string: &str,
    replace_all: bool,
) -> Result<(String, usize), ToolError> {
    let args = Args {
        path: "fuzz.txt".into(),
        old_string: old_string.into(),
        new_string: new_string.into(),
        replace_all,
    };
    check_args(&args)?;
    let edit = apply(content, &args, Path::new(&args.path))?;
    Ok((edit.content, edit.replacements))
}

#[derive(Debug)]
struct Edited {
    content: String,
    replacements: usize,
}

/// The file's new content, or an error explaining why the edit is unclear.
fn apply(content: &str, args: &Args, rel: &Path) -> Result<Edited, ToolError> {
    let crlf = uses_crlf(content);
    // In a CRLF file the model's LF text is matched and written as CRLF; the
    // model's text as sent is the fallback for files with mixed endings.
    let mut attempts = vec![];
    if crlf {
        attempts.push((to_crlf(&args.old_string), to_crlf(&args.new_string)));
    }
    attempts.push((args.old_string.clone(), args.new_string.clone()));
    let found = attempts
        .iter()
        .map(|(old, new)| (old, new, content.match_indices(old.as_str()).count()))
        .find(|(_, _, n)| *n > 0);
    let Some((old, new, count)) = found else {
        return Err(ToolError::Failed(no_match_message(
            content,
            &args.old_string,
            rel,
        )));
    };
    if count > 1 && !args.replace_all {
        return Err(ToolError::Failed(ambiguous_message(
            content, old, count, rel,
        )));
    }
    let replaced = if args.replace_all {
        content.replace(old.as_str(), new)
    } else {
        content.replacen(old.as_str(), new, 1)
    };
    Ok(Edited {
        content: keep_trailing_newline(content, replaced, crlf),
        replacements: count,
    })
}

/// Whether most of the file's line breaks are CRLF.
fn uses_crlf(content: &str) -> bool {
    let crlf = content.matches("\r\n").count();
    crlf > 0 && crlf * 2 >= content.matches('\n').count()
}

fn to_lf(text: &str) -> String {
    text.replace("\r\n", "\n")
}

fn to_crlf(text: &str) -> String {
    to_lf(text).replace('\n', "\r\n")
}

/// The file ends with a newline after the edit exactly when it did before,
/// unless that newline is all the edit changes.
fn keep_trailing_newline(before: &str, mut after: String, crlf: bool) -> String {
    let original = after.clone();
    if before.ends_with('\n') && !after.ends_with('\n') && !after.is_empty() {
        after.push_str(if crlf { "\r\n" } else { "\n" });
    } else if !before.ends_with('\n') && after.ends_with('\n') {
        after.pop();
        if after.ends_with('\r') {
            after.pop();
        }
    }
    if after == before { original } else { after }
}

fn ambiguous_message(content: &str, old: &str, count: usize, rel: &Path) -> String {
    let mut lines = Vec::new();
    let mut line = 1;
    let mut scanned = 0;
    for (pos, _) in content.match_indices(old).take(MAX_LISTED_MATCHES) {
        line += content[scanned..pos].matches('\n').count();
        scanned = pos;
        lines.push(line.to_string());
    }
    if count > MAX_LISTED_MATCHES {
        lines.push("…".into());
    }
    format!(
        "old_string matches {count} places in {} (starting at lines {}). Include more \
         surrounding lines in old_string to make it unique, or set replace_all to true \
         to replace every occurrence",
        rel.display(),
        lines.join(", ")
    )
}

/// Files up to this many lines are shown whole when old_string misses.
const WHOLE_FILE_LINES: usize = 40;

/// How a no-match error starts (so the caller can add where it is instead).
const NO_MATCH: &str = "old_string was not found in";
/// Files searched for an old_string that missed its file.
const ELSEWHERE_FILES: usize = 2_000;
/// Largest file searched for it.
const ELSEWHERE_BYTES: u64 = 512 * 1024;

/// Adds which other files hold `old` exactly. Measured on Qwen2.5-Coder
/// 1.5B: it copies a line from the test file it just ran and tries to
/// replace it in the module under test, again and again.
fn with_elsewhere(mut msg: String, ctx: &ToolContext, rel: &Path, old: &str) -> String {
    if old.trim().len() < 8 {
        return msg;
    }
    let root = ctx.workspace.root();
    let found: Vec<String> = super::list_files::files(root, None)
        .take(ELSEWHERE_FILES)
        .filter(|e| e.metadata().is_ok_and(|m| m.len() <= ELSEWHERE_BYTES))
        .filter_map(|e| {
            let other = e.path().strip_prefix(root).ok()?.to_path_buf();
            if other == rel {
                return None;
            }
            let text = std::fs::read_to_string(e.path()).ok()?;
            (text.contains(old) || to_lf(&text).contains(&to_lf(old)))
                .then(|| other.display().to_string())
        })
        .take(3)
        .collect();
    if found.is_empty() {
        return msg;
    }
    msg.push_str(&format!(
        "\nNote: this old_string is in {}, not in {}.",
        found.join(", "),
        rel.display()
    ));
    if found.iter().any(|f| f.contains("test")) {
        msg.push_str(
            " That is test code: to make a failing test pass, change the code it tests, not the test.",
        );
    }
    msg
}

/// Explains a failed match, showing the closest region of the file and a
/// diff from the model's text to it.
fn no_match_message(content: &str, old: &str, rel: &Path) -> String {
    let file = to_lf(content);
    let needle = to_lf(old);
    let mut msg = format!("{NO_MATCH} {}.", rel.display());
    let file_lines: Vec<&str> = file.lines().collect();
    if file_lines.len() <= WHOLE_FILE_LINES {
        // A short file is shown whole: small models tend to retry a guess
        // at the text; the real text, right in the error, breaks that.
        msg.push_str(&format!(
            " The whole file ({} lines) is:\n",
            file_lines.len()
        ));
        push_numbered(&mut msg, &file_lines, 1);
        msg.push_str(
            "old_string must be a part of this text, copied exactly (without the line \
             numbers). Change the line that causes the problem.",
        );
        return msg;
    }
    let Some(region) = closest_region(&file, &needle) else {
        msg.push_str(
            " Nothing in the file resembles it; read the file again (read_file) \
             to see its current content.",
        );
        return msg;
    };
    let shown = &file_lines[region.start..region.end];
    let (first, last) = (region.start + 1, region.end);
    msg.push_str(&format!(
        "\nThe closest part of the file is lines {first}-{last} ({:.0}% similar):\n",
        region.similarity * 100.0
    ));
    push_numbered(&mut msg, shown, first);
    let actual = with_newline(&shown.join("\n"));
    let sent = with_newline(&needle);
    let diff = similar::TextDiff::configure()
        .timeout(Duration::from_millis(500))
        .diff_lines(sent.as_str(), actual.as_str());
    let header = format!("{} lines {first}-{last}", rel.display());
    msg.push_str("Diff from your old_string to the file's text there:\n");
    msg.push_str(
        &diff
            .unified_diff()
            .context_radius(2)
            .header("old_string", &header)
            .to_string(),
    );
    msg.push_str(
        "Copy the file's exact text (whitespace and indentation included) into old_string and retry.",
    );
    msg
}

/// Appends `lines` numbered from `first`, in `read_file`'s `N<TAB>text` form.
fn push_numbered(msg: &mut String, lines: &[&str], first: usize) {
    for (i, line) in lines.iter().enumerate() {
        msg.push_str(&format!("{:>6}\t{line}\n", first + i));
    }
}

fn with_newline(text: &str) -> String {
    let mut s = text.to_string();
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[derive(Debug)]
struct Region {
    /// 0-based line range of the file.
    start: usize,
    end: usize,
    similarity: f32,
}

/// The window of the needle's line count that is most similar to it: a
/// cheap per-line ranking picks candidates, a character diff decides.
fn closest_region(file: &str, needle: &str) -> Option<Region> {
    let file_lines: Vec<&str> = file.lines().collect();
    let needle_lines: Vec<&str> = needle.lines().collect();
    if file_lines.is_empty() || needle_lines.is_empty() {
        return None;
    }
    let width = needle_lines.len().min(file_lines.len());
    let starts = file_lines.len() - width + 1;
    // Compare a subset of needle lines when the file is huge.
    let step = (starts * width).div_ceil(MAX_FUZZY_PAIRS).max(1);
    let needle_hists: Vec<(usize, Hist)> = needle_lines[..width]
        .iter()
        .enumerate()
        .step_by(step)
        .map(|(j, l)| (j, Hist::of(l.trim())))
        .collect();
    let mut ranked: Vec<(f32, usize)> = (0..starts)
        .map(|s| {
            let score = needle_hists
                .iter()
                .map(|(j, h)| h.quick_ratio(file_lines[s + j].trim()))
                .sum::<f32>();
            (score, s)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let needle_text = needle_lines[..width].join("\n");
    ranked
        .iter()
        .take(FUZZY_CANDIDATES)
        .map(|&(_, s)| {
            let window = file_lines[s..s + width].join("\n");
            let similarity = similar::TextDiff::configure()
                .timeout(Duration::from_millis(100))
                .diff_chars(needle_text.as_str(), window.as_str())
                .ratio();
            Region {
                start: s,
                end: s + width,
                similarity,
            }
        })
        .filter(|r| r.similarity >= MIN_SIMILARITY)
        .max_by(|a, b| {
            a.similarity
                .total_cmp(&b.similarity)
                .then(b.start.cmp(&a.start))
        })
}

/// Byte histogram of a line, for difflib's "quick ratio" (an upper bound of
/// the real similarity that is cheap to compute).
struct Hist {
    counts: [u16; 256],
    len: usize,
}

impl Hist {
    fn of(text: &str) -> Self {
        let mut counts = [0u16; 256];
        for b in text.bytes() {
            counts[usize::from(b)] = counts[usize::from(b)].saturating_add(1);
        }
        Self {
            counts,
            len: text.len(),
        }
    }

    fn quick_ratio(&self, other: &str) -> f32 {
        let total = self.len + other.len();
        if total == 0 {
            return 1.0;
        }
        let mut avail = self.counts;
        let mut common = 0usize;
        for b in other.bytes() {
            let slot = &mut avail[usize::from(b)];
            if *slot > 0 {
                *slot -= 1;
                common += 1;
            }
        }
        (2 * common) as f32 / total as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{ToolLimits, Workspace};
    use serde_json::json;
    use std::os::unix::fs::PermissionsExt;
    use tokio_util::sync::CancellationToken;

    fn ctx(dir: &Path) -> ToolContext {
        ToolContext {
            workspace: Workspace::new(dir).unwrap(),
            limits: ToolLimits::default(),
            cancel: CancellationToken::new(),
            reads: Default::default(),
        }
    }

    async fn edit(dir: &Path, args: serde_json::Value) -> Result<ToolOutput, ToolError> {
        EditFile.call(args, &ctx(dir)).await
    }

    fn failed_msg(r: Result<ToolOutput, ToolError>) -> String {
        match r {
            Err(ToolError::Failed(msg)) => msg,
            other => panic!("expected Failed, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn replaces_once_and_shows_diff() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.rs");
        std::fs::write(&p, "fn a() {}\nfn b() {}\nfn c() {}\n").unwrap();
        let out = edit(
            dir.path(),
            json!({"path": "m.rs", "old_string": "fn b() {}", "new_string": "fn bee() {}"}),
        )
        .await
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "fn a() {}\nfn bee() {}\nfn c() {}\n"
        );
        assert!(
            out.for_model
                .starts_with("Edited m.rs: 1 replacement.\n--- a/m.rs\n+++ b/m.rs\n"),
            "{}",
            out.for_model
        );
        assert!(
            out.for_model.contains("-fn b() {}\n+fn bee() {}\n"),
            "{}",
            out.for_model
        );
        assert_eq!(
            out.details.changed_files,
            vec![Path::new("m.rs").to_path_buf()]
        );
        assert!(out.details.diff.unwrap().contains("+fn bee() {}"));
    }

    #[tokio::test]
    async fn ambiguous_edit_lists_match_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "x = 1\ny = 2\nx = 1\nz\nx = 1\n").unwrap();
        let msg = failed_msg(
            edit(
                dir.path(),
                json!({"path": "a.txt", "old_string": "x = 1", "new_string": "x = 2"}),
            )
            .await,
        );
        assert!(msg.contains("matches 3 places"), "{msg}");
        assert!(msg.contains("lines 1, 3, 5"), "{msg}");
        assert!(msg.contains("replace_all"), "{msg}");
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "x = 1\ny = 2\nx = 1\nz\nx = 1\n"
        );
        let out = edit(
            dir.path(),
            json!({"path": "a.txt", "old_string": "x = 1", "new_string": "x = 2", "replace_all": true}),
        )
        .await
        .unwrap();
        assert!(
            out.for_model.starts_with("Edited a.txt: 3 replacements."),
            "{}",
            out.for_model
        );
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "x = 2\ny = 2\nx = 2\nz\nx = 2\n"
        );
    }

    #[tokio::test]
    async fn an_edit_after_an_outside_change_is_refused_until_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.py");
        std::fs::write(&p, "x = 1\n").unwrap();
        let ctx = ctx(dir.path());
        let read = || crate::tools::read_file::ReadFile.call(json!({"path": "a.py"}), &ctx);
        let change = json!({"path": "a.py", "old_string": "x = 1", "new_string": "x = 2"});
        read().await.unwrap();
        // The user edits the file after the model read it.
        std::fs::write(&p, "x = 1\ny = 3\n").unwrap();
        let err = EditFile.call(change.clone(), &ctx).await.unwrap_err();
        assert_eq!(err.kind(), "stale", "{err}");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "x = 1\ny = 3\n");
        read().await.unwrap();
        EditFile.call(change, &ctx).await.unwrap();
        // kiln's own edit keeps the file fresh for the next one.
        let next = json!({"path": "a.py", "old_string": "y = 3", "new_string": "y = 4"});
        EditFile.call(next, &ctx).await.unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "x = 2\ny = 4\n");
    }

    #[tokio::test]
    async fn no_match_in_a_short_file_shows_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let text = "def add(a, b):\n    return a - b\n";
        std::fs::write(dir.path().join("calc.py"), text).unwrap();
        let msg = failed_msg(
            edit(
                dir.path(),
                json!({
                    "path": "calc.py",
                    "old_string": "self.assertEqual(add(2, 3), -1)",
                    "new_string": "self.assertEqual(add(2, 3), 5)"
                }),
            )
            .await,
        );
        assert!(msg.contains("The whole file (2 lines) is:"), "{msg}");
        assert!(
            msg.contains("     1\tdef add(a, b):\n     2\t    return a - b\n"),
            "{msg}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("calc.py")).unwrap(),
            text
        );
    }

    #[tokio::test]
    async fn no_match_shows_closest_region_and_diff() {
        let dir = tempfile::tempdir().unwrap();
        let mut text: String = (1..=50)
            .map(|i| format!("let v{i} = compute({i});\n"))
            .collect();
        text.push_str("fn target() {\n    let answer = 42;\n    println!(\"{answer}\");\n}\n");
        text.push_str(
            &(51..=80)
                .map(|i| format!("let v{i} = compute({i});\n"))
                .collect::<String>(),
        );
        std::fs::write(dir.path().join("t.rs"), &text).unwrap();
        let msg = failed_msg(
            edit(
                dir.path(),
                json!({
                    "path": "t.rs",
                    "old_string": "fn target() {\n  let answer = 41;\n    println!(\"{answer}\");\n}",
                    "new_string": "fn target() {}"
                }),
            )
            .await,
        );
        assert!(msg.contains("old_string was not found in t.rs"), "{msg}");
        assert!(msg.contains("lines 51-54"), "{msg}");
        assert!(msg.contains("    52\t    let answer = 42;"), "{msg}");
        assert!(
            msg.contains("-  let answer = 41;\n+    let answer = 42;\n"),
            "{msg}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("t.rs")).unwrap(),
            text
        );
    }

    #[tokio::test]
    async fn no_match_without_anything_similar_says_so() {
        let dir = tempfile::tempdir().unwrap();
        // Longer than a file shown whole.
        let text = "aaaa\nbbbb\n".repeat(WHOLE_FILE_LINES);
        std::fs::write(dir.path().join("t.txt"), text).unwrap();
        let msg = failed_msg(
            edit(
                dir.path(),
                json!({"path": "t.txt", "old_string": "zzzzzzzzzzzzzz", "new_string": "q"}),
            )
            .await,
        );
        assert!(msg.contains("Nothing in the file resembles it"), "{msg}");
    }

    #[tokio::test]
    async fn crlf_is_matched_and_preserved() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.txt");
        std::fs::write(&p, "one\r\ntwo\r\nthree\r\n").unwrap();
        edit(
            dir.path(),
            json!({"path": "w.txt", "old_string": "one\ntwo\n", "new_string": "uno\ndos\nextra\n"}),
        )
        .await
        .unwrap();
        assert_eq!(
            std::fs::read(&p).unwrap(),
            b"uno\r\ndos\r\nextra\r\nthree\r\n"
        );
        // A one-line match that inserts lines also gets CRLF.
        edit(
            dir.path(),
            json!({"path": "w.txt", "old_string": "three", "new_string": "3\n4"}),
        )
        .await
        .unwrap();
        assert_eq!(
            std::fs::read(&p).unwrap(),
            b"uno\r\ndos\r\nextra\r\n3\r\n4\r\n"
        );
    }

    #[tokio::test]
    async fn trailing_newline_presence_is_preserved() {
        let dir = tempfile::tempdir().unwrap();
        let with = dir.path().join("with.txt");
        let without = dir.path().join("without.txt");
        std::fs::write(&with, "a\nlast\n").unwrap();
        std::fs::write(&without, "a\nlast").unwrap();
        edit(
            dir.path(),
            json!({"path": "with.txt", "old_string": "last\n", "new_string": "end"}),
        )
        .await
        .unwrap();
        edit(
            dir.path(),
            json!({"path": "without.txt", "old_string": "last", "new_string": "end\n"}),
        )
        .await
        .unwrap();
        assert_eq!(std::fs::read_to_string(&with).unwrap(), "a\nend\n");
        assert_eq!(std::fs::read_to_string(&without).unwrap(), "a\nend");
        // Adding the final newline on purpose still works.
        edit(
            dir.path(),
            json!({"path": "without.txt", "old_string": "end", "new_string": "end\n"}),
        )
        .await
        .unwrap();
        assert_eq!(std::fs::read_to_string(&without).unwrap(), "a\nend\n");
    }

    #[tokio::test]
    async fn permissions_are_preserved() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.sh");
        std::fs::write(&p, "echo hi\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        edit(
            dir.path(),
            json!({"path": "x.sh", "old_string": "hi", "new_string": "bye"}),
        )
        .await
        .unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
            0o755
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "echo bye\n");
    }

    #[tokio::test]
    async fn bad_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "abc\n").unwrap();
        std::fs::write(dir.path().join("b.bin"), b"a\0b").unwrap();
        std::fs::write(outside.path().join("o.txt"), "abc\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("o.txt"), dir.path().join("link")).unwrap();
        let d = dir.path();
        let r = edit(
            d,
            json!({"path": "a.txt", "old_string": "", "new_string": "x"}),
        )
        .await;
        assert!(matches!(r, Err(ToolError::InvalidArguments(_))), "{r:?}");
        let r = edit(
            d,
            json!({"path": "a.txt", "old_string": "abc", "new_string": "abc"}),
        )
        .await;
        assert!(matches!(r, Err(ToolError::InvalidArguments(_))), "{r:?}");
        let r = edit(
            d,
            json!({"path": "nope.txt", "old_string": "a", "new_string": "b"}),
        )
        .await;
        assert!(
            matches!(r, Err(ToolError::NotFound(ref m)) if m.contains("write_file")),
            "{r:?}"
        );
        let msg = failed_msg(
            edit(
                d,
                json!({"path": "b.bin", "old_string": "a", "new_string": "b"}),
            )
            .await,
        );
        assert!(msg.contains("binary"), "{msg}");
        for p in [
            "../x",
            "link",
            outside.path().join("o.txt").to_str().unwrap(),
        ] {
            let r = edit(
                d,
                json!({"path": p, "old_string": "abc", "new_string": "x"}),
            )
            .await;
            assert!(matches!(r, Err(ToolError::PathEscape(_))), "{p}: {r:?}");
        }
        assert_eq!(
            std::fs::read_to_string(outside.path().join("o.txt")).unwrap(),
            "abc\n"
        );
    }

    #[tokio::test]
    async fn no_match_says_which_other_file_holds_the_text() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("calc.py"),
            "def add(a, b):\n    return a - b\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("test_calc.py"),
            "def test_add():\n    assert add(2, 3) == 5\n",
        )
        .unwrap();
        let msg = failed_msg(
            edit(
                dir.path(),
                json!({
                    "path": "calc.py",
                    "old_string": "assert add(2, 3) == 5",
                    "new_string": "assert add(2, 3) == -1"
                }),
            )
            .await,
        );
        assert!(
            msg.contains("this old_string is in test_calc.py, not in calc.py"),
            "{msg}"
        );
        assert!(msg.contains("not the test"), "{msg}");
        let msg = failed_msg(
            edit(
                dir.path(),
                json!({ "path": "calc.py", "old_string": "return a * b", "new_string": "x" }),
            )
            .await,
        );
        assert!(!msg.contains("Note:"), "found nowhere else: {msg}");
    }
}
