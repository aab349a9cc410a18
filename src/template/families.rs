//! Template families whose messages llama.cpp reshapes before rendering
//! (`common_chat_try_specialized_template` and the parsers it dispatches to),
//! detected from the template source exactly as llama.cpp detects them.

use super::json::Json;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Generic,
    /// Ministral 3 / Magistral: system and assistant content as typed blocks,
    /// reasoning as a `thinking` block.
    Ministral3,
    /// gpt-oss and LLM-jp harmony: reasoning as `thinking`, and no content on
    /// assistant turns that call tools.
    Harmony,
    /// LFM2 / LFM2.5: reasoning as `thinking`.
    Lfm2,
    /// Gemma 4: llama.cpp opens the model turn when the template did not.
    /// `legacy` templates (before the official "OpenAI Chat Completions"
    /// handling) get tool results folded into the calling assistant turn.
    Gemma4 {
        legacy: bool,
    },
}

impl Family {
    pub(crate) fn detect(src: &str) -> Family {
        let has = |s: &str| src.contains(s);
        // Same order as llama.cpp's checks; the earlier ones win.
        if has("[SYSTEM_PROMPT]") && has("[TOOL_CALLS]") && has("[ARGS]") && !has("[CALL_ID]") {
            Family::Ministral3
        } else if has("chat_format=llm-jp-harmony-v1") || has("<|channel|>") {
            Family::Harmony
        } else if (has("<|tool_list_start|>") && has("<|tool_list_end|>"))
            || (has("List of tools: [") && !has("<|tool_list_start|>"))
        {
            Family::Lfm2
        } else if has("'<|tool_call>call:'") {
            Family::Gemma4 {
                legacy: !has("{#- OpenAI Chat Completions:"),
            }
        } else {
            Family::Generic
        }
    }

    pub(crate) fn reshape(self, messages: &mut Vec<Json>) {
        match self {
            Family::Ministral3 => messages.iter_mut().for_each(ministral3_blocks),
            Family::Harmony => messages
                .iter_mut()
                .for_each(|m| reasoning_as_thinking(m, true)),
            Family::Lfm2 => messages
                .iter_mut()
                .for_each(|m| reasoning_as_thinking(m, false)),
            Family::Gemma4 { legacy: true } => gemma4_fold_tool_results(messages),
            Family::Gemma4 { legacy: false } | Family::Generic => {}
        }
    }
}

fn role(m: &Json) -> Option<&str> {
    m.get("role").and_then(Json::as_str)
}

fn has_tool_calls(m: &Json) -> bool {
    matches!(m.get("tool_calls"), Some(Json::Arr(calls)) if !calls.is_empty())
}

fn ministral3_blocks(m: &mut Json) {
    if role(m) != Some("system") && role(m) != Some("assistant") {
        return;
    }
    let mut blocks = Vec::new();
    if let Some(Json::Str(r)) = m.remove("reasoning_content") {
        blocks.push(Json::obj([
            ("type", Json::str("thinking")),
            ("thinking", Json::Str(r)),
        ]));
    }
    match m.get("content") {
        Some(Json::Str(text)) => blocks.push(Json::obj([
            ("type", Json::str("text")),
            ("text", Json::str(text.clone())),
        ])),
        Some(Json::Arr(parts)) => blocks.extend(parts.iter().cloned()),
        _ => {}
    }
    m.set("content", Json::Arr(blocks));
}

fn reasoning_as_thinking(m: &mut Json, drop_content_with_calls: bool) {
    let Some(Json::Str(r)) = m.get("reasoning_content").cloned() else {
        return;
    };
    m.set("thinking", Json::Str(r));
    if drop_content_with_calls && has_tool_calls(m) {
        m.remove("content");
    }
}

/// llama.cpp's `convert_tool_responses_gemma4`: each
/// `assistant(tool calls) -> tool+ -> assistant(content)?` run becomes one
/// assistant message with `tool_calls`, `tool_responses` (results parsed as
/// JSON when they are JSON, named after their call) and the final content.
fn gemma4_fold_tool_results(messages: &mut Vec<Json>) {
    let mut out = Vec::with_capacity(messages.len());
    let mut rest = std::mem::take(messages).into_iter().peekable();
    while let Some(msg) = rest.next() {
        if role(&msg) != Some("assistant") || !has_tool_calls(&msg) {
            out.push(msg);
            continue;
        }
        let calls = match msg.get("tool_calls") {
            Some(Json::Arr(calls)) => calls.clone(),
            _ => Vec::new(),
        };
        let mut responses = Vec::new();
        while let Some(result) = rest.next_if(|m| role(m) == Some("tool")) {
            let response = match result.get("content") {
                Some(Json::Str(s)) => Json::parse(s).unwrap_or_else(|| Json::str(s.clone())),
                Some(other) => other.clone(),
                None => Json::Null,
            };
            let name = calls
                .get(responses.len())
                .and_then(|c| c.get("function"))
                .and_then(|f| f.get("name"))
                .and_then(Json::as_str)
                .filter(|n| !n.is_empty())
                .or_else(|| result.get("tool_call_id").and_then(Json::as_str))
                .unwrap_or_default()
                .to_owned();
            responses.push(Json::obj([
                ("name", Json::Str(name)),
                ("response", response),
            ]));
        }
        let content = rest
            .next_if(|m| {
                role(m) == Some("assistant")
                    && !has_tool_calls(m)
                    && match m.get("content") {
                        Some(Json::Str(s)) => !s.is_empty(),
                        Some(Json::Arr(parts)) => !parts.is_empty(),
                        _ => false,
                    }
            })
            .and_then(|m| m.get("content").cloned());

        let mut folded = Json::obj([
            ("role", Json::str("assistant")),
            ("tool_calls", Json::Arr(calls)),
        ]);
        if !responses.is_empty() {
            folded.set("tool_responses", Json::Arr(responses));
        }
        if let Some(content) = content {
            folded.set("content", content);
        }
        if let Some(Json::Str(r)) = msg.get("reasoning_content") {
            folded.set("reasoning_content", Json::str(r.clone()));
        }
        out.push(folded);
    }
    *messages = out;
}
