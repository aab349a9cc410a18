//! What a template can take, found by rendering small probe conversations,
//! the way llama.cpp's `jinja::caps_get` does. llama.cpp then reshapes the
//! conversation to fit (merges the system prompt into the first user turn,
//! parses tool-call arguments into objects, wraps content in typed parts), so
//! the same probes are needed to render the same prompt.
//!
//! llama.cpp marks which input values the template reads; here the watched
//! value is an [`OrderedMap`] that records reads of one key.

use minijinja::Environment;
use minijinja::value::Value;

use super::env::NAME;
use super::json::Json;
use super::value::{OrderedMap, to_value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Caps {
    /// The template reads a leading system message's content.
    pub system_role: bool,
    /// The template reads tool-call arguments as a mapping.
    pub object_arguments: bool,
    /// Content must be a list of `{"type": "text", "text": ...}` parts.
    pub typed_content_only: bool,
}

const MARKER: &str = "STRING_MARKER";

/// Probes with `kwargs` set as well: llama.cpp's probes pass no kwargs but
/// its engine reads a missing variable as `""` where minijinja (like Python)
/// fails, so templates that concatenate e.g. `datetime` need them to get
/// through the probe as they do in llama.cpp.
pub(crate) fn probe(env: &Environment<'static>, kwargs: &[(String, Json)]) -> Caps {
    let probe = Probe { env, kwargs };
    Caps {
        system_role: probe.system_role(),
        object_arguments: probe.object_arguments(),
        typed_content_only: probe.typed_content_only(),
    }
}

struct Probe<'a> {
    env: &'a Environment<'static>,
    kwargs: &'a [(String, Json)],
}

impl Probe<'_> {
    /// Renders a probe context the way llama.cpp does: no tokens, a
    /// generation prompt, and `tools` an empty list unless given.
    fn render(&self, messages: Value, tools: Value) -> Option<String> {
        let mut vars: Vec<(Value, Value)> = self
            .kwargs
            .iter()
            .map(|(k, v)| (Value::from(k.as_str()), to_value(v)))
            .collect();
        let fixed: [(&str, Value); 5] = [
            ("messages", messages),
            ("tools", tools),
            ("bos_token", "".into()),
            ("eos_token", "".into()),
            ("add_generation_prompt", true.into()),
        ];
        for (name, value) in fixed {
            vars.retain(|(k, _)| k.as_str() != Some(name));
            vars.push((name.into(), value));
        }
        let ctx = OrderedMap::value(vars);
        self.env.get_template(NAME).ok()?.render(ctx).ok()
    }

    fn typed_content_only(&self) -> bool {
        let plain = Value::from(vec![to_value(&msg("user", Json::str(MARKER)))]);
        if self
            .render(plain, Value::from(Vec::<Value>::new()))
            .is_some_and(|out| out.contains(MARKER))
        {
            return false;
        }
        let part = Json::obj([("type", Json::str("text")), ("text", Json::str(MARKER))]);
        let typed = Value::from(vec![to_value(&msg("user", Json::Arr(vec![part])))]);
        self.render(typed, Value::from(Vec::<Value>::new()))
            .is_some_and(|out| out.contains(MARKER))
    }

    fn system_role(&self) -> bool {
        let (system, read) = OrderedMap::watched(
            vec![
                ("role".into(), "system".into()),
                ("content".into(), "System message".into()),
            ],
            "content",
        );
        let user = to_value(&msg("user", Json::str("User message")));
        // Whether it succeeds does not matter: reading the content is the signal.
        let _ = self.render(
            Value::from(vec![system, user]),
            Value::from(Vec::<Value>::new()),
        );
        read.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn object_arguments(&self) -> bool {
        let (arguments, read) = OrderedMap::watched(vec![("arg".into(), "value".into())], "arg");
        let call = OrderedMap::value(vec![
            ("id".into(), "call00001".into()),
            ("type".into(), "function".into()),
            (
                "function".into(),
                OrderedMap::value(vec![
                    ("name".into(), "tool1".into()),
                    ("arguments".into(), arguments),
                ]),
            ),
        ]);
        let assistant = OrderedMap::value(vec![
            ("role".into(), "assistant".into()),
            ("content".into(), "".into()),
            ("tool_calls".into(), Value::from(vec![call])),
        ]);
        let tool = Json::obj([
            ("role", Json::str("tool")),
            ("content", Json::str("Tool response")),
            ("tool_call_id", Json::str("call00001")),
        ]);
        let messages = Value::from(vec![
            to_value(&msg("user", Json::str("User message"))),
            assistant,
            to_value(&tool),
            to_value(&msg(
                "assistant",
                Json::str("The tool response was 'tool response'"),
            )),
            to_value(&msg("user", Json::str("User message"))),
        ]);
        let rendered = self.render(messages, to_value(&probe_tools())).is_some();
        rendered && read.load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn msg(role: &str, content: Json) -> Json {
    Json::obj([("role", Json::str(role)), ("content", content)])
}

fn probe_tools() -> Json {
    let arg = Json::obj([
        ("type", Json::str("string")),
        ("description", Json::str("Arg description")),
    ]);
    let parameters = Json::obj([
        ("type", Json::str("object")),
        ("properties", Json::obj([("arg", arg)])),
        ("required", Json::Arr(vec![Json::str("arg")])),
    ]);
    Json::Arr(vec![Json::obj([
        ("name", Json::str("tool")),
        ("type", Json::str("function")),
        (
            "function",
            Json::obj([
                ("name", Json::str("tool1")),
                ("description", Json::str("Tool description")),
                ("parameters", parameters),
            ]),
        ),
    ])])
}
