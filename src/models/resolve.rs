//! Turning a `--model` value for the local engine into something loadable.

use std::path::{Path, PathBuf};

use super::error::FetchError;
use super::registry::{self, KnownModel};

/// What a `--model` value for the local provider names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// An existing GGUF file, used as is.
    Path(PathBuf),
    /// A known model: [`super::ensure`] gives its path, fetching it first
    /// unless it is cached.
    Known(&'static KnownModel),
}

/// An existing `.gguf` file (or any file starting with the GGUF magic) wins
/// over a known name; anything else must be a known name.
pub fn resolve(spec: &str) -> Result<Resolved, FetchError> {
    let path = Path::new(spec);
    if path.is_file() && is_gguf(path) {
        return Ok(Resolved::Path(path.to_path_buf()));
    }
    if let Some(model) = registry::find(spec) {
        return Ok(Resolved::Known(model));
    }
    let looks_like_path =
        spec.contains(std::path::MAIN_SEPARATOR) || spec.contains('/') || has_gguf_ext(path);
    if looks_like_path || path.exists() {
        return Err(FetchError::NoSuchFile {
            path: path.to_path_buf(),
            known: registry::known_names(),
        });
    }
    Err(FetchError::UnknownModel {
        name: spec.to_string(),
        known: registry::known_names(),
    })
}

/// [`resolve`], then [`super::ensure`] for a known name: the GGUF path to
/// load for `--model spec`, fetched on first use.
pub async fn model_path(spec: &str, progress: super::Progress) -> Result<PathBuf, FetchError> {
    match resolve(spec)? {
        Resolved::Path(path) => Ok(path),
        Resolved::Known(model) => super::ensure(model, progress).await,
    }
}

fn has_gguf_ext(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
}

fn is_gguf(path: &Path) -> bool {
    if has_gguf_ext(path) {
        return true;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok_and(|()| &magic == b"GGUF")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_names_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let gguf = dir.path().join("m.gguf");
        std::fs::write(&gguf, b"GGUF....").unwrap();
        assert_eq!(
            resolve(gguf.to_str().unwrap()).unwrap(),
            Resolved::Path(gguf.clone())
        );

        let magic = dir.path().join("model.bin");
        std::fs::write(&magic, b"GGUF....").unwrap();
        assert_eq!(
            resolve(magic.to_str().unwrap()).unwrap(),
            Resolved::Path(magic)
        );

        let other = dir.path().join("notes.txt");
        std::fs::write(&other, b"hello").unwrap();
        assert!(matches!(
            resolve(other.to_str().unwrap()),
            Err(FetchError::NoSuchFile { .. })
        ));

        let Resolved::Known(m) = resolve("smollm2-135m").unwrap() else {
            panic!("not known")
        };
        assert_eq!(m.name, "smollm2-135m");

        let missing = resolve("/no/such/model.gguf").unwrap_err();
        assert!(matches!(missing, FetchError::NoSuchFile { .. }));
        assert_eq!(missing.exit_code(), 2);

        let unknown = resolve("gpt-17").unwrap_err().to_string();
        assert!(unknown.contains("unknown model `gpt-17`"), "{unknown}");
        assert!(
            unknown.contains("qwen2.5-coder-1.5b") && unknown.contains("existing .gguf"),
            "{unknown}"
        );
    }
}
