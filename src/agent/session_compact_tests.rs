//! Compaction through the real loop and tools, against a backend that
//! answers from a list and records every request.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::agent::compact::SUMMARY_REQUEST;
use crate::agent::context::CompactAt;
use crate::agent::events::Event;
use crate::agent::sink::EventSink;
use crate::backend::count::TokenCount;
use crate::backend::{BackendError, BackendInfo, DeltaSink};
use crate::tools::workspace::Workspace;
use crate::tools::{ToolContext, ToolLimits};

struct Listed {
    answers: Mutex<VecDeque<Completion>>,
    requests: Mutex<Vec<(Vec<Message>, bool)>>,
    window: u64,
    /// Counts exactly, one token per byte (a tokenizer far worse than
    /// the estimate), when set.
    bytes_are_tokens: bool,
}

#[async_trait]
impl Backend for Listed {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            provider: "test".into(),
            model: "listed".into(),
            base_url: None,
            parameters: None,
            context_window: Some(self.window),
            prices: None,
        }
    }

    async fn count_text(&self, text: &str) -> TokenCount {
        match self.bytes_are_tokens {
            true => TokenCount::exact(text.len() as u64),
            false => TokenCount::estimate(text),
        }
    }

    async fn complete(
        &self,
        request: ChatRequest<'_>,
        _deltas: &mut dyn DeltaSink,
        _cancel: &CancellationToken,
    ) -> Result<Completion, BackendError> {
        self.requests
            .lock()
            .unwrap()
            .push((request.messages.to_vec(), request.answer_only));
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .ok_or_else(|| BackendError::Protocol("no more answers".into()))
    }
}

fn answer(text: &str, calls: &[(&str, serde_json::Value)]) -> Completion {
    Completion {
        text: text.into(),
        reasoning: None,
        tool_calls: calls
            .iter()
            .enumerate()
            .map(|(i, (name, args))| ToolCall {
                id: format!("{name}_{i}_{}", args.to_string().len()),
                name: name.to_string(),
                arguments: args.to_string(),
            })
            .collect(),
        usage: Default::default(),
        finish: FinishReason::Stop,
        engine: None,
    }
}

struct Collect(Arc<Mutex<Vec<EventKind>>>);

impl EventSink for Collect {
    fn emit(&mut self, event: &Event) {
        self.0.lock().unwrap().push(event.kind.clone());
    }
}

struct Run {
    end: SessionEnd,
    requests: Vec<(Vec<Message>, bool)>,
    events: Vec<EventKind>,
    messages: Vec<Message>,
}

/// The prompt of the first request: the system prompt, the tools and the
/// task (the tests' thresholds and windows are set above it).
fn base() -> u64 {
    let specs = crate::tools::spec::load_specs(None).unwrap();
    let messages = [
        Message::System {
            content: "system".into(),
        },
        Message::User {
            content: "Please fix the parser in src/p.rs".into(),
        },
    ];
    crate::backend::count::estimate_prompt(&ChatRequest::new(&messages, &specs)).tokens
}

async fn run(answers: Vec<Completion>, window: u64, at: CompactAt, big: usize) -> Run {
    let (window, at) = (
        window + base(),
        match at {
            CompactAt::Tokens(n) => CompactAt::Tokens(n + base()),
            f => f,
        },
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("big.txt"),
        "line of the big file\n".repeat(big),
    )
    .unwrap();
    let backend = Arc::new(Listed {
        answers: Mutex::new(answers.into()),
        requests: Mutex::new(Vec::new()),
        window,
        bytes_are_tokens: false,
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
            max_turns: 10,
            compact_at: Some(at),
            ..Limits::default()
        },
        emitter: Emitter::new("s".into(), vec![Box::new(Collect(events.clone()))]),
        profile: Default::default(),
        safety: Default::default(),
    });
    session.start();
    let end = session.run_task("Please fix the parser in src/p.rs").await;
    Run {
        end,
        requests: backend.requests.lock().unwrap().clone(),
        events: events.lock().unwrap().clone(),
        messages: session.messages().to_vec(),
    }
}

fn work() -> Vec<Completion> {
    vec![
        answer(
            "",
            &[(
                "write_file",
                serde_json::json!({"path": "notes/a.txt", "content": "A\n".repeat(1_500)}),
            )],
        ),
        answer("", &[("read_file", serde_json::json!({"path": "big.txt"}))]),
        // The written file's 3,000 bytes passed the compaction point: the
        // summary comes next.
        answer("The parser fails on empty input; wrote notes/a.txt.", &[]),
        answer("", &[("list_files", serde_json::json!({}))]),
        answer("All done.", &[]),
    ]
}

#[tokio::test]
async fn compaction_keeps_task_latest_results_and_edited_files() {
    let r = run(work(), 100_000, CompactAt::Tokens(1_000), 3).await;
    assert_eq!(r.end.outcome, Outcome::Done, "{:?}", r.end);
    assert_eq!(r.requests.len(), 5);
    // The summary request extends the conversation it summarises: the
    // whole conversation so far is its prefix (KV and prompt caches hit).
    let (summary_req, answer_only) = &r.requests[2];
    assert!(*answer_only);
    let n = summary_req.len() - 1;
    assert_eq!(
        n, 6,
        "system, task, write call + result, read call + result"
    );
    assert!(matches!(
        &summary_req[n],
        Message::User { content } if content == SUMMARY_REQUEST
    ));
    assert_eq!(&r.requests[1].0[..], &summary_req[..4]);
    // After: the system prompt, then the summary message with the task and
    // every edited path, then the latest turn verbatim.
    let (after, answer_only) = &r.requests[3];
    assert!(!*answer_only);
    assert_eq!(after[0], summary_req[0]);
    let Message::User { content } = &after[1] else {
        panic!("{:?}", after[1]);
    };
    assert!(
        content.contains("Please fix the parser in src/p.rs"),
        "{content}"
    );
    assert!(content.contains("The parser fails on empty input"));
    assert!(content.contains("- notes/a.txt"));
    assert_eq!(
        &after[2..],
        &summary_req[4..6],
        "the latest turn is kept verbatim"
    );
    assert!(
        matches!(&after[3], Message::Tool { content, .. } if content.contains("line of the big file"))
    );
    // The next turn grows the compacted conversation.
    assert_eq!(&r.requests[4].0[..4], &after[..]);
    // Reported as compaction and as the one planned prefix break.
    let compacted = r
        .events
        .iter()
        .find_map(|e| match e {
            EventKind::Compacted {
                replaced,
                kept,
                tokens_before,
                tokens_after,
                ..
            } => Some((*replaced, *kept, *tokens_before, *tokens_after)),
            _ => None,
        })
        .unwrap();
    assert_eq!(compacted.1, 2);
    assert!(compacted.3.tokens < compacted.2.tokens, "{compacted:?}");
    assert!(r.events.iter().any(|e| matches!(
        e,
        EventKind::PrefixBroken { reason, .. } if reason.contains("compaction")
    )));
    let contexts: Vec<u64> = r
        .events
        .iter()
        .filter_map(|e| match e {
            EventKind::TurnStarted {
                context: Some(c), ..
            } => Some(c.tokens),
            _ => None,
        })
        .collect();
    assert_eq!(contexts.len(), 4);
    assert!(contexts[2] + 500 < contexts[1], "{contexts:?}");
    assert_eq!(r.messages.len(), 7, "{:?}", r.messages);
}

#[tokio::test]
async fn a_failed_summary_falls_back_to_kilns_own() {
    let mut answers = work();
    answers[2] = answer("", &[]);
    let r = run(answers, 100_000, CompactAt::Tokens(1_000), 3).await;
    assert_eq!(r.end.outcome, Outcome::Done, "{:?}", r.end);
    let Message::User { content } = &r.requests[3].0[1] else {
        panic!()
    };
    assert!(content.contains("- write_file"), "{content}");
    assert!(content.contains("- notes/a.txt"));
}

#[tokio::test]
async fn a_conversation_that_cannot_fit_stops_with_a_clear_error() {
    // The latest tool result alone overflows a 1,000-token window.
    let answers = vec![
        answer("", &[("read_file", serde_json::json!({"path": "big.txt"}))]),
        answer("never sent", &[]),
    ];
    let r = run(answers, 1_000, CompactAt::Fraction(0.8), 400).await;
    assert_eq!(r.end.outcome, Outcome::ContextExhausted);
    let error = r.end.error.unwrap();
    let window = 1_000 + base();
    assert!(
        error.contains(&format!("context window holds {window}")),
        "{error}"
    );
    // Only the first request was sent: no request past the window.
    assert_eq!(r.requests.len(), 1);
}

#[tokio::test]
async fn outputs_are_cut_to_the_token_budget_where_counts_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (1..=200).map(|i| format!("line {i:04}\n")).collect();
    std::fs::write(dir.path().join("f.txt"), &text).unwrap();
    let mut results = Vec::new();
    for exact in [false, true] {
        let backend = Arc::new(Listed {
            answers: Mutex::new(
                vec![
                    answer(
                        "",
                        &[("shell", serde_json::json!({"command": "cat f.txt"}))],
                    ),
                    answer("done", &[]),
                ]
                .into(),
            ),
            requests: Mutex::new(Vec::new()),
            window: 100_000,
            bytes_are_tokens: exact,
        });
        let events = Arc::new(Mutex::new(Vec::new()));
        let specs = crate::tools::spec::load_specs(None).unwrap();
        let mut session = Session::new(SessionParts {
            backend: backend.clone(),
            tools: ToolRegistry::builtin(specs).unwrap(),
            system_prompt: "system".into(),
            ctx: ToolContext {
                workspace: Workspace::new(dir.path()).unwrap(),
                // 3,000 bytes: a budget of 1,000 tokens at the estimate.
                limits: ToolLimits {
                    max_output_bytes: 3_000,
                    ..ToolLimits::default()
                },
                cancel: CancellationToken::new(),
                reads: Default::default(),
            },
            limits: Limits::default(),
            emitter: Emitter::new("s".into(), vec![Box::new(Collect(events.clone()))]),
            profile: Default::default(),
            safety: Default::default(),
        });
        session.run_task("show f.txt").await;
        let seen = session
            .messages()
            .iter()
            .find_map(|m| match m {
                Message::Tool { content, .. } => Some(content.clone()),
                _ => None,
            })
            .unwrap();
        let full = events
            .lock()
            .unwrap()
            .iter()
            .find_map(|e| match e {
                EventKind::ToolCallCompleted { output, .. } => Some(output.clone()),
                _ => None,
            })
            .unwrap();
        assert!(full.contains("line 0100\n"), "events keep the full output");
        results.push(seen);
    }
    // The estimate lets 2,000 bytes through a 3,000-byte budget; counted
    // at a token per byte they are cut to the 1,000-token budget, head and
    // tail kept, with the marker.
    assert!(results[0].contains("line 0100\n") && !results[0].contains("omitted"));
    assert!(results[1].len() <= 1_000, "{}", results[1].len());
    assert!(results[1].contains("line 0001\n") && results[1].contains("line 0200"));
    assert!(results[1].contains("tokens) omitted"), "{}", results[1]);
}
