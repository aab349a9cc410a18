//! `kiln undo` and `kiln checkpoints`: put a checkpoint back, list them.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::exit;
use crate::checkpoint::{CheckpointError, Checkpointer, Listed, Restored, session_log};

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// The workspace (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Restore this checkpoint (an id prefix from `kiln checkpoints`)
    /// instead of the newest one that differs from the files now.
    #[arg(long, value_name = "ID")]
    pub to: Option<String>,
    /// Do not ask for confirmation (it is only asked on a terminal).
    #[arg(long, short)]
    pub yes: bool,
    /// Print what was restored as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The workspace (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Print the list as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run_undo(args: UndoArgs) -> u8 {
    let outcome = async {
        let checkpointer = open(args.cwd.as_ref())?;
        if !args.yes && std::io::stdin().is_terminal() && !confirm(&checkpointer, &args)? {
            eprintln!("kiln: nothing was changed");
            return Ok(exit::DONE);
        }
        let blocking = checkpointer.clone();
        let to = args.to.clone();
        let restored = tokio::task::spawn_blocking(move || blocking.undo(to.as_deref()))
            .await
            .map_err(|e| fail(CheckpointError::Task(e.to_string())))?
            .map_err(fail)?;
        report(&checkpointer, &restored, args.json);
        Ok(match restored.failed.is_empty() {
            true => exit::DONE,
            false => exit::FAILED,
        })
    };
    finish(outcome.await)
}

pub async fn run_list(args: ListArgs) -> u8 {
    let outcome = async {
        let checkpointer = open(args.cwd.as_ref())?;
        let listed = tokio::task::spawn_blocking(move || checkpointer.list())
            .await
            .map_err(|e| fail(CheckpointError::Task(e.to_string())))?
            .map_err(fail)?;
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&listed).unwrap_or_default()
            );
        } else {
            print!("{}", table(&listed));
        }
        Ok(exit::DONE)
    };
    finish(outcome.await)
}

type Failure = (u8, String);

fn finish(outcome: Result<u8, Failure>) -> u8 {
    outcome.unwrap_or_else(|(code, message)| {
        eprintln!("kiln: error: {message}");
        code
    })
}

fn fail(e: CheckpointError) -> Failure {
    let code = if e.is_usage() {
        exit::USAGE
    } else {
        exit::FAILED
    };
    (code, e.to_string())
}

fn open(cwd: Option<&PathBuf>) -> Result<Checkpointer, Failure> {
    let dir = match cwd {
        Some(d) => d.clone(),
        None => std::env::current_dir()
            .map_err(|e| (exit::USAGE, format!("no working directory: {e}")))?,
    };
    if !dir.is_dir() {
        return Err((exit::USAGE, format!("{} is not a directory", dir.display())));
    }
    Checkpointer::new(&dir, None).map_err(|e| (exit::USAGE, e.to_string()))
}

/// Shows what would be restored and asks; `false` when the user declines.
fn confirm(checkpointer: &Checkpointer, args: &UndoArgs) -> Result<bool, Failure> {
    let target = checkpointer.preview(args.to.as_deref()).map_err(fail)?;
    eprint!(
        "Restore checkpoint {} ({}, {}), changing {} files? [y/N] ",
        target.checkpoint.short_id(),
        target.checkpoint.meta.label,
        target.time,
        target.changed_files
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| (exit::USAGE, format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// The restored files on stdout; how to undo the undo, and any session
/// told about it, on stderr.
fn report(checkpointer: &Checkpointer, restored: &Restored, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(restored).unwrap_or_default()
        );
    } else {
        for f in &restored.restored {
            println!("restored {}", f.display());
        }
        for f in &restored.deleted {
            println!("deleted  {}", f.display());
        }
    }
    let c = &restored.checkpoint;
    let files = restored.restored.len() + restored.deleted.len();
    match &restored.before_undo {
        Some(before) => eprintln!(
            "kiln: restored checkpoint {} ({}): {files} files changed; `kiln undo --to {}` puts \
             back what was there",
            c.short_id(),
            c.meta.label,
            before.short_id()
        ),
        None => eprintln!(
            "kiln: the files already match checkpoint {} ({}); nothing changed",
            c.short_id(),
            c.meta.label
        ),
    }
    for f in &restored.failed {
        eprintln!("kiln: error: {}: {}", f.path.display(), f.error);
    }
    match session_log::append_files_restored(checkpointer.state(), restored) {
        Ok(Some(path)) => eprintln!("kiln: noted in the session file {}", path.display()),
        Ok(None) => {}
        Err(e) => eprintln!("kiln: warning: cannot note the undo in its session file: {e}"),
    }
}

fn table(listed: &[Listed]) -> String {
    let mut out = format!(
        "{:<10}  {:<20}  {:<8}  {:>4}  {:>7}  LABEL\n",
        "ID", "TIME (UTC)", "SESSION", "TURN", "CHANGED"
    );
    for l in listed {
        let c = &l.checkpoint;
        let session = c.meta.session_id.as_deref().unwrap_or("-");
        let turn = c.meta.turn.map_or("-".to_string(), |t| t.to_string());
        out.push_str(&format!(
            "{:<10}  {:<20}  {:<8}  {:>4}  {:>7}  {}\n",
            c.short_id(),
            l.time.replace('T', " ").trim_end_matches('Z'),
            session.get(..8).unwrap_or(session),
            turn,
            l.changed_files,
            c.meta.label
        ));
    }
    out
}
