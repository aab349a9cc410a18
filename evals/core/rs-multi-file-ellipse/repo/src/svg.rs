use crate::shape::Shape;

/// The SVG element drawing `shape` centred on (`cx`, `cy`).
pub fn to_svg(shape: &Shape, cx: f64, cy: f64) -> String {
    match shape {
        Shape::Circle { r } => format!(r#"<circle cx="{cx}" cy="{cy}" r="{r}"/>"#),
        Shape::Rect { w, h } => format!(
            r#"<rect x="{}" y="{}" width="{w}" height="{h}"/>"#,
            cx - w / 2.0,
            cy - h / 2.0
        ),
    }
}
