//! `kiln eval import-polyglot`: Exercism exercises, laid out as Aider's
//! polyglot benchmark has them (`<dir>/<lang>/exercises/practice/<name>/`),
//! made into kiln tasks: the stub files are the fixture, the test files
//! the hidden check, the example solution the reference patch, and the
//! prompt Aider's benchmark prompt.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::suite::files_under;
use super::task::{CheckSpec, Difficulty, Policy, TaskFile, TaskLimits};
use super::workdir::{Workdir, WorkdirError, copy_tree};

/// A language the importer knows how to test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Python,
    Rust,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Python, Lang::Rust];

    /// The directory name in the benchmark tree and the tag.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::Rust => "rust",
        }
    }

    fn check(self, tests: &[String]) -> CheckSpec {
        match self {
            Lang::Python => CheckSpec {
                command: format!(
                    "python3 -m pytest -q -p no:cacheprovider {}",
                    tests
                        .iter()
                        .map(|t| shlex::try_quote(t).map_or_else(|_| t.clone(), |q| q.into_owned()))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                timeout_secs: 60,
            },
            // Exercism marks all but the first test #[ignore]; Aider runs them all.
            Lang::Rust => CheckSpec {
                command: "cargo test --quiet --offline -- --include-ignored".into(),
                timeout_secs: 300,
            },
        }
    }
}

/// `.meta/config.json`'s `files`.
#[derive(Debug, Deserialize)]
struct MetaConfig {
    files: MetaFiles,
}

#[derive(Debug, Deserialize)]
struct MetaFiles {
    #[serde(default)]
    solution: Vec<String>,
    #[serde(default)]
    test: Vec<String>,
    #[serde(default)]
    example: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error(transparent)]
    Workdir(#[from] WorkdirError),
    #[error(transparent)]
    Task(#[from] super::task::TaskError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError {
    let path = path.display().to_string();
    move |error| ImportError::Io { path, error }
}

fn invalid(path: &Path, message: impl Into<String>) -> ImportError {
    ImportError::Invalid {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub imported: Vec<String>,
    /// Exercises left out, and why.
    pub skipped: Vec<(String, String)>,
}

/// Imports every exercise of `langs` found under `src` into `out`
/// (`out/<lang>-<name>/`, replacing a task of that name). An exercise that
/// cannot be converted is skipped with its reason; a tree with no
/// exercise at all is an error.
pub fn import(src: &Path, out: &Path, langs: &[Lang]) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let mut found = false;
    for lang in langs {
        let practice = src.join(lang.name()).join("exercises").join("practice");
        if !practice.is_dir() {
            continue;
        }
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&practice)
            .map_err(io(&practice))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            found = true;
            let name = dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let id = format!("{}-{name}", lang.name());
            match exercise(&dir, *lang, &id, &out.join(&id)) {
                Ok(()) => report.imported.push(id),
                Err(e) => report.skipped.push((id, e.to_string())),
            }
        }
    }
    if !found {
        return Err(invalid(
            src,
            format!(
                "no exercises: expected <dir>/<lang>/exercises/practice/<name>/ for {}",
                langs
                    .iter()
                    .map(|l| l.name())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ));
    }
    Ok(report)
}

fn exercise(dir: &Path, lang: Lang, id: &str, task_dir: &Path) -> Result<(), ImportError> {
    let meta_path = dir.join(".meta/config.json");
    let text = std::fs::read_to_string(&meta_path).map_err(io(&meta_path))?;
    let meta: MetaConfig =
        serde_json::from_str(&text).map_err(|e| invalid(&meta_path, e.to_string()))?;
    let files = meta.files;
    if files.solution.is_empty() || files.test.is_empty() {
        return Err(invalid(&meta_path, "lists no solution or no test files"));
    }
    let pairs = pair_examples(dir, &files)?;
    let instructions = instructions(dir)?;

    let staging = tempfile::tempdir().map_err(io(&std::env::temp_dir()))?;
    let repo = staging.path().join("repo");
    let check = staging.path().join("check");
    for file in files_under(dir)? {
        let rel = file.strip_prefix(dir).unwrap_or(&file);
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        if rel_str.starts_with(".meta/") || rel_str.starts_with(".docs/") {
            continue;
        }
        let dest = match files.test.contains(&rel_str) {
            true => check.join(rel),
            false => repo.join(rel),
        };
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::copy(&file, &dest).map_err(io(&file))?;
    }
    for t in &files.test {
        if !check.join(t).is_file() {
            return Err(invalid(&meta_path, format!("test file `{t}` is missing")));
        }
    }
    std::fs::create_dir_all(&repo).map_err(io(&repo))?;
    let patch = solution_patch(&repo, &pairs)?;
    if patch.trim().is_empty() {
        return Err(invalid(dir, "the example solution equals the stub"));
    }

    let task = TaskFile {
        id: id.to_string(),
        description: format!(
            "Exercism {} exercise from Aider's polyglot benchmark",
            lang.name()
        ),
        tags: vec![lang.name().into(), "polyglot".into()],
        difficulty: Difficulty::Medium,
        policy: Policy::Usually,
        attempts: 2,
        limits: TaskLimits::default(),
        check: lang.check(&files.test),
    };
    let toml = toml::to_string(&task).map_err(|e| invalid(task_dir, e.to_string()))?;
    let prompt = prompt(&instructions, &files.solution);
    let write = |rel: &str, text: &str| {
        let p = staging.path().join(rel);
        std::fs::write(&p, text).map_err(io(&p))
    };
    write("task.toml", &toml)?;
    write("prompt.md", &prompt)?;
    write("solution.patch", &patch)?;

    if task_dir.exists() {
        std::fs::remove_dir_all(task_dir).map_err(io(task_dir))?;
    }
    std::fs::create_dir_all(task_dir).map_err(io(task_dir))?;
    copy_tree(staging.path(), task_dir)?;
    // An empty check/ or repo/ directory has no files to copy.
    for d in ["repo", "check"] {
        std::fs::create_dir_all(task_dir.join(d)).map_err(io(task_dir))?;
    }
    super::task::Task::load(task_dir)?;
    Ok(())
}

/// Each example and the solution file it replaces: the one of the same
/// name, else the only one with the same extension (Rust lists
/// `src/lib.rs` and `Cargo.toml` for one `.meta/example.rs`). Solution
/// files no example matches stay as they are.
fn pair_examples(dir: &Path, files: &MetaFiles) -> Result<Vec<(String, PathBuf)>, ImportError> {
    if files.example.is_empty() {
        return Err(invalid(dir, "`.meta/config.json` lists no example file"));
    }
    files
        .example
        .iter()
        .map(|e| {
            let example = Path::new(e);
            let by_name = files
                .solution
                .iter()
                .find(|s| Path::new(s).file_name() == example.file_name());
            let same_ext: Vec<&String> = files
                .solution
                .iter()
                .filter(|s| Path::new(s).extension() == example.extension())
                .collect();
            let solution = match (by_name, same_ext.as_slice()) {
                (Some(s), _) => s,
                (None, [s]) => *s,
                _ => {
                    return Err(invalid(
                        dir,
                        format!("cannot tell which solution file the example `{e}` solves"),
                    ));
                }
            };
            Ok((solution.clone(), dir.join(e)))
        })
        .collect()
}

/// `.docs/introduction.md`, `instructions.md` and `instructions.append.md`,
/// those that exist, as Aider's benchmark reads them.
fn instructions(dir: &Path) -> Result<String, ImportError> {
    let docs = dir.join(".docs");
    let main = docs.join("instructions.md");
    if !main.is_file() {
        return Err(invalid(&main, "missing"));
    }
    let mut parts = Vec::new();
    for name in [
        "introduction.md",
        "instructions.md",
        "instructions.append.md",
    ] {
        let p = docs.join(name);
        if p.is_file() {
            parts.push(
                std::fs::read_to_string(&p)
                    .map_err(io(&p))?
                    .trim()
                    .to_string(),
            );
        }
    }
    Ok(parts.join("\n\n"))
}

/// The examples written over the stubs, as a git diff of the fixture.
fn solution_patch(repo: &Path, pairs: &[(String, PathBuf)]) -> Result<String, ImportError> {
    let scratch = Workdir::new(repo)?;
    for (solution, example) in pairs {
        let dest = scratch.root().join(solution);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::copy(example, &dest).map_err(io(example))?;
    }
    crate::fix::git::patch(scratch.root()).map_err(|m| invalid(repo, m))
}

/// Aider's benchmark prompt: the instructions, then which files to change.
fn prompt(instructions: &str, solution: &[String]) -> String {
    format!(
        "{instructions}\n\n####\n\nUse the above instructions to modify the supplied files: {}\n\
         Keep and implement the existing function or class stubs, they will be called from unit \
         tests. Use the existing file names and don't change the tests.\n\
         Only use standard libraries, don't suggest installing any packages.\n",
        solution.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn imports_python_and_rust_exercises() {
        let src = tempfile::tempdir().unwrap();
        let py = src.path().join("python/exercises/practice/two-fer");
        write(
            &py,
            ".docs/instructions.md",
            "# Two-fer\n\nSay one for you.",
        );
        write(&py, ".docs/instructions.append.md", "Use f-strings.");
        write(
            &py,
            ".meta/config.json",
            r#"{"files":{"solution":["two_fer.py"],"test":["two_fer_test.py"],"example":[".meta/example.py"]}}"#,
        );
        write(
            &py,
            ".meta/example.py",
            "def two_fer(name='you'):\n    return f'One for {name}, one for me.'\n",
        );
        write(&py, "two_fer.py", "def two_fer(name):\n    pass\n");
        write(&py, "two_fer_test.py", "from two_fer import two_fer\n");
        let rs = src.path().join("rust/exercises/practice/leap");
        write(&rs, ".docs/instructions.md", "# Leap");
        write(
            &rs,
            ".meta/config.json",
            r#"{"files":{"solution":["src/lib.rs","Cargo.toml"],"test":["tests/leap.rs"],"example":[".meta/example.rs"]}}"#,
        );
        write(
            &rs,
            ".meta/example.rs",
            "pub fn is_leap_year(y: u64) -> bool { y % 4 == 0 }\n",
        );
        write(
            &rs,
            "src/lib.rs",
            "pub fn is_leap_year(_y: u64) -> bool { todo!() }\n",
        );
        write(&rs, "Cargo.toml", "[package]\nname = \"leap\"\n");
        write(&rs, "tests/leap.rs", "#[test] fn t() {}\n");
        // An example with two candidate solution files is skipped…
        write(
            &rs,
            ".meta/config.json",
            r#"{"files":{"solution":["src/lib.rs","src/other.rs"],"test":["tests/leap.rs"],"example":[".meta/example.rs"]}}"#,
        );
        let out = tempfile::tempdir().unwrap();
        let report = import(src.path(), out.path(), &Lang::ALL).unwrap();
        assert_eq!(report.imported, ["python-two-fer"]);
        assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
        assert!(report.skipped[0].1.contains("example.rs"));
        // …and Exercism's usual Rust layout (Cargo.toml listed too) imports.
        write(
            &rs,
            ".meta/config.json",
            r#"{"files":{"solution":["src/lib.rs","Cargo.toml"],"test":["tests/leap.rs"],"example":[".meta/example.rs"]}}"#,
        );
        let report = import(src.path(), out.path(), &Lang::ALL).unwrap();
        assert_eq!(report.imported, ["python-two-fer", "rust-leap"]);

        let task = crate::eval::task::Task::load(&out.path().join("python-two-fer")).unwrap();
        assert!(task.prompt.contains("Say one for you.") && task.prompt.contains("Use f-strings."));
        assert!(task.prompt.contains("two_fer.py"));
        assert!(task.check_dir().join("two_fer_test.py").is_file());
        assert!(!task.repo_dir().join("two_fer_test.py").exists());
        assert!(!task.repo_dir().join(".meta").exists());
        assert!(
            task.file.check.command.contains("pytest")
                && task.file.check.command.contains("two_fer_test.py")
        );
        let changes =
            crate::eval::oracle::solution_changes(&task.repo_dir(), &task.solution()).unwrap();
        assert!(
            matches!(&changes[..], [crate::eval::oracle::Change::Write { path, content, .. }]
            if path == "two_fer.py" && content.contains("One for"))
        );
        let rust = crate::eval::task::Task::load(&out.path().join("rust-leap")).unwrap();
        assert!(rust.file.check.command.contains("--include-ignored"));
        assert!(rust.check_dir().join("tests/leap.rs").is_file());
        let changes =
            crate::eval::oracle::solution_changes(&rust.repo_dir(), &rust.solution()).unwrap();
        assert!(
            matches!(&changes[..], [crate::eval::oracle::Change::Write { path, .. }]
            if path == "src/lib.rs")
        );

        let empty = tempfile::tempdir().unwrap();
        assert!(import(empty.path(), out.path(), &Lang::ALL).is_err());
    }
}
