//! One transcript entry as lines of the terminal.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::markdown;
use super::wrap::{Prefix, wrap};
use crate::tui::transcript::{Entry, Level, ToolCard, ToolStatus};

/// Lines of a collapsed card's diff or error before "… more".
const COLLAPSED_LINES: usize = 12;

/// How entries are drawn: the width, and whether tool details are open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub width: u16,
    pub details: bool,
}

pub fn lines(entry: &Entry, layout: Layout) -> Vec<Line<'static>> {
    let width = usize::from(layout.width.max(10));
    let mut out = vec![Line::default()];
    match entry {
        Entry::User(text) => {
            let style = Style::default()
                .fg(Color::LightBlue)
                .add_modifier(Modifier::BOLD);
            let prefix = Prefix {
                first: Span::styled("› ", style),
                rest: Span::raw("  "),
            };
            out.extend(styled_lines(text.lines(), width, &prefix, |_| style));
        }
        Entry::Assistant { text, streaming } => {
            out.extend(markdown::render(text, width));
            if *streaming && let Some(last) = out.last_mut() {
                last.spans
                    .push(Span::styled("▌", Style::default().fg(Color::DarkGray)));
            }
        }
        Entry::Tool(card) => out.extend(card_lines(card, width, layout.details)),
        Entry::Diff(diff) => {
            let bar = Prefix::same(Span::styled("│ ", Style::default().fg(Color::DarkGray)));
            out.extend(styled_lines(diff.lines(), width, &bar, diff_style));
        }
        Entry::Notice { text, level } => {
            let style = match level {
                Level::Info => Style::default().fg(Color::DarkGray),
                Level::Warning => Style::default().fg(Color::Yellow),
                Level::Error => Style::default().fg(Color::Red),
            };
            let prefix = Prefix {
                first: Span::styled("! ", style),
                rest: Span::raw("  "),
            };
            out.extend(styled_lines(text.lines(), width, &prefix, |_| style));
        }
    }
    out
}

/// Each of `lines` wrapped under `prefix`, styled by `style`.
fn styled_lines<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    width: usize,
    prefix: &Prefix,
    style: impl Fn(&str) -> Style,
) -> Vec<Line<'static>> {
    lines
        .into_iter()
        .flat_map(|line| {
            wrap(
                &[Span::styled(line.to_string(), style(line))],
                width,
                prefix,
            )
        })
        .collect()
}

fn card_lines(card: &ToolCard, width: usize, details: bool) -> Vec<Line<'static>> {
    let (icon, icon_style) = match &card.status {
        ToolStatus::Running => ("⋯", Style::default().fg(Color::Yellow)),
        ToolStatus::Ok => ("✓", Style::default().fg(Color::Green)),
        ToolStatus::Failed(_) => ("✗", Style::default().fg(Color::Red)),
    };
    let mut head = vec![
        Span::styled(format!("{icon} "), icon_style),
        Span::styled(
            card.name.clone(),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw(" "),
        Span::raw(card.summary.clone()),
    ];
    let dim = Style::default().fg(Color::DarkGray);
    match &card.status {
        ToolStatus::Running => {}
        ToolStatus::Ok => head.push(Span::styled(format!("  {} ms", card.duration_ms), dim)),
        ToolStatus::Failed(kind) => head.push(Span::styled(
            format!("  {kind}"),
            Style::default().fg(Color::Red),
        )),
    }
    let mut out = wrap(
        &head,
        width,
        &Prefix {
            first: Span::raw(""),
            rest: Span::raw("  "),
        },
    );
    let bar = Prefix::same(Span::styled("  │ ", dim));
    if let Some(diff) = &card.diff {
        let all: Vec<&str> = diff.lines().collect();
        let shown = if details {
            all.len()
        } else {
            all.len().min(COLLAPSED_LINES)
        };
        out.extend(styled_lines(
            all[..shown].iter().copied(),
            width,
            &bar,
            diff_style,
        ));
        more(&mut out, all.len() - shown);
    }
    if details && !card.output.is_empty() {
        out.extend(styled_lines(card.output.lines(), width, &bar, |_| dim));
    } else if !details && card.diff.is_none() {
        let count = card.output.lines().count();
        match &card.status {
            ToolStatus::Failed(_) => {
                let style = Style::default().fg(Color::Red);
                let first: Vec<&str> = card.output.lines().take(3).collect();
                out.extend(styled_lines(first.iter().copied(), width, &bar, |_| style));
                more(&mut out, count.saturating_sub(first.len()));
            }
            ToolStatus::Ok if count > 0 => out.push(Line::from(Span::styled(
                format!("  └ {count} line{}", if count == 1 { "" } else { "s" }),
                dim,
            ))),
            _ => {}
        }
    }
    out
}

fn more(out: &mut Vec<Line<'static>>, hidden: usize) {
    if hidden > 0 {
        out.push(Line::from(Span::styled(
            format!("  … {hidden} more lines (Ctrl+O shows tool details)"),
            Style::default().fg(Color::DarkGray),
        )));
    }
}

pub fn diff_style(line: &str) -> Style {
    if line.starts_with("+++") || line.starts_with("---") {
        Style::default().add_modifier(Modifier::BOLD)
    } else if line.starts_with('+') {
        Style::default().fg(Color::Green)
    } else if line.starts_with('-') {
        Style::default().fg(Color::Red)
    } else if line.starts_with("@@") {
        Style::default().fg(Color::Cyan)
    } else {
        Style::default()
    }
}
