//! `strftime_now` with a frozen clock.
//!
//! llama.cpp passes the real time, but anything that changes between turns
//! breaks prompt caching, so kiln's templates always see Friday 26 July 2024,
//! 00:00:00 UTC: the date Llama 3.x templates fall back to when they have no
//! `strftime_now`, so those render the same text either way.

/// The fixed date's fields.
const YEAR: u32 = 2024;
const MONTH: usize = 7;
const DAY: u32 = 26;
const WEEKDAY: usize = 4; // Monday = 0
const DAY_OF_YEAR: u32 = 208;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// `date_string` as llama.cpp formats it (`%d %b %Y`).
pub(crate) const DATE_STRING: &str = "26 Jul 2024";
/// `datetime` as llama.cpp formats it (`%b %d %Y`).
pub(crate) const DATETIME: &str = "Jul 26 2024";

/// Formats the fixed date with a C `strftime` format; unknown directives are
/// kept as written.
pub(crate) fn strftime_fixed(format: &str) -> String {
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // `%-d` (glibc): no padding.
        let mut spec = chars.next();
        let unpadded = spec == Some('-');
        if unpadded {
            spec = chars.next();
        }
        let num = |n: u32, width: usize| {
            if unpadded {
                n.to_string()
            } else {
                format!("{n:0width$}")
            }
        };
        let month = MONTHS[MONTH - 1];
        let weekday = WEEKDAYS[WEEKDAY];
        match spec {
            Some('Y') => out.push_str(&YEAR.to_string()),
            Some('y') => out.push_str(&num(YEAR % 100, 2)),
            Some('m') => out.push_str(&num(MONTH as u32, 2)),
            Some('d') => out.push_str(&num(DAY, 2)),
            Some('e') => out.push_str(&format!("{DAY:2}")),
            Some('j') => out.push_str(&num(DAY_OF_YEAR, 3)),
            Some('b') | Some('h') => out.push_str(&month[..3]),
            Some('B') => out.push_str(month),
            Some('a') => out.push_str(&weekday[..3]),
            Some('A') => out.push_str(weekday),
            Some('u') => out.push_str(&(WEEKDAY + 1).to_string()),
            Some('w') => out.push_str(&((WEEKDAY + 1) % 7).to_string()),
            Some('H') | Some('M') | Some('S') => out.push_str(&num(0, 2)),
            Some('I') => out.push_str(&num(12, 2)),
            Some('p') => out.push_str("AM"),
            Some('F') => out.push_str("2024-07-26"),
            Some('D') => out.push_str("07/26/24"),
            Some('T') => out.push_str("00:00:00"),
            Some('Z') => out.push_str("UTC"),
            Some('z') => out.push_str("+0000"),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                if unpadded {
                    out.push('-');
                }
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_fixed_date() {
        assert_eq!(strftime_fixed("%d %b %Y"), DATE_STRING);
        assert_eq!(strftime_fixed("%b %d %Y"), DATETIME);
        assert_eq!(strftime_fixed("%Y-%m-%d"), "2024-07-26");
        assert_eq!(strftime_fixed("%A, %B %-d"), "Friday, July 26");
    }
}
