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
            parameters: None,
            context_window: None,
            prices: None,
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
        profile: Default::default(),
        safety: Default::default(),
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

/// A scripted session under a scaffold, with real tools in a tempdir.
async fn scaffolded(turns: serde_json::Value) -> (SessionEnd, Vec<EventKind>, Vec<Message>) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.json");
    std::fs::write(&script, serde_json::json!({ "turns": turns }).to_string()).unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let backend = crate::backend::scripted::ScriptedBackend::from_file(&script).unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let profile = crate::profile::Catalog::builtin()
        .unwrap()
        .get("local-small")
        .unwrap();
    let specs = crate::tools::spec::load_specs(None).unwrap();
    let mut session = Session::new(SessionParts {
        backend: Arc::new(backend),
        tools: ToolRegistry::builtin(specs).unwrap(),
        system_prompt: "system".into(),
        ctx: ToolContext {
            workspace: Workspace::new(&work).unwrap(),
            limits: ToolLimits::default(),
            cancel: CancellationToken::new(),
            reads: Default::default(),
        },
        limits: Limits::default(),
        emitter: Emitter::new("s".into(), vec![Box::new(Collect(events.clone()))]),
        profile: SessionProfile {
            info: Some(profile.info("test")),
            scaffold: profile.scaffold.clone(),
            ..Default::default()
        },
        safety: Default::default(),
    });
    session.start();
    let end = session.run_task("make the check pass").await;
    let events = events.lock().unwrap().clone();
    (end, events, session.messages().to_vec())
}

fn tool_results(messages: &[Message]) -> Vec<&str> {
    messages
        .iter()
        .filter_map(|m| match m {
            Message::Tool { content, .. } => Some(content.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn scaffold_nudges_hints_and_says_when_done() {
    let (end, events, messages) = scaffolded(serde_json::json!([
        { "tool_calls": [{ "name": "shell", "arguments": { "command": "exit 3" } }] },
        { "text": "All good." },
        { "tool_calls": [{ "name": "read_file", "arguments": { "path": "missing.txt" } }] },
        { "tool_calls": [{ "name": "write_file", "arguments": { "path": "fix.txt", "content": "x\n" } }] },
        { "tool_calls": [{ "name": "shell", "arguments": { "command": "true" } }] },
        { "text": "Fixed." }
    ]))
    .await;
    assert_eq!(end.outcome, Outcome::Done, "{:?}", end.error);
    assert_eq!(end.final_answer.as_deref(), Some("Fixed."));
    let nudges: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            EventKind::Nudged { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(nudges.len(), 1, "{events:?}");
    assert!(nudges[0].contains("`exit 3`") && nudges[0].contains("exit code 3"));
    let nudge = messages
        .iter()
        .find_map(|m| match m {
            Message::User { content } if content.contains("not finished") => Some(content),
            _ => None,
        })
        .expect("the nudge is a user message");
    assert!(nudge.contains("exit code 3"), "{nudge}");
    let results = tool_results(&messages);
    assert!(
        results[1].contains("call list_files"),
        "not_found hint: {}",
        results[1]
    );
    assert!(!results[2].contains("you are done"), "{}", results[2]);
    assert!(
        results[3].contains("you are done"),
        "done hint: {}",
        results[3]
    );
    assert!(
        !results[0].contains("you are done"),
        "a failing check: {}",
        results[0]
    );
}

#[tokio::test]
async fn a_model_that_answers_again_after_a_nudge_is_believed() {
    let (end, events, _) = scaffolded(serde_json::json!([
        { "text": "Hello! What should I do?" },
        { "text": "I need more details." }
    ]))
    .await;
    assert_eq!(end.outcome, Outcome::Done, "{:?}", end.error);
    assert_eq!(end.final_answer.as_deref(), Some("I need more details."));
    let nudged = events
        .iter()
        .filter(|e| matches!(e, EventKind::Nudged { .. }))
        .count();
    assert_eq!(nudged, 1);
}
