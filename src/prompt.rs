//! The system prompt: a profile's Jinja template plus facts about the
//! workspace.
//!
//! Only things that stay fixed for the whole session go in (no dates, no
//! git status), so the prompt prefix is byte-stable across turns.

use std::path::{Path, PathBuf};

use minijinja::{Environment, context};

use crate::profile::Text;

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("cannot read system prompt {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{origin}:{line}: {error}")]
    Template {
        origin: String,
        line: usize,
        error: String,
    },
}

/// Reads a system prompt template from a file (config's
/// `system_prompt_file`).
pub fn template_file(path: &Path) -> Result<Text, PromptError> {
    let source = std::fs::read_to_string(path).map_err(|error| PromptError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    Ok(Text::new(path.display().to_string(), source))
}

/// Renders a system prompt template for a workspace. Besides `vars` (the
/// profile's), the template sees `workspace`, `os`, `agents_md` and `files`.
pub fn system_prompt(
    template: &Text,
    workspace: &Path,
    repo_root: &Path,
    vars: minijinja::Value,
) -> Result<String, PromptError> {
    let template_error = |error: minijinja::Error| PromptError::Template {
        origin: template.origin.clone(),
        line: error.line().unwrap_or(1),
        error: match error.detail() {
            Some(d) => format!("{}: {d}", error.kind()),
            None => error.kind().to_string(),
        },
    };
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let agents_md = agents_md(repo_root, workspace);
    let facts = context! {
        workspace => workspace.display().to_string(),
        os => std::env::consts::OS,
        agents_md => agents_md,
        files => file_overview(workspace),
    };
    let rendered = env
        .render_str(&template.source, context! { ..facts, ..vars })
        .map_err(template_error)?;
    Ok(rendered.trim().to_string())
}

/// Most files the overview names; past it, the model is told to look.
const OVERVIEW_FILES: usize = 40;

/// The workspace's files when the session starts, shallowest first (so a
/// big tree shows its top levels), one relative path per line. Small models
/// otherwise guess paths (`src/calc.py` for `calc.py`) instead of looking.
/// Taken once per session, so the prompt stays byte-stable.
pub fn file_overview(workspace: &Path) -> String {
    let mut files: Vec<(usize, String)> = crate::tools::list_files::files(workspace, Some(6))
        .filter_map(|e| {
            let rel = e.path().strip_prefix(workspace).ok()?.to_str()?.to_string();
            Some((e.depth(), rel))
        })
        .collect();
    files.sort();
    let total = files.len();
    let mut lines: Vec<String> = files
        .into_iter()
        .take(OVERVIEW_FILES)
        .map(|(_, rel)| format!("  {rel}"))
        .collect();
    if total > OVERVIEW_FILES {
        lines.push(format!(
            "  … and {} more (use list_files)",
            total - OVERVIEW_FILES
        ));
    }
    lines.join("\n")
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

    fn default_template() -> Text {
        crate::profile::Catalog::builtin()
            .unwrap()
            .get("default")
            .unwrap()
            .system
    }

    fn vars() -> minijinja::Value {
        context! { edit_style => "search_replace", tools => vec!["read_file"], profile => "default" }
    }

    #[test]
    fn prompt_is_stable_and_includes_agents_md() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("AGENTS.md"), "Use tabs.").unwrap();
        let t = default_template();
        let a = system_prompt(&t, dir.path(), dir.path(), vars()).unwrap();
        let b = system_prompt(&t, dir.path(), dir.path(), vars()).unwrap();
        assert_eq!(a, b);
        assert!(a.contains("Use tabs."));
        assert!(a.contains(&dir.path().display().to_string()));
        assert!(a.contains("  AGENTS.md"), "{a}");
    }

    #[test]
    fn overview_lists_shallow_files_first_and_bounds_the_list() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src/deep")).unwrap();
        std::fs::create_dir_all(root.join("target")).unwrap();
        std::fs::write(root.join(".gitignore"), "target/\n").unwrap();
        std::fs::write(root.join("target/out.bin"), "x").unwrap();
        std::fs::write(root.join("src/deep/z.rs"), "").unwrap();
        for i in 0..OVERVIEW_FILES {
            std::fs::write(root.join(format!("src/f{i:02}.rs")), "").unwrap();
        }
        std::fs::write(root.join("main.py"), "").unwrap();
        let text = file_overview(root);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "  .gitignore");
        assert_eq!(lines[1], "  main.py");
        assert!(!text.contains("target"), "{text}");
        assert!(
            !text.contains("z.rs"),
            "deepest file is past the bound: {text}"
        );
        assert_eq!(lines.len(), OVERVIEW_FILES + 1);
        assert_eq!(lines[OVERVIEW_FILES], "  … and 3 more (use list_files)");
    }

    #[test]
    fn broken_template_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("sys.md");
        std::fs::write(&t, "Hello\n\n{% if %}").unwrap();
        let t = template_file(&t).unwrap();
        let err = system_prompt(&t, dir.path(), dir.path(), vars())
            .unwrap_err()
            .to_string();
        assert!(err.contains("sys.md:3:"), "{err}");
        let t = Text::new("x.md", "{{ nonsense }}");
        let err = system_prompt(&t, dir.path(), dir.path(), vars())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("x.md:1:") && err.contains("undefined"),
            "{err}"
        );
    }
}
