//! Layered TOML configuration.
//!
//! Layers, later wins: built-in defaults < `~/.config/kiln/config.toml` <
//! `<repo>/.kiln/config.toml` < `KILN_*` environment variables < flags.
//! Unknown keys are errors, and every error names the file (or variable),
//! the key and what was expected.

pub mod providers;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The whole configuration after layering.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Backend to use: `local`, `scripted`, a preset or a `[providers.NAME]`.
    pub provider: Option<String>,
    /// Model: a GGUF path or cached name for `local`, the server's model id
    /// for an endpoint, the script path for `scripted`.
    pub model: Option<String>,
    /// An OpenAI-compatible base URL; implies an endpoint provider.
    pub base_url: Option<String>,
    /// Most model requests per task.
    pub max_turns: u32,
    /// Wall-clock limit per task, in seconds.
    pub timeout_secs: Option<u64>,
    /// Most prompt + completion tokens per task.
    pub max_tokens: Option<u64>,
    /// Default limit of one `shell` call, in seconds.
    pub shell_timeout_secs: u64,
    /// Most lines of one tool result the model sees (default: the profile's).
    pub max_output_lines: Option<usize>,
    /// Most bytes of one tool result the model sees (default: the
    /// profile's token budget × 3).
    pub max_output_bytes: Option<usize>,
    /// The prompt profile (see `kiln profiles list`); default: chosen by
    /// the profiles' match rules.
    pub profile: Option<String>,
    /// Profiles by model-name glob, e.g. `"*qwen3-coder*" = "local-large"`;
    /// where several match, the longest glob wins.
    pub model_profiles: BTreeMap<String, String>,
    /// A Markdown/Jinja file replacing the built-in system prompt.
    pub system_prompt_file: Option<PathBuf>,
    /// A directory of `<tool>.toml` files replacing built-in tool specs.
    pub tool_specs_dir: Option<PathBuf>,
    /// Named endpoint providers; a name equal to a preset extends the preset.
    pub providers: BTreeMap<String, ProviderConfig>,
    /// The in-process llama.cpp engine.
    pub local: LocalConfig,
    /// The approval policy (`read-only`, `ask`, `auto`, `full`); default:
    /// the entry point's (`../shared/CONTRACT.md`).
    pub approval: Option<crate::approval::Policy>,
    /// Commands that run without asking under `auto` (and `read-only`),
    /// as globs over each part of a command chain, e.g. `"cargo test*"`.
    pub allow_commands: Vec<String>,
    /// The shell sandbox.
    pub sandbox: crate::sandbox::SandboxConfig,
    /// Checkpoint the workspace before each turn's first change, for
    /// `kiln undo`.
    pub checkpoints: bool,
    /// Record each session in `~/.local/state/kiln/sessions/` (for
    /// `kiln sessions` and `kiln resume`).
    pub sessions: bool,
}

/// Settings of the `local` provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalConfig {
    /// Context size in tokens; default: the model's trained context capped at 32k.
    pub context_size: Option<u32>,
    /// CPU threads; default: all cores.
    pub threads: Option<i32>,
    /// Layers offloaded to the GPU when built with metal/cuda/vulkan.
    pub gpu_layers: u32,
    /// Sampling temperature; 0 is greedy (reproducible). Default: the
    /// profile's, else 0.
    pub temperature: Option<f32>,
    /// Most tokens generated per turn (bounds a model that runs away).
    pub max_tokens_per_turn: u32,
    /// Constrain tool calls to the declared tools and schemas once one opens.
    pub constrained_tool_calls: bool,
    /// With constrained tool calls: the first reply to each user message
    /// must be a tool call (small models otherwise answer from imagination).
    pub tool_call_first: bool,
    /// Reuse the KV cache between turns (off only to measure its effect).
    pub reuse_kv_cache: bool,
    /// The prompt profile for local models.
    pub profile: Option<String>,
}

impl Default for LocalConfig {
    fn default() -> Self {
        Self {
            context_size: None,
            threads: None,
            gpu_layers: 999,
            temperature: None,
            max_tokens_per_turn: 4096,
            constrained_tool_calls: true,
            tool_call_first: true,
            reuse_kv_cache: true,
            profile: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            provider: None,
            model: None,
            base_url: None,
            max_turns: 50,
            timeout_secs: None,
            max_tokens: None,
            shell_timeout_secs: 120,
            max_output_lines: None,
            max_output_bytes: None,
            profile: None,
            model_profiles: BTreeMap::new(),
            system_prompt_file: None,
            tool_specs_dir: None,
            providers: BTreeMap::new(),
            local: LocalConfig::default(),
            approval: None,
            allow_commands: Vec::new(),
            sandbox: crate::sandbox::SandboxConfig::default(),
            checkpoints: true,
            sessions: true,
        }
    }
}

/// One OpenAI-compatible endpoint.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    pub base_url: Option<String>,
    pub model: Option<String>,
    /// Name of the environment variable holding the API key.
    pub api_key_env: Option<String>,
    pub headers: BTreeMap<String, String>,
    /// The prompt profile for this provider's models.
    pub profile: Option<String>,
    /// Extra top-level request fields, e.g. `{ top_k = 20 }`.
    pub extra_body: BTreeMap<String, serde_json::Value>,
    pub temperature: Option<f32>,
    /// Most completion tokens per request.
    pub max_completion_tokens: Option<u32>,
    pub connect_timeout_secs: Option<u64>,
    /// Base limit for the first token (prefill included).
    pub first_token_timeout_secs: Option<u64>,
    /// Added to the first-token limit per 1,000 prompt tokens.
    pub first_token_secs_per_1k_tokens: Option<u64>,
    /// Longest silence once tokens flow.
    pub idle_timeout_secs: Option<u64>,
    pub max_retries: Option<u32>,
    /// Recover tool calls the server returns as text: `auto`, `on` or `off`.
    pub tool_calls_in_text: Option<crate::backend::openai::TextToolCalls>,
    /// Their markup (`hermes`, `qwen3_coder_xml`, `llama3_json`, `mistral`,
    /// `harmony`, `generic_json`); default: Hermes tags and bare JSON.
    pub text_tool_format: Option<crate::toolcall::Format>,
    /// The model's context window in tokens (shown in the UI).
    pub context_window: Option<u64>,
    /// US dollars per million tokens, e.g. `{ input = 0.2, output = 0.8 }`
    /// (the UI shows the session's cost).
    pub prices: Option<crate::backend::Prices>,
}

/// Values given on the command line; `None` leaves lower layers alone.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalFlags>,
}

/// Flags that set `[local]` keys.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LocalFlags {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_size: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("bad configuration: {0}")]
    Invalid(String),
    #[error("{0}")]
    Usage(String),
}

impl From<figment::Error> for ConfigError {
    fn from(e: figment::Error) -> Self {
        // figment reports every error of a layer; list them all.
        let all: Vec<String> = e.into_iter().map(describe).collect();
        ConfigError::Invalid(all.join("; "))
    }
}

fn describe(e: figment::Error) -> String {
    let key = e.path.join(".");
    let source = e
        .metadata
        .as_ref()
        .map(|m| match &m.source {
            Some(src) => src.to_string(),
            None => m.name.to_string(),
        })
        .unwrap_or_else(|| "configuration".into());
    if key.is_empty() {
        format!("{source}: {}", e.kind)
    } else {
        format!("{source}: key `{key}`: {}", e.kind)
    }
}

/// The environment variables read as config, e.g. `KILN_MAX_TURNS`.
pub const ENV_KEYS: &[&str] = &[
    "provider",
    "model",
    "base_url",
    "max_turns",
    "timeout_secs",
    "max_tokens",
    "shell_timeout_secs",
    "profile",
    "approval",
];

/// Where the user's config file lives.
pub fn user_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("kiln").join("config.toml"))
}

/// kiln's state directory (sessions, checkpoints, the TUI's log):
/// `$XDG_STATE_HOME/kiln`, else `~/.local/state/kiln`. A relative
/// `XDG_STATE_HOME` is ignored, as the XDG spec asks.
pub fn state_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("state"))
        })
        .map(|state| state.join("kiln"))
}

/// The repository root containing `cwd` (or `cwd` itself outside a repo).
pub fn repo_root(cwd: &Path) -> PathBuf {
    git2::Repository::discover(cwd)
        .ok()
        .and_then(|r| r.workdir().map(Path::to_path_buf))
        .and_then(|p| p.canonicalize().ok())
        .unwrap_or_else(|| cwd.to_path_buf())
}

/// Loads every layer for a session rooted at `repo`.
pub fn load(repo: &Path, flags: &FlagOverrides) -> Result<Config, ConfigError> {
    // `Toml::file` with an absolute path reads exactly that file and skips
    // it when missing.
    let mut fig = Figment::from(Serialized::defaults(Config::default()));
    if let Some(user) = user_config_path() {
        fig = fig.merge(Toml::file(user));
    }
    let config: Config = fig
        .merge(Toml::file(repo.join(".kiln").join("config.toml")))
        .merge(Env::prefixed("KILN_").only(ENV_KEYS))
        .merge(Serialized::defaults(flags))
        .extract()?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_value_names_file_key_and_expectation() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".kiln")).unwrap();
        let file = dir.path().join(".kiln/config.toml");
        std::fs::write(&file, "max_turns = \"many\"\n").unwrap();
        let err = load(dir.path(), &FlagOverrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("config.toml"), "{err}");
        assert!(err.contains("max_turns"), "{err}");
        assert!(err.contains("u32") || err.contains("integer"), "{err}");
    }

    #[test]
    fn unknown_key_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".kiln")).unwrap();
        std::fs::write(
            dir.path().join(".kiln/config.toml"),
            "[providers.x]\nbase_ur = \"http://h\"\n",
        )
        .unwrap();
        let err = load(dir.path(), &FlagOverrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("base_ur"), "{err}");
        assert!(err.contains("providers.x"), "{err}");
    }

    #[test]
    fn flags_beat_repo_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".kiln")).unwrap();
        std::fs::write(
            dir.path().join(".kiln/config.toml"),
            "max_turns = 7\nmodel = \"m1\"\n[providers.mine]\nbase_url = \"http://127.0.0.1:1/v1\"\nheaders = { X-A = \"b\" }\n",
        )
        .unwrap();
        let flags = FlagOverrides {
            model: Some("m2".into()),
            ..Default::default()
        };
        let c = load(dir.path(), &flags).unwrap();
        assert_eq!(c.max_turns, 7);
        assert_eq!(c.model.as_deref(), Some("m2"));
        assert_eq!(c.providers["mine"].headers["X-A"], "b");
    }
}
