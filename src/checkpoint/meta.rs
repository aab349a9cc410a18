//! What a checkpoint commit says about itself: why it was taken, by which
//! session and turn. Kept as trailers in the commit message so plain git
//! (`git log refs/kiln/checkpoints/…`) shows it too.

use serde::Serialize;

/// Why a checkpoint was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Before the first change of an agent turn.
    Turn,
    /// The state an undo replaced, so the undo can itself be undone.
    BeforeUndo,
}

/// The metadata of one checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Meta {
    pub reason: Reason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turn: Option<u32>,
    /// A short description for people (`before turn 3`, `before undo to
    /// 1a2b3c4d`).
    pub label: String,
    /// For [`Reason::BeforeUndo`]: the checkpoint the undo restored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undo_to: Option<String>,
}

const SUBJECT: &str = "kiln checkpoint: ";

impl Meta {
    pub fn turn(session_id: Option<String>, turn: u32) -> Self {
        Self {
            reason: Reason::Turn,
            session_id,
            turn: Some(turn),
            label: format!("before turn {turn}"),
            undo_to: None,
        }
    }

    pub fn before_undo(session_id: Option<String>, target: &str) -> Self {
        let short = target.get(..super::chain::SHORT_ID).unwrap_or(target);
        Self {
            reason: Reason::BeforeUndo,
            session_id,
            turn: None,
            label: format!("before undo to {short}"),
            undo_to: Some(target.to_string()),
        }
    }

    pub fn message(&self) -> String {
        let mut msg = format!("{SUBJECT}{}\n\n", self.label);
        let reason = match self.reason {
            Reason::Turn => "turn",
            Reason::BeforeUndo => "before-undo",
        };
        msg.push_str(&format!("Kiln-Reason: {reason}\n"));
        if let Some(s) = &self.session_id {
            msg.push_str(&format!("Kiln-Session: {s}\n"));
        }
        if let Some(t) = self.turn {
            msg.push_str(&format!("Kiln-Turn: {t}\n"));
        }
        if let Some(id) = &self.undo_to {
            msg.push_str(&format!("Kiln-Undo-To: {id}\n"));
        }
        msg
    }

    /// Reads a message written by [`Meta::message`]; unknown or missing
    /// trailers are tolerated (a hand-made commit still lists).
    pub fn parse(message: &str) -> Self {
        let mut lines = message.lines();
        let subject = lines.next().unwrap_or_default();
        let mut meta = Self {
            reason: Reason::Turn,
            session_id: None,
            turn: None,
            label: subject.strip_prefix(SUBJECT).unwrap_or(subject).to_string(),
            undo_to: None,
        };
        for line in lines {
            let Some((key, value)) = line.split_once(": ") else {
                continue;
            };
            match key {
                "Kiln-Reason" if value == "before-undo" => meta.reason = Reason::BeforeUndo,
                "Kiln-Session" => meta.session_id = Some(value.to_string()),
                "Kiln-Turn" => meta.turn = value.parse().ok(),
                "Kiln-Undo-To" => meta.undo_to = Some(value.to_string()),
                _ => {}
            }
        }
        meta
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn messages_round_trip() {
        for meta in [
            Meta::turn(Some("s-1".into()), 3),
            Meta::before_undo(None, "1a2b3c4d5e6f7a8b9c0d"),
        ] {
            assert_eq!(Meta::parse(&meta.message()), meta);
        }
        let odd = Meta::parse("made by hand");
        assert_eq!(odd.label, "made by hand");
        assert_eq!(odd.turn, None);
    }
}
