//! The approval policy: which tool calls run, which ask the user, and
//! which are refused.
//!
//! The policy is checked when a call is dispatched, never by changing the
//! tool list or the system prompt, so switching it mid-session keeps the
//! prompt cache: a refused call comes back to the model as a tool result
//! that says why (see `../shared/CONTRACT.md`).
//!
//! | policy      | read tools | file edits | read-only commands | other commands |
//! |-------------|------------|------------|--------------------|----------------|
//! | `read-only` | run        | refused    | run                | refused        |
//! | `ask`       | run        | ask        | ask                | ask            |
//! | `auto`      | run        | run        | run                | ask            |
//! | `full`      | run        | run        | run                | run            |
//!
//! "Read-only commands" are the allow-list of [`commands`] plus the user's
//! `allow_commands` globs. Where there is no one to ask (headless runs),
//! "ask" means refused, and the result says so.

pub mod commands;

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::chat::ToolCall;

/// How much the agent may do without asking.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// No writes; only read-only commands (the sandbox makes the workspace
    /// read-only too).
    ReadOnly,
    /// Ask before every write and every command.
    Ask,
    /// Edits in the workspace and read-only commands run; others ask.
    #[default]
    Auto,
    /// Everything runs (inside the sandbox).
    Full,
}

/// What a call would do, as the approval policy sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// A tool that only reads.
    Read,
    /// A file tool that changes the named paths.
    Write { tool: String, paths: Vec<String> },
    /// A shell command.
    Command { command: String },
}

impl Action {
    /// Classifies `call`; `mutates` is the tool's own claim.
    pub fn of(call: &ToolCall, mutates: bool) -> Self {
        if !mutates {
            return Action::Read;
        }
        let args: serde_json::Value = serde_json::from_str(&call.arguments).unwrap_or_default();
        let text = |key: &str| args.get(key).and_then(|v| v.as_str()).map(str::to_string);
        if call.name == "shell" {
            return Action::Command {
                command: text("command").unwrap_or_default(),
            };
        }
        let paths = match text("patch") {
            Some(patch) => crate::tools::apply_patch::named_paths(&patch),
            None => text("path").into_iter().collect(),
        };
        Action::Write {
            tool: call.name.clone(),
            paths,
        }
    }

    /// A one-line description for people and the model.
    pub fn describe(&self) -> String {
        match self {
            Action::Read => "reading".into(),
            Action::Write { tool, paths } if paths.is_empty() => format!("`{tool}`"),
            Action::Write { tool, paths } => format!("`{tool}` on {}", paths.join(", ")),
            Action::Command { command } => format!("the command `{}`", clip(command)),
        }
    }

    /// What an "allow for this session" answer covers: every edit, or
    /// this exact command.
    fn grant_key(&self) -> String {
        match self {
            Action::Read => "read".into(),
            Action::Write { .. } => "write".into(),
            Action::Command { command } => format!("shell:{command}"),
        }
    }
}

fn clip(s: &str) -> String {
    const MAX: usize = 200;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// A question for the user.
#[derive(Clone, Debug)]
pub struct Request {
    pub call: ToolCall,
    pub action: Action,
    pub policy: Policy,
}

/// The user's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    AllowOnce,
    /// Allow this and the same action for the rest of the session.
    AllowSession,
    /// Deny, with an optional note passed back to the model.
    Deny {
        note: Option<String>,
    },
}

/// Asks the user (the TUI's modal). Headless runs have none.
#[async_trait]
pub trait Approver: Send + Sync {
    async fn ask(&self, request: &Request) -> Answer;
}

/// How a call fared, for the session and its events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The policy lets it run.
    Allowed,
    /// The user allowed it (once, or earlier for the whole session).
    AllowedByUser,
    AllowedForSession,
    /// The user said no.
    Denied,
    /// The policy forbids it, or it needed a question nobody can answer.
    Refused,
}

/// The verdict on one call: the decision and, when it may not run, the
/// tool result the model gets.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub action: Action,
    pub decision: Decision,
    pub refusal: Option<String>,
}

impl Verdict {
    pub fn runs(&self) -> bool {
        self.refusal.is_none()
    }

    /// Whether anything beyond the policy's plain "yes" happened (for
    /// events: every question and every refusal is reported).
    pub fn notable(&self) -> bool {
        self.decision != Decision::Allowed
    }
}

/// The session's approval state: the policy, who to ask, and what the
/// user allowed for the rest of the session.
pub struct Approvals {
    policy: Policy,
    allow_commands: globset::GlobSet,
    approver: Option<Arc<dyn Approver>>,
    granted: HashSet<String>,
}

impl Default for Approvals {
    /// Everything runs: for tests and callers with their own guard.
    fn default() -> Self {
        Self::new(Policy::Full, globset::GlobSet::empty(), None)
    }
}

impl std::fmt::Debug for Approvals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Approvals")
            .field("policy", &self.policy)
            .field("interactive", &self.approver.is_some())
            .finish()
    }
}

/// Compiles `allow_commands` globs; the error names the bad one.
pub fn command_globs(patterns: &[String]) -> Result<globset::GlobSet, String> {
    let mut builder = globset::GlobSetBuilder::new();
    for p in patterns {
        let glob = globset::Glob::new(p).map_err(|e| format!("allow_commands: `{p}`: {e}"))?;
        builder.add(glob);
    }
    builder.build().map_err(|e| format!("allow_commands: {e}"))
}

impl Approvals {
    /// `approver` is `None` in headless runs: what would ask is refused.
    pub fn new(
        policy: Policy,
        allow_commands: globset::GlobSet,
        approver: Option<Arc<dyn Approver>>,
    ) -> Self {
        Self {
            policy,
            allow_commands,
            approver,
            granted: HashSet::new(),
        }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Changes the policy mid-session; the tools and prompt stay as they are.
    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    /// Decides whether `call` may run, asking the user where the policy
    /// says to and someone can answer.
    pub async fn check(&mut self, call: &ToolCall, mutates: bool) -> Verdict {
        let action = Action::of(call, mutates);
        let verdict = |decision, refusal| Verdict {
            action: action.clone(),
            decision,
            refusal,
        };
        match self.need(&action) {
            Need::Run => return verdict(Decision::Allowed, None),
            Need::Forbidden => {
                let text = format!(
                    "refused: the approval policy is `read-only`, so {} cannot run in this \
                     session. Use the read-only tools, or finish and say what change is needed.",
                    action.describe()
                );
                return verdict(Decision::Refused, Some(text));
            }
            Need::Ask => {}
        }
        let key = action.grant_key();
        if self.granted.contains(&key) {
            return verdict(Decision::AllowedForSession, None);
        }
        let Some(approver) = self.approver.clone() else {
            let text = format!(
                "refused: {} needs the user's approval under the `{}` approval policy, and this \
                 run cannot ask (it is headless). Do not retry it: use the other tools, or finish \
                 and say what should be run or changed. (The user can allow it with \
                 `--approval full` or `allow_commands` in the config.)",
                action.describe(),
                crate::agent::events::wire_name(&self.policy)
            );
            return verdict(Decision::Refused, Some(text));
        };
        let request = Request {
            call: call.clone(),
            action: action.clone(),
            policy: self.policy,
        };
        match approver.ask(&request).await {
            Answer::AllowOnce => verdict(Decision::AllowedByUser, None),
            Answer::AllowSession => {
                self.granted.insert(key);
                verdict(Decision::AllowedByUser, None)
            }
            Answer::Deny { note } => {
                let note = note
                    .filter(|n| !n.trim().is_empty())
                    .map(|n| format!(" The user says: {}", n.trim()))
                    .unwrap_or_default();
                let text = format!(
                    "refused: the user denied {}.{note} Do not retry it unchanged.",
                    action.describe()
                );
                verdict(Decision::Denied, Some(text))
            }
        }
    }

    fn need(&self, action: &Action) -> Need {
        let read_only_command = |c: &str| commands::is_read_only(c, &self.allow_commands);
        match (self.policy, action) {
            (_, Action::Read) | (Policy::Full, _) => Need::Run,
            // Malformed arguments: the tool reports the error, nothing runs.
            (_, Action::Command { command }) if command.trim().is_empty() => Need::Run,
            (Policy::Ask, _) => Need::Ask,
            (Policy::Auto, Action::Write { .. }) => Need::Run,
            (Policy::ReadOnly, Action::Write { .. }) => Need::Forbidden,
            (Policy::Auto | Policy::ReadOnly, Action::Command { command })
                if read_only_command(command) =>
            {
                Need::Run
            }
            (Policy::Auto, Action::Command { .. }) => Need::Ask,
            (Policy::ReadOnly, Action::Command { .. }) => Need::Forbidden,
        }
    }
}

enum Need {
    Run,
    Ask,
    Forbidden,
}

#[cfg(test)]
mod tests;
