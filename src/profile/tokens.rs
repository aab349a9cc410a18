//! Counting a profile's prompt in tokens.
//!
//! Local GGUFs are counted exactly with the model's own tokenizer. For
//! endpoints kiln has no tokenizer, so it estimates one token per
//! [`BYTES_PER_TOKEN`] bytes: measured with the Qwen2.5 tokenizer, English
//! prose runs ≈4.3 bytes per token and JSON schemas ≈3.4, so dividing by 3
//! overestimates, which is the safe side for budgets.

/// Bytes per token of the estimate (and of tool-output budgets).
pub const BYTES_PER_TOKEN: usize = 3;

/// The documented estimate: bytes / [`BYTES_PER_TOKEN`], rounded up.
pub fn estimate(text: &str) -> usize {
    text.len().div_ceil(BYTES_PER_TOKEN)
}

#[cfg(test)]
mod tests {
    #[test]
    fn estimate_rounds_up() {
        assert_eq!(super::estimate(""), 0);
        assert_eq!(super::estimate("abcd"), 2);
        assert_eq!(super::estimate("abc"), 1);
    }
}
