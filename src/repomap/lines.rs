//! Source lines for display, read from the files when shown: the index
//! keeps line numbers only, so the cache stays small.

use std::path::Path;

/// Longest line shown, in bytes; longer ones are cut.
pub const MAX_LINE: usize = 120;

/// A file's text with where each line starts, for picking lines by number.
#[derive(Debug, Default)]
pub struct SourceLines {
    text: Vec<u8>,
    starts: Vec<usize>,
}

impl SourceLines {
    pub fn new(text: Vec<u8>) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { text, starts }
    }

    /// The file at `path`; empty (every line `None`) when it cannot be read.
    pub fn read(path: &Path) -> Self {
        std::fs::read(path).map(Self::new).unwrap_or_default()
    }

    /// 1-based `line`, trimmed and cut to [`MAX_LINE`]; `None` past the end
    /// (the file shrank since it was indexed).
    pub fn get(&self, line: u32) -> Option<String> {
        let i = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(i)?;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.text.len(), |next| next - 1);
        if start >= self.text.len() && i > 0 {
            return None;
        }
        self.text.get(start..end).map(display)
    }
}

/// The texts of the 1-based `lines` of the file at `path`, in the order
/// asked (see [`SourceLines::get`]).
pub fn read(path: &Path, lines: &[u32]) -> Vec<Option<String>> {
    let source = SourceLines::read(path);
    lines.iter().map(|&n| source.get(n)).collect()
}

/// The length of what [`SourceLines::get`] gives for `line` (without its
/// newline), computed without building it: the index keeps it so the map
/// can be fitted to its budget before any file is read.
pub fn display_len(line: &[u8]) -> usize {
    let text = String::from_utf8_lossy(line);
    let trimmed = text.trim();
    if trimmed.len() <= MAX_LINE {
        return trimmed.len();
    }
    let mut cut = MAX_LINE;
    while !trimmed.is_char_boundary(cut) {
        cut -= 1;
    }
    cut + '…'.len_utf8()
}

/// The line of `source` holding byte `at`, without its newline.
pub fn line_at(source: &[u8], at: usize) -> &[u8] {
    let at = at.min(source.len());
    let start = source[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = source[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(source.len(), |i| at + i);
    &source[start..end]
}

/// One line trimmed and cut to [`MAX_LINE`] bytes on a character boundary.
fn display(line: &[u8]) -> String {
    let line = String::from_utf8_lossy(line);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_trims_and_cuts() {
        let long = format!("  let s = \"{}\";", "é".repeat(200));
        let src = format!("a\n  b  \r\n{long}\n");
        let lines = SourceLines::new(src.into_bytes());
        let got: Vec<_> = [2, 1, 3, 4, 9, 0].map(|n| lines.get(n)).into();
        assert_eq!(got[0].as_deref(), Some("b"));
        assert_eq!(got[1].as_deref(), Some("a"));
        let cut = got[2].as_deref().unwrap();
        assert!(cut.ends_with('…') && cut.len() <= MAX_LINE + 3, "{cut}");
        assert_eq!(got[3], None, "the empty tail after the last newline");
        assert_eq!(got[4], None);
        assert_eq!(got[5], None);
        assert!(read(Path::new("/nonexistent/x"), &[1])[0].is_none());
        for line in [
            "",
            "  x ",
            long.as_str(),
            &"a".repeat(121),
            &"a".repeat(120),
        ] {
            assert_eq!(display_len(line.as_bytes()), display(line.as_bytes()).len());
        }
        assert_eq!(line_at(b"ab\ncd\nef", 4), b"cd");
        assert_eq!(line_at(b"ab\ncd", 0), b"ab");
        assert_eq!(line_at(b"ab\n", 3), b"");
    }
}
