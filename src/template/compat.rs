//! Source rewrites for Jinja that Python (and llama.cpp's engine) accept but
//! minijinja cannot express, applied before compiling:
//!
//! - `{% generation %}...{% endgeneration %}` (HF's marker for assistant-token
//!   masks, used by LFM2.5 and Laguna) renders its body: it becomes
//!   `{% if true %}...{% endif %}` with the same whitespace control.
//! - Lists are immutable in minijinja, so the Kimi K2 idioms
//!   `{% set _ = ns.items.append(x) %}` and `{% set v = ns.items.pop(0) %}`
//!   become `{% set ns.items = ns.items + [x] %}` and
//!   `{% set v = ns.items[0] %}{% set ns.items = ns.items[1:] %}`. Only a
//!   namespace attribute is rewritten: that is where the mutation is visible
//!   outside the loop in both engines.

use std::borrow::Cow;

pub(crate) fn rewrite(src: &str) -> Cow<'_, str> {
    if !src.contains("generation") && !src.contains(".append(") && !src.contains(".pop(") {
        return Cow::Borrowed(src);
    }
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(start) = rest.find("{%") {
        let Some(len) = rest[start..].find("%}") else {
            break;
        };
        let end = start + len + 2;
        out.push_str(&rest[..start]);
        let tag = Tag::parse(&rest[start..end]);
        match tag.as_ref().and_then(Tag::rewritten) {
            Some(replacement) => out.push_str(&replacement),
            None => out.push_str(&rest[start..end]),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// A `{% ... %}` tag split into its whitespace-control markers and body.
struct Tag<'a> {
    open: &'a str,
    body: &'a str,
    close: &'a str,
}

impl<'a> Tag<'a> {
    fn parse(tag: &'a str) -> Option<Tag<'a>> {
        let inner = tag.strip_prefix("{%")?.strip_suffix("%}")?;
        let (open, inner) = match inner.strip_prefix(['-', '+']) {
            Some(stripped) => (&tag[..3], stripped),
            None => ("{%", inner),
        };
        let (close, body) = match inner.strip_suffix(['-', '+']) {
            Some(stripped) => (&tag[tag.len() - 3..], stripped),
            None => ("%}", inner),
        };
        Some(Tag {
            open,
            body: body.trim(),
            close,
        })
    }

    fn rewritten(&self) -> Option<String> {
        let (open, close) = (self.open, self.close);
        match self.body {
            "generation" => return Some(format!("{open} if true {close}")),
            "endgeneration" => return Some(format!("{open} endif {close}")),
            _ => {}
        }
        let assignment = self.body.strip_prefix("set ")?;
        let (target, value) = assignment.split_once('=')?;
        let (target, value) = (target.trim(), value.trim());
        if let Some(item) = method_arg(value, ".append(").and_then(|(list, arg)| {
            namespace_attr(list).then(|| format!("{open} set {list} = {list} + [{arg}] {close}"))
        }) {
            return (target == "_").then_some(item);
        }
        let (list, index) = method_arg(value, ".pop(")?;
        if !namespace_attr(list) || !is_identifier(target) {
            return None;
        }
        let (take, keep) = match index.trim() {
            "" | "-1" => ("-1", ":-1"),
            "0" => ("0", "1:"),
            _ => return None,
        };
        Some(format!(
            "{open} set {target} = {list}[{take}] %}}{{% set {list} = {list}[{keep}] {close}"
        ))
    }
}

/// `list.method(arg)` as `(list, arg)` when the whole value is that one call.
fn method_arg<'v>(value: &'v str, method: &str) -> Option<(&'v str, &'v str)> {
    let at = value.find(method)?;
    let args = &value[at + method.len()..];
    let mut depth = 1;
    let mut quote: Option<char> = None;
    for (i, c) in args.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    // The call must end the value: not `a.append(b) + c`.
                    return (i + 1 == args.len()).then_some((&value[..at], &args[..i]));
                }
            }
            _ => {}
        }
    }
    None
}

/// `ns.attr`: a namespace attribute, the only list minijinja lets a loop body
/// reassign for the code after it.
fn namespace_attr(path: &str) -> bool {
    matches!(path.split_once('.'), Some((ns, attr)) if is_identifier(ns) && is_identifier(attr))
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn generation_blocks_render_their_body() {
        assert_eq!(
            rewrite("a{%- generation -%}b{% endgeneration %}"),
            "a{%- if true -%}b{% endif %}"
        );
    }

    #[test]
    fn list_mutation_on_namespaces_becomes_assignment() {
        assert_eq!(
            rewrite("{%- set _ = q.ids.append('x' + y) -%}"),
            "{%- set q.ids = q.ids + ['x' + y] -%}"
        );
        assert_eq!(
            rewrite("{%- set id = q.ids.pop(0) -%}"),
            "{%- set id = q.ids[0] %}{% set q.ids = q.ids[1:] -%}"
        );
        // Not a whole call, or not a namespace attribute: left alone.
        let chained = "{% set _ = q.ids.append(1) + [2] %}";
        assert_eq!(rewrite(chained), chained);
        assert_eq!(
            rewrite("{% set _ = ids.append(1) %}"),
            "{% set _ = ids.append(1) %}"
        );
    }
}
