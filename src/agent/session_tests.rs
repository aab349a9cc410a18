//! The loop's own decisions, against a small in-test backend.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::agent::events::Event;
use crate::agent::sink::EventSink;
use crate::backend::{BackendError, BackendInfo, DeltaSink};
use crate::tools::workspace::Workspace;
use crate::tools::{ToolContext, ToolLimits};

/// Answers like a greedy model stuck on one broken call: the same edit of a
/// file that does not exist on every first sample, a final answer once
/// asked to sample again.
struct Stuck {
    resamples_seen: Mutex<Vec<u32>>,
    can_resample: bool,
}

#[async_trait]
impl Backend for Stuck {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            provider: "test".into(),
            model: "stuck".into(),
            base_url: None,
        }
    }

    fn can_resample(&self) -> bool {
        self.can_resample
    }

    async fn complete(
        &self,
        request: ChatRequest<'_>,
        _deltas: &mut dyn DeltaSink,
        _cancel: &CancellationToken,
    ) -> Result<Completion, BackendError> {
        self.resamples_seen.lock().unwrap().push(request.resample);
        let (text, tool_calls) = if request.resample == 0 {
            let call = ToolCall {
                id: format!("call_{}", request.messages.len()),
                name: "edit_file".into(),
                arguments: r#"{"path":"missing.py","old_string":"a","new_string":"b"}"#.into(),
            };
            (String::new(), vec![call])
        } else {
            ("done".to_string(), Vec::new())
        };
        Ok(Completion {
            text,
            reasoning: None,
            tool_calls,
            usage: Default::default(),
            finish: FinishReason::Stop,
            engine: None,
        })
    }
}

struct Collect(Arc<Mutex<Vec<EventKind>>>);

impl EventSink for Collect {
    fn emit(&mut self, event: &Event) {
        self.0.lock().unwrap().push(event.kind.clone());
    }
}

async fn run(can_resample: bool) -> (SessionEnd, Vec<u32>, Vec<EventKind>, Vec<Message>) {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(Stuck {
        resamples_seen: Mutex::new(Vec::new()),
        can_resample,
    });
    let events = Arc::new(Mutex::new(Vec::new()));
    let specs = crate::tools::spec::load_specs(None).unwrap();
    let mut session = Session::new(SessionParts {
        backend: backend.clone(),
        tools: ToolRegistry::builtin(specs).unwrap(),
        system_prompt: "system".into(),
        ctx: ToolContext {
            workspace: Workspace::new(dir.path()).unwrap(),
            limits: ToolLimits::default(),
            cancel: CancellationToken::new(),
            reads: Default::default(),
        },
        limits: Limits {
            max_turns: 6,
            loop_guard_give_up: 3,
            ..Limits::default()
        },
        emitter: Emitter::new("s".into(), vec![Box::new(Collect(events.clone()))]),
    });
    session.start();
    let end = session.run_task("fix it").await;
    let seen = backend.resamples_seen.lock().unwrap().clone();
    let events = events.lock().unwrap().clone();
    (end, seen, events, session.messages().to_vec())
}

#[tokio::test]
async fn a_repeated_failed_call_is_discarded_and_sampled_again() {
    let (end, seen, events, messages) = run(true).await;
    assert_eq!(end.outcome, Outcome::Done, "{:?}", end.error);
    // Turn 1 fails; turn 2 repeats it (discarded) and is sampled again.
    assert_eq!(seen, vec![0, 0, 1]);
    let resampled: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, EventKind::Resampled { .. }))
        .collect();
    assert_eq!(resampled.len(), 1, "{events:?}");
    // The discarded answer never entered the conversation.
    let assistants = messages
        .iter()
        .filter(|m| matches!(m, Message::Assistant { .. }))
        .count();
    assert_eq!(assistants, 2, "{messages:?}");
    assert!(
        matches!(messages.last(), Some(Message::Assistant { content, .. }) if content == "done")
    );
}

#[tokio::test]
async fn without_resampling_the_loop_guard_ends_the_session() {
    let (end, seen, _, _) = run(false).await;
    assert_eq!(end.outcome, Outcome::Failed);
    assert!(end.error.unwrap().contains("loop guard"));
    assert_eq!(seen, vec![0, 0, 0]);
}
