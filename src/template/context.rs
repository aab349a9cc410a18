//! The variables a template sees, built the way llama.cpp's chat path builds
//! them (`common_chat_templates_apply_jinja`): OpenAI-shaped messages, the
//! capability workarounds, and the per-family reshaping some templates need.

use super::SpecialTokens;
use super::caps::Caps;
use super::families::Family;
use super::json::Json;
use super::strftime;
use crate::chat::{Message, ToolCall, ToolSpec};

/// How one template wants its conversation shaped.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    pub caps: Caps,
    pub family: Family,
    /// StepFun: llama.cpp trims message text before rendering.
    pub trim_content: bool,
}

impl Shape {
    pub(crate) fn new(src: &str, caps: Caps) -> Shape {
        Shape {
            caps,
            family: Family::detect(src),
            trim_content: src
                .contains("You have access to the following functions in JSONSchema format"),
        }
    }
}

/// llama-server's default `chat_template_kwargs`, with kiln's frozen dates in
/// place of the ones llama.cpp computes from the clock.
pub(crate) fn default_kwargs() -> Vec<(String, Json)> {
    vec![
        ("enable_thinking".to_owned(), Json::Bool(true)),
        ("preserve_reasoning".to_owned(), Json::Bool(true)),
        ("date_string".to_owned(), Json::str(strftime::DATE_STRING)),
        ("datetime".to_owned(), Json::str(strftime::DATETIME)),
    ]
}

/// All variables of one render, as `common_chat_template_direct_apply_impl`
/// sets them (kwargs override the fixed ones, like llama.cpp's extra context).
pub(crate) fn variables(
    messages: Json,
    tools: Option<Json>,
    special: &SpecialTokens,
    kwargs: &[(String, Json)],
    add_generation_prompt: bool,
) -> Json {
    let mut ctx = Json::obj([
        ("messages", messages),
        ("bos_token", Json::str(special.bos.clone())),
        ("eos_token", Json::str(special.eos.clone())),
    ]);
    if let Some(tools) = tools {
        ctx.set("tools", tools);
    }
    for (name, value) in kwargs {
        ctx.set(name, value.clone());
    }
    if add_generation_prompt {
        ctx.set("add_generation_prompt", Json::Bool(true));
    }
    // Flags llama.cpp derives (`caps_apply_preserve_reasoning`,
    // `caps_apply_reasoning_effort`); explicit kwargs of the same name win.
    let mut derived = Vec::new();
    if let Some(Json::Bool(keep)) = ctx.get("preserve_reasoning") {
        derived.push(("preserve_thinking", Json::Bool(*keep)));
        for flag in [
            "clear_thinking",
            "truncate_history_thinking",
            "drop_thinking",
        ] {
            derived.push((flag, Json::Bool(!keep)));
        }
    }
    if let Some(Json::Str(effort)) = ctx.get("reasoning_effort")
        && !effort.is_empty()
    {
        derived.push(("reasoning_strength", Json::str(effort.clone())));
    }
    for (name, value) in derived {
        if ctx.get(name).is_none() {
            ctx.set(name, value);
        }
    }
    ctx
}

/// `messages` as the template receives them.
pub(crate) fn messages(shape: &Shape, messages: &[Message]) -> Json {
    let mut out: Vec<Json> = messages
        .iter()
        .map(|m| message(m, shape.trim_content))
        .collect();

    if shape.caps.typed_content_only {
        for m in &mut out {
            if let Some(Json::Str(text)) = m.get("content") {
                let part = Json::obj([
                    ("type", Json::str("text")),
                    ("text", Json::str(text.clone())),
                ]);
                m.set("content", Json::Arr(vec![part]));
            }
        }
    }
    if !shape.caps.system_role {
        merge_system_prompt(&mut out);
    }
    if shape.caps.object_arguments {
        parse_arguments(&mut out);
    }
    shape.family.reshape(&mut out);
    Json::Arr(out)
}

/// `tools` in OpenAI's shape; llama.cpp leaves the variable out when empty.
pub(crate) fn tools(tools: &[ToolSpec]) -> Option<Json> {
    if tools.is_empty() {
        return None;
    }
    Some(Json::Arr(
        tools
            .iter()
            .map(|t| {
                Json::obj([
                    ("type", Json::str("function")),
                    (
                        "function",
                        Json::obj([
                            ("name", Json::str(t.name.clone())),
                            ("description", Json::str(t.description.clone())),
                            ("parameters", Json::from_serde(&t.parameters)),
                        ]),
                    ),
                ])
            })
            .collect(),
    ))
}

/// One message as `common_chat_msg::to_json_oaicompat` writes it: content is
/// always present (`""` when empty, never null, which templates that test
/// `content is none` or concatenate it both accept), reasoning, name and ids
/// only when non-empty, and tool-call arguments as the raw string.
fn message(m: &Message, trim: bool) -> Json {
    let text = |s: &str| Json::str(if trim { c_trim(s) } else { s });
    let mut out = Json::Obj(Vec::new());
    match m {
        Message::System { content } => {
            out.set("role", Json::str("system"));
            out.set("content", text(content));
        }
        Message::User { content } => {
            out.set("role", Json::str("user"));
            out.set("content", text(content));
        }
        Message::Assistant {
            content,
            tool_calls,
            reasoning,
        } => {
            out.set("role", Json::str("assistant"));
            out.set("content", text(content));
            if let Some(r) = reasoning
                && !(if trim { c_trim(r) } else { r.as_str() }).is_empty()
            {
                out.set("reasoning_content", text(r));
            }
            if !tool_calls.is_empty() {
                out.set(
                    "tool_calls",
                    Json::Arr(tool_calls.iter().map(tool_call).collect()),
                );
            }
        }
        Message::Tool {
            tool_call_id,
            name,
            content,
        } => {
            out.set("role", Json::str("tool"));
            out.set("content", text(content));
            if !name.is_empty() {
                out.set("name", Json::str(name.clone()));
            }
            if !tool_call_id.is_empty() {
                out.set("tool_call_id", Json::str(tool_call_id.clone()));
            }
        }
    }
    out
}

fn tool_call(call: &ToolCall) -> Json {
    let mut out = Json::obj([
        ("type", Json::str("function")),
        (
            "function",
            Json::obj([
                ("name", Json::str(call.name.clone())),
                ("arguments", Json::str(call.arguments.clone())),
            ]),
        ),
    ]);
    if !call.id.is_empty() {
        out.set("id", Json::str(call.id.clone()));
    }
    out
}

/// For templates that ignore a system message: prepend it to the next
/// message, or drop it when it is alone.
fn merge_system_prompt(messages: &mut Vec<Json>) {
    if messages
        .first()
        .and_then(|m| m.get("role"))
        .and_then(Json::as_str)
        != Some("system")
    {
        return;
    }
    let system = messages.remove(0);
    if let (Some(first), Some(Json::Str(sys))) = (messages.first_mut(), system.get("content"))
        && let Some(Json::Str(next)) = first.get("content")
    {
        let merged = format!("{sys}\n{next}");
        first.set("content", Json::Str(merged));
    }
}

/// Arguments as a JSON value, for templates that read them as a mapping.
/// llama.cpp rejects arguments that are not JSON; kiln keeps such a call as
/// its raw string so a malformed call can still be shown to the model.
fn parse_arguments(messages: &mut [Json]) {
    for m in messages {
        let Some(Json::Arr(calls)) = m.get_mut("tool_calls") else {
            continue;
        };
        for call in calls {
            let Some(function) = call.get_mut("function") else {
                continue;
            };
            let parsed = function
                .get("arguments")
                .and_then(Json::as_str)
                .and_then(Json::parse);
            if let Some(parsed) = parsed {
                function.set("arguments", parsed);
            }
        }
    }
}

/// C's `isspace` trim, as llama.cpp's `trim_whitespace`.
fn c_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b')
}
