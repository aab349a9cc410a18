//! Detects the model repeating the same failing call.
//!
//! Small models in particular retry an identical broken edit again and again.
//! The guard counts identical (tool, arguments, error) triples; from the
//! second repeat on the model is told to change course, and past a limit the
//! session stops rather than burning the budget.

use std::collections::HashMap;

use crate::chat::ToolCall;

/// What the guard says about one failed call.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// First time this exact failure happened.
    Fresh,
    /// The same failing call was made `repeats` times; warn the model.
    Repeated { repeats: u32 },
    /// The limit was reached; stop the session.
    GiveUp { repeats: u32 },
}

pub struct LoopGuard {
    failures: HashMap<(String, String), (String, u32)>,
    give_up_at: u32,
}

impl LoopGuard {
    pub fn new(give_up_at: u32) -> Self {
        Self {
            failures: HashMap::new(),
            give_up_at: give_up_at.max(2),
        }
    }

    /// Records a failed call and its error text.
    pub fn failed(&mut self, call: &ToolCall, error: &str) -> Verdict {
        let entry = self
            .failures
            .entry(key(call))
            .or_insert_with(|| (error.to_string(), 0));
        if entry.0 != error {
            *entry = (error.to_string(), 0);
        }
        entry.1 += 1;
        match entry.1 {
            1 => Verdict::Fresh,
            n if n >= self.give_up_at => Verdict::GiveUp { repeats: n },
            n => Verdict::Repeated { repeats: n },
        }
    }

    /// A success of the same call clears its record.
    pub fn succeeded(&mut self, call: &ToolCall) {
        self.failures.remove(&key(call));
    }
}

/// Arguments are compared as parsed JSON (so key order and whitespace do
/// not hide a repeat), falling back to the raw text when they do not parse.
fn key(call: &ToolCall) -> (String, String) {
    let args = serde_json::from_str::<serde_json::Value>(&call.arguments)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| call.arguments.trim().to_string());
    (call.name.clone(), args)
}

/// The note appended to a repeated failure's result.
pub fn repeat_notice(repeats: u32) -> String {
    format!(
        "\n\nNote: you have now made this exact call {repeats} times and it failed the same way \
         each time. Repeating it will not work. Change something: re-read the file to see its \
         current content, fix the arguments, or try a different approach."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(args: &str) -> ToolCall {
        ToolCall {
            id: "c".into(),
            name: "edit_file".into(),
            arguments: args.into(),
        }
    }

    #[test]
    fn counts_identical_failures_regardless_of_key_order() {
        let mut g = LoopGuard::new(4);
        assert_eq!(g.failed(&call(r#"{"a":1,"b":2}"#), "e"), Verdict::Fresh);
        assert_eq!(
            g.failed(&call(r#"{ "b":2, "a":1 }"#), "e"),
            Verdict::Repeated { repeats: 2 }
        );
        assert_eq!(
            g.failed(&call(r#"{"a":1,"b":2}"#), "e"),
            Verdict::Repeated { repeats: 3 }
        );
        assert_eq!(
            g.failed(&call(r#"{"a":1,"b":2}"#), "e"),
            Verdict::GiveUp { repeats: 4 }
        );
    }

    #[test]
    fn different_error_or_success_resets() {
        let mut g = LoopGuard::new(3);
        g.failed(&call("{}"), "e1");
        assert_eq!(g.failed(&call("{}"), "e2"), Verdict::Fresh);
        g.succeeded(&call("{}"));
        assert_eq!(g.failed(&call("{}"), "e2"), Verdict::Fresh);
        assert_eq!(g.failed(&call("{\"x\":1}"), "e2"), Verdict::Fresh);
    }
}
