use std::process::ExitCode;

use clap::Parser;
use kiln::cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The sandbox helper restricts itself and execs before anything else
    // (no log file, no threads).
    if let Some(kiln::cli::Command::SandboxExec(args)) = cli.command {
        return ExitCode::from(kiln::cli::sandbox_exec::run(args));
    }
    // The full-screen UI owns the terminal: its logs go to a file.
    let log_file = match (&cli.log_file, &cli.command) {
        (Some(f), _) => Some(f.clone()),
        (None, None) => kiln::config::state_dir().map(|d| d.join("kiln.log")),
        (None, Some(_)) => None,
    };
    if let Err(e) = init_logging(log_file.as_deref()) {
        eprintln!("kiln: error: {e:#}");
        return ExitCode::from(kiln::cli::exit::USAGE);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kiln: error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    ExitCode::from(runtime.block_on(run(cli)))
}

/// Logs go to stderr or a file, never to stdout (which carries `--json`).
fn init_logging(file: Option<&std::path::Path>) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("KILN_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match file {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
            }
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| anyhow::anyhow!("cannot open log file {}: {e}", path.display()))?;
            builder
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(f))
                .init();
        }
        None => builder.with_writer(std::io::stderr).init(),
    }
    Ok(())
}
