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

use super::count::{self, TokenCount};
use super::{
    Backend, BackendError, BackendInfo, ChatRequest, Completion, Delta, DeltaSink, FinishReason,
};
use crate::chat::{
    Message, SamplingPrefs, ToolCall, ToolCallMode, ToolSpec, Usage, text_mode_messages,
};
use crate::engine::{
    Engine, Finish, GenerateOutput, GenerateRequest, LazyGrammar, PromptPiece, Sampling,
};
use crate::template::{ChatTemplate, SpecialTokens, builtin_chatml};
use crate::toolcall::{Format, Parsed, StreamParser, detect, guess_name, prompt_opens_reasoning};
use splice::{LastTurn, fingerprint};

/// Generation settings of the local backend.
#[derive(Clone, Debug)]
pub struct LocalSettings {
    /// Defaults for what neither the config nor the profile sets.
    pub sampling: Sampling,
    /// Values set explicitly in config: they win over the profile's.
    pub overrides: SamplingPrefs,
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
            overrides: SamplingPrefs::default(),
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

    /// The system turn with `tools` as the chat template renders it (what
    /// `kiln profiles show` counts).
    pub fn render_system(&self, system: &str, tools: &[ToolSpec]) -> Result<String, BackendError> {
        let messages = [Message::System {
            content: system.to_string(),
        }];
        self.render(&messages, tools, false)
    }

    /// The tool-call grammar: lazy, or forced from the first token (then
    /// limited to the request's `first_call_tools`) when answering the user.
    fn grammar(
        &self,
        request: &ChatRequest<'_>,
        format: Format,
        answering_user: bool,
    ) -> Option<LazyGrammar> {
        if !self.settings.constrained || request.tools.is_empty() || request.answer_only {
            return None;
        }
        let forced = self.settings.call_first && answering_user;
        let first = request.first_call_tools;
        let allowed: Vec<ToolSpec> = request
            .tools
            .iter()
            .filter(|t| !forced || first.is_empty() || first.contains(&t.name))
            .cloned()
            .collect();
        grammar::lazy_grammar(format, &allowed).map(|g| LazyGrammar { forced, ..g })
    }

    /// This request's sampling: explicit config, else the profile's, else
    /// the engine defaults.
    fn sampling(&self, profile: SamplingPrefs) -> Sampling {
        let prefs = self.settings.overrides.or(profile);
        let base = &self.settings.sampling;
        Sampling {
            temperature: prefs.temperature.unwrap_or(base.temperature),
            top_k: prefs.top_k.unwrap_or(base.top_k),
            top_p: prefs.top_p.unwrap_or(base.top_p),
            min_p: prefs.min_p.unwrap_or(base.min_p),
            ..base.clone()
        }
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
            parameters: Some(info.n_params),
            context_window: Some(u64::from(info.n_ctx)),
            prices: None,
        }
    }

    fn can_resample(&self) -> bool {
        true
    }

    /// Exact: the request rendered by the model's chat template and
    /// tokenized by its vocabulary (the estimate only if either fails).
    async fn count_prompt(&self, request: &ChatRequest<'_>) -> TokenCount {
        let estimate = || count::estimate_prompt(request);
        let text = match request.tool_calls == ToolCallMode::Text {
            true => self.render(&text_mode_messages(request.messages), &[], true),
            false => self.render(request.messages, request.tools, true),
        };
        let Ok(text) = text else {
            return estimate();
        };
        match self.engine.tokenize(text).await {
            Ok(tokens) => TokenCount::exact(tokens.len() as u64),
            Err(_) => estimate(),
        }
    }

    async fn count_text(&self, text: &str) -> TokenCount {
        match self.engine.tokenize(text.to_string()).await {
            Ok(tokens) => TokenCount::exact(tokens.len() as u64),
            Err(_) => TokenCount::estimate(text),
        }
    }

    async fn complete(
        &self,
        request: ChatRequest<'_>,
        deltas: &mut dyn DeltaSink,
        cancel: &CancellationToken,
    ) -> Result<Completion, BackendError> {
        let mut last = self.last.lock().await;
        // Text mode: the template sees a conversation without tool calls or
        // tools (they are in the system prompt) and calls use Hermes tags.
        let text_mode = request.tool_calls == ToolCallMode::Text;
        let converted;
        let (messages, template_tools, format) = match text_mode {
            true => {
                converted = text_mode_messages(request.messages);
                (&converted[..], &[][..], Format::Hermes)
            }
            false => (request.messages, request.tools, self.format),
        };
        let plan = splice::plan(last.as_ref(), messages, |m, g| {
            self.render(m, template_tools, g)
        })?;
        let answering_user = matches!(messages.last(), Some(Message::User { .. }));
        let grammar = self.grammar(&request, format, answering_user);
        // The system turn with the tools is the same in every session of a
        // workspace: its KV state is what warm starts save and load.
        let warm_prefix = match messages.first() {
            Some(Message::System { .. }) => self.render(&messages[..1], template_tools, false).ok(),
            _ => None,
        };
        let mut parser = StreamParser::with_tools(format, request.tools);
        if let Some(PromptPiece::Text(t)) = plan.pieces.last()
            && prompt_opens_reasoning(t)
        {
            parser.start_in_reasoning();
        }
        let gen_request = GenerateRequest {
            prompt: plan.pieces,
            sampling: resampling(&self.sampling(request.sampling), request.resample),
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
        let mut assistant = Message::Assistant {
            content: completion.text.clone(),
            tool_calls: completion.tool_calls.clone(),
            reasoning: completion.reasoning.clone(),
        };
        if text_mode {
            assistant = text_mode_messages(&[assistant])
                .pop()
                .unwrap_or_else(|| Message::User {
                    content: String::new(),
                });
        }
        *last = eog_text.map(|eog_text| LastTurn {
            history: fingerprint(messages),
            history_len: messages.len(),
            assistant,
            tokens: [output.prompt_tokens.as_slice(), output.generated.as_slice()].concat(),
            prompt_len: output.prompt_tokens.len(),
            eog_text,
        });
        // A final answer ends the task: keep the whole conversation's KV
        // state on disk so `kiln resume` continues warm.
        if output.finish == Finish::Eog && completion.tool_calls.is_empty() {
            self.engine.save_snapshot().await;
        }
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
        sampling: Sampling::default(),
        overrides: SamplingPrefs {
            temperature: cfg.temperature,
            ..SamplingPrefs::default()
        },
        max_tokens: cfg.max_tokens_per_turn.max(1),
        constrained: cfg.constrained_tool_calls,
        call_first: cfg.tool_call_first,
        reuse: cfg.reuse_kv_cache,
    };
    LocalBackend::new(Arc::new(engine), settings).map_err(|e| BuildError::Backend(e.to_string()))
}
