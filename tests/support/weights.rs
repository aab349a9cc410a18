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
