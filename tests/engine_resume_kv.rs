//! Conversation snapshots with real weights (SmolLM2-135M): a task's final
//! answer leaves the whole conversation's KV state on disk, and a fresh
//! engine (a resumed session in a new process) reuses all of it, answering
//! exactly as a cold prefill would.
#![cfg(feature = "llama")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/weights.rs"]
mod weights;

use std::path::Path;

use kiln::engine::warm::WarmStart;
use kiln::engine::{
    Engine, EngineConfig, Finish, GenerateOutput, GenerateRequest, PromptPiece, Sampling,
};
use tokio_util::sync::CancellationToken;

const SYSTEM: &str = "You are a helpful coding assistant. Answer briefly and precisely.";

fn load(cache: Option<&Path>) -> Option<Engine> {
    let mut cfg = EngineConfig::new(weights::model("smollm2-135m")?);
    cfg.n_ctx = Some(2048);
    cfg.warm_cache = cache.map(Path::to_path_buf);
    Some(Engine::load(cfg).unwrap())
}

fn system() -> String {
    format!(
        "<|im_start|>system\n{SYSTEM} {}<|im_end|>\n",
        "Follow the repository's style. ".repeat(8)
    )
}

/// The conversation rendered as text, the way a resumed session renders
/// its recorded history, ending with the assistant's generation prompt.
fn conversation(turns: &[(&str, &str)]) -> String {
    let mut s = system();
    for (role, text) in turns {
        s += &format!("<|im_start|>{role}\n{text}<|im_end|>\n");
    }
    s + "<|im_start|>assistant\n"
}

fn request(prompt: &str, max_tokens: u32, reuse: bool) -> GenerateRequest {
    GenerateRequest {
        prompt: vec![PromptPiece::Text(prompt.to_string())],
        sampling: Sampling::default(),
        max_tokens,
        grammar: None,
        reuse,
        capture_logits: false,
        warm_prefix: Some(system()),
    }
}

fn run(engine: &Engine, req: GenerateRequest) -> GenerateOutput {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    weights::block_on(engine.generate(req, tx, CancellationToken::new())).unwrap()
}

const Q1: &str = "What does the Unix command `pwd` do? One sentence.";
const Q2: &str = "And `cd ..`?";

fn snapshot_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir.join("conv"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

#[test]
fn a_resumed_conversation_reuses_its_whole_kv_state_and_answers_like_a_cold_run() {
    let _g = weights::lock();
    let dir = tempfile::tempdir().unwrap();
    let Some(a) = load(Some(dir.path())) else {
        return;
    };
    // Engine A: the first task, to its final answer.
    let first = run(&a, request(&conversation(&[("user", Q1)]), 200, true));
    assert_eq!(
        first.finish,
        Finish::Eog,
        "the answer ends by itself: {:?}",
        first.text
    );
    assert_eq!(first.metrics.warm_start, Some(WarmStart::Saved));
    let saved = weights::block_on(a.save_snapshot()).expect("a snapshot is saved");
    let whole = first.prompt_tokens.len() + first.generated.len();
    assert_eq!(saved.tokens, whole);
    assert!(saved.bytes > 0);
    eprintln!(
        "snapshot of {} tokens: {} bytes in {} ms",
        saved.tokens, saved.bytes, saved.save_ms
    );
    assert_eq!(
        weights::block_on(a.save_snapshot()),
        None,
        "saved once per answer"
    );
    drop(a);

    // Engine B, a new process resuming: the recorded conversation plus a
    // new user message, rendered from text.
    let resumed = conversation(&[("user", Q1), ("assistant", first.text.trim()), ("user", Q2)]);
    let b = load(Some(dir.path())).unwrap();
    let warm = run(&b, request(&resumed, 32, true));
    assert_eq!(warm.metrics.warm_start, Some(WarmStart::Hit));
    assert!(
        warm.metrics.reused_tokens as usize + 3 >= whole,
        "reused {} of the {whole} tokens saved: {:?}",
        warm.metrics.reused_tokens,
        warm.metrics
    );
    assert_eq!(
        warm.metrics.reused_tokens + warm.metrics.prefilled_tokens,
        warm.metrics.prompt_tokens
    );
    drop(b);

    // Engine C: no warm cache, a cold prefill of the same prompt.
    let c = load(None).unwrap();
    let cold = run(&c, request(&resumed, 32, false));
    assert_eq!(cold.metrics.reused_tokens, 0);
    assert_eq!(warm.prompt_tokens, cold.prompt_tokens);
    assert_eq!(
        warm.text, cold.text,
        "a warm resume answers like a cold prefill"
    );
    drop(c);

    // A corrupt snapshot: detected, removed, and the request falls back to
    // the stable prefix with a note, not an error.
    let state = snapshot_files(dir.path())
        .into_iter()
        .find(|p| p.extension().is_some_and(|x| x == "state"))
        .unwrap();
    let mut bytes = std::fs::read(&state).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&state, &bytes).unwrap();
    let d = load(Some(dir.path())).unwrap();
    let fallback = run(&d, request(&resumed, 32, true));
    assert!(!state.exists(), "the corrupt snapshot was removed");
    let note = fallback.metrics.reuse_note.clone().unwrap_or_default();
    assert!(note.contains("snapshot"), "{:?}", fallback.metrics);
    assert!((fallback.metrics.reused_tokens as usize) < first.prompt_tokens.len());
    assert_eq!(fallback.text, cold.text);
}

#[test]
fn no_snapshot_without_an_end_of_generation_or_without_warm_starts() {
    let _g = weights::lock();
    let dir = tempfile::tempdir().unwrap();
    let Some(e) = load(Some(dir.path())) else {
        return;
    };
    // Cut at the token cap: a turn that did not end.
    let out = run(&e, request(&conversation(&[("user", Q1)]), 2, true));
    assert_eq!(out.finish, Finish::Length);
    assert_eq!(weights::block_on(e.save_snapshot()), None);
    // Reuse off: warm starts do not apply.
    let out = run(&e, request(&conversation(&[("user", Q1)]), 200, false));
    assert_eq!(out.finish, Finish::Eog);
    assert_eq!(weights::block_on(e.save_snapshot()), None);
    assert!(snapshot_files(dir.path()).is_empty());
}

/// Measures what saving a snapshot costs on the 0.5B model for a ~1.5k-token
/// conversation (run with `--ignored --nocapture`).
#[test]
#[ignore = "a measurement, not a check"]
fn measure_the_snapshot_save_on_the_half_b_model() {
    let _g = weights::lock();
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = weights::model("qwen2.5-coder-0.5b") else {
        return;
    };
    let mut cfg = EngineConfig::new(path);
    cfg.n_ctx = Some(4096);
    cfg.warm_cache = Some(dir.path().to_path_buf());
    let e = Engine::load(cfg).unwrap();
    let code: String = (0..60)
        .map(|i| format!("def f{i}(x):\n    return x * {i} + {}\n\n", i % 7))
        .collect();
    let question = format!(
        "Here is a module:\n```python\n{code}```\nWhich function returns 10 for x = 1? One line."
    );
    let out = run(
        &e,
        request(&conversation(&[("user", question.as_str())]), 200, true),
    );
    assert_eq!(out.finish, Finish::Eog);
    let saved = weights::block_on(e.save_snapshot()).unwrap();
    eprintln!(
        "0.5B: snapshot of {} tokens, {} bytes, saved in {} ms (the turn's prefill took {} ms)",
        saved.tokens, saved.bytes, saved.save_ms, out.metrics.prefill_ms
    );
}
