//! `symbols`: go to definition and find usages, from the repo-map index.
//!
//! Output: `Definitions of `NAME` (N):` then `path:line: source line` per
//! definition, then `References to `NAME` (N in F files):` and the same per
//! usage, each list capped with a line saying how many were left out. An
//! unknown name lists close matches instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::Deserialize;

use super::repo_map::{identifiers, index};
use super::{Tool, ToolContext, ToolError, ToolOutput, parse_args, truncate};
use crate::repomap::Index;
use crate::repomap::lines::SourceLines;
use crate::repomap::names::Sym;

const DEFAULT_MAX_RESULTS: usize = 50;
/// Close matches offered for an unknown name.
const MAX_SUGGESTIONS: usize = 10;

pub struct Symbols {
    cache_dir: Option<PathBuf>,
}

impl Default for Symbols {
    /// Shares the repo map's cache in kiln's cache directory.
    fn default() -> Self {
        Self {
            cache_dir: crate::repomap::cache::default_dir(),
        }
    }
}

impl Symbols {
    /// Caches in `dir`, or nowhere (every call parses afresh).
    pub fn with_cache_dir(dir: Option<PathBuf>) -> Self {
        Self { cache_dir: dir }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Definitions,
    References,
    #[default]
    All,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    name: String,
    #[serde(default)]
    kind: Kind,
    max_results: Option<usize>,
}

#[async_trait]
impl Tool for Symbols {
    fn name(&self) -> &'static str {
        "symbols"
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
        let max = args.max_results.unwrap_or(DEFAULT_MAX_RESULTS);
        if max == 0 {
            return Err(ToolError::InvalidArguments(
                "max_results must be at least 1".into(),
            ));
        }
        // `Config::load`, `cfg.load()`: the index knows bare names.
        let Some(name) = identifiers(&args.name).last().map(str::to_string) else {
            return Err(ToolError::InvalidArguments(format!(
                "`{}` is not an identifier; give a name such as `parse_config`",
                args.name
            )));
        };
        let root = ctx.workspace.root().to_path_buf();
        let cache_dir = self.cache_dir.clone();
        let kind = args.kind;
        let index = index(&root, cache_dir.as_deref()).await?;
        let text = tokio::task::spawn_blocking(move || report(&index, &name, kind, max))
            .await
            .map_err(|e| ToolError::Failed(format!("symbols task failed: {e}")))?;
        Ok(truncate::output(text, &ctx.limits))
    }
}

/// Where `name` is defined and used, as text for the model.
fn report(index: &Index, name: &str, kind: Kind, max: usize) -> String {
    let Some(sym) = index.names.find(name) else {
        return unknown(index, name);
    };
    let mut defs: BTreeMap<&Path, Vec<u32>> = BTreeMap::new();
    let mut refs: BTreeMap<&Path, Vec<u32>> = BTreeMap::new();
    for (path, tags) in &index.files {
        let lines: Vec<u32> = tags
            .defs
            .iter()
            .filter(|d| d.name == sym)
            .map(|d| d.line)
            .collect();
        if !lines.is_empty() {
            defs.insert(path, lines);
        }
        let mut lines = tags.ref_lines_of(sym);
        lines.dedup();
        if !lines.is_empty() {
            refs.insert(path, lines);
        }
    }
    let mut out = String::new();
    if kind != Kind::References {
        let total: usize = defs.values().map(Vec::len).sum();
        if total == 0 {
            out.push_str(&format!(
                "No definition of `{name}` in the workspace (it may come from a dependency, \
                 or be defined in a way the parser does not tag).\n"
            ));
        } else {
            out.push_str(&format!("Definitions of `{name}` ({total}):\n"));
            list(&mut out, index, &defs, max, total, "definitions");
        }
    }
    if kind != Kind::Definitions {
        let total: usize = refs.values().map(Vec::len).sum();
        if !out.is_empty() {
            out.push('\n');
        }
        if total == 0 {
            out.push_str(&format!(
                "No references to `{name}` found (calls, type uses and similar; use grep \
                 to search all text).\n"
            ));
        } else {
            out.push_str(&format!(
                "References to `{name}` ({total} lines in {} files):\n",
                refs.len()
            ));
            list(&mut out, index, &refs, max, total, "references");
        }
    }
    out
}

/// Appends `path:line: text` for the first `max` hits, reading each file
/// once, and a note of how many were left out.
fn list(
    out: &mut String,
    index: &Index,
    hits: &BTreeMap<&Path, Vec<u32>>,
    max: usize,
    total: usize,
    what: &str,
) {
    let mut shown = 0;
    for (path, lines) in hits {
        if shown >= max {
            break;
        }
        let source = SourceLines::read(&index.root.join(path));
        for &line in lines.iter().take(max - shown) {
            let text = source.get(line).unwrap_or_default();
            out.push_str(&format!("{}:{line}: {text}\n", path.display()));
            shown += 1;
        }
    }
    if shown < total {
        out.push_str(&format!(
            "[… {} more {what} not shown; raise max_results to see more]\n",
            total - shown
        ));
    }
}

/// What to say for a name the index does not know: close matches first
/// by edit distance, then by containing the name, case-insensitively.
fn unknown(index: &Index, name: &str) -> String {
    let lower = name.to_lowercase();
    let mut scored: Vec<(usize, &str, Sym)> = index
        .names
        .iter()
        .filter_map(|(sym, candidate)| {
            let c = candidate.to_lowercase();
            let distance = strsim::levenshtein(&lower, &c);
            let close = distance <= (name.chars().count() / 3).max(1);
            let contains = lower.len() >= 3 && (c.contains(&lower) || lower.contains(&c));
            (close || contains).then_some((distance, candidate, sym))
        })
        .collect();
    scored.sort_unstable();
    let defined = |sym: Sym| {
        index
            .files
            .values()
            .flat_map(|t| &t.defs)
            .filter(|d| d.name == sym)
            .count()
    };
    let suggestions: Vec<String> = scored
        .iter()
        .take(MAX_SUGGESTIONS)
        .map(|&(_, candidate, sym)| match defined(sym) {
            0 => format!("{candidate} (only used)"),
            1 => format!("{candidate} (1 definition)"),
            n => format!("{candidate} ({n} definitions)"),
        })
        .collect();
    let mut text = format!(
        "`{name}` is neither defined nor used in the {} indexed files of the workspace.",
        index.files.len()
    );
    if suggestions.is_empty() {
        text.push_str(
            " No close matches either; try grep, or repo_map for an outline of what is there.",
        );
    } else {
        text.push_str(&format!(" Close matches: {}.", suggestions.join(", ")));
    }
    text.push('\n');
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::tools::repo_map::tests::{ctx, fixture};
    use serde_json::json;

    async fn call(tool: &Symbols, dir: &Path, args: serde_json::Value) -> String {
        tool.call(args, &ctx(dir)).await.unwrap().for_model
    }

    /// The `path:line` of every listed hit after the `header` line.
    fn hits<'a>(out: &'a str, header: &str) -> Vec<(&'a str, u32, &'a str)> {
        out.lines()
            .skip_while(|l| !l.starts_with(header))
            .skip(1)
            .take_while(|l| !l.is_empty() && !l.starts_with('['))
            .map(|l| {
                let mut parts = l.splitn(3, ':');
                let path = parts.next().unwrap();
                let line = parts.next().unwrap().parse().unwrap();
                (path, line, parts.next().unwrap().trim())
            })
            .collect()
    }

    /// The 1-based lines of `path` in `dir` that contain `needle`.
    fn grep(dir: &Path, path: &str, needle: &str) -> Vec<u32> {
        std::fs::read_to_string(dir.join(path))
            .unwrap()
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains(needle))
            .map(|(i, _)| i as u32 + 1)
            .collect()
    }

    #[tokio::test]
    async fn definitions_come_with_their_lines() {
        let dir = fixture();
        let tool = Symbols::with_cache_dir(None);
        let out = call(&tool, dir.path(), json!({"name": "Config"})).await;
        let defs = hits(&out, "Definitions of `Config`");
        let want = grep(dir.path(), "src/config.rs", "pub struct Config");
        assert_eq!(want.len(), 1);
        assert_eq!(defs.len(), 1, "{out}");
        assert_eq!((defs[0].0, defs[0].1), ("src/config.rs", want[0]), "{out}");
        assert!(defs[0].2.starts_with("pub struct Config"), "{out}");
    }

    #[tokio::test]
    async fn references_come_with_their_lines() {
        let dir = fixture();
        let tool = Symbols::with_cache_dir(None);
        let out = call(
            &tool,
            dir.path(),
            json!({"name": "load_config", "kind": "references"}),
        )
        .await;
        assert!(!out.contains("Definitions"), "{out}");
        let refs = hits(&out, "References to `load_config`");
        assert!(!refs.is_empty(), "{out}");
        for (path, line, text) in &refs {
            assert!(text.contains("load_config"), "{path}:{line}: {text}");
            assert!(grep(dir.path(), path, "load_config").contains(line));
        }
        // The definition itself is not a use.
        let def = grep(dir.path(), "src/config.rs", "fn load_config");
        assert!(
            !refs
                .iter()
                .any(|(p, l, _)| *p == "src/config.rs" && *l == def[0])
        );
    }

    #[tokio::test]
    async fn qualified_names_use_their_last_part() {
        let dir = fixture();
        let tool = Symbols::with_cache_dir(None);
        let plain = call(&tool, dir.path(), json!({"name": "load_config"})).await;
        let qualified = call(&tool, dir.path(), json!({"name": "config::load_config()"})).await;
        assert_eq!(plain, qualified);
    }

    #[tokio::test]
    async fn an_unknown_name_gives_close_matches() {
        let dir = fixture();
        let tool = Symbols::with_cache_dir(None);
        let out = call(&tool, dir.path(), json!({"name": "load_confg"})).await;
        assert!(out.contains("neither defined nor used"), "{out}");
        assert!(out.contains("load_config (1 definition)"), "{out}");
        let out = call(&tool, dir.path(), json!({"name": "zzqqxx"})).await;
        assert!(out.contains("No close matches"), "{out}");
        let err = tool
            .call(json!({"name": "::"}), &ctx(dir.path()))
            .await
            .unwrap_err();
        assert!(matches!(err, ToolError::InvalidArguments(_)), "{err}");
        let err = tool
            .call(json!({"name": "x", "kind": "calls"}), &ctx(dir.path()))
            .await
            .unwrap_err();
        assert!(matches!(err, ToolError::InvalidArguments(_)), "{err}");
    }

    #[tokio::test]
    async fn long_lists_are_capped_with_a_count() {
        let dir = tempfile::tempdir().unwrap();
        let mut main = String::from("fn main() {\n");
        for _ in 0..30 {
            main.push_str("    tick();\n");
        }
        main.push_str("}\nfn tick() {}\n");
        std::fs::write(dir.path().join("main.rs"), main).unwrap();
        let tool = Symbols::with_cache_dir(None);
        let out = call(&tool, dir.path(), json!({"name": "tick", "max_results": 5})).await;
        assert_eq!(
            hits(&out, "References to `tick` (30 lines").len(),
            5,
            "{out}"
        );
        assert!(out.contains("[… 25 more references not shown"), "{out}");
        assert_eq!(
            hits(&out, "Definitions of `tick` (1)"),
            [("main.rs", 33, "fn tick() {}")]
        );
    }

    #[tokio::test]
    async fn a_change_is_seen_through_the_cache() {
        let dir = fixture();
        let cache = tempfile::tempdir().unwrap();
        let tool = Symbols::with_cache_dir(Some(cache.path().to_path_buf()));
        let args = json!({"name": "fresh_helper"});
        let before = call(&tool, dir.path(), args.clone()).await;
        assert!(before.contains("neither defined nor used"), "{before}");
        let file = dir.path().join("py/util.py");
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str("\n\ndef fresh_helper():\n    return 1\n");
        std::fs::write(&file, text).unwrap();
        let after = call(&tool, dir.path(), args).await;
        let line = grep(dir.path(), "py/util.py", "def fresh_helper")[0];
        assert_eq!(
            hits(&after, "Definitions of `fresh_helper`"),
            [("py/util.py", line, "def fresh_helper():")],
            "{after}"
        );
    }
}
