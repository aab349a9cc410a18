//! Smoothing of sensor readings.

/// The mean of every run of `window` consecutive readings, in order: for
/// `n` readings there are `n - window + 1` means. Returns an empty vector
/// when `window` is 0 or larger than the number of readings.
pub fn moving_average(readings: &[f64], window: usize) -> Vec<f64> {
    if window == 0 || window > readings.len() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for start in 0..readings.len() - window {
        let sum: f64 = readings[start..start + window].iter().sum();
        out.push(sum / window as f64);
    }
    out
}

/// The largest absolute change between two consecutive readings.
pub fn max_jump(readings: &[f64]) -> f64 {
    readings
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jump() {
        assert_eq!(max_jump(&[1.0, 4.0, 2.0]), 3.0);
    }
}
