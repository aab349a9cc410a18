//! `kiln sessions`: the recorded sessions, most recently active first.

use std::path::{Path, PathBuf};

use clap::Args;

use super::exit;
use crate::sessions::summary::{self, SessionSummary};
use crate::sessions::{SessionsError, store};

#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// Every session, not only those of the current repository.
    #[arg(long)]
    pub all: bool,
    /// One JSON object per session and line, with the full id and path.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: SessionsArgs) -> u8 {
    match list(&args) {
        Ok(()) => exit::DONE,
        Err(e) => {
            eprintln!("kiln: error: {e}");
            exit::USAGE
        }
    }
}

fn list(args: &SessionsArgs) -> Result<(), SessionsError> {
    let dir = store::sessions_dir()?;
    let repo = match args.all {
        true => None,
        false => Some(current_repo()?),
    };
    let sessions = of_repo(&dir, repo.as_deref())?;
    if args.json {
        for s in &sessions {
            if let Ok(line) = serde_json::to_string(s) {
                println!("{line}");
            }
        }
        return Ok(());
    }
    if sessions.is_empty() {
        match &repo {
            Some(r) => eprintln!(
                "kiln: no sessions recorded in {} yet (`kiln sessions --all` lists every one)",
                r.display()
            ),
            None => eprintln!("kiln: no sessions recorded in {} yet", dir.display()),
        }
        return Ok(());
    }
    println!("{}", table(&sessions, args.all));
    Ok(())
}

/// The sessions that ran in `repo` (all of them for `None`), newest
/// first; files that cannot be read are reported on stderr and skipped.
pub fn of_repo(dir: &Path, repo: Option<&Path>) -> Result<Vec<SessionSummary>, SessionsError> {
    let (sessions, problems) = summary::all(dir)?;
    for p in problems {
        eprintln!("kiln: warning: skipped a session file: {p}");
    }
    Ok(sessions
        .into_iter()
        .filter(|s| repo.is_none_or(|r| s.cwd.starts_with(r)))
        .collect())
}

/// The repository around the current directory, as sessions record it.
pub fn current_repo() -> Result<PathBuf, SessionsError> {
    let cwd = std::env::current_dir().map_err(|e| SessionsError::io(Path::new("."), e))?;
    let cwd = cwd.canonicalize().unwrap_or(cwd);
    Ok(crate::config::repo_root(&cwd))
}

fn table(sessions: &[SessionSummary], with_cwd: bool) -> String {
    let mut rows = vec![[
        "ID".to_string(),
        "STARTED (UTC)".into(),
        "TURNS".into(),
        "STATE".into(),
        "MODEL".into(),
        "PROFILE".into(),
        if with_cwd { "CWD" } else { "" }.into(),
        "TASK".into(),
    ]];
    for s in sessions {
        rows.push([
            s.id.chars().take(8).collect(),
            s.started.replace('T', " ").chars().take(16).collect(),
            s.turns.to_string(),
            s.state.label().to_string(),
            clip(&format!("{}:{}", s.provider, short_model(&s.model)), 40),
            s.profile.clone().unwrap_or_else(|| "-".into()),
            if with_cwd {
                s.cwd.display().to_string()
            } else {
                String::new()
            },
            clip(&s.task, 60),
        ]);
    }
    let widths: Vec<usize> = (0..8)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .filter(|(_, w)| **w > 0)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A model given as a file path shows as its file name.
fn short_model(model: &str) -> &str {
    match model.rsplit_once('/') {
        Some((_, name)) if model.starts_with('/') => name,
        _ => model,
    }
}

fn clip(text: &str, max: usize) -> String {
    let flat: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match flat.chars().count() > max {
        true => format!("{}…", flat.chars().take(max - 1).collect::<String>()),
        false => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_and_short_model() {
        assert_eq!(clip("a\nb", 10), "a b");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(short_model("/tmp/x/script.json"), "script.json");
        assert_eq!(short_model("qwen/qwen3-coder"), "qwen/qwen3-coder");
    }
}
