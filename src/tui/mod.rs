//! The interactive TUI (`kiln` with no subcommand).
//!
//! Two tasks: the agent ([`agent`]) owns the session and runs tasks; the
//! UI loop here reads the terminal and the agent's messages and redraws.
//! They talk over channels only, so the UI never waits on the model:
//! typing, scrolling and Esc work while a turn streams. Frames are drawn
//! only when something changed, at most every [`FRAME`].

pub mod agent;
pub mod app;
pub mod complete;
pub mod input;
pub mod modal;
pub mod status;
pub mod terminal;
pub mod transcript;
pub mod view;

use std::io::IsTerminal;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc;

use crate::approval::Policy;
use crate::cli::setup::Setup;
use crate::cli::{BackendArgs, LimitArgs, SafetyArgs, exit};

/// The shortest time between two frames (~60 fps).
const FRAME: Duration = Duration::from_millis(16);

/// The TUI's flags (given to `kiln` itself).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TuiArgs {
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub safety: SafetyArgs,
    /// Work in this directory instead of the current one.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<std::path::PathBuf>,
}

pub async fn run(args: TuiArgs) -> u8 {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        eprintln!(
            "kiln: error: the interactive UI needs a terminal; run a task headless with \
             `kiln exec \"<task>\"`"
        );
        return exit::USAGE;
    }
    let (ui_tx, ui_rx) = mpsc::unbounded_channel();
    let setup = match Setup::load(args.cwd.as_ref(), &args.backend, &args.limits)
        .and_then(|s| s.with_safety(&args.safety, Policy::Auto))
    {
        Ok(s) => s.with_approver(agent::approver(&ui_tx)),
        Err((code, message)) => {
            eprintln!("kiln: error: {message}");
            return code;
        }
    };
    // A model that must be downloaded first is fetched here, on the normal
    // screen where its progress bar belongs.
    if let Err(message) = fetch_local_model(&setup).await {
        eprintln!("kiln: error: {message}");
        return exit::BACKEND;
    }
    let completer = complete::Completer::new(setup.workspace.root());
    let welcome = format!(
        "kiln in {}\n\nLoading the model… Type a task and press Enter. /help lists commands; \
         @path attaches a file; Esc interrupts; Ctrl+C twice quits.",
        setup.workspace.root().display()
    );
    let (op_tx, op_rx) = mpsc::unbounded_channel();
    let agent = tokio::spawn(agent::run(setup, op_rx, ui_tx));
    let (mut term, guard) = match terminal::enter() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("kiln: error: cannot set up the terminal: {e}");
            return exit::USAGE;
        }
    };
    let mut app = app::App::new(completer, welcome);
    let result = ui_loop(&mut term, &mut app, ui_rx, op_tx).await;
    drop(guard);
    agent.abort();
    match result {
        Ok(()) => exit::DONE,
        Err(e) => {
            eprintln!("kiln: error: the terminal failed: {e}");
            1
        }
    }
}

async fn fetch_local_model(setup: &Setup) -> Result<(), String> {
    use crate::config::providers::{BackendChoice, choose};
    use crate::models::{self, Progress, Resolved};
    let Ok(BackendChoice::Local { model }) = choose(&setup.cfg) else {
        return Ok(());
    };
    let spec = model.as_deref().unwrap_or(models::DEFAULT_MODEL);
    match models::resolve(spec) {
        Ok(Resolved::Known(known)) => models::ensure(known, Progress::Bar)
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
        // Paths and bad names are reported when the session is built.
        _ => Ok(()),
    }
}

async fn ui_loop(
    term: &mut terminal::Term,
    app: &mut app::App,
    mut from_agent: mpsc::UnboundedReceiver<agent::UiMsg>,
    to_agent: mpsc::UnboundedSender<agent::Op>,
) -> std::io::Result<()> {
    let mut events = crossterm::event::EventStream::new();
    let mut last_frame = tokio::time::Instant::now() - FRAME;
    // Redraws the running clock in the status line.
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    loop {
        if app.dirty {
            let wait = FRAME.saturating_sub(last_frame.elapsed());
            if wait.is_zero() {
                term.draw(|f| view::draw(f, app))?;
                app.dirty = false;
                last_frame = tokio::time::Instant::now();
            }
        }
        let next_frame = last_frame + FRAME;
        let ops = tokio::select! {
            event = events.next() => match event {
                Some(Ok(e)) => app.on_terminal(e),
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            msg = from_agent.recv() => match msg {
                Some(m) => app.on_agent(m),
                None => return Ok(()),
            },
            _ = tokio::time::sleep_until(next_frame), if app.dirty => Vec::new(),
            _ = clock.tick(), if app.running() => {
                app.dirty = true;
                Vec::new()
            }
        };
        for op in ops {
            let _ = to_agent.send(op);
        }
        if app.quit {
            return Ok(());
        }
    }
}
