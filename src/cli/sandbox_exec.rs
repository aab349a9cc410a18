//! `kiln sandbox-exec` (hidden): the helper the shell tool runs commands
//! through. It restricts itself with landlock, then execs the command,
//! which inherits the restriction. See [`crate::sandbox`].

use std::os::unix::process::CommandExt;
use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct SandboxExecArgs {
    /// A directory (or file) the command may write beneath; repeatable.
    #[arg(long = "write", value_name = "PATH")]
    pub writable: Vec<PathBuf>,
    /// Deny TCP connect and bind.
    #[arg(long)]
    pub no_network: bool,
    /// The program and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Exit status when the sandbox or the exec fails, as shells use for
/// "found but cannot run".
const CANNOT_RUN: u8 = 126;

/// Never returns on success: the process becomes the command.
pub fn run(args: SandboxExecArgs) -> u8 {
    if let Err(e) = crate::sandbox::landlock::restrict(&args.writable, !args.no_network) {
        eprintln!("kiln sandbox: cannot restrict the command, so it did not run: {e}");
        return CANNOT_RUN;
    }
    let Some((program, rest)) = args.command.split_first() else {
        eprintln!("kiln sandbox: no command given");
        return CANNOT_RUN;
    };
    let err = std::process::Command::new(program).args(rest).exec();
    eprintln!("kiln sandbox: cannot run {program}: {err}");
    CANNOT_RUN
}
