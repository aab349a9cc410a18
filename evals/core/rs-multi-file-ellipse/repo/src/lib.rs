//! Shapes for the diagram tool: a tiny text format, geometry, and SVG output.

pub mod parse;
pub mod shape;
pub mod svg;

pub use parse::{parse_shape, ParseError};
pub use shape::Shape;
pub use svg::to_svg;
