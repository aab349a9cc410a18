#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Mutex;

use super::*;

fn call(name: &str, args: serde_json::Value) -> ToolCall {
    ToolCall {
        id: "c1".into(),
        name: name.into(),
        arguments: args.to_string(),
    }
}

fn shell(cmd: &str) -> ToolCall {
    call("shell", serde_json::json!({ "command": cmd }))
}

fn edit() -> ToolCall {
    call(
        "edit_file",
        serde_json::json!({ "path": "a.py", "old_string": "a", "new_string": "b" }),
    )
}

fn read() -> ToolCall {
    call("read_file", serde_json::json!({ "path": "a.py" }))
}

fn headless(policy: Policy) -> Approvals {
    Approvals::new(policy, globset::GlobSet::empty(), None)
}

/// Answers from a list and records what it was asked.
struct Scripted {
    answers: Mutex<Vec<Answer>>,
    asked: Mutex<Vec<Action>>,
}

#[async_trait]
impl Approver for Scripted {
    async fn ask(&self, request: &Request) -> Answer {
        self.asked.lock().unwrap().push(request.action.clone());
        self.answers.lock().unwrap().remove(0)
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn the_policy_table() {
    // (policy, call, mutates, runs)
    let rows = [
        (Policy::ReadOnly, read(), false, true),
        (Policy::ReadOnly, edit(), true, false),
        (Policy::ReadOnly, shell("ls -la"), true, true),
        (Policy::ReadOnly, shell("rm x"), true, false),
        (Policy::Ask, read(), false, true),
        (Policy::Ask, edit(), true, false),
        (Policy::Ask, shell("ls"), true, false),
        (Policy::Auto, read(), false, true),
        (Policy::Auto, edit(), true, true),
        (Policy::Auto, shell("git diff"), true, true),
        (Policy::Auto, shell("python3 -m unittest"), true, false),
        (Policy::Full, edit(), true, true),
        (Policy::Full, shell("rm -rf build"), true, true),
    ];
    for (policy, c, mutates, runs) in rows {
        let v = block_on(headless(policy).check(&c, mutates));
        assert_eq!(v.runs(), runs, "{policy:?} {}", c.arguments);
        assert_eq!(v.notable(), !runs, "{policy:?} {}", c.arguments);
    }
}

#[test]
fn the_index_tools_run_under_every_policy() {
    let specs = crate::tools::spec::load_specs(None).unwrap();
    let registry = crate::tools::ToolRegistry::builtin(specs).unwrap();
    for name in ["repo_map", "symbols"] {
        let tool = registry.get(name).unwrap();
        for policy in [Policy::ReadOnly, Policy::Ask, Policy::Auto, Policy::Full] {
            let c = call(name, serde_json::json!({ "name": "Config" }));
            let v = block_on(headless(policy).check(&c, tool.mutates()));
            assert!(v.runs() && !v.notable(), "{name} under {policy:?}");
        }
    }
}

#[test]
fn headless_refusals_say_why_and_how_to_allow() {
    let v = block_on(headless(Policy::Auto).check(&shell("cargo test"), true));
    assert_eq!(v.decision, Decision::Refused);
    let text = v.refusal.unwrap();
    assert!(text.contains("`cargo test`"), "{text}");
    assert!(text.contains("`auto`"), "{text}");
    assert!(text.contains("headless"), "{text}");
    assert!(text.contains("--approval full"), "{text}");

    let v = block_on(headless(Policy::ReadOnly).check(&edit(), true));
    let text = v.refusal.unwrap();
    assert!(
        text.contains("`read-only`") && text.contains("a.py"),
        "{text}"
    );
}

#[test]
fn allow_commands_globs_let_commands_run_under_auto() {
    let globs = command_globs(&["python3 -m unittest*".into()]).unwrap();
    let mut a = Approvals::new(Policy::Auto, globs, None);
    assert!(block_on(a.check(&shell("python3 -m unittest -q"), true)).runs());
    assert!(!block_on(a.check(&shell("python3 -m unittest; rm x"), true)).runs());
    assert!(command_globs(&["a[".into()]).unwrap_err().contains("a["));
}

#[test]
fn the_user_is_asked_and_session_grants_are_remembered() {
    let approver = Arc::new(Scripted {
        answers: Mutex::new(vec![
            Answer::AllowSession,
            Answer::Deny {
                note: Some("use pytest".into()),
            },
            Answer::AllowOnce,
        ]),
        asked: Mutex::new(Vec::new()),
    });
    let mut a = Approvals::new(
        Policy::Ask,
        globset::GlobSet::empty(),
        Some(approver.clone()),
    );
    // Allowed for the session: the second edit asks nobody.
    assert_eq!(
        block_on(a.check(&edit(), true)).decision,
        Decision::AllowedByUser
    );
    assert_eq!(
        block_on(a.check(&edit(), true)).decision,
        Decision::AllowedForSession
    );
    let denied = block_on(a.check(&shell("make"), true));
    assert_eq!(denied.decision, Decision::Denied);
    assert!(denied.refusal.unwrap().contains("use pytest"));
    // Allowed once: asked again next time (and the list is then empty).
    assert!(block_on(a.check(&shell("make"), true)).runs());
    assert_eq!(approver.asked.lock().unwrap().len(), 3);
}

#[test]
fn actions_name_what_they_touch() {
    let patch = "*** Begin Patch\n*** Update File: src/a.rs\n@@\n-a\n+b\n*** Add File: b.rs\n+x\n*** End Patch";
    let a = Action::of(
        &call("apply_patch", serde_json::json!({ "patch": patch })),
        true,
    );
    assert_eq!(
        a,
        Action::Write {
            tool: "apply_patch".into(),
            paths: vec!["src/a.rs".into(), "b.rs".into()]
        }
    );
    assert_eq!(Action::of(&read(), false), Action::Read);
    // Malformed arguments still classify (the tool reports the error).
    let bad = ToolCall {
        id: "x".into(),
        name: "shell".into(),
        arguments: "{not json".into(),
    };
    assert_eq!(
        Action::of(&bad, true),
        Action::Command {
            command: String::new()
        }
    );
    // …and is left to the tool to reject.
    assert!(block_on(headless(Policy::ReadOnly).check(&bad, true)).runs());
}
