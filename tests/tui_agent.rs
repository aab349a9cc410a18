//! The TUI's agent task against the mock OpenAI server: tasks, a `/model`
//! switch that carries the conversation into a new segment, and `/clear`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/mock_openai.rs"]
mod mock_openai;

use std::time::Duration;

use kiln::approval::Policy;
use kiln::cli::setup::Setup;
use kiln::cli::{BackendArgs, LimitArgs, SafetyArgs};
use kiln::tui::agent::{self, Op, UiMsg};
use mock_openai::{MockServer, Reply};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Collects notices until the agent says it is idle.
async fn until_idle(rx: &mut mpsc::UnboundedReceiver<UiMsg>) -> Vec<String> {
    let mut notices = Vec::new();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("the agent went quiet")
            .expect("the agent stopped");
        match msg {
            UiMsg::Idle => return notices,
            UiMsg::Notice(_, text) | UiMsg::Failed(text) => notices.push(text),
            _ => {}
        }
    }
}

fn contents(body: &serde_json::Value) -> Vec<(String, String)> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_string(),
                m["content"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_switch_carries_the_conversation_and_clear_starts_afresh() {
    let server = MockServer::start([
        Reply::text("first answer"),
        Reply::text("second answer"),
        Reply::text("third answer"),
    ])
    .await;
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".kiln")).unwrap();
    std::fs::write(
        repo.path().join(".kiln/config.toml"),
        format!(
            "sessions = false\ncheckpoints = false\n[providers.mock]\nbase_url = \"{}\"\nmodel = \"model-a\"\n",
            server.base_url()
        ),
    )
    .unwrap();
    let backend = BackendArgs {
        provider: Some("mock".into()),
        ..Default::default()
    };
    let setup = Setup::load(
        Some(&repo.path().to_path_buf()),
        &backend,
        &LimitArgs::default(),
    )
    .unwrap()
    .with_safety(&SafetyArgs::default(), Policy::Auto)
    .unwrap();
    let (ui_tx, mut ui_rx) = mpsc::unbounded_channel();
    let (op_tx, op_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(agent::run(setup, op_rx, ui_tx));
    until_idle(&mut ui_rx).await;

    let send = |text: &str| Op::Task {
        text: text.into(),
        cancel: CancellationToken::new(),
    };
    op_tx.send(send("hello")).unwrap();
    until_idle(&mut ui_rx).await;
    op_tx.send(Op::Model("model-b".into())).unwrap();
    let notices = until_idle(&mut ui_rx).await;
    assert!(
        notices
            .iter()
            .any(|n| n.contains("new conversation segment (model model-b)")),
        "{notices:?}"
    );
    op_tx.send(send("again")).unwrap();
    until_idle(&mut ui_rx).await;

    let requests = server.requests();
    assert_eq!(requests[0].body["model"], "model-a");
    assert_eq!(requests[1].body["model"], "model-b");
    let second = contents(&requests[1].body);
    let roles: Vec<&str> = second.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    assert_eq!(second[1].1, "hello");
    assert_eq!(second[2].1, "first answer");
    assert_eq!(second[3].1, "again");

    // A bad switch keeps the session: an unknown profile is refused.
    op_tx.send(Op::Profile("no-such-profile".into())).unwrap();
    let notices = until_idle(&mut ui_rx).await;
    assert!(
        notices.iter().any(|n| n.contains("no-such-profile")),
        "{notices:?}"
    );

    op_tx.send(Op::Clear).unwrap();
    until_idle(&mut ui_rx).await;
    op_tx.send(send("fresh")).unwrap();
    until_idle(&mut ui_rx).await;
    let third = contents(&server.requests()[2].body);
    let roles: Vec<&str> = third.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        roles,
        ["system", "user"],
        "/clear starts a new conversation"
    );
    drop(op_tx);
    task.await.unwrap();
}
