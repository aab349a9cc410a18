//! The command line: argument parsing and the subcommands.
//!
//! This is the binary's edge: errors become a message on stderr and one of
//! the exit codes of `../shared/CONTRACT.md`.

pub mod checkpoints;
pub mod eval;
pub mod exec;
pub mod fix;
pub mod models;
pub mod profiles;
pub mod recording;
pub mod repo_map;
pub mod resume;
pub mod sandbox_exec;
pub mod sessions;
pub mod setup;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::FlagOverrides;

#[derive(Debug, Parser)]
#[command(
    name = "kiln",
    version,
    about = "A coding agent for models you control"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand: the interactive UI's flags.
    #[command(flatten)]
    pub tui: crate::tui::TuiArgs,
    /// Write logs to this file instead of stderr (filter with KILN_LOG, e.g. `debug`).
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one task headless: progress on stderr, the final answer on stdout.
    Exec(exec::ExecArgs),
    /// Run a check; if it fails, let the agent fix it and prove the fix
    /// with the same check (for CI).
    Fix(fix::FixArgs),
    /// List, download and locate the known local models.
    Models(models::ModelsArgs),
    /// List the prompt profiles, or show what one sends.
    Profiles(profiles::ProfilesArgs),
    /// Runs a command under the shell sandbox (used by kiln itself).
    #[command(hide = true)]
    SandboxExec(sandbox_exec::SandboxExecArgs),
    /// Put the workspace back as it was before an agent turn (the newest
    /// checkpoint that differs, or `--to ID`).
    Undo(checkpoints::UndoArgs),
    /// List the workspace's checkpoints, newest first.
    Checkpoints(checkpoints::ListArgs),
    /// List the recorded sessions, newest first (those of this repository
    /// unless --all).
    Sessions(sessions::SessionsArgs),
    /// Continue a recorded session with a new prompt ("Continue the task."
    /// when none is given).
    Resume(resume::ResumeArgs),
    /// Evals: run suites against models, validate tasks, import benchmarks,
    /// reports, baselines, the CI gate, merging sharded runs.
    Eval(eval::EvalArgs),
}

/// Choosing the backend and the model, shared by every subcommand.
#[derive(Debug, Clone, Default, Args)]
pub struct BackendArgs {
    /// Backend: `local`, `scripted`, a preset (llama-server, ollama, lmstudio,
    /// vllm, openrouter, openai) or a `[providers.NAME]` from config.
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// Model: a GGUF path for `local`, the model id for an endpoint, the
    /// script file for `scripted`.
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Context size in tokens for the local engine (default: the model's
    /// trained context, capped at 32k).
    #[arg(long, value_name = "TOKENS")]
    pub ctx_size: Option<u32>,
    /// Prompt profile (see `kiln profiles list`); default: by config, else
    /// by the profiles' match rules.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

/// Budgets of one task.
#[derive(Debug, Clone, Default, Args)]
pub struct LimitArgs {
    /// Most model requests before stopping (exit 3).
    #[arg(long, value_name = "N")]
    pub max_turns: Option<u32>,
    /// Wall-clock limit, e.g. `600`, `90s`, `10m` (exit 3 when reached).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Most prompt + completion tokens before stopping (exit 3).
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,
    /// Compact the conversation (summarise older turns) once the prompt
    /// reaches this point: a fraction of the context window (`0.6`, `60%`)
    /// or tokens (`6000`, `6k`). Default: the profile's `compact_at`.
    #[arg(long, value_name = "POINT", value_parser = parse_compact_at)]
    pub compact_at: Option<crate::agent::context::CompactAt>,
}

fn parse_compact_at(s: &str) -> Result<crate::agent::context::CompactAt, String> {
    s.parse()
}

/// What the agent may do without asking, and where commands may write.
#[derive(Debug, Clone, Default, Args)]
pub struct SafetyArgs {
    /// Approval policy: read-only, ask, auto or full (headless runs refuse
    /// what would ask).
    #[arg(long, value_name = "POLICY")]
    pub approval: Option<crate::approval::Policy>,
    /// Shell sandbox: on (falls back with a warning where the kernel lacks
    /// landlock), required, or off.
    #[arg(long, value_name = "MODE")]
    pub sandbox: Option<crate::sandbox::Mode>,
    /// Deny network access (TCP) to the model's commands.
    #[arg(long)]
    pub no_network: bool,
}

impl BackendArgs {
    pub fn overrides(&self, limits: &LimitArgs) -> FlagOverrides {
        FlagOverrides {
            provider: self.provider.clone(),
            model: self.model.clone(),
            base_url: self.base_url.clone(),
            max_turns: limits.max_turns,
            timeout_secs: limits.timeout.map(|t| t.as_secs().max(1)),
            max_tokens: limits.max_tokens,
            local: self.ctx_size.map(|n| crate::config::LocalFlags {
                context_size: Some(n),
            }),
        }
    }
}

/// Plain seconds or a humantime duration (`90s`, `10m`, `1h 30m`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    if let Ok(secs) = s.trim().parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(s).map_err(|e| format!("`{s}` is not a duration ({e})"))
}

/// Exit codes of `../shared/CONTRACT.md`.
pub mod exit {
    pub const DONE: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const LIMIT: u8 = 3;
    pub const BACKEND: u8 = 4;
    pub const INTERRUPTED: u8 = 130;
}

/// Runs the parsed command line and returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    match cli.command {
        Some(Command::Exec(args)) => exec::run(args).await,
        Some(Command::Fix(args)) => fix::run(args).await,
        Some(Command::Models(args)) => models::run(args).await,
        Some(Command::Profiles(args)) => profiles::run(args).await,
        // main() runs it before the runtime starts; here only for completeness.
        Some(Command::SandboxExec(args)) => sandbox_exec::run(args),
        Some(Command::Undo(args)) => checkpoints::run_undo(args).await,
        Some(Command::Checkpoints(args)) => checkpoints::run_list(args).await,
        Some(Command::Sessions(args)) => sessions::run(args),
        Some(Command::Resume(args)) => resume::run(args).await,
        Some(Command::Eval(args)) => eval::run(args).await,
        None => crate::tui::run(cli.tui).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert!(parse_duration("soon").is_err());
    }
}
