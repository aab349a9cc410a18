//! The status line: backend and model, profile, context used, the local
//! engine's cache reuse and speeds, tokens, and the turn's time.

use std::time::{Duration, Instant};

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use crate::agent::EventKind;
use crate::agent::events::wire_name;
use crate::chat::Usage;
use crate::engine::EngineMetrics;

#[derive(Debug, Default)]
pub struct Status {
    provider: String,
    model: String,
    profile: String,
    approval: String,
    context_window: Option<u64>,
    /// Tokens in the conversation after the last turn.
    context_used: u64,
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
                self.profile = profile.as_ref().map(|p| p.name.clone()).unwrap_or_default();
                self.approval = safety
                    .as_ref()
                    .map(|s| wire_name(&s.approval))
                    .unwrap_or_default();
            }
            EventKind::UserMessage { .. } => {
                self.running_since = Some(Instant::now());
            }
            EventKind::TurnCompleted {
                usage,
                duration_ms,
                engine,
                ..
            } => {
                self.context_used = usage.prompt_tokens + usage.completion_tokens;
                self.totals.prompt_tokens += usage.prompt_tokens;
                self.totals.completion_tokens += usage.completion_tokens;
                if let Some(c) = usage.cached_tokens {
                    *self.totals.cached_tokens.get_or_insert(0) += c;
                }
                self.last_engine = engine.clone();
                self.last_turn = Some(Duration::from_millis(*duration_ms));
            }
            EventKind::SessionCompleted { .. } => self.running_since = None,
            _ => {}
        }
    }

    pub fn set_approval(&mut self, policy: &str) {
        self.approval = policy.to_string();
    }

    pub fn running(&self) -> bool {
        self.running_since.is_some()
    }

    pub fn line(&self) -> Line<'static> {
        let dim = Style::default().fg(Color::DarkGray);
        let sep = || Span::styled(" · ", dim);
        let mut spans = vec![
            Span::styled(
                format!("{} {}", self.provider, self.model),
                Style::default().fg(Color::Cyan),
            ),
            sep(),
            Span::raw(format!("profile {}", self.profile)),
            sep(),
            Span::raw(format!("approval {}", self.approval)),
            sep(),
        ];
        let used = tokens(self.context_used);
        spans.push(Span::raw(match self.context_window {
            Some(w) if w > 0 => format!(
                "ctx {used}/{} ({}%)",
                tokens(w),
                self.context_used * 100 / w
            ),
            _ => format!("ctx {used}"),
        }));
        if let Some(m) = &self.last_engine {
            let reuse = match m.prompt_tokens {
                0 => 0,
                n => m.reused_tokens * 100 / n,
            };
            spans.push(sep());
            spans.push(Span::raw(format!(
                "reuse {reuse}% · pp {:.0} tok/s · tg {:.0} tok/s",
                m.prefill_tok_s, m.generation_tok_s
            )));
        } else if self.totals.total() > 0 {
            spans.push(sep());
            let cached = self
                .totals
                .cached_tokens
                .map(|c| format!(" ({} cached)", tokens(c)))
                .unwrap_or_default();
            spans.push(Span::raw(format!(
                "{} in{cached} / {} out",
                tokens(self.totals.prompt_tokens),
                tokens(self.totals.completion_tokens)
            )));
        }
        match (self.running_since, self.last_turn) {
            (Some(since), _) => {
                spans.push(sep());
                spans.push(Span::styled(
                    format!("working {}s · Esc interrupts", since.elapsed().as_secs()),
                    Style::default().fg(Color::Yellow),
                ));
            }
            (None, Some(t)) => {
                spans.push(sep());
                spans.push(Span::raw(format!("turn {:.1}s", t.as_secs_f64())));
            }
            (None, None) => {}
        }
        Line::from(spans)
    }
}

/// 1234 → "1.2k".
fn tokens(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1_000.0),
        _ => format!("{:.1}M", n as f64 / 1_000_000.0),
    }
}
