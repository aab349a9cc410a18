//! The approval modal: what the agent wants to do, and the user's answer
//! (allow once, allow for the session, deny with an optional note).

use tokio::sync::oneshot;

use crate::approval::{Action, Answer, Request};

pub struct ApprovalModal {
    pub request: Request,
    reply: Option<oneshot::Sender<Answer>>,
    /// `Some` while the user types a note to go with a denial.
    pub note: Option<String>,
}

/// What a key did to the modal.
#[derive(Debug, PartialEq, Eq)]
pub enum ModalKey {
    /// Still open.
    Open,
    /// Answered; close it.
    Done,
}

impl ApprovalModal {
    pub fn new(request: Request, reply: oneshot::Sender<Answer>) -> Self {
        Self {
            request,
            reply: Some(reply),
            note: None,
        }
    }

    fn answer(&mut self, answer: Answer) -> ModalKey {
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(answer);
        }
        ModalKey::Done
    }

    /// `y` allows once, `a` allows for the session, `n` asks for a note
    /// (Enter sends the denial with it), Esc denies at once.
    pub fn key(&mut self, key: char) -> ModalKey {
        if let Some(note) = &mut self.note {
            note.push(key);
            return ModalKey::Open;
        }
        match key {
            'y' | 'Y' => self.answer(Answer::AllowOnce),
            'a' | 'A' => self.answer(Answer::AllowSession),
            'n' | 'N' => {
                self.note = Some(String::new());
                ModalKey::Open
            }
            _ => ModalKey::Open,
        }
    }

    pub fn enter(&mut self) -> ModalKey {
        match self.note.take() {
            Some(note) => {
                let note = Some(note).filter(|n| !n.trim().is_empty());
                self.answer(Answer::Deny { note })
            }
            None => self.answer(Answer::AllowOnce),
        }
    }

    pub fn backspace(&mut self) {
        if let Some(note) = &mut self.note {
            note.pop();
        }
    }

    pub fn deny(&mut self) -> ModalKey {
        let note = self.note.take().filter(|n| !n.trim().is_empty());
        self.answer(Answer::Deny { note })
    }

    /// What the call would do, as text for the modal's body: the command,
    /// or the change as a diff where the arguments show it.
    pub fn body(&self) -> String {
        let args: serde_json::Value =
            serde_json::from_str(&self.request.call.arguments).unwrap_or_default();
        let get = |k: &str| {
            args.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        match &self.request.action {
            Action::Command { command } => format!("$ {command}"),
            Action::Write { tool, paths } => match tool.as_str() {
                "edit_file" => {
                    let (old, new, path) = (get("old_string"), get("new_string"), get("path"));
                    similar::TextDiff::from_lines(&old, &new)
                        .unified_diff()
                        .header(&path, &path)
                        .to_string()
                }
                "write_file" => format!("write {}:\n{}", get("path"), get("content")),
                "apply_patch" => get("patch"),
                _ => format!("{tool} {}", paths.join(", ")),
            },
            Action::Read => String::new(),
        }
    }
}

impl Drop for ApprovalModal {
    /// A modal closed without an answer (the UI quits) denies.
    fn drop(&mut self) {
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(Answer::Deny { note: None });
        }
    }
}
