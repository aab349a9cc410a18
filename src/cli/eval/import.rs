//! `kiln eval import-polyglot`.

use std::path::PathBuf;

use clap::Args;

use crate::cli::exit;
use crate::eval::import::{Lang, import};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The benchmark checkout: <DIR>/<lang>/exercises/practice/<name>/.
    pub dir: PathBuf,
    /// Where the tasks are written.
    #[arg(long, default_value = "evals/polyglot", value_name = "DIR")]
    pub out: PathBuf,
    /// Only this language (python or rust; repeatable).
    #[arg(long = "lang", value_name = "LANG", value_parser = ["python", "rust"])]
    pub langs: Vec<String>,
}

pub fn run(args: ImportArgs) -> u8 {
    let langs: Vec<Lang> = Lang::ALL
        .into_iter()
        .filter(|l| args.langs.is_empty() || args.langs.iter().any(|n| n == l.name()))
        .collect();
    match import(&args.dir, &args.out, &langs) {
        Ok(report) => {
            for (id, why) in &report.skipped {
                eprintln!("kiln eval: skipped {id}: {why}");
            }
            println!(
                "imported {} tasks into {} ({} skipped)",
                report.imported.len(),
                args.out.display(),
                report.skipped.len()
            );
            exit::DONE
        }
        Err(e) => {
            eprintln!("kiln: error: {e}");
            exit::USAGE
        }
    }
}
