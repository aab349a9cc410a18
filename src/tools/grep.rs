//! `grep`: regex search over the workspace with ripgrep's own crates.
//!
//! Output, sorted by path: `path:line:text` for matching lines and
//! `path-line-text` for context lines, with `--` between groups of lines
//! that are not adjacent (only when context is asked for).
//!
//! The walk searches files as it finds them, in parallel, until it has
//! `max_results` matches; the files are then sorted, and those that were
//! skipped are searched (in parallel, in path order) only as far as needed
//! to have the first `max_results` matches in path order. So the result is
//! deterministic while a frequent pattern still stops early.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{BinaryDetection, Searcher, SearcherBuilder, Sink, SinkContext, SinkMatch};
use ignore::WalkState;
use serde::Deserialize;

use super::list_files::{PathGlob, StopOnDrop, path_sort_key, walker};
use super::truncate::{self, floor_char_boundary};
use super::{Tool, ToolContext, ToolError, ToolOutput, parse_args};

const DEFAULT_MAX_RESULTS: usize = 100;
/// Longer lines are cut, so minified files do not flood the output.
const MAX_LINE_BYTES: usize = 500;
/// Most worker threads for one search.
const MAX_THREADS: usize = 16;

pub struct Grep;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    pattern: String,
    path: Option<String>,
    glob: Option<String>,
    #[serde(default)]
    case_insensitive: bool,
    #[serde(default)]
    context: usize,
    max_results: Option<usize>,
}

#[async_trait]
impl Tool for Grep {
    fn name(&self) -> &'static str {
        "grep"
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
        let max_results = args.max_results.unwrap_or(DEFAULT_MAX_RESULTS);
        if max_results == 0 {
            return Err(ToolError::InvalidArguments(
                "max_results must be at least 1".into(),
            ));
        }
        let matcher = RegexMatcherBuilder::new()
            .case_insensitive(args.case_insensitive)
            // Lines are matched one at a time; this also enables the fast path.
            .line_terminator(Some(b'\n'))
            .build(&args.pattern)
            .map_err(|e| {
                ToolError::InvalidArguments(format!("invalid regex `{}`: {e}", args.pattern))
            })?;
        let glob = args.glob.as_deref().map(PathGlob::new).transpose()?;
        let path = args
            .path
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or(".");
        let abs = ctx.workspace.resolve(path)?;
        let rel = ctx.workspace.relative(&abs);
        if let Err(e) = std::fs::metadata(&abs) {
            return Err(if e.kind() == std::io::ErrorKind::NotFound {
                super::read_file::not_found(&ctx.workspace, &abs, &rel)
            } else {
                ToolError::Failed(format!("cannot search {}: {e}", rel.display()))
            });
        }
        let search = Search {
            root: ctx.workspace.root().to_path_buf(),
            start: abs,
            glob,
            matcher,
            context: args.context,
            max_results,
        };
        let stop = StopOnDrop::default();
        let flag = stop.flag();
        let found = tokio::task::spawn_blocking(move || search.run(&flag))
            .await
            .map_err(|e| ToolError::Failed(format!("grep task failed: {e}")))?;
        drop(stop);

        if found.matches == 0 {
            let mut text = format!("No matches for `{}` in {}", args.pattern, rel.display());
            if let Some(g) = &args.glob {
                text.push_str(&format!(" (files matching `{g}`)"));
            }
            text.push_str(&format!(
                "; {} files searched, ignored and binary files skipped.",
                found.files_searched
            ));
            return Ok(ToolOutput::text(text));
        }
        let mut text = found.text;
        if found.more {
            text.push_str(&format!(
                "[stopped at {max_results} matching lines; there may be more. Narrow the pattern, \
                 path or glob, or raise max_results]\n"
            ));
        }
        Ok(truncate::output(text, &ctx.limits))
    }
}

struct Search {
    root: PathBuf,
    start: PathBuf,
    glob: Option<PathGlob>,
    matcher: RegexMatcher,
    context: usize,
    max_results: usize,
}

/// The assembled result of a search.
struct Found {
    text: String,
    matches: usize,
    files_searched: usize,
    /// Matches beyond `max_results` exist or may exist.
    more: bool,
}

/// One searched file's output, kept until all files before it are done.
#[derive(Default)]
struct FileHits {
    text: String,
    lines: Vec<Line>,
    matches: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Match,
    Context,
    Break,
}

/// A line of [`FileHits::text`]: its kind and where it ends.
#[derive(Clone, Copy)]
struct Line {
    kind: Kind,
    end: usize,
}

/// A file to search; `hits` is `None` until it was searched.
struct Entry {
    path: PathBuf,
    hits: Option<FileHits>,
}

/// Which files are done and how many matches the leading done ones hold.
struct Progress {
    done: Vec<Option<usize>>,
    prefix: usize,
    prefix_matches: usize,
}

impl Search {
    fn run(&self, stop: &AtomicBool) -> Found {
        let mut entries = self.walk(stop);
        let searched = self.complete(&mut entries, stop);
        let mut found = self.assemble(&entries);
        found.files_searched = searched;
        found.more |= searched < entries.len() && found.matches >= self.max_results;
        found
    }

    fn searcher(&self) -> Searcher {
        SearcherBuilder::new()
            .line_number(true)
            .before_context(self.context)
            .after_context(self.context)
            .binary_detection(BinaryDetection::quit(b'\0'))
            .max_matches(Some(self.max_results as u64))
            .build()
    }

    /// Phase 1, like ripgrep: walk in parallel and search each file as it is
    /// found, until `max_results` matches are in hand; later files are only
    /// listed. Returns every file, sorted by path.
    fn walk(&self, stop: &AtomicBool) -> Vec<Entry> {
        if self.start.is_file() {
            return vec![Entry {
                path: self.start.clone(),
                hits: None,
            }];
        }
        let found = AtomicUsize::new(0);
        let (tx, rx) = std::sync::mpsc::channel();
        walker(&self.start).build_parallel().run(|| {
            let tx = tx.clone();
            let mut searcher = self.searcher();
            let matcher = self.matcher.clone();
            let found = &found;
            Box::new(move |entry| {
                if stop.load(Ordering::Relaxed) {
                    return WalkState::Quit;
                }
                let Ok(entry) = entry else {
                    return WalkState::Continue;
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return WalkState::Continue;
                }
                let path = entry.into_path();
                let keep = self.glob.as_ref().is_none_or(|g| {
                    let rel = path.strip_prefix(&self.root).unwrap_or(&path);
                    g.is_match(rel, path.strip_prefix(&self.start).ok())
                });
                if !keep {
                    return WalkState::Continue;
                }
                let hits = (found.load(Ordering::Relaxed) < self.max_results).then(|| {
                    let hits = self.search_file(&mut searcher, &matcher, &path);
                    found.fetch_add(hits.matches, Ordering::Relaxed);
                    hits
                });
                // The receiver outlives the walk; a send cannot fail.
                let _ = tx.send(Entry { path, hits });
                WalkState::Continue
            })
        });
        drop(tx);
        let mut entries: Vec<Entry> = rx.into_iter().collect();
        entries.sort_by_cached_key(|e| path_sort_key(&e.path));
        entries
    }

    /// Phase 2: searches, in parallel, the files phase 1 skipped, but only
    /// up to the point (in path order) where `max_results` matches are
    /// reached, so the result is the first matches in path order. Returns
    /// how many leading files are accounted for.
    fn complete(&self, entries: &mut [Entry], stop: &AtomicBool) -> usize {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, MAX_THREADS);
        let next = AtomicUsize::new(0);
        // Files at or past this index are not started: enough matches before.
        let cutoff = AtomicUsize::new(entries.len());
        let progress = Mutex::new(Progress {
            done: vec![None; entries.len()],
            prefix: 0,
            prefix_matches: 0,
        });
        let shared: &[Entry] = entries;
        let new_hits: Vec<(usize, FileHits)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| scope.spawn(|| self.worker(shared, &next, &cutoff, &progress, stop)))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_default())
                .collect()
        });
        for (i, hits) in new_hits {
            entries[i].hits = Some(hits);
        }
        cutoff.load(Ordering::Relaxed).min(entries.len())
    }

    fn worker(
        &self,
        entries: &[Entry],
        next: &AtomicUsize,
        cutoff: &AtomicUsize,
        progress: &Mutex<Progress>,
        stop: &AtomicBool,
    ) -> Vec<(usize, FileHits)> {
        let mut searcher = None;
        let matcher = self.matcher.clone();
        let mut out = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= cutoff.load(Ordering::Relaxed) || stop.load(Ordering::Relaxed) {
                break;
            }
            let count = match &entries[i].hits {
                Some(hits) => hits.matches,
                None => {
                    let searcher = searcher.get_or_insert_with(|| self.searcher());
                    let hits = self.search_file(searcher, &matcher, &entries[i].path);
                    let count = hits.matches;
                    out.push((i, hits));
                    count
                }
            };
            let mut p = progress.lock().unwrap_or_else(PoisonError::into_inner);
            p.done[i] = Some(count);
            while let Some(Some(n)) = p.done.get(p.prefix).copied() {
                p.prefix_matches += n;
                p.prefix += 1;
            }
            if p.prefix_matches >= self.max_results {
                cutoff.fetch_min(p.prefix, Ordering::Relaxed);
            }
        }
        out
    }

    fn search_file(
        &self,
        searcher: &mut Searcher,
        matcher: &RegexMatcher,
        path: &Path,
    ) -> FileHits {
        let rel = path
            .strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string();
        let mut sink = HitSink {
            rel: &rel,
            hits: FileHits::default(),
        };
        // Unreadable files (permissions, races) are skipped like ripgrep does.
        if searcher.search_path(matcher, path, &mut sink).is_err() {
            return FileHits::default();
        }
        sink.hits
    }

    /// Joins the files' lines in path order, up to `max_results` matches
    /// (with the after-context of the last one).
    fn assemble(&self, entries: &[Entry]) -> Found {
        let mut found = Found {
            text: String::new(),
            matches: 0,
            files_searched: 0,
            more: false,
        };
        let mut previous_file = false;
        let with_hits = entries
            .iter()
            .filter_map(|e| e.hits.as_ref())
            .filter(|h| h.matches > 0);
        'files: for file in with_hits {
            if found.matches >= self.max_results {
                found.more = true;
                break;
            }
            if self.context > 0 && previous_file {
                found.text.push_str("--\n");
            }
            previous_file = true;
            let mut start = 0;
            for line in &file.lines {
                // Past the limit only the last match's after-context goes on.
                if found.matches >= self.max_results && line.kind != Kind::Context {
                    found.more = true;
                    break 'files;
                }
                if line.kind == Kind::Match {
                    found.matches += 1;
                }
                found.text.push_str(&file.text[start..line.end]);
                start = line.end;
            }
            if file.matches >= self.max_results {
                // The per-file cap may have hidden more matches.
                found.more = true;
            }
        }
        found
    }
}

struct HitSink<'a> {
    rel: &'a str,
    hits: FileHits,
}

impl HitSink<'_> {
    fn push(&mut self, kind: Kind, sep: char, line_number: Option<u64>, bytes: &[u8]) {
        let text = &mut self.hits.text;
        let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let shown = &bytes[..bytes.len().min(MAX_LINE_BYTES + 4)];
        let line = String::from_utf8_lossy(shown);
        let _ = write!(text, "{}{sep}{}{sep}", self.rel, line_number.unwrap_or(0));
        if bytes.len() > MAX_LINE_BYTES {
            let cut = floor_char_boundary(&line, MAX_LINE_BYTES);
            text.push_str(&line[..cut]);
            let _ = write!(text, " […line cut: {} more bytes]", bytes.len() - cut);
        } else {
            text.push_str(&line);
        }
        text.push('\n');
        self.hits.lines.push(Line {
            kind,
            end: text.len(),
        });
    }
}

impl Sink for HitSink<'_> {
    type Error = std::io::Error;

    fn matched(&mut self, _: &Searcher, mat: &SinkMatch<'_>) -> Result<bool, Self::Error> {
        self.hits.matches += 1;
        self.push(Kind::Match, ':', mat.line_number(), mat.bytes());
        Ok(true)
    }

    fn context(&mut self, _: &Searcher, ctx: &SinkContext<'_>) -> Result<bool, Self::Error> {
        self.push(Kind::Context, '-', ctx.line_number(), ctx.bytes());
        Ok(true)
    }

    fn context_break(&mut self, _: &Searcher) -> Result<bool, Self::Error> {
        self.hits.text.push_str("--\n");
        self.hits.lines.push(Line {
            kind: Kind::Break,
            end: self.hits.text.len(),
        });
        Ok(true)
    }

    fn binary_data(&mut self, _: &Searcher, _offset: u64) -> Result<bool, Self::Error> {
        // Binary files are skipped entirely, as ripgrep does when walking.
        self.hits = FileHits::default();
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{ToolLimits, Workspace};
    use serde_json::json;
    use tokio_util::sync::CancellationToken;

    fn ctx(dir: &Path) -> ToolContext {
        ToolContext {
            workspace: Workspace::new(dir).unwrap(),
            limits: ToolLimits::default(),
            cancel: CancellationToken::new(),
            reads: Default::default(),
        }
    }

    fn write(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    async fn grep(dir: &Path, args: serde_json::Value) -> Result<String, ToolError> {
        Grep.call(args, &ctx(dir)).await.map(|o| o.for_model)
    }

    #[tokio::test]
    async fn finds_matches_sorted_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "b.rs", "fn main() {}\nlet x = 1;\n");
        write(d, "a/c.rs", "nothing\nfn helper() {}\n");
        write(d, "a.txt", "fn in text\n");
        let out = grep(d, json!({"pattern": "fn \\w+"})).await.unwrap();
        assert_eq!(
            out,
            "a/c.rs:2:fn helper() {}\na.txt:1:fn in text\nb.rs:1:fn main() {}\n"
        );
        let out = grep(d, json!({"pattern": "fn", "glob": "*.rs"}))
            .await
            .unwrap();
        assert_eq!(out, "a/c.rs:2:fn helper() {}\nb.rs:1:fn main() {}\n");
        let out = grep(
            d,
            json!({"pattern": "FN", "path": "a", "case_insensitive": true}),
        )
        .await
        .unwrap();
        assert_eq!(out, "a/c.rs:2:fn helper() {}\n");
        let out = grep(d, json!({"pattern": "let", "path": "b.rs"}))
            .await
            .unwrap();
        assert_eq!(out, "b.rs:2:let x = 1;\n");
    }

    #[tokio::test]
    async fn context_lines_and_group_breaks() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let text: String = (1..=20).map(|i| format!("l{i}\n")).collect();
        write(d, "f.txt", &text);
        write(d, "g.txt", "x\nl5\n");
        let out = grep(d, json!({"pattern": "^l(5|7|15)$", "context": 1}))
            .await
            .unwrap();
        assert_eq!(
            out,
            "f.txt-4-l4\nf.txt:5:l5\nf.txt-6-l6\nf.txt:7:l7\nf.txt-8-l8\n--\n\
             f.txt-14-l14\nf.txt:15:l15\nf.txt-16-l16\n--\ng.txt-1-x\ng.txt:2:l5\n"
        );
    }

    #[tokio::test]
    async fn max_results_stops_with_note_deterministically() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for i in 0..50 {
            write(d, &format!("f{i:02}.txt"), "hit\nhit\nhit\n");
        }
        let out = grep(d, json!({"pattern": "hit", "max_results": 5}))
            .await
            .unwrap();
        assert_eq!(
            out.lines().take(6).collect::<Vec<_>>(),
            [
                "f00.txt:1:hit",
                "f00.txt:2:hit",
                "f00.txt:3:hit",
                "f01.txt:1:hit",
                "f01.txt:2:hit",
                "[stopped at 5 matching lines; there may be more. Narrow the pattern, path or glob, or raise max_results]"
            ]
        );
        assert_eq!(out.lines().count(), 6);
    }

    #[tokio::test]
    async fn ignores_gitignored_and_binary_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, ".gitignore", "target/\n");
        write(d, "target/x.txt", "needle\n");
        write(d, ".git/HEAD", "needle\n");
        write(d, ".hidden", "needle\n");
        std::fs::write(d.join("bin.dat"), b"needle\0\x01\x02").unwrap();
        let out = grep(d, json!({"pattern": "needle"})).await.unwrap();
        assert_eq!(out, ".hidden:1:needle\n");
    }

    #[tokio::test]
    async fn no_match_is_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.txt", "hello\n");
        let out = grep(dir.path(), json!({"pattern": "absent"}))
            .await
            .unwrap();
        assert!(out.starts_with("No matches for `absent` in ."), "{out}");
    }

    #[tokio::test]
    async fn long_lines_are_cut() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "min.js",
            &format!("{}needle{}\n", "é".repeat(400), "x".repeat(1000)),
        );
        let out = grep(dir.path(), json!({"pattern": "needle"}))
            .await
            .unwrap();
        assert!(out.contains("[…line cut: "), "{out}");
        assert!(out.len() < 700, "{}", out.len());
        assert!(!out.contains('\u{FFFD}'));
    }

    #[tokio::test]
    async fn bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "s.txt", "needle\n");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        let d = dir.path();
        match grep(d, json!({"pattern": "a("})).await {
            Err(ToolError::InvalidArguments(msg)) => {
                assert!(msg.contains("invalid regex"), "{msg}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            grep(d, json!({"pattern": "a", "path": "../"})).await,
            Err(ToolError::PathEscape(_))
        ));
        assert!(matches!(
            grep(d, json!({"pattern": "a", "path": "out"})).await,
            Err(ToolError::PathEscape(_))
        ));
        assert!(matches!(
            grep(d, json!({"pattern": "a", "path": "nope"})).await,
            Err(ToolError::NotFound(_))
        ));
        assert!(matches!(
            grep(d, json!({"pattern": "a", "glob": "[x"})).await,
            Err(ToolError::InvalidArguments(_))
        ));
        // A symlinked directory inside the walk is not followed out.
        let out = grep(d, json!({"pattern": "needle"})).await.unwrap();
        assert!(out.starts_with("No matches"), "{out}");
    }
}
