//! The model's tools: one file and one [`Tool`] impl each.
//!
//! The model-facing spec of every tool (name, description, JSON schema) lives
//! in `tools/<name>.toml` at the repository root, embedded at build time and
//! overridable from config (see [`spec`]). [`ToolRegistry::dispatch`] turns
//! every way a call can go wrong into a tool result the model can act on.

pub mod apply_patch;
pub mod edit_file;
pub mod grep;
pub mod list_files;
pub mod read_file;
pub mod read_log;
pub mod repo_map;
pub mod shell;
pub mod spec;
pub mod symbols;
pub mod truncate;
pub mod workspace;
pub mod write_file;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use crate::chat::{ToolCall, ToolSpec};
pub use read_log::ReadLog;
pub use workspace::Workspace;

/// Limits that bound what a tool reads, runs and returns.
#[derive(Clone, Debug)]
pub struct ToolLimits {
    /// Default wall-clock limit of a `shell` command.
    pub shell_timeout: Duration,
    /// Most lines of a tool's output the model sees (head and tail kept).
    pub max_output_lines: usize,
    /// Most bytes of a tool's output the model sees (head and tail kept).
    pub max_output_bytes: usize,
    /// Largest file `read_file` will read.
    pub max_read_bytes: u64,
}

impl Default for ToolLimits {
    fn default() -> Self {
        Self {
            shell_timeout: Duration::from_secs(120),
            max_output_lines: 400,
            max_output_bytes: 30_000,
            max_read_bytes: 2_000_000,
        }
    }
}

/// What every tool call gets besides its arguments.
#[derive(Clone, Debug)]
pub struct ToolContext {
    pub workspace: Workspace,
    pub limits: ToolLimits,
    pub cancel: CancellationToken,
    /// What the model has seen of each file (stale-write protection).
    pub reads: ReadLog,
}

/// Facts about a call's effect, for events and the UI.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ToolDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    /// A unified diff of what the call changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Workspace-relative paths the call wrote.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed_files: Vec<PathBuf>,
}

/// A successful tool call. `full` goes to events, `for_model` (possibly
/// truncated) goes into the conversation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ToolOutput {
    pub for_model: String,
    pub full: String,
    pub details: ToolDetails,
}

impl ToolOutput {
    /// Output that is short enough to need no truncation.
    pub fn text(text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            for_model: text.clone(),
            full: text,
            details: ToolDetails::default(),
        }
    }
}

/// Why a call failed. Every variant is reported to the model as the tool's
/// result; none is fatal to the session.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("unknown tool `{name}`. Available tools: {available}")]
    UnknownTool { name: String, available: String },
    #[error("the arguments are not valid JSON ({error}). Send one JSON object matching the schema")]
    InvalidJson { error: String },
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    #[error("{0}")]
    PathEscape(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Failed(String),
    #[error("timed out: {0}")]
    Timeout(String),
    /// The file changed on disk since the model last read it.
    #[error("{0}")]
    Stale(String),
    /// A change to an existing file the model never read (profiles that
    /// require reads first).
    #[error("{0}")]
    NotRead(String),
    /// A change to a protected file (`kiln fix --protect`).
    #[error("{0}")]
    Protected(String),
    /// The approval policy or the user did not let the call run.
    #[error("{0}")]
    Refused(String),
    #[error("cancelled")]
    Cancelled,
}

impl ToolError {
    /// A stable name for statistics and events.
    pub fn kind(&self) -> &'static str {
        match self {
            ToolError::UnknownTool { .. } => "unknown_tool",
            ToolError::InvalidJson { .. } => "invalid_json",
            ToolError::InvalidArguments(_) => "invalid_arguments",
            ToolError::PathEscape(_) => "path_escape",
            ToolError::NotFound(_) => "not_found",
            ToolError::Failed(_) => "failed",
            ToolError::Timeout(_) => "timeout",
            ToolError::Stale(_) => "stale",
            ToolError::NotRead(_) => "not_read",
            ToolError::Protected(_) => "protected",
            ToolError::Refused(_) => "refused",
            ToolError::Cancelled => "cancelled",
        }
    }
}

/// Deserialises a call's arguments into a tool's typed argument struct.
pub fn parse_args<T: DeserializeOwned>(args: serde_json::Value) -> Result<T, ToolError> {
    serde_json::from_value(args).map_err(|e| ToolError::InvalidArguments(e.to_string()))
}

#[async_trait]
pub trait Tool: Send + Sync {
    /// Must equal the `name` of the tool's spec.
    fn name(&self) -> &'static str;
    /// Whether the tool can change files or run commands.
    fn mutates(&self) -> bool;
    async fn call(
        &self,
        args: serde_json::Value,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError>;
}

/// The outcome of one dispatched call.
#[derive(Debug)]
pub struct ToolResult {
    pub outcome: Result<ToolOutput, ToolError>,
    pub duration: Duration,
}

impl ToolResult {
    /// The text the model sees for this call.
    pub fn for_model(&self, spec: Option<&ToolSpec>) -> String {
        match &self.outcome {
            Ok(out) => out.for_model.clone(),
            Err(e @ ToolError::InvalidArguments(_)) => match spec {
                Some(spec) => format!(
                    "Error: {e}. The `{}` tool expects arguments matching this JSON schema: {}",
                    spec.name, spec.parameters
                ),
                None => format!("Error: {e}"),
            },
            Err(e) => format!("Error: {e}"),
        }
    }
}

/// The tools offered in a session, in a fixed order.
pub struct ToolRegistry {
    entries: Vec<(ToolSpec, Box<dyn Tool>)>,
}

impl ToolRegistry {
    /// The built-in tools named by `specs`, in that order, each offered
    /// with its spec (see [`spec::load_specs`] and the profiles).
    pub fn builtin(specs: Vec<ToolSpec>) -> Result<Self, spec::SpecError> {
        let tools: Vec<Box<dyn Tool>> = vec![
            Box::new(read_file::ReadFile),
            Box::new(list_files::ListFiles),
            Box::new(grep::Grep),
            Box::new(repo_map::RepoMap::default()),
            Box::new(symbols::Symbols::default()),
            Box::new(edit_file::EditFile),
            Box::new(write_file::WriteFile),
            Box::new(apply_patch::ApplyPatch),
            Box::new(shell::Shell),
        ];
        let mut tools: Vec<Option<Box<dyn Tool>>> = tools.into_iter().map(Some).collect();
        let mut entries = Vec::with_capacity(specs.len());
        for spec in specs {
            let tool = tools
                .iter_mut()
                .find(|t| t.as_ref().is_some_and(|t| t.name() == spec.name))
                .and_then(Option::take)
                .ok_or_else(|| spec::SpecError::Missing(spec.name.clone()))?;
            entries.push((spec, tool));
        }
        Ok(Self { entries })
    }

    pub fn specs(&self) -> Vec<ToolSpec> {
        self.entries.iter().map(|(s, _)| s.clone()).collect()
    }

    pub fn spec(&self, name: &str) -> Option<&ToolSpec> {
        self.entries
            .iter()
            .find(|(s, _)| s.name == name)
            .map(|(s, _)| s)
    }

    pub fn get(&self, name: &str) -> Option<&dyn Tool> {
        self.entries
            .iter()
            .find(|(s, _)| s.name == name)
            .map(|(_, t)| t.as_ref())
    }

    /// Runs one call. Never panics and never fails the session: unknown
    /// tools, malformed JSON and bad arguments all become a [`ToolError`].
    pub async fn dispatch(&self, call: &ToolCall, ctx: &ToolContext) -> ToolResult {
        let start = Instant::now();
        let outcome = self.run(call, ctx).await;
        ToolResult {
            outcome,
            duration: start.elapsed(),
        }
    }

    async fn run(&self, call: &ToolCall, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let Some(tool) = self.get(&call.name) else {
            let available = self
                .entries
                .iter()
                .map(|(s, _)| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ToolError::UnknownTool {
                name: call.name.clone(),
                available,
            });
        };
        let raw = call.arguments.trim();
        // An empty argument string is how some servers encode "no arguments".
        let args = if raw.is_empty() {
            serde_json::Value::Object(Default::default())
        } else {
            serde_json::from_str::<serde_json::Value>(raw).map_err(|e| ToolError::InvalidJson {
                error: e.to_string(),
            })?
        };
        if !args.is_object() {
            return Err(ToolError::InvalidArguments(format!(
                "expected a JSON object, got {}",
                json_kind(&args)
            )));
        }
        tokio::select! {
            out = tool.call(args, ctx) => out,
            _ = ctx.cancel.cancelled() => Err(ToolError::Cancelled),
        }
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
