//! `read_file`: numbered lines of a text file, a page at a time.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use async_trait::async_trait;
use serde::Deserialize;

use super::{Tool, ToolContext, ToolError, ToolLimits, ToolOutput, Workspace, parse_args};

/// Most lines one call returns, whatever the limits say.
const MAX_PAGE_LINES: usize = 2_000;
/// Lines longer than this are cut in the listing.
const MAX_LINE_BYTES: usize = 2_000;
/// How much of a file the binary check looks at.
const BINARY_SNIFF_BYTES: usize = 8 * 1024;
/// Bytes reserved for the notes after the numbered lines.
const NOTE_RESERVE: usize = 400;

pub struct ReadFile;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    path: String,
    start_line: Option<usize>,
    end_line: Option<usize>,
}

#[async_trait]
impl Tool for ReadFile {
    fn name(&self) -> &'static str {
        "read_file"
    }

    fn mutates(&self) -> bool {
        false
    }

    async fn call(
        &self,
        args: serde_json::Value,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(args)?;
        let range = Range::new(args.start_line, args.end_line)?;
        let abs = ctx.workspace.resolve(&args.path)?;
        let rel = ctx.workspace.relative(&abs);
        let size = regular_file_size(&ctx.workspace, &abs, &rel)?;
        let limits = ctx.limits.clone();
        let path = abs.clone();
        let text =
            tokio::task::spawn_blocking(move || read_page(&path, &rel, size, range, &limits))
                .await
                .map_err(|e| ToolError::Failed(format!("read_file task failed: {e}")))??;
        ctx.reads.seen(&abs);
        Ok(ToolOutput::text(text))
    }
}

#[derive(Clone, Copy, Debug)]
struct Range {
    start: usize,
    end: Option<usize>,
    explicit: bool,
}

impl Range {
    fn new(start: Option<usize>, end: Option<usize>) -> Result<Self, ToolError> {
        if start == Some(0) || end == Some(0) {
            return Err(ToolError::InvalidArguments(
                "line numbers start at 1".into(),
            ));
        }
        let first = start.unwrap_or(1);
        if let Some(end) = end.filter(|&end| end < first) {
            return Err(ToolError::InvalidArguments(format!(
                "end_line {end} is before start_line {first}"
            )));
        }
        Ok(Self {
            start: first,
            end,
            explicit: start.is_some() || end.is_some(),
        })
    }
}

/// The size of the regular file at `abs`, or an error the model can act on.
pub(crate) fn regular_file_size(ws: &Workspace, abs: &Path, rel: &Path) -> Result<u64, ToolError> {
    let meta = match std::fs::metadata(abs) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found(ws, abs, rel)),
        Err(e) => {
            return Err(ToolError::Failed(format!(
                "cannot read {}: {e}",
                rel.display()
            )));
        }
    };
    if meta.is_dir() {
        return Err(ToolError::Failed(format!(
            "{} is a directory; use list_files to see what it contains",
            rel.display()
        )));
    }
    if !meta.is_file() {
        return Err(ToolError::Failed(format!(
            "{} is not a regular file",
            rel.display()
        )));
    }
    Ok(meta.len())
}

/// A `NotFound` error naming similar files of the same directory, if any.
pub(crate) fn not_found(ws: &Workspace, abs: &Path, rel: &Path) -> ToolError {
    let mut msg = format!("{} does not exist", rel.display());
    let (Some(dir), Some(name)) = (abs.parent(), abs.file_name()) else {
        return ToolError::NotFound(msg);
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        msg.push_str(&format!(
            "; neither does its directory {}. Use list_files to see what exists",
            ws.relative(dir).display()
        ));
        return ToolError::NotFound(msg);
    };
    // A bounded look keeps this cheap in huge directories.
    let names: Vec<String> = entries
        .take(5_000)
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let close = similar::get_close_matches(&*name.to_string_lossy(), &refs, 3, 0.6);
    if close.is_empty() {
        msg.push_str(". Use list_files to see what exists");
    } else {
        let dir_rel = ws.relative(dir);
        let paths: Vec<String> = close
            .iter()
            .map(|n| dir_rel.join(n).display().to_string())
            .map(|p| p.strip_prefix("./").map(str::to_string).unwrap_or(p))
            .collect();
        msg.push_str(&format!(". Did you mean: {}?", paths.join(", ")));
    }
    ToolError::NotFound(msg)
}

/// Whether `head` (the start of a file) looks binary: it has a NUL byte.
pub(crate) fn looks_binary(head: &[u8]) -> bool {
    head[..head.len().min(BINARY_SNIFF_BYTES)].contains(&0)
}

/// `Failed` for a binary file, with its size.
pub(crate) fn binary_error(rel: &Path, size: u64) -> ToolError {
    ToolError::Failed(format!(
        "{} is a binary file ({size} bytes); its content is not shown. \
         Use shell (e.g. `file`, `xxd | head`) to inspect it",
        rel.display()
    ))
}

fn io_error(rel: &Path, e: std::io::Error) -> ToolError {
    ToolError::Failed(format!("cannot read {}: {e}", rel.display()))
}

fn read_page(
    abs: &Path,
    rel: &Path,
    size: u64,
    range: Range,
    limits: &ToolLimits,
) -> Result<String, ToolError> {
    let mut file = File::open(abs).map_err(|e| io_error(rel, e))?;
    let mut head = Vec::with_capacity(BINARY_SNIFF_BYTES);
    (&mut file)
        .take(BINARY_SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| io_error(rel, e))?;
    if looks_binary(&head) {
        return Err(binary_error(rel, size));
    }
    if size > limits.max_read_bytes && !range.explicit {
        return Err(ToolError::Failed(format!(
            "{} is {size} bytes, more than read_file reads at once ({} bytes). \
             Read part of it with start_line/end_line (e.g. start_line=1, end_line=200), \
             or find what you need with grep",
            rel.display(),
            limits.max_read_bytes
        )));
    }
    let page = Page {
        range,
        max_lines: limits.max_output_lines.clamp(1, MAX_PAGE_LINES),
        max_bytes: limits.max_output_bytes.saturating_sub(NOTE_RESERVE).max(1),
    };
    let reader = BufReader::with_capacity(64 * 1024, head.chain(file));
    let scan = page.scan(reader).map_err(|e| io_error(rel, e))?;
    render(rel, range, &scan)
}

struct Page {
    range: Range,
    max_lines: usize,
    max_bytes: usize,
}

/// What a pass over the file collected.
#[derive(Default)]
struct Scan {
    /// The numbered listing of the shown lines.
    listing: String,
    first_shown: usize,
    last_shown: usize,
    total_lines: usize,
    /// The page filled up before the requested range ended.
    page_full: bool,
    invalid_utf8: bool,
    crlf: bool,
    cut_long_lines: bool,
}

impl Page {
    /// One pass over the file: collects the page and counts every line,
    /// holding at most [`MAX_LINE_BYTES`] of any one line in memory.
    fn scan(&self, mut reader: impl BufRead) -> std::io::Result<Scan> {
        let mut scan = Scan::default();
        let mut line = Vec::new();
        let mut line_len = 0usize;
        let mut line_no = 1usize;
        let mut pending = false;
        loop {
            let chunk = reader.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            let chunk_len = chunk.len();
            let mut rest = chunk;
            while !rest.is_empty() {
                let wanted = self.wants(line_no, &scan);
                let (part, ended) = match rest.iter().position(|&b| b == b'\n') {
                    Some(i) => (&rest[..i], true),
                    None => (rest, false),
                };
                if wanted && line.len() < MAX_LINE_BYTES + 4 {
                    let room = MAX_LINE_BYTES + 4 - line.len();
                    line.extend_from_slice(&part[..part.len().min(room)]);
                }
                line_len += part.len();
                pending = true;
                rest = &rest[(part.len() + usize::from(ended)).min(rest.len())..];
                if ended {
                    if wanted {
                        self.push_line(&mut scan, line_no, &line, line_len);
                    }
                    line.clear();
                    line_len = 0;
                    line_no += 1;
                    pending = false;
                }
            }
            reader.consume(chunk_len);
        }
        if pending {
            if self.wants(line_no, &scan) {
                self.push_line(&mut scan, line_no, &line, line_len);
            }
            line_no += 1;
        }
        scan.total_lines = line_no - 1;
        Ok(scan)
    }

    fn wants(&self, line_no: usize, scan: &Scan) -> bool {
        line_no >= self.range.start
            && self.range.end.is_none_or(|end| line_no <= end)
            && !scan.page_full
    }

    fn push_line(&self, scan: &mut Scan, line_no: usize, bytes: &[u8], full_len: usize) {
        let shown = line_no - self.range.start;
        let mut bytes = bytes;
        let mut full_len = full_len;
        if full_len == bytes.len() && bytes.ends_with(b"\r") {
            bytes = &bytes[..bytes.len() - 1];
            full_len -= 1;
            scan.crlf = true;
        }
        let (text, invalid) = lossy_prefix(bytes, MAX_LINE_BYTES);
        scan.invalid_utf8 |= invalid;
        let mut entry = format!("{line_no:>6}\t{text}");
        if full_len > MAX_LINE_BYTES {
            scan.cut_long_lines = true;
            entry.push_str(&format!(
                " […line cut: {} more bytes]",
                full_len - MAX_LINE_BYTES
            ));
        }
        entry.push('\n');
        let over_bytes = shown > 0 && scan.listing.len() + entry.len() > self.max_bytes;
        if shown >= self.max_lines || over_bytes {
            scan.page_full = true;
            return;
        }
        if shown == 0 {
            scan.first_shown = line_no;
        }
        scan.listing.push_str(&entry);
        scan.last_shown = line_no;
    }
}

/// The first `max` bytes of `bytes` as text, invalid UTF-8 replaced by
/// U+FFFD, and whether any was; a char split by the cut is just dropped.
fn lossy_prefix(bytes: &[u8], max: usize) -> (String, bool) {
    let cut = &bytes[..bytes.len().min(max)];
    let was_cut = cut.len() < bytes.len();
    let mut out = String::with_capacity(cut.len());
    let mut invalid = false;
    let mut chunks = cut.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        out.push_str(chunk.valid());
        let last = chunks.peek().is_none();
        // A char split by the cut is not invalid, just incomplete.
        let split_by_cut = last && was_cut;
        if !chunk.invalid().is_empty() && !split_by_cut {
            out.push('\u{FFFD}');
            invalid = true;
        }
    }
    (out, invalid)
}

fn render(rel: &Path, range: Range, scan: &Scan) -> Result<String, ToolError> {
    let total = scan.total_lines;
    if total == 0 {
        if range.start > 1 {
            return Err(past_end(rel, range.start, total));
        }
        return Ok(format!("[{} is empty]", rel.display()));
    }
    if range.start > total {
        return Err(past_end(rel, range.start, total));
    }
    let mut out = scan.listing.clone();
    let (first, last) = (scan.first_shown, scan.last_shown);
    if scan.page_full {
        let wanted_end = range.end.unwrap_or(total).min(total);
        out.push_str(&format!(
            "[showing lines {first}-{last} of {total}; the rest did not fit in one call. \
             Continue with start_line={}{}]\n",
            last + 1,
            if range.end.is_some() {
                format!(", end_line={wanted_end}")
            } else {
                String::new()
            }
        ));
    } else if first != 1 || last != total {
        out.push_str(&format!("[lines {first}-{last} of {total}]\n"));
    }
    if scan.crlf {
        out.push_str(
            "[the file uses CRLF line endings; they are not shown and edit_file keeps them]\n",
        );
    }
    if scan.invalid_utf8 {
        out.push_str("[the file is not valid UTF-8; invalid bytes are shown as \u{FFFD}]\n");
    }
    if scan.cut_long_lines {
        out.push_str(&format!(
            "[lines longer than {MAX_LINE_BYTES} bytes were cut; use grep or shell to see them]\n"
        ));
    }
    Ok(out)
}

fn past_end(rel: &Path, start: usize, total: usize) -> ToolError {
    ToolError::Failed(format!(
        "start_line {start} is past the end of {}, which has {total} lines",
        rel.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    fn ctx(dir: &Path) -> ToolContext {
        ToolContext {
            workspace: Workspace::new(dir).unwrap(),
            limits: ToolLimits::default(),
            cancel: CancellationToken::new(),
            reads: Default::default(),
        }
    }

    async fn read(ctx: &ToolContext, args: serde_json::Value) -> Result<String, ToolError> {
        ReadFile.call(args, ctx).await.map(|o| o.for_model)
    }

    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[tokio::test]
    async fn reads_numbered_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "alpha\nbeta\n").unwrap();
        let out = read(&ctx(dir.path()), json!({"path": "a.txt"}))
            .await
            .unwrap();
        assert_eq!(out, "     1\talpha\n     2\tbeta\n");
    }

    #[tokio::test]
    async fn reads_a_range_and_says_where_it_is() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), numbered(10)).unwrap();
        let out = read(
            &ctx(dir.path()),
            json!({"path": "a.txt", "start_line": 3, "end_line": 4}),
        )
        .await
        .unwrap();
        assert_eq!(out, "     3\tline 3\n     4\tline 4\n[lines 3-4 of 10]\n");
        let out = read(
            &ctx(dir.path()),
            json!({"path": "a.txt", "start_line": 9, "end_line": 50}),
        )
        .await
        .unwrap();
        assert!(
            out.starts_with("     9\tline 9\n    10\tline 10\n"),
            "{out}"
        );
    }

    #[tokio::test]
    async fn long_files_are_paged_with_a_continue_note() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big.txt"), numbered(5_000)).unwrap();
        let c = ctx(dir.path());
        let out = read(&c, json!({"path": "big.txt"})).await.unwrap();
        let max = c.limits.max_output_lines;
        assert!(out.contains(&format!("{max:>6}\tline {max}\n")), "{out}");
        assert!(!out.contains(&format!("\tline {}\n", max + 1)));
        assert!(
            out.contains("of 5000;") && out.contains(&format!("start_line={}", max + 1)),
            "{out}"
        );
        assert!(out.len() <= c.limits.max_output_bytes);
        let next = read(&c, json!({"path": "big.txt", "start_line": max + 1}))
            .await
            .unwrap();
        assert!(next.starts_with(&format!("{:>6}\tline {}\n", max + 1, max + 1)));
    }

    #[tokio::test]
    async fn missing_file_is_not_found_with_suggestions() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "x").unwrap();
        let err = read(&ctx(dir.path()), json!({"path": "confg.toml"}))
            .await
            .unwrap_err();
        match err {
            ToolError::NotFound(msg) => {
                assert!(msg.contains("confg.toml does not exist"), "{msg}");
                assert!(msg.contains("config.toml"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        let err = read(&ctx(dir.path()), json!({"path": "nodir/x.rs"}))
            .await
            .unwrap_err();
        assert!(matches!(err, ToolError::NotFound(_)), "{err:?}");
    }

    #[tokio::test]
    async fn binary_file_is_refused_with_size() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.bin"), b"ab\0cd").unwrap();
        let err = read(&ctx(dir.path()), json!({"path": "b.bin"}))
            .await
            .unwrap_err();
        match err {
            ToolError::Failed(msg) => {
                assert!(msg.contains("binary") && msg.contains("5 bytes"), "{msg}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn directory_suggests_list_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let err = read(&ctx(dir.path()), json!({"path": "sub"}))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("list_files"), "{err}");
    }

    #[tokio::test]
    async fn too_big_without_range_suggests_ranges() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big.txt"), numbered(1_000)).unwrap();
        let mut c = ctx(dir.path());
        c.limits.max_read_bytes = 100;
        let err = read(&c, json!({"path": "big.txt"})).await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("start_line") && msg.contains("grep"), "{msg}");
        let out = read(&c, json!({"path": "big.txt", "start_line": 998}))
            .await
            .unwrap();
        assert!(out.starts_with("   998\tline 998\n"), "{out}");
        assert!(out.contains("[lines 998-1000 of 1000]"), "{out}");
    }

    #[tokio::test]
    async fn start_past_end_says_line_count() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), numbered(3)).unwrap();
        let err = read(&ctx(dir.path()), json!({"path": "a.txt", "start_line": 10}))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("has 3 lines"), "{err}");
        let err = read(
            &ctx(dir.path()),
            json!({"path": "a.txt", "start_line": 3, "end_line": 2}),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, ToolError::InvalidArguments(_)), "{err:?}");
    }

    #[tokio::test]
    async fn invalid_utf8_is_lossy_with_note_and_crlf_noted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("l.txt"), b"caf\xe9\r\nok\r\n").unwrap();
        let out = read(&ctx(dir.path()), json!({"path": "l.txt"}))
            .await
            .unwrap();
        assert!(
            out.starts_with("     1\tcaf\u{FFFD}\n     2\tok\n"),
            "{out:?}"
        );
        assert!(out.contains("not valid UTF-8"), "{out}");
        assert!(out.contains("CRLF"), "{out}");
    }

    #[tokio::test]
    async fn empty_file_and_last_line_without_newline() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("e.txt"), "").unwrap();
        std::fs::write(dir.path().join("n.txt"), "a\nb").unwrap();
        let c = ctx(dir.path());
        assert!(
            read(&c, json!({"path": "e.txt"}))
                .await
                .unwrap()
                .contains("is empty")
        );
        assert_eq!(
            read(&c, json!({"path": "n.txt"})).await.unwrap(),
            "     1\ta\n     2\tb\n"
        );
    }

    #[tokio::test]
    async fn very_long_lines_are_cut() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("min.js"), "é".repeat(5_000)).unwrap();
        let out = read(&ctx(dir.path()), json!({"path": "min.js"}))
            .await
            .unwrap();
        assert!(
            out.contains("line cut: 8000 more bytes"),
            "{}",
            &out[out.len() - 300..]
        );
        assert!(!out.contains('\u{FFFD}'));
    }

    #[tokio::test]
    async fn escapes_and_bad_args_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(dir.path());
        let err = read(&c, json!({"path": "../etc/passwd"}))
            .await
            .unwrap_err();
        assert!(matches!(err, ToolError::PathEscape(_)), "{err:?}");
        let err = read(&c, json!({"path": "/etc/passwd"})).await.unwrap_err();
        assert!(matches!(err, ToolError::PathEscape(_)), "{err:?}");
        let err = read(&c, json!({"path": "a", "bogus": 1}))
            .await
            .unwrap_err();
        assert!(matches!(err, ToolError::InvalidArguments(_)), "{err:?}");
    }

    #[tokio::test]
    async fn symlink_to_outside_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("s"), "secret").unwrap();
        std::os::unix::fs::symlink(outside.path().join("s"), dir.path().join("s")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("d")).unwrap();
        let c = ctx(dir.path());
        for p in ["s", "d/s"] {
            let err = read(&c, json!({"path": p})).await.unwrap_err();
            assert!(matches!(err, ToolError::PathEscape(_)), "{p}: {err:?}");
        }
    }
}
