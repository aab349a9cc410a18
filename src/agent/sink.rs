//! Where events go: JSONL for machines, short progress lines for people.

use std::io::Write;

use time::format_description::well_known::Rfc3339;

use super::events::{Event, EventKind, SCHEMA_VERSION};

/// Consumes events. Implementations must not block for long: the agent loop
/// calls them inline.
pub trait EventSink: Send {
    fn emit(&mut self, event: &Event);
}

/// Stamps events with the envelope and hands them to every sink.
pub struct Emitter {
    session_id: String,
    seq: u64,
    sinks: Vec<Box<dyn EventSink>>,
}

impl Emitter {
    pub fn new(session_id: String, sinks: Vec<Box<dyn EventSink>>) -> Self {
        Self {
            session_id,
            seq: 0,
            sinks,
        }
    }

    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Numbers the next event `seq + 1`: a resumed session continues its
    /// recorded sequence.
    pub fn continue_after(&mut self, seq: u64) {
        self.seq = seq;
    }

    pub fn add_sink(&mut self, sink: Box<dyn EventSink>) {
        self.sinks.push(sink);
    }

    pub fn emit(&mut self, kind: EventKind) {
        self.seq += 1;
        let ts = time::OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        let event = Event {
            v: SCHEMA_VERSION,
            session_id: self.session_id.clone(),
            seq: self.seq,
            ts,
            kind,
        };
        for sink in &mut self.sinks {
            sink.emit(&event);
        }
    }
}

/// One JSON object per line, flushed per event so a killed process loses at
/// most the event in flight. Deltas are skipped unless asked for.
pub struct JsonlSink<W: Write + Send> {
    out: W,
    with_deltas: bool,
}

impl<W: Write + Send> JsonlSink<W> {
    pub fn new(out: W, with_deltas: bool) -> Self {
        Self { out, with_deltas }
    }
}

impl<W: Write + Send> EventSink for JsonlSink<W> {
    fn emit(&mut self, event: &Event) {
        if event.kind.is_delta() && !self.with_deltas {
            return;
        }
        // A closed stdout (e.g. `| head`) must not kill the session.
        if let Ok(line) = serde_json::to_string(event) {
            let _ = writeln!(self.out, "{line}");
            let _ = self.out.flush();
        }
    }
}

/// Human progress for headless runs: one line per turn and tool call.
pub struct ProgressSink<W: Write + Send> {
    out: W,
}

impl<W: Write + Send> ProgressSink<W> {
    pub fn new(out: W) -> Self {
        Self { out }
    }
}

impl<W: Write + Send> EventSink for ProgressSink<W> {
    fn emit(&mut self, event: &Event) {
        if let Some(line) = progress_line(&event.kind) {
            let _ = writeln!(self.out, "{line}");
            let _ = self.out.flush();
        }
    }
}

/// The one-line text of an event for the progress output (the TUI shows
/// some of the same lines as notices).
pub fn progress_line(kind: &EventKind) -> Option<String> {
    Some(match kind {
        EventKind::SessionStarted {
            backend,
            cwd,
            profile,
            safety,
            ..
        } => {
            let profile = profile
                .as_ref()
                .map(|p| format!(" · profile {} ({})", p.name, p.reason))
                .unwrap_or_default();
            let safety = safety.as_ref().map(safety_line).unwrap_or_default();
            format!(
                "kiln: {} · {} · {}{profile}{safety}",
                backend.provider,
                backend.model,
                cwd.display()
            )
        }
        EventKind::ApprovalDecided {
            action, decision, ..
        } => format!(
            "  ! {}: {}",
            super::events::wire_name(decision),
            action.describe()
        ),
        EventKind::SessionResumed {
            from_session,
            messages,
            backend,
            ..
        } => format!(
            "kiln: resumed session {from_session} ({messages} messages) · {} · {}",
            backend.provider, backend.model
        ),
        EventKind::SessionRecorded { path, .. } => {
            let id: String = path
                .file_stem()
                .map(|s| s.to_string_lossy().chars().take(8).collect())
                .unwrap_or_default();
            format!(
                "kiln: session recorded in {} (continue it with `kiln resume {id}`)",
                path.display()
            )
        }
        EventKind::Nudged { reason, .. } => format!("  ! nudged: {reason}"),
        EventKind::CheckCompleted { attempt, run, .. } => match attempt {
            0 => format!("check: {}", run.describe()),
            n => format!("check after attempt {n}: {}", run.describe()),
        },
        EventKind::FixCompleted { summary } => {
            format!("kiln fix: {}", super::events::wire_name(&summary.outcome))
        }
        EventKind::TurnStarted {
            turn,
            context: Some(c),
            ..
        } => format!("── turn {turn} · context {}", context_text(c)),
        EventKind::TurnStarted { turn, .. } => format!("── turn {turn}"),
        EventKind::CompactionStarted { tokens, .. } => format!(
            "  ⇣ compacting the conversation ({}{} tokens)…",
            approx(tokens.exact),
            tokens.tokens
        ),
        EventKind::Compacted {
            replaced,
            tokens_before,
            tokens_after,
            summary_by,
            ..
        } => format!(
            "  ⇣ compacted: {replaced} messages summarised ({}), {}{} → {}{} tokens",
            super::events::wire_name(summary_by),
            approx(tokens_before.exact),
            tokens_before.tokens,
            approx(tokens_after.exact),
            tokens_after.tokens
        ),
        EventKind::RepoMapAdded {
            tokens,
            files_shown,
            files,
            ..
        } => format!("  ⌘ repo map: {files_shown} of {files} source files, ≈{tokens} tokens"),
        EventKind::AssistantMessage {
            text, tool_calls, ..
        } if !tool_calls.is_empty() && !text.trim().is_empty() => {
            format!("  {}", one_line(text, 200))
        }
        EventKind::ToolCallStarted {
            name, arguments, ..
        } => format!("  → {name} {}", one_line(arguments, 160)),
        EventKind::ToolCallCompleted {
            ok,
            error_kind,
            output,
            duration_ms,
            ..
        } => {
            if *ok {
                format!("    ✓ {duration_ms} ms")
            } else {
                format!(
                    "    ✗ {}: {}",
                    error_kind.as_deref().unwrap_or("error"),
                    one_line(output, 200)
                )
            }
        }
        EventKind::BackendRetry {
            attempt,
            delay_ms,
            reason,
            ..
        } => format!("  ! retry {attempt} in {delay_ms} ms: {reason}"),
        EventKind::LoopGuard { name, repeats, .. } => {
            format!("  ! loop guard: the same `{name}` call {repeats} times")
        }
        EventKind::Resampled {
            attempt, reason, ..
        } => format!("  ! sampled again ({attempt}): {reason}"),
        EventKind::PrefixBroken {
            at_message, reason, ..
        } => format!("  ! prompt prefix broken at message {at_message}: {reason}"),
        EventKind::Warning { message } => format!("  ! {message}"),
        EventKind::CheckpointCreated {
            checkpoint,
            files,
            duration_ms,
            ..
        } => format!(
            "  ⟲ checkpoint {} ({files} files, {duration_ms} ms)",
            checkpoint
                .get(..crate::checkpoint::SHORT_ID)
                .unwrap_or(checkpoint)
        ),
        EventKind::FilesRestored { checkpoint, files } => format!(
            "  ⟲ restored checkpoint {}: {} files",
            checkpoint
                .get(..crate::checkpoint::SHORT_ID)
                .unwrap_or(checkpoint),
            files.len()
        ),
        EventKind::SessionCompleted {
            outcome,
            error,
            stats,
            ..
        } => {
            let mut line = format!(
                "kiln: {:?} after {} turns, {} tool calls, {} tokens, {:.1}s",
                outcome,
                stats.turns,
                stats.tool_calls,
                stats.usage.total(),
                stats.wall_ms as f64 / 1000.0
            );
            if let Some(e) = error {
                line.push_str(&format!("\nkiln: error: {e}"));
            }
            if stats.approvals_refused > 0 {
                line.push_str(&format!(
                    "\nkiln: {} tool call(s) did not run: the approval policy refused them \
                     (headless runs cannot ask). Allow them with `--approval full` or \
                     `allow_commands` in the config",
                    stats.approvals_refused
                ));
            }
            line
        }
        _ => return None,
    })
}

fn safety_line(s: &super::events::SafetyInfo) -> String {
    let sandbox = match &s.sandbox {
        Some(sb) if sb.kind == "landlock" && !sb.network => "landlock, no network".to_string(),
        Some(sb) => sb.kind.clone(),
        None => "off".into(),
    };
    format!(
        " · approval {} · sandbox {sandbox}",
        super::events::wire_name(&s.approval)
    )
}

fn one_line(text: &str, max_chars: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.trim();
    if flat.chars().count() <= max_chars {
        flat.to_string()
    } else {
        let cut: String = flat.chars().take(max_chars).collect();
        format!("{cut}…")
    }
}

/// `1.2k/8k tokens (15%)`, `≈1.2k tokens` where the window is unknown.
pub fn context_text(c: &super::context::ContextUse) -> String {
    let used = format!("{}{}", approx(c.exact), short(c.tokens));
    match c.window {
        Some(w) if w > 0 => format!(
            "{used}/{} tokens ({}%)",
            short(w),
            (c.tokens * 100).div_ceil(w)
        ),
        _ => format!("{used} tokens"),
    }
}

fn approx(exact: bool) -> &'static str {
    if exact { "" } else { "≈" }
}

/// A token count for a status line: 1234 → "1.2k".
pub fn short(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1_000.0),
        _ => format!("{:.1}M", n as f64 / 1_000_000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn jsonl_has_envelope_and_skips_deltas() {
        let buf = Shared::default();
        let mut em = Emitter::new(
            "s1".into(),
            vec![Box::new(JsonlSink::new(buf.clone(), false))],
        );
        em.emit(EventKind::TurnStarted {
            turn: 1,
            messages: 2,
            context: None,
        });
        em.emit(EventKind::AssistantDelta {
            turn: 1,
            text: "x".into(),
        });
        em.emit(EventKind::Warning {
            message: "w".into(),
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["v"], 1);
        assert_eq!(lines[0]["type"], "turn_started");
        assert_eq!(lines[0]["session_id"], "s1");
        assert_eq!(lines[0]["seq"], 1);
        assert_eq!(
            lines[1]["seq"], 3,
            "seq counts every event, even skipped deltas"
        );
        assert!(lines[0]["ts"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn one_line_flattens_and_cuts() {
        assert_eq!(one_line("a\nb", 10), "a b");
        assert_eq!(one_line("ééééé", 3), "ééé…");
    }
}
