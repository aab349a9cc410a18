//! The conversation as kiln sees it, independent of any backend's wire format.
//!
//! Backends translate these into their own request shape; the agent loop only
//! ever appends to a `Vec<Message>`, which keeps request prefixes byte-stable.

use serde::{Deserialize, Serialize};

/// One message of the conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Message {
    System {
        content: String,
    },
    User {
        content: String,
    },
    Assistant {
        content: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
        /// Reasoning the model emitted apart from its answer; kept for display,
        /// never sent back to the model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reasoning: Option<String>,
    },
    Tool {
        tool_call_id: String,
        name: String,
        content: String,
    },
}

/// A tool call as the model produced it. `arguments` is the raw JSON text,
/// exactly as streamed, so a malformed call can be reported back verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// What the model is told about one tool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// A JSON schema object describing the arguments.
    pub parameters: serde_json::Value,
}

/// Token usage of one model request, as reported by the backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Prompt tokens the server reports it served from its prefix cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
}

impl Usage {
    pub fn total(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }

    pub fn add(&mut self, other: &Usage) {
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        if let Some(c) = other.cached_tokens {
            *self.cached_tokens.get_or_insert(0) += c;
        }
    }
}

/// Sampling parameters a profile or config asks for; `None` leaves the
/// backend's (or server's) default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplingPrefs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_p: Option<f32>,
}

impl SamplingPrefs {
    /// Each value of `self`, else the one of `other`.
    pub fn or(self, other: SamplingPrefs) -> SamplingPrefs {
        SamplingPrefs {
            temperature: self.temperature.or(other.temperature),
            top_p: self.top_p.or(other.top_p),
            top_k: self.top_k.or(other.top_k),
            min_p: self.min_p.or(other.min_p),
        }
    }
}

/// How tool calls travel between kiln and the model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolCallMode {
    /// The backend's own mechanism: the `tools` field of an endpoint, the
    /// chat template's tool format (grammar-constrained) on the local engine.
    #[default]
    Native,
    /// Tools described in the system prompt and calls written as
    /// `<tool_call>{json}</tool_call>` text, parsed by kiln (and
    /// grammar-constrained on the local engine); results come back as user
    /// messages. For servers or templates without function calling.
    Text,
}

/// The conversation as a text-mode model sees it ([`ToolCallMode::Text`]):
/// each assistant call written into its content as
/// `<tool_call>{json}</tool_call>`, and each run of tool results as one user
/// message of `<tool_response>` blocks. Deterministic, so a conversation
/// that only grew maps to a request that only grew.
pub fn text_mode_messages(messages: &[Message]) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::with_capacity(messages.len());
    for m in messages {
        match m {
            Message::Assistant {
                content,
                tool_calls,
                reasoning,
            } if !tool_calls.is_empty() => {
                let mut text = content.trim().to_string();
                for call in tool_calls {
                    let args = serde_json::from_str::<serde_json::Value>(&call.arguments)
                        .unwrap_or_else(|_| serde_json::Value::String(call.arguments.clone()));
                    let json = serde_json::json!({ "name": call.name, "arguments": args });
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(&format!("<tool_call>\n{json}\n</tool_call>"));
                }
                out.push(Message::Assistant {
                    content: text,
                    tool_calls: Vec::new(),
                    reasoning: reasoning.clone(),
                });
            }
            Message::Tool { content, .. } => {
                let block = format!("<tool_response>\n{content}\n</tool_response>");
                match out.last_mut() {
                    Some(Message::User { content: prev }) if prev.ends_with("</tool_response>") => {
                        prev.push('\n');
                        prev.push_str(&block);
                    }
                    _ => out.push(Message::User { content: block }),
                }
            }
            other => out.push(other.clone()),
        }
    }
    out
}
