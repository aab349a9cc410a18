use parity::{is_even, row_class};

#[test]
fn even_numbers() {
    for n in [0, 2, 10, -4, 1_000_000] {
        assert!(is_even(n), "{n} is even");
    }
}

#[test]
fn odd_numbers() {
    for n in [1, 3, -1, -7, 999] {
        assert!(!is_even(n), "{n} is odd");
    }
}

#[test]
fn rows_alternate_starting_light() {
    assert_eq!(row_class(0), "light");
    assert_eq!(row_class(1), "dark");
    assert_eq!(row_class(2), "light");
}
