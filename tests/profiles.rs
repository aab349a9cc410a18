//! Prompt profiles through the real binary: every built-in runs a scripted
//! session, `kiln profiles` lists and shows them, the prompt budgets hold,
//! and broken or unknown profiles are usage errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/kiln_cmd.rs"]
mod kiln_cmd;
#[path = "support/weights.rs"]
mod weights;

use std::path::Path;

use kiln_cmd::{events, kiln, last_of, of_type};
use serde_json::json;

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lib.py"),
        "def add(a, b):\n    return a + b\n",
    )
    .unwrap();
    dir
}

fn script(home: &Path, turns: serde_json::Value) -> String {
    let path = home.join("script.json");
    std::fs::write(&path, json!({ "turns": turns }).to_string()).unwrap();
    path.display().to_string()
}

fn exec(home: &Path, repo: &Path, script: &str, extra: &[&str]) -> std::process::Output {
    let mut cmd = kiln(home);
    cmd.args([
        "exec",
        "--json",
        "--provider",
        "scripted",
        "--model",
        script,
        "--cwd",
    ])
    .arg(repo)
    .args(extra)
    .arg("look at add");
    cmd.output().unwrap()
}

#[test]
fn every_builtin_profile_runs_a_scripted_session() {
    let all = [
        "read_file",
        "list_files",
        "grep",
        "edit_file",
        "write_file",
        "shell",
    ];
    // The large-model profiles also get the repo-map tools.
    let large = [
        "read_file",
        "list_files",
        "grep",
        "repo_map",
        "symbols",
        "edit_file",
        "write_file",
        "shell",
    ];
    let cases: [(&str, &[&str]); 4] = [
        ("default", &large),
        ("local-small", &all),
        ("local-large", &large),
        ("minimal", &["shell"]),
    ];
    for (name, tools) in cases {
        let home = tempfile::tempdir().unwrap();
        let repo = repo();
        let call = match name {
            "minimal" => json!({ "name": "shell", "arguments": { "command": "cat lib.py" } }),
            _ => json!({ "name": "read_file", "arguments": { "path": "lib.py" } }),
        };
        let script = script(
            home.path(),
            json!([{ "tool_calls": [call] }, { "text": "add is correct." }]),
        );
        let out = exec(home.path(), repo.path(), &script, &["--profile", name]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ev = events(&out);
        let started = &ev[0];
        assert_eq!(started["profile"]["name"], name);
        assert_eq!(started["profile"]["reason"], "--profile");
        assert_eq!(started["tools"], json!(tools), "{name}");
        let done = last_of(&ev, "tool_call_completed");
        assert_eq!(done["ok"], true, "{name}: {done}");
        assert!(
            done["output"].as_str().unwrap().contains("return a + b"),
            "{name}"
        );
        assert_eq!(
            last_of(&ev, "session_completed")["final_answer"],
            "add is correct."
        );
    }
}

#[test]
fn config_and_rules_choose_the_profile() {
    let home = tempfile::tempdir().unwrap();
    let repo = repo();
    let s = script(home.path(), json!([{ "text": "ok" }]));
    // A script path has no size in its name: no rule matches.
    let ev = events(&exec(home.path(), repo.path(), &s, &[]));
    assert_eq!(ev[0]["profile"]["name"], "default");
    std::fs::create_dir_all(repo.path().join(".kiln")).unwrap();
    std::fs::write(
        repo.path().join(".kiln/config.toml"),
        "[model_profiles]\n\"*script*\" = \"minimal\"\n",
    )
    .unwrap();
    let ev = events(&exec(home.path(), repo.path(), &s, &[]));
    assert_eq!(ev[0]["profile"]["name"], "minimal");
    assert!(
        ev[0]["profile"]["reason"]
            .as_str()
            .unwrap()
            .contains("model_profiles"),
        "{}",
        ev[0]
    );
}

#[test]
fn broken_and_unknown_profiles_are_usage_errors() {
    let home = tempfile::tempdir().unwrap();
    let repo = repo();
    let s = script(home.path(), json!([{ "text": "ok" }]));
    let out = exec(home.path(), repo.path(), &s, &["--profile", "tiny"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown profile `tiny`"), "{err}");
    assert!(
        err.contains("default, local-large, local-small, minimal"),
        "{err}"
    );

    let dir = repo.path().join(".kiln/prompts/mine");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("profile.toml"),
        "inherit = \"default\"\n[sampling]\ntemperature = \"hot\"\n",
    )
    .unwrap();
    let out = exec(home.path(), repo.path(), &s, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mine/profile.toml:3:"), "{err}");
    assert!(of_type(&events(&out), "session_started").is_empty());
}

/// `kiln profiles show` for one profile: its stdout and the base-prompt
/// token count it reports.
fn show(home: &Path, name: &str, model: &[&str]) -> (String, usize, Option<usize>) {
    let repo = repo();
    let out = kiln(home)
        .args(["profiles", "show", name, "--cwd"])
        .arg(repo.path())
        .args(model)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let number_after = |marker: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(marker))
            .map(|rest| {
                rest.split_whitespace()
                    .next()
                    .unwrap()
                    .parse::<usize>()
                    .unwrap()
            })
    };
    let base = number_after("## Base prompt: ").expect("a base prompt count");
    let rendered =
        number_after("As the model's chat template renders it (system turn with tools): ");
    (text, base, rendered)
}

#[test]
fn list_and_show_with_the_estimate_and_budgets() {
    let home = tempfile::tempdir().unwrap();
    let out = kiln(home.path())
        .args(["profiles", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let list = String::from_utf8_lossy(&out.stdout);
    for name in ["default", "local-small", "local-large", "minimal"] {
        assert!(list.contains(name), "{list}");
    }
    let no_model = ["--provider", "scripted", "--model", "none.json"];
    let (text, small, rendered) = show(home.path(), "local-small", &no_model);
    assert!(
        text.contains("estimated at one token per 3 bytes"),
        "{text}"
    );
    assert!(text.contains("### edit_file ("), "{text}");
    assert!(text.contains("Fix the code, not the tests"), "{text}");
    assert_eq!(rendered, None);
    // The budgets of the profiles issue, on the conservative estimate.
    assert!(small <= 1_500, "local-small base prompt: {small} tokens");
    let (_, default, _) = show(home.path(), "default", &no_model);
    assert!(default <= 4_000, "default base prompt: {default} tokens");
    assert!(small < default);
    let (text, minimal, _) = show(home.path(), "minimal", &no_model);
    assert!(minimal < small, "{text}");
}

#[test]
fn budgets_hold_with_the_model_tokenizer() {
    let _g = weights::lock();
    let Some(path) = weights::model("qwen2.5-coder-0.5b") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let model = ["--model", path.to_str().unwrap()];
    let (text, base, rendered) = show(home.path(), "local-small", &model);
    assert!(text.contains("exact, with the tokenizer of"), "{text}");
    let rendered = rendered.expect("the chat template's count");
    eprintln!("local-small: {base} tokens, {rendered} as rendered by the Qwen2.5 template");
    assert!(
        rendered <= 1_500,
        "local-small renders to {rendered} tokens"
    );
    let (_, base, rendered) = show(home.path(), "default", &model);
    let rendered = rendered.unwrap();
    eprintln!("default: {base} tokens, {rendered} as rendered by the Qwen2.5 template");
    assert!(rendered <= 4_000, "default renders to {rendered} tokens");
}

#[test]
fn apply_patch_and_whole_file_styles_offer_their_edit_tools() {
    let home = tempfile::tempdir().unwrap();
    let repo = repo();
    for (name, style) in [("patcher", "apply_patch"), ("whole", "whole_file")] {
        let dir = repo.path().join(".kiln/prompts").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("profile.toml"),
            format!("inherit = \"default\"\nedit_style = \"{style}\"\n"),
        )
        .unwrap();
    }
    let patch = "*** Begin Patch\n*** Update File: lib.py\n@@ def add(a, b):\n-    return a + b\n+    return b + a\n*** Add File: NOTES.md\n+patched\n*** End Patch";
    let s = script(
        home.path(),
        json!([
            { "tool_calls": [{ "name": "apply_patch", "arguments": { "patch": patch } }] },
            { "text": "Patched." }
        ]),
    );
    let out = exec(home.path(), repo.path(), &s, &["--profile", "patcher"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev = events(&out);
    assert_eq!(
        ev[0]["tools"],
        json!([
            "read_file",
            "list_files",
            "grep",
            "repo_map",
            "symbols",
            "apply_patch",
            "shell"
        ])
    );
    assert_eq!(last_of(&ev, "tool_call_completed")["ok"], true);
    assert_eq!(
        std::fs::read_to_string(repo.path().join("lib.py")).unwrap(),
        "def add(a, b):\n    return b + a\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("NOTES.md")).unwrap(),
        "patched\n"
    );
    // A tool the profile does not offer is refused as unknown.
    let s = script(
        home.path(),
        json!([
            { "tool_calls": [{ "name": "edit_file", "arguments": { "path": "lib.py", "old_string": "b + a", "new_string": "a + b" } }] },
            { "text": "Tried." }
        ]),
    );
    let out = exec(home.path(), repo.path(), &s, &["--profile", "whole"]);
    let ev = events(&out);
    assert_eq!(
        ev[0]["tools"],
        json!([
            "read_file",
            "list_files",
            "grep",
            "repo_map",
            "symbols",
            "write_file",
            "shell"
        ])
    );
    let done = last_of(&ev, "tool_call_completed");
    assert_eq!(done["error_kind"], "unknown_tool", "{done}");
    assert!(
        std::fs::read_to_string(repo.path().join("lib.py"))
            .unwrap()
            .contains("b + a")
    );
}
