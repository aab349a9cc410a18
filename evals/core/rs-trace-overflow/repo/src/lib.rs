//! A text progress bar for the downloader.

/// Progress of a transfer in bytes.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

impl Progress {
    /// Bytes still to transfer. A server may send more bytes than it
    /// announced; then nothing remains.
    pub fn remaining(&self) -> u64 {
        self.total - self.done
    }

    /// Whole percent done, capped at 100. An unknown size (total 0) is 0%.
    pub fn percent(&self) -> u64 {
        if self.total == 0 {
            return 0;
        }
        (self.done * 100 / self.total).min(100)
    }

    /// The bar, `width` cells wide, e.g. `[#####     ] 50% (512 B left)`.
    pub fn render(&self, width: usize) -> String {
        let filled = (self.percent() as usize * width) / 100;
        format!(
            "[{}{}] {}% ({} B left)",
            "#".repeat(filled),
            " ".repeat(width - filled),
            self.percent(),
            self.remaining()
        )
    }
}
