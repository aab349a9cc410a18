//! Real model weights for tests, from kiln's model cache.
//!
//! Tests that load weights run one at a time (a process-wide lock: two
//! models decoding at once on 2 cores only slow each other down). With
//! `CI=true` a missing model fails the test; elsewhere the test is skipped
//! with a note saying how to fetch it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

static WEIGHTS: Mutex<()> = Mutex::new(());

/// Serialises tests that load weights.
pub fn lock() -> MutexGuard<'static, ()> {
    WEIGHTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The cached GGUF of a known model, or `None` (test skipped) outside CI.
pub fn model(name: &str) -> Option<PathBuf> {
    let known = kiln::models::find(name).unwrap_or_else(|| panic!("unknown model {name}"));
    match kiln::models::cached_path(known) {
        Some(p) => Some(p),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("model {name} is not cached; run `kiln models pull {name}` (CI must fetch it)")
        }
        None => {
            eprintln!("skipping: model {name} is not cached (run `kiln models pull {name}`)");
            None
        }
    }
}

/// The local backend on a cached model (4k context, no warm cache), or
/// `None` as [`model`] says.
#[cfg(feature = "llama")]
pub fn local_backend(name: &str, max_tokens: u32) -> Option<kiln::backend::local::LocalBackend> {
    let mut cfg = kiln::engine::EngineConfig::new(model(name)?);
    cfg.n_ctx = Some(4096);
    cfg.warm_cache = None;
    let engine = kiln::engine::Engine::load(cfg).unwrap();
    let settings = kiln::backend::local::LocalSettings {
        max_tokens,
        ..Default::default()
    };
    Some(kiln::backend::local::LocalBackend::new(std::sync::Arc::new(engine), settings).unwrap())
}

/// Runs a future to its end on a fresh runtime (weights tests hold the
/// lock, a std mutex, across their awaits, so they are not async tests).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}
