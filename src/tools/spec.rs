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
    ("edit_file", include_str!("../../tools/edit_file.toml")),
    ("write_file", include_str!("../../tools/write_file.toml")),
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
    #[error("no spec for built-in tool `{0}`")]
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
                "edit_file",
                "write_file",
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
    fn bad_override_names_the_file_and_problem() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("shell.toml"), "name = \"shell\"\n").unwrap();
        let err = load_specs(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("shell.toml"), "{err}");
        assert!(err.contains("description"), "{err}");
    }
}
