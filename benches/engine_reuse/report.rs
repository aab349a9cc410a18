//! Tables and summaries on stdout; the raw numbers go to JSON.

use serde::Serialize;

use crate::kiln_side::{KilnTurn, NoReuseTurn, WarmReport};
use crate::script::Sizing;
use crate::server::ServerTurn;

#[derive(Clone, Debug, Serialize)]
pub struct Session {
    pub target_tokens: usize,
    pub n_ctx: u32,
    pub sizing: Sizing,
    pub kiln: Vec<KilnTurn>,
    pub no_reuse: Vec<NoReuseTurn>,
    pub server: Option<Vec<ServerTurn>>,
    /// Why there are no llama-server numbers, when there are none.
    pub server_note: Option<String>,
    pub summary: Summary,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub final_context: u64,
    /// Reused prompt tokens over all prompt tokens of the session.
    pub reuse_pct: f64,
    /// The last sampled turn, and no-reuse prefill ms / reuse prefill ms.
    pub prefill_ratio: Option<(usize, f64)>,
    pub kiln_mean_turn_ms: f64,
    pub kiln_mean_prefill_ms: f64,
    pub server_mean_turn_ms: Option<f64>,
    pub server_mean_prompt_ms: Option<f64>,
    /// Generated tokens over generation time, all turns.
    pub kiln_gen_tok_s: f64,
    pub server_gen_tok_s: Option<f64>,
    /// Turns that reused less than they should have (see
    /// `KilnTurn::expected_reuse`), with the engine's note.
    pub reuse_breaks: Vec<String>,
}

pub fn summarize(
    kiln: &[KilnTurn],
    no_reuse: &[NoReuseTurn],
    server: Option<&[ServerTurn]>,
) -> Summary {
    let prompt: u64 = kiln.iter().map(|t| t.prompt_tokens).sum();
    let reused: u64 = kiln.iter().map(|t| t.reused_tokens).sum();
    let prefill_ratio = no_reuse.last().and_then(|n| {
        let k = kiln.iter().find(|k| k.turn == n.turn)?;
        Some((n.turn, n.prefill_ms as f64 / k.prefill_ms.max(1) as f64))
    });
    let reuse_breaks = kiln
        .iter()
        .filter(|t| t.expected_reuse.is_some_and(|e| t.reused_tokens < e))
        .map(|t| {
            format!(
                "turn {}: reused {} tokens, expected {} ({} prompt tokens); note: {}",
                t.turn,
                t.reused_tokens,
                t.expected_reuse.unwrap_or(0),
                t.prompt_tokens,
                t.reuse_note.as_deref().unwrap_or("none")
            )
        })
        .collect();
    Summary {
        final_context: kiln
            .last()
            .map_or(0, |t| t.prompt_tokens + t.generated_tokens),
        reuse_pct: 100.0 * reused as f64 / prompt.max(1) as f64,
        prefill_ratio,
        kiln_mean_turn_ms: mean(kiln.iter().map(|t| t.turn_ms as f64)),
        kiln_mean_prefill_ms: mean(kiln.iter().map(|t| t.prefill_ms as f64)),
        server_mean_turn_ms: server.map(|s| mean(s.iter().map(|t| t.turn_ms as f64))),
        server_mean_prompt_ms: server.map(|s| mean(s.iter().map(|t| t.prompt_ms))),
        kiln_gen_tok_s: rate(
            kiln.iter().map(|t| t.generated_tokens).sum(),
            kiln.iter().map(|t| t.generation_ms as f64).sum(),
        ),
        server_gen_tok_s: server.map(|s| {
            rate(
                s.iter().map(|t| t.predicted_n).sum(),
                s.iter().map(|t| t.predicted_ms).sum(),
            )
        }),
        reuse_breaks,
    }
}

fn rate(tokens: u64, ms: f64) -> f64 {
    if ms > 0.0 {
        tokens as f64 * 1000.0 / ms
    } else {
        0.0
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

pub fn print_session(s: &Session) {
    println!(
        "\n== session to ~{} tokens (n_ctx {}, {} turns; base prompt {} tokens, tool results \
         {} lines ≈ {:.0} tokens) ==",
        s.target_tokens,
        s.n_ctx,
        s.kiln.len(),
        s.sizing.base_tokens,
        s.sizing.payload_lines,
        s.sizing.payload_lines as f64 * s.sizing.tokens_per_line
    );
    if !s.sizing.reachable {
        println!(
            "(the prefix and {} replies alone outgrow ~{} tokens: results are one line, the \
             context ends where it ends)",
            s.kiln.len(),
            s.target_tokens
        );
    }
    println!(
        "{:<11} | {:<50} | {:<14} | llama-server, cache_prompt",
        "", "kiln, KV reuse (fin: E end of turn, L reply cap)", "kiln, no reuse"
    );
    println!(
        "{:>4} {:>6} | {:>6} {:>6} {:>7} {:>6} {:>6} {:>3} {:<10} | {:>6} {:>7} | {:>6} {:>6} \
         {:>9} {:>7} {:<10}",
        "turn",
        "ctx",
        "reused",
        "prefil",
        "pre ms",
        "ttft",
        "turn",
        "fin",
        "reply",
        "prefil",
        "pre ms",
        "prompt",
        "cached",
        "prompt ms",
        "turn",
        "reply"
    );
    for k in &s.kiln {
        let nr = s.no_reuse.iter().find(|n| n.turn == k.turn);
        let srv = s
            .server
            .as_ref()
            .and_then(|v| v.iter().find(|t| t.turn == k.turn));
        let nr_cols = match nr {
            Some(n) => format!("{:>6} {:>7}", n.prefilled_tokens, n.prefill_ms),
            // The first turn is a full prefill with reuse on too.
            None if k.reused_tokens == 0 => {
                format!(
                    "{:>6} {:>7}",
                    format!("={}", k.prefilled_tokens),
                    k.prefill_ms
                )
            }
            None => format!("{:>6} {:>7}", "", ""),
        };
        let srv_cols = srv.map_or(String::from("     -"), |t| {
            format!(
                "{:>6} {:>6} {:>9.0} {:>7} {:<10}",
                t.prompt_n,
                t.cache_n,
                t.prompt_ms,
                t.turn_ms,
                clip(&t.reply)
            )
        });
        println!(
            "{:>4} {:>6} | {:>6} {:>6} {:>7} {:>6} {:>6} {:>3} {:<10} | {nr_cols} | {srv_cols}",
            k.turn,
            k.prompt_tokens,
            k.reused_tokens,
            k.prefilled_tokens,
            k.prefill_ms,
            k.ttft_ms,
            k.turn_ms,
            if k.finish == "eog" { "E" } else { "L" },
            clip(&k.reply)
        );
    }
    println!("(ctx: kiln's prompt tokens; =N: turn 1 is a full prefill with reuse on too)");
    let m = &s.summary;
    println!(
        "final context {} tokens; kiln reused {:.1}% of prompt tokens",
        m.final_context, m.reuse_pct
    );
    if let Some((turn, ratio)) = m.prefill_ratio {
        println!("prefill time without/with reuse at turn {turn}: {ratio:.1}x");
    }
    match (m.server_mean_turn_ms, m.server_mean_prompt_ms) {
        (Some(turn), Some(prompt)) => println!(
            "mean per turn: kiln {:.0} ms (prefill {:.0} ms), llama-server {:.0} ms (prompt \
             {:.0} ms); kiln/llama-server {:.2}",
            m.kiln_mean_turn_ms,
            m.kiln_mean_prefill_ms,
            turn,
            prompt,
            m.kiln_mean_turn_ms / turn.max(1.0)
        ),
        _ => println!(
            "mean per turn: kiln {:.0} ms (prefill {:.0} ms); llama-server: {}",
            m.kiln_mean_turn_ms,
            m.kiln_mean_prefill_ms,
            s.server_note.as_deref().unwrap_or("not run")
        ),
    }
    println!(
        "generation: kiln {:.1} tok/s{}",
        m.kiln_gen_tok_s,
        m.server_gen_tok_s
            .map_or(String::new(), |g| format!(", llama-server {g:.1} tok/s"))
    );
    for b in &m.reuse_breaks {
        println!("REUSE BREAK {b}");
    }
    for k in s.kiln.iter().filter(|k| k.reuse_note.is_some()) {
        println!(
            "turn {} reuse note: {}",
            k.turn,
            k.reuse_note.as_deref().unwrap_or("")
        );
    }
}

pub fn print_warm(w: &WarmReport) {
    println!("\n== warm start (fresh engine, system prompt + tools + task) ==");
    println!(
        "{:<26} {:>7} {:>6} {:>6} {:>7} {:>7} {:>8}  warm_start",
        "", "load ms", "prompt", "reused", "prefill", "pre ms", "TTFT ms"
    );
    for (name, t) in [
        ("cold (empty dir, saves)", &w.cold),
        ("warm (state loaded)", &w.warm),
    ] {
        println!(
            "{name:<26} {:>7} {:>6} {:>6} {:>7} {:>7} {:>8}  {:?}",
            t.load_ms,
            t.prompt_tokens,
            t.reused_tokens,
            t.prefilled_tokens,
            t.prefill_ms,
            t.ttft_ms,
            t.warm_start
        );
    }
    println!("TTFT cold/warm: {:.1}x", w.ttft_ratio);
}

fn clip(s: &str) -> String {
    s.chars().take(10).collect()
}
