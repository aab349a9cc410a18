//! `repo_map`: the workspace's outline from [`crate::repomap`], focused on
//! the paths and identifiers the model names.
//!
//! Output: a header line `Repo map: N of M files shown …`, then the map
//! (`path:` lines, each followed by `line: source` lines).

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::Deserialize;

use super::{Tool, ToolContext, ToolError, ToolOutput, parse_args, truncate};
use crate::repomap::{self, Focus, Index};

pub const DEFAULT_MAX_TOKENS: usize = 1024;
pub const MIN_MAX_TOKENS: usize = 64;
pub const MAX_MAX_TOKENS: usize = 8192;
/// Most focus entries used; more would pull the map nowhere in particular.
const MAX_FOCUS: usize = 50;

/// The tool. The cache directory is fixed when the tool is made, so a
/// session (and a test) uses one place throughout.
pub struct RepoMap {
    cache_dir: Option<PathBuf>,
}

impl Default for RepoMap {
    /// Caches in kiln's cache directory (see [`repomap::cache::default_dir`]).
    fn default() -> Self {
        Self {
            cache_dir: repomap::cache::default_dir(),
        }
    }
}

impl RepoMap {
    /// Caches in `dir`, or nowhere (every call parses afresh).
    pub fn with_cache_dir(dir: Option<PathBuf>) -> Self {
        Self { cache_dir: dir }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default)]
    focus: Vec<String>,
    max_tokens: Option<usize>,
}

#[async_trait]
impl Tool for RepoMap {
    fn name(&self) -> &'static str {
        "repo_map"
    }

    fn mutates(&self) -> bool {
        false
    }

    async fn call(
        &self,
        args: serde_json::Value,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(args)?;
        let max_tokens = args
            .max_tokens
            .unwrap_or(DEFAULT_MAX_TOKENS)
            .clamp(MIN_MAX_TOKENS, MAX_MAX_TOKENS);
        let (focus, missing) = focus_of(ctx, &args.focus);
        let root = ctx.workspace.root().to_path_buf();
        let cache_dir = self.cache_dir.clone();
        let focus_for_map = focus.clone();
        let map = tokio::task::spawn_blocking(move || {
            repomap::map(&root, cache_dir.as_deref(), &focus_for_map, max_tokens)
        })
        .await
        .map_err(|e| ToolError::Failed(format!("repo_map task failed: {e}")))?;

        if map.files_indexed == 0 {
            return Ok(ToolOutput::text(format!(
                "No source files to map in the workspace ({} found, {} skipped as too large, \
                 binary or unreadable). The repo map covers Rust, Python, JavaScript/TypeScript, \
                 Go, Java and C/C++; use list_files to see what is there.",
                map.stats.files,
                map.stats.skipped()
            )));
        }
        let mut text = format!(
            "Repo map: {} of {} files shown (about {max_tokens} tokens",
            map.files_shown, map.files_indexed
        );
        let named: Vec<String> = focus
            .mentioned_files
            .iter()
            .map(|p| p.display().to_string())
            .chain(focus.mentioned_idents.iter().cloned())
            .collect();
        if !named.is_empty() {
            text.push_str(&format!("; focus: {}", named.join(", ")));
        }
        if !missing.is_empty() {
            text.push_str(&format!("; not found: {}", missing.join(", ")));
        }
        if map.stats.skipped() > 0 {
            text.push_str(&format!(
                "; {} files skipped as too large, binary or unreadable",
                map.stats.skipped()
            ));
        }
        text.push_str(").\n");
        text.push_str(&map.text);
        Ok(truncate::output(text, &ctx.limits))
    }
}

/// Sorts focus entries into files (existing, inside the workspace) and
/// identifiers (`Config::load` and `cfg.load` give `Config`, `load` and
/// `cfg`); paths that are not files in the workspace come back apart.
fn focus_of(ctx: &ToolContext, entries: &[String]) -> (Focus, Vec<String>) {
    let mut focus = Focus::default();
    let mut missing = Vec::new();
    for entry in entries.iter().take(MAX_FOCUS) {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        if let Ok(abs) = ctx.workspace.resolve(entry)
            && abs.is_file()
        {
            focus.mentioned_files.push(ctx.workspace.relative(&abs));
            continue;
        }
        if looks_like_path(entry) {
            missing.push(entry.to_string());
            continue;
        }
        for ident in identifiers(entry) {
            if !focus.mentioned_idents.iter().any(|i| i == ident) {
                focus.mentioned_idents.push(ident.to_string());
            }
        }
    }
    (focus, missing)
}

/// A path rather than `obj.method`: it has a directory part, or a source
/// or common project file extension.
fn looks_like_path(entry: &str) -> bool {
    const OTHER: &[&str] = &["md", "toml", "json", "yaml", "yml", "txt", "lock", "cfg"];
    let path = Path::new(entry);
    entry.contains('/')
        || repomap::lang::Lang::from_path(path).is_some()
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| OTHER.contains(&e))
}

/// The identifier-like parts of `text`.
pub(crate) fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|part| part.chars().next().is_some_and(|c| !c.is_ascii_digit()))
}

/// The index of the workspace at `root`, built on a blocking thread (it
/// parses and reads files).
pub(crate) async fn index(root: &Path, cache_dir: Option<&Path>) -> Result<Index, ToolError> {
    let root = root.to_path_buf();
    let cache_dir = cache_dir.map(Path::to_path_buf);
    tokio::task::spawn_blocking(move || repomap::index::build(&root, cache_dir.as_deref()))
        .await
        .map_err(|e| ToolError::Failed(format!("indexing the workspace failed: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use crate::profile::tokens::estimate;
    use crate::tools::ToolLimits;
    use crate::tools::Workspace;
    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/repomap");

    pub(crate) fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(Path::new(FIXTURE), dir.path());
        dir
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let dest = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &dest);
            } else {
                std::fs::copy(entry.path(), dest).unwrap();
            }
        }
    }

    pub(crate) fn ctx(dir: &Path) -> ToolContext {
        ToolContext {
            workspace: Workspace::new(dir).unwrap(),
            limits: ToolLimits::default(),
            cancel: CancellationToken::new(),
            reads: Default::default(),
        }
    }

    async fn call(tool: &RepoMap, dir: &Path, args: serde_json::Value) -> String {
        tool.call(args, &ctx(dir)).await.unwrap().for_model
    }

    /// The files of a map, in order.
    fn files_of(map: &str) -> Vec<&str> {
        map.lines()
            .skip(1)
            .filter(|l| !l.starts_with(' '))
            .map(|l| l.trim_end_matches(':'))
            .collect()
    }

    #[tokio::test]
    async fn header_counts_files_and_the_budget_holds() {
        let dir = fixture();
        let tool = RepoMap::with_cache_dir(None);
        let full = call(&tool, dir.path(), json!({"max_tokens": 8192})).await;
        let first = full.lines().next().unwrap();
        assert!(
            first.starts_with("Repo map: 15 of 15 files shown"),
            "{full}"
        );
        assert_eq!(files_of(&full).len(), 15);

        let small = call(&tool, dir.path(), json!({"max_tokens": 64})).await;
        let (head, body) = small.split_once('\n').unwrap();
        let shown = files_of(&small).len();
        assert!(shown > 0 && shown < 15, "{small}");
        assert!(
            head.starts_with(&format!("Repo map: {shown} of 15 files")),
            "{head}"
        );
        assert!(estimate(body) <= 64, "{body}");
        // Below the minimum is raised to it, not refused.
        let tiny = call(&tool, dir.path(), json!({"max_tokens": 1})).await;
        assert_eq!(tiny, small);
    }

    #[tokio::test]
    async fn focus_on_a_file_pulls_what_it_uses_to_the_top() {
        let dir = fixture();
        let tool = RepoMap::with_cache_dir(None);
        let plain = call(&tool, dir.path(), json!({})).await;
        assert_ne!(files_of(&plain)[0], "go/server.go", "{plain}");
        let focused = call(&tool, dir.path(), json!({"focus": ["./go/main.go"]})).await;
        // go/main.go calls what go/server.go defines.
        assert_eq!(files_of(&focused)[0], "go/server.go", "{focused}");
        assert!(
            focused
                .lines()
                .next()
                .unwrap()
                .contains("focus: go/main.go")
        );
        // A path that does not exist is not taken for an identifier.
        let missing = call(&tool, dir.path(), json!({"focus": ["go/nope.go", "x.py"]})).await;
        let (head, body) = missing.split_once('\n').unwrap();
        assert!(head.contains("not found: go/nope.go, x.py"), "{head}");
        assert_eq!(body, plain.split_once('\n').unwrap().1);
    }

    #[tokio::test]
    async fn focus_on_an_identifier_pulls_its_definer_to_the_top() {
        let dir = fixture();
        let tool = RepoMap::with_cache_dir(None);
        let plain = call(&tool, dir.path(), json!({})).await;
        assert_ne!(files_of(&plain)[0], "java/Greeter.java", "{plain}");
        for entry in ["Greeter::greet", "Greeter.greet"] {
            let focused = call(&tool, dir.path(), json!({ "focus": [entry] })).await;
            assert_eq!(files_of(&focused)[0], "java/Greeter.java", "{focused}");
            let head = focused.lines().next().unwrap();
            assert!(head.contains("focus: Greeter, greet"), "{head}");
        }
    }

    #[tokio::test]
    async fn an_empty_workspace_says_so() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.md"), "# notes").unwrap();
        let out = call(&RepoMap::with_cache_dir(None), dir.path(), json!({})).await;
        assert!(out.starts_with("No source files to map"), "{out}");
    }

    #[tokio::test]
    async fn bad_arguments_are_reported() {
        let dir = fixture();
        let tool = RepoMap::with_cache_dir(None);
        let err = tool
            .call(json!({"focus": "src"}), &ctx(dir.path()))
            .await
            .unwrap_err();
        assert!(matches!(err, ToolError::InvalidArguments(_)), "{err}");
        let err = tool
            .call(json!({"budget": 5}), &ctx(dir.path()))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("budget"), "{err}");
    }

    #[tokio::test]
    async fn the_map_sees_a_changed_file_through_the_cache() {
        let dir = fixture();
        let cache = tempfile::tempdir().unwrap();
        let tool = RepoMap::with_cache_dir(Some(cache.path().to_path_buf()));
        let args = json!({"focus": ["save_settings_now"], "max_tokens": 8192});
        let before = call(&tool, dir.path(), args.clone()).await;
        assert!(!before.contains("func save_settings_now"), "{before}");
        assert!(std::fs::read_dir(cache.path()).unwrap().count() > 0);
        let file = dir.path().join("go/server.go");
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str("\nfunc save_settings_now() {}\n");
        std::fs::write(&file, text).unwrap();
        let after = call(&tool, dir.path(), args).await;
        assert!(after.contains("func save_settings_now() {}"), "{after}");
        assert_eq!(files_of(&after)[0], "go/server.go", "{after}");
    }
}
