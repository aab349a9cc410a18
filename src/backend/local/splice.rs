//! Building each prompt so the KV cache is reused exactly.
//!
//! The naive way — render the whole conversation and tokenize it — throws
//! cache away whenever the template renders an earlier assistant turn
//! differently from what the model sampled: tool calls re-serialised,
//! reasoning stripped from earlier turns (Qwen3 and others), whitespace
//! normalised. Then everything after that turn is prefilled again, every
//! turn. Instead, the turn the model just produced is spliced back as the
//! exact tokens it sampled, followed by the template's closing of that turn
//! and the template's rendering of what came after it.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use crate::chat::Message;
use crate::engine::PromptPiece;

/// What the previous request left in the cache.
#[derive(Clone, Debug)]
pub struct LastTurn {
    /// Fingerprint of the messages that request was rendered from.
    pub history: u64,
    pub history_len: usize,
    /// The assistant message the agent loop appends for that request.
    pub assistant: Message,
    /// Prompt tokens followed by the sampled tokens.
    pub tokens: Vec<i32>,
    /// How many of `tokens` are the prompt.
    pub prompt_len: usize,
    /// Text of the end-of-generation token the model stopped on.
    pub eog_text: String,
}

/// The pieces of the next prompt, and why reuse may be partial.
#[derive(Debug, PartialEq)]
pub struct Plan {
    pub pieces: Vec<PromptPiece>,
    pub note: Option<String>,
}

pub fn fingerprint(messages: &[Message]) -> u64 {
    let mut h = DefaultHasher::new();
    for m in messages {
        serde_json::to_string(m).unwrap_or_default().hash(&mut h);
    }
    h.finish()
}

/// Plans the prompt for `messages`. `render(msgs, add_generation_prompt)`
/// renders part of the conversation with the chat template.
pub fn plan<E>(
    last: Option<&LastTurn>,
    messages: &[Message],
    render: impl Fn(&[Message], bool) -> Result<String, E>,
) -> Result<Plan, E> {
    let full = |note: Option<String>| -> Result<Plan, E> {
        Ok(Plan {
            pieces: vec![PromptPiece::Text(render(messages, true)?)],
            note,
        })
    };
    let Some(last) = last else {
        return full(None);
    };
    let k = last.history_len;
    // The same request again (its answer was discarded): the same prompt
    // tokens, so the whole prompt stays in the cache.
    let prompt = last.tokens.get(..last.prompt_len);
    if let Some(prompt) = prompt.filter(|_| messages.len() == k)
        && fingerprint(messages) == last.history
    {
        return Ok(Plan {
            pieces: vec![PromptPiece::Tokens(prompt.to_vec())],
            note: None,
        });
    }
    let continues = messages.len() > k
        && messages[k] == last.assistant
        && fingerprint(&messages[..k]) == last.history;
    if !continues {
        return full(Some(format!(
            "the conversation before message {k} changed since the last request"
        )));
    }
    let through_k = render(&messages[..=k], false)?;
    let whole = render(messages, true)?;
    let Some(closing) = closing_of(&through_k, &last.eog_text) else {
        return full(Some(format!(
            "the chat template does not close the assistant turn with `{}`; reuse falls back \
             to the common token prefix",
            last.eog_text
        )));
    };
    // Message k ends at the same count of end-of-turn markers in the whole
    // rendering, even when the template rewrites earlier turns there (e.g.
    // drops their reasoning once a new user message follows).
    let turns = through_k.matches(last.eog_text.as_str()).count();
    let rest = whole
        .match_indices(last.eog_text.as_str())
        .nth(turns.saturating_sub(1))
        .and_then(|(at, _)| whole[at..].strip_prefix(closing));
    let Some(rest) = rest else {
        return full(Some(format!(
            "cannot find where message {k} ends in the rendered prompt; reuse falls back to \
             the common token prefix"
        )));
    };
    let note = (!whole.starts_with(&through_k)).then(|| {
        "the chat template rewrites earlier turns (e.g. drops their reasoning); the sampled \
         history is kept as it was"
            .to_string()
    });
    Ok(Plan {
        pieces: vec![
            PromptPiece::Tokens(last.tokens.clone()),
            PromptPiece::Text(format!("{closing}{rest}")),
        ],
        note,
    })
}

/// The template's text after the assistant content: the end-of-generation
/// token and whatever short separator follows it (`<|im_end|>\n`).
fn closing_of<'a>(rendered: &'a str, eog_text: &str) -> Option<&'a str> {
    if eog_text.is_empty() {
        return None;
    }
    let at = rendered.rfind(eog_text)?;
    let closing = &rendered[at..];
    (closing.len() <= eog_text.len() + 8 && closing[eog_text.len()..].trim().is_empty())
        .then_some(closing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::ToolCall;

    /// A ChatML-like template that, like Qwen3's, drops reasoning from
    /// assistant turns before the last user message.
    fn render(msgs: &[Message], gen_prompt: bool) -> Result<String, String> {
        let last_user = msgs.iter().rposition(|m| matches!(m, Message::User { .. }));
        let mut out = String::new();
        for (i, m) in msgs.iter().enumerate() {
            match m {
                Message::System { content } => out += &format!("<s>system\n{content}<e>\n"),
                Message::User { content } => out += &format!("<s>user\n{content}<e>\n"),
                Message::Assistant {
                    content,
                    tool_calls,
                    reasoning,
                } => {
                    out += "<s>assistant\n";
                    if let (Some(r), true) = (reasoning, Some(i) > last_user) {
                        out += &format!("<think>{r}</think>");
                    }
                    out += content;
                    for c in tool_calls {
                        out += &format!("<tool_call>{}</tool_call>", c.arguments);
                    }
                    out += "<e>\n";
                }
                Message::Tool { content, .. } => out += &format!("<s>tool\n{content}<e>\n"),
            }
        }
        if gen_prompt {
            out += "<s>assistant\n";
        }
        Ok(out)
    }

    fn assistant() -> Message {
        Message::Assistant {
            content: String::new(),
            tool_calls: vec![ToolCall {
                id: "call_1".into(),
                name: "read_file".into(),
                arguments: "{}".into(),
            }],
            reasoning: Some("hmm".into()),
        }
    }

    fn history() -> Vec<Message> {
        vec![
            Message::System {
                content: "sys".into(),
            },
            Message::User {
                content: "task".into(),
            },
        ]
    }

    #[test]
    fn splices_sampled_tokens_and_renders_only_the_rest() {
        let h = history();
        let last = LastTurn {
            history: fingerprint(&h),
            history_len: h.len(),
            assistant: assistant(),
            tokens: vec![1, 2, 3],
            prompt_len: 2,
            eog_text: "<e>".into(),
        };
        let mut msgs = h.clone();
        msgs.push(assistant());
        msgs.push(Message::Tool {
            tool_call_id: "call_1".into(),
            name: "read_file".into(),
            content: "data".into(),
        });
        let plan = plan(Some(&last), &msgs, render).unwrap();
        assert_eq!(plan.note, None);
        assert_eq!(
            plan.pieces,
            vec![
                PromptPiece::Tokens(vec![1, 2, 3]),
                PromptPiece::Text("<e>\n<s>tool\ndata<e>\n<s>assistant\n".into()),
            ]
        );
    }

    #[test]
    fn the_same_request_again_reuses_the_prompt_tokens() {
        let h = history();
        let last = LastTurn {
            history: fingerprint(&h),
            history_len: h.len(),
            assistant: assistant(),
            tokens: vec![1, 2, 3, 4],
            prompt_len: 2,
            eog_text: "<e>".into(),
        };
        let plan = plan(Some(&last), &h, render).unwrap();
        assert_eq!(plan.note, None);
        assert_eq!(plan.pieces, vec![PromptPiece::Tokens(vec![1, 2])]);
    }

    #[test]
    fn changed_history_falls_back_with_a_reason() {
        let h = history();
        let last = LastTurn {
            history: fingerprint(&h),
            history_len: h.len(),
            assistant: assistant(),
            tokens: vec![1],
            prompt_len: 0,
            eog_text: "<e>".into(),
        };
        let mut msgs = vec![
            Message::System {
                content: "other".into(),
            },
            h[1].clone(),
        ];
        msgs.push(assistant());
        let plan = plan(Some(&last), &msgs, render).unwrap();
        assert!(plan.note.unwrap().contains("changed"));
        assert!(
            matches!(&plan.pieces[..], [PromptPiece::Text(t)] if t.starts_with("<s>system\nother"))
        );
    }

    #[test]
    fn reasoning_dropped_by_the_template_stays_in_the_cache() {
        let h = history();
        let answer = Message::Assistant {
            content: "done".into(),
            tool_calls: vec![],
            reasoning: Some("hmm".into()),
        };
        let last = LastTurn {
            history: fingerprint(&h),
            history_len: h.len(),
            assistant: answer.clone(),
            tokens: vec![7, 8],
            prompt_len: 1,
            eog_text: "<e>".into(),
        };
        let mut msgs = h;
        msgs.push(answer);
        msgs.push(Message::User {
            content: "next".into(),
        });
        let plan = plan(Some(&last), &msgs, render).unwrap();
        assert!(plan.note.unwrap().contains("rewrites earlier turns"));
        assert_eq!(
            plan.pieces,
            vec![
                PromptPiece::Tokens(vec![7, 8]),
                PromptPiece::Text("<e>\n<s>user\nnext<e>\n<s>assistant\n".into()),
            ]
        );
    }

    #[test]
    fn unknown_closing_falls_back() {
        let h = history();
        let last = LastTurn {
            history: fingerprint(&h),
            history_len: h.len(),
            assistant: assistant(),
            tokens: vec![1],
            prompt_len: 0,
            eog_text: "<|eot|>".into(),
        };
        let mut msgs = h;
        msgs.push(assistant());
        msgs.push(Message::User {
            content: "more".into(),
        });
        let plan = plan(Some(&last), &msgs, render).unwrap();
        assert!(plan.note.unwrap().contains("does not close"));
    }
}
