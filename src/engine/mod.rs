//! The in-process llama.cpp engine.
//!
//! The model and its context live on one dedicated thread ([`worker`]); the
//! async side talks to it through channels. The engine remembers which
//! tokens sit in the KV cache, so each request only decodes what is new:
//! the longest common token prefix with the cache is kept, the rest is
//! removed, and only the suffix is prefilled. Sampled tokens are the cache's
//! ground truth, so callers can splice them back into the next prompt (see
//! `crate::backend::local`).

#[cfg(feature = "llama")]
mod sampler;
pub mod snapshot;
pub mod tokens;
pub mod warm;
#[cfg(feature = "llama")]
mod worker;

use std::path::PathBuf;

use serde::Serialize;
#[cfg(not(feature = "llama"))]
use tokio_util::sync::CancellationToken;

/// How to load a model.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub model_path: PathBuf,
    /// Context size; `None` means the model's trained context capped at
    /// [`DEFAULT_MAX_CTX`]. Always set explicitly on the context.
    pub n_ctx: Option<u32>,
    /// CPU threads; `None` means all available cores.
    pub n_threads: Option<i32>,
    /// Layers offloaded to a GPU backend (ignored on CPU-only builds).
    pub n_gpu_layers: u32,
    /// Prefill chunk size.
    pub n_batch: u32,
    /// Where prefix states are saved for warm starts; `None` disables them.
    pub warm_cache: Option<PathBuf>,
    /// Treat the model as recurrent/hybrid whatever its flags say. No such
    /// GGUF is reachable on kiln's CI machines, so tests force the flag to
    /// prove the fallback (full prefill, reported) is taken.
    pub assume_recurrent: bool,
}

/// The cap on the default context size.
pub const DEFAULT_MAX_CTX: u32 = 32_768;

impl EngineConfig {
    pub fn new(model_path: PathBuf) -> Self {
        Self {
            model_path,
            n_ctx: None,
            n_threads: None,
            n_gpu_layers: 999,
            n_batch: 512,
            warm_cache: warm::WarmCache::default_dir(),
            assume_recurrent: false,
        }
    }
}

/// Facts about the loaded model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelInfo {
    pub path: PathBuf,
    /// The model file's identity (path, size, mtime) keying warm starts.
    pub identity: String,
    /// `general.name` from the GGUF, or the file name.
    pub name: String,
    /// The GGUF's `tokenizer.chat_template`, if any.
    pub chat_template: Option<String>,
    pub bos: String,
    pub eos: String,
    pub n_ctx: u32,
    pub n_ctx_train: u32,
    /// Sliding-window attention: the engine keeps a full-size SWA cache so
    /// that partial cache removal stays exact.
    pub swa: bool,
    /// Recurrent or hybrid models cannot drop a cache suffix; the engine
    /// falls back to a full prefill when the prefix changes.
    pub recurrent: bool,
    /// Parameter count (chooses a prompt profile by size).
    pub n_params: u64,
}

/// Part of a prompt: text to tokenize, or exact tokens (sampled earlier).
#[derive(Clone, Debug, PartialEq)]
pub enum PromptPiece {
    Text(String),
    Tokens(Vec<i32>),
}

/// Sampling settings; temperature 0 is greedy.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampling {
    pub temperature: f32,
    pub top_k: i32,
    pub top_p: f32,
    pub min_p: f32,
    pub seed: u32,
}

impl Default for Sampling {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            seed: 0,
        }
    }
}

/// A grammar that applies only once a trigger pattern appears in the
/// output (llama.cpp's lazy grammars), or from the first token when forced.
#[derive(Clone, Debug, PartialEq)]
pub struct LazyGrammar {
    pub gbnf: String,
    /// Regexes matched against the output from its start; the grammar is
    /// fed from the first match group on.
    pub trigger_patterns: Vec<String>,
    /// Apply the grammar from the first token: the reply must match it.
    pub forced: bool,
}

#[derive(Clone, Debug)]
pub struct GenerateRequest {
    pub prompt: Vec<PromptPiece>,
    pub sampling: Sampling,
    /// Most tokens to generate.
    pub max_tokens: u32,
    pub grammar: Option<LazyGrammar>,
    /// Off: clear the cache and prefill everything (for benchmarks).
    pub reuse: bool,
    /// Return the logits after the prompt (for exactness tests).
    pub capture_logits: bool,
    /// The stable start of every prompt of this session (system prompt and
    /// tools), whose KV state is saved and loaded for warm starts.
    pub warm_prefix: Option<String>,
}

/// Why generation stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Finish {
    /// The model emitted an end-of-generation token.
    Eog,
    /// `max_tokens` or the context size was reached.
    Length,
    Cancelled,
}

/// Per-request figures, reported in events.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EngineMetrics {
    pub prompt_tokens: u64,
    /// Prompt tokens already in the KV cache.
    pub reused_tokens: u64,
    /// Prompt tokens decoded for this request.
    pub prefilled_tokens: u64,
    pub prefill_ms: u64,
    pub prefill_tok_s: f64,
    pub generated_tokens: u64,
    pub generation_ms: u64,
    pub generation_tok_s: f64,
    pub ttft_ms: u64,
    /// What warm start did, when the cache was cold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warm_start: Option<warm::WarmStart>,
    /// Why less than the whole common prefix was reused, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reuse_note: Option<String>,
    /// Why the tool-call grammar ended the turn early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grammar_error: Option<String>,
}

/// The result of one request.
#[derive(Clone, Debug)]
pub struct GenerateOutput {
    /// The full prompt as tokens (what now precedes `generated` in the cache).
    pub prompt_tokens: Vec<i32>,
    /// Sampled tokens, without the final end-of-generation token.
    pub generated: Vec<i32>,
    /// The end-of-generation token, when that is why generation stopped.
    pub eog: Option<i32>,
    /// That token's text (e.g. `<|im_end|>`).
    pub eog_text: Option<String>,
    pub text: String,
    pub finish: Finish,
    pub metrics: EngineMetrics,
    /// The next-token logits after the prompt, when asked for.
    pub logits: Vec<f32>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("model file {0} does not exist")]
    MissingModel(PathBuf),
    #[error("cannot load model {path}: {message}")]
    Load { path: PathBuf, message: String },
    #[error(
        "the prompt needs {needed} tokens but the context holds {n_ctx}; compact the \
         conversation or raise the context size"
    )]
    ContextFull { needed: usize, n_ctx: u32 },
    #[error("llama.cpp failed: {0}")]
    Llama(String),
    #[error("the engine thread has stopped")]
    Gone,
    #[error("kiln was built without the `llama` feature, so the local engine is unavailable")]
    NotBuilt,
}

/// A conversation snapshot written after a final answer (see [`snapshot`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SnapshotSaved {
    pub tokens: usize,
    pub bytes: u64,
    pub save_ms: u64,
}

/// Streamed text while generating.
pub type PieceSender = tokio::sync::mpsc::UnboundedSender<String>;

#[cfg(feature = "llama")]
pub use worker::Engine;

/// Stand-in when built without llama.cpp: loading always fails clearly.
#[cfg(not(feature = "llama"))]
pub struct Engine;

#[cfg(not(feature = "llama"))]
impl Engine {
    pub fn load(_: EngineConfig) -> Result<Self, EngineError> {
        Err(EngineError::NotBuilt)
    }

    pub fn info(&self) -> &ModelInfo {
        unreachable_info()
    }

    pub async fn generate(
        &self,
        _: GenerateRequest,
        _: PieceSender,
        _: CancellationToken,
    ) -> Result<GenerateOutput, EngineError> {
        Err(EngineError::NotBuilt)
    }

    pub async fn tokenize(&self, _: String) -> Result<Vec<i32>, EngineError> {
        Err(EngineError::NotBuilt)
    }

    pub async fn save_snapshot(&self) -> Option<SnapshotSaved> {
        None
    }
}

#[cfg(not(feature = "llama"))]
fn unreachable_info() -> &'static ModelInfo {
    static INFO: std::sync::OnceLock<ModelInfo> = std::sync::OnceLock::new();
    INFO.get_or_init(|| ModelInfo {
        path: PathBuf::new(),
        identity: String::new(),
        name: String::new(),
        chat_template: None,
        bos: String::new(),
        eos: String::new(),
        n_ctx: 0,
        n_ctx_train: 0,
        swa: false,
        recurrent: false,
        n_params: 0,
    })
}

#[cfg(feature = "llama")]
fn tok_per_s(tokens: usize, elapsed: std::time::Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        tokens as f64 / secs
    } else {
        0.0
    }
}
