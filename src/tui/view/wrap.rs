//! Wrapping styled text to the terminal width, at word boundaries where
//! possible, with a prefix on the first line and another on the rest (for
//! quote bars and hanging list indents).

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// Prefixes of a wrapped block: the first line's and the continuation's.
#[derive(Clone, Debug, Default)]
pub struct Prefix {
    pub first: Span<'static>,
    pub rest: Span<'static>,
}

impl Prefix {
    pub fn same(span: Span<'static>) -> Self {
        Self {
            first: span.clone(),
            rest: span,
        }
    }
}

/// Wraps `spans` (one logical line) into lines at most `width` columns
/// wide, prefixes included.
pub fn wrap(spans: &[Span<'_>], width: usize, prefix: &Prefix) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut line: Vec<(char, Style)> = Vec::new();
    let mut used = 0;
    let avail = |first: bool| {
        let p = if first { &prefix.first } else { &prefix.rest };
        width.saturating_sub(p.width()).max(1)
    };
    let mut first = true;
    for span in spans {
        for c in span.content.chars() {
            let c = if c == '\t' { ' ' } else { c };
            if c.is_control() {
                continue;
            }
            let w = c.width().unwrap_or(0);
            if used + w > avail(first) && !line.is_empty() {
                // Break at the last space when there is one in the line.
                let cut = line
                    .iter()
                    .rposition(|(ch, _)| *ch == ' ')
                    .filter(|&i| i > 0)
                    .map(|i| i + 1)
                    .unwrap_or(line.len());
                let rest = line.split_off(cut);
                out.push(finish(&line, prefix, first));
                first = false;
                line = rest;
                used = line.iter().map(|(ch, _)| ch.width().unwrap_or(0)).sum();
            }
            line.push((c, span.style));
            used += w;
        }
    }
    out.push(finish(&line, prefix, first));
    out
}

/// Turns a run of styled chars back into spans (one per style run).
fn finish(chars: &[(char, Style)], prefix: &Prefix, first: bool) -> Line<'static> {
    let mut spans = vec![if first {
        prefix.first.clone()
    } else {
        prefix.rest.clone()
    }];
    let mut text = String::new();
    let mut style = None;
    for (c, s) in chars {
        if style.is_some_and(|st| st != *s) {
            spans.push(Span::styled(
                std::mem::take(&mut text),
                style.unwrap_or_default(),
            ));
        }
        style = Some(*s);
        text.push(*c);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style.unwrap_or_default()));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn wraps_at_spaces_and_keeps_prefixes() {
        let lines = wrap(
            &[Span::raw("the quick brown fox jumps over")],
            12,
            &Prefix {
                first: Span::raw("- "),
                rest: Span::raw("  "),
            },
        );
        assert_eq!(
            texts(&lines),
            ["- the quick ", "  brown fox ", "  jumps over"]
        );
        assert!(lines.iter().all(|l| l.width() <= 12));
    }

    #[test]
    fn long_words_are_cut_and_wide_chars_counted() {
        let lines = wrap(&[Span::raw("abcdefghij")], 4, &Prefix::default());
        assert_eq!(texts(&lines), ["abcd", "efgh", "ij"]);
        let lines = wrap(&[Span::raw("日本語です")], 4, &Prefix::default());
        assert_eq!(texts(&lines), ["日本", "語で", "す"]);
    }

    #[test]
    fn styles_survive_wrapping() {
        let bold = Style::default().add_modifier(ratatui::style::Modifier::BOLD);
        let lines = wrap(
            &[Span::raw("aa "), Span::styled("bbbb", bold)],
            5,
            &Prefix::default(),
        );
        assert_eq!(texts(&lines), ["aa ", "bbbb"]);
        assert_eq!(lines[1].spans.last().unwrap().style, bold);
        assert_eq!(wrap(&[], 10, &Prefix::default()).len(), 1);
    }
}
