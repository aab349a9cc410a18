//! The minijinja environment, set up like llama.cpp's Jinja engine (which
//! follows HF transformers): `trim_blocks` and `lstrip_blocks` on, the source's
//! single trailing newline dropped, Python string/dict methods, Python-style
//! printing and `tojson`, `raise_exception`, and a frozen `strftime_now`.

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

use super::error::Raised;
use super::pyfmt::{self, JsonStyle};
use super::strftime::strftime_fixed;

/// The name the one template is stored under.
pub(crate) const NAME: &str = "chat_template";

/// An environment holding `source` compiled, ready to render.
pub(crate) fn environment(source: String) -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(false)
            .build()?,
    );
    // llama.cpp yields undefined for attributes of undefined values instead
    // of failing; templates probe optional fields that way.
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.set_formatter(|out, _state, value| {
        let mut text = String::new();
        pyfmt::write_output(&mut text, value);
        out.write_str(&text)
            .map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()))
    });
    env.add_function("raise_exception", raise_exception);
    env.add_function("strftime_now", |format: String| strftime_fixed(&format));
    env.add_filter("tojson", tojson);
    env.add_filter("string", |value: Value| pyfmt::display(&value));
    env.add_filter("indent", indent);
    env.add_template_owned(NAME, source)?;
    Ok(env)
}

fn raise_exception(message: Option<String>) -> Result<Value, Error> {
    let message = message.unwrap_or_default();
    Err(Error::new(ErrorKind::InvalidOperation, message.clone()).with_source(Raised(message)))
}

/// `tojson` with llama.cpp's arguments: positional `ensure_ascii, indent,
/// separators, sort_keys`, or the same as keywords.
fn tojson(value: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let arg = |pos: usize, name: &str| -> Result<Value, Error> {
        match kwargs.get::<Option<Value>>(name)? {
            Some(v) => Ok(v),
            None => Ok(args.get(pos).cloned().unwrap_or_default()),
        }
    };
    let ensure_ascii = arg(0, "ensure_ascii")?.is_true();
    let indent = arg(1, "indent")?;
    let separators = arg(2, "separators")?;
    let sort_keys = arg(3, "sort_keys")?.is_true();

    let indent = match indent.kind() {
        ValueKind::Number => Some(indent.as_i64().unwrap_or(0).max(0) as usize),
        _ => None,
    };
    let mut style = JsonStyle::new(indent);
    style.ensure_ascii = ensure_ascii;
    if matches!(separators.kind(), ValueKind::Seq) {
        if let Ok(item) = separators.get_item_by_index(0)
            && let Some(s) = item.as_str()
        {
            style.item_sep = s.to_owned();
        }
        if let Ok(key) = separators.get_item_by_index(1)
            && let Some(s) = key.as_str()
        {
            style.key_sep = s.to_owned();
        }
    }
    let value = if sort_keys { sorted(&value) } else { value };
    Ok(Value::from_safe_string(pyfmt::to_json(&value, &style)))
}

/// `sort_keys=True` (llama.cpp does not implement it; Python sorts by key).
fn sorted(value: &Value) -> Value {
    match value.kind() {
        ValueKind::Map => {
            let mut entries: Vec<(Value, Value)> = value
                .try_iter()
                .map(|keys| {
                    keys.map(|k| {
                        let v = sorted(&value.get_item(&k).unwrap_or_default());
                        (k, v)
                    })
                    .collect()
                })
                .unwrap_or_default();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            super::value::OrderedMap::value(entries)
        }
        ValueKind::Seq => Value::from(
            value
                .try_iter()
                .map(|items| items.map(|v| sorted(&v)).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
        _ => value.clone(),
    }
}

/// `indent(width=4, first=False, blank=False)` as llama.cpp (and Python's
/// Jinja) implement it: a trailing newline is kept, which minijinja drops.
fn indent(value: String, args: Rest<Value>, kwargs: Kwargs) -> Result<String, Error> {
    let arg = |pos: usize, name: &str| -> Result<Value, Error> {
        match kwargs.get::<Option<Value>>(name)? {
            Some(v) => Ok(v),
            None => Ok(args.get(pos).cloned().unwrap_or_default()),
        }
    };
    let width = arg(0, "width")?;
    let first = arg(1, "first")?.is_true();
    let blank = arg(2, "blank")?.is_true();
    let pad = match (width.as_i64(), width.as_str()) {
        (Some(n), _) => " ".repeat(usize::try_from(n).unwrap_or(0)),
        (None, Some(s)) => s.to_owned(),
        (None, None) => "    ".to_owned(),
    };
    let mut out = String::new();
    // `std::getline` lines: no empty last line after a trailing newline.
    let body = value.strip_suffix('\n').unwrap_or(&value);
    if !value.is_empty() {
        for line in body.split('\n') {
            if !out.is_empty() {
                out.push('\n');
            }
            // llama.cpp tests "nothing written yet", so leading empty lines
            // all count as the first.
            if if out.is_empty() {
                first
            } else {
                !line.is_empty() || blank
            } {
                out.push_str(&pad);
            }
            out.push_str(line);
        }
    }
    if value.ends_with('\n') {
        out.push('\n');
        if blank {
            out.push_str(&pad);
        }
    }
    Ok(out)
}
