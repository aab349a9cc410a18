//! Running the real `kiln` binary in an isolated environment.
#![allow(dead_code)]

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

/// A `kiln` command whose config layers are isolated from the developer's
/// own (`HOME`/`XDG_CONFIG_HOME` point into `home`) and which reads no stdin.
pub fn kiln(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kiln").unwrap();
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env_remove("XDG_STATE_HOME")
        .env_remove("KILN_PROVIDER")
        .env_remove("KILN_MODEL")
        .env_remove("KILN_BASE_URL")
        .env_remove("KILN_MAX_TURNS")
        .env_remove("KILN_LOG")
        .env_remove("KILN_PROFILE")
        .write_stdin("");
    cmd
}

/// The JSONL events on stdout.
pub fn events(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSONL line {l:?}: {e}")))
        .collect()
}

pub fn of_type<'a>(events: &'a [serde_json::Value], ty: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["type"] == ty).collect()
}

pub fn last_of<'a>(events: &'a [serde_json::Value], ty: &str) -> &'a serde_json::Value {
    of_type(events, ty)
        .pop()
        .unwrap_or_else(|| panic!("no {ty} event"))
}
