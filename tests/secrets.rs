//! API keys and `Authorization` headers never reach logs, events, progress
//! output or any file kiln writes (session files included), whether the
//! endpoint answers or fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/kiln_cmd.rs"]
mod kiln_cmd;
#[path = "support/mock_openai.rs"]
mod mock_openai;

use std::path::Path;
use std::time::Duration;

use kiln_cmd::kiln;
use mock_openai::{MockServer, Reply};

const KEY: &str = "sk-kiln-test-7f3a9c1e5b2d4a6f8e0c";
const HEADER_SECRET: &str = "hdr-secret-0b1c2d3e4f5a6b7c";

/// Every file under `dir`, read as lossy text.
fn all_files(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all_files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
}

fn run(replies: Vec<Reply>, json: bool) -> (MockServer, Vec<(String, String)>) {
    let server = MockServer::start_blocking(replies);
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".kiln")).unwrap();
    std::fs::write(
        repo.path().join(".kiln/config.toml"),
        format!(
            "[providers.mock]\nbase_url = \"{}\"\nmodel = \"m\"\napi_key_env = \"KILN_TEST_SECRET\"\n\
             headers = {{ X-Api-Key = \"{HEADER_SECRET}\" }}\n\
             first_token_timeout_secs = 2\nidle_timeout_secs = 2\nmax_retries = 1\n",
            server.base_url()
        ),
    )
    .unwrap();
    let log = home.path().join("kiln.log");
    let mut cmd = kiln(home.path());
    cmd.env("KILN_TEST_SECRET", KEY)
        .env("KILN_LOG", "trace")
        .arg("--log-file")
        .arg(&log)
        .args(["exec", "--provider", "mock", "--cwd"])
        .arg(repo.path());
    if json {
        cmd.arg("--json");
    }
    let out = cmd
        .arg("say hi")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let mut texts = vec![
        (
            "stdout".to_string(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ),
        (
            "stderr".to_string(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
    ];
    all_files(home.path(), &mut texts);
    all_files(repo.path(), &mut texts);
    assert!(
        texts
            .iter()
            .any(|(name, text)| name.ends_with("kiln.log") && !text.is_empty()),
        "the trace log was written"
    );
    (server, texts)
}

fn assert_no_secret(texts: &[(String, String)]) {
    // The config file is the user's own input, where the header lives.
    for (name, text) in texts
        .iter()
        .filter(|(n, _)| !n.ends_with(".kiln/config.toml"))
    {
        assert!(!text.contains(KEY), "the API key leaked into {name}");
        assert!(
            !text.contains(HEADER_SECRET),
            "a header secret leaked into {name}"
        );
        assert!(
            !text.contains("Bearer sk-"),
            "an Authorization header leaked into {name}"
        );
    }
}

#[test]
fn secrets_stay_out_of_events_logs_and_files() {
    for json in [true, false] {
        let (server, texts) = run(vec![Reply::text("hi")], json);
        // The key was really sent, so the test can fail.
        let req = &server.requests()[0];
        assert_eq!(
            req.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        assert_eq!(req.header("x-api-key"), Some(HEADER_SECRET));
        assert_no_secret(&texts);
    }
}

#[test]
fn secrets_stay_out_of_errors_and_retries() {
    let (server, texts) = run(
        vec![
            Reply::error(500, "upstream broke"),
            Reply::error(401, "invalid api key"),
        ],
        true,
    );
    assert_eq!(server.requests().len(), 2);
    let stdout = &texts[0].1;
    assert!(stdout.contains("backend_retry"), "{stdout}");
    assert_no_secret(&texts);
}
