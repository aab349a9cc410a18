//! Tool calls recovered from a model's raw text, while it streams.
//!
//! The in-process engine generates plain text, and some OpenAI-compatible
//! servers return tool calls as text content too; either way the call has to
//! be found in the model family's own markup. [`StreamParser`] takes the text
//! in whatever pieces it arrives and reports prose, reasoning and calls as
//! soon as each is certain, withholding anything that may still turn out to
//! be tool markup.
//!
//! Every format is layered: the family's own markup first, then the generic
//! JSON fallbacks (a bare `{"name": …, "arguments": …}` object, a ```` ```json ````
//! block, an array of such objects) that small models emit instead of their
//! trained format, and `<think>…</think>` reasoning everywhere.
//!
//! - [`scan`]: split-safe marker matching and an incremental JSON extent scanner
//! - [`calls`]: JSON values → normalised calls
//! - one file per family: [`hermes`], [`qwen3_xml`], [`llama3`], [`mistral`],
//!   [`harmony`], [`generic`]
//! - [`parser`]: the streaming driver; [`triggers`]: lazy-grammar triggers

mod calls;
mod emit;
mod generic;
mod harmony;
mod hermes;
mod llama3;
mod mistral;
mod parser;
mod qwen3_xml;
mod scan;
mod triggers;

use serde::{Deserialize, Serialize};

pub use calls::guess_name;
pub use parser::{StreamParser, prompt_opens_reasoning};
pub use triggers::{Trigger, triggers};

/// The tool-call markup of a model family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `<tool_call>{"name": …, "arguments": …}</tool_call>` (Hermes, Qwen2.5, Qwen3).
    Hermes,
    /// `<tool_call><function=NAME><parameter=KEY>…` (Qwen3-Coder).
    Qwen3CoderXml,
    /// `<|python_tag|>{"name": …, "parameters": …}` (Llama 3.x).
    Llama3Json,
    /// `[TOOL_CALLS][…]` or `[TOOL_CALLS]name[ARGS]{…}` (Mistral).
    Mistral,
    /// gpt-oss channels: `<|channel|>commentary to=functions.NAME …`.
    Harmony,
    /// Only the generic JSON fallbacks.
    GenericJson,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
            format!(
                "unknown tool-call format `{s}` (expected hermes, qwen3_coder_xml, \
                 llama3_json, mistral, harmony or generic_json)"
            )
        })
    }
}

/// Picks the format from a chat template's source.
pub fn detect(template_source: &str) -> Format {
    let has = |s: &str| template_source.contains(s);
    if has("<tool_call>") && (has("<function=") || has("<parameter=")) {
        Format::Qwen3CoderXml
    } else if has("<tool_call>") {
        Format::Hermes
    } else if has("<|python_tag|>") || has("ipython") {
        Format::Llama3Json
    } else if has("[TOOL_CALLS]") {
        Format::Mistral
    } else if has("<|channel|>") || has("<|start|>assistant") {
        Format::Harmony
    } else {
        Format::GenericJson
    }
}

/// One certain piece of the model's output.
#[derive(Clone, Debug, PartialEq)]
pub enum Parsed {
    /// Prose for the user.
    Text(String),
    /// `<think>…</think>`, harmony's analysis channel and the like.
    Reasoning(String),
    /// A call's name became known (its arguments may still be streaming).
    /// Usually followed by its [`Parsed::ToolCall`], but a call that then
    /// fails to parse ends as [`Parsed::Malformed`] instead.
    ToolCallStarted { name: String },
    /// A finished call; `arguments` is compact JSON object text.
    ToolCall { name: String, arguments: String },
    /// Looked like a call but could not be parsed.
    Malformed { raw: String, error: String },
}

#[cfg(test)]
mod tests;
