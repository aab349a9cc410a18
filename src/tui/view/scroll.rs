//! The transcript's rendered lines, cached per entry, and the window of
//! them that is on screen.
//!
//! Each entry's lines are kept with the entry's version and the layout
//! they were made for; a frame re-renders only entries whose version
//! changed (usually just the one streaming), then copies the visible
//! window into the buffer. A 10,000-line transcript costs a frame no more
//! than a short one.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::entry::{self, Layout};
use crate::tui::transcript::Transcript;

#[derive(Debug, Default)]
pub struct TranscriptView {
    cache: Vec<Cached>,
    layout: Option<Layout>,
    total: usize,
    /// Lines scrolled up from the bottom (0: follow the newest output).
    scroll: usize,
    /// The height of the last frame, for page-sized scrolling.
    height: usize,
}

#[derive(Debug)]
struct Cached {
    version: u64,
    lines: Vec<Line<'static>>,
}

impl TranscriptView {
    /// Brings the cache up to date with `transcript` at `layout`.
    pub fn sync(&mut self, transcript: &Transcript, layout: Layout) {
        if self.layout != Some(layout) {
            self.cache.clear();
            self.layout = Some(layout);
        }
        self.cache.truncate(transcript.len());
        let before = self.total;
        for (i, (entry, version)) in transcript.entries().enumerate() {
            match self.cache.get_mut(i) {
                Some(c) if c.version == version => {}
                Some(c) => {
                    c.version = version;
                    c.lines = entry::lines(entry, layout);
                }
                None => self.cache.push(Cached {
                    version,
                    lines: entry::lines(entry, layout),
                }),
            }
        }
        self.total = self.cache.iter().map(|c| c.lines.len()).sum();
        // Someone reading older output keeps their place as new lines come.
        if self.scroll > 0 && self.total > before {
            self.scroll += self.total - before;
        }
        self.clamp();
    }

    pub fn total_lines(&self) -> usize {
        self.total
    }

    pub fn scroll_up(&mut self, lines: usize) {
        self.scroll = self.scroll.saturating_add(lines);
        self.clamp();
    }

    pub fn scroll_down(&mut self, lines: usize) {
        self.scroll = self.scroll.saturating_sub(lines);
    }

    pub fn page(&self) -> usize {
        self.height.saturating_sub(2).max(1)
    }

    pub fn to_bottom(&mut self) {
        self.scroll = 0;
    }

    pub fn scrolled(&self) -> usize {
        self.scroll
    }

    fn clamp(&mut self) {
        self.scroll = self
            .scroll
            .min(self.total.saturating_sub(self.height.max(1)));
    }

    /// Draws the visible window (call [`TranscriptView::sync`] first).
    pub fn render(&mut self, area: Rect, buf: &mut Buffer) {
        self.height = usize::from(area.height);
        self.clamp();
        let height = self.height;
        // Walk back from the bottom, skipping what is scrolled below.
        let mut skip = self.scroll;
        let mut visible: Vec<&Line<'static>> = Vec::with_capacity(height);
        'outer: for cached in self.cache.iter().rev() {
            for line in cached.lines.iter().rev() {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                visible.push(line);
                if visible.len() == height {
                    break 'outer;
                }
            }
        }
        // Short transcripts start at the top.
        for (row, line) in visible.iter().rev().enumerate() {
            let y = area.y + row as u16;
            buf.set_line(area.x, y, line, area.width);
        }
    }
}
