//! A profile made concrete for one workspace: the exact system prompt and
//! tool specs a session sends.

use std::path::Path;

use super::{Profile, text_mode_tools};
use crate::chat::{ToolCallMode, ToolSpec};
use crate::config::Config;
use crate::tools::spec;

/// The fixed prefix of every request: system prompt and tools.
#[derive(Clone, Debug)]
pub struct Assembled {
    pub system_prompt: String,
    pub specs: Vec<ToolSpec>,
}

#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    #[error(transparent)]
    Spec(#[from] spec::SpecError),
    #[error(transparent)]
    Prompt(#[from] crate::prompt::PromptError),
    #[error(transparent)]
    Profile(#[from] super::ProfileError),
}

/// A built-in profile assembled for `workspace` with the default config
/// (tests and benchmarks).
pub fn builtin(name: &str, workspace: &Path) -> Result<Assembled, AssembleError> {
    let profile = super::Catalog::builtin()?.get(name)?;
    assemble(&profile, &Config::default(), workspace, workspace)
}

/// Tool specs: built-in < the profile's `tools/` < config's
/// `tool_specs_dir`; system prompt: the profile's `system.md` unless config
/// names a `system_prompt_file`. In text mode the tools are described at
/// the end of the system prompt.
pub fn assemble(
    profile: &Profile,
    cfg: &Config,
    workspace: &Path,
    repo_root: &Path,
) -> Result<Assembled, AssembleError> {
    let mut specs = profile.specs(&spec::load_specs(None)?)?;
    if let Some(dir) = &cfg.tool_specs_dir {
        specs = spec::override_from_dir(specs, dir)?;
    }
    let template = match &cfg.system_prompt_file {
        Some(file) => crate::prompt::template_file(file)?,
        None => profile.system.clone(),
    };
    let mut system_prompt =
        crate::prompt::system_prompt(&template, workspace, repo_root, profile.template_vars())?;
    if profile.tool_calls == ToolCallMode::Text && !specs.is_empty() {
        system_prompt.push_str("\n\n");
        system_prompt.push_str(&text_mode_tools(&specs));
    }
    Ok(Assembled {
        system_prompt,
        specs,
    })
}
