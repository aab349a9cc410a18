//! What a session file says about the session as a whole: where it ran,
//! with which backend and profile, and how to choose them again.

use std::path::PathBuf;

use super::log::SessionLog;
use super::{ResumeChoice, SessionsError};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionMeta {
    pub id: String,
    /// The `ts` of `session_started`.
    pub started: String,
    /// The `ts` of the last event.
    pub updated: String,
    pub cwd: PathBuf,
    /// The latest backend (a resume may have switched it).
    pub provider: String,
    pub model: String,
    pub profile: Option<String>,
    /// Of the latest system prompt: `session_started` or `session_resumed`.
    pub system_prompt_sha256: Option<String>,
    /// From the latest `session_recorded`.
    pub resume: Option<ResumeChoice>,
}

impl SessionMeta {
    pub fn of(log: &SessionLog) -> Result<Self, SessionsError> {
        let first = log.records.first().ok_or_else(|| SessionsError::Unusable {
            path: log.path.clone(),
            message: "the session file holds no events".into(),
        })?;
        if first.kind() != "session_started" {
            return Err(SessionsError::Corrupt {
                path: log.path.clone(),
                line: first.line,
                message: format!(
                    "the first event is `{}`, not `session_started`",
                    first.kind()
                ),
            });
        }
        let mut meta = SessionMeta {
            id: first.str("session_id").unwrap_or_default().to_string(),
            started: first.str("ts").unwrap_or_default().to_string(),
            cwd: PathBuf::from(first.str("cwd").unwrap_or_default()),
            ..Default::default()
        };
        for record in &log.records {
            match record.kind() {
                "session_started" | "session_resumed" => {
                    let v = &record.value;
                    meta.provider = text(&v["backend"]["provider"]);
                    meta.model = text(&v["backend"]["model"]);
                    meta.profile = v["profile"]["name"].as_str().map(str::to_string);
                    meta.system_prompt_sha256 =
                        v["system_prompt_sha256"].as_str().map(str::to_string);
                }
                "session_recorded" => {
                    let choice =
                        serde_json::from_value(record.value["resume"].clone()).map_err(|e| {
                            SessionsError::Corrupt {
                                path: log.path.clone(),
                                line: record.line,
                                message: format!("bad `resume` in session_recorded: {e}"),
                            }
                        })?;
                    meta.resume = Some(choice);
                }
                _ => {}
            }
        }
        meta.updated = log
            .records
            .last()
            .and_then(|r| r.str("ts"))
            .unwrap_or_default()
            .to_string();
        Ok(meta)
    }
}

fn text(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}
