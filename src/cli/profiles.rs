//! `kiln profiles`: list the prompt profiles and show exactly what one sends.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{BackendArgs, LimitArgs, exit};
use crate::agent::events::wire_name;
use crate::chat::ToolSpec;
use crate::config::{self, providers};
use crate::profile::{Catalog, Profile, assemble::assemble, tokens};

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    #[command(subcommand)]
    pub command: ProfilesCommand,
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// List the profiles (built-in, ~/.config/kiln/prompts, .kiln/prompts).
    List {
        /// Look for `.kiln/prompts` from this directory.
        #[arg(long, value_name = "DIR")]
        cwd: Option<PathBuf>,
    },
    /// Print a profile's rendered system prompt and tool specs with token
    /// counts: exact with a local GGUF's tokenizer (`--model`), else the
    /// estimate of one token per 3 bytes.
    Show {
        /// The profile's name.
        name: String,
        #[command(flatten)]
        backend: BackendArgs,
        /// Render for this workspace instead of the current directory.
        #[arg(long, value_name = "DIR")]
        cwd: Option<PathBuf>,
    },
}

pub async fn run(args: ProfilesArgs) -> u8 {
    let result = match args.command {
        ProfilesCommand::List { cwd } => list(cwd),
        ProfilesCommand::Show { name, backend, cwd } => show(&name, &backend, cwd).await,
    };
    match result {
        Ok(()) => exit::DONE,
        Err(message) => {
            eprintln!("kiln: error: {message}");
            exit::USAGE
        }
    }
}

fn workspace(cwd: Option<PathBuf>) -> Result<(PathBuf, PathBuf), String> {
    let dir = match cwd {
        Some(d) => d,
        None => std::env::current_dir().map_err(|e| format!("no working directory: {e}"))?,
    };
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("cannot use {}: {e}", dir.display()))?;
    let repo = config::repo_root(&dir);
    Ok((dir, repo))
}

fn list(cwd: Option<PathBuf>) -> Result<(), String> {
    let (_, repo) = workspace(cwd)?;
    let catalog = Catalog::discover(&repo).map_err(|e| e.to_string())?;
    for p in catalog.all().map_err(|e| e.to_string())? {
        let inherits = p
            .inherits
            .as_ref()
            .map(|i| format!(", inherits {i}"))
            .unwrap_or_default();
        println!("{:<14} {}{inherits}", p.name, p.origin);
        println!("    {}", p.description);
        println!(
            "    tools: {} · tool calls: {} · auto: {}",
            p.tools.join(", "),
            wire_name(&p.tool_calls),
            rules_summary(&p)
        );
    }
    Ok(())
}

fn rules_summary(p: &Profile) -> String {
    let Some(r) = &p.rules else {
        return match p.name.as_str() {
            "default" => "when no other profile matches".into(),
            _ => "never (choose with --profile or config)".into(),
        };
    };
    let mut parts = Vec::new();
    if !r.providers.is_empty() {
        parts.push(format!("providers {}", r.providers.join("|")));
    }
    if !r.models.is_empty() {
        parts.push(format!("models {}", r.models.join("|")));
    }
    if let Some(max) = r.max_params_b {
        parts.push(format!("≤ {max}B parameters"));
    }
    parts.push(format!("priority {}", r.priority));
    parts.join(", ")
}

async fn show(name: &str, backend: &BackendArgs, cwd: Option<PathBuf>) -> Result<(), String> {
    let (dir, repo) = workspace(cwd)?;
    let catalog = Catalog::discover(&repo).map_err(|e| e.to_string())?;
    let profile = catalog.get(name).map_err(|e| e.to_string())?;
    let limits = LimitArgs::default();
    let cfg = config::load(&repo, &backend.overrides(&limits)).map_err(|e| e.to_string())?;
    let assembled = assemble(&profile, &cfg, &dir, &repo).map_err(|e| e.to_string())?;
    let counter = Counter::for_config(&cfg).await;
    println!("# profile {} ({})", profile.name, profile.origin);
    println!("{}", profile.description);
    println!(
        "edit style: {} · tool calls: {} · compact at: {:.0}% · tool output: {} lines / {} tokens \
         · repo map: {}",
        wire_name(&profile.edit_style),
        wire_name(&profile.tool_calls),
        profile.compact_at * 100.0,
        profile.tool_output.max_lines,
        profile.tool_output.max_tokens,
        match profile.repo_map_tokens {
            0 => "off".to_string(),
            n => format!("{n} tokens"),
        },
    );
    println!(
        "sampling: {} · auto: {}",
        serde_json::to_string(&profile.sampling).unwrap_or_default(),
        rules_summary(&profile)
    );
    println!("tokens: {}", counter.describe());
    let system_tokens = counter.count(&assembled.system_prompt).await?;
    println!("\n## System prompt ({system_tokens} tokens)\n");
    println!("{}", assembled.system_prompt);
    let mut tool_tokens = 0;
    let mut shown = Vec::new();
    for spec in &assembled.specs {
        let json = spec_json(spec);
        let n = counter.count(&json).await?;
        tool_tokens += n;
        shown.push((spec.name.clone(), n, json));
    }
    println!("\n## Tools ({tool_tokens} tokens)");
    for (name, n, json) in shown {
        println!("\n### {name} ({n} tokens)\n{json}");
    }
    println!(
        "\n## Base prompt: {} tokens (system {system_tokens} + tools {tool_tokens})",
        system_tokens + tool_tokens
    );
    if let Some(n) = counter
        .rendered(&assembled.system_prompt, &assembled.specs)
        .await?
    {
        println!("As the model's chat template renders it (system turn with tools): {n} tokens");
    }
    Ok(())
}

/// A tool spec as one JSON object (what templates and APIs serialise).
pub fn spec_json(spec: &ToolSpec) -> String {
    serde_json::json!({
        "name": spec.name,
        "description": spec.description,
        "parameters": spec.parameters,
    })
    .to_string()
}

/// Counts tokens with a local model's tokenizer, else estimates.
enum Counter {
    Estimate,
    Model(Box<crate::backend::local::LocalBackend>),
}

impl Counter {
    /// The local model's tokenizer when the config selects a local GGUF
    /// that is on disk (nothing is downloaded for this).
    async fn for_config(cfg: &config::Config) -> Counter {
        if let Ok(providers::BackendChoice::Local { model }) = providers::choose(cfg)
            && let Some(path) = local_gguf(model.as_deref())
        {
            let load = tokio::task::spawn_blocking(move || {
                let mut c = crate::engine::EngineConfig::new(path);
                c.n_ctx = Some(512);
                crate::engine::Engine::load(c)
            })
            .await;
            if let Ok(Ok(engine)) = load {
                let settings = crate::backend::local::LocalSettings::default();
                if let Ok(b) =
                    crate::backend::local::LocalBackend::new(std::sync::Arc::new(engine), settings)
                {
                    return Counter::Model(Box::new(b));
                }
            }
        }
        Counter::Estimate
    }

    fn describe(&self) -> String {
        match self {
            Counter::Estimate => format!(
                "estimated at one token per {} bytes (no local model selected; pass --model \
                 <gguf or cached name> for exact counts)",
                tokens::BYTES_PER_TOKEN
            ),
            Counter::Model(b) => format!("exact, with the tokenizer of {}", b.engine().info().name),
        }
    }

    async fn count(&self, text: &str) -> Result<usize, String> {
        match self {
            Counter::Estimate => Ok(tokens::estimate(text)),
            Counter::Model(b) => b
                .engine()
                .tokenize(text.to_string())
                .await
                .map(|t| t.len())
                .map_err(|e| e.to_string()),
        }
    }

    /// Tokens of the system turn as the chat template renders it.
    async fn rendered(&self, system: &str, specs: &[ToolSpec]) -> Result<Option<usize>, String> {
        match self {
            Counter::Estimate => Ok(None),
            Counter::Model(b) => {
                let text = b.render_system(system, specs).map_err(|e| e.to_string())?;
                self.count(&text).await.map(Some)
            }
        }
    }
}

/// A GGUF on disk for `--model` (path or cached known model; default: the
/// default model if cached).
fn local_gguf(model: Option<&str>) -> Option<PathBuf> {
    use crate::models::{self, Resolved};
    match models::resolve(model.unwrap_or(models::DEFAULT_MODEL)).ok()? {
        Resolved::Path(p) => Some(p),
        Resolved::Known(known) => models::cached_in(&models::models_dir()?, known),
    }
}
