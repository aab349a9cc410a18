//! The TUI's state and what keys and agent messages do to it. Drawing is
//! in [`super::view`]; the loop that feeds this is in [`super::run`].

use std::time::{Duration, Instant};

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind,
};
use tokio_util::sync::CancellationToken;

use super::agent::{Op, UiMsg};
use super::complete::{COMMANDS, Completer};
use super::input::Input;
use super::modal::{ApprovalModal, ModalKey};
use super::status::Status;
use super::transcript::{Level, Transcript};
use super::view::scroll::TranscriptView;
use crate::agent::EventKind;
use crate::approval::Policy;

/// How long a first Ctrl+C waits for the second one.
const QUIT_WINDOW: Duration = Duration::from_secs(2);

pub struct App {
    pub transcript: Transcript,
    pub view: TranscriptView,
    pub input: Input,
    pub status: Status,
    pub modal: Option<ApprovalModal>,
    pub completer: Completer,
    /// Completion candidates for the word being typed, and the selection.
    pub candidates: Vec<String>,
    pub selected: usize,
    /// Tool cards show their full output.
    pub details: bool,
    /// The running task's interrupt, while one runs.
    running: Option<CancellationToken>,
    /// Whether the agent is free to take an op.
    idle: bool,
    /// Messages typed while a task ran, sent when it ends.
    queued: Vec<String>,
    quit_armed: Option<Instant>,
    pub quit: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// Shown in place of the transcript before anything happened.
    pub welcome: String,
}

impl App {
    pub fn new(completer: Completer, welcome: String) -> Self {
        Self {
            transcript: Transcript::default(),
            view: TranscriptView::default(),
            input: Input::default(),
            status: Status::default(),
            modal: None,
            completer,
            candidates: Vec::new(),
            selected: 0,
            details: false,
            running: None,
            idle: false,
            queued: Vec::new(),
            quit_armed: None,
            quit: false,
            dirty: true,
            welcome,
        }
    }

    pub fn running(&self) -> bool {
        self.running.is_some()
    }

    /// A message from the agent; returns ops to send (queued messages).
    pub fn on_agent(&mut self, msg: UiMsg) -> Vec<Op> {
        self.dirty = true;
        match msg {
            UiMsg::Event(event) => {
                self.status.apply(&event.kind);
                // The UI shows what the user typed itself (without the
                // attached files the agent appends).
                if !matches!(event.kind, EventKind::UserMessage { .. }) {
                    self.transcript.apply(&event.kind);
                }
            }
            UiMsg::Approval { request, reply } => {
                self.modal = Some(ApprovalModal::new(*request, reply));
            }
            UiMsg::Notice(level, text) => self.transcript.notice(level, text),
            UiMsg::Diff(diff) if diff.is_empty() => self
                .transcript
                .notice(Level::Info, "no changes in this session yet"),
            UiMsg::Diff(diff) => self.transcript.push(super::transcript::Entry::Diff(diff)),
            UiMsg::Failed(message) => self.transcript.notice(Level::Error, message),
            UiMsg::Idle => {
                self.idle = true;
                self.running = None;
                self.status.set_running(false);
                if !self.queued.is_empty() {
                    let text = self.queued.remove(0);
                    return self.submit(text).into_iter().collect();
                }
            }
        }
        Vec::new()
    }

    /// A terminal event; returns the ops it causes.
    pub fn on_terminal(&mut self, event: TermEvent) -> Vec<Op> {
        self.dirty = true;
        match event {
            TermEvent::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            TermEvent::Paste(text) => {
                if let Some(modal) = &mut self.modal {
                    text.chars().for_each(|c| {
                        modal.key(c);
                    });
                } else {
                    self.input.insert_str(&text);
                    self.refresh_candidates();
                }
                Vec::new()
            }
            TermEvent::Mouse(m) => {
                match m.kind {
                    MouseEventKind::ScrollUp => self.view.scroll_up(3),
                    MouseEventKind::ScrollDown => self.view.scroll_down(3),
                    _ => self.dirty = false,
                }
                Vec::new()
            }
            TermEvent::Resize(..) => Vec::new(),
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Op> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return self.ctrl_c();
        }
        self.quit_armed = None;
        if let Some(modal) = &mut self.modal {
            let done = match key.code {
                KeyCode::Esc => modal.deny(),
                KeyCode::Enter => modal.enter(),
                KeyCode::Backspace => {
                    modal.backspace();
                    ModalKey::Open
                }
                KeyCode::Char(c) => modal.key(c),
                _ => ModalKey::Open,
            };
            if done == ModalKey::Done {
                self.modal = None;
            }
            return Vec::new();
        }
        let newline = (key.code == KeyCode::Enter
            && key
                .modifiers
                .intersects(KeyModifiers::SHIFT | KeyModifiers::ALT))
            || (ctrl && key.code == KeyCode::Char('j'));
        match key.code {
            _ if newline => self.input.newline(),
            KeyCode::Enter if !self.candidates.is_empty() && self.completing_command() => {
                self.accept_candidate();
                // A command without arguments runs at once.
                if !self.input.text().ends_with(' ') {
                    let text = self.input.take();
                    return self.submit(text).into_iter().collect();
                }
            }
            KeyCode::Enter => {
                let text = self.input.take();
                self.candidates.clear();
                return self.submit(text).into_iter().collect();
            }
            KeyCode::Tab if !self.candidates.is_empty() => self.accept_candidate(),
            KeyCode::Esc if !self.candidates.is_empty() => self.candidates.clear(),
            KeyCode::Esc => self.interrupt(),
            KeyCode::Char('o') if ctrl => self.details = !self.details,
            KeyCode::Char('d') if ctrl && self.input.is_empty() => self.quit = true,
            KeyCode::Char('l') if ctrl => self.view.to_bottom(),
            KeyCode::Char(c) if !ctrl => self.input.insert(c),
            KeyCode::Backspace => self.input.backspace(),
            KeyCode::Delete => self.input.delete(),
            KeyCode::Left => self.input.left(),
            KeyCode::Right => self.input.right(),
            KeyCode::Home => self.input.home(),
            KeyCode::End => self.input.end(),
            KeyCode::Up if !self.candidates.is_empty() => {
                self.selected = self.selected.saturating_sub(1);
                return Vec::new();
            }
            KeyCode::Down if !self.candidates.is_empty() => {
                self.selected = (self.selected + 1).min(self.candidates.len() - 1);
                return Vec::new();
            }
            KeyCode::Up => self.input.up(),
            KeyCode::Down => self.input.down(),
            KeyCode::PageUp => self.view.scroll_up(self.view.page()),
            KeyCode::PageDown => self.view.scroll_down(self.view.page()),
            _ => {
                self.dirty = false;
                return Vec::new();
            }
        }
        self.refresh_candidates();
        Vec::new()
    }

    fn ctrl_c(&mut self) -> Vec<Op> {
        if self.quit_armed.is_some_and(|t| t.elapsed() < QUIT_WINDOW) {
            self.quit = true;
            return Vec::new();
        }
        self.quit_armed = Some(Instant::now());
        if let Some(modal) = &mut self.modal {
            modal.deny();
            self.modal = None;
        } else if self.running() {
            self.interrupt();
        } else if !self.input.is_empty() {
            self.input.clear();
            self.candidates.clear();
        }
        self.transcript
            .notice(Level::Info, "press Ctrl+C again to quit");
        Vec::new()
    }

    fn interrupt(&mut self) {
        if let Some(cancel) = &self.running {
            cancel.cancel();
        }
    }

    fn completing_command(&self) -> bool {
        let (start, word) = self.input.current_word();
        start == 0 && self.input.cursor().0 == 0 && word.starts_with('/')
    }

    fn refresh_candidates(&mut self) {
        let (start, word) = self.input.current_word();
        let first = start == 0 && self.input.cursor().0 == 0;
        self.candidates = self.completer.candidates(&word, first);
        // A command already typed out in full needs no popup.
        if self.candidates.len() == 1 && self.candidates[0] == word {
            self.candidates.clear();
        }
        self.selected = self.selected.min(self.candidates.len().saturating_sub(1));
    }

    fn accept_candidate(&mut self) {
        if let Some(c) = self.candidates.get(self.selected).cloned() {
            let takes_args = matches!(c.as_str(), "/model" | "/profile" | "/approval");
            let with = match c.starts_with('/') && !takes_args {
                true => c,
                false => format!("{c} "),
            };
            self.input.replace_current_word(&with);
        }
        self.candidates.clear();
        self.selected = 0;
    }

    /// Sends a typed message: a slash command, or a task (queued while
    /// another runs).
    pub fn submit(&mut self, text: String) -> Option<Op> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return None;
        }
        self.view.to_bottom();
        if trimmed.starts_with('/') {
            return self.command(trimmed);
        }
        if !self.idle {
            self.queued.push(text.clone());
            self.transcript
                .notice(Level::Info, "queued: it is sent when the current task ends");
            return None;
        }
        self.transcript
            .push(super::transcript::Entry::User(text.clone()));
        let cancel = CancellationToken::new();
        self.running = Some(cancel.clone());
        self.status.set_running(true);
        self.idle = false;
        Some(Op::Task { text, cancel })
    }

    fn command(&mut self, line: &str) -> Option<Op> {
        let (name, arg) = match line.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (line, ""),
        };
        let needs_idle = !matches!(name, "/help" | "/quit" | "/exit");
        if needs_idle && !self.idle {
            self.transcript.notice(
                Level::Warning,
                format!("{name} waits until the current task ends (Esc interrupts it)"),
            );
            return None;
        }
        let op = match (name, arg) {
            ("/help", _) => {
                self.transcript.notice(Level::Info, help());
                return None;
            }
            ("/quit" | "/exit", _) => {
                self.quit = true;
                return None;
            }
            ("/clear", _) => {
                self.transcript.clear();
                Op::Clear
            }
            ("/diff", _) => Op::Diff,
            ("/undo", _) => Op::Undo,
            ("/compact", _) => {
                let cancel = CancellationToken::new();
                self.running = Some(cancel.clone());
                self.status.set_running(true);
                Op::Compact { cancel }
            }
            ("/model", m) if !m.is_empty() => Op::Model(m.to_string()),
            ("/profile", p) if !p.is_empty() => Op::Profile(p.to_string()),
            ("/approval", p) => match <Policy as clap::ValueEnum>::from_str(p, true) {
                Ok(policy) => {
                    self.status
                        .set_approval(&crate::agent::events::wire_name(&policy));
                    Op::Approval(policy)
                }
                Err(_) => {
                    self.transcript
                        .notice(Level::Error, "usage: /approval read-only|ask|auto|full");
                    return None;
                }
            },
            ("/model" | "/profile", _) => {
                self.transcript
                    .notice(Level::Error, format!("usage: {name} NAME"));
                return None;
            }
            _ => {
                self.transcript.notice(
                    Level::Error,
                    format!("unknown command {name}; /help lists them"),
                );
                return None;
            }
        };
        self.idle = false;
        Some(op)
    }
}

fn help() -> String {
    let mut text = String::from("Commands:\n");
    for (name, what) in COMMANDS {
        text.push_str(&format!("  {name:<10} {what}\n"));
    }
    text.push_str(
        "Keys: Enter sends · Shift+Enter or Ctrl+J new line · Esc interrupts · Ctrl+C twice \
         quits · PgUp/PgDn or the wheel scroll · Ctrl+O tool details · Tab completes · @path \
         attaches a file · Up/Down history",
    );
    text
}
