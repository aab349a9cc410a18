//! Snapshots of the key screens, drawn with ratatui's `TestBackend`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::agent::events::{Event, EventKind, LimitsInfo, SafetyInfo};
use crate::approval::{Action, Policy, Request};
use crate::backend::{BackendInfo, FinishReason};
use crate::chat::{ToolCall, Usage};
use crate::tools::ToolDetails;
use crate::tui::agent::UiMsg;
use crate::tui::app::App;
use crate::tui::complete::Completer;

fn app() -> App {
    let mut app = App::new(
        Completer::with_files(&["calc.py", "tests/test_calc.py"]),
        "kiln in /work/repo\n\nType a task and press Enter. /help lists commands.".into(),
    );
    app.on_agent(ev(EventKind::SessionStarted {
        kiln_version: "0.1.0".into(),
        cwd: "/work/repo".into(),
        backend: BackendInfo {
            provider: "local".into(),
            model: "qwen2.5-coder-1.5b".into(),
            base_url: None,
            parameters: Some(1_540_000_000),
            context_window: Some(32_768),
            prices: None,
        },
        tools: vec![],
        limits: LimitsInfo::default(),
        profile: None,
        safety: Some(SafetyInfo {
            approval: Policy::Auto,
            sandbox: None,
        }),
        system_prompt_sha256: String::new(),
    }));
    app.on_agent(UiMsg::Idle);
    app
}

fn ev(kind: EventKind) -> UiMsg {
    UiMsg::Event(Box::new(Event {
        v: 1,
        session_id: "s".into(),
        seq: 0,
        ts: String::new(),
        kind,
    }))
}

fn draw(app: &mut App, width: u16, height: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| super::draw(f, app)).unwrap();
    term.backend().to_string()
}

fn user(app: &mut App, text: &str) {
    app.submit(text.into());
}

fn started(app: &mut App, id: &str, name: &str, args: serde_json::Value) {
    app.on_agent(ev(EventKind::ToolCallStarted {
        turn: 1,
        call_id: id.into(),
        name: name.into(),
        arguments: args.to_string(),
    }));
}

fn completed(app: &mut App, id: &str, ok: bool, output: &str, diff: Option<&str>) {
    app.on_agent(ev(EventKind::ToolCallCompleted {
        turn: 1,
        call_id: id.into(),
        name: String::new(),
        ok,
        error_kind: (!ok).then(|| "failed".into()),
        output: output.into(),
        truncated_for_model: false,
        for_model: None,
        details: ToolDetails {
            diff: diff.map(String::from),
            ..Default::default()
        },
        duration_ms: 42,
    }));
}

fn turn_done(app: &mut App) {
    app.on_agent(ev(EventKind::TurnCompleted {
        turn: 1,
        usage: Usage {
            prompt_tokens: 1234,
            completion_tokens: 56,
            cached_tokens: None,
        },
        finish_reason: FinishReason::ToolCalls,
        duration_ms: 2100,
        engine: None,
    }));
}

const DIFF: &str = "--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n";

/// A conversation with a read, an edit (with its diff) and a failing run.
fn worked(app: &mut App) {
    user(app, "fix the add function in @calc.py");
    app.on_agent(ev(EventKind::AssistantDelta {
        turn: 1,
        text: "Let me read **calc.py** first.".into(),
    }));
    started(
        app,
        "c1",
        "read_file",
        serde_json::json!({ "path": "calc.py" }),
    );
    completed(
        app,
        "c1",
        true,
        "1\tdef add(a, b):\n2\t    return a - b\n",
        None,
    );
    started(
        app,
        "c2",
        "edit_file",
        serde_json::json!({ "path": "calc.py", "old_string": "a - b", "new_string": "a + b" }),
    );
    completed(app, "c2", true, "edited calc.py", Some(DIFF));
    started(
        app,
        "c3",
        "shell",
        serde_json::json!({ "command": "python3 -m unittest" }),
    );
    completed(
        app,
        "c3",
        false,
        "exit code: 1\nF.\nFAIL: test_sub (tests.test_calc.T)\nAssertionError: 1 != -1\n\nRan 2 tests",
        None,
    );
    turn_done(app);
}

#[test]
fn empty_session() {
    let mut app = app();
    insta::assert_snapshot!(draw(&mut app, 80, 24));
}

#[test]
fn streaming_answer() {
    let mut app = app();
    user(&mut app, "explain calc.py");
    for piece in [
        "## What it does\n",
        "- `add` returns ",
        "a - b, which is **wrong**\n",
        "```python\ndef add(a, b):\n",
    ] {
        app.on_agent(ev(EventKind::AssistantDelta {
            turn: 1,
            text: piece.into(),
        }));
    }
    let screen = draw(&mut app, 80, 24);
    assert!(screen.contains("working"), "{screen}");
    insta::assert_snapshot!(screen.replace("working 1s ", "working 0s "));
}

#[test]
fn tool_cards_collapsed_and_expanded() {
    let mut app = app();
    worked(&mut app);
    insta::assert_snapshot!("tool_cards_collapsed", draw(&mut app, 80, 30));
    app.details = true;
    insta::assert_snapshot!("tool_cards_expanded", draw(&mut app, 80, 30));
}

#[test]
fn session_diff() {
    let mut app = app();
    worked(&mut app);
    app.on_agent(UiMsg::Diff(DIFF.into()));
    insta::assert_snapshot!(draw(&mut app, 80, 24));
}

#[test]
fn approval_modal() {
    let mut app = app();
    user(&mut app, "fix it");
    let call = ToolCall {
        id: "c9".into(),
        name: "edit_file".into(),
        arguments: serde_json::json!({ "path": "calc.py", "old_string": "    return a - b\n", "new_string": "    return a + b\n" }).to_string(),
    };
    let (reply, mut answer) = tokio::sync::oneshot::channel();
    app.on_agent(UiMsg::Approval {
        request: Box::new(Request {
            action: Action::Write {
                tool: "edit_file".into(),
                paths: vec!["calc.py".into()],
            },
            call,
            policy: Policy::Ask,
        }),
        reply,
    });
    insta::assert_snapshot!(draw(&mut app, 80, 24));
    // `a` answers "allow for this session" and closes the modal.
    let key = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('a'));
    app.on_terminal(crossterm::event::Event::Key(key));
    assert!(app.modal.is_none());
    assert_eq!(
        answer.try_recv().unwrap(),
        crate::approval::Answer::AllowSession
    );
}

#[test]
fn narrow_terminal() {
    let mut app = app();
    worked(&mut app);
    insta::assert_snapshot!("narrow_40x12", draw(&mut app, 40, 12));
    insta::assert_snapshot!("standard_80x24", draw(&mut app, 80, 24));
}

#[test]
fn completion_popup() {
    let mut app = app();
    for c in "/u".chars() {
        let key = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(c));
        app.on_terminal(crossterm::event::Event::Key(key));
    }
    assert_eq!(app.candidates, ["/undo"]);
    insta::assert_snapshot!(draw(&mut app, 80, 12));
}
