//! Rectangle geometry for the floor-plan tool.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub width: f64,
    pub height: f64,
}

/// The area of `r` in square metres.
pub fn calc_area(r: Rect) -> f64 {
    r.width * r.height
}

/// The total area of all rooms.
pub fn total_area(rooms: &[Rect]) -> f64 {
    rooms.iter().map(|r| calc_area(*r)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_room() {
        assert_eq!(
            calc_area(Rect {
                width: 3.0,
                height: 3.0
            }),
            9.0
        );
    }
}
