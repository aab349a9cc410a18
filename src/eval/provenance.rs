//! Where a run happened: the kiln build and the machine, for `run.json`.

use super::record::{KilnBuild, Machine};

/// kiln's version, and the commit and dirty state of the checkout it was
/// built from when that checkout is still there (read with git2 at run
/// time, so a binary used after the checkout moved on reports the
/// checkout's current state).
pub fn kiln_build() -> KilnBuild {
    let (commit, dirty) =
        checkout_state(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap_or((None, false));
    KilnBuild {
        version: env!("CARGO_PKG_VERSION").to_string(),
        commit,
        dirty,
    }
}

fn checkout_state(dir: &std::path::Path) -> Option<(Option<String>, bool)> {
    let repo = git2::Repository::open(dir).ok()?;
    let commit = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| c.id().to_string());
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true).include_ignored(false);
    let dirty = repo
        .statuses(Some(&mut opts))
        .map(|s| !s.is_empty())
        .unwrap_or(false);
    Some((commit, dirty))
}

pub fn machine() -> Machine {
    Machine {
        os: std::env::consts::OS.to_string(),
        arch: std::env::consts::ARCH.to_string(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_mb: memory_mb().unwrap_or(0),
        hostname: hostname(),
    }
}

/// `MemTotal` of `/proc/meminfo` (Linux); unknown elsewhere.
fn memory_mb() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn describes_this_machine_and_build() {
        let m = super::machine();
        assert!(m.cpus >= 1 && !m.os.is_empty() && !m.hostname.is_empty());
        let b = super::kiln_build();
        assert_eq!(b.version, env!("CARGO_PKG_VERSION"));
        // This test runs from the checkout, which is a git repository.
        assert!(b.commit.as_deref().is_some_and(|c| c.len() == 40), "{b:?}");
    }
}
