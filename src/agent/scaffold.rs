//! Scaffolding for models that lose the thread (a profile's `[scaffold]`).
//!
//! Measured on Qwen2.5-Coder 1.5B: it answers in prose with the tests still
//! failing, repeats a failing edit, and keeps editing after the tests pass.
//! The profile can therefore ask for: a nudge when a turn ends without a
//! tool call while the work is visibly unfinished, a hint after a check
//! passes that the task may be done, a hint per tool error kind pointing to
//! the next step, and its own loop-guard message. All of it arrives as
//! text the model reads (a user message or an addition to a tool result),
//! so the request prefix never changes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::chat::ToolCall;
use crate::tools::{ToolError, ToolOutput};

/// What a profile asks for; the default asks for nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Scaffold {
    /// Most nudges per task (never two in a row).
    pub max_nudges: u32,
    /// The nudge; `{reason}` is replaced by why the work looks unfinished.
    pub nudge: Option<String>,
    /// Added to a passing `shell` result that follows changes.
    pub done_hint: Option<String>,
    /// Replaces the loop guard's note on a repeated failure; `{repeats}` is
    /// replaced by the count.
    pub repeat_notice: Option<String>,
    /// Added to a failed call's result, by error kind.
    pub hints: BTreeMap<String, String>,
}

impl Scaffold {
    /// The hint for a failed call, as text to append to its result.
    pub fn hint(&self, error: &ToolError) -> Option<String> {
        self.hints
            .get(error.kind())
            .map(|h| format!("\n{}", h.trim()))
    }

    pub fn repeat_notice(&self, repeats: u32) -> Option<String> {
        self.repeat_notice.as_ref().map(|n| {
            format!(
                "\n\n{}",
                n.trim().replace("{repeats}", &repeats.to_string())
            )
        })
    }
}

/// What the model has done in the current task, enough to tell whether a
/// turn without tool calls leaves the work visibly unfinished.
#[derive(Debug, Default)]
pub struct Progress {
    calls: u32,
    /// Files changed since the last `shell` command.
    unchecked: Vec<String>,
    /// The last `shell` command and its exit code, when it failed.
    last_failed_check: Option<(String, i32)>,
    nudges: u32,
    nudged_last_turn: bool,
}

impl Progress {
    /// Starts a new task.
    pub fn reset(&mut self) {
        *self = Progress::default();
    }

    /// Records a call; returns true when it is a passing check that
    /// follows changes (where the done hint goes).
    pub fn observe(&mut self, call: &ToolCall, outcome: &Result<ToolOutput, ToolError>) -> bool {
        self.calls += 1;
        self.nudged_last_turn = false;
        let Ok(out) = outcome else {
            return false;
        };
        for f in &out.details.changed_files {
            let f = f.display().to_string();
            if !self.unchecked.contains(&f) {
                self.unchecked.push(f);
            }
        }
        if call.name != "shell" {
            return false;
        }
        // Any command counts as checking the changes made before it.
        let code = out.details.exit_code.unwrap_or(-1);
        let had_changes = !self.unchecked.is_empty();
        self.unchecked.clear();
        if code == 0 {
            self.last_failed_check = None;
            had_changes
        } else {
            self.last_failed_check = Some((command_of(call), code));
            false
        }
    }

    /// Why the work looks unfinished, if it does.
    pub fn unfinished(&self, can_run: bool) -> Option<String> {
        if self.calls == 0 {
            return Some("you have not looked at the workspace yet".into());
        }
        if let Some((cmd, code)) = &self.last_failed_check
            && self.unchecked.is_empty()
        {
            return Some(format!(
                "the last command (`{cmd}`) failed with exit code {code}"
            ));
        }
        if can_run && !self.unchecked.is_empty() {
            return Some(format!(
                "you changed {} and have not run anything to check it",
                self.unchecked.join(", ")
            ));
        }
        None
    }

    /// The nudge to send after a turn without tool calls, if any: at most
    /// `max_nudges` per task and never twice in a row (a model that answers
    /// again after a nudge means it).
    pub fn nudge(&mut self, scaffold: &Scaffold, can_run: bool) -> Option<(String, String)> {
        let template = scaffold.nudge.as_ref()?;
        if self.nudges >= scaffold.max_nudges || self.nudged_last_turn {
            return None;
        }
        let reason = self.unfinished(can_run)?;
        self.nudges += 1;
        self.nudged_last_turn = true;
        Some((template.trim().replace("{reason}", &reason), reason))
    }
}

fn command_of(call: &ToolCall) -> String {
    serde_json::from_str::<serde_json::Value>(&call.arguments)
        .ok()
        .and_then(|v| v.get("command").and_then(|c| c.as_str()).map(String::from))
        .map(|c| c.chars().take(80).collect())
        .unwrap_or_else(|| "shell".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::ToolDetails;

    fn call(name: &str, args: &str) -> ToolCall {
        ToolCall {
            id: "c".into(),
            name: name.into(),
            arguments: args.into(),
        }
    }

    fn shell(code: i32) -> Result<ToolOutput, ToolError> {
        Ok(ToolOutput {
            details: ToolDetails {
                exit_code: Some(code),
                ..Default::default()
            },
            ..ToolOutput::text("out")
        })
    }

    fn edit(path: &str) -> Result<ToolOutput, ToolError> {
        Ok(ToolOutput {
            details: ToolDetails {
                changed_files: vec![path.into()],
                ..Default::default()
            },
            ..ToolOutput::text("ok")
        })
    }

    fn scaffold() -> Scaffold {
        Scaffold {
            max_nudges: 2,
            nudge: Some("Not done: {reason}.".into()),
            ..Default::default()
        }
    }

    #[test]
    fn failing_check_then_fix_then_pass() {
        let mut p = Progress::default();
        let test = call("shell", r#"{"command":"pytest -q"}"#);
        assert!(!p.observe(&test, &shell(1)));
        let why = p.unfinished(true).unwrap();
        assert!(
            why.contains("`pytest -q`") && why.contains("exit code 1"),
            "{why}"
        );
        assert!(!p.observe(&call("edit_file", "{}"), &edit("calc.py")));
        let why = p.unfinished(true).unwrap();
        assert!(why.contains("changed calc.py"), "{why}");
        assert!(p.observe(&test, &shell(0)), "a passing check after changes");
        assert_eq!(p.unfinished(true), None);
        assert!(!p.observe(&test, &shell(0)), "nothing changed since");
    }

    #[test]
    fn nudges_are_bounded_and_never_twice_in_a_row() {
        let mut p = Progress::default();
        let s = scaffold();
        let (text, _) = p.nudge(&s, true).unwrap();
        assert_eq!(text, "Not done: you have not looked at the workspace yet.");
        assert!(p.nudge(&s, true).is_none(), "not twice in a row");
        p.observe(&call("shell", r#"{"command":"make"}"#), &shell(2));
        assert!(p.nudge(&s, true).is_some());
        p.observe(&call("shell", r#"{"command":"make"}"#), &shell(2));
        assert!(p.nudge(&s, true).is_none(), "max_nudges reached");
        assert!(
            Progress::default()
                .nudge(&Scaffold::default(), true)
                .is_none()
        );
    }

    #[test]
    fn hints_and_notices_come_from_the_profile() {
        let mut s = scaffold();
        s.hints
            .insert("not_found".into(), "Call list_files.".into());
        s.repeat_notice = Some("Failed {repeats} times.".into());
        let e = ToolError::NotFound("no such file".into());
        assert_eq!(s.hint(&e).as_deref(), Some("\nCall list_files."));
        assert_eq!(s.hint(&ToolError::Cancelled), None);
        assert_eq!(s.repeat_notice(3).as_deref(), Some("\n\nFailed 3 times."));
    }
}
