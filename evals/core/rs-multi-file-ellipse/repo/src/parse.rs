use std::fmt;

use crate::shape::Shape;

/// Why a line of the text format was rejected.
#[derive(Debug, Clone, PartialEq)]
pub enum ParseError {
    UnknownShape(String),
    /// The keyword and how many numbers it needs.
    WrongArity(&'static str, usize),
    BadNumber(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnknownShape(s) => write!(f, "unknown shape `{s}`"),
            ParseError::WrongArity(s, n) => write!(f, "`{s}` takes {n} numbers"),
            ParseError::BadNumber(s) => write!(f, "`{s}` is not a positive number"),
        }
    }
}

/// Parses one line such as `circle 5` or `rect 4 3`.
pub fn parse_shape(line: &str) -> Result<Shape, ParseError> {
    let mut words = line.split_whitespace();
    let keyword = words.next().unwrap_or("");
    let numbers = words.map(number).collect::<Result<Vec<f64>, _>>()?;
    match keyword {
        "circle" => match numbers[..] {
            [r] => Ok(Shape::Circle { r }),
            _ => Err(ParseError::WrongArity("circle", 1)),
        },
        "rect" => match numbers[..] {
            [w, h] => Ok(Shape::Rect { w, h }),
            _ => Err(ParseError::WrongArity("rect", 2)),
        },
        other => Err(ParseError::UnknownShape(other.to_string())),
    }
}

fn number(word: &str) -> Result<f64, ParseError> {
    match word.parse::<f64>() {
        Ok(n) if n > 0.0 && n.is_finite() => Ok(n),
        _ => Err(ParseError::BadNumber(word.to_string())),
    }
}
