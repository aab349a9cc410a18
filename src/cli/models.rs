//! `kiln models`: list, pull and locate the known local models.

use clap::{Args, Subcommand};
use indicatif::HumanBytes;

use super::exit;
use crate::models::{self, DEFAULT_MODEL, FetchError, Fetcher, KnownModel, Progress};

#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List the known models, their size and whether they are cached.
    List,
    /// Download models into the cache (default: the default model).
    Pull {
        /// Model names; see `kiln models list`.
        names: Vec<String>,
        /// One line per part instead of a progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the path of a cached model (exit 1 when it is not cached).
    Path {
        /// A model name; see `kiln models list`.
        name: String,
    },
}

pub async fn run(args: ModelsArgs) -> u8 {
    match args.command {
        ModelsCommand::List => list(),
        ModelsCommand::Pull { names, quiet } => pull(names, quiet).await,
        ModelsCommand::Path { name } => path(&name),
    }
}

fn list() -> u8 {
    let dir = models::models_dir();
    for m in models::known() {
        let cached = dir.as_deref().and_then(|d| models::cached_in(d, m));
        let path = match (&cached, &dir) {
            (Some(p), _) => p.display().to_string(),
            (None, Some(d)) => d.join(m.file_name).display().to_string(),
            (None, None) => "-".into(),
        };
        let default = if m.name == DEFAULT_MODEL {
            " (default)"
        } else {
            ""
        };
        println!(
            "{:<30} {:>11}  {:<10}  {path}\n    {} [{}]",
            format!("{}{default}", m.name),
            HumanBytes(m.size).to_string(),
            if cached.is_some() {
                "cached"
            } else {
                "not cached"
            },
            m.description,
            m.license,
        );
    }
    exit::DONE
}

async fn pull(names: Vec<String>, quiet: bool) -> u8 {
    let names = if names.is_empty() {
        vec![DEFAULT_MODEL.to_string()]
    } else {
        names
    };
    // Every name is checked before anything is downloaded.
    let mut wanted: Vec<&'static KnownModel> = Vec::new();
    for name in &names {
        match models::find(name) {
            Some(m) => wanted.push(m),
            None => {
                return fail(&FetchError::UnknownModel {
                    name: name.clone(),
                    known: models::known_names(),
                });
            }
        }
    }
    let progress = if quiet {
        Progress::Quiet
    } else {
        Progress::Bar
    };
    let fetcher = match Fetcher::from_env(progress) {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    for m in wanted {
        match fetcher.ensure(m).await {
            Ok(path) => println!("{}", path.display()),
            Err(e) => return fail(&e),
        }
    }
    exit::DONE
}

fn path(name: &str) -> u8 {
    let Some(m) = models::find(name) else {
        return fail(&FetchError::UnknownModel {
            name: name.to_string(),
            known: models::known_names(),
        });
    };
    match models::cached_path(m) {
        Some(p) => {
            println!("{}", p.display());
            exit::DONE
        }
        None => {
            eprintln!("kiln: {name} is not cached; run `kiln models pull {name}`");
            exit::FAILED
        }
    }
}

fn fail(e: &FetchError) -> u8 {
    eprintln!("kiln: error: {e}");
    e.exit_code()
}
