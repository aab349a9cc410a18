//! Replay against real sessions: the scripted backend drives the real loop
//! and tools while a [`FileSink`] records; the replayed conversation must
//! equal the one the session sent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::agent::{Emitter, Limits, Scaffold, Session, SessionParts, SessionProfile};
use crate::backend::scripted::ScriptedBackend;
use crate::sessions::FileSink;
use crate::tools::{ToolContext, ToolLimits, ToolRegistry, Workspace};

fn session(dir: &Path, turns: serde_json::Value, file: &Path) -> Session {
    let script = dir.join(format!("script-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&script, json!({ "turns": turns }).to_string()).unwrap();
    let specs = crate::tools::spec::load_specs(None).unwrap();
    let sink = FileSink::create(file).unwrap();
    let scaffold = Scaffold {
        max_nudges: 1,
        nudge: Some("Not done: {reason}. Keep going.".into()),
        hints: [(
            "not_found".to_string(),
            "Hint: list_files first.".to_string(),
        )]
        .into(),
        ..Scaffold::default()
    };
    Session::new(SessionParts {
        backend: Arc::new(ScriptedBackend::from_file(&script).unwrap()),
        tools: ToolRegistry::builtin(specs).unwrap(),
        system_prompt: "system".into(),
        ctx: ToolContext {
            workspace: Workspace::new(&dir.join("ws")).unwrap(),
            limits: ToolLimits {
                max_output_lines: 10,
                ..ToolLimits::default()
            },
            cancel: CancellationToken::new(),
            reads: Default::default(),
        },
        limits: Limits::default(),
        emitter: Emitter::new("s".into(), vec![Box::new(sink)]),
        safety: Default::default(),
        profile: SessionProfile {
            scaffold,
            ..SessionProfile::default()
        },
    })
}

fn replayed(file: &Path) -> Replayed {
    replay(&SessionLog::read(file).unwrap()).unwrap()
}

#[tokio::test]
async fn replay_rebuilds_exactly_what_the_model_saw() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ws")).unwrap();
    let long: String = (1..=50).map(|i| format!("line {i}\n")).collect();
    std::fs::write(dir.path().join("ws/long.txt"), &long).unwrap();
    let file = dir.path().join("s.jsonl");
    let mut s = session(
        dir.path(),
        json!([
            // A truncated output, a failure with a hint, an invalid call.
            { "text": "Looking.", "reasoning": "think", "tool_calls": [
                { "name": "read_file", "arguments": { "path": "long.txt" } },
                { "name": "read_file", "arguments": { "path": "missing.txt" } },
                { "name": "read_file", "arguments": "{broken" } ] },
            // A change, then an answer without checking it: nudged.
            { "tool_calls": [{ "name": "write_file", "arguments": { "path": "b.txt", "content": "b\n" } }] },
            { "text": "Done, I think." },
            { "text": "Really done." },
            // The second task: nudged too (nothing looked at yet).
            { "text": "Second." },
            { "text": "Second, really." }
        ]),
        &file,
    );
    s.start();
    assert_eq!(
        s.run_task("first").await.final_answer.as_deref(),
        Some("Really done.")
    );
    assert_eq!(
        s.run_task("second").await.final_answer.as_deref(),
        Some("Second, really.")
    );
    let sent = &s.messages()[1..];
    let r = replayed(&file);
    assert_eq!(r.interrupted_calls, 0);
    assert_eq!(r.history, sent);
    // The cases that make `for_model` matter really happened.
    let tool_texts: Vec<&str> = sent
        .iter()
        .filter_map(|m| match m {
            Message::Tool { content, .. } => Some(content.as_str()),
            _ => None,
        })
        .collect();
    assert!(tool_texts[0].len() < long.len() + 300 && !tool_texts[0].contains("line 30\n"));
    assert!(tool_texts[1].contains("Hint: list_files first."));
    assert!(
        sent.iter()
            .any(|m| matches!(m, Message::User { content } if content.starts_with("Not done:")))
    );
}

#[tokio::test]
async fn replay_follows_a_repo_map_and_a_compaction() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ws")).unwrap();
    let file = dir.path().join("s.jsonl");
    let big = "x\n".repeat(3_000);
    let mut s = session(
        dir.path(),
        json!([
            { "tool_calls": [{ "name": "write_file", "arguments": { "path": "big.txt", "content": big } }] },
            { "tool_calls": [{ "name": "list_files", "arguments": {} }] },
            { "text": "Summary: wrote big.txt." },
            // Nudged once: the change was never checked.
            { "text": "Done." },
            { "text": "Really done." }
        ]),
        &file,
    );
    s.limits_mut().compact_at = Some(crate::agent::context::CompactAt::Tokens(2_500));
    s.start();
    s.add_repo_map("# Repo map\nsrc/lib.rs:\n  1: fn main()".into(), 1, 1);
    let end = s.run_task("write it").await;
    assert_eq!(end.final_answer.as_deref(), Some("Really done."), "{end:?}");
    assert_eq!(s.stats().compactions, 1);
    let sent = &s.messages()[1..];
    assert!(
        matches!(&sent[0], Message::User { content } if content.contains("Summary: wrote big.txt.") && content.contains("- big.txt"))
    );
    let r = replayed(&file);
    assert_eq!(r.history, sent);
    assert_eq!(r.tasks, ["write it"]);
    assert_eq!(r.edited, [std::path::PathBuf::from("big.txt")]);
}

#[tokio::test]
async fn a_resumed_session_appends_and_replays_whole() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ws")).unwrap();
    let file = dir.path().join("s.jsonl");
    let mut s = session(
        dir.path(),
        json!([{ "text": "One." }, { "text": "One, really." }]),
        &file,
    );
    s.start();
    s.run_task("first").await;
    let before = s.messages().to_vec();
    drop(s);

    let (sink, log) = FileSink::resume(&file).unwrap();
    let history = replay(&log).unwrap().history;
    assert_eq!(history, before[1..]);
    let script = dir.path().join("two.json");
    std::fs::write(
        &script,
        json!({ "turns": [{ "text": "Two." }] }).to_string(),
    )
    .unwrap();
    let mut emitter = Emitter::new("s".into(), vec![Box::new(sink)]);
    emitter.continue_after(log.last_seq());
    let mut resumed = Session::resume(
        SessionParts {
            backend: Arc::new(ScriptedBackend::from_file(&script).unwrap()),
            tools: ToolRegistry::builtin(crate::tools::spec::load_specs(None).unwrap()).unwrap(),
            system_prompt: "system".into(),
            ctx: ToolContext {
                workspace: Workspace::new(&dir.path().join("ws")).unwrap(),
                limits: ToolLimits::default(),
                cancel: CancellationToken::new(),
                reads: Default::default(),
            },
            limits: Limits::default(),
            safety: Default::default(),
            emitter,
            profile: SessionProfile::default(),
        },
        history,
    );
    assert_eq!(
        resumed.messages(),
        before,
        "the system prompt comes first again"
    );
    resumed.start_resumed("s");
    resumed.run_task("second").await;
    let log = SessionLog::read(&file).unwrap();
    let resumed_at = log
        .records
        .iter()
        .position(|r| r.kind() == "session_resumed")
        .unwrap();
    assert_eq!(log.records[resumed_at].value["messages"], before.len());
    assert_eq!(replay(&log).unwrap().history, resumed.messages()[1..]);
}

fn parse(lines: &[serde_json::Value]) -> SessionLog {
    let text: String = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut l = l.clone();
            l["v"] = json!(1);
            l["session_id"] = json!("s");
            l["seq"] = json!(i + 1);
            format!("{l}\n")
        })
        .collect();
    SessionLog::parse(Path::new("/x/s.jsonl"), text.as_bytes()).unwrap()
}

fn call(id: &str) -> serde_json::Value {
    json!({ "id": id, "name": "shell", "arguments": "{\"command\":\"sleep 30\"}" })
}

#[test]
fn calls_without_results_get_an_interrupted_result() {
    let log = parse(&[
        json!({ "type": "user_message", "text": "go" }),
        json!({ "type": "assistant_message", "turn": 1, "text": "", "tool_calls": [call("a"), call("b"), call("c")] }),
        json!({ "type": "tool_call_started", "call_id": "a", "name": "shell" }),
        json!({ "type": "tool_call_completed", "call_id": "a", "name": "shell", "ok": true, "output": "done a" }),
        json!({ "type": "tool_call_started", "call_id": "b", "name": "shell" }),
    ]);
    let r = replay(&log).unwrap();
    assert_eq!(r.interrupted_calls, 2);
    let tools: Vec<(&str, &str)> = r
        .history
        .iter()
        .filter_map(|m| match m {
            Message::Tool {
                tool_call_id,
                content,
                ..
            } => Some((tool_call_id.as_str(), content.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        tools,
        [
            ("a", "done a"),
            ("b", INTERRUPTED_RUNNING),
            ("c", INTERRUPTED_PENDING)
        ]
    );
    assert!(matches!(r.history.last(), Some(Message::Tool { .. })));
}

#[test]
fn an_interrupted_call_is_closed_before_the_next_user_message() {
    let log = parse(&[
        json!({ "type": "user_message", "text": "go" }),
        json!({ "type": "assistant_message", "turn": 1, "text": "", "tool_calls": [call("a")] }),
        json!({ "type": "session_completed", "outcome": "interrupted" }),
        json!({ "type": "user_message", "text": "again" }),
    ]);
    let h = replay(&log).unwrap().history;
    assert!(matches!(&h[2], Message::Tool { tool_call_id, .. } if tool_call_id == "a"));
    assert_eq!(
        h[3],
        Message::User {
            content: "again".into()
        }
    );
}

#[test]
fn files_restored_notes_go_with_the_next_task() {
    let restored =
        json!({ "type": "files_restored", "checkpoint": "3", "files": ["src/a.rs", "b.txt"] });
    let log = parse(&[
        json!({ "type": "user_message", "text": "go" }),
        json!({ "type": "assistant_message", "turn": 1, "text": "ok", "tool_calls": [] }),
        restored.clone(),
        json!({ "type": "some_future_event", "x": 1 }),
    ]);
    let r = replay(&log).unwrap();
    // Recorded after the last task: the resumed task carries it.
    assert_eq!(r.history.len(), 2);
    assert_eq!(r.notes.len(), 1);
    assert!(r.notes[0].contains("- src/a.rs") && r.notes[0].contains("- b.txt"));

    let log = parse(&[
        json!({ "type": "user_message", "text": "go" }),
        json!({ "type": "assistant_message", "turn": 1, "text": "ok", "tool_calls": [] }),
        restored,
        json!({ "type": "user_message", "text": "next" }),
    ]);
    let r = replay(&log).unwrap();
    assert!(r.notes.is_empty());
    let Some(Message::User { content }) = r.history.last() else {
        panic!("no user message")
    };
    assert!(
        content.starts_with("[kiln] The user undid changes"),
        "{content}"
    );
    assert!(content.ends_with("\n\nnext"), "{content}");
}

#[test]
fn a_torn_last_line_loses_only_that_item() {
    let whole = parse(&[
        json!({ "type": "user_message", "text": "go" }),
        json!({ "type": "assistant_message", "turn": 1, "text": "", "tool_calls": [call("a")] }),
    ]);
    let mut bytes = String::new();
    for r in &whole.records {
        bytes.push_str(&format!("{}\n", r.value));
    }
    bytes.push_str(r#"{"v":1,"session_id":"s","seq":3,"type":"tool_call_comp"#);
    let log = SessionLog::parse(Path::new("/x/s.jsonl"), bytes.as_bytes()).unwrap();
    assert!(log.torn.is_some());
    let r = replay(&log).unwrap();
    assert_eq!(r.history.len(), 3);
    assert_eq!(r.interrupted_calls, 1);
}

#[test]
fn bad_events_are_errors_naming_file_and_line() {
    let log = parse(&[
        json!({ "type": "user_message", "text": "go" }),
        json!({ "type": "tool_call_completed", "call_id": "zz", "name": "shell", "ok": true, "output": "" }),
    ]);
    let err = replay(&log).unwrap_err().to_string();
    assert!(
        err.starts_with("/x/s.jsonl:2: ") && err.contains("zz"),
        "{err}"
    );
    let log = parse(&[json!({ "type": "user_message" })]);
    let err = replay(&log).unwrap_err().to_string();
    assert!(
        err.contains("/x/s.jsonl:1") && err.contains("`text`"),
        "{err}"
    );
    let log = parse(&[json!({ "type": "assistant_message", "text": "", "tool_calls": "x" })]);
    assert!(replay(&log).is_err());
}
