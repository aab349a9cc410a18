use temperature::{celsius_to_fahrenheit, fahrenheit_to_celsius};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn known_points() {
    assert!(close(fahrenheit_to_celsius(212.0), 100.0));
    assert!(close(fahrenheit_to_celsius(32.0), 0.0));
    assert!(close(fahrenheit_to_celsius(-40.0), -40.0));
    assert!(close(fahrenheit_to_celsius(98.6), 37.0));
}

#[test]
fn round_trip() {
    for c in [-10.0, 0.0, 21.5, 37.0] {
        assert!(close(fahrenheit_to_celsius(celsius_to_fahrenheit(c)), c));
    }
}
