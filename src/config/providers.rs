//! From configuration to a backend, following `../shared/CONTRACT.md`.
//!
//! `--provider local` is the in-process engine; `scripted` replays a JSON
//! script; any other name is an OpenAI-compatible endpoint from
//! `[providers.NAME]` or a preset. A `--model` naming an existing `.gguf`
//! implies `local`, a `--base-url` implies an endpoint, and nothing at all
//! means `local` with the default model.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{Config, ConfigError, LocalConfig, ProviderConfig};
use crate::backend::Backend;
use crate::backend::openai::{EndpointConfig, OpenAiBackend, Timeouts};
use crate::backend::scripted::ScriptedBackend;

/// A known endpoint: name, base URL, API-key variable.
pub struct Preset {
    pub name: &'static str,
    pub base_url: &'static str,
    pub api_key_env: Option<&'static str>,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "llama-server",
        base_url: "http://127.0.0.1:8080/v1",
        api_key_env: None,
    },
    Preset {
        name: "ollama",
        base_url: "http://127.0.0.1:11434/v1",
        api_key_env: None,
    },
    Preset {
        name: "lmstudio",
        base_url: "http://127.0.0.1:1234/v1",
        api_key_env: None,
    },
    Preset {
        name: "vllm",
        base_url: "http://127.0.0.1:8000/v1",
        api_key_env: Some("VLLM_API_KEY"),
    },
    Preset {
        name: "openrouter",
        base_url: "https://openrouter.ai/api/v1",
        api_key_env: Some("OPENROUTER_API_KEY"),
    },
    Preset {
        name: "openai",
        base_url: "https://api.openai.com/v1",
        api_key_env: Some("OPENAI_API_KEY"),
    },
];

/// The provider name used for a bare `--base-url` with no `--provider`.
pub const CUSTOM_ENDPOINT: &str = "openai-compatible";

/// Which backend a configuration asks for.
#[derive(Clone, Debug)]
pub enum BackendChoice {
    Local { model: Option<String> },
    Scripted { script: PathBuf },
    Endpoint(Box<EndpointConfig>),
}

pub fn choose(config: &Config) -> Result<BackendChoice, ConfigError> {
    let gguf = config
        .model
        .as_deref()
        .filter(|m| m.ends_with(".gguf") && Path::new(m).is_file());
    let provider = match (config.provider.as_deref(), gguf, &config.base_url) {
        (Some(p), Some(m), _) if p != "local" => {
            return Err(ConfigError::Usage(format!(
                "--model {m} is a GGUF file, which only the `local` provider can run, \
                 but the provider is `{p}`"
            )));
        }
        (Some(p), _, _) => p.to_string(),
        (None, Some(_), _) => "local".into(),
        (None, None, Some(_)) => CUSTOM_ENDPOINT.into(),
        (None, None, None) => "local".into(),
    };
    match provider.as_str() {
        "local" => Ok(BackendChoice::Local {
            model: config.model.clone(),
        }),
        "scripted" => {
            let script = config.model.as_ref().ok_or_else(|| {
                ConfigError::Usage("the `scripted` provider needs --model <script.json>".into())
            })?;
            Ok(BackendChoice::Scripted {
                script: PathBuf::from(script),
            })
        }
        name => endpoint(config, name).map(|e| BackendChoice::Endpoint(Box::new(e))),
    }
}

fn endpoint(config: &Config, name: &str) -> Result<EndpointConfig, ConfigError> {
    let preset = PRESETS.iter().find(|p| p.name == name);
    let custom = config.providers.get(name);
    if preset.is_none() && custom.is_none() && name != CUSTOM_ENDPOINT {
        return Err(ConfigError::Usage(format!(
            "unknown provider `{name}`. Known: local, scripted, {}{}",
            PRESETS
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", "),
            config
                .providers
                .keys()
                .map(|k| format!(", {k}"))
                .collect::<String>()
        )));
    }
    let empty = ProviderConfig::default();
    let p = custom.unwrap_or(&empty);
    let base_url = config
        .base_url
        .clone()
        .or_else(|| p.base_url.clone())
        .or_else(|| preset.map(|p| p.base_url.to_string()))
        .ok_or_else(|| {
            ConfigError::Usage(format!(
                "provider `{name}` has no base URL: set providers.{name}.base_url or pass --base-url"
            ))
        })?;
    let model = config
        .model
        .clone()
        .or_else(|| p.model.clone())
        // llama-server serves one model and ignores the id.
        .or_else(|| (name == "llama-server").then(|| "default".to_string()))
        .ok_or_else(|| {
            ConfigError::Usage(format!(
                "provider `{name}` needs a model: pass --model or set providers.{name}.model"
            ))
        })?;
    let key_env = p
        .api_key_env
        .clone()
        .or_else(|| preset.and_then(|p| p.api_key_env.map(String::from)));
    let api_key = match key_env {
        Some(var) => match std::env::var(&var) {
            Ok(v) if !v.is_empty() => Some(v),
            // Local servers such as vLLM run fine without a key.
            _ if p.api_key_env.is_none() && !is_hosted(&base_url) => None,
            _ => {
                return Err(ConfigError::Usage(format!(
                    "provider `{name}` reads its API key from ${var}, which is not set"
                )));
            }
        },
        None => None,
    };
    let defaults = Timeouts::default();
    let secs = |v: Option<u64>, d: Duration| v.map(Duration::from_secs).unwrap_or(d);
    Ok(EndpointConfig {
        provider: name.to_string(),
        base_url: base_url.trim_end_matches('/').to_string(),
        model,
        api_key,
        headers: p.headers.clone(),
        extra_body: p.extra_body.clone().into_iter().collect(),
        temperature: p.temperature,
        max_tokens: p.max_completion_tokens,
        timeouts: Timeouts {
            connect: secs(p.connect_timeout_secs, defaults.connect),
            first_token: secs(p.first_token_timeout_secs, defaults.first_token),
            first_token_per_1k_tokens: secs(
                p.first_token_secs_per_1k_tokens,
                defaults.first_token_per_1k_tokens,
            ),
            idle: secs(p.idle_timeout_secs, defaults.idle),
        },
        max_retries: p.max_retries.unwrap_or(4),
        tool_calls_in_text: p.tool_calls_in_text.unwrap_or_default(),
        text_tool_format: p.text_tool_format,
        context_window: p.context_window,
        prices: p.prices,
    })
}

fn is_hosted(base_url: &str) -> bool {
    !(base_url.contains("://127.") || base_url.contains("://localhost"))
}

/// Why a backend could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Usage or configuration (exit 2).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The model could not be fetched or loaded (exit 4).
    #[error("{0}")]
    Backend(String),
}

/// Builds the backend a choice names. Loading a local model may fetch it
/// first (with a progress bar) and takes a few seconds.
pub async fn build_backend(
    choice: BackendChoice,
    local: &LocalConfig,
) -> Result<Arc<dyn Backend>, BuildError> {
    match choice {
        BackendChoice::Local { model } => {
            let backend = crate::backend::local::load(model.as_deref(), local).await?;
            Ok(Arc::new(backend))
        }
        BackendChoice::Scripted { script } => ScriptedBackend::from_file(&script)
            .map(|b| Arc::new(b) as Arc<dyn Backend>)
            .map_err(|e| ConfigError::Usage(e.to_string()).into()),
        BackendChoice::Endpoint(cfg) => OpenAiBackend::new(*cfg)
            .map(|b| Arc::new(b) as Arc<dyn Backend>)
            .map_err(|e| ConfigError::Invalid(e.to_string()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Config {
        Config::default()
    }

    #[test]
    fn nothing_configured_means_local() {
        assert!(matches!(
            choose(&cfg()).unwrap(),
            BackendChoice::Local { model: None }
        ));
    }

    #[test]
    fn base_url_implies_endpoint_and_gguf_implies_local() {
        let mut c = cfg();
        c.base_url = Some("http://127.0.0.1:9/v1/".into());
        c.model = Some("m".into());
        match choose(&c).unwrap() {
            BackendChoice::Endpoint(e) => {
                assert_eq!(e.base_url, "http://127.0.0.1:9/v1");
                assert_eq!(e.provider, CUSTOM_ENDPOINT);
            }
            other => panic!("{other:?}"),
        }
        let dir = tempfile::tempdir().unwrap();
        let gguf = dir.path().join("m.gguf");
        std::fs::write(&gguf, b"GGUF").unwrap();
        let mut c = cfg();
        c.model = Some(gguf.display().to_string());
        assert!(matches!(choose(&c).unwrap(), BackendChoice::Local { .. }));
        c.provider = Some("ollama".into());
        assert!(choose(&c).unwrap_err().to_string().contains("GGUF"));
    }

    #[test]
    fn presets_and_errors() {
        let mut c = cfg();
        c.provider = Some("llama-server".into());
        match choose(&c).unwrap() {
            BackendChoice::Endpoint(e) => assert_eq!(e.base_url, "http://127.0.0.1:8080/v1"),
            other => panic!("{other:?}"),
        }
        c.provider = Some("ollama".into());
        assert!(
            choose(&c)
                .unwrap_err()
                .to_string()
                .contains("needs a model")
        );
        c.provider = Some("nope".into());
        let err = choose(&c).unwrap_err().to_string();
        assert!(err.contains("unknown provider `nope`") && err.contains("openrouter"));
    }

    #[test]
    fn missing_api_key_variable_is_named() {
        let mut c = cfg();
        c.provider = Some("mine".into());
        c.model = Some("m".into());
        c.providers.insert(
            "mine".into(),
            ProviderConfig {
                base_url: Some("https://example.invalid/v1".into()),
                api_key_env: Some("KILN_TEST_SURELY_UNSET_KEY".into()),
                ..Default::default()
            },
        );
        let err = choose(&c).unwrap_err().to_string();
        assert!(err.contains("KILN_TEST_SURELY_UNSET_KEY"), "{err}");
    }

    #[test]
    fn text_tool_call_settings_reach_the_endpoint() {
        use crate::backend::openai::TextToolCalls;
        use crate::toolcall::Format;
        let endpoint = |p: ProviderConfig| {
            let mut c = cfg();
            c.provider = Some("mine".into());
            c.providers.insert("mine".into(), p);
            match choose(&c).unwrap() {
                BackendChoice::Endpoint(e) => e,
                other => panic!("{other:?}"),
            }
        };
        let base = "base_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\n";
        let e = endpoint(toml::from_str(base).unwrap());
        assert_eq!(e.tool_calls_in_text, TextToolCalls::Auto);
        assert_eq!(e.text_tool_format, None);
        let set =
            format!("{base}tool_calls_in_text = \"off\"\ntext_tool_format = \"qwen3_coder_xml\"\n");
        let e = endpoint(toml::from_str(&set).unwrap());
        assert_eq!(e.tool_calls_in_text, TextToolCalls::Off);
        assert_eq!(e.text_tool_format, Some(Format::Qwen3CoderXml));
        let bad = toml::from_str::<ProviderConfig>("tool_calls_in_text = \"maybe\"");
        assert!(bad.unwrap_err().to_string().contains("maybe"));
    }
}
