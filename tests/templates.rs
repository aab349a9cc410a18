//! Chat-template rendering against llama.cpp.
//!
//! Fixtures: the templates in llama.cpp's `models/templates/` plus SmolLM2's
//! (from its GGUF), in tests/fixtures/templates/ (see NOTICE there). Goldens:
//! llama-server's own `/apply-template` output for the same conversations, in
//! tests/snapshots/templates/, recorded by scripts/template-goldens.sh; no
//! server is needed here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kiln::chat::{Message, ToolSpec};
use kiln::template::{ChatTemplate, SpecialTokens, TemplateError, builtin_chatml};
use serde::Deserialize;

/// Families whose rendering must be byte-identical to llama.cpp's.
const FAMILIES: &[&str] = &[
    // Qwen2.5 / Qwen3 (ChatML + <tool_call> JSON)
    "Qwen-Qwen2.5-7B-Instruct",
    "Qwen-Qwen3-0.6B",
    "Qwen-QwQ-32B",
    // Qwen3-Coder and Qwen3.5 (XML tool calls)
    "Qwen3-Coder",
    "Qwen3.5-4B",
    // Llama 3.x
    "meta-llama-Llama-3.1-8B-Instruct",
    "meta-llama-Llama-3.2-3B-Instruct",
    "meta-llama-Llama-3.3-70B-Instruct",
    // Mistral / Devstral ([TOOL_CALLS])
    "mistralai-Mistral-Nemo-Instruct-2407",
    "Mistral-Small-3.2-24B-Instruct-2506",
    "mistralai-Ministral-3-14B-Reasoning-2512",
    "unsloth-mistral-Devstral-Small-2507",
    // gpt-oss (harmony)
    "openai-gpt-oss-120b",
    // SmolLM2 / SmolLM3
    "HuggingFaceTB-SmolLM2-135M-Instruct",
    "HuggingFaceTB-SmolLM3-3B",
    // Gemma 2 / 4 (no Gemma 3 template in the llama.cpp tree)
    "google-gemma-2-2b-it",
    "google-gemma-4-31B-it",
];

const MID_TURN: &str = ".mid_turn";
/// Golden name suffixes: the whole conversation, and the mid-turn prompt.
const VARIANTS: [&str; 2] = ["", MID_TURN];

#[derive(Deserialize)]
struct Conversations {
    tools: BTreeMap<String, Vec<ToolSpec>>,
    conversations: BTreeMap<String, Vec<Message>>,
}

/// What a template needs instead of the default conversation, tool list or
/// variables, and why (see shapes.json).
#[derive(Deserialize)]
struct Shape {
    #[serde(default = "default_name")]
    conversation: String,
    #[serde(default = "default_name")]
    tools: String,
    #[serde(default)]
    kwargs: serde_json::Map<String, serde_json::Value>,
    #[allow(dead_code)]
    why: String,
}

fn default_name() -> String {
    "default".to_owned()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Fixtures {
    spec: Conversations,
    shapes: BTreeMap<String, Shape>,
    special: SpecialTokens,
    /// (name, source), sorted by name.
    templates: Vec<(String, String)>,
}

impl Fixtures {
    fn load() -> Fixtures {
        let dir = root().join("fixtures/templates");
        let spec = serde_json::from_str(&read(&dir.join("conversations.json"))).unwrap();
        let shapes = serde_json::from_str(&read(&dir.join("shapes.json"))).unwrap();
        #[derive(Deserialize)]
        struct Special {
            bos: String,
            eos: String,
        }
        let special: Special = serde_json::from_str(&read(
            &root().join("snapshots/templates/_special_tokens.json"),
        ))
        .unwrap();
        let mut templates: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "jinja"))
            .map(|p| {
                let name = p.file_stem().unwrap().to_string_lossy().into_owned();
                (name, read(&p))
            })
            .collect();
        templates.sort();
        Fixtures {
            spec,
            shapes,
            special: SpecialTokens {
                bos: special.bos,
                eos: special.eos,
            },
            templates,
        }
    }

    fn conversation(&self, template: &str) -> &[Message] {
        let name = self
            .shapes
            .get(template)
            .map_or("default", |s| s.conversation.as_str());
        &self.spec.conversations[name]
    }

    fn tools(&self, template: &str) -> &[ToolSpec] {
        let name = self
            .shapes
            .get(template)
            .map_or("default", |s| s.tools.as_str());
        &self.spec.tools[name]
    }

    /// The template compiled with the variables its shape adds.
    fn template(&self, name: &str, source: &str) -> Result<ChatTemplate, TemplateError> {
        let mut template = ChatTemplate::new(source, self.special.clone())?;
        if let Some(shape) = self.shapes.get(name) {
            for (key, value) in &shape.kwargs {
                template.set_kwarg(key, value.clone());
            }
        }
        Ok(template)
    }

    /// The conversation of a variant: the whole one, or (`.mid_turn`) the
    /// agent loop's usual prompt, cut after the tool results; every
    /// conversation ends with the answer and a new user message.
    fn messages(&self, name: &str, variant: &str) -> &[Message] {
        let conversation = self.conversation(name);
        match variant {
            MID_TURN => &conversation[..conversation.len() - 2],
            _ => conversation,
        }
    }

    fn render(&self, name: &str, source: &str, variant: &str) -> Result<String, TemplateError> {
        self.template(name, source)?
            .render(self.messages(name, variant), self.tools(name), true)
    }

    /// How our renderings differ from llama.cpp's goldens, one entry per
    /// differing variant.
    fn differences(&self, name: &str, source: &str) -> Vec<String> {
        VARIANTS
            .iter()
            .filter_map(|variant| {
                let label = format!("{name}{variant}");
                let Some(expected) = golden(&label) else {
                    return Some(format!("{label}: no golden"));
                };
                match self.render(name, source, variant) {
                    Ok(ours) if ours == expected => None,
                    Ok(ours) => Some(format!("{label}: {}", first_difference(&ours, &expected))),
                    Err(e) => Some(format!("{label}: {e}")),
                }
            })
            .collect()
    }

    fn source(&self, name: &str) -> &str {
        &self
            .templates
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no fixture {name}"))
            .1
    }
}

fn golden(name: &str) -> Option<String> {
    std::fs::read_to_string(root().join(format!("snapshots/templates/{name}.txt"))).ok()
}

/// Where two renderings part, with some context on each side.
fn first_difference(ours: &str, theirs: &str) -> String {
    let at = ours
        .bytes()
        .zip(theirs.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    let window = |s: &str| {
        let start = (0..=at.saturating_sub(80))
            .rev()
            .find(|&i| s.is_char_boundary(i));
        let end = ((at + 80).min(s.len())..=s.len()).find(|&i| s.is_char_boundary(i));
        format!("{:?}", &s[start.unwrap_or(0)..end.unwrap_or(s.len())])
    };
    format!(
        "byte {at} (ours {} bytes, llama.cpp {} bytes)\n  ours:      {}\n  llama.cpp: {}",
        ours.len(),
        theirs.len(),
        window(ours),
        window(theirs)
    )
}

#[test]
fn every_fixture_renders_a_conversation_with_tools() {
    let fx = Fixtures::load();
    assert_eq!(fx.templates.len(), 72, "71 llama.cpp templates + SmolLM2");
    let failures: Vec<String> = fx
        .templates
        .iter()
        .flat_map(|(name, source)| VARIANTS.map(|variant| (name, source, variant)))
        .filter_map(
            |(name, source, variant)| match fx.render(name, source, variant) {
                Ok(out) if out.is_empty() => Some(format!("{name}{variant}: rendered nothing")),
                Ok(_) => None,
                Err(e) => Some(format!("{name}{variant}: {e}")),
            },
        )
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn families_match_llama_cpp_byte_for_byte() {
    let fx = Fixtures::load();
    let mut failures = Vec::new();
    for name in FAMILIES {
        failures.extend(fx.differences(name, fx.source(name)));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn rendering_is_deterministic() {
    let fx = Fixtures::load();
    for (name, source) in &fx.templates {
        let template = fx.template(name, source).unwrap();
        let (conversation, tools) = (fx.conversation(name), fx.tools(name));
        let first = template.render(conversation, tools, true).unwrap();
        let second = template.render(conversation, tools, true).unwrap();
        assert_eq!(first, second, "{name}");
    }
}

/// Each turn only appends: the prompt for a conversation is a prefix of the
/// prompt for that conversation plus one more message, and a reply follows
/// the generation prompt it answered.
///
/// One exception by design of ChatML: consecutive tool results share one
/// user turn, closed after the last, so a conversation ending mid-run of
/// results is not a prefix of one with the next result. No prompt is built
/// there: the engine renders once all results of a turn are in.
///
/// Checked for the builtin ChatML and Qwen2.5. Not every family is
/// append-only, by design of its template: Qwen3/QwQ/Qwen3.5 render
/// reasoning (and an empty `<think>` block on the last assistant turn) only
/// after the last user query and drop it once a new user turn arrives;
/// gpt-oss drops the analysis channel of earlier turns; Llama 3.x puts the
/// tool list into the first user message. The engine must re-render those
/// from the first changed byte, as llama-server's prefix cache does.
#[test]
fn chatml_and_qwen_prompts_only_grow() {
    let fx = Fixtures::load();
    let conversation = &fx.spec.conversations["default"];
    let tools = &fx.spec.tools["default"];
    let templates = [
        ("builtin", builtin_chatml()),
        (
            "Qwen-Qwen2.5-7B-Instruct",
            fx.source("Qwen-Qwen2.5-7B-Instruct"),
        ),
    ];
    let is_tool = |m: &Message| matches!(m, Message::Tool { .. });
    for (name, source) in templates {
        let template = ChatTemplate::new(source, fx.special.clone()).unwrap();
        for n in 1..conversation.len() {
            if is_tool(&conversation[n]) && is_tool(&conversation[n - 1]) {
                continue;
            }
            let shorter = &conversation[..n];
            let longer = &conversation[..=n];
            let next = template.render(longer, tools, false).unwrap();
            let without = template.render(shorter, tools, false).unwrap();
            assert!(
                next.starts_with(&without),
                "{name}: message {n} rewrote earlier text"
            );
            if matches!(conversation[n], Message::Assistant { .. }) {
                let prompted = template.render(shorter, tools, true).unwrap();
                assert!(
                    next.starts_with(&prompted),
                    "{name}: reply {n} does not follow its prompt"
                );
            }
        }
    }
}

#[test]
fn builtin_matches_qwen25_apart_from_the_default_system_prompt() {
    let fx = Fixtures::load();
    let conversation = &fx.spec.conversations["default"];
    let ours = ChatTemplate::new(builtin_chatml(), fx.special.clone())
        .unwrap()
        .render(conversation, &fx.spec.tools["default"], true)
        .unwrap();
    // The builtin is Qwen2.5's template without its default "You are Qwen"
    // system prompt, so with a system message the two render the same.
    assert_eq!(ours, golden("Qwen-Qwen2.5-7B-Instruct").unwrap());
}

/// Templates outside [`FAMILIES`] whose rendering differs from llama.cpp's,
/// and why. Every other fixture must match its golden too.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

#[test]
fn other_templates_match_llama_cpp_unless_listed() {
    let fx = Fixtures::load();
    let mut failures = Vec::new();
    for (name, source) in &fx.templates {
        if FAMILIES.contains(&name.as_str()) {
            continue;
        }
        let known = KNOWN_DIFFERENCES.iter().any(|(n, _)| n == name);
        let differences = fx.differences(name, source);
        match (differences.is_empty(), known) {
            (true, true) => failures.push(format!(
                "{name}: matches now, drop it from KNOWN_DIFFERENCES"
            )),
            (false, false) => failures.extend(differences),
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
