//! How llama.cpp's Jinja engine turns values into text: `tojson` (Python's
//! `json.dumps` layout with `ensure_ascii=False` unless asked), Python-style
//! `repr` (`True`, `None`, `{'k': 'v'}`) and its number formatting. Matching
//! these byte for byte is what keeps prompts identical to llama-server's.

use std::fmt::Write;

use minijinja::value::{Value, ValueKind};

/// Options of `tojson`, as llama.cpp reads them.
pub(crate) struct JsonStyle {
    /// `None` renders on one line.
    pub indent: Option<usize>,
    pub item_sep: String,
    pub key_sep: String,
    pub ensure_ascii: bool,
}

impl JsonStyle {
    /// Python's defaults: `", "` / `": "` on one line, `","` when indenting.
    pub(crate) fn new(indent: Option<usize>) -> Self {
        JsonStyle {
            indent,
            item_sep: if indent.is_some() { "," } else { ", " }.to_owned(),
            key_sep: ": ".to_owned(),
            ensure_ascii: false,
        }
    }
}

/// `value | tojson(...)` as llama.cpp renders it.
pub(crate) fn to_json(value: &Value, style: &JsonStyle) -> String {
    let mut out = String::new();
    write_json(&mut out, value, 0, style);
    if style.ensure_ascii {
        out = escape_non_ascii(&out);
    }
    out
}

fn write_json(out: &mut String, value: &Value, level: usize, style: &JsonStyle) {
    let newline = |out: &mut String| {
        if style.indent.is_some() {
            out.push('\n');
        }
    };
    let pad = |out: &mut String, level: usize| {
        if let Some(n) = style.indent {
            out.extend(std::iter::repeat_n(' ', n * level));
        }
    };
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => write_json_number(out, value),
        ValueKind::String => write_json_string(out, value.as_str().unwrap_or_default()),
        ValueKind::Map => {
            let keys: Vec<Value> = value.try_iter().map(|it| it.collect()).unwrap_or_default();
            out.push('{');
            if !keys.is_empty() {
                newline(out);
                for (i, key) in keys.iter().enumerate() {
                    pad(out, level + 1);
                    write_json_string(out, &display(key));
                    out.push_str(&style.key_sep);
                    let item = value.get_item(key).unwrap_or_default();
                    write_json(out, &item, level + 1, style);
                    if i + 1 < keys.len() {
                        out.push_str(&style.item_sep);
                    }
                    newline(out);
                }
                pad(out, level);
            }
            out.push('}');
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Value> = value.try_iter().map(|it| it.collect()).unwrap_or_default();
            out.push('[');
            if !items.is_empty() {
                newline(out);
                for (i, item) in items.iter().enumerate() {
                    pad(out, level + 1);
                    write_json(out, item, level + 1, style);
                    if i + 1 < items.len() {
                        out.push_str(&style.item_sep);
                    }
                    newline(out);
                }
                pad(out, level);
            }
            out.push(']');
        }
        _ => out.push_str("null"),
    }
}

fn write_json_number(out: &mut String, value: &Value) {
    if value.is_integer() {
        let _ = write!(out, "{value}");
    } else {
        let f = f64::try_from(value.clone()).unwrap_or(f64::NAN);
        out.push_str(&format_g(f));
    }
}

/// JSON string escaping as llama.cpp (and Python with `ensure_ascii=False`)
/// does it: only quotes, backslashes and control characters.
pub(crate) fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `ensure_ascii=True`: non-ASCII as `\uXXXX` (surrogate pairs above the BMP).
fn escape_non_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out
}

/// C++ `ostream << double` with its default precision: `%g` with 6
/// significant digits (`0.1`, `1e-07`, `1.5e+20`).
fn format_g(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rounded to 6 significant digits, which fixes the exponent %g decides on.
    let sci = format!("{f:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let mantissa = trim_fraction(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = usize::try_from(5 - exp).unwrap_or(0);
        trim_fraction(&format!("{f:.decimals$}")).to_owned()
    }
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// A float as llama.cpp prints it: `std::to_string` (6 decimals) with
/// trailing zeros dropped but one kept (`0.5`, `2.0`).
fn format_float(f: f64) -> String {
    let mut s = format!("{f:.6}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.push('0');
        }
    }
    s
}

/// What `{{ value }}` writes in llama.cpp: strings as they are, numbers and
/// booleans (`True`/`False`), the items of a list one after another, and
/// nothing for none, undefined or a mapping.
pub(crate) fn write_output(out: &mut String, value: &Value) {
    match value.kind() {
        ValueKind::String => out.push_str(value.as_str().unwrap_or_default()),
        ValueKind::Number | ValueKind::Bool => out.push_str(&display(value)),
        ValueKind::Seq => {
            if let Ok(items) = value.try_iter() {
                for item in items {
                    write_output(out, &item);
                }
            }
        }
        _ => {}
    }
}

/// A value as a string (`|string`, keys of `tojson`): Python's `str()`.
pub(crate) fn display(value: &Value) -> String {
    match value.kind() {
        ValueKind::String => value.as_str().unwrap_or_default().to_owned(),
        ValueKind::Undefined => String::new(),
        _ => {
            let mut out = String::new();
            write_repr(&mut out, value);
            out
        }
    }
}

/// Python's `repr()` the way llama.cpp approximates it.
pub(crate) fn write_repr(out: &mut String, value: &Value) {
    match value.kind() {
        ValueKind::Undefined => out.push_str("Undefined"),
        ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if value.is_true() { "True" } else { "False" }),
        ValueKind::Number if value.is_integer() => {
            let _ = write!(out, "{value}");
        }
        ValueKind::Number => out.push_str(&format_float(
            f64::try_from(value.clone()).unwrap_or(f64::NAN),
        )),
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            if s.contains('\'') {
                write_json_string(out, s);
            } else {
                out.push('\'');
                out.push_str(s);
                out.push('\'');
            }
        }
        ValueKind::Map => {
            let entries: Vec<(Value, Value)> = value
                .try_iter()
                .map(|keys| {
                    keys.map(|k| {
                        let v = value.get_item(&k).unwrap_or_default();
                        (k, v)
                    })
                    .collect()
                })
                .unwrap_or_default();
            write_map_repr(out, &entries);
        }
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('[');
            if let Ok(items) = value.try_iter() {
                for (i, item) in items.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &item);
                }
            }
            out.push(']');
        }
        _ => {
            let _ = write!(out, "{value}");
        }
    }
}

pub(crate) fn write_map_repr(out: &mut String, entries: &[(Value, Value)]) {
    out.push('{');
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_repr(out, k);
        out.push_str(": ");
        write_repr(out, v);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_format_like_cpp_streams() {
        assert_eq!(format_g(0.1), "0.1");
        assert_eq!(format_g(1.0), "1");
        assert_eq!(format_g(1e-7), "1e-07");
        assert_eq!(format_g(123456789.0), "1.23457e+08");
        assert_eq!(format_g(1.23456789), "1.23457");
        assert_eq!(format_float(0.5), "0.5");
        assert_eq!(format_float(2.0), "2.0");
    }

    #[test]
    fn tojson_uses_python_separators() {
        let v = Value::from(vec![Value::from("é\n"), Value::from(1)]);
        assert_eq!(to_json(&v, &JsonStyle::new(None)), "[\"é\\n\", 1]");
        assert_eq!(
            to_json(&v, &JsonStyle::new(Some(2))),
            "[\n  \"é\\n\",\n  1\n]"
        );
        let ascii = JsonStyle {
            ensure_ascii: true,
            ..JsonStyle::new(None)
        };
        assert_eq!(
            to_json(&Value::from("é😀"), &ascii),
            "\"\\u00e9\\ud83d\\ude00\""
        );
    }
}
