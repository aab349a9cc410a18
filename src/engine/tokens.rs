//! Token bookkeeping that needs no model: prefix matching and streaming
//! UTF-8 decoding. Kept apart from the llama.cpp worker so it is unit-tested
//! without weights.

/// Length of the longest common prefix of two token sequences.
pub fn common_prefix(a: &[i32], b: &[i32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// How much of the cached sequence a new prompt can keep. At least one
/// prompt token is always decoded again, because sampling needs the logits
/// of the prompt's last position.
pub fn reusable(cached: &[i32], prompt: &[i32]) -> usize {
    common_prefix(cached, prompt).min(prompt.len().saturating_sub(1))
}

/// Turns token pieces (arbitrary byte slices) into valid UTF-8 text,
/// holding back an incomplete multi-byte character until it completes.
#[derive(Default)]
pub struct Utf8Stream {
    pending: Vec<u8>,
}

impl Utf8Stream {
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        match std::str::from_utf8(&self.pending) {
            Ok(s) => {
                let out = s.to_string();
                self.pending.clear();
                out
            }
            Err(e) if e.error_len().is_none() => {
                // An incomplete character at the end: emit what is complete.
                let valid = e.valid_up_to();
                let out = String::from_utf8_lossy(&self.pending[..valid]).into_owned();
                self.pending.drain(..valid);
                out
            }
            Err(_) => {
                // Truly invalid bytes: replace them rather than stall.
                let out = String::from_utf8_lossy(&self.pending).into_owned();
                self.pending.clear();
                out
            }
        }
    }

    /// Whatever is left at the end of generation.
    pub fn finish(&mut self) -> String {
        let out = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_and_reuse() {
        assert_eq!(common_prefix(&[1, 2, 3], &[1, 2, 4]), 2);
        assert_eq!(common_prefix(&[], &[1]), 0);
        assert_eq!(
            reusable(&[1, 2, 3], &[1, 2, 3]),
            2,
            "last token is decoded again"
        );
        assert_eq!(reusable(&[1, 2, 3, 4], &[1, 2]), 1);
        assert_eq!(reusable(&[1], &[]), 0);
    }

    #[test]
    fn utf8_split_characters_are_held_back() {
        let mut s = Utf8Stream::default();
        let bytes = "é🌍".as_bytes();
        assert_eq!(s.push(&bytes[..1]), "");
        assert_eq!(s.push(&bytes[1..3]), "é");
        assert_eq!(s.push(&bytes[3..]), "🌍");
        assert_eq!(s.push(&[0xff, b'a']), "\u{fffd}a");
        assert_eq!(s.push(&[0xe2]), "");
        assert_eq!(s.finish(), "\u{fffd}");
    }
}
