//! kiln's `grep` tool against `rg` on the same tree, side by side in one run.
//!
//! `cargo bench --bench grep_vs_rg [-- TREE [PATTERN]]`; the tree defaults to
//! the cargo registry sources. Prints medians of 5 runs each, alternating
//! the two so both see the same cache state. Reports, never asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use kiln::tools::grep::Grep;
use kiln::tools::{Tool, ToolContext, ToolLimits, Workspace};
use tokio_util::sync::CancellationToken;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let tree = args.first().map(PathBuf::from).unwrap_or_else(default_tree);
    let pattern = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| r"unsafe impl\s+Send\s+for".into());
    if Command::new("rg").arg("--version").output().is_err() {
        eprintln!("rg is not installed (apt-get install ripgrep); cannot compare");
        std::process::exit(1);
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ctx = ToolContext {
        workspace: Workspace::new(&tree).unwrap(),
        limits: ToolLimits::default(),
        cancel: CancellationToken::new(),
        reads: Default::default(),
    };
    let tool_args = serde_json::json!({ "pattern": pattern, "max_results": 1_000_000 });
    let mut kiln_times = Vec::new();
    let mut rg_times = Vec::new();
    let (mut kiln_hits, mut rg_hits) = (0, 0);
    // One warm-up of each, then 5 measured rounds.
    for round in 0..6 {
        let t = Instant::now();
        let out = rt.block_on(Grep.call(tool_args.clone(), &ctx)).unwrap();
        let elapsed = t.elapsed();
        kiln_hits = out.full.lines().filter(|l| is_match_line(l)).count();

        let t = Instant::now();
        let rg = Command::new("rg")
            .args([
                "--no-config",
                "-n",
                "--no-heading",
                "--with-filename",
                "-e",
                &pattern,
                ".",
            ])
            .current_dir(&tree)
            .output()
            .unwrap();
        let rg_elapsed = t.elapsed();
        rg_hits = rg
            .stdout
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        if round > 0 {
            kiln_times.push(elapsed);
            rg_times.push(rg_elapsed);
        }
    }
    let (k, r) = (median(&mut kiln_times), median(&mut rg_times));
    println!("tree: {}  pattern: {pattern}", tree.display());
    println!(
        "kiln grep tool: {:>8.1} ms median of 5 ({kiln_hits} matching lines)",
        ms(k)
    );
    println!(
        "rg:             {:>8.1} ms median of 5 ({rg_hits} matching lines)",
        ms(r)
    );
    println!("ratio kiln/rg:  {:>8.2}", ms(k) / ms(r));
}

/// `path:line:text` match lines (context lines use `-`).
fn is_match_line(line: &str) -> bool {
    let mut parts = line.splitn(3, ':');
    matches!((parts.next(), parts.next()), (Some(_), Some(n)) if n.parse::<u64>().is_ok())
}

fn default_tree() -> PathBuf {
    let home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo"));
    let src = home.join("registry").join("src");
    std::fs::read_dir(&src)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(|e| e.ok())
        .map(|e| e.path())
        .unwrap_or(src)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
