//! kiln's side: the agent's own backend (`LocalBackend` through
//! `Backend::complete`, so the splice and reuse logic measured is exactly
//! the agent's), with and without KV reuse, and warm starts.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use kiln::backend::local::{LocalBackend, LocalSettings};
use kiln::backend::{Backend, ChatRequest, Completion, Delta};
use kiln::chat::{Message, ToolSpec};
use kiln::engine::warm::WarmStart;
use kiln::engine::{Engine, EngineConfig, EngineMetrics, Sampling};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::script::{Script, reply_kind, reply_text};

/// One turn with KV reuse.
#[derive(Clone, Debug, Serialize)]
pub struct KilnTurn {
    pub turn: usize,
    pub prompt_tokens: u64,
    pub reused_tokens: u64,
    pub prefilled_tokens: u64,
    pub prefill_ms: u64,
    pub ttft_ms: u64,
    pub generated_tokens: u64,
    pub generation_ms: u64,
    /// Wall time of `Backend::complete`.
    pub turn_ms: u64,
    pub finish: String,
    pub reply: String,
    pub text: String,
    /// What this turn should reuse: the previous prompt, which the
    /// conversation only extends, and the previous reply, spliced back as
    /// sampled (also when it was cut at the token cap).
    pub expected_reuse: Option<u64>,
    pub reuse_note: Option<String>,
}

/// One sampled turn with reuse off (a full prefill).
#[derive(Clone, Debug, Serialize)]
pub struct NoReuseTurn {
    pub turn: usize,
    pub prompt_tokens: u64,
    pub prefilled_tokens: u64,
    pub prefill_ms: u64,
    pub ttft_ms: u64,
    pub turn_ms: u64,
}

/// The reuse session, plus the conversation as it stood before each
/// sampled turn (replayed without reuse afterwards).
pub struct ReuseRun {
    pub turns: Vec<KilnTurn>,
    pub snapshots: Vec<(usize, Vec<Message>)>,
}

pub fn load_engine(
    model: &Path,
    n_ctx: u32,
    threads: i32,
    warm: Option<PathBuf>,
) -> anyhow::Result<Arc<Engine>> {
    let mut cfg = EngineConfig::new(model.to_path_buf());
    cfg.n_ctx = Some(n_ctx);
    cfg.n_threads = Some(threads);
    // Warm starts are measured on their own; sessions start cold.
    cfg.warm_cache = warm;
    Ok(Arc::new(Engine::load(cfg)?))
}

/// How the backend generates: the agent's defaults except a low reply cap
/// and greedy sampling.
#[derive(Clone, Copy, Debug)]
pub struct Decoding {
    pub max_tokens: u32,
    /// The lazy tool-call grammar (on in the agent).
    pub constrained: bool,
}

pub fn backend(
    engine: &Arc<Engine>,
    decoding: Decoding,
    reuse: bool,
) -> anyhow::Result<LocalBackend> {
    let settings = LocalSettings {
        sampling: Sampling {
            temperature: 0.0,
            ..Sampling::default()
        },
        max_tokens: decoding.max_tokens,
        constrained: decoding.constrained,
        call_first: decoding.constrained,
        reuse,
        ..LocalSettings::default()
    };
    Ok(LocalBackend::new(engine.clone(), settings)?)
}

/// One request through the agent's backend, timed from the outside.
async fn complete(
    backend: &LocalBackend,
    messages: &[Message],
    tools: &[ToolSpec],
) -> anyhow::Result<(Completion, EngineMetrics, u64)> {
    let mut sink = |_: Delta| {};
    let started = Instant::now();
    let completion = backend
        .complete(
            ChatRequest::new(messages, tools),
            &mut sink,
            &CancellationToken::new(),
        )
        .await?;
    let turn_ms = started.elapsed().as_millis() as u64;
    let metrics = completion
        .engine
        .clone()
        .context("the local backend returned no engine metrics")?;
    Ok((completion, metrics, turn_ms))
}

pub fn assistant_message(c: &Completion) -> Message {
    Message::Assistant {
        content: c.text.clone(),
        tool_calls: c.tool_calls.clone(),
        reasoning: c.reasoning.clone(),
    }
}

pub async fn reuse_session(
    backend: &LocalBackend,
    script: &Script,
    sampled: &[usize],
) -> anyhow::Result<ReuseRun> {
    let mut messages = script.opening();
    let mut turns: Vec<KilnTurn> = Vec::new();
    let mut snapshots = Vec::new();
    for turn in 1..=script.turns {
        if sampled.contains(&turn) {
            snapshots.push((turn, messages.clone()));
        }
        let (completion, m, turn_ms) = complete(backend, &messages, &script.tools)
            .await
            .with_context(|| format!("kiln turn {turn}"))?;
        // Everything the previous request left in the cache: its prompt and
        // its reply (spliced back even when the reply hit the token cap).
        let expected_reuse = turns
            .last()
            .map(|prev| prev.prompt_tokens + prev.generated_tokens);
        let assistant = assistant_message(&completion);
        turns.push(KilnTurn {
            turn,
            prompt_tokens: m.prompt_tokens,
            reused_tokens: m.reused_tokens,
            prefilled_tokens: m.prefilled_tokens,
            prefill_ms: m.prefill_ms,
            ttft_ms: m.ttft_ms,
            generated_tokens: m.generated_tokens,
            generation_ms: m.generation_ms,
            turn_ms,
            // The engine's own finish is not in the completion: a turn that
            // hit the token cap did not end on end-of-generation.
            finish: match completion.finish {
                kiln::backend::FinishReason::Length => "length".into(),
                _ => "eog".into(),
            },
            reply: reply_kind(&assistant),
            text: reply_text(&assistant),
            expected_reuse,
            reuse_note: m.reuse_note.clone(),
        });
        if turn < script.turns {
            let follow = script.follow_up(&assistant, turn);
            messages.push(assistant);
            messages.extend(follow);
        }
    }
    Ok(ReuseRun { turns, snapshots })
}

/// The sampled turns again, each with reuse off: the engine clears its
/// cache and prefills the whole prompt.
pub async fn no_reuse_turns(
    engine: &Arc<Engine>,
    decoding: Decoding,
    tools: &[ToolSpec],
    snapshots: &[(usize, Vec<Message>)],
) -> anyhow::Result<Vec<NoReuseTurn>> {
    let mut rows = Vec::new();
    for (turn, messages) in snapshots {
        // A fresh backend per turn: no splice state from another turn.
        let b = backend(engine, decoding, false)?;
        let (_, m, turn_ms) = complete(&b, messages, tools)
            .await
            .with_context(|| format!("no-reuse turn {turn}"))?;
        rows.push(NoReuseTurn {
            turn: *turn,
            prompt_tokens: m.prompt_tokens,
            prefilled_tokens: m.prefilled_tokens,
            prefill_ms: m.prefill_ms,
            ttft_ms: m.ttft_ms,
            turn_ms,
        });
    }
    Ok(rows)
}

/// The first turn of a fresh engine, for warm starts.
#[derive(Clone, Debug, Serialize)]
pub struct FirstTurn {
    pub load_ms: u64,
    pub prompt_tokens: u64,
    pub reused_tokens: u64,
    pub prefilled_tokens: u64,
    pub prefill_ms: u64,
    pub ttft_ms: u64,
    pub warm_start: Option<WarmStart>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WarmReport {
    /// Empty warm directory: cold prefill, and the prefix state is saved.
    pub cold: FirstTurn,
    /// A second fresh engine on the same directory: the state is loaded.
    pub warm: FirstTurn,
    /// cold TTFT / warm TTFT.
    pub ttft_ratio: f64,
}

pub async fn warm_start(
    model: &Path,
    threads: i32,
    decoding: Decoding,
    system: &str,
    tools: &[ToolSpec],
) -> anyhow::Result<WarmReport> {
    let dir = tempfile::tempdir()?;
    let messages = vec![
        Message::System {
            content: system.to_string(),
        },
        Message::User {
            content: crate::script::TASK.into(),
        },
    ];
    // Without a warm cache the first turn is what every session's turn 1
    // measures, so only the two warm-cache cases run here.
    let first = |warm: Option<PathBuf>| {
        let messages = &messages;
        async move {
            let started = Instant::now();
            let engine = load_engine(model, 4096, threads, warm)?;
            let load_ms = started.elapsed().as_millis() as u64;
            let b = backend(&engine, decoding, true)?;
            let (_, m, _) = complete(&b, messages, tools).await?;
            anyhow::Ok(FirstTurn {
                load_ms,
                prompt_tokens: m.prompt_tokens,
                reused_tokens: m.reused_tokens,
                prefilled_tokens: m.prefilled_tokens,
                prefill_ms: m.prefill_ms,
                ttft_ms: m.ttft_ms,
                warm_start: m.warm_start,
            })
        }
    };
    let cold = first(Some(dir.path().to_path_buf()))
        .await
        .context("warm start: cold")?;
    let warm = first(Some(dir.path().to_path_buf()))
        .await
        .context("warm start: warm")?;
    let ttft_ratio = cold.ttft_ms as f64 / warm.ttft_ms.max(1) as f64;
    Ok(WarmReport {
        cold,
        warm,
        ttft_ratio,
    })
}
