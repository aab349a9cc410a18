//! The engine thread: owns the llama.cpp model and context, and the record
//! of which tokens are in the KV cache.

use std::num::NonZeroU32;
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Instant;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::token::LlamaToken;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

mod resume_kv;

use super::sampler::TokenSampler;
use super::snapshot::Snapshots;
use super::tokens::{Utf8Stream, reusable};
use super::warm::{Lookup, WarmCache, WarmStart};
use super::{
    EngineConfig, EngineError, EngineMetrics, Finish, GenerateOutput, GenerateRequest, ModelInfo,
    PieceSender, PromptPiece, SnapshotSaved, tok_per_s,
};

/// llama.cpp's backend may be initialised once per process.
fn backend() -> Result<&'static LlamaBackend, EngineError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| EngineError::Llama(e.clone()))
}

enum Job {
    Generate {
        request: GenerateRequest,
        pieces: PieceSender,
        cancel: CancellationToken,
        reply: oneshot::Sender<Result<GenerateOutput, EngineError>>,
    },
    Tokenize {
        text: String,
        reply: oneshot::Sender<Result<Vec<i32>, EngineError>>,
    },
    SaveSnapshot {
        reply: oneshot::Sender<Option<SnapshotSaved>>,
    },
}

/// A handle to the engine thread. Dropping it stops the thread.
pub struct Engine {
    jobs: mpsc::Sender<Job>,
    info: ModelInfo,
}

impl Engine {
    /// Loads the model on a new thread; blocks until it is ready. Call from
    /// `spawn_blocking` in async code.
    pub fn load(config: EngineConfig) -> Result<Self, EngineError> {
        if !config.model_path.is_file() {
            return Err(EngineError::MissingModel(config.model_path));
        }
        let backend = backend()?;
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<ModelInfo, EngineError>>();
        std::thread::Builder::new()
            .name("kiln-engine".into())
            .spawn(move || run(backend, config, rx, ready_tx))
            .map_err(|e| EngineError::Llama(format!("cannot start the engine thread: {e}")))?;
        let info = ready_rx.recv().map_err(|_| EngineError::Gone)??;
        Ok(Self { jobs, info })
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Runs one request; text pieces stream through `pieces` as they are
    /// sampled. Cancellation stops generation within one token.
    pub async fn generate(
        &self,
        request: GenerateRequest,
        pieces: PieceSender,
        cancel: CancellationToken,
    ) -> Result<GenerateOutput, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.jobs
            .send(Job::Generate {
                request,
                pieces,
                cancel,
                reply,
            })
            .map_err(|_| EngineError::Gone)?;
        rx.await.map_err(|_| EngineError::Gone)?
    }

    /// Tokenizes text the way prompts are tokenized (special tokens parsed).
    pub async fn tokenize(&self, text: String) -> Result<Vec<i32>, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.jobs
            .send(Job::Tokenize { text, reply })
            .map_err(|_| EngineError::Gone)?;
        rx.await.map_err(|_| EngineError::Gone)?
    }

    /// Saves the whole conversation in the cache as a snapshot for a later
    /// resume. Call after a final answer (no tool call pending); the engine
    /// saves only when that request used warm starts and ended on an
    /// end-of-generation token. Saving is best effort: `None` when nothing
    /// was saved.
    pub async fn save_snapshot(&self) -> Option<SnapshotSaved> {
        let (reply, rx) = oneshot::channel();
        self.jobs.send(Job::SaveSnapshot { reply }).ok()?;
        rx.await.ok().flatten()
    }
}

fn run(
    backend: &'static LlamaBackend,
    config: EngineConfig,
    jobs: mpsc::Receiver<Job>,
    ready: mpsc::Sender<Result<ModelInfo, EngineError>>,
) {
    let load_error = |message: String| EngineError::Load {
        path: config.model_path.clone(),
        message,
    };
    let params = LlamaModelParams::default().with_n_gpu_layers(config.n_gpu_layers);
    let model = match LlamaModel::load_from_file(backend, &config.model_path, &params) {
        Ok(m) => m,
        Err(e) => {
            let _ = ready.send(Err(load_error(e.to_string())));
            return;
        }
    };
    let info = model_info(&model, &config);
    let threads = config.n_threads.unwrap_or_else(default_threads);
    let ctx_params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(info.n_ctx))
        .with_n_batch(config.n_batch)
        .with_n_ubatch(config.n_batch)
        .with_n_threads(threads)
        .with_n_threads_batch(threads)
        // A full-size sliding-window cache keeps partial removal exact.
        .with_swa_full(true);
    let ctx = match model.new_context(backend, ctx_params) {
        Ok(c) => c,
        Err(e) => {
            let _ = ready.send(Err(load_error(e.to_string())));
            return;
        }
    };
    if ready.send(Ok(info.clone())).is_err() {
        return;
    }
    let mut worker = Worker {
        model: &model,
        ctx,
        cached: Vec::new(),
        info,
        n_batch: config.n_batch.max(1) as usize,
        warm: config.warm_cache.clone().map(WarmCache::new),
        snapshots: config.warm_cache.as_deref().map(Snapshots::new),
        snapshot_ready: false,
    };
    while let Ok(job) = jobs.recv() {
        match job {
            Job::Generate {
                request,
                pieces,
                cancel,
                reply,
            } => {
                let result = worker.generate(&request, &pieces, &cancel);
                let _ = reply.send(result);
            }
            Job::Tokenize { text, reply } => {
                let _ = reply.send(Ok(worker.tokenize(&text, false)));
            }
            Job::SaveSnapshot { reply } => {
                let _ = reply.send(worker.save_snapshot());
            }
        }
    }
}

fn default_threads() -> i32 {
    std::thread::available_parallelism()
        .map(|n| n.get() as i32)
        .unwrap_or(4)
}

fn model_info(model: &LlamaModel, config: &EngineConfig) -> ModelInfo {
    let vocab = model.vocab();
    let piece =
        |t: LlamaToken| String::from_utf8_lossy(&vocab.token_to_piece(t, true, None)).into_owned();
    let arch = model
        .meta_val_str("general.architecture")
        .unwrap_or_default();
    let swa = model
        .meta_val_str(&format!("{arch}.attention.sliding_window"))
        .is_ok();
    let n_ctx_train = model.n_ctx_train();
    let n_ctx = config
        .n_ctx
        .unwrap_or_else(|| n_ctx_train.min(super::DEFAULT_MAX_CTX))
        .max(256);
    let name = model.meta_val_str("general.name").unwrap_or_else(|_| {
        config
            .model_path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    ModelInfo {
        path: config.model_path.clone(),
        identity: file_identity(&config.model_path),
        name,
        chat_template: model.meta_val_str("tokenizer.chat_template").ok(),
        bos: piece(vocab.bos()),
        eos: piece(vocab.eos()),
        n_ctx,
        n_ctx_train,
        swa,
        recurrent: config.assume_recurrent || model.is_recurrent() || model.is_hybrid(),
        n_params: model.n_params(),
    }
}

fn file_identity(path: &std::path::Path) -> String {
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let meta = std::fs::metadata(path).ok();
    let mtime = meta
        .as_ref()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}|{}|{mtime}",
        canonical.display(),
        meta.map(|m| m.len()).unwrap_or(0)
    )
}

struct Worker<'m> {
    model: &'m LlamaModel,
    ctx: LlamaContext<'m>,
    /// The tokens in the KV cache of sequence 0, at positions 0..len.
    cached: Vec<i32>,
    info: ModelInfo,
    n_batch: usize,
    warm: Option<WarmCache>,
    /// Conversation snapshots, beside the prefix states.
    snapshots: Option<Snapshots>,
    /// The last request ended a turn normally with warm starts on, so the
    /// cache may be saved as a conversation snapshot.
    snapshot_ready: bool,
}

impl Worker<'_> {
    fn tokenize(&self, text: &str, at_start: bool) -> Vec<i32> {
        let vocab = self.model.vocab();
        let mut tokens: Vec<i32> = vocab
            .tokenize(text.as_bytes(), false, true)
            .into_iter()
            .map(|t| t.0)
            .collect();
        // Templates usually write the BOS token themselves; add it only
        // when the model wants one and the text lacks it.
        let bos = vocab.bos().0;
        if at_start && vocab.should_add_bos() && tokens.first() != Some(&bos) {
            tokens.insert(0, bos);
        }
        tokens
    }

    fn assemble(&self, pieces: &[PromptPiece]) -> Vec<i32> {
        let mut tokens = Vec::new();
        for piece in pieces {
            match piece {
                PromptPiece::Text(t) => {
                    let at_start = tokens.is_empty();
                    tokens.extend(self.tokenize(t, at_start));
                }
                PromptPiece::Tokens(t) => tokens.extend_from_slice(t),
            }
        }
        tokens
    }

    fn reset(&mut self) {
        self.ctx.clear_kv_cache();
        self.cached.clear();
    }

    fn generate(
        &mut self,
        request: &GenerateRequest,
        pieces: &PieceSender,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, EngineError> {
        let started = Instant::now();
        self.snapshot_ready = false;
        let prompt = self.assemble(&request.prompt);
        let n_ctx = self.info.n_ctx as usize;
        if prompt.len() + 1 > n_ctx {
            return Err(EngineError::ContextFull {
                needed: prompt.len() + 1,
                n_ctx: self.info.n_ctx,
            });
        }
        let mut warm = self.warm_prefix(request, &prompt);
        let snapshots_apply = warm.is_some() && request.reuse;
        // A cold cache: first the saved conversation that shares the most
        // with this prompt, then the stable prefix.
        let cold = self.cached.is_empty() && request.reuse;
        let snapshot = match &warm {
            Some(w) if cold => self.snapshot_load(&prompt, w.tokens),
            _ => resume_kv::SnapshotLoad::Missing,
        };
        let mut snapshot_note = None;
        let warm_start = match (&warm, snapshot) {
            (Some(_), resume_kv::SnapshotLoad::Hit) => Some(WarmStart::Hit),
            (Some(w), other) if cold => {
                if let resume_kv::SnapshotLoad::Failed(note) = other {
                    snapshot_note = Some(note);
                }
                Some(self.warm_load(w))
            }
            _ => None,
        };
        if let (Some(w), Some(cache)) = (warm.as_mut(), &self.warm) {
            // A corrupt file was just removed: save a good one this time.
            w.save = !cache.state_path(&w.key).is_file();
        }
        let (keep, reuse_note) = self.keep_prefix(&prompt, request.reuse);
        let mut metrics = EngineMetrics {
            prompt_tokens: prompt.len() as u64,
            reused_tokens: keep as u64,
            prefilled_tokens: (prompt.len() - keep) as u64,
            reuse_note: reuse_note.or(snapshot_note),
            ..Default::default()
        };
        let prefill_start = Instant::now();
        // A cold prefill of the stable prefix is saved for the next session.
        let save = warm.filter(|w| w.save && keep < w.tokens && request.reuse);
        let split = save.as_ref().map_or(keep, |w| w.tokens);
        let saved = self
            .decode(&prompt[keep..split], cancel)
            .map(|()| save.map(|w| self.warm_save(&w)));
        let result = saved.and_then(|s| self.decode(&prompt[split..], cancel).map(|()| s));
        let saved = match result {
            Ok(s) => s,
            Err(e) => {
                self.reset();
                return Err(e);
            }
        };
        metrics.warm_start = match (warm_start, saved) {
            (Some(WarmStart::Corrupt), _) => Some(WarmStart::Corrupt),
            (_, Some(true)) => Some(WarmStart::Saved),
            (w, _) => w.filter(|w| *w == WarmStart::Hit),
        };
        let prefill = prefill_start.elapsed();
        let logits = if request.capture_logits && !cancel.is_cancelled() {
            // The prompt's last token is the last entry of the last chunk.
            let tail = if prompt.len() > split { split } else { keep };
            let last = (prompt.len() - tail - 1) % self.n_batch;
            self.ctx.get_logits_ith(last as i32).to_vec()
        } else {
            Vec::new()
        };
        metrics.prefill_ms = prefill.as_millis() as u64;
        metrics.prefill_tok_s = tok_per_s(prompt.len() - keep, prefill);
        if cancel.is_cancelled() {
            let out = self.output(
                prompt,
                Vec::new(),
                None,
                String::new(),
                Finish::Cancelled,
                metrics,
            );
            return Ok(GenerateOutput { logits, ..out });
        }

        let mut sampler =
            TokenSampler::new(self.model, &request.sampling, request.grammar.as_ref())
                .map_err(EngineError::Llama)?;
        let vocab = self.model.vocab();
        let mut utf8 = Utf8Stream::default();
        let mut text = String::new();
        let mut generated = Vec::new();
        let gen_start = Instant::now();
        let mut finish = Finish::Length;
        let mut eog = None;
        while generated.len() < request.max_tokens as usize {
            if cancel.is_cancelled() {
                finish = Finish::Cancelled;
                break;
            }
            let token = match sampler.sample(&self.ctx) {
                Ok(t) => t,
                Err(e) => {
                    metrics.grammar_error = Some(e);
                    finish = Finish::Length;
                    break;
                }
            };
            if generated.is_empty() {
                metrics.ttft_ms = started.elapsed().as_millis() as u64;
            }
            if vocab.is_eog(token) {
                finish = Finish::Eog;
                eog = Some(token.0);
                break;
            }
            generated.push(token.0);
            let piece = utf8.push(&vocab.token_to_piece(token, true, None));
            if !piece.is_empty() {
                text.push_str(&piece);
                let _ = pieces.send(piece);
            }
            if self.cached.len() + 1 >= n_ctx {
                break;
            }
            if let Err(e) = self.decode(&[token.0], cancel) {
                self.reset();
                return Err(e);
            }
        }
        let rest = utf8.finish();
        if !rest.is_empty() {
            text.push_str(&rest);
            let _ = pieces.send(rest);
        }
        let gen_time = gen_start.elapsed();
        self.snapshot_ready = snapshots_apply
            && finish == Finish::Eog
            && metrics.grammar_error.is_none()
            && self.snapshots.is_some();
        metrics.generated_tokens = generated.len() as u64;
        metrics.generation_ms = gen_time.as_millis() as u64;
        metrics.generation_tok_s = tok_per_s(generated.len(), gen_time);
        let out = self.output(prompt, generated, eog, text, finish, metrics);
        Ok(GenerateOutput { logits, ..out })
    }

    fn output(
        &self,
        prompt_tokens: Vec<i32>,
        generated: Vec<i32>,
        eog: Option<i32>,
        text: String,
        finish: Finish,
        metrics: EngineMetrics,
    ) -> GenerateOutput {
        let eog_text = eog.map(|t| {
            String::from_utf8_lossy(&self.model.vocab().token_to_piece(LlamaToken(t), true, None))
                .into_owned()
        });
        GenerateOutput {
            prompt_tokens,
            generated,
            eog,
            eog_text,
            text,
            finish,
            metrics,
            logits: Vec::new(),
        }
    }

    /// The warm-start prefix of this request, when warm starts apply.
    fn warm_prefix(&self, request: &GenerateRequest, prompt: &[i32]) -> Option<WarmPrefix> {
        let cache = self.warm.as_ref()?;
        let text = request.warm_prefix.as_deref()?;
        let tokens = self.tokenize(text, true);
        // Too short to be worth a file, or not actually this prompt's start.
        if tokens.len() < 32 || !prompt.starts_with(&tokens) || self.info.recurrent {
            return None;
        }
        let key = WarmCache::key(&self.info.identity, &tokens);
        Some(WarmPrefix {
            save: !cache.state_path(&key).is_file(),
            key,
            tokens: tokens.len(),
            prefix: tokens,
        })
    }

    /// Loads a saved prefix state into the empty cache.
    fn warm_load(&mut self, w: &WarmPrefix) -> WarmStart {
        let Some(cache) = self.warm.clone() else {
            return WarmStart::Saved;
        };
        match cache.lookup(&w.key) {
            Lookup::Missing => WarmStart::Saved,
            Lookup::Corrupt => WarmStart::Corrupt,
            Lookup::Valid(path) => match self.ctx.state_seq_load_file(&path, 0, w.tokens + 1) {
                Ok((tokens, _)) if tokens.iter().map(|t| t.0).eq(w.prefix.iter().copied()) => {
                    self.cached = w.prefix.clone();
                    WarmStart::Hit
                }
                _ => {
                    cache.remove(&w.key);
                    self.reset();
                    WarmStart::Corrupt
                }
            },
        }
    }

    /// Saves the cache, which holds exactly the prefix now.
    fn warm_save(&self, w: &WarmPrefix) -> bool {
        let Some(cache) = &self.warm else {
            return false;
        };
        if self.cached.len() != w.tokens {
            return false;
        }
        let Some(staged) = cache.staging_path(&w.key) else {
            return false;
        };
        let tokens: Vec<LlamaToken> = self.cached.iter().map(|&t| LlamaToken(t)).collect();
        match self.ctx.state_seq_save_file(&staged, 0, &tokens) {
            Ok(_) => cache.commit(&w.key, &staged),
            Err(e) => {
                tracing::warn!("could not save the warm-start state: {e}");
                let _ = std::fs::remove_file(&staged);
                false
            }
        }
    }

    /// Drops the cache suffix that differs from `prompt` and returns how
    /// many tokens are kept. Never a wrong answer, only a slower one: when a
    /// suffix cannot be removed exactly, everything is prefilled again.
    fn keep_prefix(&mut self, prompt: &[i32], reuse: bool) -> (usize, Option<String>) {
        if !reuse {
            self.reset();
            return (0, Some("reuse disabled".into()));
        }
        let keep = reusable(&self.cached, prompt);
        if keep == self.cached.len() {
            return (keep, None);
        }
        if self.info.recurrent {
            let dropped = self.cached.len() - keep;
            self.reset();
            return (
                0,
                Some(format!(
                    "recurrent/hybrid model: its state cannot drop the last {dropped} tokens, so \
                     the whole prompt is prefilled again"
                )),
            );
        }
        let removed = u32::try_from(keep)
            .ok()
            .and_then(|p0| self.ctx.kv_cache_seq_rm(0, Some(p0), None).ok());
        if removed.is_none() {
            self.reset();
            return (
                0,
                Some("the KV cache could not drop a suffix; full prefill".into()),
            );
        }
        self.cached.truncate(keep);
        (keep, None)
    }

    /// Decodes `tokens` after the cache, in `n_batch` chunks with explicit
    /// positions; only the very last token asks for logits.
    fn decode(&mut self, tokens: &[i32], cancel: &CancellationToken) -> Result<(), EngineError> {
        let mut batch = LlamaBatch::new(self.n_batch, 1);
        let total = tokens.len();
        for (c, chunk) in tokens.chunks(self.n_batch).enumerate() {
            if cancel.is_cancelled() {
                return Ok(());
            }
            batch.clear();
            for (i, &t) in chunk.iter().enumerate() {
                let pos = (self.cached.len() + i) as i32;
                let last = c * self.n_batch + i + 1 == total;
                batch
                    .add(LlamaToken(t), pos, &[0], last)
                    .map_err(|e| EngineError::Llama(e.to_string()))?;
            }
            self.ctx
                .decode(&mut batch)
                .map_err(|e| EngineError::Llama(format!("decode failed: {e}")))?;
            self.cached.extend_from_slice(chunk);
        }
        Ok(())
    }
}

/// The stable prefix of a request, for warm starts.
struct WarmPrefix {
    key: String,
    prefix: Vec<i32>,
    tokens: usize,
    /// No state is saved for this prefix yet.
    save: bool,
}
