//! The streaming driver: prose, reasoning, and blocks of tool-call markup.
//!
//! Pending text stays in `buf` until it is certain. In prose, only a
//! possible opening (a marker cut off at the end, or a `{`/```` ``` ```` that
//! may still become a call) is held back; inside a block everything is held
//! until the block's format says where it ends.

use super::calls::Tools;
use super::emit::Out;
use super::generic::{self, BareJson, Fence, Sniff};
use super::harmony::{CallBody, Header};
use super::hermes::Hermes;
use super::llama3::PythonTag;
use super::mistral::Mistral;
use super::qwen3_xml::BareFunction;
use super::scan::{Prefix, find_any, prefix};
use super::{Format, Parsed};
use crate::chat::ToolSpec;

/// What a block needs from the parser while it polls.
pub(crate) struct Cx<'a> {
    pub out: &'a mut Out,
    pub tools: &'a Tools,
}

/// A block finished: `consumed` bytes of the pending text belong to it.
pub(crate) struct Done {
    pub consumed: usize,
    pub next: State,
    /// The block gave its text back as prose (it was not a call).
    pub released: bool,
    /// A bare JSON call ended: a `;` before the next one is a separator
    /// (Llama 3 writes `{…}; {…}`).
    pub json_call: bool,
}

impl Done {
    pub fn call(consumed: usize) -> Self {
        Self {
            consumed,
            next: State::Text,
            released: false,
            json_call: false,
        }
    }
}

/// Where reasoning ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReasonEnd {
    /// `</think>`.
    Think,
    /// The end of a harmony message (or the start of the next one).
    Harmony,
}

pub(crate) enum State {
    Text,
    Reasoning(ReasonEnd),
    Block(Block),
}

/// One construct of tool-call markup being collected.
pub(crate) enum Block {
    Hermes(Hermes),
    Function(BareFunction),
    PythonTag(PythonTag),
    Mistral(Mistral),
    HarmonyHeader(Header),
    HarmonyCall(CallBody),
    Json(BareJson),
    Fence(Fence),
}

impl Block {
    /// `buf` starts at the block's first byte. Returns `None` while more
    /// text is needed; never `None` when `eof`.
    fn poll(&mut self, buf: &str, eof: bool, cx: &mut Cx<'_>) -> Option<Done> {
        match self {
            Block::Hermes(b) => b.poll(buf, eof, cx),
            Block::Function(b) => b.poll(buf, eof, cx),
            Block::PythonTag(b) => b.poll(buf, eof, cx),
            Block::Mistral(b) => b.poll(buf, eof, cx),
            Block::HarmonyHeader(b) => b.poll(buf, eof, cx),
            Block::HarmonyCall(b) => b.poll(buf, eof, cx),
            Block::Json(b) => b.poll(buf, eof, cx),
            Block::Fence(b) => b.poll(buf, eof, cx),
        }
    }
}

/// What a literal marker in prose does.
#[derive(Clone, Copy, Debug)]
enum Act {
    Think,
    /// Markup with no content of its own (a stray closer, an end token).
    Drop,
    Hermes,
    Function,
    PythonTag,
    Mistral,
    Harmony,
}

enum Opening {
    Plain,
    Wait,
    Marker(usize, Act),
    Block(Block),
}

fn literals(format: Format) -> Vec<(&'static str, Act)> {
    // End-of-generation tokens, in case the engine passes them on.
    let mut v = vec![
        ("<think>", Act::Think),
        ("</think>", Act::Drop),
        ("<|im_end|>", Act::Drop),
        ("<|eot_id|>", Act::Drop),
        ("<|eom_id|>", Act::Drop),
        ("<|endoftext|>", Act::Drop),
    ];
    match format {
        Format::Hermes | Format::Qwen3CoderXml => v.extend([
            ("<tool_call>", Act::Hermes),
            ("</tool_call>", Act::Drop),
            ("<function=", Act::Function),
        ]),
        Format::Llama3Json => v.extend([
            ("<|python_tag|>", Act::PythonTag),
            // Llama 3.1's custom-tool form.
            ("<function=", Act::Function),
        ]),
        Format::Mistral => v.extend([("[TOOL_CALLS]", Act::Mistral), ("</s>", Act::Drop)]),
        Format::Harmony => v.extend([
            ("<|start|>", Act::Harmony),
            ("<|channel|>", Act::Harmony),
            ("<|end|>", Act::Drop),
            ("<|return|>", Act::Drop),
            ("<|call|>", Act::Drop),
            ("<|message|>", Act::Drop),
            ("<|constrain|>", Act::Drop),
        ]),
        Format::GenericJson => {}
    }
    v
}

/// Whether a ```` ``` ```` at the end of `before` would open a line.
fn line_start_at(before: &str, at_start: bool) -> bool {
    match before.trim_end_matches([' ', '\t']).chars().last() {
        Some(c) => c == '\n',
        None => at_start,
    }
}

/// Recovers prose, reasoning and tool calls from streamed model output.
pub struct StreamParser {
    tools: Tools,
    literals: Vec<(&'static str, Act)>,
    buf: String,
    state: State,
    out: Out,
    /// Whether the next pending byte starts a line.
    line_start: bool,
    swallow_semicolon: bool,
    pushed: bool,
}

impl StreamParser {
    /// A parser for one generation; `tool_names` are the offered tools (a
    /// bare JSON object is only a call when it names one of them).
    pub fn new(format: Format, tool_names: Vec<String>) -> Self {
        Self::with(format, Tools::from_names(tool_names))
    }

    /// Like [`StreamParser::new`], and the tools' schemas decide how
    /// Qwen3-Coder parameter values are read: a `string` parameter is kept
    /// as text even when it looks like a number or JSON.
    pub fn with_tools(format: Format, tools: &[ToolSpec]) -> Self {
        Self::with(format, Tools::from_specs(tools))
    }

    fn with(format: Format, tools: Tools) -> Self {
        Self {
            tools,
            literals: literals(format),
            buf: String::new(),
            state: State::Text,
            out: Out::new(),
            line_start: true,
            swallow_semicolon: false,
            pushed: false,
        }
    }

    /// The generation starts inside `<think>` (the template opened it in
    /// the generation prompt): text is reasoning until `</think>`. Call
    /// before the first [`StreamParser::push`]; later it does nothing.
    pub fn start_in_reasoning(&mut self) {
        if !self.pushed && matches!(self.state, State::Text) {
            self.state = State::Reasoning(ReasonEnd::Think);
        }
    }

    /// Feeds newly decoded text (any split) and returns what is now certain.
    pub fn push(&mut self, text: &str) -> Vec<Parsed> {
        self.pushed = true;
        self.buf.push_str(text);
        self.run(false)
    }

    /// End of generation: flushes everything. A call cut off before its
    /// content was complete is reported as [`Parsed::Malformed`]; one whose
    /// content is complete but whose closing tag is missing (the end token
    /// often is the closer) is accepted.
    pub fn finish(&mut self) -> Vec<Parsed> {
        self.run(true)
    }

    fn run(&mut self, eof: bool) -> Vec<Parsed> {
        loop {
            let state = std::mem::replace(&mut self.state, State::Text);
            let (next, progressed) = match state {
                State::Text => self.step_text(eof),
                State::Reasoning(end) => self.step_reasoning(end, eof),
                State::Block(block) => self.step_block(block, eof),
            };
            self.state = next;
            if !progressed {
                break;
            }
        }
        self.out.take(eof)
    }

    fn step_block(&mut self, mut block: Block, eof: bool) -> (State, bool) {
        let mut cx = Cx {
            out: &mut self.out,
            tools: &self.tools,
        };
        let Some(done) = block.poll(&self.buf, eof, &mut cx) else {
            return (State::Block(block), false);
        };
        // Every block opened from prose consumes at least its opening, so
        // prose never reopens the same block; only a harmony call body may
        // consume nothing (an empty body before the next header).
        let consumed = done.consumed.min(self.buf.len());
        let raw: String = self.buf.drain(..consumed).collect();
        self.line_start = !done.released || line_start_at(&raw, self.line_start);
        self.swallow_semicolon = done.json_call;
        (done.next, true)
    }

    fn step_reasoning(&mut self, end: ReasonEnd, eof: bool) -> (State, bool) {
        const THINK: &[&str] = &["</think>"];
        // The first three end the message; the others start the next one.
        const HARMONY: &[&str] = &[
            "<|end|>",
            "<|return|>",
            "<|call|>",
            "<|start|>",
            "<|channel|>",
        ];
        let closers = match end {
            ReasonEnd::Think => THINK,
            ReasonEnd::Harmony => HARMONY,
        };
        match find_any(&self.buf, 0, closers) {
            Ok((i, k)) => {
                self.out.reasoning(&self.buf[..i]);
                self.out.boundary();
                let consumed = match end {
                    ReasonEnd::Harmony if k >= 3 => i,
                    _ => i + closers[k].len(),
                };
                self.buf.drain(..consumed);
                self.line_start = true;
                (State::Text, true)
            }
            Err(keep) => {
                let keep = if eof { self.buf.len() } else { keep };
                self.out.reasoning(&self.buf[..keep]);
                self.buf.drain(..keep);
                (State::Reasoning(end), false)
            }
        }
    }

    fn step_text(&mut self, eof: bool) -> (State, bool) {
        if self.swallow_semicolon {
            let rest = self.buf.trim_start();
            if rest.starts_with(';') {
                let n = self.buf.len() - rest.len() + 1;
                self.buf.drain(..n);
                self.out.boundary();
                self.swallow_semicolon = false;
            } else if !rest.is_empty() || eof {
                self.swallow_semicolon = false;
            } else {
                return (State::Text, false);
            }
        }
        let mut i = 0;
        let found = loop {
            let Some(c) = self.buf[i..].chars().next() else {
                break None;
            };
            if matches!(c, '<' | '[' | '{' | '`') {
                let line_start = line_start_at(&self.buf[..i], self.line_start);
                match self.opening(&self.buf[i..], eof, line_start) {
                    Opening::Plain => {}
                    other => break Some((i, other)),
                }
            }
            i += c.len_utf8();
        };
        let Some((i, opening)) = found else {
            let all = std::mem::take(&mut self.buf);
            self.prose(&all);
            return (State::Text, false);
        };
        let before: String = self.buf.drain(..i).collect();
        self.prose(&before);
        match opening {
            Opening::Plain | Opening::Wait => (State::Text, false),
            Opening::Block(block) => (State::Block(block), true),
            Opening::Marker(len, act) => {
                self.out.boundary();
                self.buf.drain(..len);
                self.line_start = true;
                let next = match act {
                    Act::Think => State::Reasoning(ReasonEnd::Think),
                    _ => State::Text,
                };
                (next, true)
            }
        }
    }

    fn prose(&mut self, text: &str) {
        self.out.text(text);
        self.line_start = line_start_at(text, self.line_start);
    }

    /// What starts at `s` (which begins with `<`, `[`, `{` or a backtick).
    fn opening(&self, s: &str, eof: bool, line_start: bool) -> Opening {
        let mut wait = false;
        for &(marker, act) in &self.literals {
            match prefix(s, marker) {
                Prefix::Full => {
                    return match act {
                        Act::Think | Act::Drop => Opening::Marker(marker.len(), act),
                        Act::Hermes => Opening::Block(Block::Hermes(Hermes::default())),
                        Act::Function => Opening::Block(Block::Function(BareFunction::default())),
                        Act::PythonTag => Opening::Block(Block::PythonTag(PythonTag::default())),
                        Act::Mistral => Opening::Block(Block::Mistral(Mistral::default())),
                        Act::Harmony => Opening::Block(Block::HarmonyHeader(Header::default())),
                    };
                }
                Prefix::Partial => wait |= !eof,
                Prefix::No => {}
            }
        }
        let sniff = match s.as_bytes().first() {
            Some(b'{' | b'[') => generic::sniff_json(s),
            Some(b'`') if line_start => generic::sniff_fence(s),
            _ => Sniff::No,
        };
        match sniff {
            Sniff::Json => return Opening::Block(Block::Json(BareJson::default())),
            Sniff::Fence(content) => return Opening::Block(Block::Fence(Fence::new(content))),
            Sniff::Wait => wait |= !eof,
            Sniff::No => {}
        }
        if wait { Opening::Wait } else { Opening::Plain }
    }
}

/// Whether a rendered prompt leaves the model inside `<think>` (templates
/// of reasoning models often open it): then call
/// [`StreamParser::start_in_reasoning`].
pub fn prompt_opens_reasoning(rendered_prompt: &str) -> bool {
    rendered_prompt.trim_end().ends_with("<think>")
}
