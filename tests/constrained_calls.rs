//! Constrained tool calls with real weights (Qwen2.5-Coder-0.5B, whose chat
//! template uses Hermes `<tool_call>` tags): across many varied requests
//! that call for a tool, the lazy grammar makes the model's first reply a
//! parseable call to a declared tool whose arguments satisfy that tool's
//! JSON schema. The unconstrained rate is measured beside it and printed.
#![cfg(feature = "llama")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/weights.rs"]
mod weights;

use std::sync::Arc;

use kiln::backend::local::{LocalBackend, LocalSettings};
use kiln::backend::{Backend, ChatRequest, Delta};
use kiln::chat::{Message, ToolSpec};
use kiln::engine::{Engine, EngineConfig};
use tokio_util::sync::CancellationToken;

/// Requests that each call for one tool call, phrased the varied ways
/// users write them.
const PROMPTS: &[&str] = &[
    "Show me what is in src/main.rs.",
    "Open README.md.",
    "Read lines 10 to 40 of src/lib.rs.",
    "What does Cargo.toml contain?",
    "Print the file tests/test_calc.py.",
    "Look at the config file config/settings.yaml.",
    "I need to see the first 20 lines of CHANGELOG.md.",
    "Read docs/architecture.md, please.",
    "Check what the Makefile does.",
    "Read package.json.",
    "Display the contents of .github/workflows/ci.yml.",
    "Read src/utils/strings.py from line 50.",
    "List the files in the repository.",
    "What files are in the src directory?",
    "Show me all the Python files.",
    "List every Rust source file under src/.",
    "Which test files exist?",
    "What is in the docs folder?",
    "Give me an overview of the project's files.",
    "Find the files matching *.toml.",
    "Search the code for TODO comments.",
    "Where is the function parse_config defined?",
    "Find every use of unwrap() in the Rust code.",
    "Grep for 'import requests' in the Python files.",
    "Which files mention DATABASE_URL?",
    "Search for the string 'deprecated' in src.",
    "Find where the class UserService is declared.",
    "Look for calls to println! in src/main.rs.",
    "Search for 'fn main' across the repository.",
    "Where do we handle the HTTP 404 status?",
    "Run the test suite with cargo test.",
    "Run `python3 -m pytest -q`.",
    "Check the git status of the repository.",
    "Run npm test.",
    "Build the project with make.",
    "Show the last 5 git commits.",
    "Run the linter: cargo clippy.",
    "How much disk space does the target directory use? Use du.",
    "Execute ./scripts/check.sh.",
    "Run go test ./... in the repo.",
    "Count the lines of code in src with wc -l.",
    "Create a file hello.txt containing 'Hello, world!'.",
    "Write a .gitignore that ignores the target directory.",
    "Create notes/todo.md with a heading 'TODO'.",
    "Make a new Python file greet.py with a function greet(name) that returns 'Hi ' + name.",
    "Write a shell script run.sh that prints 'ok'.",
    "In config.py, change DEBUG = True to DEBUG = False.",
    "Rename the variable cnt to count in src/counter.py where it says 'cnt = 0'.",
    "In README.md replace the word 'Foo' with 'Bar'.",
    "In main.go, change the port from 8080 to 9090 (the line is `port := 8080`).",
    "Fix the typo 'recieve' to 'receive' in src/net.rs.",
    "Change the version in Cargo.toml from \"0.1.0\" to \"0.2.0\".",
];

struct Tally {
    valid: usize,
    failures: Vec<String>,
}

fn backend(path: std::path::PathBuf, constrained: bool) -> LocalBackend {
    let mut cfg = EngineConfig::new(path);
    cfg.n_ctx = Some(4096);
    cfg.warm_cache = None;
    let engine = Engine::load(cfg).unwrap();
    let settings = LocalSettings {
        max_tokens: 96,
        constrained,
        ..LocalSettings::default()
    };
    LocalBackend::new(Arc::new(engine), settings).unwrap()
}

fn run_all(backend: &LocalBackend, system: &str, tools: &[ToolSpec]) -> Tally {
    let schemas: Vec<(String, jsonschema::Validator)> = tools
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                jsonschema::validator_for(&t.parameters).unwrap(),
            )
        })
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut tally = Tally {
        valid: 0,
        failures: Vec::new(),
    };
    for prompt in PROMPTS {
        let messages = vec![
            Message::System {
                content: system.to_string(),
            },
            Message::User {
                content: prompt.to_string(),
            },
        ];
        let request = ChatRequest::new(&messages, tools);
        let mut sink = |_: Delta| {};
        let completion = rt
            .block_on(backend.complete(request, &mut sink, &CancellationToken::new()))
            .unwrap();
        let verdict = match completion.tool_calls.first() {
            None => Err(format!("no tool call; text: {:?}", completion.text)),
            Some(call) => match schemas.iter().find(|(n, _)| *n == call.name) {
                None => Err(format!("unknown tool {:?}", call.name)),
                Some((_, schema)) => match serde_json::from_str(&call.arguments) {
                    Err(e) => Err(format!("{}: bad JSON {:?}: {e}", call.name, call.arguments)),
                    Ok(args) => schema.validate(&args).map_err(|e| {
                        format!("{}: {:?} breaks the schema: {e}", call.name, call.arguments)
                    }),
                },
            },
        };
        match verdict {
            Ok(()) => tally.valid += 1,
            Err(e) => tally.failures.push(format!("{prompt:?}: {e}")),
        }
    }
    tally
}

#[test]
fn constrained_calls_are_parseable_and_schema_valid() {
    let _g = weights::lock();
    let Some(path) = weights::model("qwen2.5-coder-0.5b") else {
        return;
    };
    assert!(PROMPTS.len() >= 50);
    let workspace = std::path::Path::new("/home/user/project");
    let assembled = kiln::profile::assemble::builtin("default", workspace).unwrap();
    let (system, tools) = (assembled.system_prompt, assembled.specs);

    let constrained = run_all(&backend(path.clone(), true), &system, &tools);
    let unconstrained = run_all(&backend(path, false), &system, &tools);
    let n = PROMPTS.len();
    let rate = |t: &Tally| 100.0 * t.valid as f64 / n as f64;
    eprintln!(
        "tool calls valid: constrained {}/{n} ({:.1}%), unconstrained {}/{n} ({:.1}%)",
        constrained.valid,
        rate(&constrained),
        unconstrained.valid,
        rate(&unconstrained)
    );
    for f in &unconstrained.failures {
        eprintln!("  unconstrained: {f}");
    }
    assert!(
        rate(&constrained) >= 95.0,
        "only {}/{n} constrained calls were valid:\n{}",
        constrained.valid,
        constrained.failures.join("\n")
    );
}
