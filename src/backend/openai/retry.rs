//! When to retry a failed attempt, and how long to wait before the next one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;

use crate::backend::BackendError;

/// Longest `Retry-After` we honour: a server asking for more is treated as
/// asking for this much, so a bad header cannot park the agent for hours.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// Exponential backoff with jitter: attempt `n` (1-based) waits about
/// `base * 2^(n-1)`, capped at `cap`, randomised over its upper half so that
/// several clients hitting the same server do not retry in lockstep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The wait before retry number `attempt` (1 for the first retry). A
    /// server's `Retry-After` wins over our own schedule.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(MAX_RETRY_AFTER);
        }
        let exp = attempt.saturating_sub(1).min(20);
        let full = self.base.saturating_mul(1u32 << exp).min(self.cap);
        let half = full / 2;
        let jitter_ms = rand::rng().random_range(0..=half.as_millis().max(1) as u64);
        (half + Duration::from_millis(jitter_ms)).min(self.cap)
    }
}

/// Whether an attempt that failed this way is worth repeating. A first-token
/// timeout is deliberately not: the server may still be prefilling, and
/// resending would only start the same long prefill again.
pub(crate) fn is_retryable(err: &BackendError) -> bool {
    match err {
        BackendError::Unreachable { .. } | BackendError::Stalled { .. } => true,
        BackendError::Truncated => true,
        BackendError::Http { status, .. } => {
            *status == 429 || *status == 408 || (500..600).contains(status)
        }
        BackendError::FirstTokenTimeout { .. }
        | BackendError::Protocol(_)
        | BackendError::Config(_)
        | BackendError::ContextFull(_)
        | BackendError::Engine(_)
        | BackendError::Cancelled
        | BackendError::RetriesExhausted { .. } => false,
    }
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date (IMF-fixdate,
/// the only form servers may send). A date in the past means "now".
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Some(secs) = value
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
    {
        return Some(Duration::from_secs_f64(secs.min(1e9)));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` → a point in time.
fn parse_http_date(s: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_weekday, day, month, year, clock, zone] = parts.as_slice() else {
        return None;
    };
    if !zone.eq_ignore_ascii_case("GMT") && !zone.eq_ignore_ascii_case("UTC") {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? as u32 + 1;
    let day: u32 = day.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    // IMF-fixdate's year is four digits; a larger one overflowed the day
    // arithmetic below (found by fuzzing: `Sun, 01 Jan 34339947175477469
    // 00:00:00 GMT` panicked in debug builds, wrapped in release).
    if !(0..=9999).contains(&year) {
        return None;
    }
    let mut hms = clock.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + m * 60 + sec;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // 1994-11-06 08:49:37
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("Sun, 06 Foo 1994 08:49:47 GMT", now),
            None
        );
    }

    #[test]
    fn absurd_years_are_refused_without_overflow() {
        let now = UNIX_EPOCH + Duration::from_secs(16_158_207);
        for date in [
            "Sun, 01 Jan 34339947175477469 00:00:00 GMT",
            "Sun, 01 Jan 9223372036854775807 00:00:00 GMT",
            "Sun, 01 Feb -9223372036854775808 00:00:00 GMT",
            "Sun, 01 Jan 10000 00:00:00 GMT",
        ] {
            assert_eq!(parse_retry_after(date, now), None, "{date}");
        }
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", UNIX_EPOCH),
            Some(Duration::from_secs(253_402_300_799))
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(1000),
        };
        for attempt in 1..10 {
            let d = b.delay(attempt, None);
            let full = Duration::from_millis(100 * (1 << (attempt - 1))).min(b.cap);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        assert_eq!(
            b.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(b.delay(1, Some(Duration::from_secs(999))), MAX_RETRY_AFTER);
    }

    #[test]
    fn retryable_classes() {
        let http = |status| BackendError::Http {
            status,
            body: String::new(),
        };
        assert!(is_retryable(&http(429)));
        assert!(is_retryable(&http(503)));
        assert!(is_retryable(&http(408)));
        assert!(!is_retryable(&http(400)));
        assert!(!is_retryable(&http(401)));
        assert!(is_retryable(&BackendError::Truncated));
        assert!(!is_retryable(&BackendError::Cancelled));
        assert!(!is_retryable(&BackendError::FirstTokenTimeout {
            waited: Duration::from_secs(1),
            prompt_tokens: 1
        }));
    }
}
