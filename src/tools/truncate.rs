//! Shortening tool output: the model sees the head and the tail of long
//! output with a marker in between; `full` keeps everything up to a
//! generous cap that only protects memory.

use super::{ToolLimits, ToolOutput};

/// Most bytes kept in [`ToolOutput::full`].
pub const FULL_CAP_BYTES: usize = 4 * 1024 * 1024;

/// Keeps roughly the first and last half of `text` within `max_lines` lines
/// and `max_bytes` bytes (the marker line included where the limits allow),
/// cutting at line boundaries where possible and never inside a UTF-8
/// character. Returns the text and whether anything was cut.
pub fn head_tail(text: &str, max_lines: usize, max_bytes: usize) -> (String, bool) {
    let total_lines = count_lines(text);
    if total_lines <= max_lines && text.len() <= max_bytes {
        return (text.to_string(), false);
    }
    // Room for the marker line, when the limits are large enough to spare it.
    let lines = if max_lines >= 3 {
        max_lines - 1
    } else {
        max_lines
    };
    let bytes = if max_bytes >= 200 {
        max_bytes - 80
    } else {
        max_bytes
    };
    let head_end = head_end(text, lines.div_ceil(2), bytes.div_ceil(2));
    let tail_start = tail_start(text, lines / 2, bytes / 2).max(head_end);
    let omitted = &text[head_end..tail_start];
    let omitted_lines = count_lines(omitted);
    let mut out = String::with_capacity(head_end + (text.len() - tail_start) + 64);
    out.push_str(&text[..head_end]);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!(
        "[… {omitted_lines} lines ({} bytes, ≈{} tokens) omitted …]\n",
        omitted.len(),
        crate::profile::tokens::estimate(omitted)
    ));
    out.push_str(&text[tail_start..]);
    (out, true)
}

/// Caps text kept for events and the UI at [`FULL_CAP_BYTES`].
pub fn cap_full(text: String) -> String {
    if text.len() <= FULL_CAP_BYTES {
        return text;
    }
    head_tail(&text, usize::MAX, FULL_CAP_BYTES).0
}

/// A tool result whose model-facing text is `text` shortened to the limits.
pub fn output(text: String, limits: &ToolLimits) -> ToolOutput {
    let (for_model, _) = head_tail(&text, limits.max_output_lines, limits.max_output_bytes);
    ToolOutput {
        for_model,
        full: cap_full(text),
        details: Default::default(),
    }
}

/// Lines as an editor counts them: a final line without `\n` counts.
pub fn count_lines(text: &str) -> usize {
    let newlines = text.bytes().filter(|&b| b == b'\n').count();
    newlines + usize::from(!text.is_empty() && !text.ends_with('\n'))
}

/// The largest char boundary of `text` at or below `index`.
pub fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    let mut i = index;
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary of `text` at or above `index`.
fn ceil_char_boundary(text: &str, index: usize) -> usize {
    let mut i = index.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// End of the longest prefix of whole lines within both budgets; a first
/// line longer than the byte budget is cut inside it.
fn head_end(text: &str, max_lines: usize, max_bytes: usize) -> usize {
    let unterminated = (!text.is_empty() && !text.ends_with('\n')).then_some(text.len());
    let ends = text
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .chain(unterminated);
    let mut end = 0;
    for (taken, e) in ends.enumerate() {
        if taken >= max_lines || e > max_bytes {
            break;
        }
        end = e;
    }
    if end == 0 && max_lines > 0 {
        end = floor_char_boundary(text, max_bytes);
    }
    end
}

/// Start of the longest suffix of whole lines within both budgets; a last
/// line longer than the byte budget is cut inside it.
fn tail_start(text: &str, max_lines: usize, max_bytes: usize) -> usize {
    if max_lines == 0 || max_bytes == 0 {
        return text.len();
    }
    // The final newline ends the last line rather than starting a new one.
    let body = text.strip_suffix('\n').unwrap_or(text);
    let starts = body.rmatch_indices('\n').map(|(i, _)| i + 1).chain([0]);
    let mut start = text.len();
    for (taken, s) in starts.enumerate() {
        if taken >= max_lines || text.len() - s > max_bytes {
            break;
        }
        start = s;
    }
    if start == text.len() {
        start = ceil_char_boundary(text, text.len().saturating_sub(max_bytes));
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn short_text_is_unchanged() {
        let t = numbered(10);
        assert_eq!(head_tail(&t, 10, 1000), (t.clone(), false));
        assert_eq!(head_tail("", 10, 10), (String::new(), false));
    }

    #[test]
    fn many_lines_keep_head_and_tail() {
        let t = numbered(1000);
        let (out, cut) = head_tail(&t, 100, 1_000_000);
        assert!(cut);
        assert!(out.starts_with("line 1\nline 2\n"), "{out}");
        assert!(out.ends_with("line 999\nline 1000\n"), "{out}");
        assert!(out.contains("lines ("), "{out}");
        assert!(out.contains("omitted …]"), "{out}");
        assert!(count_lines(&out) <= 100, "{}", count_lines(&out));
        assert!(!out.contains("line 500\n"));
        // The marker counts what is gone: 1000 - 99 kept lines.
        assert!(out.contains("[… 901 lines"), "{out}");
    }

    #[test]
    fn many_bytes_keep_head_and_tail_within_limit() {
        let t = numbered(10_000);
        let (out, cut) = head_tail(&t, usize::MAX, 2_000);
        assert!(cut);
        assert!(out.len() <= 2_000, "{}", out.len());
        assert!(out.starts_with("line 1\n"));
        assert!(out.ends_with("line 10000\n"));
    }

    #[test]
    fn one_huge_line_is_cut_on_char_boundaries() {
        let t = "é".repeat(10_000); // two bytes each
        let (out, cut) = head_tail(&t, 10, 1_001);
        assert!(cut);
        assert!(out.len() <= 1_001 + 100, "{}", out.len());
        assert!(out.starts_with('é') && out.ends_with('é'));
        assert!(out.contains("omitted"));
    }

    #[test]
    fn last_line_without_newline_is_kept() {
        let mut t = numbered(50);
        t.push_str("end");
        let (out, cut) = head_tail(&t, 10, 100_000);
        assert!(cut);
        assert!(out.ends_with("line 50\nend"), "{out}");
    }

    #[test]
    fn cap_full_limits_memory() {
        let t = "x".repeat(FULL_CAP_BYTES + 10);
        let out = cap_full(t);
        assert!(out.len() <= FULL_CAP_BYTES + 100);
        assert!(out.contains("omitted"));
    }
}
