//! Compaction on the in-process engine with real weights (SmolLM2-135M):
//! the summary request reuses the whole conversation's KV cache, and the
//! first request after it reuses the system prompt and tools, prefilling
//! only the summary and the kept turns.
#![cfg(feature = "llama")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/weights.rs"]
mod weights;

use std::sync::{Arc, Mutex};

use kiln::agent::compact::CompactReason;
use kiln::agent::events::Event;
use kiln::agent::{Emitter, EventKind, EventSink, Limits, Session, SessionParts};
use kiln::chat::{Message, ToolCall};
use kiln::engine::EngineMetrics;
use kiln::tools::{ToolContext, ToolLimits, ToolRegistry, Workspace};
use tokio_util::sync::CancellationToken;

struct Collect(Arc<Mutex<Vec<EventKind>>>);

impl EventSink for Collect {
    fn emit(&mut self, event: &Event) {
        self.0.lock().unwrap().push(event.kind.clone());
    }
}

fn turn_engines(events: &[EventKind]) -> Vec<EngineMetrics> {
    events
        .iter()
        .filter_map(|e| match e {
            EventKind::TurnCompleted {
                engine: Some(m), ..
            } => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// Earlier work: a task, a read of a long file and an answer.
fn history() -> Vec<Message> {
    let file: String = (1..=120)
        .map(|i| format!("def helper_{i}(x):\n    return x + {i}\n"))
        .collect();
    vec![
        Message::User {
            content: "Read helpers.py and tell me what helper_7 does.".into(),
        },
        Message::Assistant {
            content: String::new(),
            tool_calls: vec![ToolCall {
                id: "call_1".into(),
                name: "read_file".into(),
                arguments: r#"{"path":"helpers.py"}"#.into(),
            }],
            reasoning: None,
        },
        Message::Tool {
            tool_call_id: "call_1".into(),
            name: "read_file".into(),
            content: file,
        },
        Message::Assistant {
            content: "helper_7 returns its argument plus 7.".into(),
            tool_calls: Vec::new(),
            reasoning: None,
        },
    ]
}

fn specs_for_count() -> Vec<kiln::chat::ToolSpec> {
    ToolRegistry::builtin(kiln::tools::spec::load_specs(None).unwrap())
        .unwrap()
        .specs()
}

#[test]
fn compaction_reuses_the_kv_cache_and_keeps_the_prefix() {
    let _g = weights::lock();
    let Some(backend) = weights::local_backend("smollm2-135m", 48) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let specs = kiln::tools::spec::load_specs(None).unwrap();
    let backend = Arc::new(backend);
    let parts = SessionParts {
        backend: backend.clone(),
        tools: ToolRegistry::builtin(specs).unwrap(),
        system_prompt: "You are a coding assistant.".into(),
        ctx: ToolContext {
            workspace: Workspace::new(dir.path()).unwrap(),
            limits: ToolLimits::default(),
            cancel: CancellationToken::new(),
            reads: Default::default(),
        },
        limits: Limits {
            max_turns: 1,
            ..Limits::default()
        },
        emitter: Emitter::new("s".into(), vec![Box::new(Collect(events.clone()))]),
        profile: Default::default(),
        safety: Default::default(),
    };
    let system_turn = backend
        .render_system("You are a coding assistant.", &specs_for_count())
        .unwrap();
    let mut session = Session::resume(parts, history());
    weights::block_on(async {
        session.run_task("Answer in one word: OK?").await;
        let first = turn_engines(&events.lock().unwrap()).pop().unwrap();
        let done = session.compact(1, CompactReason::User).await.unwrap();
        let (summary_engine, kept) = events
            .lock()
            .unwrap()
            .iter()
            .find_map(|e| match e {
                EventKind::Compacted {
                    summary_engine,
                    kept,
                    ..
                } => Some((summary_engine.clone().unwrap(), *kept)),
                _ => None,
            })
            .unwrap();
        session.run_task("Answer in one word: done?").await;
        let after = turn_engines(&events.lock().unwrap()).pop().unwrap();
        eprintln!(
            "first request: {} prompt tokens ({} prefilled); summary request: {} prompt, {} \
             reused, {} prefilled; compacted {} → {} tokens ({} messages replaced, {kept} kept); \
             next request: {} prompt, {} reused, {} prefilled",
            first.prompt_tokens,
            first.prefilled_tokens,
            summary_engine.prompt_tokens,
            summary_engine.reused_tokens,
            summary_engine.prefilled_tokens,
            done.before.tokens,
            done.after.tokens,
            done.replaced,
            after.prompt_tokens,
            after.reused_tokens,
            after.prefilled_tokens,
        );
        // Exact counts on the local engine.
        assert!(done.before.exact && done.after.exact);
        assert!(done.after.tokens < done.before.tokens / 2, "{done:?}");
        // The summary request is the previous request plus its answer plus
        // one message: everything before that message comes from the cache.
        assert!(
            summary_engine.reused_tokens >= first.prompt_tokens,
            "{summary_engine:?} vs {first:?}"
        );
        assert!(summary_engine.prefilled_tokens < 200, "{summary_engine:?}");
        // After compaction the system turn (prompt and tools) stays cached.
        let system_tokens = backend.engine().tokenize(system_turn).await.unwrap().len() as u64;
        let system = session.context_use().await;
        assert!(
            after.reused_tokens >= system_tokens,
            "{after:?} vs {system_tokens}"
        );
        assert!(
            after.prompt_tokens < first.prompt_tokens,
            "{after:?} vs {first:?}"
        );
        assert!(system.exact);
    });
}
