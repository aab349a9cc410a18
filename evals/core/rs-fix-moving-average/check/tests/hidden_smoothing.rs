use smoothing::{max_jump, moving_average};

#[test]
fn all_windows_present() {
    assert_eq!(
        moving_average(&[1.0, 2.0, 3.0, 4.0], 2),
        vec![1.5, 2.5, 3.5]
    );
    assert_eq!(moving_average(&[3.0, 3.0, 6.0], 3), vec![4.0]);
    assert_eq!(moving_average(&[5.0, 7.0], 1), vec![5.0, 7.0]);
}

#[test]
fn degenerate_windows() {
    assert!(moving_average(&[1.0, 2.0], 0).is_empty());
    assert!(moving_average(&[1.0, 2.0], 3).is_empty());
    assert!(moving_average(&[], 1).is_empty());
}

#[test]
fn jump_unchanged() {
    assert_eq!(max_jump(&[2.0, -1.0, 0.0]), 3.0);
}
