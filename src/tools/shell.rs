//! `shell`: `bash -c` in the workspace root, in its own process group.
//!
//! stdout and stderr share one pipe, so the output keeps its arrival order.
//! The whole process group is SIGKILLed when the command times out, when
//! the call's future is dropped (cancellation), and when the call returns
//! (so background jobs do not outlive it). A background job that keeps the
//! pipe open does not hang the call: [`EOF_GRACE`] after bash exits, the
//! group is killed and the call returns.

use std::collections::VecDeque;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use async_trait::async_trait;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;
use tokio::time::Instant;

use super::truncate::{self, head_tail};
use super::{Tool, ToolContext, ToolError, ToolOutput, parse_args};

/// How long output may keep coming after bash exits.
const EOF_GRACE: Duration = Duration::from_millis(200);
/// Captured output kept from the start and from the end; the middle of
/// longer output is counted, not kept.
const HEAD_CAP: usize = truncate::FULL_CAP_BYTES / 2 - 4096;
const TAIL_CAP: usize = truncate::FULL_CAP_BYTES / 2 - 4096;
/// Longest timeout accepted, so deadlines cannot overflow.
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

pub struct Shell;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    command: String,
    timeout_secs: Option<u64>,
}

#[async_trait]
impl Tool for Shell {
    fn name(&self) -> &'static str {
        "shell"
    }

    fn mutates(&self) -> bool {
        true
    }

    async fn call(
        &self,
        args: serde_json::Value,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(args)?;
        if args.command.trim().is_empty() {
            return Err(ToolError::InvalidArguments("command is empty".into()));
        }
        let timeout = match args.timeout_secs {
            Some(0) => {
                return Err(ToolError::InvalidArguments(
                    "timeout_secs must be at least 1".into(),
                ));
            }
            Some(secs) => Duration::from_secs(secs),
            None => ctx.limits.shell_timeout,
        }
        .min(MAX_TIMEOUT);
        let spawn = Spawn {
            command: &args.command,
            root: ctx.workspace.root(),
            sandbox: ctx.workspace.sandbox(),
        };
        let run = run(spawn, timeout).await?;
        Ok(render(run, timeout, ctx))
    }
}

/// A finished command, for callers outside the tool (`kiln fix` checks).
#[derive(Clone, Debug)]
pub struct CommandRun {
    /// `None` when it timed out or a signal killed it.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// Combined stdout and stderr (a very long middle is omitted).
    pub output: String,
}

/// Runs `command` with `bash -c` in `root` the way the tool does: no stdin,
/// its own process group, killed whole at `timeout`.
pub async fn run_command(
    command: &str,
    root: &std::path::Path,
    timeout: Duration,
) -> Result<CommandRun, ToolError> {
    let spawn = Spawn {
        command,
        root,
        sandbox: None,
    };
    let run = run(spawn, timeout).await?;
    Ok(CommandRun {
        exit_code: run.status.and_then(|s| s.code()).filter(|_| !run.timed_out),
        timed_out: run.timed_out,
        output: run.output.into_string(),
    })
}

/// What a finished (or killed) command left behind.
struct Run {
    status: Option<ExitStatus>,
    timed_out: bool,
    /// Background processes held the output open after bash exited.
    killed_lingering: bool,
    output: Capture,
}

/// SIGKILLs a process group when dropped.
struct GroupKiller {
    pgid: Option<Pid>,
}

impl GroupKiller {
    fn kill(&self) {
        if let Some(pgid) = self.pgid {
            // ESRCH (nobody left) is the normal case once everything exited.
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    }
}

impl Drop for GroupKiller {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What to run where: `bash -c command` in `root`, inside `sandbox` if any.
struct Spawn<'a> {
    command: &'a str,
    root: &'a std::path::Path,
    sandbox: Option<&'a crate::sandbox::Sandbox>,
}

async fn run(spawn: Spawn<'_>, timeout: Duration) -> Result<Run, ToolError> {
    let failed = |what: &str, e: std::io::Error| ToolError::Failed(format!("{what}: {e}"));
    // Both output streams get the write end; only the child keeps it open.
    let (tx, mut rx) = pipe::pipe().map_err(|e| failed("cannot create a pipe", e))?;
    let writer = tx
        .into_blocking_fd()
        .map_err(|e| failed("cannot create a pipe", e))?;
    let writer2 = writer
        .try_clone()
        .map_err(|e| failed("cannot create a pipe", e))?;
    let mut cmd = match spawn.sandbox {
        Some(sandbox) => sandbox.bash(spawn.command),
        None => {
            let mut cmd = tokio::process::Command::new("bash");
            cmd.arg("-c").arg(spawn.command);
            cmd
        }
    };
    cmd.current_dir(spawn.root)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        .env("PAGER", "cat")
        .env("GIT_PAGER", "cat")
        .env("GIT_TERMINAL_PROMPT", "0")
        .process_group(0)
        .kill_on_drop(true);
    let spawned = cmd.spawn();
    // The command holds our copies of the write end; EOF needs them closed.
    drop(cmd);
    let mut child = spawned.map_err(|e| failed("cannot start bash", e))?;
    let killer = GroupKiller {
        pgid: child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw),
    };

    let mut out = Run {
        status: None,
        timed_out: false,
        killed_lingering: false,
        output: Capture::default(),
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut eof = false;
    let mut deadline = Instant::now() + timeout;
    while !(eof && out.status.is_some()) {
        tokio::select! {
            read = rx.read(&mut buf), if !eof => match read {
                Ok(0) | Err(_) => eof = true,
                Ok(n) => out.output.push(&buf[..n]),
            },
            status = child.wait(), if out.status.is_none() => {
                out.status = status.ok();
                if !out.timed_out {
                    deadline = Instant::now() + EOF_GRACE;
                }
            }
            _ = tokio::time::sleep_until(deadline) => {
                killer.kill();
                if out.status.is_none() && !out.timed_out {
                    out.timed_out = true;
                    deadline = Instant::now() + EOF_GRACE;
                } else {
                    out.killed_lingering = !out.timed_out && !eof;
                    break;
                }
            }
        }
    }
    if !eof {
        drain(&mut rx, &mut buf, &mut out.output).await;
    }
    drop(killer);
    Ok(out)
}

/// Reads what is still buffered in the pipe after its writers were killed.
async fn drain(rx: &mut pipe::Receiver, buf: &mut [u8], output: &mut Capture) {
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(50), rx.read(buf)).await {
        if n == 0 {
            break;
        }
        output.push(&buf[..n]);
    }
}

fn render(run: Run, timeout: Duration, ctx: &ToolContext) -> ToolOutput {
    let mut status_line = if run.timed_out {
        format!(
            "timed out after {}s; process group killed",
            timeout.as_secs()
        )
    } else {
        match run.status {
            Some(s) => match (s.code(), s.signal()) {
                (Some(code), _) => format!("exit code: {code}"),
                (None, Some(sig)) => format!("killed by signal {}", signal_name(sig)),
                (None, None) => "exit status unknown".to_string(),
            },
            None => "exit status unknown".to_string(),
        }
    };
    if run.killed_lingering {
        status_line.push_str(&format!(
            " (background processes still holding the output open were killed {}ms after bash exited)",
            EOF_GRACE.as_millis()
        ));
    }
    let output = run.output.into_string();
    let body = if output.is_empty() {
        "(no output)".to_string()
    } else {
        output
    };
    let (shown, _) = head_tail(
        &body,
        ctx.limits.max_output_lines,
        ctx.limits.max_output_bytes,
    );
    let mut result = ToolOutput {
        for_model: format!("{status_line}\n{shown}"),
        full: truncate::cap_full(format!("{status_line}\n{body}")),
        details: Default::default(),
    };
    result.details.exit_code = run.status.and_then(|s| s.code()).filter(|_| !run.timed_out);
    result.details.timed_out = run.timed_out;
    result
}

fn signal_name(sig: i32) -> String {
    match Signal::try_from(sig) {
        Ok(s) => format!("{} ({sig})", s.as_str()),
        Err(_) => sig.to_string(),
    }
}

/// Output kept within [`HEAD_CAP`] + [`TAIL_CAP`] bytes; the middle of
/// longer output is only counted.
#[derive(Default)]
struct Capture {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    omitted: u64,
}

impl Capture {
    fn push(&mut self, mut bytes: &[u8]) {
        if self.head.len() < HEAD_CAP {
            let take = bytes.len().min(HEAD_CAP - self.head.len());
            self.head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        if bytes.len() >= TAIL_CAP {
            self.omitted += (self.tail.len() + bytes.len() - TAIL_CAP) as u64;
            self.tail.clear();
            bytes = &bytes[bytes.len() - TAIL_CAP..];
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(TAIL_CAP);
        self.tail.drain(..overflow);
        self.omitted += overflow as u64;
        self.tail.extend(bytes);
    }

    fn into_string(self) -> String {
        let tail: Vec<u8> = self.tail.into();
        if self.omitted == 0 {
            let mut all = self.head;
            all.extend_from_slice(&tail);
            return String::from_utf8_lossy(&all).into_owned();
        }
        let mut text = lossy_trimmed(&self.head, false);
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("[… {} bytes of output omitted …]\n", self.omitted));
        text.push_str(&lossy_trimmed(&tail, true));
        text
    }
}

/// Lossy UTF-8 of a piece of output cut at the end (or, with `cut_start`,
/// at the start), without the partial character the cut leaves.
fn lossy_trimmed(bytes: &[u8], cut_start: bool) -> String {
    let mut bytes = bytes;
    if cut_start {
        let skip = bytes
            .iter()
            .take(3)
            .take_while(|&&b| b & 0xC0 == 0x80)
            .count();
        bytes = &bytes[skip..];
    }
    if !cut_start
        && let Err(e) = std::str::from_utf8(bytes)
        && e.error_len().is_none()
    {
        bytes = &bytes[..e.valid_up_to()];
    }
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{ToolLimits, Workspace};
    use serde_json::json;
    use std::path::Path;
    use tokio_util::sync::CancellationToken;

    fn ctx(dir: &Path) -> ToolContext {
        ToolContext {
            workspace: Workspace::new(dir).unwrap(),
            limits: ToolLimits::default(),
            cancel: CancellationToken::new(),
            reads: Default::default(),
        }
    }

    async fn sh(dir: &Path, args: serde_json::Value) -> ToolOutput {
        Shell.call(args, &ctx(dir)).await.unwrap()
    }

    /// Whether `pid` runs (a zombie, left unreaped when PID 1 does not
    /// reap, counts as dead).
    fn alive(pid: i32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => !stat
                .rsplit(')')
                .next()
                .unwrap()
                .trim_start()
                .starts_with('Z'),
            Err(_) => false,
        }
    }

    #[tokio::test]
    async fn runs_in_workspace_with_exit_code_and_ordered_output() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("marker.txt"), "").unwrap();
        let out = sh(
            dir.path(),
            json!({"command": "ls; echo out; echo err >&2; echo out2; exit 3"}),
        )
        .await;
        assert_eq!(out.for_model, "exit code: 3\nmarker.txt\nout\nerr\nout2\n");
        assert_eq!(out.details.exit_code, Some(3));
        assert!(!out.details.timed_out);
    }

    #[tokio::test]
    async fn stdin_is_null_and_empty_output_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let out = sh(dir.path(), json!({"command": "cat"})).await;
        assert_eq!(out.for_model, "exit code: 0\n(no output)");
    }

    #[tokio::test]
    async fn huge_output_is_truncated_with_marker() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(dir.path());
        let out = Shell
            .call(json!({"command": "seq 1 100000"}), &c)
            .await
            .unwrap();
        assert!(
            out.for_model.starts_with("exit code: 0\n1\n2\n3\n"),
            "{}",
            &out.for_model[..50]
        );
        assert!(out.for_model.ends_with("99999\n100000\n"));
        assert!(out.for_model.contains("lines ("), "no marker");
        assert!(out.for_model.contains("omitted …]"), "no marker");
        assert!(out.for_model.len() <= c.limits.max_output_bytes + 100);
        // `full` keeps everything that fits its cap.
        assert!(out.full.contains("\n50000\n"));
        assert_eq!(out.full.lines().count(), 100_001);
    }

    #[tokio::test]
    async fn capture_keeps_head_and_tail_of_endless_output() {
        let dir = tempfile::tempdir().unwrap();
        // ~8 MB: more than the capture keeps.
        let out = sh(dir.path(), json!({"command": "seq 1 1000000; echo END"})).await;
        assert!(
            out.full.len() <= truncate::FULL_CAP_BYTES + 200,
            "{}",
            out.full.len()
        );
        assert!(out.full.contains("bytes of output omitted"));
        assert!(out.full.ends_with("END\n"));
        assert!(out.full.starts_with("exit code: 0\n1\n2\n"));
    }

    #[tokio::test]
    async fn hung_command_is_killed_by_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let start = std::time::Instant::now();
        let out = sh(
            dir.path(),
            json!({"command": "echo started; sleep 100", "timeout_secs": 1}),
        )
        .await;
        let took = start.elapsed();
        assert!(took < Duration::from_secs(3), "{took:?}");
        assert!(out.details.timed_out);
        assert_eq!(out.details.exit_code, None);
        assert!(
            out.for_model
                .starts_with("timed out after 1s; process group killed\nstarted\n"),
            "{}",
            out.for_model
        );
    }

    #[tokio::test]
    async fn background_child_does_not_hang_and_is_killed() {
        let dir = tempfile::tempdir().unwrap();
        let start = std::time::Instant::now();
        let out = sh(dir.path(), json!({"command": "sleep 100 & echo $!"})).await;
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert!(
            out.for_model.starts_with("exit code: 0"),
            "{}",
            out.for_model
        );
        assert!(
            out.for_model.contains("background processes"),
            "{}",
            out.for_model
        );
        assert!(!out.details.timed_out);
        let pid: i32 = out
            .for_model
            .lines()
            .last()
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!alive(pid), "background sleep {pid} survived");
    }

    #[tokio::test]
    async fn dropping_the_future_kills_the_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let c = ctx(dir.path());
        let call = Shell.call(json!({"command": "sleep 100 & echo $! > pid; wait"}), &c);
        let timed = tokio::time::timeout(Duration::from_millis(500), call).await;
        assert!(timed.is_err(), "the command should still be running");
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!alive(pid), "sleep {pid} survived the dropped call");
    }

    #[tokio::test]
    async fn signal_death_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let out = sh(dir.path(), json!({"command": "kill -SEGV $$"})).await;
        assert!(
            out.for_model.starts_with("killed by signal SIGSEGV (11)"),
            "{}",
            out.for_model
        );
        assert_eq!(out.details.exit_code, None);
    }

    #[tokio::test]
    async fn bad_arguments() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(dir.path());
        for args in [
            json!({"command": ""}),
            json!({"command": "true", "timeout_secs": 0}),
            json!({"command": "true", "timeout": 5}),
            json!({}),
        ] {
            let r = Shell.call(args.clone(), &c).await;
            assert!(
                matches!(r, Err(ToolError::InvalidArguments(_))),
                "{args}: {r:?}"
            );
        }
    }

    #[test]
    fn capture_counts_what_it_drops() {
        let mut c = Capture::default();
        let chunk = vec![b'a'; 1024 * 1024];
        for _ in 0..6 {
            c.push(&chunk);
        }
        assert_eq!(c.head.len(), HEAD_CAP);
        assert_eq!(c.tail.len(), TAIL_CAP);
        assert_eq!(c.omitted as usize, 6 * 1024 * 1024 - HEAD_CAP - TAIL_CAP);
        assert!(c.into_string().contains("bytes of output omitted"));
    }
}
