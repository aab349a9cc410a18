//! A real llama.cpp `llama-server` for end-to-end tests of the endpoint
//! backend.
//!
//! The binary comes from `KILN_LLAMA_SERVER`, else the newest
//! `llama-server-<build>` in kiln's cache (`$KILN_CACHE_DIR/bin`, else
//! `$XDG_CACHE_HOME/kiln/bin`, else `~/.cache/kiln/bin`), where
//! `scripts/build-llama-server.sh` puts it. With `CI=true` a missing binary
//! fails the test; elsewhere the test is skipped with a note saying how to
//! build it.
//!
//! [`LlamaServer::start`] runs it on `127.0.0.1` on a free port, waits until
//! `/health` says the model is loaded and kills it on drop. Hold
//! `weights::lock()` while a server runs: it loads model weights.
//!
//! Use it from an integration test with
//! `#[path = "support/llama_server.rs"] mod llama_server;`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long loading the model may take before the test fails.
const READY_TIMEOUT: Duration = Duration::from_secs(180);

/// kiln's cache directory, resolved as `kiln::models::models_dir` does.
fn cache_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    var("KILN_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("kiln")))
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache/kiln")))
}

/// The llama.cpp build number of a cached `llama-server-<build>` file name.
fn build_number(file_name: &str) -> Option<u64> {
    file_name.strip_prefix("llama-server-")?.parse().ok()
}

/// The newest `llama-server-<build>` in `dir`, by build number.
fn newest_in(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let build = build_number(e.file_name().to_str()?)?;
            e.path().is_file().then(|| (build, e.path()))
        })
        .max_by_key(|(build, _)| *build)
        .map(|(_, path)| path)
}

/// The llama-server binary, or `None` (test skipped) outside CI.
pub fn binary() -> Option<PathBuf> {
    let found = match std::env::var_os("KILN_LLAMA_SERVER").filter(|v| !v.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "KILN_LLAMA_SERVER={} is not a file",
                path.display()
            );
            Some(path)
        }
        None => cache_dir().and_then(|d| newest_in(&d.join("bin"))),
    };
    if found.is_none() {
        let why = "llama-server is not built; run scripts/build-llama-server.sh \
                   (or set KILN_LLAMA_SERVER to a llama-server binary)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{why} (CI must build it)");
        }
        eprintln!("skipping: {why}");
    }
    found
}

/// A running llama-server; killed when dropped.
pub struct LlamaServer {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: TempDir,
}

impl LlamaServer {
    /// Serves `model` with the arguments the end-to-end tests need: Jinja
    /// chat templates (tool calls), one slot with a 4k context, greedy
    /// sampling unless a request says otherwise.
    pub fn start(binary: &Path, model: &Path) -> Self {
        Self::start_with(
            binary,
            model,
            &["-c", "4096", "-np", "1", "--temp", "0", "--seed", "0"],
        )
    }

    /// Serves `model` with `extra` arguments after kiln's fixed ones
    /// (`--jinja`, the model, threads, host and port, no web UI).
    pub fn start_with(binary: &Path, model: &Path, extra: &[&str]) -> Self {
        // The free port is found by binding and releasing it, so another
        // process may take it first: start again on a new one.
        let mut attempt = 1;
        loop {
            match Self::try_start(binary, model, extra) {
                Ok(server) => return server,
                Err(log) if attempt < 3 && port_taken(&log) => attempt += 1,
                Err(log) => panic!(
                    "llama-server ({}) did not become ready; its log ends:\n{}",
                    binary.display(),
                    tail(&log, 40)
                ),
            }
        }
    }

    /// A ready server, or the log of one that exited or timed out.
    fn try_start(binary: &Path, model: &Path, extra: &[&str]) -> Result<Self, String> {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("llama-server.log");
        let out = File::create(&log).unwrap();
        let port = free_port();
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(4);
        let mut cmd = Command::new(binary);
        cmd.arg("--jinja")
            .arg("-m")
            .arg(model)
            .args(["-t", &threads.to_string()])
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--no-webui")
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out));
        die_with_parent(&mut cmd);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut server = Self {
            child,
            port,
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                return Err(format!("{}\n(llama-server exited: {status})", server.log()));
            }
            if server.healthy() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{}\n(not ready after {}s)",
                    server.log(),
                    READY_TIMEOUT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The OpenAI-compatible base URL, e.g. `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last `lines` lines of the server's log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.log(), lines)
    }

    /// `GET /health` answers 200 once the model is loaded (503 before).
    fn healthy(&self) -> bool {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let request = format!(
            "GET /health HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        );
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer.starts_with("HTTP/1.1 200") && answer.contains("\"ok\"")
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn port_taken(log: &str) -> bool {
    log.contains("couldn't bind") || log.contains("Address already in use")
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The server gets SIGKILL when the thread that started it ends, so a test
/// process killed before `Drop` runs leaves no server behind.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only prctl(2) runs, which is
    // async-signal-safe; nothing allocates or takes a lock.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                .map_err(std::io::Error::from)
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}
