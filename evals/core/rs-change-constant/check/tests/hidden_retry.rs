use retry::{backoff_ms, BASE_DELAY_MS, MAX_RETRIES};

#[test]
fn five_retries() {
    assert_eq!(MAX_RETRIES, 5);
}

#[test]
fn backoff_covers_five_attempts() {
    assert_eq!(backoff_ms(4), Some(1600));
    assert_eq!(backoff_ms(5), Some(3200));
    assert_eq!(backoff_ms(6), None);
    assert_eq!(backoff_ms(0), None);
    assert_eq!(BASE_DELAY_MS, 200);
}
