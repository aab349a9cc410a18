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

fn tokens_request(tokens: Vec<i32>, reuse: bool) -> GenerateRequest {
    GenerateRequest {
        prompt: vec![PromptPiece::Tokens(tokens)],
        ..request("", reuse, 0)
    }
}

fn tokenize(engine: &Engine, text: &str) -> Vec<i32> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(engine.tokenize(text.to_string())).unwrap()
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
    const N_BATCH: usize = 16;
    let Some(e) = engine(N_BATCH as u32) else {
        return;
    };
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
    let t2 = reused.prompt_tokens.clone();

    // The recompute: p2 prefilled from scratch, in chunks at 0, 16, 32, ...
    let full = run(&e, tokens_request(t2.clone(), false));
    assert_eq!(full.metrics.reused_tokens, 0);
    assert_eq!(argmax(&full.logits), argmax(&reused.logits));

    // Leave a cache that shares p2's first `k` tokens (a chunk boundary)
    // and then diverges; p2 then comes back by removing the divergent
    // cells and re-decoding from `k`: the same chunk boundaries as the
    // recompute, so the logits must match bit for bit.
    let k = reused.metrics.reused_tokens as usize / N_BATCH * N_BATCH;
    let mut other = t2[..k].to_vec();
    other.extend(t2[k..].iter().rev().take(12));
    run(&e, tokens_request(other, true));
    let again = run(&e, tokens_request(t2, true));
    assert_eq!(again.metrics.reused_tokens as usize, k);
    assert_eq!(full.logits.len(), again.logits.len());
    assert!(
        full.logits
            .iter()
            .zip(&again.logits)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "logits after reuse differ from a recompute"
    );
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
    let (t_orig, t_edit) = (tokenize(&e, &original), tokenize(&e, &edited));
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

/// No recurrent or hybrid GGUF is reachable here, so the flag is forced on
/// a transformer: the decision, not the architecture, is under test.
#[test]
fn a_recurrent_model_falls_back_to_a_full_prefill_and_says_so() {
    let _g = weights::lock();
    let Some(path) = weights::model("smollm2-135m") else {
        return;
    };
    let mut cfg = EngineConfig::new(path);
    cfg.n_ctx = Some(2048);
    cfg.n_batch = 512;
    cfg.assume_recurrent = true;
    let dir = tempfile::tempdir().unwrap();
    cfg.warm_cache = Some(dir.path().to_path_buf());
    let e = Engine::load(cfg).unwrap();
    assert!(e.info().recurrent);

    let base = chat(&[("system", SYSTEM), ("user", "Name a sorting algorithm.")]);
    let first = run(&e, request(&base, true, 8));
    // Appending keeps the whole state: a recurrent state can grow.
    let mut grown = first.prompt_tokens.clone();
    grown.extend(&first.generated);
    grown.extend(tokenize(
        &e,
        "<|im_end|>\n<|im_start|>user\nAnother?<|im_end|>\n",
    ));
    let appended = run(&e, tokens_request(grown.clone(), true));
    assert_eq!(
        appended.metrics.reused_tokens as usize,
        first.prompt_tokens.len() + first.generated.len()
    );
    assert_eq!(appended.metrics.reuse_note, None);

    // An edit in the middle cannot be cut out of a recurrent state: the
    // whole prompt is prefilled again, and the metrics say why.
    let edited = chat(&[("system", SYSTEM), ("user", "Name a search algorithm.")]);
    let out = run(&e, request(&edited, true, 8));
    assert_eq!(out.metrics.reused_tokens, 0);
    assert_eq!(out.metrics.prefilled_tokens, out.metrics.prompt_tokens);
    let note = out.metrics.reuse_note.clone().unwrap_or_default();
    assert!(note.contains("recurrent/hybrid"), "{note:?}");
    // Never a wrong answer: the same as a fresh prefill on a normal engine.
    let plain = engine(512).unwrap();
    let reference = run(&plain, request(&edited, false, 8));
    assert_eq!(out.generated, reference.generated);
    // And no warm-start state is saved for a state that cannot be cut.
    let with_prefix = GenerateRequest {
        warm_prefix: Some(format!("<|im_start|>system\n{SYSTEM}<|im_end|>\n")),
        ..request(&edited, false, 0)
    };
    assert_eq!(run(&e, with_prefix).metrics.warm_start, None);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Gemma 3 attends over a 512-token sliding window. The engine keeps a
/// full-size SWA cache, so cutting a suffix that starts far outside the
/// window stays exact.
#[test]
fn a_sliding_window_model_reuses_exactly_beyond_its_window() {
    let _g = weights::lock();
    let Some(path) = weights::model("gemma3-270m") else {
        return;
    };
    const N_BATCH: usize = 64;
    let mut cfg = EngineConfig::new(path);
    cfg.n_ctx = Some(4096);
    cfg.n_batch = N_BATCH as u32;
    cfg.warm_cache = None;
    let e = Engine::load(cfg).unwrap();
    assert!(e.info().swa, "gemma 3 uses sliding-window attention");

    let text: String = (0..160)
        .map(|i| format!("Line {i}: the value of item {i} is {}.\n", i * 7 % 13))
        .collect();
    let t = tokenize(&e, &text);
    assert!(t.len() > 1500, "{} tokens", t.len());
    // Recompute from scratch.
    let full = run(&e, tokens_request(t.clone(), false));
    // Diverge at a chunk boundary ~1000 tokens back (twice the window),
    // then come back: the suffix is cut and re-decoded.
    let k = (t.len() - 1000) / N_BATCH * N_BATCH;
    let mut other = t[..k].to_vec();
    other.extend(t[k..k + 40].iter().rev());
    run(&e, tokens_request(other, true));
    let again = run(&e, tokens_request(t, true));
    assert_eq!(again.metrics.reused_tokens as usize, k);
    assert!(
        full.logits
            .iter()
            .zip(&again.logits)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "sliding-window reuse changed the logits"
    );
}
