//! A text-mode profile on the local engine, with real weights: the tools
//! live in the system prompt, the template sees no tools, calls come back
//! as Hermes `<tool_call>` text under the grammar, and the flattened
//! conversation of the next turn still reuses the whole KV cache.
#![cfg(feature = "llama")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/weights.rs"]
mod weights;

use kiln::backend::local::LocalBackend;
use kiln::backend::{Backend, ChatRequest, Completion, Delta};
use kiln::chat::{Message, ToolCallMode, ToolSpec};
use kiln::profile::text_mode_tools;
use tokio_util::sync::CancellationToken;

#[test]
fn text_mode_calls_parse_and_the_next_turn_reuses_the_cache() {
    let _g = weights::lock();
    let Some(backend) = weights::local_backend("qwen2.5-coder-0.5b", 80) else {
        return;
    };
    weights::block_on(two_turns(backend));
}

async fn two_turns(backend: LocalBackend) {
    let tools: Vec<ToolSpec> = kiln::tools::spec::load_specs(None).unwrap();
    let system = format!("You are a coding agent.\n\n{}", text_mode_tools(&tools));
    let mut messages = vec![
        Message::System { content: system },
        Message::User {
            content: "Show me what is in README.md.".into(),
        },
    ];
    let first = ask(&backend, &messages, &tools).await;
    assert_eq!(first.tool_calls.len(), 1, "{first:?}");
    assert_eq!(first.tool_calls[0].name, "read_file", "{first:?}");
    let args: serde_json::Value = serde_json::from_str(&first.tool_calls[0].arguments).unwrap();
    // Which path a 0.5B model picks is its business; the call must parse.
    assert!(args["path"].is_string(), "{args}");
    let m1 = first.engine.clone().unwrap();
    messages.push(Message::Assistant {
        content: first.text.clone(),
        tool_calls: first.tool_calls.clone(),
        reasoning: None,
    });
    messages.push(Message::Tool {
        tool_call_id: first.tool_calls[0].id.clone(),
        name: "read_file".into(),
        content: "1\t# Demo\n2\tA demo project.".into(),
    });
    let second = ask(&backend, &messages, &tools).await;
    let m2 = second.engine.unwrap();
    eprintln!(
        "turn 1: {} prompt tokens; turn 2: {} prompt, {} reused, {} prefilled",
        m1.prompt_tokens, m2.prompt_tokens, m2.reused_tokens, m2.prefilled_tokens
    );
    // Everything of turn 1 (prompt and the sampled call) is reused.
    assert!(
        m2.reused_tokens >= m1.prompt_tokens + m1.generated_tokens - 1,
        "reused {} of turn 1's {} + {}",
        m2.reused_tokens,
        m1.prompt_tokens,
        m1.generated_tokens
    );
}

async fn ask(backend: &LocalBackend, messages: &[Message], tools: &[ToolSpec]) -> Completion {
    let request = ChatRequest {
        tool_calls: ToolCallMode::Text,
        ..ChatRequest::new(messages, tools)
    };
    let mut sink = |_: Delta| {};
    backend
        .complete(request, &mut sink, &CancellationToken::new())
        .await
        .unwrap()
}
