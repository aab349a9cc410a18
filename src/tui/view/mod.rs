//! Drawing the TUI: transcript, completion popup, input box, status line
//! and the approval modal.

pub mod entry;
pub mod markdown;
pub mod scroll;
pub mod wrap;

#[cfg(test)]
mod tests;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout as Split, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::app::App;
use entry::Layout;

/// Most input lines shown before the box scrolls.
const MAX_INPUT_LINES: usize = 8;

pub fn draw(frame: &mut Frame<'_>, app: &mut App) {
    let area = frame.area();
    let input_lines = app.input.lines().count().clamp(1, MAX_INPUT_LINES) as u16;
    let [body, input_area, status_area] = Split::vertical([
        Constraint::Min(1),
        Constraint::Length(input_lines + 1),
        Constraint::Length(1),
    ])
    .areas(area);

    if app.transcript.is_empty() {
        let welcome = Paragraph::new(app.welcome.clone())
            .style(Style::default().fg(Color::DarkGray))
            .wrap(Wrap { trim: false });
        frame.render_widget(welcome, body);
    } else {
        let layout = Layout {
            width: body.width,
            details: app.details,
        };
        app.view.sync(&app.transcript, layout);
        app.view.render(body, frame.buffer_mut());
        if app.view.scrolled() > 0 {
            let tag = format!(" ↑ {} lines below · PgDn ", app.view.scrolled());
            let w = tag.width() as u16;
            let at = Rect::new(
                body.right().saturating_sub(w),
                body.bottom().saturating_sub(1),
                w.min(body.width),
                1,
            );
            frame.render_widget(
                Paragraph::new(tag).style(Style::default().fg(Color::Black).bg(Color::Yellow)),
                at,
            );
        }
    }

    draw_input(frame, app, input_area);
    frame.render_widget(Paragraph::new(app.status.line()), status_area);
    if !app.candidates.is_empty() {
        draw_candidates(frame, app, input_area);
    }
    if app.modal.is_some() {
        draw_modal(frame, app, area);
    }
}

fn draw_input(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let border = match app.running() {
        true => Color::Yellow,
        false => Color::DarkGray,
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(Style::default().fg(border));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (row, col) = app.input.cursor();
    let height = usize::from(inner.height.max(1));
    let first = (row + 1).saturating_sub(height);
    let prompt = Span::styled("› ", Style::default().fg(Color::LightBlue));
    let lines: Vec<Line<'_>> = app
        .input
        .lines()
        .enumerate()
        .skip(first)
        .take(height)
        .map(|(i, l)| {
            let lead = if i == 0 {
                prompt.clone()
            } else {
                Span::raw("  ")
            };
            Line::from(vec![lead, Span::raw(l)])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    if app.modal.is_none() {
        let text: String = app.input.lines().nth(row).unwrap_or_default();
        let before: String = text.chars().take(col).collect();
        let x = inner
            .x
            .saturating_add(2)
            .saturating_add(u16::try_from(before.width()).unwrap_or(u16::MAX));
        let y = inner.y + (row - first) as u16;
        frame.set_cursor_position(Position::new(x.min(inner.right().saturating_sub(1)), y));
    }
}

fn draw_candidates(frame: &mut Frame<'_>, app: &App, input: Rect) {
    let height = app.candidates.len() as u16 + 2;
    let width = app
        .candidates
        .iter()
        .map(|c| c.width() as u16 + 4)
        .max()
        .unwrap_or(10)
        .min(input.width);
    let area = Rect::new(input.x, input.y.saturating_sub(height), width, height);
    let lines: Vec<Line<'_>> = app
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let style = match i == app.selected {
                true => Style::default().fg(Color::Black).bg(Color::Cyan),
                false => Style::default(),
            };
            Line::from(Span::styled(c.clone(), style))
        })
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Tab ")),
        area,
    );
}

fn draw_modal(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let Some(modal) = &app.modal else {
        return;
    };
    let text = modal.body();
    let width = area.width.saturating_sub(4).clamp(20, 100);
    let wanted = u16::try_from(text.lines().count())
        .unwrap_or(u16::MAX)
        .saturating_add(5);
    let height = wanted.clamp(7, area.height.saturating_sub(2).max(7));
    let rect = Rect::new(
        area.x + (area.width.saturating_sub(width)) / 2,
        area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    );
    let title = format!(
        " Allow {}? (policy {}) ",
        modal.request.call.name,
        crate::agent::events::wire_name(&modal.request.policy)
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(Color::Yellow))
        .title(Span::styled(
            title,
            Style::default().add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let [body, keys] = Split::vertical([Constraint::Min(1), Constraint::Length(2)]).areas(inner);
    let lines: Vec<Line<'_>> = text
        .lines()
        .map(|l| Line::from(Span::styled(l.to_string(), entry::diff_style(l))))
        .collect();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    let prompt = match &modal.note {
        Some(note) => Line::from(vec![
            Span::styled(
                "Note for the model (Enter denies, Esc without note): ",
                Style::default().fg(Color::Yellow),
            ),
            Span::raw(note.clone()),
        ]),
        None => Line::from(vec![
            Span::styled("[y]", Style::default().fg(Color::Green)),
            Span::raw(" allow once   "),
            Span::styled("[a]", Style::default().fg(Color::Green)),
            Span::raw(" allow for this session   "),
            Span::styled("[n]", Style::default().fg(Color::Red)),
            Span::raw(" deny with a note   "),
            Span::styled("[Esc]", Style::default().fg(Color::Red)),
            Span::raw(" deny"),
        ]),
    };
    frame.render_widget(Paragraph::new(prompt).wrap(Wrap { trim: false }), keys);
}
