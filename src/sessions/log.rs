//! Reading a session file back: one envelope-checked JSON value per line.
//!
//! Values rather than typed events, so a file written by a newer kiln with
//! more event types still reads (unknown types are the reader's to skip).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::SessionsError;
use crate::agent::events::SCHEMA_VERSION;

/// One event of the file.
#[derive(Clone, Debug)]
pub struct Record {
    /// 1-based line number, for error messages.
    pub line: usize,
    pub value: Value,
}

impl Record {
    pub fn kind(&self) -> &str {
        self.value["type"].as_str().unwrap_or_default()
    }

    pub fn str(&self, field: &str) -> Option<&str> {
        self.value.get(field).and_then(Value::as_str)
    }
}

/// A last line cut short by a killed process.
#[derive(Clone, Debug, PartialEq)]
pub struct Torn {
    pub line: usize,
    /// Where it starts: the file is whole up to here.
    pub offset: u64,
    pub bytes: usize,
}

/// A parsed session file.
#[derive(Clone, Debug)]
pub struct SessionLog {
    pub path: PathBuf,
    pub records: Vec<Record>,
    pub torn: Option<Torn>,
    /// The last record is whole but its newline was never written.
    pub missing_newline: bool,
}

impl SessionLog {
    pub fn read(path: &Path) -> Result<Self, SessionsError> {
        let bytes = std::fs::read(path).map_err(|e| SessionsError::io(path, e))?;
        Self::parse(path, &bytes)
    }

    /// Checks every line's envelope: JSON object, known schema version,
    /// one session id, `seq` strictly increasing. Only the last line may be
    /// broken, and only if unterminated (a write cut off by a kill).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, SessionsError> {
        let mut log = SessionLog {
            path: path.to_path_buf(),
            records: Vec::new(),
            torn: None,
            missing_newline: false,
        };
        let mut offset = 0usize;
        let mut line_no = 0usize;
        let mut last_seq = 0u64;
        let mut session_id: Option<String> = None;
        while offset < bytes.len() {
            line_no += 1;
            let rest = &bytes[offset..];
            let (line, terminated) = match rest.iter().position(|&b| b == b'\n') {
                Some(end) => (&rest[..end], true),
                None => (rest, false),
            };
            let start = offset;
            offset += line.len() + usize::from(terminated);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let corrupt = |message: String| SessionsError::Corrupt {
                path: path.to_path_buf(),
                line: line_no,
                message,
            };
            let value = match serde_json::from_slice::<Value>(line) {
                Ok(v) => v,
                Err(_) if !terminated => {
                    log.torn = Some(Torn {
                        line: line_no,
                        offset: start as u64,
                        bytes: line.len(),
                    });
                    break;
                }
                Err(e) => return Err(corrupt(format!("not JSON: {e}"))),
            };
            check_envelope(&value, &mut session_id, &mut last_seq).map_err(corrupt)?;
            log.missing_newline = !terminated;
            log.records.push(Record {
                line: line_no,
                value,
            });
        }
        Ok(log)
    }

    pub fn last_seq(&self) -> u64 {
        self.records
            .last()
            .and_then(|r| r.value["seq"].as_u64())
            .unwrap_or(0)
    }

    pub fn session_id(&self) -> Option<&str> {
        self.records.first().and_then(|r| r.str("session_id"))
    }

    /// The warning to show for a torn last line, if there is one.
    pub fn torn_warning(&self) -> Option<String> {
        self.torn.as_ref().map(|t| {
            format!(
                "{}:{}: dropped a torn last line ({} bytes, cut off when a kiln process was \
                 killed); the item it held is lost",
                self.path.display(),
                t.line,
                t.bytes
            )
        })
    }
}

fn check_envelope(
    value: &Value,
    session_id: &mut Option<String>,
    last_seq: &mut u64,
) -> Result<(), String> {
    if !value.is_object() {
        return Err("not a JSON object".into());
    }
    let v = value["v"]
        .as_u64()
        .ok_or("no schema version `v`".to_string())?;
    if v > u64::from(SCHEMA_VERSION) {
        return Err(format!(
            "schema version {v} is newer than this kiln's ({SCHEMA_VERSION}); upgrade kiln"
        ));
    }
    if value["type"].as_str().is_none() {
        return Err("no event `type`".into());
    }
    let id = value["session_id"]
        .as_str()
        .ok_or("no `session_id`".to_string())?;
    match session_id {
        Some(first) if first != id => {
            return Err(format!(
                "session id `{id}` differs from the file's `{first}`"
            ));
        }
        Some(_) => {}
        None => *session_id = Some(id.to_string()),
    }
    let seq = value["seq"].as_u64().ok_or("no `seq`".to_string())?;
    if seq <= *last_seq {
        return Err(format!(
            "seq {seq} does not follow {last_seq} (events out of order or duplicated)"
        ));
    }
    *last_seq = seq;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn line(seq: u64, ty: &str) -> String {
        format!(r#"{{"v":1,"session_id":"s","seq":{seq},"ts":"t","type":"{ty}"}}"#)
    }

    fn parse(text: &str) -> Result<SessionLog, SessionsError> {
        SessionLog::parse(Path::new("/x/s.jsonl"), text.as_bytes())
    }

    #[test]
    fn whole_file_reads() {
        let text = format!("{}\n{}\n", line(1, "a"), line(3, "b"));
        let log = parse(&text).unwrap();
        assert_eq!(log.records.len(), 2);
        assert_eq!(log.records[1].line, 2);
        assert_eq!(log.last_seq(), 3);
        assert!(log.torn.is_none() && !log.missing_newline);
        assert_eq!(log.session_id(), Some("s"));
    }

    #[test]
    fn a_torn_last_line_is_tolerated_and_located() {
        let first = line(1, "a");
        let text = format!("{first}\n{{\"v\":1,\"sess");
        let log = parse(&text).unwrap();
        assert_eq!(log.records.len(), 1);
        let torn = log.torn.clone().unwrap();
        assert_eq!(torn.line, 2);
        assert_eq!(torn.offset, first.len() as u64 + 1);
        assert_eq!(torn.bytes, 12);
        assert!(log.torn_warning().unwrap().contains("/x/s.jsonl:2"));
    }

    #[test]
    fn a_whole_last_line_without_newline_is_kept() {
        let text = format!("{}\n{}", line(1, "a"), line(2, "b"));
        let log = parse(&text).unwrap();
        assert_eq!(log.records.len(), 2);
        assert!(log.missing_newline && log.torn.is_none());
    }

    #[test]
    fn corruption_before_the_end_is_an_error_naming_file_and_line() {
        let text = format!("{}\n{{broken\n{}\n", line(1, "a"), line(2, "b"));
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.starts_with("/x/s.jsonl:2: not JSON"), "{err}");
        // A broken last line that did end in a newline was not cut off by
        // a kill: also corruption.
        let text = format!("{}\n{{broken\n", line(1, "a"));
        assert!(parse(&text).is_err());
    }

    #[test]
    fn envelope_problems_are_errors() {
        let cases = [
            (
                format!("{}\n{}\n", line(2, "a"), line(2, "b")),
                "seq 2 does not follow 2",
            ),
            ("[1]\n".to_string(), "not a JSON object"),
            (
                r#"{"v":9,"session_id":"s","seq":1,"type":"a"}"#.to_string() + "\n",
                "newer",
            ),
            (
                r#"{"v":1,"seq":1,"type":"a"}"#.to_string() + "\n",
                "session_id",
            ),
            (
                format!(
                    "{}\n{}\n",
                    line(1, "a"),
                    r#"{"v":1,"session_id":"other","seq":2,"type":"a"}"#
                ),
                "differs",
            ),
        ];
        for (text, want) in cases {
            let err = parse(&text).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn blank_lines_are_skipped() {
        let text = format!("\n{}\n\n{}\n", line(1, "a"), line(2, "b"));
        assert_eq!(parse(&text).unwrap().records.len(), 2);
    }
}
