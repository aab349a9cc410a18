//! Prompt-cache reuse over a scripted 20-turn agent session, in one run:
//! kiln with KV reuse (every turn), kiln without it (sampled turns: a full
//! re-prefill), and a real llama-server with `cache_prompt: true`, for
//! conversations growing to about 2k, 4k and 8k tokens; plus warm start
//! (a fresh engine loading the saved system-prompt state).
//!
//! `cargo bench --bench engine_reuse`; reports, never asserts. Raw numbers
//! go to `target/bench/engine_reuse.json`. Environment:
//! - `KILN_BENCH_MODEL`: a known model name or a GGUF path
//!   (default `qwen2.5-coder-0.5b`, fetched if not cached)
//! - `KILN_BENCH_QUICK=1`: a smoke run (the 2k session only, 6 turns)
//! - `KILN_BENCH_SIZES`: target context sizes, e.g. `8192` or `2048,4096`
//!   (default `2048,4096,8192`; to split a run on a busy machine)
//! - `KILN_BENCH_MAX_TOKENS`: tokens generated per turn at most (default 48)
//! - `KILN_BENCH_NO_GRAMMAR=1`: kiln without its lazy tool-call grammar
//!   (to see what the grammar costs in generation speed)
//! - `KILN_LLAMA_SERVER`: the llama-server binary (default kiln's cached
//!   `~/.cache/kiln/bin/llama-server-11434`; skipped with a note if absent)
//!
//! Turn 1 is a full prefill either way, so the no-reuse replay samples the
//! middle and last turns. The prompts differ slightly: with reuse the
//! previous replies are spliced back as the exact sampled tokens, without
//! it (a fresh backend per sampled turn) the whole conversation is rendered.
//!
//! Both sides sample greedily but separately, so their assistant replies may
//! differ; the conversations have the same shape (turns, tool-result sizes).
//! Load-sensitive: run it on an otherwise idle machine.

#[path = "engine_reuse/kiln_side.rs"]
mod kiln_side;
#[path = "engine_reuse/report.rs"]
mod report;
#[path = "engine_reuse/script.rs"]
mod script;
#[path = "engine_reuse/server.rs"]
mod server;

use std::path::{Path, PathBuf};

use kiln::chat::ToolSpec;
use serde::Serialize;

use report::Session;
use script::Script;

struct Options {
    model: String,
    quick: bool,
    decoding: kiln_side::Decoding,
    threads: i32,
    targets: Vec<usize>,
    turns: usize,
    /// Turns replayed without reuse.
    sampled: Vec<usize>,
}

impl Options {
    fn from_env() -> Self {
        let quick = flag("KILN_BENCH_QUICK");
        let turns = if quick { 6 } else { 20 };
        Self {
            model: std::env::var("KILN_BENCH_MODEL")
                .unwrap_or_else(|_| "qwen2.5-coder-0.5b".into()),
            quick,
            decoding: kiln_side::Decoding {
                max_tokens: std::env::var("KILN_BENCH_MAX_TOKENS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(48),
                constrained: !flag("KILN_BENCH_NO_GRAMMAR"),
            },
            threads: std::thread::available_parallelism().map_or(2, |n| n.get() as i32),
            targets: match std::env::var("KILN_BENCH_SIZES") {
                Ok(v) => v.split(',').filter_map(|t| t.trim().parse().ok()).collect(),
                Err(_) if quick => vec![2048],
                Err(_) => vec![2048, 4096, 8192],
            },
            turns,
            // Turn 1 is a full prefill with reuse on as well.
            sampled: vec![turns / 2, turns],
        }
    }
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

#[derive(Serialize)]
struct Output<'a> {
    model: &'a str,
    model_path: &'a Path,
    quick: bool,
    threads: i32,
    max_tokens_per_turn: u32,
    tool_call_grammar: bool,
    turns: usize,
    note: &'static str,
    warm_start: &'a kiln_side::WarmReport,
    sessions: &'a [Session],
}

fn main() -> anyhow::Result<()> {
    let opts = Options::from_env();
    // reqwest is built without a default TLS provider; plain HTTP still
    // wants one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let model_path = rt.block_on(kiln::models::model_path(
        &opts.model,
        kiln::models::Progress::Bar,
    ))?;
    let out_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out_dir)?;
    let (system, tools) = script::agent_prefix()?;
    eprintln!(
        "engine_reuse: {} ({}), {} threads, ≤{} tokens per turn{}{}",
        opts.model,
        model_path.display(),
        opts.threads,
        opts.decoding.max_tokens,
        if opts.decoding.constrained {
            ""
        } else {
            ", no tool-call grammar"
        },
        if opts.quick { ", quick run" } else { "" }
    );

    eprintln!("warm start…");
    let warm = rt.block_on(kiln_side::warm_start(
        &model_path,
        opts.threads,
        opts.decoding,
        &system,
        &tools,
    ))?;
    report::print_warm(&warm);

    let mut sessions = Vec::new();
    for &target in &opts.targets {
        let session = run_session(&rt, &opts, &model_path, &out_dir, &system, &tools, target)?;
        report::print_session(&session);
        sessions.push(session);
        // After every session, so a later failure (or an abort inside
        // llama.cpp) keeps what was measured.
        save(&opts, &model_path, &out_dir, &warm, &sessions)?;
    }

    println!("\n== summary ==");
    for s in &sessions {
        let m = &s.summary;
        let ratio = m
            .prefill_ratio
            .map_or("-".into(), |(t, r)| format!("{r:.1}x at turn {t}"));
        let vs_server = m.server_mean_turn_ms.map_or("-".into(), |srv| {
            format!("{:.0} vs {srv:.0} ms", m.kiln_mean_turn_ms)
        });
        println!(
            "~{:>5} tokens: reuse {:>5.1}% of prompt tokens; prefill no-reuse/reuse {ratio}; \
             mean turn kiln vs llama-server {vs_server}",
            s.target_tokens, m.reuse_pct
        );
    }
    let no_cache = sessions
        .first()
        .and_then(|s| s.kiln.first())
        .map_or(String::new(), |t| {
            format!("; no warm cache (turn 1 above): {} ms", t.ttft_ms)
        });
    println!(
        "warm start: first-turn TTFT cold {} ms ({:?}) vs warm {} ms ({:?}): {:.1}x{no_cache}",
        warm.cold.ttft_ms,
        warm.cold.warm_start,
        warm.warm.ttft_ms,
        warm.warm.warm_start,
        warm.ttft_ratio,
    );
    println!(
        "note: kiln and llama-server sample their replies separately; the conversations have \
         the same shape but reply texts may differ"
    );

    let path = save(&opts, &model_path, &out_dir, &warm, &sessions)?;
    println!("raw numbers: {}", path.display());
    Ok(())
}

/// Writes the raw numbers so far; returns the file's path.
fn save(
    opts: &Options,
    model_path: &Path,
    out_dir: &Path,
    warm: &kiln_side::WarmReport,
    sessions: &[Session],
) -> anyhow::Result<PathBuf> {
    let json = Output {
        model: &opts.model,
        model_path,
        quick: opts.quick,
        threads: opts.threads,
        max_tokens_per_turn: opts.decoding.max_tokens,
        tool_call_grammar: opts.decoding.constrained,
        turns: opts.turns,
        note: "kiln and llama-server sample replies separately: same conversation shape, \
               possibly different reply texts",
        warm_start: warm,
        sessions,
    };
    let path = out_dir.join("engine_reuse.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&json)?)?;
    Ok(path)
}

fn run_session(
    rt: &tokio::runtime::Runtime,
    opts: &Options,
    model: &Path,
    out_dir: &Path,
    system: &str,
    tools: &[ToolSpec],
    target: usize,
) -> anyhow::Result<Session> {
    // Room for the target, plus what a target below the fixed prefix and
    // 20 minimal turns (unreachable: the 2k case with kiln's ~1.5k-token
    // prefix) and replies that run longer than assumed add.
    let n_ctx = target as u32 + 4096;
    eprintln!("session ~{target} tokens: kiln with reuse…");
    let engine = kiln_side::load_engine(model, n_ctx, opts.threads, None)?;
    let (script, sizing) = rt.block_on(Script::sized(
        &engine,
        system.to_string(),
        tools.to_vec(),
        opts.turns,
        target,
        opts.decoding.max_tokens,
    ))?;
    let backend = kiln_side::backend(&engine, opts.decoding, true)?;
    let run = rt.block_on(kiln_side::reuse_session(&backend, &script, &opts.sampled))?;
    drop(backend);
    eprintln!(
        "session ~{target} tokens: kiln without reuse (turns {:?})…",
        opts.sampled
    );
    let no_reuse = rt.block_on(kiln_side::no_reuse_turns(
        &engine,
        opts.decoding,
        &script.tools,
        &run.snapshots,
    ))?;
    // Free the model before llama-server loads its own copy.
    drop(engine);

    let (server, server_note) = match server::binary() {
        None => (
            None,
            Some("llama-server not found (set KILN_LLAMA_SERVER); skipped".to_string()),
        ),
        Some(bin) => {
            eprintln!("session ~{target} tokens: llama-server…");
            let log = out_dir.join(format!("llama-server-{target}.log"));
            let result = rt.block_on(async {
                let srv = server::Server::start(&bin, model, n_ctx, opts.threads, &log).await?;
                srv.session(&script, opts.decoding.max_tokens).await
            });
            match result {
                Ok(rows) => (Some(rows), None),
                Err(e) => (None, Some(format!("llama-server failed: {e:#}"))),
            }
        }
    };
    let summary = report::summarize(&run.turns, &no_reuse, server.as_deref());
    Ok(Session {
        target_tokens: target,
        n_ctx,
        sizing,
        kiln: run.turns,
        no_reuse,
        server,
        server_note,
        summary,
    })
}
