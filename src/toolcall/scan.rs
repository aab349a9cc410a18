//! The shared scanner: literal markers that may be cut anywhere by the
//! stream, and an incremental scanner that finds where a JSON value ends
//! (and what its call objects are named) without parsing it.
//!
//! Positions are byte offsets into the parser's pending text, which only
//! grows at the end while a block is being collected, so a scanner can keep
//! its position between pushes instead of rescanning.

/// How the start of a text relates to a marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prefix {
    /// The text starts with the whole marker.
    Full,
    /// The text is a proper, non-empty beginning of the marker: more is needed.
    Partial,
    No,
}

pub(crate) fn prefix(s: &str, marker: &str) -> Prefix {
    if s.starts_with(marker) {
        Prefix::Full
    } else if !s.is_empty() && marker.starts_with(s) {
        Prefix::Partial
    } else {
        Prefix::No
    }
}

/// The earliest of `needles` in `s[from..]`: `Ok((position, which))`. When
/// none is there, `Err(keep)`: the first position from which the end of `s`
/// is still the beginning of a needle (`s.len()` when none), so text before
/// it is certainly free of the needles.
pub(crate) fn find_any(s: &str, from: usize, needles: &[&str]) -> Result<(usize, usize), usize> {
    let from = from.min(s.len());
    let hay = s.get(from..).unwrap_or("");
    let mut best: Option<(usize, usize)> = None;
    for (k, needle) in needles.iter().enumerate() {
        if let Some(i) = hay.find(needle)
            && best.is_none_or(|(b, _)| i < b)
        {
            best = Some((i, k));
        }
    }
    if let Some((i, k)) = best {
        return Ok((from + i, k));
    }
    Err(partial_tail(s, from, needles))
}

/// Where a trailing partial needle begins in `s[from..]`, or `s.len()`.
pub(crate) fn partial_tail(s: &str, from: usize, needles: &[&str]) -> usize {
    let longest = needles.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut p = s.len().saturating_sub(longest).max(from);
    while p < s.len() {
        if s.is_char_boundary(p)
            && needles
                .iter()
                .any(|n| prefix(&s[p..], n) == Prefix::Partial)
        {
            return p;
        }
        p += 1;
    }
    s.len()
}

/// Keys that name the tool in a call object.
pub(crate) const NAME_KEYS: &[&str] = &["name", "function", "tool", "tool_name"];
/// Keys that hold a call's arguments.
pub(crate) const ARG_KEYS: &[&str] = &["arguments", "parameters"];

/// What the scanner learned about one call-level object so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CallHint {
    pub name: Option<String>,
    pub has_args: bool,
}

#[derive(Debug)]
struct Frame {
    object: bool,
    expect_key: bool,
    key: Option<String>,
}

/// Finds the end of one JSON object or array starting at `start`, tracking
/// nesting and strings only. Call-level objects (the value itself, or the
/// elements of a top-level array) are summarised as [`CallHint`]s so a name
/// can be shown before the call is complete.
#[derive(Debug)]
pub(crate) struct JsonScan {
    pos: usize,
    stack: Vec<Frame>,
    in_string: bool,
    escaped: bool,
    string_start: usize,
    call_depth: usize,
    /// Just past the value, once it closed (or where it broke).
    pub end: Option<usize>,
    /// A closing bracket did not match: the text is not JSON.
    pub broken: bool,
    pub hints: Vec<CallHint>,
}

impl JsonScan {
    /// `s[start]` must be `{` or `[`.
    pub fn new(start: usize) -> Self {
        Self {
            pos: start,
            stack: Vec::new(),
            in_string: false,
            escaped: false,
            string_start: start,
            call_depth: 1,
            end: None,
            broken: false,
            hints: Vec::new(),
        }
    }

    /// Scans what `s` gained since the last call.
    pub fn feed(&mut self, s: &str) {
        let bytes = s.as_bytes();
        while self.end.is_none() && self.pos < bytes.len() {
            let i = self.pos;
            self.pos += 1;
            let b = bytes[i];
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    self.string_done(&s[self.string_start..=i]);
                }
                continue;
            }
            match b {
                b'"' => {
                    self.in_string = true;
                    self.string_start = i;
                }
                b'{' | b'[' => {
                    if self.stack.is_empty() {
                        self.call_depth = if b == b'{' { 1 } else { 2 };
                    }
                    let parent_is_array = self.stack.last().is_none_or(|f| !f.object);
                    self.stack.push(Frame {
                        object: b == b'{',
                        expect_key: true,
                        key: None,
                    });
                    if b == b'{' && parent_is_array && self.stack.len() == self.call_depth {
                        self.hints.push(CallHint::default());
                    }
                }
                b'}' | b']' => {
                    let matches = self.stack.pop().is_some_and(|f| f.object == (b == b'}'));
                    if !matches {
                        self.broken = true;
                        self.end = Some(i + 1);
                    } else if self.stack.is_empty() {
                        self.end = Some(i + 1);
                    }
                }
                b':' => {
                    if let Some(f) = self.stack.last_mut().filter(|f| f.object) {
                        f.expect_key = false;
                    }
                }
                b',' => {
                    if let Some(f) = self.stack.last_mut().filter(|f| f.object) {
                        f.expect_key = true;
                        f.key = None;
                    }
                }
                _ => {}
            }
        }
    }

    fn string_done(&mut self, quoted: &str) {
        let at_call = self.stack.len() == self.call_depth;
        let Some(frame) = self.stack.last_mut().filter(|f| f.object) else {
            return;
        };
        let text = serde_json::from_str::<String>(quoted).ok();
        if frame.expect_key {
            if at_call
                && text.as_deref().is_some_and(|k| ARG_KEYS.contains(&k))
                && let Some(h) = self.hints.last_mut()
            {
                h.has_args = true;
            }
            frame.key = text;
        } else if at_call
            && frame.key.as_deref().is_some_and(|k| NAME_KEYS.contains(&k))
            && let Some(h) = self.hints.last_mut()
            && h.name.is_none()
        {
            h.name = text.filter(|n| !n.is_empty());
        }
    }
}

/// Where a sequence of JSON values stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SeqState {
    /// Inside a value.
    InValue,
    /// Between values; the next byte that is neither whitespace nor a
    /// separator (`,` `;`) is at this position (`s.len()` if none yet).
    Between(usize),
}

/// Several JSON values in a row (several calls in one block), separated by
/// whitespace, `,` or `;`.
#[derive(Debug)]
pub(crate) struct JsonSeq {
    pos: usize,
    done: Vec<JsonScan>,
    current: Option<JsonScan>,
}

impl JsonSeq {
    pub fn new(start: usize) -> Self {
        Self {
            pos: start,
            done: Vec::new(),
            current: None,
        }
    }

    pub fn feed(&mut self, s: &str) -> SeqState {
        let bytes = s.as_bytes();
        loop {
            if let Some(scan) = self.current.as_mut() {
                scan.feed(s);
                let Some(end) = scan.end else {
                    return SeqState::InValue;
                };
                self.pos = end;
                if let Some(scan) = self.current.take() {
                    self.done.push(scan);
                }
            }
            while self.pos < bytes.len()
                && matches!(bytes[self.pos], b' ' | b'\t' | b'\r' | b'\n' | b',' | b';')
            {
                self.pos += 1;
            }
            match bytes.get(self.pos) {
                Some(b'{' | b'[') => self.current = Some(JsonScan::new(self.pos)),
                _ => return SeqState::Between(self.pos),
            }
        }
    }

    /// Hints of every call-level object seen so far, in order.
    pub fn hints(&self) -> impl Iterator<Item = &CallHint> + Clone {
        self.done
            .iter()
            .chain(self.current.as_ref())
            .flat_map(|s| s.hints.iter())
    }
}
