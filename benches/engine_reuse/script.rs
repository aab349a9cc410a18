//! The scripted agent session: kiln's real system prompt and tool specs, a
//! fixed task, and fixed tool results sized so the conversation grows to a
//! target context. kiln and llama-server answer the same script; only the
//! assistant turns (sampled by each) differ.

use anyhow::Context as _;
use kiln::chat::{Message, ToolSpec};
use kiln::engine::Engine;
use kiln::template::{ChatTemplate, SpecialTokens, builtin_chatml};

/// A first user message well under 100 tokens (the warm-start case).
pub const TASK: &str = "The tests in tests/store.rs fail since the segment refactor: \
    `cargo test` reports `StoreError::Missing` for keys that exist. Find the cause in \
    src/store/ and fix it.";

/// Tokens the template adds around one tool result (closing the assistant
/// turn, the tool turn's markers, the next generation prompt); measured
/// with Qwen2.5's template.
const RESULT_WRAP_TOKENS: usize = 34;

/// The parts of a session that never change within it.
pub struct Script {
    pub system: String,
    pub tools: Vec<ToolSpec>,
    pub turns: usize,
    /// Lines of fake source per tool result.
    pub payload_lines: usize,
}

/// What the calibration found, reported with each session.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Sizing {
    /// System prompt, tools and task, rendered with the generation prompt.
    pub base_tokens: usize,
    pub tokens_per_line: f64,
    pub payload_lines: usize,
    /// False when even one-line results overshoot the target: the prefix
    /// and the replies alone outgrow it over this many turns.
    pub reachable: bool,
}

/// kiln's system prompt and tool specs of the `default` profile, built the
/// way `kiln exec` builds them. The workspace is a fixed path that need not exist
/// (every tool result is scripted): the prompt, and so every token count,
/// is the same from run to run, and short paths keep the calls short.
pub fn agent_prefix() -> anyhow::Result<(String, Vec<ToolSpec>)> {
    let workspace = std::path::Path::new("/work/shop");
    let assembled = kiln::profile::assemble::builtin("default", workspace)?;
    Ok((assembled.system_prompt, assembled.specs))
}

impl Script {
    /// Sizes the tool results so the prompt of the last turn is about
    /// `target` tokens, using the model's own template and tokenizer.
    /// Small models tend to fill their reply budget, so each reply is
    /// assumed to take `max_tokens`.
    pub async fn sized(
        engine: &Engine,
        system: String,
        tools: Vec<ToolSpec>,
        turns: usize,
        target: usize,
        max_tokens: u32,
    ) -> anyhow::Result<(Self, Sizing)> {
        let info = engine.info();
        let special = SpecialTokens {
            bos: info.bos.clone(),
            eos: info.eos.clone(),
        };
        let source = info.chat_template.as_deref().unwrap_or(builtin_chatml());
        let template = ChatTemplate::new(source, special).context("chat template")?;
        let opening = [
            Message::System {
                content: system.clone(),
            },
            Message::User {
                content: TASK.into(),
            },
        ];
        let rendered = template.render(&opening, &tools, true)?;
        let base_tokens = engine.tokenize(rendered).await?.len();
        let sample_lines = 40;
        let sample = engine.tokenize(payload(1, sample_lines)).await?.len();
        let tokens_per_line = sample as f64 / sample_lines as f64;
        let results = turns.saturating_sub(1).max(1);
        let fixed = base_tokens + results * (max_tokens as usize + RESULT_WRAP_TOKENS);
        let per_result = target.saturating_sub(fixed) as f64 / results as f64;
        let payload_lines = ((per_result / tokens_per_line).round() as usize).max(1);
        let script = Self {
            system,
            tools,
            turns,
            payload_lines,
        };
        let sizing = Sizing {
            base_tokens,
            tokens_per_line,
            payload_lines,
            reachable: fixed + tokens_per_line.ceil() as usize * results <= target,
        };
        Ok((script, sizing))
    }

    pub fn opening(&self) -> Vec<Message> {
        vec![
            Message::System {
                content: self.system.clone(),
            },
            Message::User {
                content: TASK.into(),
            },
        ]
    }

    /// What follows the assistant's reply at `turn`: a result for each tool
    /// call (the fixed payload goes to the first), or, when the model wrote
    /// no call, a user message carrying the same payload. Either way the
    /// conversation grows by about the same amount.
    pub fn follow_up(&self, assistant: &Message, turn: usize) -> Vec<Message> {
        let body = payload(turn, self.payload_lines);
        let calls = match assistant {
            Message::Assistant { tool_calls, .. } => tool_calls.as_slice(),
            _ => &[],
        };
        if calls.is_empty() {
            return vec![Message::User {
                content: format!("Keep going. Here is more of the code:\n\n{body}"),
            }];
        }
        calls
            .iter()
            .enumerate()
            .map(|(i, call)| Message::Tool {
                tool_call_id: call.id.clone(),
                name: call.name.clone(),
                content: if i == 0 {
                    body.clone()
                } else {
                    "(no further output)".into()
                },
            })
            .collect()
    }
}

/// An assistant reply as text, calls included, clipped for the JSON.
pub fn reply_text(message: &Message) -> String {
    let Message::Assistant {
        content,
        tool_calls,
        ..
    } = message
    else {
        return String::new();
    };
    let mut out = content.clone();
    for c in tool_calls {
        out.push_str(&format!(" [{}({})]", c.name, c.arguments));
    }
    out.chars().take(300).collect()
}

/// A short description of an assistant reply for the tables.
pub fn reply_kind(message: &Message) -> String {
    match message {
        Message::Assistant { tool_calls, .. } if tool_calls.len() == 1 => {
            tool_calls[0].name.clone()
        }
        Message::Assistant { tool_calls, .. } if !tool_calls.is_empty() => {
            format!("{} calls", tool_calls.len())
        }
        _ => "text".into(),
    }
}

/// A `read_file`-style result: numbered lines of plausible Rust, different
/// for every turn so no two results share more than their shape.
pub fn payload(turn: usize, lines: usize) -> String {
    let mut out = format!("src/store/segment_{turn:02}.rs (lines 1-{lines}):\n");
    for i in 1..=lines {
        let code = match i % 6 {
            0 => format!("pub fn load_{turn}_{i}(path: &Path) -> Result<Vec<u8>, StoreError> {{"),
            1 => format!(
                "    let entry = self.index.get(&key_{i}).ok_or(StoreError::Missing({i}))?;"
            ),
            2 => format!(
                "    // Segment {turn}: entries are sorted by key, so a binary search finds them."
            ),
            3 => format!("    total += entry.len() as u64 * {};", i * turn + 7),
            4 => format!("    if offset_{i} > self.limit {{ return Err(StoreError::TooLarge); }}"),
            _ => "}".to_string(),
        };
        out.push_str(&format!("{i:>4}\t{code}\n"));
    }
    out
}
