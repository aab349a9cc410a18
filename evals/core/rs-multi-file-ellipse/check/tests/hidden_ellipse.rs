use std::f64::consts::PI;

use shapes::{parse_shape, to_svg, ParseError, Shape};

#[test]
fn geometry() {
    let e = Shape::Ellipse { rx: 3.0, ry: 2.0 };
    assert!((e.area() - 6.0 * PI).abs() < 1e-9);
    let expected = PI * (15.0 - (11.0f64 * 9.0).sqrt());
    assert!((e.perimeter() - expected).abs() < 1e-9);
    assert_eq!(e.name(), "ellipse");
    let circle_like = Shape::Ellipse { rx: 2.0, ry: 2.0 };
    assert!((circle_like.perimeter() - 4.0 * PI).abs() < 1e-9);
}

#[test]
fn parsing() {
    assert_eq!(
        parse_shape("ellipse 4 2.5"),
        Ok(Shape::Ellipse { rx: 4.0, ry: 2.5 })
    );
    assert_eq!(
        parse_shape("ellipse 4"),
        Err(ParseError::WrongArity("ellipse", 2))
    );
    assert_eq!(
        parse_shape("ellipse 1 2 3"),
        Err(ParseError::WrongArity("ellipse", 2))
    );
    assert_eq!(
        parse_shape("ellipse 1 -2"),
        Err(ParseError::BadNumber("-2".into()))
    );
    assert_eq!(parse_shape("circle 1"), Ok(Shape::Circle { r: 1.0 }));
}

#[test]
fn svg() {
    let e = Shape::Ellipse { rx: 4.0, ry: 1.5 };
    assert_eq!(
        to_svg(&e, 10.0, 20.0),
        r#"<ellipse cx="10" cy="20" rx="4" ry="1.5"/>"#
    );
}
