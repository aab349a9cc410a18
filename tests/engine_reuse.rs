//! The local engine with real weights (SmolLM2-135M): KV-cache reuse is
//! exact, and invalidates exactly the changed suffix.
#![cfg(feature = "llama")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/weights.rs"]
mod weights;

use kiln::engine::{Engine, EngineConfig, GenerateOutput, GenerateRequest, PromptPiece, Sampling};
use tokio_util::sync::CancellationToken;

fn engine(n_batch: u32) -> Option<Engine> {
    let path = weights::model("smollm2-135m")?;
    let mut cfg = EngineConfig::new(path);
    cfg.n_ctx = Some(4096);
    cfg.n_batch = n_batch;
    Some(Engine::load(cfg).unwrap())
}

fn request(text: &str, reuse: bool, max_tokens: u32) -> GenerateRequest {
    GenerateRequest {
        prompt: vec![PromptPiece::Text(text.to_string())],
        sampling: Sampling::default(),
        max_tokens,
        grammar: None,
        reuse,
        capture_logits: true,
        warm_prefix: None,
    }
}

fn run(engine: &Engine, req: GenerateRequest) -> GenerateOutput {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    rt.block_on(engine.generate(req, tx, CancellationToken::new()))
        .unwrap()
}

fn chat(turns: &[(&str, &str)]) -> String {
    let mut s = String::new();
    for (role, text) in turns {
        s += &format!("<|im_start|>{role}\n{text}<|im_end|>\n");
    }
    s + "<|im_start|>assistant\n"
}

const SYSTEM: &str = "You are a helpful coding assistant. Answer briefly and precisely.";

#[test]
fn reused_prefix_gives_bit_identical_logits_to_a_recompute() {
    let _g = weights::lock();
    let Some(e) = engine(64) else { return };
    let p1 = chat(&[
        ("system", SYSTEM),
        ("user", "What does `ls -la` print? Explain each column."),
    ]);
    let p2 = chat(&[
        ("system", SYSTEM),
        ("user", "What does `ls -la` print? Explain each column."),
        (
            "assistant",
            "It lists all files with permissions, links, owner, group, size, date and name.",
        ),
        ("user", "And `du -sh`?"),
    ]);
    // Reuse: p1 from scratch, then p2 decodes only its new suffix.
    run(&e, request(&p1, false, 0));
    let reused = run(&e, request(&p2, true, 0));
    assert!(reused.metrics.reused_tokens > 20, "{:?}", reused.metrics);
    assert_eq!(
        reused.metrics.reused_tokens + reused.metrics.prefilled_tokens,
        reused.metrics.prompt_tokens
    );
    // Recompute with the same chunk boundaries: p1 fresh, p2's suffix again.
    run(&e, request(&p1, false, 0));
    let again = run(&e, request(&p2, true, 0));
    assert_eq!(reused.logits.len(), again.logits.len());
    assert!(
        reused
            .logits
            .iter()
            .zip(&again.logits)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
    // And the full re-prefill agrees on the next token.
    let full = run(&e, request(&p2, false, 0));
    assert_eq!(full.metrics.reused_tokens, 0);
    assert_eq!(argmax(&full.logits), argmax(&reused.logits));
}

#[test]
fn greedy_continuations_match_with_and_without_reuse_over_turns() {
    let _g = weights::lock();
    let (Some(with_reuse), Some(without)) = (engine(512), engine(512)) else {
        return;
    };
    let questions = [
        "Write a Python function that reverses a string.",
        "Now make it handle None by returning an empty string.",
        "Add a docstring.",
        "What is its time complexity?",
    ];
    let mut turns: Vec<(String, String)> = vec![("system".into(), SYSTEM.into())];
    let mut reused_total = 0;
    for q in questions {
        turns.push(("user".into(), q.into()));
        let refs: Vec<(&str, &str)> = turns
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let prompt = chat(&refs);
        let a = run(&with_reuse, request(&prompt, true, 24));
        let b = run(&without, request(&prompt, false, 24));
        assert_eq!(b.metrics.reused_tokens, 0);
        assert_eq!(a.generated, b.generated, "turn {q:?} diverged");
        reused_total += a.metrics.reused_tokens;
        turns.push(("assistant".into(), a.text.clone()));
    }
    assert!(
        reused_total > 100,
        "later turns reused the cache: {reused_total}"
    );
}

#[test]
fn an_edit_mid_history_invalidates_exactly_the_suffix() {
    let _g = weights::lock();
    let Some(e) = engine(512) else { return };
    let tokenize = |t: &str| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(e.tokenize(t.to_string())).unwrap()
    };
    let a = chat(&[
        ("system", SYSTEM),
        ("user", "first question about sorting lists"),
    ]);
    let original =
        format!("{a}Use sorted().<|im_end|>\n<|im_start|>user\nthanks, and for dicts?<|im_end|>\n");
    let edited = format!(
        "{a}Use list.sort().<|im_end|>\n<|im_start|>user\nthanks, and for dicts?<|im_end|>\n"
    );
    run(&e, request(&original, false, 0));
    let out = run(&e, request(&edited, true, 0));
    let (t_orig, t_edit) = (tokenize(&original), tokenize(&edited));
    let common = t_orig
        .iter()
        .zip(&t_edit)
        .take_while(|(x, y)| x == y)
        .count();
    assert!(common < t_edit.len() - 5);
    assert_eq!(
        out.metrics.reused_tokens as usize, common,
        "keeps exactly the common prefix"
    );
    assert_eq!(out.metrics.prefilled_tokens as usize, t_edit.len() - common);
    assert_eq!(out.prompt_tokens, t_edit);
}

#[test]
fn a_prompt_larger_than_the_context_is_a_clear_error() {
    let _g = weights::lock();
    let Some(path) = weights::model("smollm2-135m") else {
        return;
    };
    let mut cfg = EngineConfig::new(path);
    cfg.n_ctx = Some(256);
    let e = Engine::load(cfg).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let long = "word ".repeat(2000);
    let err = rt
        .block_on(e.generate(request(&long, true, 8), tx, CancellationToken::new()))
        .unwrap_err();
    assert!(err.to_string().contains("context holds 256"), "{err}");
    // The engine still works afterwards.
    let ok = run(&e, request(&chat(&[("user", "hi")]), true, 4));
    assert!(ok.metrics.prompt_tokens > 0);
}

#[test]
fn cancellation_stops_within_a_token_and_a_missing_model_is_reported() {
    let _g = weights::lock();
    let Some(e) = engine(512) else { return };
    let cancel = CancellationToken::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let out = rt.block_on(async {
        let generation = e.generate(
            request(&chat(&[("user", "Count from 1 to 500.")]), true, 400),
            tx,
            cancel.clone(),
        );
        tokio::pin!(generation);
        let mut pieces = 0;
        loop {
            tokio::select! {
                Some(_) = rx.recv() => { pieces += 1; if pieces == 5 { cancel.cancel(); } }
                out = &mut generation => break out.unwrap(),
            }
        }
    });
    assert_eq!(out.finish, kiln::engine::Finish::Cancelled);
    assert!(
        out.generated.len() <= 7,
        "stopped within a token or two: {}",
        out.generated.len()
    );
    let err = Engine::load(EngineConfig::new("/nonexistent/model.gguf".into()))
        .err()
        .unwrap();
    assert!(err.to_string().contains("does not exist"));
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap()
}

#[test]
fn warm_start_loads_the_saved_prefix_and_ignores_a_corrupt_file() {
    let _g = weights::lock();
    let Some(path) = weights::model("smollm2-135m") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let load = || {
        let mut cfg = EngineConfig::new(path.clone());
        cfg.n_ctx = Some(2048);
        cfg.warm_cache = Some(dir.path().to_path_buf());
        Engine::load(cfg).unwrap()
    };
    let system = format!(
        "<|im_start|>system\n{SYSTEM} {}<|im_end|>\n",
        "Follow the repository's style. ".repeat(8)
    );
    let prompt =
        format!("{system}<|im_start|>user\nWhat is a closure?<|im_end|>\n<|im_start|>assistant\n");
    let req = || GenerateRequest {
        warm_prefix: Some(system.clone()),
        ..request(&prompt, true, 16)
    };
    use kiln::engine::warm::WarmStart;

    let cold = run(&load(), req());
    assert_eq!(cold.metrics.warm_start, Some(WarmStart::Saved));
    assert_eq!(cold.metrics.reused_tokens, 0);

    let warm = run(&load(), req());
    assert_eq!(warm.metrics.warm_start, Some(WarmStart::Hit));
    assert!(warm.metrics.reused_tokens > 40, "{:?}", warm.metrics);
    assert_eq!(
        warm.generated, cold.generated,
        "a warm start answers exactly like a cold prefill"
    );

    // Corrupt the saved state: it is detected, ignored and replaced.
    let state = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "state"))
        .unwrap();
    let mut bytes = std::fs::read(&state).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&state, &bytes).unwrap();
    let after = run(&load(), req());
    assert_eq!(after.metrics.warm_start, Some(WarmStart::Corrupt));
    assert_eq!(after.generated, cold.generated);
    let again = run(&load(), req());
    assert_eq!(
        again.metrics.warm_start,
        Some(WarmStart::Hit),
        "the corrupt file was replaced"
    );
    // Truncated: also ignored.
    std::fs::write(&state, &bytes[..100]).unwrap();
    assert_eq!(
        run(&load(), req()).metrics.warm_start,
        Some(WarmStart::Corrupt)
    );
}
