//! The agent side of the TUI: a task that owns the session and takes
//! operations from the UI, sending events back. The UI never waits on it.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::agent::compact::CompactReason;
use crate::agent::{Emitter, Event, EventSink, Session};
use crate::approval::{Answer, Approver, Policy, Request};
use crate::cli::setup::Setup;
use crate::tui::transcript::Level;

/// What the UI asks of the agent.
#[derive(Debug)]
pub enum Op {
    /// A user message; `cancel` interrupts it (Esc).
    Task {
        text: String,
        cancel: CancellationToken,
    },
    /// `/clear`: a new conversation.
    Clear,
    /// `/model NAME`: a new segment on another model.
    Model(String),
    /// `/profile NAME`: a new segment with another profile.
    Profile(String),
    /// `/approval POLICY`.
    Approval(Policy),
    /// `/diff`: what the session changed.
    Diff,
    /// `/undo`: restore the files from before the last change.
    Undo,
    /// `/compact`: summarise the older turns now (Esc interrupts).
    Compact { cancel: CancellationToken },
}

/// What the agent tells the UI.
pub enum UiMsg {
    Event(Box<Event>),
    /// The approval policy asks the user.
    Approval {
        request: Box<Request>,
        reply: oneshot::Sender<Answer>,
    },
    Notice(Level, String),
    /// `/diff`'s answer: a unified diff (empty: no changes).
    Diff(String),
    /// A task or command finished; the agent takes the next op.
    Idle,
    /// The session could not be built (bad model, dead endpoint); the
    /// message says why. The UI stays up so the user can read it.
    Failed(String),
}

/// Sends events to the UI without blocking the agent loop.
struct ChannelSink(mpsc::UnboundedSender<UiMsg>);

impl EventSink for ChannelSink {
    fn emit(&mut self, event: &Event) {
        let _ = self.0.send(UiMsg::Event(Box::new(event.clone())));
    }
}

/// Asks the user through the UI's approval modal.
pub struct UiApprover(pub mpsc::UnboundedSender<UiMsg>);

#[async_trait]
impl Approver for UiApprover {
    async fn ask(&self, request: &Request) -> Answer {
        let (reply, answer) = oneshot::channel();
        let msg = UiMsg::Approval {
            request: Box::new(request.clone()),
            reply,
        };
        if self.0.send(msg).is_err() {
            return Answer::Deny { note: None };
        }
        // A UI that went away denies.
        answer.await.unwrap_or(Answer::Deny { note: None })
    }
}

/// Runs until the UI drops its sender.
pub async fn run(
    mut setup: Setup,
    mut ops: mpsc::UnboundedReceiver<Op>,
    ui: mpsc::UnboundedSender<UiMsg>,
) {
    let session_id = uuid::Uuid::new_v4().to_string();
    let mut session = match build(&setup, &session_id, &ui).await {
        Ok(s) => Some(s),
        Err(message) => {
            let _ = ui.send(UiMsg::Failed(message));
            None
        }
    };
    let _ = ui.send(UiMsg::Idle);
    while let Some(op) = ops.recv().await {
        match op {
            Op::Task { text, cancel } => match session.as_mut() {
                Some(s) => {
                    s.set_cancel(cancel);
                    let task = attach_files(s.tool_context(), &text);
                    crate::cli::repo_map::add(s, &text).await;
                    s.run_task(&task).await;
                }
                None => notice(
                    &ui,
                    Level::Error,
                    "no session: the model failed to load (see above)",
                ),
            },
            Op::Clear => match build(&setup, &session_id, &ui).await {
                Ok(s) => {
                    session = Some(s);
                    notice(&ui, Level::Info, "new conversation");
                }
                Err(m) => notice(&ui, Level::Error, m),
            },
            Op::Model(name) => {
                let before = setup.cfg.model.replace(name.clone());
                if !segment(
                    &setup,
                    &session_id,
                    &ui,
                    &mut session,
                    &format!("model {name}"),
                )
                .await
                {
                    setup.cfg.model = before;
                }
            }
            Op::Profile(name) => match setup.set_profile(&name) {
                Ok(()) => {
                    segment(
                        &setup,
                        &session_id,
                        &ui,
                        &mut session,
                        &format!("profile {name}"),
                    )
                    .await;
                }
                Err(m) => notice(&ui, Level::Error, m),
            },
            Op::Diff => match session.as_ref().and_then(|s| s.checkpointer()) {
                Some(c) => match c.session_diff() {
                    Ok(diff) => {
                        let _ = ui.send(UiMsg::Diff(diff));
                    }
                    Err(e) => notice(&ui, Level::Error, format!("cannot diff: {e}")),
                },
                None => notice(
                    &ui,
                    Level::Error,
                    "checkpoints are off, so there is nothing to diff against",
                ),
            },
            Op::Undo => match session.as_mut() {
                Some(s) => match s.undo(None).await {
                    Ok(r) if r.files().is_empty() => notice(
                        &ui,
                        Level::Info,
                        "nothing to undo: the files already match the last checkpoint",
                    ),
                    Ok(_) => {}
                    Err(e) => notice(&ui, Level::Error, format!("cannot undo: {e}")),
                },
                None => notice(&ui, Level::Error, "no session"),
            },
            Op::Compact { cancel } => match session.as_mut() {
                Some(s) => {
                    s.set_cancel(cancel);
                    let turn = s.stats().turns;
                    match s.compact(turn, CompactReason::User).await {
                        Ok(_) => {}
                        Err(e) => notice(&ui, Level::Info, e.to_string()),
                    }
                }
                None => notice(&ui, Level::Error, "no session"),
            },
            Op::Approval(policy) => {
                if let Some(s) = session.as_mut() {
                    s.approvals_mut().set_policy(policy);
                }
                notice(
                    &ui,
                    Level::Info,
                    format!(
                        "approval policy: {} (the tools and the prompt stay the same)",
                        crate::agent::events::wire_name(&policy)
                    ),
                );
            }
        }
        let _ = ui.send(UiMsg::Idle);
    }
}

fn notice(ui: &mpsc::UnboundedSender<UiMsg>, level: Level, text: impl Into<String>) {
    let _ = ui.send(UiMsg::Notice(level, text.into()));
}

async fn build(
    setup: &Setup,
    session_id: &str,
    ui: &mpsc::UnboundedSender<UiMsg>,
) -> Result<Session, String> {
    let emitter = Emitter::new(
        session_id.to_string(),
        vec![Box::new(ChannelSink(ui.clone()))],
    );
    setup
        .session(emitter, CancellationToken::new())
        .await
        .map(|(s, _)| s)
        .map_err(|(_, message)| message)
}

/// Replaces the session with one built from the current setup, carrying
/// the conversation over and keeping its emitter (so the session file and
/// `seq` go on); returns whether it worked (the old session stays
/// otherwise).
async fn segment(
    setup: &Setup,
    session_id: &str,
    ui: &mpsc::UnboundedSender<UiMsg>,
    session: &mut Option<Session>,
    what: &str,
) -> bool {
    let Some(old) = session.as_mut() else {
        return match build(setup, session_id, ui).await {
            Ok(s) => {
                *session = Some(s);
                true
            }
            Err(m) => {
                notice(ui, Level::Error, format!("cannot switch to {what}: {m}"));
                false
            }
        };
    };
    // Built with a stand-in emitter first, so a failure leaves the old
    // session whole.
    let standin = Emitter::new(session_id.to_string(), Vec::new());
    match setup.parts(standin, CancellationToken::new()).await {
        Ok((mut parts, _, warning)) => {
            parts.emitter = old.replace_emitter(Emitter::new(session_id.to_string(), Vec::new()));
            let carried = old.messages().len().saturating_sub(1);
            let mut new = Session::new(parts);
            new.carry_over(old.messages());
            new.start();
            setup.equip(&mut new, warning);
            *session = Some(new);
            notice(
                ui,
                Level::Info,
                format!(
                    "new conversation segment ({what}): {carried} messages carried over; the next \
                     request prefills them once"
                ),
            );
            true
        }
        Err((_, m)) => {
            notice(ui, Level::Error, format!("cannot switch to {what}: {m}"));
            false
        }
    }
}

/// Appends the files named with `@path` to the task and marks them as
/// read (so edits to them pass the read-before-edit and stale checks).
pub fn attach_files(ctx: &crate::tools::ToolContext, text: &str) -> String {
    let mut attached = String::new();
    for word in text.split_whitespace() {
        let Some(path) = word.strip_prefix('@') else {
            continue;
        };
        let path = path.trim_end_matches([',', '.', ';', ':', ')']);
        let Ok(abs) = ctx.workspace.resolve(path) else {
            continue;
        };
        // Big files are left for the model to read in pieces.
        let small = std::fs::metadata(&abs)
            .is_ok_and(|m| m.is_file() && m.len() <= ctx.limits.max_read_bytes.min(256 * 1024));
        if !small {
            continue;
        }
        let Ok(content) = std::fs::read_to_string(&abs) else {
            continue;
        };
        ctx.reads.seen(&abs);
        attached.push_str(&format!("\n\n<file path=\"{path}\">\n{content}</file>"));
    }
    match attached.is_empty() {
        true => text.to_string(),
        false => format!("{text}\n\nAttached files:{attached}"),
    }
}

/// Shares the approver with the setup (`Arc` so the setup can rebuild
/// sessions that ask through the same UI).
pub fn approver(ui: &mpsc::UnboundedSender<UiMsg>) -> Arc<dyn Approver> {
    Arc::new(UiApprover(ui.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{ToolContext, ToolLimits, Workspace};

    #[test]
    fn at_paths_attach_files_and_mark_them_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("calc.py"),
            "def add(a, b):\n    return a - b\n",
        )
        .unwrap();
        let ctx = ToolContext {
            workspace: Workspace::new(dir.path()).unwrap(),
            limits: ToolLimits::default(),
            cancel: CancellationToken::new(),
            reads: crate::tools::ReadLog::requiring_reads(),
        };
        let task = attach_files(&ctx, "fix @calc.py, and ignore @missing.py and mail@host");
        assert!(task.starts_with("fix @calc.py, and ignore"), "{task}");
        assert!(
            task.contains("<file path=\"calc.py\">\ndef add(a, b):\n    return a - b\n</file>"),
            "{task}"
        );
        assert_eq!(task.matches("<file ").count(), 1, "{task}");
        let abs = dir.path().canonicalize().unwrap().join("calc.py");
        let rel = std::path::Path::new("calc.py");
        assert!(
            ctx.reads.check_fresh(&abs, rel).is_ok(),
            "attached files count as read"
        );
        assert_eq!(attach_files(&ctx, "no files here"), "no files here");
    }
}
