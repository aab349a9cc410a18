//! Conversation → `/chat/completions` request body.
//!
//! The body must be byte-stable: the same conversation always serialises to
//! the same bytes, and a conversation that only grew serialises its old
//! messages exactly as before, so servers with prefix caches (llama-server,
//! vLLM, OpenAI) reuse their work. Nothing time- or randomness-dependent goes
//! in, and every JSON object ends up with sorted keys (serde_json's `Map` is a
//! `BTreeMap` here), so field order never depends on how a value was built.

use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls,
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestAssistantMessageContent,
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestToolMessage,
    ChatCompletionRequestToolMessageContent, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent, ChatCompletionStreamOptions, ChatCompletionTool,
    ChatCompletionToolChoiceOption, ChatCompletionTools, CreateChatCompletionRequest, FunctionCall,
    FunctionObject, ToolChoiceOptions,
};
use serde_json::{Map, Value};

use super::EndpointConfig;
use crate::backend::{BackendError, ChatRequest};
use crate::chat::{Message, ToolCallMode, ToolSpec, text_mode_messages};

/// The serialised request body for `request`.
pub(crate) fn build_body(
    cfg: &EndpointConfig,
    request: ChatRequest<'_>,
) -> Result<Vec<u8>, BackendError> {
    let typed = typed_request(cfg, request);
    let sampling = request.sampling;
    // Typed → text → Map rather than `to_value`: going through text keeps
    // `f32` fields like temperature as written (0.2, not 0.20000000298…).
    let text = serde_json::to_string(&typed).map_err(encode_error)?;
    let mut body: Map<String, Value> = serde_json::from_str(&text).map_err(encode_error)?;
    // Not OpenAI parameters, but read by llama-server, vLLM, Ollama and LM
    // Studio; sent only when a profile asks for them.
    if let Some(k) = sampling.top_k {
        body.insert("top_k".into(), k.into());
    }
    if let Some(p) = sampling.min_p {
        body.insert("min_p".into(), Value::from(f64::from(p)));
    }
    for (key, value) in &cfg.extra_body {
        body.insert(key.clone(), value.clone());
    }
    serde_json::to_vec(&body).map_err(encode_error)
}

fn encode_error(err: serde_json::Error) -> BackendError {
    BackendError::Config(format!("cannot encode the request body: {err}"))
}

#[allow(deprecated)] // `max_tokens`: deprecated by OpenAI, but the one every local server reads.
fn typed_request(cfg: &EndpointConfig, request: ChatRequest<'_>) -> CreateChatCompletionRequest {
    let text_mode = request.tool_calls == ToolCallMode::Text;
    let tools = (!request.tools.is_empty() && !text_mode)
        .then(|| request.tools.iter().map(wire_tool).collect::<Vec<_>>());
    let messages = match text_mode {
        true => text_mode_messages(request.messages),
        false => request.messages.to_vec(),
    };
    CreateChatCompletionRequest {
        messages: messages.iter().map(wire_message).collect(),
        model: cfg.model.clone(),
        stream: Some(true),
        stream_options: Some(ChatCompletionStreamOptions {
            include_usage: Some(true),
            include_obfuscation: None,
        }),
        tools,
        // Keep the tools (the cached prefix) but forbid calling them.
        tool_choice: (request.answer_only && !request.tools.is_empty() && !text_mode).then_some(
            ChatCompletionToolChoiceOption::Mode(ToolChoiceOptions::None),
        ),
        temperature: cfg.temperature.or(request.sampling.temperature),
        top_p: request.sampling.top_p,
        max_tokens: cfg.max_tokens,
        ..Default::default()
    }
}

#[allow(deprecated)] // `function_call` is deprecated; we leave it unset via Default.
fn wire_message(message: &Message) -> ChatCompletionRequestMessage {
    match message {
        Message::System { content } => {
            ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
                content: ChatCompletionRequestSystemMessageContent::Text(content.clone()),
                name: None,
            })
        }
        Message::User { content } => {
            ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
                content: ChatCompletionRequestUserMessageContent::Text(content.clone()),
                name: None,
            })
        }
        // Reasoning is display-only and never goes back to the model.
        Message::Assistant {
            content,
            tool_calls,
            reasoning: _,
        } => {
            // With tool calls an empty content is omitted (servers accept a
            // missing content next to tool_calls); without, it must be there.
            let content = (!content.is_empty() || tool_calls.is_empty())
                .then(|| ChatCompletionRequestAssistantMessageContent::Text(content.clone()));
            let tool_calls = (!tool_calls.is_empty()).then(|| {
                tool_calls
                    .iter()
                    .map(|call| {
                        ChatCompletionMessageToolCalls::Function(ChatCompletionMessageToolCall {
                            id: call.id.clone(),
                            function: FunctionCall {
                                name: call.name.clone(),
                                arguments: wire_arguments(&call.arguments),
                            },
                        })
                    })
                    .collect()
            });
            ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage {
                content,
                tool_calls,
                ..Default::default()
            })
        }
        Message::Tool {
            tool_call_id,
            name: _,
            content,
        } => ChatCompletionRequestMessage::Tool(ChatCompletionRequestToolMessage {
            content: ChatCompletionRequestToolMessageContent::Text(content.clone()),
            tool_call_id: tool_call_id.clone(),
        }),
    }
}

/// A call's arguments as sent back in the history. Servers that render the
/// history through the model's chat template parse them (llama-server
/// answers HTTP 500 on arguments that are not JSON, and the session would
/// end there), so a malformed call the model wrote, e.g. one cut off by the
/// length limit, goes back as a JSON string holding the raw text: what the
/// model wrote, as valid JSON (the local engine's template context keeps
/// such arguments as a string too). A pure function of the text, so
/// requests stay byte-stable.
fn wire_arguments(raw: &str) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(raw).is_ok() {
        raw.to_string()
    } else {
        Value::String(raw.to_string()).to_string()
    }
}

fn wire_tool(spec: &ToolSpec) -> ChatCompletionTools {
    ChatCompletionTools::Function(ChatCompletionTool {
        function: FunctionObject {
            name: spec.name.clone(),
            description: Some(spec.description.clone()),
            parameters: Some(spec.parameters.clone()),
            strict: None,
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::backend::openai::Timeouts;
    use crate::chat::ToolCall;

    fn cfg() -> EndpointConfig {
        EndpointConfig {
            provider: "test".into(),
            base_url: "http://127.0.0.1:1/v1".into(),
            model: "m".into(),
            api_key: None,
            headers: BTreeMap::new(),
            extra_body: Map::new(),
            temperature: Some(0.2),
            max_tokens: Some(100),
            timeouts: Timeouts::default(),
            max_retries: 0,
            tool_calls_in_text: Default::default(),
            text_tool_format: None,
            context_window: None,
            prices: None,
        }
    }

    fn body(cfg: &EndpointConfig, messages: &[Message], tools: &[ToolSpec]) -> Value {
        let bytes = build_body(cfg, ChatRequest::new(messages, tools)).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn shape_of_a_request() {
        let mut cfg = cfg();
        cfg.extra_body.insert("top_k".into(), json!(40));
        cfg.extra_body.insert("temperature".into(), json!(0.5));
        let messages = vec![
            Message::System {
                content: "sys".into(),
            },
            Message::User {
                content: "hi".into(),
            },
            Message::Assistant {
                content: String::new(),
                tool_calls: vec![ToolCall {
                    id: "c1".into(),
                    name: "read".into(),
                    arguments: "{\"path\":\"a\"}".into(),
                }],
                reasoning: Some("thinking".into()),
            },
            Message::Tool {
                tool_call_id: "c1".into(),
                name: "read".into(),
                content: "text".into(),
            },
        ];
        let v = body(&cfg, &messages, &[]);
        assert_eq!(v["stream"], json!(true));
        assert_eq!(v["stream_options"], json!({"include_usage": true}));
        assert_eq!(v["top_k"], json!(40));
        assert_eq!(v["temperature"], json!(0.5), "extra_body overrides");
        assert_eq!(v["max_tokens"], json!(100));
        assert!(v.get("tools").is_none());
        let assistant = &v["messages"][2];
        assert!(assistant.get("content").is_none());
        assert!(assistant.get("reasoning").is_none());
        assert!(assistant.get("reasoning_content").is_none());
        assert_eq!(
            assistant["tool_calls"],
            json!([{"id": "c1", "type": "function",
                    "function": {"name": "read", "arguments": "{\"path\":\"a\"}"}}])
        );
        assert_eq!(
            v["messages"][3],
            json!({"role": "tool", "tool_call_id": "c1", "content": "text"})
        );
    }

    #[test]
    fn temperature_keeps_its_written_form() {
        let bytes = build_body(&cfg(), ChatRequest::new(&[], &[])).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("\"temperature\":0.2"), "{text}");
        assert!(!text.contains("0.2000"), "{text}");
    }

    #[test]
    fn malformed_arguments_go_back_as_a_json_string() {
        let call = |id: &str, arguments: &str| ToolCall {
            id: id.into(),
            name: "read_file".into(),
            arguments: arguments.into(),
        };
        let cut = r#"{"path": "/tmp/ws"#;
        let messages = vec![Message::Assistant {
            content: String::new(),
            tool_calls: vec![call("c1", r#"{"path": "a"}"#), call("c2", cut)],
            reasoning: None,
        }];
        let v = body(&cfg(), &messages, &[]);
        let calls = &v["messages"][0]["tool_calls"];
        assert_eq!(calls[0]["function"]["arguments"], r#"{"path": "a"}"#);
        let sent = calls[1]["function"]["arguments"].as_str().unwrap();
        assert_eq!(serde_json::from_str::<Value>(sent).unwrap(), json!(cut));
    }

    #[test]
    fn tools_are_sent_as_functions() {
        let tools = [ToolSpec {
            name: "read".into(),
            description: "Read a file".into(),
            parameters: json!({"type": "object", "properties": {}}),
        }];
        let v = body(&cfg(), &[], &tools);
        assert_eq!(
            v["tools"],
            json!([{"type": "function", "function": {"name": "read",
                "description": "Read a file", "parameters": {"type": "object", "properties": {}}}}])
        );
    }
}
