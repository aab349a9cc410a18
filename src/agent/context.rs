//! How full the context is, and when to compact.
//!
//! Before every request the session counts the prompt it is about to send
//! (exactly on the local engine, estimated for endpoints; see
//! [`crate::backend::count`]). Past the compaction point it compacts; a
//! prompt that still leaves no room for the answer ends the task with
//! `context_exhausted` instead of a server's 400.

use std::str::FromStr;

use serde::Serialize;

use crate::backend::count::TokenCount;

/// Where compaction starts: a fraction of the context window (profiles)
/// or a number of tokens (`--compact-at 6000`, which also works where the
/// window is unknown).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CompactAt {
    Fraction(f32),
    Tokens(u64),
}

impl CompactAt {
    /// The prompt size that triggers compaction, if one can be said.
    pub fn threshold(self, window: Option<u64>) -> Option<u64> {
        match self {
            CompactAt::Tokens(n) => Some(n),
            CompactAt::Fraction(f) => window.map(|w| (w as f64 * f64::from(f)) as u64),
        }
    }
}

impl FromStr for CompactAt {
    type Err = String;

    /// `0.7` or `70%` (a fraction of the window), `6000` or `6k` (tokens).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "`{s}` is not a compaction point: give a fraction of the context window \
                 (`0.7` or `70%`) or a number of tokens (`6000` or `6k`)"
            )
        };
        let fraction = |f: f32| match f > 0.0 && f <= 1.0 {
            true => Ok(CompactAt::Fraction(f)),
            false => Err(bad()),
        };
        if let Some(p) = s.strip_suffix('%') {
            return fraction(p.trim().parse::<f32>().map_err(|_| bad())? / 100.0);
        }
        if let Some(k) = s.strip_suffix(['k', 'K']) {
            let k: f64 = k.trim().parse().map_err(|_| bad())?;
            return match k > 0.0 && k.is_finite() {
                true => Ok(CompactAt::Tokens((k * 1000.0) as u64)),
                false => Err(bad()),
            };
        }
        if let Ok(n) = s.parse::<u64>() {
            return match n {
                0 => Err(bad()),
                1 => Ok(CompactAt::Fraction(1.0)),
                n => Ok(CompactAt::Tokens(n)),
            };
        }
        fraction(s.parse::<f32>().map_err(|_| bad())?)
    }
}

/// The prompt of a request against the window: in `turn_started` events
/// and the TUI's status line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ContextUse {
    /// The prompt's tokens.
    pub tokens: u64,
    /// Counted with the model's tokenizer (`false`: estimated).
    pub exact: bool,
    /// The context window, where the backend knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<u64>,
}

impl ContextUse {
    pub fn new(count: TokenCount, window: Option<u64>) -> Self {
        Self {
            tokens: count.tokens,
            exact: count.exact,
            window,
        }
    }

    /// Whether the prompt passed the compaction point, or leaves the
    /// answer too little room.
    pub fn needs_compaction(&self, at: Option<CompactAt>) -> bool {
        let past = at
            .and_then(|a| a.threshold(self.window))
            .is_some_and(|t| self.tokens >= t);
        past || self.overflows()
    }

    /// Whether the prompt leaves less than [`answer_room`] in the window.
    pub fn overflows(&self) -> bool {
        self.window
            .is_some_and(|w| self.tokens + answer_room(w) > w)
    }
}

/// Tokens kept free for the answer: an eighth of the window, at least 256
/// and at most 4096.
pub fn answer_room(window: u64) -> u64 {
    (window / 8).clamp(256, 4096).min(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compaction_points_parse_as_fractions_or_tokens() {
        assert_eq!("0.7".parse(), Ok(CompactAt::Fraction(0.7)));
        assert_eq!("70%".parse(), Ok(CompactAt::Fraction(0.7)));
        assert_eq!("6000".parse(), Ok(CompactAt::Tokens(6000)));
        assert_eq!("6k".parse(), Ok(CompactAt::Tokens(6000)));
        assert_eq!("1".parse(), Ok(CompactAt::Fraction(1.0)));
        for bad in ["0", "1.5", "-3", "abc", "0%", "k", ""] {
            let err = bad.parse::<CompactAt>().unwrap_err();
            assert!(err.contains("compaction point"), "{bad}: {err}");
        }
    }

    #[test]
    fn thresholds_trigger_compaction_and_overflow_is_reported() {
        let at = |tokens, window| ContextUse {
            tokens,
            exact: true,
            window,
        };
        let frac = Some(CompactAt::Fraction(0.5));
        assert!(!at(3999, Some(8000)).needs_compaction(frac));
        assert!(at(4000, Some(8000)).needs_compaction(frac));
        // Unknown window: only a token threshold applies.
        assert!(!at(100_000, None).needs_compaction(frac));
        assert!(at(6000, None).needs_compaction(Some(CompactAt::Tokens(6000))));
        // No threshold, but no room left for the answer.
        assert!(at(7500, Some(8000)).needs_compaction(None));
        assert!(at(7500, Some(8000)).overflows());
        assert!(!at(7000, Some(8000)).overflows());
        assert_eq!(answer_room(1000), 256);
        assert_eq!(answer_room(200), 200);
        assert_eq!(answer_room(1_000_000), 4096);
    }
}
