//! A profile's `first_call_tools` on the local engine, with real weights:
//! the forced first reply to a user message may only call those tools, and
//! later replies may call any.
#![cfg(feature = "llama")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/weights.rs"]
mod weights;

use kiln::backend::local::LocalBackend;
use kiln::backend::{Backend, ChatRequest, Completion, Delta};
use kiln::chat::{Message, ToolSpec};
use tokio_util::sync::CancellationToken;

#[test]
fn the_forced_first_call_uses_only_the_allowed_tools() {
    let _g = weights::lock();
    let Some(backend) = weights::local_backend("qwen2.5-coder-0.5b", 96) else {
        return;
    };
    weights::block_on(check(backend));
}

async fn check(backend: LocalBackend) {
    let tools = kiln::tools::spec::load_specs(None).unwrap();
    // A request that asks for an edit outright: unrestricted, the model
    // edits; restricted, it must look first.
    let messages = vec![
        Message::System {
            content: "You are a coding agent. Use the tools.".into(),
        },
        Message::User {
            content: "In calc.py, replace `return a - b` with `return a + b`.".into(),
        },
    ];
    let free = ask(&backend, &messages, &tools, &[]).await;
    let allowed = ["read_file".to_string(), "grep".to_string()];
    let looked = ask(&backend, &messages, &tools, &allowed).await;
    eprintln!(
        "unrestricted first call: {:?}; restricted: {:?}",
        free.tool_calls.iter().map(|c| &c.name).collect::<Vec<_>>(),
        looked
            .tool_calls
            .iter()
            .map(|c| &c.name)
            .collect::<Vec<_>>()
    );
    assert!(!looked.tool_calls.is_empty(), "{looked:?}");
    for call in &looked.tool_calls {
        assert!(allowed.contains(&call.name), "{call:?}");
    }
    assert_eq!(free.tool_calls[0].name, "edit_file", "{free:?}");
}

async fn ask(
    backend: &LocalBackend,
    messages: &[Message],
    tools: &[ToolSpec],
    first: &[String],
) -> Completion {
    let request = ChatRequest {
        first_call_tools: first,
        ..ChatRequest::new(messages, tools)
    };
    let mut sink = |_: Delta| {};
    backend
        .complete(request, &mut sink, &CancellationToken::new())
        .await
        .unwrap()
}
