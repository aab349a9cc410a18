//! The status line: backend and model, profile, context used, the local
//! engine's cache reuse and speeds, tokens, and the turn's time.

use std::time::{Duration, Instant};

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use crate::agent::EventKind;
use crate::agent::events::wire_name;
use crate::agent::sink::short as tokens;
use crate::chat::Usage;
use crate::engine::EngineMetrics;

#[derive(Debug, Default)]
pub struct Status {
    provider: String,
    model: String,
    profile: String,
    approval: String,
    context_window: Option<u64>,
    prices: Option<crate::backend::Prices>,
    /// Tokens in the conversation: counted before each request (exact on
    /// the local engine, estimated for endpoints), then the turn's usage.
    context_used: u64,
    /// `context_used` is an estimate.
    context_estimated: bool,
    compactions: u32,
    totals: Usage,
    last_engine: Option<EngineMetrics>,
    last_turn: Option<Duration>,
    /// When the running task started.
    running_since: Option<Instant>,
}

impl Status {
    pub fn apply(&mut self, kind: &EventKind) {
        match kind {
            EventKind::SessionStarted {
                backend,
                profile,
                safety,
                ..
            } => {
                self.provider = backend.provider.clone();
                self.model = backend.model.clone();
                self.context_window = backend.context_window;
                self.prices = backend.prices;
                self.profile = profile.as_ref().map(|p| p.name.clone()).unwrap_or_default();
                self.approval = safety
                    .as_ref()
                    .map(|s| wire_name(&s.approval))
                    .unwrap_or_default();
            }
            EventKind::TurnStarted {
                context: Some(c), ..
            } => {
                self.context_used = c.tokens;
                self.context_estimated = !c.exact;
                if c.window.is_some() {
                    self.context_window = c.window;
                }
            }
            EventKind::Compacted { tokens_after, .. } => {
                self.context_used = tokens_after.tokens;
                self.context_estimated = !tokens_after.exact;
                self.compactions += 1;
            }
            EventKind::TurnCompleted {
                usage,
                duration_ms,
                engine,
                ..
            } => {
                // The backend's own count, where it gave one.
                if usage.prompt_tokens > 0 {
                    self.context_used = usage.prompt_tokens + usage.completion_tokens;
                    self.context_estimated = false;
                }
                self.totals.prompt_tokens += usage.prompt_tokens;
                self.totals.completion_tokens += usage.completion_tokens;
                if let Some(c) = usage.cached_tokens {
                    *self.totals.cached_tokens.get_or_insert(0) += c;
                }
                self.last_engine = engine.clone();
                self.last_turn = Some(Duration::from_millis(*duration_ms));
            }
            _ => {}
        }
    }

    pub fn set_approval(&mut self, policy: &str) {
        self.approval = policy.to_string();
    }

    /// A task started (the clock runs) or ended.
    pub fn set_running(&mut self, running: bool) {
        self.running_since = running.then(Instant::now);
    }

    /// The status line; what matters most comes first, since a narrow
    /// terminal cuts the end off.
    pub fn line(&self) -> Line<'static> {
        let dim = Style::default().fg(Color::DarkGray);
        let mut parts: Vec<Span<'static>> = Vec::new();
        if let Some(since) = self.running_since {
            parts.push(Span::styled(
                format!("⋯ working {}s · Esc interrupts", since.elapsed().as_secs()),
                Style::default().fg(Color::Yellow),
            ));
        }
        parts.push(Span::styled(
            format!("{} {}", self.provider, self.model),
            Style::default().fg(Color::Cyan),
        ));
        let approx = if self.context_estimated { "≈" } else { "" };
        let used = format!("{approx}{}", tokens(self.context_used));
        parts.push(Span::raw(match self.context_window {
            Some(w) if w > 0 => format!(
                "ctx {used}/{} ({}%)",
                tokens(w),
                self.context_used * 100 / w
            ),
            _ => format!("ctx {used}"),
        }));
        if self.compactions > 0 {
            parts.push(Span::raw(format!("compacted ×{}", self.compactions)));
        }
        if let Some(m) = &self.last_engine {
            let reuse = match m.prompt_tokens {
                0 => 0,
                n => m.reused_tokens * 100 / n,
            };
            parts.push(Span::raw(format!(
                "reuse {reuse}% · pp {:.0} tok/s · tg {:.0} tok/s",
                m.prefill_tok_s, m.generation_tok_s
            )));
        } else if self.totals.total() > 0 {
            let cached = self
                .totals
                .cached_tokens
                .map(|c| format!(" ({} cached)", tokens(c)))
                .unwrap_or_default();
            let cost = self
                .prices
                .map(|p| format!(" · ${:.4}", p.cost(&self.totals)))
                .unwrap_or_default();
            parts.push(Span::raw(format!(
                "{} in{cached} / {} out{cost}",
                tokens(self.totals.prompt_tokens),
                tokens(self.totals.completion_tokens)
            )));
        }
        if let (None, Some(t)) = (self.running_since, self.last_turn) {
            parts.push(Span::raw(format!("turn {:.1}s", t.as_secs_f64())));
        }
        if !self.profile.is_empty() {
            parts.push(Span::raw(format!("profile {}", self.profile)));
        }
        if !self.approval.is_empty() {
            parts.push(Span::raw(format!("approval {}", self.approval)));
        }
        let mut spans = Vec::with_capacity(parts.len() * 2);
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(" · ", dim));
            }
            spans.push(part);
        }
        Line::from(spans)
    }
}
