//! Detects the model repeating itself.
//!
//! Small models in particular retry an identical broken edit again and
//! again, or, once a task is done, run the same passing check over and over
//! instead of answering. The guard counts identical (tool, arguments, error)
//! triples, and identical successful calls made back to back with the same
//! output; from the second repeat on the model is told to change course,
//! and past a limit the session stops rather than burning the budget.

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
    /// The last successful call, its output and how often it was made in a
    /// row with that output.
    last_success: Option<((String, String), String, u32)>,
    give_up_at: u32,
}

impl LoopGuard {
    pub fn new(give_up_at: u32) -> Self {
        Self {
            failures: HashMap::new(),
            last_success: None,
            give_up_at: give_up_at.max(2),
        }
    }

    /// Records a failed call and its error text.
    pub fn failed(&mut self, call: &ToolCall, error: &str) -> Verdict {
        self.last_success = None;
        let entry = self
            .failures
            .entry(key(call))
            .or_insert_with(|| (error.to_string(), 0));
        if entry.0 != error {
            *entry = (error.to_string(), 0);
        }
        entry.1 += 1;
        let repeats = entry.1;
        self.verdict(repeats)
    }

    /// Whether this exact call failed before (and has not succeeded since).
    pub fn has_failed(&self, call: &ToolCall) -> bool {
        self.failures.contains_key(&key(call))
    }

    /// Records a successful call and its output; a success of a call that
    /// failed before clears that record.
    pub fn succeeded(&mut self, call: &ToolCall, output: &str) -> Verdict {
        let key = key(call);
        self.failures.remove(&key);
        let repeats = match &mut self.last_success {
            Some((k, out, n)) if *k == key && out == output => {
                *n += 1;
                *n
            }
            _ => {
                self.last_success = Some((key, output.to_string(), 1));
                1
            }
        };
        self.verdict(repeats)
    }

    fn verdict(&self, repeats: u32) -> Verdict {
        match repeats {
            1 => Verdict::Fresh,
            n if n >= self.give_up_at => Verdict::GiveUp { repeats: n },
            n => Verdict::Repeated { repeats: n },
        }
    }
}

/// Arguments are compared as parsed JSON (so key order and whitespace do
/// not hide a repeat), falling back to the raw text when they do not parse.
fn key(call: &ToolCall) -> (String, String) {
    let args = serde_json::from_str::<serde_json::Value>(&call.arguments)
        .map(|mut v| {
            v.sort_all_objects();
            v.to_string()
        })
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

/// The note appended to a successful call repeated with the same result.
pub fn repeat_success_notice(repeats: u32) -> String {
    format!(
        "\n\nNote: you have now made this exact call {repeats} times in a row and got the same \
         result each time; repeating it will not tell you anything new. If the task is done, \
         reply with a short summary and no tool call. Otherwise do the next step."
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
        assert_eq!(g.succeeded(&call("{}"), "out"), Verdict::Fresh);
        assert_eq!(g.failed(&call("{}"), "e2"), Verdict::Fresh);
        assert_eq!(g.failed(&call("{\"x\":1}"), "e2"), Verdict::Fresh);
    }

    #[test]
    fn identical_successes_in_a_row_count_until_something_changes() {
        let mut g = LoopGuard::new(3);
        let run = call(r#"{"command":"make test"}"#);
        assert_eq!(g.succeeded(&run, "ok"), Verdict::Fresh);
        assert_eq!(g.succeeded(&run, "ok"), Verdict::Repeated { repeats: 2 });
        // A different output (something changed) starts over.
        assert_eq!(g.succeeded(&run, "FAILED"), Verdict::Fresh);
        // So does another call in between.
        assert_eq!(g.succeeded(&call("{}"), "ok"), Verdict::Fresh);
        assert_eq!(g.succeeded(&run, "FAILED"), Verdict::Fresh);
        assert_eq!(
            g.succeeded(&run, "FAILED"),
            Verdict::Repeated { repeats: 2 }
        );
        assert_eq!(g.succeeded(&run, "FAILED"), Verdict::GiveUp { repeats: 3 });
    }
}
