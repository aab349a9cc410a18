//! Retry policy for the upload client.

/// How many times a failed upload is retried before giving up.
pub const MAX_RETRIES: u32 = 3;

/// Delay before the first retry, in milliseconds.
pub const BASE_DELAY_MS: u64 = 200;

/// Delay before retry number `attempt` (1-based): doubles each time.
/// Returns `None` once `attempt` exceeds `MAX_RETRIES`.
pub fn backoff_ms(attempt: u32) -> Option<u64> {
    if attempt == 0 || attempt > MAX_RETRIES {
        return None;
    }
    Some(BASE_DELAY_MS << (attempt - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_retry_waits_base_delay() {
        assert_eq!(backoff_ms(1), Some(BASE_DELAY_MS));
    }
}
