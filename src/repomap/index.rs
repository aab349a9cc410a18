//! The tags of every source file in a workspace: walked ignore-aware,
//! taken from the cache where the file is unchanged, parsed in parallel
//! otherwise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tree_sitter::Parser;

use std::collections::HashMap;

use super::cache::{self, Entries, EntryRef, Stamp};
use super::lang::{Lang, grammar};
use super::tags::{FileTags, extract};

/// Files larger than this are skipped (generated or minified, and slow).
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// How the files of a walk were handled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Source files found (by extension).
    pub files: usize,
    pub parsed: usize,
    pub cached: usize,
    pub skipped_large: usize,
    /// Binary content or not UTF-8.
    pub skipped_binary: usize,
    /// Unreadable, or the parser or grammar failed.
    pub failed: usize,
}

impl IndexStats {
    pub fn skipped(&self) -> usize {
        self.skipped_large + self.skipped_binary + self.failed
    }
}

/// Tags by workspace-relative path.
#[derive(Debug, Default)]
pub struct Index {
    pub files: BTreeMap<PathBuf, FileTags>,
    pub stats: IndexStats,
}

enum Outcome {
    Tags(FileTags),
    Large,
    Binary,
    Failed,
}

struct Job {
    rel: PathBuf,
    abs: PathBuf,
    lang: Lang,
    stamp: Stamp,
}

/// Indexes the workspace at `root`, using and refreshing the cache in
/// `cache_dir` when one is given. Cache problems only cost time: an
/// unreadable cache is rebuilt, an unwritable one is reported in the log.
pub fn build(root: &Path, cache_dir: Option<&Path>) -> Index {
    let cache_path = cache_dir.map(|d| cache::path_for(d, root));
    let mut old: Entries = match &cache_path {
        Some(p) => cache::load(p).unwrap_or_else(|why| {
            tracing::debug!("repo-map cache {} not used: {why}", p.display());
            Entries::new()
        }),
        None => Entries::new(),
    };

    let mut index = Index::default();
    // The stamp of every indexed file, for rewriting the cache.
    let mut stamps: Vec<(PathBuf, Stamp)> = Vec::new();
    let mut jobs = Vec::new();
    for entry in crate::tools::list_files::files(root, None) {
        let abs = entry.path();
        let Some(lang) = Lang::from_path(abs) else {
            continue;
        };
        index.stats.files += 1;
        let Ok(meta) = entry.metadata() else {
            index.stats.failed += 1;
            continue;
        };
        let stamp = Stamp::of(&meta);
        if stamp.size > MAX_FILE_BYTES {
            index.stats.skipped_large += 1;
            continue;
        }
        let rel = abs.strip_prefix(root).unwrap_or(abs).to_path_buf();
        let Some(key) = rel.to_str().map(str::to_string) else {
            index.stats.skipped_binary += 1;
            continue;
        };
        match old.remove(&key) {
            Some(e) if e.stamp == stamp => {
                index.stats.cached += 1;
                stamps.push((rel.clone(), stamp));
                index.files.insert(rel, e.tags);
            }
            _ => jobs.push(Job {
                rel,
                abs: abs.to_path_buf(),
                lang,
                stamp,
            }),
        }
    }
    // Anything left in `old` is gone from disk (or now ignored).
    let dirty = !jobs.is_empty() || !old.is_empty();

    for (job, outcome) in parse_all(jobs) {
        match outcome {
            Outcome::Tags(tags) => {
                index.stats.parsed += 1;
                stamps.push((job.rel.clone(), job.stamp));
                index.files.insert(job.rel, tags);
            }
            Outcome::Large => index.stats.skipped_large += 1,
            Outcome::Binary => index.stats.skipped_binary += 1,
            Outcome::Failed => index.stats.failed += 1,
        }
    }
    if dirty && let Some(p) = &cache_path {
        let fresh: HashMap<&str, EntryRef<'_>> = stamps
            .iter()
            .filter_map(|(rel, stamp)| {
                let tags = index.files.get(rel)?;
                let stamp = *stamp;
                Some((rel.to_str()?, EntryRef { stamp, tags }))
            })
            .collect();
        if let Err(e) = cache::store(p, &fresh) {
            tracing::warn!("{e}");
        }
    }
    index
}

/// Parses the jobs on all cores; each thread keeps one parser.
fn parse_all(jobs: Vec<Job>) -> Vec<(Job, Outcome)> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len());
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::with_capacity(jobs.len()));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut parser = Parser::new();
                let mut local = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    local.push((i, parse_one(&mut parser, job)));
                }
                if let Ok(mut r) = results.lock() {
                    r.extend(local);
                }
            });
        }
    });
    let mut outcomes: Vec<Option<Outcome>> = Vec::new();
    outcomes.resize_with(jobs.len(), || None);
    for (i, o) in results.into_inner().unwrap_or_default() {
        if let Some(slot) = outcomes.get_mut(i) {
            *slot = Some(o);
        }
    }
    jobs.into_iter()
        .zip(outcomes)
        .map(|(j, o)| (j, o.unwrap_or(Outcome::Failed)))
        .collect()
}

fn parse_one(parser: &mut Parser, job: &Job) -> Outcome {
    let Ok(source) = std::fs::read(&job.abs) else {
        return Outcome::Failed;
    };
    // The file may have grown since it was stat'ed.
    if source.len() as u64 > MAX_FILE_BYTES {
        return Outcome::Large;
    }
    let head = &source[..source.len().min(8192)];
    if head.contains(&0) || std::str::from_utf8(&source).is_err() {
        return Outcome::Binary;
    }
    let Ok(grammar) = grammar(job.lang) else {
        return Outcome::Failed;
    };
    match extract(parser, grammar, &source) {
        Ok(tags) => Outcome::Tags(tags),
        Err(e) => {
            tracing::debug!("repo map: {}: {e}", job.rel.display());
            Outcome::Failed
        }
    }
}
