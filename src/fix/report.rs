//! What `kiln fix` did: the summary object (`--json`, the last event) and
//! its Markdown form for a pull-request comment (`--summary`).

use serde::Serialize;

use super::check::CheckRun;

/// How the fix ended; each maps to an exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FixOutcome {
    /// The check passed before kiln changed anything (exit 0).
    AlreadyPassing,
    /// The check passes after kiln's changes (exit 0).
    Fixed,
    /// Still failing after every attempt (exit 1).
    StillFailing,
    /// A turn, time or token budget ran out (exit 3).
    BudgetExhausted,
    /// The backend failed for good (exit 4).
    BackendError,
    /// Interrupted (exit 130).
    Interrupted,
}

/// One attempt: the agent's run and the check after it.
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    pub attempt: u32,
    /// The agent's outcome (`done`, `turn_limit`, …).
    pub agent: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_error: Option<String>,
    pub check: CheckRun,
    /// Protected files kiln put back before the check.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub restored: Vec<String>,
    /// Why a passing check did not count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FixSummary {
    pub outcome: FixOutcome,
    pub check: String,
    pub first: CheckRun,
    pub attempts: Vec<Attempt>,
    /// Files that differ from HEAD at the end (when in a git repository).
    pub changed_files: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The agent's last answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_answer: Option<String>,
    /// The last check's output (capped), for the summary.
    #[serde(skip)]
    pub final_output: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FixSummary {
    /// The check run last (the first when no attempt ran).
    pub fn last_check(&self) -> &CheckRun {
        self.attempts.last().map_or(&self.first, |a| &a.check)
    }

    /// Markdown for a pull-request comment.
    pub fn markdown(&self, patch: Option<&str>) -> String {
        let headline = match self.outcome {
            FixOutcome::AlreadyPassing => "✅ The check already passes; kiln changed nothing.",
            FixOutcome::Fixed => "✅ kiln fixed the check.",
            FixOutcome::StillFailing => "❌ kiln could not make the check pass.",
            FixOutcome::BudgetExhausted => "⏱️ kiln ran out of budget before the check passed.",
            FixOutcome::BackendError => "⚠️ kiln stopped: the model backend failed.",
            FixOutcome::Interrupted => "⚠️ kiln was interrupted.",
        };
        let mut md = format!("## kiln fix\n\n{headline}\n\n");
        md.push_str(&format!("**Check:** `{}`\n\n", self.check));
        md.push_str(&format!(
            "**What failed:** the first run {}.\n\n",
            self.first.describe()
        ));
        if !self.attempts.is_empty() {
            md.push_str("**Attempts:**\n\n");
            for a in &self.attempts {
                md.push_str(&format!(
                    "{}. agent {} → check {}",
                    a.attempt,
                    a.agent,
                    a.check.describe()
                ));
                if !a.restored.is_empty() {
                    md.push_str(&format!(
                        "; restored protected files: {}",
                        a.restored.join(", ")
                    ));
                }
                if let Some(why) = &a.rejected {
                    md.push_str(&format!("; not counted: {why}"));
                }
                md.push('\n');
            }
            md.push('\n');
        }
        if let Some(answer) = &self.final_answer {
            md.push_str(&format!("**kiln's summary:** {}\n\n", answer.trim()));
        }
        if !self.changed_files.is_empty() {
            md.push_str("**What changed:** ");
            let files: Vec<String> = self
                .changed_files
                .iter()
                .map(|f| format!("`{f}`"))
                .collect();
            md.push_str(&files.join(", "));
            md.push_str("\n\n");
        }
        if let (Some(p), true) = (patch, self.outcome == FixOutcome::Fixed) {
            md.push_str(&details("Diff", "diff", &cap(p, 20_000)));
        }
        md.push_str(&details(
            "The check's final output",
            "text",
            &cap(&self.final_output, 8_000),
        ));
        if let Some(e) = &self.error {
            md.push_str(&format!("\n**Error:** {e}\n"));
        }
        md
    }
}

fn details(title: &str, lang: &str, body: &str) -> String {
    format!("<details><summary>{title}</summary>\n\n```{lang}\n{body}\n```\n\n</details>\n")
}

/// The tail of `text`, at most `max` bytes, on a character boundary.
fn cap(text: &str, max: usize) -> String {
    let text = text.trim_end();
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("[… {start} bytes cut …]\n{}", &text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(passed: bool, code: i32) -> CheckRun {
        CheckRun {
            passed,
            exit_code: Some(code),
            timed_out: false,
            duration_ms: 5,
            runner: None,
            tests: None,
            output: "E   assert -1 == 5\n1 failed".into(),
        }
    }

    #[test]
    fn markdown_says_what_failed_what_changed_and_the_final_output() {
        let summary = FixSummary {
            outcome: FixOutcome::Fixed,
            check: "pytest -q".into(),
            first: run(false, 1),
            attempts: vec![Attempt {
                attempt: 1,
                agent: "done".into(),
                agent_error: None,
                check: CheckRun {
                    output: "1 passed".into(),
                    ..run(true, 0)
                },
                restored: vec!["test_calc.py".into()],
                rejected: None,
            }],
            changed_files: vec!["calc.py".into()],
            commit: None,
            branch: None,
            final_answer: Some("Fixed add.".into()),
            final_output: "1 passed".into(),
            error: None,
        };
        let md = summary.markdown(Some("-a - b\n+a + b\n"));
        assert!(md.contains("✅ kiln fixed the check."), "{md}");
        assert!(md.contains("`pytest -q`"), "{md}");
        assert!(md.contains("the first run failed (exit 1)"), "{md}");
        assert!(
            md.contains("restored protected files: test_calc.py"),
            "{md}"
        );
        assert!(md.contains("`calc.py`") && md.contains("+a + b"), "{md}");
        assert!(md.contains("1 passed"), "{md}");
        assert_eq!(summary.last_check().exit_code, Some(0));
        assert_eq!(cap("abcdef", 3), "[… 3 bytes cut …]\ndef");
    }
}
