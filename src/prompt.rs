//! The system prompt: a Jinja template plus facts about the workspace.
//!
//! Only things that stay fixed for the whole session go in (no dates, no
//! git status), so the prompt prefix is byte-stable across turns.

use std::path::{Path, PathBuf};

use minijinja::{Environment, context};

const DEFAULT_SYSTEM: &str = include_str!("../prompts/default/system.md");

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("cannot read system prompt {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("system prompt template {origin}: {error}")]
    Template {
        origin: String,
        error: minijinja::Error,
    },
}

/// Renders the system prompt for a workspace. `template_file` replaces the
/// built-in template.
pub fn system_prompt(
    workspace: &Path,
    repo_root: &Path,
    template_file: Option<&Path>,
) -> Result<String, PromptError> {
    let (origin, source) = match template_file {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path).map_err(|error| PromptError::Io {
                path: path.to_path_buf(),
                error,
            })?,
        ),
        None => (
            "prompts/default/system.md".to_string(),
            DEFAULT_SYSTEM.into(),
        ),
    };
    let template_error = |error| PromptError::Template {
        origin: origin.clone(),
        error,
    };
    let env = Environment::new();
    let agents_md = agents_md(repo_root, workspace);
    let rendered = env
        .render_str(
            &source,
            context! {
                workspace => workspace.display().to_string(),
                os => std::env::consts::OS,
                agents_md => agents_md,
            },
        )
        .map_err(template_error)?;
    Ok(rendered.trim().to_string())
}

/// `AGENTS.md` files from the repository root down to the working
/// directory, outermost first, each under a heading naming its path.
pub fn agents_md(repo_root: &Path, cwd: &Path) -> String {
    let mut dirs: Vec<PathBuf> = cwd
        .ancestors()
        .take_while(|d| d.starts_with(repo_root))
        .map(Path::to_path_buf)
        .collect();
    dirs.reverse();
    let mut out = Vec::new();
    for dir in dirs {
        let file = dir.join("AGENTS.md");
        if let Ok(text) = std::fs::read_to_string(&file) {
            let shown = file.strip_prefix(repo_root).unwrap_or(&file);
            out.push(format!("## {}\n\n{}", shown.display(), text.trim()));
        }
    }
    out.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_md_from_root_down_to_cwd() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let sub = root.join("crates/a");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(root.join("AGENTS.md"), "root rules").unwrap();
        std::fs::write(sub.join("AGENTS.md"), "crate rules").unwrap();
        std::fs::write(root.join("crates/other.md"), "x").unwrap();
        let text = agents_md(root, &sub);
        let r = text.find("root rules").unwrap();
        let c = text.find("crate rules").unwrap();
        assert!(r < c, "{text}");
        assert!(text.contains("## crates/a/AGENTS.md"), "{text}");
    }

    #[test]
    fn prompt_is_stable_and_includes_agents_md() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("AGENTS.md"), "Use tabs.").unwrap();
        let a = system_prompt(dir.path(), dir.path(), None).unwrap();
        let b = system_prompt(dir.path(), dir.path(), None).unwrap();
        assert_eq!(a, b);
        assert!(a.contains("Use tabs."));
        assert!(a.contains(&dir.path().display().to_string()));
    }

    #[test]
    fn broken_template_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("sys.md");
        std::fs::write(&t, "{% if %}").unwrap();
        let err = system_prompt(dir.path(), dir.path(), Some(&t))
            .unwrap_err()
            .to_string();
        assert!(err.contains("sys.md"), "{err}");
    }
}
