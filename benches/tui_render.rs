//! Frame time of the TUI with a 10,000-line transcript, on ratatui's
//! `TestBackend` (the same drawing and buffer diffing as a terminal,
//! without the terminal's own write time).
//!
//! `cargo bench --bench tui_render`. Reports the first (cold) frame, then
//! the median and p95 of frames while the last answer streams, and of
//! frames scrolled up in the history. Reports, never asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use kiln::tui::app::App;
use kiln::tui::complete::Completer;
use kiln::tui::transcript::{Entry, ToolCard, ToolStatus};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const ANSWER: &str = "## Plan\n1. read `calc.py` and the **failing** test\n2. fix the bug\n\n```python\ndef add(a, b):\n    return a + b\n```\nThen run the tests again; they should pass now that `add` adds.";

fn transcript(app: &mut App, lines: usize, width: u16) {
    let mut i = 0;
    while app.view.total_lines() < lines {
        app.transcript
            .push(Entry::User(format!("task {i}: fix the add function")));
        app.transcript.push(Entry::Assistant {
            text: ANSWER.into(),
            streaming: false,
        });
        app.transcript.push(Entry::Tool(ToolCard {
            call_id: format!("c{i}"),
            name: "edit_file".into(),
            summary: "calc.py".into(),
            status: ToolStatus::Ok,
            output: "edited".into(),
            diff: Some("--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n".into()),
            duration_ms: 3,
        }));
        i += 1;
        // Count lines the way the view does.
        app.view.sync(
            &app.transcript,
            kiln::tui::view::entry::Layout {
                width,
                details: false,
            },
        );
    }
}

fn stats(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
    )
}

fn main() {
    for (width, height) in [(120u16, 40u16), (80, 24)] {
        let mut app = App::new(Completer::default(), String::new());
        transcript(&mut app, 10_000, width);
        let lines = app.view.total_lines();
        // Start cold: a fresh view re-wraps every entry.
        app.view = Default::default();
        let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
        let t = Instant::now();
        term.draw(|f| kiln::tui::view::draw(f, &mut app)).unwrap();
        let cold = t.elapsed();

        app.transcript.push(Entry::Assistant {
            text: String::new(),
            streaming: true,
        });
        let mut streaming = Vec::new();
        for k in 0..300 {
            // One delta per frame, as while a turn streams.
            let text = ANSWER.repeat(1 + k / 50);
            app.transcript.pop_last();
            app.transcript.push(Entry::Assistant {
                text: text[..(k * 3).min(text.len())].to_string(),
                streaming: true,
            });
            let t = Instant::now();
            term.draw(|f| kiln::tui::view::draw(f, &mut app)).unwrap();
            streaming.push(t.elapsed());
        }
        let mut scrolled = Vec::new();
        for _ in 0..300 {
            app.view.scroll_up(7);
            let t = Instant::now();
            term.draw(|f| kiln::tui::view::draw(f, &mut app)).unwrap();
            scrolled.push(t.elapsed());
        }
        let (s50, s95) = stats(streaming);
        let (r50, r95) = stats(scrolled);
        println!(
            "{width}x{height}, {lines} transcript lines: first frame {:.2} ms; streaming frame median {s50:.3} ms (p95 {s95:.3}); scrolled frame median {r50:.3} ms (p95 {r95:.3})",
            cold.as_secs_f64() * 1000.0
        );
    }
}
