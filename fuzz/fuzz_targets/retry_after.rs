//! The `Retry-After` parser: delay-seconds or an HTTP-date, from an
//! untrusted server, against any clock.
//!
//! Properties: no panic (no overflow either: fuzz builds check it); a date
//! is parsed the same whatever the day name and case; a value that is a
//! plain number of seconds means exactly that.

#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Arbitrary;
use kiln::backend::openai::fuzz::retry_after;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Value<'a> {
    Raw(&'a str),
    Seconds(u64),
    Float(f64),
    /// `Www, DD Mon YYYY hh:mm:ss GMT` from fuzzed fields.
    Date {
        day: i64,
        month: u8,
        year: i64,
        hour: i64,
        minute: i64,
        second: i64,
        zone: bool,
    },
}

const MONTHS: [&str; 13] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Foo",
];

fuzz_target!(|input: (Value<'_>, u64)| {
    let (value, now_secs) = input;
    let now = UNIX_EPOCH
        .checked_add(Duration::from_secs(now_secs))
        .unwrap_or(UNIX_EPOCH);
    let text = match &value {
        Value::Raw(s) => (*s).to_string(),
        Value::Seconds(n) => n.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Date {
            day,
            month,
            year,
            hour,
            minute,
            second,
            zone,
        } => format!(
            "Sun, {day:02} {} {year} {hour:02}:{minute:02}:{second:02} {}",
            MONTHS[usize::from(*month) % MONTHS.len()],
            if *zone { "GMT" } else { "PST" }
        ),
    };
    let parsed = retry_after(&text, now);
    if let Value::Seconds(n) = value {
        assert_eq!(parsed, Some(Duration::from_secs(n)));
    }
    if let (Value::Date { .. }, Some(wait)) = (&value, parsed) {
        // A date is a point in time: the wait shrinks as the clock advances.
        let later = now.checked_add(Duration::from_secs(1)).unwrap_or(now);
        let again = retry_after(&text, later).unwrap();
        assert!(again <= wait, "{text}: {again:?} > {wait:?}");
        let lower = text.to_lowercase().replacen("sun", "Mon", 1);
        assert_eq!(retry_after(&lower, now), Some(wait), "{lower}");
    }
});
