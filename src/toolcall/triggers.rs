//! Lazy-grammar triggers: what opens a tool call in each format, so the
//! engine can leave decoding free until one appears and constrain it after.

use serde::Serialize;

use super::Format;

/// One opening. A literal `pattern` is a word to find in the output; a
/// regex is a search pattern (it may match anywhere in the output so far,
/// and the call starts where the match starts), written in the syntax
/// shared by ECMAScript / `std::regex` (llama.cpp) and Rust's `regex`, with
/// no capturing groups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub pattern: String,
    pub is_regex: bool,
}

impl Trigger {
    fn word(w: &str) -> Self {
        Self {
            pattern: w.to_string(),
            is_regex: false,
        }
    }

    fn regex(r: String) -> Self {
        Self {
            pattern: r,
            is_regex: true,
        }
    }

    /// The trigger as a llama.cpp lazy-grammar pattern
    /// (`llama_sampler_init_grammar_lazy_patterns`): those must match the
    /// whole output so far, and the grammar starts at the first capture
    /// group, i.e. where this trigger matched.
    pub fn as_llama_pattern(&self) -> String {
        let inner = if self.is_regex {
            self.pattern.clone()
        } else {
            escape(&self.pattern)
        };
        format!(r"^[\s\S]*?({inner})[\s\S]*")
    }
}

/// The triggers of `format`. The generic JSON openings (a bare call object,
/// an array of them, a fenced block) name the offered tools, so that JSON in
/// prose does not trigger; they are left out when there are no tools.
pub fn triggers(format: Format, tool_names: &[String]) -> Vec<Trigger> {
    let names = alternation(tool_names);
    let mut out = match format {
        Format::Hermes => vec![Trigger::word("<tool_call>")],
        Format::Qwen3CoderXml => vec![Trigger::word("<tool_call>"), Trigger::word("<function=")],
        Format::Llama3Json => {
            let mut v = vec![Trigger::word("<|python_tag|>")];
            if let Some(names) = &names {
                v.push(Trigger::regex(format!(
                    r#"\{{\s*(?:"type"\s*:\s*"function"\s*,\s*)?"name"\s*:\s*"{names}""#
                )));
            }
            v
        }
        Format::Mistral => vec![Trigger::word("[TOOL_CALLS]")],
        Format::Harmony => vec![Trigger::word("to=functions.")],
        Format::GenericJson => Vec::new(),
    };
    // Qwen2.5 answers in bare JSON as often as in its tags.
    if matches!(format, Format::Hermes | Format::GenericJson)
        && let Some(names) = &names
    {
        let object = format!(r#"\{{\s*"(?:name|function|tool)"\s*:\s*"{names}""#);
        out.push(Trigger::regex(format!(
            r#"```(?:json|tool_call)?[ \t]*\n\s*\[?\s*{object}"#
        )));
        out.push(Trigger::regex(format!(r#"\[\s*{object}"#)));
        out.push(Trigger::regex(object));
    }
    out
}

/// `(?:a|b)` of the names, regex-escaped; `None` without names.
fn alternation(names: &[String]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let escaped: Vec<String> = names.iter().map(|n| escape(n)).collect();
    Some(format!("(?:{})", escaped.join("|")))
}

/// `s` with regex metacharacters escaped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.^$|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
