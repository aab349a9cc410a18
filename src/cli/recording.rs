//! Attaching the session file to a run, and saying where it is.

use std::path::{Path, PathBuf};

use crate::agent::{Emitter, EventKind};
use crate::config::Config;
use crate::sessions::{FileSink, ResumeChoice, store};

/// Creates the file of the emitter's session and adds it as a sink; the
/// error says why the session is not recorded.
pub fn attach_new(emitter: &mut Emitter) -> Result<PathBuf, String> {
    let dir = store::sessions_dir().map_err(|e| e.to_string())?;
    let path = store::path_for(&dir, emitter.session_id());
    let sink = FileSink::create(&path).map_err(|e| e.to_string())?;
    emitter.add_sink(Box::new(sink));
    Ok(path)
}

/// Emits `session_recorded` (where the file is, how to resume), or a
/// warning when the session could not be recorded: the run goes on.
pub fn announce(emitter: &mut Emitter, recorded: Result<PathBuf, String>, resume: ResumeChoice) {
    let kind = match recorded {
        Ok(path) => EventKind::SessionRecorded { path, resume },
        Err(e) => EventKind::Warning {
            message: format!("the session is not recorded (no `kiln resume`): {e}"),
        },
    };
    emitter.emit(kind);
}

/// The configured backend and the chosen profile, with a model or script
/// given as a relative path made absolute, so a resume from another
/// directory finds the same file.
pub fn resume_choice(cfg: &Config, profile: &str) -> ResumeChoice {
    ResumeChoice {
        provider: cfg.provider.clone(),
        model: cfg.model.as_deref().map(absolute_if_file),
        base_url: cfg.base_url.clone(),
        profile: Some(profile.to_string()),
    }
}

fn absolute_if_file(model: &str) -> String {
    let path = Path::new(model);
    match path.is_file().then(|| path.canonicalize()) {
        Some(Ok(abs)) => abs.display().to_string(),
        _ => model.to_string(),
    }
}
