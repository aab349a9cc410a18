//! Interned identifier names: every name of an index once, in one string,
//! so tags hold a `u32` ([`Sym`]) instead of a `String` each. That keeps
//! the cache small, its load to a few allocations, and lets ranking index
//! tables by symbol instead of hashing strings.
//!
//! A finished table is sorted and holds no duplicates, so symbol order is
//! name order: ranking visits names in a fixed order without sorting them.

use serde::{Deserialize, Serialize};

/// A name's position in its [`Names`] table.
pub type Sym = u32;

/// Names back to back in `text`; name `i` ends at `ends[i]` and starts where
/// name `i - 1` ends.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    text: String,
    ends: Vec<u32>,
}

impl Names {
    /// A table of `names`, which the caller has sorted and deduplicated.
    /// `None` when the text would not fit `u32` offsets.
    pub fn from_sorted<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut table = Self::default();
        for name in names {
            table.text.push_str(name);
            table.ends.push(u32::try_from(table.text.len()).ok()?);
        }
        Some(table)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The name of `sym`; empty for a symbol not in the table (the table is
    /// checked when loaded, so that does not happen in practice).
    pub fn get(&self, sym: Sym) -> &str {
        let i = sym as usize;
        let end = self.ends.get(i).map_or(0, |&e| e as usize);
        let start = match i.checked_sub(1) {
            Some(prev) => self.ends.get(prev).map_or(0, |&e| e as usize),
            None => 0,
        };
        self.text.get(start..end).unwrap_or("")
    }

    /// Every name with its symbol, in symbol (and so name) order.
    pub fn iter(&self) -> impl Iterator<Item = (Sym, &str)> {
        (0..self.len()).map(|i| {
            let sym = Sym::try_from(i).unwrap_or(Sym::MAX);
            (sym, self.get(sym))
        })
    }

    /// The symbol of `name`, by binary search (the table is sorted).
    pub fn find(&self, name: &str) -> Option<Sym> {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let sym = Sym::try_from(mid).ok()?;
            match self.get(sym).cmp(name) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(sym),
            }
        }
        None
    }

    /// Whether the table is well formed: offsets in order and on character
    /// boundaries, names non-empty, sorted and unique. A cache whose table
    /// is not is treated as corrupt.
    pub fn is_valid(&self) -> bool {
        let mut start = 0usize;
        let mut prev: Option<&str> = None;
        for &end in &self.ends {
            let end = end as usize;
            let Some(name) = self.text.get(start..end) else {
                return false;
            };
            if name.is_empty() || prev.is_some_and(|p| p >= name) {
                return false;
            }
            prev = Some(name);
            start = end;
        }
        start == self.text.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_search() {
        let t = Names::from_sorted(["Foo", "bar", "baz"]).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t.get(0), "Foo");
        assert_eq!(t.get(2), "baz");
        assert_eq!(t.get(9), "");
        assert_eq!(t.find("bar"), Some(1));
        assert_eq!(t.find("Foo"), Some(0));
        assert_eq!(t.find("qux"), None);
        assert!(t.is_valid());
        let names: Vec<&str> = t.iter().map(|(_, n)| n).collect();
        assert_eq!(names, ["Foo", "bar", "baz"]);
    }

    #[test]
    fn unsorted_or_broken_tables_are_invalid() {
        assert!(!Names::from_sorted(["b", "a"]).unwrap().is_valid());
        assert!(!Names::from_sorted(["a", "a"]).unwrap().is_valid());
        assert!(!Names::from_sorted(["a", ""]).unwrap().is_valid());
        let bad = Names {
            text: "é".into(),
            ends: vec![1],
        };
        assert!(!bad.is_valid());
        let short = Names {
            text: "abc".into(),
            ends: vec![9],
        };
        assert!(!short.is_valid());
    }
}
