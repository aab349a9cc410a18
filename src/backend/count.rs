//! Counting a prompt in tokens.
//!
//! The local engine counts exactly: it renders the request with the
//! model's chat template and tokenizes it with the model's vocabulary.
//! Endpoints give kiln no tokenizer, so their prompts are estimated: each
//! message's text at one token per [`BYTES_PER_TOKEN`] bytes plus
//! [`MESSAGE_OVERHEAD`] tokens for its role markers, and the tool specs as
//! their JSON. Dividing bytes by 3 overestimates the Qwen2.5 tokenizer on
//! prose (≈4.3 bytes per token) and JSON (≈3.4), which is the safe side for
//! deciding when to compact.

use serde::Serialize;

use super::ChatRequest;
use crate::chat::Message;
use crate::profile::tokens::{BYTES_PER_TOKEN, estimate};

/// Tokens a chat template spends on one message's role markers.
pub const MESSAGE_OVERHEAD: u64 = 5;

/// A count of tokens and whether it came from the model's tokenizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TokenCount {
    pub tokens: u64,
    /// `false`: the documented estimate.
    pub exact: bool,
}

impl TokenCount {
    pub fn exact(tokens: u64) -> Self {
        Self {
            tokens,
            exact: true,
        }
    }

    pub fn estimate(text: &str) -> Self {
        Self {
            tokens: estimate(text) as u64,
            exact: false,
        }
    }
}

/// The estimate of a request's prompt.
pub fn estimate_prompt(request: &ChatRequest<'_>) -> TokenCount {
    let messages: u64 = request.messages.iter().map(estimate_message).sum();
    let tools: usize = request
        .tools
        .iter()
        .map(|t| {
            t.name.len()
                + t.description.len()
                + t.parameters.to_string().len()
                + 2 * BYTES_PER_TOKEN
        })
        .sum();
    TokenCount {
        tokens: messages + tools.div_ceil(BYTES_PER_TOKEN) as u64,
        exact: false,
    }
}

/// The estimate of one message: its text, its calls' names and arguments,
/// and the role markers.
pub fn estimate_message(message: &Message) -> u64 {
    let bytes = match message {
        Message::System { content } | Message::User { content } => content.len(),
        Message::Assistant {
            content,
            tool_calls,
            ..
        } => {
            content.len()
                + tool_calls
                    .iter()
                    .map(|c| c.name.len() + c.arguments.len() + 8)
                    .sum::<usize>()
        }
        Message::Tool { content, name, .. } => content.len() + name.len(),
    };
    bytes.div_ceil(BYTES_PER_TOKEN) as u64 + MESSAGE_OVERHEAD
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{ToolCall, ToolSpec};

    #[test]
    fn estimate_counts_text_roles_calls_and_tools() {
        let messages = [
            Message::System {
                content: "x".repeat(300),
            },
            Message::Assistant {
                content: String::new(),
                tool_calls: vec![ToolCall {
                    id: "1".into(),
                    name: "read_file".into(),
                    arguments: "{\"path\":\"a\"}".into(),
                }],
                reasoning: None,
            },
        ];
        let bare = estimate_prompt(&ChatRequest::new(&messages, &[]));
        // 100 + 5 for the system message; (9 + 12 + 8) / 3 → 10, + 5.
        assert_eq!(bare.tokens, 105 + 15);
        assert!(!bare.exact);
        let tools = [ToolSpec {
            name: "grep".into(),
            description: "search".into(),
            parameters: serde_json::json!({"type": "object"}),
        }];
        let with_tools = estimate_prompt(&ChatRequest::new(&messages, &tools));
        assert!(with_tools.tokens > bare.tokens);
    }
}
