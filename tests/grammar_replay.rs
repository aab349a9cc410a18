//! kiln's lazy tool-call grammar fed through llama.cpp's real grammar
//! sampler, token by token, with a real vocabulary (SmolLM2's).
//!
//! Regression: the grammar once expected `"arguments"` before `"name"`
//! (serde_json sorts keys), so when a model opened a bare `{"name"` call the
//! trigger replayed text the grammar rejected, llama.cpp threw, and the
//! exception aborted the whole process. Calls written the way models write
//! them must be accepted; text the grammar rejects must come back as an
//! error, not an abort.
#![cfg(feature = "llama")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/weights.rs"]
mod weights;

use kiln::backend::local::grammar::lazy_grammar;
use kiln::toolcall::Format;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::sampling::LlamaSampler;

/// Feeds `text` through a fresh lazy grammar sampler; the index of the
/// first token it rejects, if any.
fn first_rejected(model: &LlamaModel, format: Format, text: &str) -> Option<usize> {
    let tools = kiln::tools::spec::load_specs(None).unwrap();
    let grammar = lazy_grammar(format, &tools).unwrap();
    let mut sampler = LlamaSampler::grammar_lazy_patterns(
        model,
        &grammar.gbnf,
        "root",
        &grammar.trigger_patterns,
        &[],
    )
    .unwrap();
    let tokens = model.vocab().tokenize(text.as_bytes(), false, true);
    tokens.iter().position(|&t| sampler.try_accept(t).is_err())
}

#[test]
fn grammar_accepts_calls_as_models_write_them_and_rejects_without_aborting() {
    let _g = weights::lock();
    let Some(path) = weights::model("smollm2-135m") else {
        return;
    };
    let backend = LlamaBackend::init().unwrap();
    let model = LlamaModel::load_from_file(&backend, &path, &LlamaModelParams::default()).unwrap();

    let accepted = [
        "Let me look.\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"src/main.rs\"}}",
        "{\"name\":\"read_file\",\"arguments\":{\"path\":\"a.rs\",\"start_line\":3,\"end_line\":40}}",
        "<tool_call>\n{\"name\": \"shell\", \"arguments\": {\"command\": \"cargo test\"}}\n</tool_call>\n",
        "```json\n{\"name\": \"list_files\", \"arguments\": {}}\n```",
        "<tool_call>\n{\"name\": \"grep\", \"arguments\": {\"pattern\": \"TODO\"}}\n</tool_call>\n\
         <tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"b\"}}\n</tool_call>",
    ];
    for text in accepted {
        assert_eq!(
            first_rejected(&model, Format::Hermes, text),
            None,
            "rejected: {text}"
        );
    }

    let rejected = [
        // A tool that is not declared.
        "{\"name\": \"rm_rf\", \"arguments\": {}}",
        // A required argument missing.
        "<tool_call>\n{\"name\": \"shell\", \"arguments\": {}}",
        // An unbounded integer (bounded in the grammar, not in the spec).
        "{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\", \"start_line\": 12345678901234}}",
    ];
    for text in rejected {
        let at = first_rejected(&model, Format::Hermes, text);
        assert!(at.is_some(), "accepted: {text}");
    }
    // Prose without a call opening never triggers the grammar.
    assert_eq!(
        first_rejected(&model, Format::Hermes, "The answer is 42 {braces} ok."),
        None
    );
}
