use durations::{parse_duration, DurationError};

#[test]
fn single_units() {
    assert_eq!(parse_duration("90s"), Ok(90));
    assert_eq!(parse_duration("5m"), Ok(300));
    assert_eq!(parse_duration("2h"), Ok(7200));
    assert_eq!(parse_duration("1d"), Ok(86_400));
    assert_eq!(parse_duration("0s"), Ok(0));
}

#[test]
fn combinations() {
    assert_eq!(parse_duration("1h30m"), Ok(5400));
    assert_eq!(parse_duration("2d4h"), Ok(187_200));
    assert_eq!(parse_duration("30m1h"), Ok(5400));
    assert_eq!(parse_duration("1m1m"), Ok(120));
    assert_eq!(parse_duration("  1h2m3s \n"), Ok(3723));
}

#[test]
fn errors() {
    assert_eq!(parse_duration(""), Err(DurationError::Empty));
    assert_eq!(parse_duration("   "), Err(DurationError::Empty));
    assert_eq!(parse_duration("90"), Err(DurationError::MissingUnit));
    assert_eq!(parse_duration("1h30"), Err(DurationError::MissingUnit));
    assert_eq!(parse_duration("5x"), Err(DurationError::UnknownUnit('x')));
    assert_eq!(
        parse_duration("1h 30m"),
        Err(DurationError::UnknownUnit(' '))
    );
    assert_eq!(parse_duration("h"), Err(DurationError::MissingNumber));
    assert_eq!(parse_duration("1hm"), Err(DurationError::MissingNumber));
}

#[test]
fn overflow_is_an_error() {
    assert_eq!(
        parse_duration("99999999999999999999s"),
        Err(DurationError::Overflow)
    );
    assert_eq!(
        parse_duration("213503982334602d"),
        Err(DurationError::Overflow)
    );
    let max = format!("{}s", u64::MAX);
    assert_eq!(parse_duration(&max), Ok(u64::MAX));
    let over = format!("{}s1s", u64::MAX);
    assert_eq!(parse_duration(&over), Err(DurationError::Overflow));
}
