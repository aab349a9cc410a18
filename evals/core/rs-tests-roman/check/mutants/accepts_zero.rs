//! Roman numerals for chapter numbering.

const TABLE: [(u32, &str); 13] = [
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
];

/// The canonical numeral for `n` (upper case, subtractive forms such as IV
/// and XC), or `None` outside 1..=3999.
pub fn to_roman(n: u32) -> Option<String> {
    if n > 3999 {
        return None;
    }
    let mut rest = n;
    let mut out = String::new();
    for (value, symbol) in TABLE {
        while rest >= value {
            out.push_str(symbol);
            rest -= value;
        }
    }
    Some(out)
}

/// The value of a canonical upper-case numeral, or `None` for anything
/// else: empty input, unknown or lower-case letters, and non-canonical
/// forms such as "IIII" or "IC".
pub fn from_roman(s: &str) -> Option<u32> {
    let mut total = 0;
    let mut rest = s;
    for (value, symbol) in TABLE {
        while let Some(stripped) = rest.strip_prefix(symbol) {
            total += value;
            rest = stripped;
        }
    }
    if !rest.is_empty() || total == 0 {
        return None;
    }
    // Only the canonical spelling of a value is accepted.
    (to_roman(total).as_deref() == Some(s)).then_some(total)
}
