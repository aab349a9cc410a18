//! The tags of every source file in a workspace: walked ignore-aware,
//! taken from the cache where the file is unchanged, parsed in parallel
//! otherwise.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ignore::WalkState;
use tree_sitter::Parser;

use super::cache::{self, BodyRef, EntryRef, Stamp};
use super::lang::{Lang, grammar};
use super::names::{Names, Sym};
use super::tags::{FileTags, LocalTags, extract};

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

/// Tags by workspace-relative path, their symbols in `names`.
#[derive(Debug, Default)]
pub struct Index {
    /// The workspace (absolute), for reading lines to show.
    pub root: PathBuf,
    /// Sorted, unique and all in use (see [`Names`]).
    pub names: Names,
    pub files: BTreeMap<PathBuf, FileTags>,
    pub stats: IndexStats,
}

enum Outcome {
    Tags(LocalTags),
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
    // The cache loads while the tree is walked.
    let (body, found) = std::thread::scope(|s| {
        let load = s.spawn(|| match &cache_path {
            Some(p) => cache::load(p).unwrap_or_else(|why| {
                tracing::debug!("repo-map cache {} not used: {why}", p.display());
                cache::Body::default()
            }),
            None => cache::Body::default(),
        });
        let found = walk(root);
        (load.join().unwrap_or_default(), found)
    });
    let mut old: HashMap<String, (Stamp, FileTags)> = body
        .files
        .into_iter()
        .map(|e| (e.path, (e.stamp, e.tags)))
        .collect();

    let mut stats = IndexStats::default();
    let mut files = BTreeMap::new();
    // The stamp of every indexed file, for rewriting the cache.
    let mut stamps: Vec<(PathBuf, Stamp)> = Vec::new();
    let mut jobs = Vec::new();
    for (abs, lang, stamp) in found {
        let abs = abs.as_path();
        stats.files += 1;
        let Some(stamp) = stamp else {
            stats.failed += 1;
            continue;
        };
        if stamp.size > MAX_FILE_BYTES {
            stats.skipped_large += 1;
            continue;
        }
        let rel = abs.strip_prefix(root).unwrap_or(abs).to_path_buf();
        let Some(key) = rel.to_str() else {
            stats.skipped_binary += 1;
            continue;
        };
        match old.remove(key) {
            Some((s, tags)) if s == stamp => {
                stats.cached += 1;
                stamps.push((rel.clone(), stamp));
                files.insert(rel, tags);
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

    let mut parsed = Vec::new();
    for (job, outcome) in parse_all(jobs) {
        match outcome {
            Outcome::Tags(tags) => {
                stats.parsed += 1;
                stamps.push((job.rel.clone(), job.stamp));
                parsed.push((job.rel, tags));
            }
            Outcome::Large => stats.skipped_large += 1,
            Outcome::Binary => stats.skipped_binary += 1,
            Outcome::Failed => stats.failed += 1,
        }
    }
    let mut index = Index {
        root: root.to_path_buf(),
        names: body.names,
        files,
        stats,
    };
    if !dirty {
        return index;
    }
    absorb(&mut index, parsed);
    if let Some(p) = &cache_path {
        let body = BodyRef {
            names: &index.names,
            files: stamps
                .iter()
                .filter_map(|(rel, stamp)| {
                    Some(EntryRef {
                        path: rel.to_str()?,
                        stamp: *stamp,
                        tags: index.files.get(rel)?,
                    })
                })
                .collect(),
        };
        if let Err(e) = cache::store(p, &body) {
            tracing::warn!("{e}");
        }
    }
    index
}

/// A source file found by [`walk`]: absolute path, language, stamp.
pub type Found = (PathBuf, Lang, Option<Stamp>);

/// One walker thread's finds, handed over when the thread is done with it
/// (on drop), so the threads share no lock while they walk.
struct Batch<'a> {
    local: Vec<Found>,
    all: &'a Mutex<Vec<Found>>,
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        if let Ok(mut all) = self.all.lock() {
            all.append(&mut self.local);
        }
    }
}

/// The source files under `root` (ignore-aware, as `list_files` sees
/// them) with their language and stamp (`None` when it cannot be read),
/// walked and stat'ed on all cores.
pub fn walk(root: &Path) -> Vec<Found> {
    let all = Mutex::new(Vec::new());
    crate::tools::list_files::walker(root)
        .build_parallel()
        .run(|| {
            let mut batch = Batch {
                local: Vec::new(),
                all: &all,
            };
            Box::new(move |entry| {
                if let Ok(entry) = entry
                    && entry.file_type().is_some_and(|t| t.is_file())
                    && let Some(lang) = Lang::from_path(entry.path())
                {
                    let stamp = entry.metadata().ok().map(|m| Stamp::of(&m));
                    batch.local.push((entry.into_path(), lang, stamp));
                }
                WalkState::Continue
            })
        });
    let mut found = all.into_inner().unwrap_or_default();
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    found
}

/// Adds freshly parsed files to `index` and rebuilds its name table: only
/// names still in use, sorted, so symbol order stays name order and the
/// table does not grow with every edit.
fn absorb(index: &mut Index, parsed: Vec<(PathBuf, LocalTags)>) {
    let old = std::mem::take(&mut index.names);
    let mut used = vec![false; old.len()];
    for tags in index.files.values() {
        let syms = tags.defs.iter().map(|d| d.name);
        for s in syms.chain(tags.refs.iter().map(|r| r.name)) {
            if let Some(u) = used.get_mut(s as usize) {
                *u = true;
            }
        }
    }
    let mut all: Vec<&str> = old
        .iter()
        .filter(|(s, _)| used.get(*s as usize).copied().unwrap_or(false))
        .map(|(_, n)| n)
        .chain(parsed.iter().flat_map(|(_, t)| t.names()))
        .collect();
    all.sort_unstable();
    all.dedup();
    let Some(names) = Names::from_sorted(all.iter().copied()) else {
        // Over 4 GiB of names: nothing sensible to map.
        tracing::warn!("repo map: too many names; the map is left empty");
        index.files.clear();
        return;
    };
    let sym = |name: &str| {
        all.binary_search(&name)
            .ok()
            .and_then(|i| Sym::try_from(i).ok())
            .unwrap_or(0)
    };
    let map: Vec<Sym> = old.iter().map(|(_, name)| sym(name)).collect();
    for tags in index.files.values_mut() {
        tags.remap(&map);
    }
    for (rel, local) in &parsed {
        index
            .files
            .insert(rel.clone(), FileTags::intern(local, sym));
    }
    drop(all);
    index.names = names;
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
