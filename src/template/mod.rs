//! Renders a GGUF's own Jinja chat template (`tokenizer.chat_template`) for
//! the in-process llama.cpp engine, since llama-cpp-2's `apply_chat_template`
//! cannot pass tools.
//!
//! The goal is the prompt llama-server would build with `--jinja` for the
//! same conversation, byte for byte (tests/templates.rs checks that against
//! goldens recorded from llama-server), with one deliberate difference:
//! nothing that changes between turns is injected. llama.cpp passes the
//! current date (`date_string`, `datetime`, `strftime_now`); kiln passes a
//! fixed date so the rendered prefix, and so the KV cache, stays valid.
//!
//! Variables a template sees: `messages`, `tools` (left undefined when there
//! are none, like llama.cpp), `add_generation_prompt` (only set when true),
//! `bos_token`, `eos_token`, and llama-server's defaults for the rest:
//! `enable_thinking: true`, `preserve_reasoning: true` (with the
//! `preserve_thinking`/`clear_thinking`/... flags it implies, which keep
//! earlier reasoning in the prompt: better for the prefix cache too), and
//! the fixed `date_string`/`datetime`. [`ChatTemplate::set_kwarg`] changes them.
//!
//! BOS: many templates start with `{{ bos_token }}`. llama.cpp strips that
//! from the text when the model's tokenizer adds BOS itself
//! (`add_bos_token`); here the text is left as rendered, so the engine must
//! not add a second BOS when tokenizing a prompt that already starts with it.

mod caps;
mod compat;
mod context;
mod env;
mod error;
mod families;
mod json;
mod pyfmt;
mod strftime;
mod value;

use minijinja::Environment;

pub use error::TemplateError;

use crate::chat::{Message, ToolSpec};
use context::Shape;
use families::Family;
use json::Json;

/// The model's special tokens, as `bos_token` / `eos_token` in templates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpecialTokens {
    pub bos: String,
    pub eos: String,
}

/// A compiled chat template with what it was probed to accept.
pub struct ChatTemplate {
    source: String,
    env: Environment<'static>,
    special: SpecialTokens,
    shape: Shape,
    /// Extra variables, like llama-server's `chat_template_kwargs`.
    kwargs: Vec<(String, Json)>,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("source_len", &self.source.len())
            .field("special", &self.special)
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

/// The fallback template: ChatML with Qwen2.5-style `<tool_call>` JSON calls,
/// for GGUFs without a template or whose template fails to render.
pub fn builtin_chatml() -> &'static str {
    include_str!("chatml.jinja")
}

impl ChatTemplate {
    /// Compiles `source` once and probes what conversation shape it accepts.
    pub fn new(source: &str, special: SpecialTokens) -> Result<Self, TemplateError> {
        // llama.cpp's lexer reads `\r\n` and lone `\r` as `\n`.
        let normalized = source.replace("\r\n", "\n").replace('\r', "\n");
        let compiled = compat::rewrite(&normalized).into_owned();
        let env = env::environment(compiled).map_err(|e| TemplateError::compile(&e))?;
        let kwargs = context::default_kwargs();
        let shape = Shape::new(source, caps::probe(&env, &kwargs));
        Ok(ChatTemplate {
            source: source.to_owned(),
            env,
            special,
            shape,
            kwargs,
        })
    }

    /// Sets an extra template variable (llama-server's `chat_template_kwargs`),
    /// e.g. `enable_thinking: false`, `reasoning_effort: "high"` or
    /// `preserve_reasoning: false`. Keep them fixed across a session: a change
    /// re-renders the whole prompt.
    pub fn set_kwarg(&mut self, name: &str, value: serde_json::Value) {
        let value = Json::from_serde(&value);
        match self.kwargs.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value,
            None => self.kwargs.push((name.to_owned(), value)),
        }
        // The probes render with the variables, so they may answer differently.
        self.shape.caps = caps::probe(&self.env, &self.kwargs);
    }

    /// Renders the conversation. Deterministic: the same input gives the
    /// same bytes, whatever the time.
    pub fn render(
        &self,
        messages: &[Message],
        tools: &[ToolSpec],
        add_generation_prompt: bool,
    ) -> Result<String, TemplateError> {
        let ctx = context::variables(
            context::messages(&self.shape, messages),
            context::tools(tools),
            &self.special,
            &self.kwargs,
            add_generation_prompt,
        );
        let template = self
            .env
            .get_template(env::NAME)
            .map_err(|e| TemplateError::render(&e))?;
        let mut out = template
            .render(value::to_value(&ctx))
            .map_err(|e| TemplateError::render(&e))?;
        // llama.cpp opens the model turn itself when a Gemma 4 template ends
        // on a closed turn (content + tool call) despite the generation prompt.
        if add_generation_prompt
            && matches!(self.shape.family, Family::Gemma4 { .. })
            && out.ends_with("<turn|>\n")
        {
            out.push_str("<|turn>model\n");
        }
        Ok(out)
    }

    /// The template source as given.
    pub fn source(&self) -> &str {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::ToolCall;

    fn chatml() -> ChatTemplate {
        ChatTemplate::new(builtin_chatml(), SpecialTokens::default()).unwrap()
    }

    #[test]
    fn templates_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ChatTemplate>();
    }

    #[test]
    fn builtin_renders_tool_calls_with_object_arguments() {
        let t = chatml();
        let messages = vec![
            Message::User {
                content: "hi".into(),
            },
            Message::Assistant {
                content: String::new(),
                tool_calls: vec![ToolCall {
                    id: "c1".into(),
                    name: "read".into(),
                    arguments: r#"{"path": "a", "limit": 2}"#.into(),
                }],
                reasoning: None,
            },
        ];
        let out = t.render(&messages, &[], false).unwrap();
        assert!(
            out.contains(r#"{"name": "read", "arguments": {"path": "a", "limit": 2}}"#),
            "{out}"
        );
    }

    #[test]
    fn raise_exception_is_reported_with_its_message() {
        let t = ChatTemplate::new(
            "line one\n{{ raise_exception('no system role') }}",
            SpecialTokens::default(),
        )
        .unwrap();
        let err = t.render(&[], &[], true).unwrap_err();
        match &err {
            TemplateError::Raised { message, line } => {
                assert_eq!(message, "no system role");
                assert_eq!(*line, Some(2));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_carry_the_line() {
        let err = ChatTemplate::new("ok\n{% if %}", SpecialTokens::default()).unwrap_err();
        assert!(
            matches!(err, TemplateError::Compile { line: Some(2), .. }),
            "{err}"
        );
    }

    #[test]
    fn strftime_now_is_frozen() {
        let t =
            ChatTemplate::new("{{ strftime_now('%d %b %Y') }}", SpecialTokens::default()).unwrap();
        assert_eq!(t.render(&[], &[], false).unwrap(), "26 Jul 2024");
    }

    #[test]
    fn prints_values_like_llama_cpp() {
        let src = "{{ true }} {{ none }}|{{ [1, 'a'] }}|{{ {'k': 'v'} | tojson }}|{{ {'k': 1} | string }}";
        let t = ChatTemplate::new(src, SpecialTokens::default()).unwrap();
        assert_eq!(
            t.render(&[], &[], false).unwrap(),
            r#"True |1a|{"k": "v"}|{'k': 1}"#
        );
    }
}
