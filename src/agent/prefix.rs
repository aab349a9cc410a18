//! Watches that each request extends the previous one.
//!
//! Server-side prefix caches (and the local engine's KV cache) only help
//! when a request starts with the previous request's exact messages. The
//! session never rewrites history on its own; when something does (a later
//! compaction, a user edit), this tracker reports where the prefix broke so
//! a cache miss is never a mystery.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use crate::chat::Message;

#[derive(Default)]
pub struct PrefixTracker {
    previous: Vec<u64>,
}

impl PrefixTracker {
    /// Records this request's messages; returns the index of the first
    /// message that differs from the previous request, if it is not an
    /// extension of it.
    pub fn observe(&mut self, messages: &[Message]) -> Option<usize> {
        let hashes: Vec<u64> = messages.iter().map(fingerprint).collect();
        let broken = self
            .previous
            .iter()
            .zip(&hashes)
            .position(|(a, b)| a != b)
            .or_else(|| (hashes.len() < self.previous.len()).then_some(hashes.len()));
        self.previous = hashes;
        broken
    }
}

fn fingerprint(message: &Message) -> u64 {
    let mut h = DefaultHasher::new();
    serde_json::to_string(message)
        .unwrap_or_default()
        .hash(&mut h);
    h.finish()
}

/// The SHA-256 of `text` in hex: a fingerprint that stays the same across
/// processes and versions (unlike [`DefaultHasher`]).
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(s: &str) -> Message {
        Message::User { content: s.into() }
    }

    #[test]
    fn growth_is_fine_rewrites_and_shrinks_are_reported() {
        let mut t = PrefixTracker::default();
        assert_eq!(t.observe(&[user("a")]), None);
        assert_eq!(t.observe(&[user("a"), user("b")]), None);
        assert_eq!(t.observe(&[user("a"), user("X"), user("c")]), Some(1));
        assert_eq!(t.observe(&[user("a")]), Some(1));
    }
}
