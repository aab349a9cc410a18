//! The on-disk format: `profile.toml`, every key optional so that a
//! profile that inherits states only what it changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{ProfileError, at_key, line_at};
use crate::chat::{SamplingPrefs, ToolCallMode};

/// How the model changes files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditStyle {
    /// `edit_file` (exact search/replace) plus `write_file` for new files.
    #[default]
    SearchReplace,
    /// `write_file` only: the model rewrites whole files.
    WholeFile,
    /// `apply_patch`: Codex-style patches (add, update, delete, move).
    ApplyPatch,
    /// No edit tool: edits happen through `shell` commands.
    Shell,
}

impl EditStyle {
    /// The edit tools this style offers.
    pub fn tools(self) -> &'static [&'static str] {
        match self {
            EditStyle::SearchReplace => &["edit_file", "write_file"],
            EditStyle::WholeFile => &["write_file"],
            EditStyle::ApplyPatch => &["apply_patch"],
            EditStyle::Shell => &[],
        }
    }
}

/// The tools an edit style provides; `tools` may not name them.
pub const EDIT_TOOLS: &[&str] = &["edit_file", "write_file", "apply_patch"];

/// Every built-in tool, in the fixed order tools are offered in.
pub const TOOL_ORDER: &[&str] = &[
    "read_file",
    "list_files",
    "grep",
    "repo_map",
    "symbols",
    "edit_file",
    "write_file",
    "apply_patch",
    "shell",
];

/// Tool error kinds a `[scaffold.hints]` entry may name.
pub const ERROR_KINDS: &[&str] = &[
    "unknown_tool",
    "invalid_json",
    "invalid_arguments",
    "path_escape",
    "not_found",
    "failed",
    "timeout",
    "stale",
    "not_read",
    "protected",
];

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    pub description: Option<String>,
    /// Another profile this one extends; its own name means the profile of
    /// that name from a lower layer (built-in < user < repository).
    pub inherit: Option<String>,
    /// The non-edit tools offered; the edit tools follow from `edit_style`.
    pub tools: Option<Vec<String>>,
    pub edit_style: Option<EditStyle>,
    pub tool_calls: Option<ToolCallMode>,
    /// Refuse changes to existing files the model has not read.
    pub read_before_edit: Option<bool>,
    /// The tools a forced first call may use (the local engine forces the
    /// first reply to each user message to be a call); default: any.
    pub first_call_tools: Option<Vec<String>>,
    /// Compact when the conversation fills this fraction of the context.
    pub compact_at: Option<f32>,
    /// Tokens of repo map put in front of a session's first task (0: none).
    pub repo_map_tokens: Option<usize>,
    #[serde(default)]
    pub sampling: SamplingPrefs,
    #[serde(default)]
    pub tool_output: OutputFile,
    #[serde(rename = "match")]
    pub rules: Option<MatchRules>,
    #[serde(default)]
    pub scaffold: ScaffoldFile,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputFile {
    pub max_lines: Option<usize>,
    pub max_tokens: Option<usize>,
}

/// When a profile is chosen automatically. Every condition given must hold.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchRules {
    /// Globs on the provider name (`local`, `ollama`, a config name…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<String>,
    /// Globs on the model name, case-insensitive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// Largest model, in billions of parameters. Needs a known size: the
    /// GGUF's count for local models, else a size in the model's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_params_b: Option<f64>,
    /// Higher wins when several profiles match.
    #[serde(default)]
    pub priority: i32,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaffoldFile {
    pub max_nudges: Option<u32>,
    pub nudge: Option<String>,
    pub done_hint: Option<String>,
    pub repeat_notice: Option<String>,
    #[serde(default)]
    pub hints: BTreeMap<String, String>,
}

impl ProfileFile {
    /// Parses and checks a `profile.toml`; errors carry `file` and a line.
    pub fn parse(text: &str, file: &str) -> Result<Self, ProfileError> {
        let parsed: ProfileFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_at(text, s.start));
            ProfileError::AtLine {
                file: file.to_string(),
                line,
                problem: e.message().to_string(),
            }
        })?;
        parsed.check(text, file)?;
        Ok(parsed)
    }

    fn check(&self, text: &str, file: &str) -> Result<(), ProfileError> {
        for tool in self.tools.iter().flatten() {
            if EDIT_TOOLS.contains(&tool.as_str()) {
                return Err(at_key(
                    file,
                    text,
                    "tools",
                    format!(
                        "`{tool}` is an edit tool: choose edit tools with `edit_style` \
                         (search_replace, whole_file, apply_patch or shell)"
                    ),
                ));
            }
            if !TOOL_ORDER.contains(&tool.as_str()) {
                return Err(at_key(
                    file,
                    text,
                    "tools",
                    format!(
                        "unknown tool `{tool}`; tools: read_file, list_files, grep, shell \
                         (edit tools come from `edit_style`)"
                    ),
                ));
            }
        }
        if let Some(t) = self
            .first_call_tools
            .iter()
            .flatten()
            .find(|t| !TOOL_ORDER.contains(&t.as_str()))
        {
            return Err(at_key(
                file,
                text,
                "first_call_tools",
                format!("unknown tool `{t}`; tools: {}", TOOL_ORDER.join(", ")),
            ));
        }
        if let Some(c) = self.compact_at
            && !(c > 0.0 && c <= 1.0)
        {
            return Err(at_key(
                file,
                text,
                "compact_at",
                format!("`compact_at` must be a fraction of the context in (0, 1], not {c}"),
            ));
        }
        if let Some(t) = self.sampling.temperature
            && !(0.0..=2.0).contains(&t)
        {
            return Err(at_key(
                file,
                text,
                "temperature",
                format!("`temperature` must be between 0 and 2, not {t}"),
            ));
        }
        if let Some(max) = self.rules.as_ref().and_then(|r| r.max_params_b)
            && max <= 0.0
        {
            return Err(at_key(
                file,
                text,
                "max_params_b",
                "`max_params_b` must be positive".into(),
            ));
        }
        for glob in self
            .rules
            .iter()
            .flat_map(|r| r.providers.iter().chain(&r.models))
        {
            if let Err(e) = globset::Glob::new(glob) {
                return Err(at_key(
                    file,
                    text,
                    "match",
                    format!("bad glob `{glob}`: {e}"),
                ));
            }
        }
        if let Some(kind) = self
            .scaffold
            .hints
            .keys()
            .find(|k| !ERROR_KINDS.contains(&k.as_str()))
        {
            return Err(at_key(
                file,
                text,
                "hints",
                format!(
                    "unknown tool error kind `{kind}`; kinds: {}",
                    ERROR_KINDS.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_file_and_line() {
        let err = ProfileFile::parse("description = \"x\"\ntools = [\"read_file\"\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.toml:"), "{err}");
        let err = ProfileFile::parse("description = \"x\"\n\nedit_style = \"sed\"\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.toml:3:"), "{err}");
        assert!(err.contains("search_replace"), "{err}");
        let err = ProfileFile::parse("descripton = \"x\"\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("descripton"), "{err}");
    }

    #[test]
    fn semantic_errors_name_the_line_and_the_fix() {
        let err = ProfileFile::parse("\ntools = [\"edit_file\"]\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.toml:2:"), "{err}");
        assert!(err.contains("edit_style"), "{err}");
        let err = ProfileFile::parse("tools = [\"browser\"]\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown tool `browser`"), "{err}");
        let err = ProfileFile::parse("compact_at = 1.5\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.toml:1:"), "{err}");
        let err = ProfileFile::parse("[scaffold.hints]\nmissing = \"x\"\n", "p.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not_found"), "{err}");
    }

    #[test]
    fn edit_styles_give_their_tools() {
        assert_eq!(
            EditStyle::SearchReplace.tools(),
            ["edit_file", "write_file"]
        );
        assert_eq!(EditStyle::Shell.tools(), [] as [&str; 0]);
    }
}
