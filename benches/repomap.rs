//! Repo-map time cold (empty cache) and warm (cache filled), and peak RSS.
//!
//! `cargo bench --bench repomap [-- TREE]`; without TREE it builds (once) a
//! tree of the first 5,000 source files of the cargo registry sources under
//! the temp dir. Cold includes compiling the queries and writing the cache;
//! the files themselves are in the page cache either way. Reports, never
//! asserts. `KILN_BENCH_PRINT=1` also prints the map; `KILN_BENCH_TOKENS`
//! sets its budget (default 4096), `KILN_BENCH_WARM_RUNS` the warm runs
//! (default 5).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kiln::repomap::lang::Lang;
use kiln::repomap::{Focus, map};

const TREE_FILES: usize = 5_000;

/// `name` from the environment as a number, else `default`.
fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let tree = args.first().map(PathBuf::from).unwrap_or_else(default_tree);
    let cache = tempfile::tempdir().unwrap();
    let focus = Focus::default();
    let budget = env_or("KILN_BENCH_TOKENS", 4_096);
    let warm_runs = env_or("KILN_BENCH_WARM_RUNS", 5).max(1);

    let start = Instant::now();
    let cold = map(&tree, Some(cache.path()), &focus, budget);
    let cold_time = start.elapsed();

    // One warm run by phase, to see where the time goes.
    let cache_file = kiln::repomap::cache::path_for(cache.path(), &tree);
    let t = Instant::now();
    let found = kiln::repomap::index::walk(&tree).len();
    let t_walk = t.elapsed();
    let t = Instant::now();
    let body = kiln::repomap::cache::load(&cache_file).unwrap();
    let t_load = t.elapsed();
    let names = body.names.len();
    drop(body);
    let t = Instant::now();
    let index = kiln::repomap::index::build(&tree, Some(cache.path()));
    let t_index = t.elapsed();
    let t = Instant::now();
    let ranked = kiln::repomap::rank::rank(&index, &focus);
    let t_rank = t.elapsed();
    let t = Instant::now();
    let _ = kiln::repomap::render::render(&index, &ranked, budget);
    let t_render = t.elapsed();
    let edges_hint: usize = index.files.values().map(|f| f.refs.len()).sum();
    let ranked_defs = ranked.len();
    drop(ranked);
    drop(index);

    let mut warm_times = Vec::new();
    let mut warm = None;
    for _ in 0..warm_runs {
        let start = Instant::now();
        let out = map(&tree, Some(cache.path()), &focus, budget);
        warm_times.push(start.elapsed());
        warm = Some(out);
    }
    let warm = warm.unwrap();
    assert_eq!(warm.text, cold.text, "warm map differs from cold");
    warm_times.sort();
    let cache_bytes: u64 = std::fs::read_dir(cache.path())
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();

    println!("tree: {} (map budget {budget} tokens)", tree.display());
    println!(
        "files: {} source, {} parsed cold, {} cached warm, {} skipped",
        cold.stats.files,
        cold.stats.parsed,
        warm.stats.cached,
        cold.stats.skipped()
    );
    println!("cold: {}", ms(cold_time));
    println!(
        "warm: median {} (min {}, max {}) over {warm_runs} runs",
        ms(warm_times[warm_runs / 2]),
        ms(warm_times[0]),
        ms(warm_times[warm_runs - 1])
    );
    println!(
        "warm phases: index {} (walk and stat {} for {found} files, cache load {} for {names} names, \
         run side by side), rank {} ({} ranked defs, {edges_hint} file-name refs), render {}",
        ms(t_index),
        ms(t_walk),
        ms(t_load),
        ms(t_rank),
        ranked_defs,
        ms(t_render)
    );
    println!("cache file: {:.1} MiB", cache_bytes as f64 / 1048576.0);
    println!("peak RSS: {}", peak_rss());
    if std::env::var_os("KILN_BENCH_PRINT").is_some() {
        print!("{}", cold.text);
    }
    println!(
        "map: {} bytes, {} lines",
        cold.text.len(),
        cold.text.lines().count()
    );
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The first [`TREE_FILES`] source files of the registry sources (crates in
/// name order), copied once into the temp dir.
fn default_tree() -> PathBuf {
    let dest = std::env::temp_dir().join("kiln-repomap-bench-5k");
    if dest.join(".complete").exists() {
        return dest;
    }
    let home = PathBuf::from(std::env::var_os("HOME").expect("HOME"));
    let mut registries: Vec<PathBuf> = std::fs::read_dir(home.join(".cargo/registry/src"))
        .expect("no cargo registry sources; pass a TREE")
        .filter_map(|e| Some(e.ok()?.path()))
        .collect();
    registries.sort();
    let mut sources = Vec::new();
    for registry in &registries {
        let mut files: Vec<PathBuf> = kiln::tools::list_files::files(registry, None)
            .map(|e| e.into_path())
            .filter(|p| Lang::from_path(p).is_some())
            .collect();
        files.sort();
        sources.extend(files.into_iter().map(|f| (registry.clone(), f)));
    }
    let _ = std::fs::remove_dir_all(&dest);
    for (registry, file) in sources.iter().take(TREE_FILES) {
        let to = dest.join(file.strip_prefix(registry).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(file, &to).unwrap();
    }
    std::fs::write(dest.join(".complete"), "").unwrap();
    dest
}
