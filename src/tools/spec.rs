//! Loading tool specs from `tools/<name>.toml`.
//!
//! The built-in specs are embedded at build time. A config may name a
//! directory whose `<name>.toml` files replace the built-in spec of that
//! name, so descriptions can be tuned without rebuilding kiln.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::chat::ToolSpec;

const BUILTIN: &[(&str, &str)] = &[
    ("read_file", include_str!("../../tools/read_file.toml")),
    ("list_files", include_str!("../../tools/list_files.toml")),
    ("grep", include_str!("../../tools/grep.toml")),
    ("repo_map", include_str!("../../tools/repo_map.toml")),
    ("symbols", include_str!("../../tools/symbols.toml")),
    ("edit_file", include_str!("../../tools/edit_file.toml")),
    ("write_file", include_str!("../../tools/write_file.toml")),
    ("apply_patch", include_str!("../../tools/apply_patch.toml")),
    ("shell", include_str!("../../tools/shell.toml")),
];

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("tool spec {origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("cannot read tool spec {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("no built-in tool or spec `{0}` (or it is listed twice)")]
    Missing(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    name: String,
    description: String,
    parameters: toml::Value,
}

/// The specs of all built-in tools, in their fixed order, with any file in
/// `override_dir` named `<tool>.toml` taking the place of the built-in one.
pub fn load_specs(override_dir: Option<&Path>) -> Result<Vec<ToolSpec>, SpecError> {
    BUILTIN
        .iter()
        .map(|(name, text)| {
            let file = override_dir.map(|d| d.join(format!("{name}.toml")));
            match file.filter(|f| f.is_file()) {
                Some(path) => {
                    let text = std::fs::read_to_string(&path).map_err(|error| SpecError::Io {
                        path: path.clone(),
                        error,
                    })?;
                    parse_spec(&text, &path.display().to_string(), name)
                }
                None => parse_spec(text, &format!("tools/{name}.toml (built-in)"), name),
            }
        })
        .collect()
}

/// A `<tool>.toml` override (a profile's or config's) applied to `base`:
/// a file with `parameters` replaces the whole spec; one with only
/// `description` re-describes the tool and keeps its schema.
pub fn apply_override(base: &ToolSpec, text: &str, origin: &str) -> Result<ToolSpec, SpecError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct DescriptionOnly {
        name: Option<String>,
        description: String,
    }
    let invalid = |message: String| SpecError::Invalid {
        origin: origin.to_string(),
        message,
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    if table.contains_key("parameters") {
        return parse_spec(text, origin, &base.name);
    }
    let file: DescriptionOnly = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    if let Some(name) = file.name.filter(|n| *n != base.name) {
        return Err(invalid(format!(
            "`name` is `{name}` but the file is for `{}`",
            base.name
        )));
    }
    Ok(ToolSpec {
        description: file.description.trim().to_string(),
        ..base.clone()
    })
}

/// Applies every `<tool>.toml` in `dir` to the spec of that name.
pub fn override_from_dir(specs: Vec<ToolSpec>, dir: &Path) -> Result<Vec<ToolSpec>, SpecError> {
    specs
        .into_iter()
        .map(|spec| {
            let path = dir.join(format!("{}.toml", spec.name));
            if !path.is_file() {
                return Ok(spec);
            }
            let text = std::fs::read_to_string(&path).map_err(|error| SpecError::Io {
                path: path.clone(),
                error,
            })?;
            apply_override(&spec, &text, &path.display().to_string())
        })
        .collect()
}

fn parse_spec(text: &str, origin: &str, expected_name: &str) -> Result<ToolSpec, SpecError> {
    let invalid = |message: String| SpecError::Invalid {
        origin: origin.to_string(),
        message,
    };
    let file: SpecFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    if file.name != expected_name {
        return Err(invalid(format!(
            "`name` is `{}` but the file is for `{expected_name}`",
            file.name
        )));
    }
    let parameters = serde_json::to_value(&file.parameters).map_err(|e| invalid(e.to_string()))?;
    if parameters.get("type").and_then(|t| t.as_str()) != Some("object") {
        return Err(invalid(
            "`parameters` must be a JSON schema with `type = \"object\"`".into(),
        ));
    }
    Ok(ToolSpec {
        name: file.name,
        description: file.description.trim().to_string(),
        parameters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_specs_parse_in_order() {
        let specs = load_specs(None).unwrap();
        let names: Vec<_> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "read_file",
                "list_files",
                "grep",
                "repo_map",
                "symbols",
                "edit_file",
                "write_file",
                "apply_patch",
                "shell"
            ]
        );
        for s in &specs {
            assert!(!s.description.is_empty(), "{} has no description", s.name);
            assert!(s.parameters["properties"].is_object(), "{}", s.name);
        }
    }

    #[test]
    fn override_dir_replaces_one_spec() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("grep.toml"),
            "name = \"grep\"\ndescription = \"custom\"\n[parameters]\ntype = \"object\"\n",
        )
        .unwrap();
        let specs = load_specs(Some(dir.path())).unwrap();
        let grep = specs.iter().find(|s| s.name == "grep").unwrap();
        assert_eq!(grep.description, "custom");
        let read = specs.iter().find(|s| s.name == "read_file").unwrap();
        assert_ne!(read.description, "custom");
    }

    #[test]
    fn description_only_override_keeps_the_schema() {
        let specs = load_specs(None).unwrap();
        let grep = specs.iter().find(|s| s.name == "grep").unwrap();
        let new = apply_override(grep, "description = \"Find text.\"\n", "g.toml").unwrap();
        assert_eq!(new.description, "Find text.");
        assert_eq!(new.parameters, grep.parameters);
        let err = apply_override(grep, "name = \"shell\"\ndescription = \"x\"\n", "g.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("g.toml") && err.contains("`shell`"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("grep.toml"), "description = \"Mine.\"\n").unwrap();
        let out = override_from_dir(specs.clone(), dir.path()).unwrap();
        assert_eq!(
            out.iter().find(|s| s.name == "grep").unwrap().description,
            "Mine."
        );
        assert_eq!(out.len(), specs.len());
    }

    #[test]
    fn bad_override_names_the_file_and_problem() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("shell.toml"), "name = \"shell\"\n").unwrap();
        let err = load_specs(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("shell.toml"), "{err}");
        assert!(err.contains("description"), "{err}");
    }
}
