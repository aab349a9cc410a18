//! Backend `local`: the in-process llama.cpp engine.
//!
//! Renders the GGUF's own chat template with the tools, plans the prompt so
//! the KV cache is reused exactly ([`splice`]), streams generation through
//! the tool-call parser of the template's family, and reports the engine's
//! per-turn figures.

pub mod grammar;
pub mod splice;

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::{
    Backend, BackendError, BackendInfo, ChatRequest, Completion, Delta, DeltaSink, FinishReason,
};
use crate::chat::{Message, ToolCall, ToolSpec, Usage};
use crate::engine::{
    Engine, Finish, GenerateOutput, GenerateRequest, LazyGrammar, PromptPiece, Sampling,
};
use crate::template::{ChatTemplate, SpecialTokens, builtin_chatml};
use crate::toolcall::{Format, Parsed, StreamParser, detect, guess_name, prompt_opens_reasoning};
use splice::{LastTurn, fingerprint};

/// Generation settings of the local backend.
#[derive(Clone, Debug)]
pub struct LocalSettings {
    pub sampling: Sampling,
    /// Most tokens per turn; bounds a model that runs away.
    pub max_tokens: u32,
    /// Constrain tool calls with a lazy grammar once one opens.
    pub constrained: bool,
    /// With `constrained`: the first reply to a user message must be a tool
    /// call. Small models otherwise answer questions about code they have
    /// not read from imagination (0.5B Qwen: 7 of 52 such requests).
    pub call_first: bool,
    /// Reuse the KV cache between requests (off only for benchmarks).
    pub reuse: bool,
}

impl Default for LocalSettings {
    fn default() -> Self {
        Self {
            sampling: Sampling::default(),
            max_tokens: 4096,
            constrained: true,
            call_first: true,
            reuse: true,
        }
    }
}

pub struct LocalBackend {
    engine: Arc<Engine>,
    template: ChatTemplate,
    /// Where the template came from, for events.
    template_origin: &'static str,
    format: Format,
    settings: LocalSettings,
    last: Mutex<Option<LastTurn>>,
}

impl LocalBackend {
    pub fn new(engine: Arc<Engine>, settings: LocalSettings) -> Result<Self, BackendError> {
        let info = engine.info();
        let special = || SpecialTokens {
            bos: info.bos.clone(),
            eos: info.eos.clone(),
        };
        let from_gguf = info
            .chat_template
            .as_deref()
            .and_then(|src| ChatTemplate::new(src, special()).ok());
        let (template, template_origin) = match from_gguf {
            Some(t) => (t, "gguf"),
            None => (
                ChatTemplate::new(builtin_chatml(), special())
                    .map_err(|e| BackendError::Config(format!("built-in chat template: {e}")))?,
                "builtin-chatml",
            ),
        };
        let format = detect(template.source());
        Ok(Self {
            engine,
            template,
            template_origin,
            format,
            settings,
            last: Mutex::new(None),
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn template_origin(&self) -> &'static str {
        self.template_origin
    }

    fn render(
        &self,
        messages: &[Message],
        tools: &[ToolSpec],
        gen_prompt: bool,
    ) -> Result<String, BackendError> {
        self.template
            .render(messages, tools, gen_prompt)
            .map_err(|e| BackendError::Protocol(format!("chat template failed: {e}")))
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn info(&self) -> BackendInfo {
        let info = self.engine.info();
        BackendInfo {
            provider: "local".into(),
            model: info.name.clone(),
            base_url: None,
        }
    }

    fn can_resample(&self) -> bool {
        true
    }

    async fn complete(
        &self,
        request: ChatRequest<'_>,
        deltas: &mut dyn DeltaSink,
        cancel: &CancellationToken,
    ) -> Result<Completion, BackendError> {
        let mut last = self.last.lock().await;
        let plan = splice::plan(last.as_ref(), request.messages, |m, g| {
            self.render(m, request.tools, g)
        })?;
        let grammar = if self.settings.constrained && !request.tools.is_empty() {
            let answering_user = matches!(request.messages.last(), Some(Message::User { .. }));
            grammar::lazy_grammar(self.format, request.tools).map(|g| LazyGrammar {
                forced: self.settings.call_first && answering_user,
                ..g
            })
        } else {
            None
        };
        // The system turn with the tools is the same in every session of a
        // workspace: its KV state is what warm starts save and load.
        let warm_prefix = match request.messages.first() {
            Some(Message::System { .. }) => self
                .render(&request.messages[..1], request.tools, false)
                .ok(),
            _ => None,
        };
        let mut parser = StreamParser::with_tools(self.format, request.tools);
        if let Some(PromptPiece::Text(t)) = plan.pieces.last() {
            if prompt_opens_reasoning(t) {
                parser.start_in_reasoning();
            }
        }
        let gen_request = GenerateRequest {
            prompt: plan.pieces,
            sampling: resampling(&self.settings.sampling, request.resample),
            max_tokens: self.settings.max_tokens,
            grammar,
            reuse: self.settings.reuse,
            capture_logits: false,
            warm_prefix,
        };
        let mut parsed = Vec::new();
        let output = stream(&self.engine, gen_request, cancel, |piece| {
            for p in parser.push(&piece) {
                forward(&p, deltas);
                parsed.push(p);
            }
        })
        .await?;
        for p in parser.finish() {
            forward(&p, deltas);
            parsed.push(p);
        }
        if output.finish == Finish::Cancelled {
            *last = None;
            return Err(BackendError::Cancelled);
        }
        let mut output = output;
        if output.metrics.reuse_note.is_none() {
            output.metrics.reuse_note = plan.note;
        }
        let completion = assemble(parsed, &output, request.messages);
        // A turn cut at the token cap has no end-of-generation token; the
        // template closes it with the model's end-of-turn token all the
        // same, so the sampled tokens are still spliced back next time.
        let eog_text = output.eog_text.clone().or_else(|| {
            let eos = &self.engine.info().eos;
            (!eos.is_empty()).then(|| eos.clone())
        });
        *last = eog_text.map(|eog_text| LastTurn {
            history: fingerprint(request.messages),
            history_len: request.messages.len(),
            assistant: Message::Assistant {
                content: completion.text.clone(),
                tool_calls: completion.tool_calls.clone(),
                reasoning: completion.reasoning.clone(),
            },
            tokens: [output.prompt_tokens.as_slice(), output.generated.as_slice()].concat(),
            prompt_len: output.prompt_tokens.len(),
            eog_text,
        });
        Ok(completion)
    }
}

/// Temperature for a turn sampled again because its answer was discarded:
/// enough to leave a greedy rut, little enough to stay on topic.
const RESAMPLE_TEMPERATURE: f32 = 0.7;

/// The sampling for attempt `resample` of a turn: as configured for the
/// first, then at least [`RESAMPLE_TEMPERATURE`] with a seed per attempt
/// (so runs stay reproducible).
fn resampling(base: &Sampling, resample: u32) -> Sampling {
    if resample == 0 {
        return base.clone();
    }
    Sampling {
        temperature: base.temperature.max(RESAMPLE_TEMPERATURE),
        seed: base.seed.wrapping_add(resample),
        ..base.clone()
    }
}

/// Runs one generation, handing each streamed piece to `on_piece`.
async fn stream(
    engine: &Engine,
    request: GenerateRequest,
    cancel: &CancellationToken,
    mut on_piece: impl FnMut(String),
) -> Result<GenerateOutput, BackendError> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let generation = engine.generate(request, tx, cancel.clone());
    tokio::pin!(generation);
    let result = loop {
        tokio::select! {
            Some(piece) = rx.recv() => on_piece(piece),
            result = &mut generation => break result,
        }
    };
    while let Ok(piece) = rx.try_recv() {
        on_piece(piece);
    }
    result.map_err(|e| match e {
        crate::engine::EngineError::ContextFull { .. } => BackendError::ContextFull(e.to_string()),
        other => BackendError::Engine(other.to_string()),
    })
}

fn forward(parsed: &Parsed, deltas: &mut dyn DeltaSink) {
    match parsed {
        Parsed::Text(t) => deltas.delta(Delta::Text { text: t.clone() }),
        Parsed::Reasoning(t) => deltas.delta(Delta::Reasoning { text: t.clone() }),
        Parsed::ToolCallStarted { name } => deltas.delta(Delta::ToolCallStarted {
            index: 0,
            name: name.clone(),
        }),
        Parsed::ToolCall { .. } | Parsed::Malformed { .. } => {}
    }
}

/// Turns the parser's output into the finished message. A malformed call
/// becomes a call whose arguments fail to parse, so the agent loop tells the
/// model what was wrong instead of dropping it.
fn assemble(parsed: Vec<Parsed>, output: &GenerateOutput, history: &[Message]) -> Completion {
    let first_id = history
        .iter()
        .map(|m| match m {
            Message::Assistant { tool_calls, .. } => tool_calls.len(),
            _ => 0,
        })
        .sum::<usize>();
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut tool_calls = Vec::new();
    for p in parsed {
        let id = format!("call_{}", first_id + tool_calls.len() + 1);
        match p {
            Parsed::Text(t) => text.push_str(&t),
            Parsed::Reasoning(t) => reasoning.push_str(&t),
            Parsed::ToolCall { name, arguments } => tool_calls.push(ToolCall {
                id,
                name,
                arguments,
            }),
            Parsed::Malformed { raw, error } => tool_calls.push(ToolCall {
                id,
                name: guess_name(&raw).unwrap_or_else(|| "invalid_tool_call".into()),
                arguments: format!("{raw}\n(kiln could not parse this tool call: {error})"),
            }),
            Parsed::ToolCallStarted { .. } => {}
        }
    }
    let finish = match output.finish {
        Finish::Length => FinishReason::Length,
        _ if !tool_calls.is_empty() => FinishReason::ToolCalls,
        _ => FinishReason::Stop,
    };
    let m = &output.metrics;
    Completion {
        text: text.trim().to_string(),
        reasoning: (!reasoning.trim().is_empty()).then(|| reasoning.trim().to_string()),
        tool_calls,
        usage: Usage {
            prompt_tokens: m.prompt_tokens,
            completion_tokens: m.generated_tokens,
            cached_tokens: Some(m.reused_tokens),
        },
        finish,
        engine: Some(m.clone()),
    }
}

/// Resolves `--model` (a GGUF path or a known name; default: the default
/// model), fetches a known model when it is not cached, and loads it.
pub async fn load(
    model: Option<&str>,
    cfg: &crate::config::LocalConfig,
) -> Result<LocalBackend, crate::config::providers::BuildError> {
    use crate::config::ConfigError;
    use crate::config::providers::BuildError;
    use crate::models::{self, Progress, Resolved};

    let spec = model.unwrap_or(models::DEFAULT_MODEL);
    let path = match models::resolve(spec).map_err(|e| ConfigError::Usage(e.to_string()))? {
        Resolved::Path(p) => p,
        Resolved::Known(known) => models::ensure(known, Progress::Bar)
            .await
            .map_err(|e| BuildError::Backend(e.to_string()))?,
    };
    let mut engine_cfg = crate::engine::EngineConfig::new(path);
    engine_cfg.n_ctx = cfg.context_size;
    engine_cfg.n_threads = cfg.threads;
    engine_cfg.n_gpu_layers = cfg.gpu_layers;
    let engine = tokio::task::spawn_blocking(move || Engine::load(engine_cfg))
        .await
        .map_err(|e| BuildError::Backend(format!("the engine thread failed: {e}")))?
        .map_err(|e| BuildError::Backend(e.to_string()))?;
    let settings = LocalSettings {
        sampling: Sampling {
            temperature: cfg.temperature,
            ..Sampling::default()
        },
        max_tokens: cfg.max_tokens_per_turn.max(1),
        constrained: cfg.constrained_tool_calls,
        call_first: cfg.tool_call_first,
        reuse: cfg.reuse_kv_cache,
    };
    LocalBackend::new(Arc::new(engine), settings).map_err(|e| BuildError::Backend(e.to_string()))
}
