//! The real `kiln` TUI driven inside tmux (send-keys, capture-pane)
//! against the mock OpenAI server: type a task, see the streamed answer
//! and the edit's diff, then interrupt a second answer mid-stream with Esc.
//! With `CI=true` a missing tmux fails the test instead of skipping it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/mock_openai.rs"]
mod mock_openai;

use std::process::Command;
use std::time::{Duration, Instant};

use mock_openai::{Chunk, MockServer, Reply, chunk};

/// A tmux session killed when dropped.
struct Tmux {
    name: String,
}

impl Tmux {
    fn start(command: &str) -> Self {
        let name = format!("kiln-test-{}", std::process::id());
        let ok = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                "100",
                "-y",
                "32",
                command,
            ])
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux new-session failed");
        Self { name }
    }

    fn keys(&self, keys: &[&str]) {
        let ok = Command::new("tmux")
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux send-keys failed");
    }

    fn pane(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the pane shows `text`; panics with the pane otherwise.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let pane = self.pane();
            if pane.contains(text) {
                return pane;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the pane never showed {text:?}:\n{pane}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

fn have_tmux() -> bool {
    let found = Command::new("tmux").arg("-V").output().is_ok();
    if !found && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("tmux is missing (CI=true): .ci/run installs it");
    }
    found
}

/// A long answer streamed slowly, one word every 150 ms.
fn slow_answer() -> Reply {
    let mut chunks = vec![Chunk::from(chunk::role())];
    for i in 0..200 {
        chunks
            .push(Chunk::from(chunk::text(&format!("word{i} "))).after(Duration::from_millis(150)));
    }
    chunks.push(Chunk::from(chunk::text("THE-END")));
    chunks.push(Chunk::from(chunk::finish("stop")));
    Reply::stream(chunks)
}

#[test]
fn type_a_task_see_the_diff_and_interrupt_a_stream() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let edit =
        serde_json::json!({ "path": "calc.py", "old_string": "a - b", "new_string": "a + b" });
    let server = MockServer::start_blocking([
        Reply::tool_call("call_1", "edit_file", &edit.to_string()),
        Reply::text("Fixed `add`: it **adds** now."),
        slow_answer(),
        Reply::text("Understood."),
    ]);
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("calc.py"),
        "def add(a, b):\n    return a - b\n",
    )
    .unwrap();
    std::fs::create_dir(repo.path().join(".kiln")).unwrap();
    std::fs::write(
        repo.path().join(".kiln/config.toml"),
        format!(
            "[providers.mock]\nbase_url = \"{}\"\nmodel = \"mock-model\"\n",
            server.base_url()
        ),
    )
    .unwrap();
    let h = home.path().display();
    let command = format!(
        "env -u KILN_APPROVAL -u KILN_PROVIDER -u KILN_MODEL HOME={h} XDG_CONFIG_HOME={h}/.config \
         XDG_STATE_HOME={h}/state TERM=xterm-256color {} --provider mock --cwd {}; sleep 5",
        env!("CARGO_BIN_EXE_kiln"),
        repo.path().display()
    );
    let tmux = Tmux::start(&command);
    tmux.wait_for("mock mock-model");

    tmux.keys(&["fix the add function", "Enter"]);
    let pane = tmux.wait_for("adds now");
    assert!(pane.contains("› fix the add function"), "{pane}");
    assert!(pane.contains("✓ edit_file calc.py"), "{pane}");
    assert!(pane.contains("-    return a - b"), "{pane}");
    assert!(pane.contains("+    return a + b"), "{pane}");
    assert_eq!(
        std::fs::read_to_string(repo.path().join("calc.py")).unwrap(),
        "def add(a, b):\n    return a + b\n"
    );

    tmux.keys(&["count slowly", "Enter"]);
    tmux.wait_for("word3 ");
    tmux.keys(&["Escape"]);
    let pane = tmux.wait_for("! interrupted");
    assert!(!pane.contains("THE-END"), "the stream was stopped:\n{pane}");
    // The partial answer stays on screen.
    assert!(pane.contains("word0 word1"), "{pane}");
    assert_eq!(server.requests().len(), 3);

    // The next request keeps the partial answer and tells the model.
    tmux.keys(&["go on", "Enter"]);
    tmux.wait_for("Understood.");
    let body = &server.requests()[3].body;
    let messages = body["messages"].as_array().unwrap();
    let n = messages.len();
    assert_eq!(messages[n - 2]["role"], "assistant");
    assert!(
        messages[n - 2]["content"]
            .as_str()
            .unwrap()
            .starts_with("word0 word1")
    );
    let last = messages[n - 1]["content"].as_str().unwrap();
    assert!(
        last.contains("interrupted") && last.ends_with("go on"),
        "{last}"
    );

    // A resize re-wraps everything to the new width.
    let ok = Command::new("tmux")
        .args(["resize-window", "-t", &tmux.name, "-x", "60", "-y", "20"])
        .status()
        .unwrap()
        .success();
    assert!(ok, "tmux resize-window failed");
    let start = Instant::now();
    let narrow = loop {
        let pane = tmux.pane();
        let widest = pane.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        if widest <= 60 && pane.contains("Understood.") && pane.contains("─".repeat(60).as_str())
        {
            break pane;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no redraw at 60 columns:\n{pane}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(narrow.contains("› go on"), "{narrow}");

    // Ctrl+C twice quits and gives the terminal back.
    tmux.keys(&["C-c"]);
    tmux.keys(&["C-c"]);
    let start = Instant::now();
    while tmux.pane().contains("mock mock-model") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "kiln did not quit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("{pane}");
}
