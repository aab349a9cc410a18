use progress::Progress;

#[test]
fn overshoot_has_nothing_remaining() {
    let p = Progress {
        done: 1200,
        total: 1000,
    };
    assert_eq!(p.remaining(), 0);
    assert_eq!(p.percent(), 100);
    assert_eq!(p.render(10), "[##########] 100% (0 B left)");
}

#[test]
fn normal_progress_unchanged() {
    let p = Progress {
        done: 250,
        total: 1000,
    };
    assert_eq!(p.remaining(), 750);
    assert_eq!(p.render(4), "[#   ] 25% (750 B left)");
}

#[test]
fn unknown_size() {
    let p = Progress { done: 10, total: 0 };
    assert_eq!(p.remaining(), 0);
    assert_eq!(p.render(3), "[   ] 0% (0 B left)");
}
