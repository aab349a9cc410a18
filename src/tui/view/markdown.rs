//! Markdown-aware rendering of assistant text: code blocks, lists,
//! headings, quotes, inline code and bold. Not a full CommonMark parser:
//! what models write in a terminal conversation, rendered readably, with
//! anything unrecognised shown as it is.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::wrap::{Prefix, wrap};

pub fn code_style() -> Style {
    Style::default().fg(Color::Cyan)
}

fn inline_code_style() -> Style {
    Style::default().fg(Color::Yellow)
}

/// Renders `text` into lines at most `width` wide.
pub fn render(text: &str, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    for raw in text.lines() {
        let trimmed = raw.trim_start();
        if let Some(rest) = trimmed.strip_prefix("```") {
            match &fence {
                Some(_) => {
                    fence = None;
                    continue;
                }
                None => {
                    fence = Some(rest.trim().to_string());
                    let label = if rest.trim().is_empty() {
                        "code"
                    } else {
                        rest.trim()
                    };
                    out.push(Line::from(Span::styled(
                        format!("┌ {label}"),
                        Style::default().fg(Color::DarkGray),
                    )));
                    continue;
                }
            }
        }
        if fence.is_some() {
            let bar = Prefix::same(Span::styled("│ ", Style::default().fg(Color::DarkGray)));
            out.extend(wrap(
                &[Span::styled(raw.to_string(), code_style())],
                width,
                &bar,
            ));
            continue;
        }
        out.extend(block_line(raw, width));
    }
    if out.is_empty() {
        out.push(Line::default());
    }
    out
}

/// One line outside code blocks.
fn block_line(raw: &str, width: usize) -> Vec<Line<'static>> {
    let trimmed = raw.trim_start();
    let indent = " ".repeat((raw.len() - trimmed.len()).min(8));
    if let Some(level) = heading_level(trimmed) {
        let text = trimmed[level..].trim();
        let style = Style::default()
            .add_modifier(Modifier::BOLD)
            .add_modifier(Modifier::UNDERLINED);
        return wrap(
            &[Span::styled(text.to_string(), style)],
            width,
            &Prefix::default(),
        );
    }
    if let Some(rest) = trimmed.strip_prefix("> ") {
        let bar = Prefix::same(Span::styled("▎ ", Style::default().fg(Color::DarkGray)));
        return wrap(&inline(rest), width, &bar);
    }
    if let Some((marker, rest)) = list_item(trimmed) {
        let prefix = Prefix {
            first: Span::raw(format!("{indent}{marker} ")),
            rest: Span::raw(" ".repeat(indent.len() + marker.chars().count() + 1)),
        };
        return wrap(&inline(rest), width, &prefix);
    }
    wrap(&inline(raw), width, &Prefix::default())
}

fn heading_level(line: &str) -> Option<usize> {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    (1..=6)
        .contains(&hashes)
        .then_some(hashes)
        .filter(|&n| line[n..].starts_with(' '))
}

/// A bullet or numbered item: the marker to show and the item text.
fn list_item(line: &str) -> Option<(String, &str)> {
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some(("•".into(), rest));
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits < 4 {
        let rest = &line[digits..];
        if let Some(text) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some((format!("{}.", &line[..digits]), text));
        }
    }
    None
}

/// Inline `code` and **bold**; unmatched markers stay as text.
fn inline(text: &str) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let code = rest.find('`');
        let bold = rest.find("**");
        let (at, is_code) = match (code, bold) {
            (Some(c), Some(b)) if b < c => (b, false),
            (Some(c), _) => (c, true),
            (None, Some(b)) => (b, false),
            (None, None) => break,
        };
        let (open, style) = match is_code {
            true => ("`", inline_code_style()),
            false => ("**", Style::default().add_modifier(Modifier::BOLD)),
        };
        let after = &rest[at + open.len()..];
        let Some(end) = after.find(open) else {
            break;
        };
        if at > 0 {
            spans.push(Span::raw(rest[..at].to_string()));
        }
        spans.push(Span::styled(after[..end].to_string(), style));
        rest = &after[end + open.len()..];
    }
    if !rest.is_empty() {
        spans.push(Span::raw(rest.to_string()));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, width: usize) -> Vec<String> {
        render(text, width).iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn code_blocks_lists_and_headings() {
        let md = "# Plan\n1. read `calc.py`\n- fix **add**\n```python\ndef add(a, b):\n    return a + b\n```\ndone";
        assert_eq!(
            texts(md, 40),
            [
                "Plan",
                "1. read calc.py",
                "• fix add",
                "┌ python",
                "│ def add(a, b):",
                "│     return a + b",
                "done"
            ]
        );
        let lines = render("use `x` now", 40);
        let x = lines[0].spans.iter().find(|s| s.content == "x").unwrap();
        assert_eq!(x.style, inline_code_style());
    }

    #[test]
    fn unmatched_markers_stay_and_lists_hang() {
        assert_eq!(texts("a `b and **c", 40), ["a `b and **c"]);
        assert_eq!(texts("- one two three", 10), ["• one two ", "  three"]);
        assert_eq!(texts("", 10), [""]);
    }
}
