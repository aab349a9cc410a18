//! Prompt profiles: the system prompt, tools, formats, sampling, budgets
//! and scaffolding that suit one family of models.
//!
//! A profile is `prompts/<name>/profile.toml` + `system.md` (+ optional
//! `tools/<tool>.toml` overrides of tool specs). The built-ins are embedded;
//! users add or override profiles in `~/.config/kiln/prompts/` and
//! `<repo>/.kiln/prompts/` ([`catalog`]). A session picks one ([`select`])
//! and keeps it: the prompt and tool list never change mid-conversation.

pub mod assemble;
pub mod catalog;
pub mod error;
pub mod file;
pub mod rules;
pub mod select;
pub mod tokens;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::agent::{Scaffold, SessionProfile};
use crate::chat::{SamplingPrefs, ToolCallMode, ToolSpec};
use crate::tools::ReadLog;
use crate::tools::spec::{self, SpecError};

pub use catalog::{Catalog, Layer};
pub use error::ProfileError;
pub use file::{EditStyle, MatchRules};
pub use rules::Target;
pub use select::{Selection, select};

/// A text file of a profile and where it came from (for errors).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Text {
    pub origin: String,
    pub source: String,
}

impl Text {
    pub fn new(origin: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            source: source.into(),
        }
    }
}

/// How much of a tool's output the model sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OutputBudget {
    pub max_lines: usize,
    /// Converted to bytes at [`tokens::BYTES_PER_TOKEN`].
    pub max_tokens: usize,
}

/// A profile with its inheritance resolved.
#[derive(Clone, Debug)]
pub struct Profile {
    pub name: String,
    pub description: String,
    /// `built-in` or the profile's directory.
    pub origin: String,
    pub inherits: Option<String>,
    /// The system prompt template (minijinja).
    pub system: Text,
    /// The tools offered, in their fixed order, edit tools included.
    pub tools: Vec<String>,
    pub edit_style: EditStyle,
    pub tool_calls: ToolCallMode,
    /// Changes to existing files need a read_file of them first.
    pub read_before_edit: bool,
    /// The tools a forced first call may use (empty: any).
    pub first_call_tools: Vec<String>,
    pub sampling: SamplingPrefs,
    pub tool_output: OutputBudget,
    /// Fraction of the context at which the conversation is compacted.
    pub compact_at: f32,
    /// Tokens of repo map given with the first task (0: none).
    pub repo_map_tokens: usize,
    pub rules: Option<MatchRules>,
    pub scaffold: Scaffold,
    /// `tools/<tool>.toml` files replacing or re-describing a tool's spec.
    pub tool_overrides: BTreeMap<String, Text>,
}

/// What the session is told about its profile (events, the UI).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProfileInfo {
    pub name: String,
    /// Why this profile: `--profile`, a config key, or the rules that matched.
    pub reason: String,
    pub origin: String,
    pub edit_style: EditStyle,
    pub tool_calls: ToolCallMode,
    pub compact_at: f32,
}

impl Profile {
    pub fn info(&self, reason: &str) -> ProfileInfo {
        ProfileInfo {
            name: self.name.clone(),
            reason: reason.to_string(),
            origin: self.origin.clone(),
            edit_style: self.edit_style,
            tool_calls: self.tool_calls,
            compact_at: self.compact_at,
        }
    }

    /// What the agent loop takes from the profile.
    pub fn session_profile(&self, reason: &str) -> SessionProfile {
        SessionProfile {
            info: Some(self.info(reason)),
            sampling: self.sampling,
            tool_calls: self.tool_calls,
            scaffold: self.scaffold.clone(),
            first_call_tools: self.first_call_tools.clone(),
            compact_at: Some(crate::agent::context::CompactAt::Fraction(self.compact_at)),
            repo_map_tokens: self.repo_map_tokens,
        }
    }

    /// The session's read log: requiring reads before edits or not.
    pub fn read_log(&self) -> ReadLog {
        match self.read_before_edit {
            true => ReadLog::requiring_reads(),
            false => ReadLog::default(),
        }
    }

    /// The tool specs this profile offers: `base` (built-in specs, after
    /// config overrides) filtered to the profile's tools, each replaced or
    /// re-described by the profile's `tools/<tool>.toml` when it has one.
    pub fn specs(&self, base: &[ToolSpec]) -> Result<Vec<ToolSpec>, SpecError> {
        self.tools
            .iter()
            .map(|name| {
                let spec = base
                    .iter()
                    .find(|s| &s.name == name)
                    .ok_or_else(|| SpecError::Missing(name.clone()))?;
                match self.tool_overrides.get(name) {
                    Some(t) => spec::apply_override(spec, &t.source, &t.origin),
                    None => Ok(spec.clone()),
                }
            })
            .collect()
    }

    /// Variables the system template sees besides the workspace facts.
    pub fn template_vars(&self) -> minijinja::Value {
        minijinja::context! {
            profile => self.name.clone(),
            tools => self.tools.clone(),
            edit_style => match self.edit_style {
                EditStyle::SearchReplace => "search_replace",
                EditStyle::WholeFile => "whole_file",
                EditStyle::ApplyPatch => "apply_patch",
                EditStyle::Shell => "shell",
            },
        }
    }
}

/// The tools section of a text-mode system prompt: what each tool does and
/// how to write a call, since the request carries no `tools` field.
pub fn text_mode_tools(specs: &[ToolSpec]) -> String {
    let mut out = String::from(
        "# Tools\n\nTo call a tool, write a block like this, one block per call:\n\
         <tool_call>\n{\"name\": \"<tool name>\", \"arguments\": {<arguments as JSON>}}\n\
         </tool_call>\nEach result comes back in a <tool_response> block. Available tools, \
         with their arguments as JSON schemas:\n",
    );
    for s in specs {
        let line = serde_json::json!({
            "name": s.name,
            "description": s.description,
            "parameters": s.parameters,
        });
        out.push('\n');
        out.push_str(&line.to_string());
    }
    out
}

#[cfg(test)]
mod tests;
