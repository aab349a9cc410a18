//! Output of the parser: prose with whitespace tidied around markup, and
//! call announcements kept in step with the calls.

use std::fmt::Display;

use super::Parsed;
use super::calls::Call;

/// Collects what one `push`/`finish` returns.
///
/// Whitespace next to markup (the newlines around `<tool_call>`, after
/// `</think>`) is dropped, and a trailing whitespace run is held until the
/// next prose shows whether markup follows it. Adjacent prose of one kind is
/// merged, so the result does not depend on how the input was split.
#[derive(Debug)]
pub(crate) struct Out {
    items: Vec<Parsed>,
    held: String,
    trim_next: bool,
}

impl Out {
    pub fn new() -> Self {
        Self {
            items: Vec::new(),
            held: String::new(),
            // Leading whitespace of the message is noise too.
            trim_next: true,
        }
    }

    pub fn text(&mut self, s: &str) {
        self.prose(false, s);
    }

    pub fn reasoning(&mut self, s: &str) {
        self.prose(true, s);
    }

    fn prose(&mut self, reasoning: bool, s: &str) {
        let s = if self.trim_next { s.trim_start() } else { s };
        if s.is_empty() {
            return;
        }
        let body = s.trim_end().len();
        if body == 0 {
            self.held.push_str(s);
            return;
        }
        self.trim_next = false;
        let mut piece = std::mem::take(&mut self.held);
        piece.push_str(&s[..body]);
        self.held.push_str(&s[body..]);
        match (self.items.last_mut(), reasoning) {
            (Some(Parsed::Text(t)), false) | (Some(Parsed::Reasoning(t)), true) => {
                t.push_str(&piece);
            }
            _ => self.items.push(if reasoning {
                Parsed::Reasoning(piece)
            } else {
                Parsed::Text(piece)
            }),
        }
    }

    /// Markup was consumed: whitespace on either side of it goes.
    pub fn boundary(&mut self) {
        self.held.clear();
        self.trim_next = true;
    }

    pub fn event(&mut self, p: Parsed) {
        self.boundary();
        self.items.push(p);
    }

    pub fn malformed(&mut self, raw: &str, error: impl Display) {
        self.event(Parsed::Malformed {
            raw: raw.to_string(),
            error: error.to_string(),
        });
    }

    /// What is certain now; at the end, trailing whitespace is dropped.
    pub fn take(&mut self, eof: bool) -> Vec<Parsed> {
        if eof {
            self.held.clear();
        }
        std::mem::take(&mut self.items)
    }
}

/// Announces call names as they become known, in order, and emits the
/// finished calls so that every [`Parsed::ToolCall`] has exactly one
/// [`Parsed::ToolCallStarted`] before it.
#[derive(Debug, Default)]
pub(crate) struct Announcer {
    count: usize,
}

impl Announcer {
    /// `names`: every call of the block so far, `None` where the name is not
    /// known yet (later calls wait for it, to keep the order).
    pub fn announce<'a>(&mut self, out: &mut Out, names: impl Iterator<Item = Option<&'a str>>) {
        for name in names.skip(self.count) {
            let Some(name) = name else { break };
            out.event(Parsed::ToolCallStarted {
                name: name.to_string(),
            });
            self.count += 1;
        }
    }

    pub fn emit(&mut self, out: &mut Out, calls: Vec<Call>) {
        for (i, call) in calls.into_iter().enumerate() {
            if i >= self.count {
                out.event(Parsed::ToolCallStarted {
                    name: call.name.clone(),
                });
                self.count += 1;
            }
            out.event(Parsed::ToolCall {
                name: call.name,
                arguments: call.arguments,
            });
        }
    }
}
