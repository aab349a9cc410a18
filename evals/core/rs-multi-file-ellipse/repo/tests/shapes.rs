use shapes::{parse_shape, to_svg, ParseError, Shape};

#[test]
fn parse_and_draw_rect() {
    let rect = parse_shape("rect 4 2").unwrap();
    assert_eq!(rect, Shape::Rect { w: 4.0, h: 2.0 });
    assert_eq!(rect.area(), 8.0);
    assert_eq!(
        to_svg(&rect, 10.0, 10.0),
        r#"<rect x="8" y="9" width="4" height="2"/>"#
    );
}

#[test]
fn errors() {
    assert_eq!(
        parse_shape("hexagon 1"),
        Err(ParseError::UnknownShape("hexagon".into()))
    );
    assert_eq!(
        parse_shape("circle"),
        Err(ParseError::WrongArity("circle", 1))
    );
}
