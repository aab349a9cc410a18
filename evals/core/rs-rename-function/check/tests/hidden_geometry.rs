use geometry::{area, total_area, Rect};

#[test]
fn area_of_rect() {
    assert_eq!(
        area(Rect {
            width: 2.0,
            height: 4.5
        }),
        9.0
    );
}

#[test]
fn total_area_uses_all_rooms() {
    let rooms = [
        Rect {
            width: 1.0,
            height: 2.0,
        },
        Rect {
            width: 3.0,
            height: 3.0,
        },
    ];
    assert_eq!(total_area(&rooms), 11.0);
}

#[test]
fn old_name_is_gone() {
    let source = include_str!("../src/lib.rs");
    assert!(!source.contains("calc_area"));
}
