//! Entry points for the cargo-fuzz targets in `fuzz/`: parsing, hunk
//! application and planning are private to `apply_patch`, so the fuzz crate
//! reaches them through these thin wrappers. Nothing in kiln calls them;
//! nothing here writes a file.

use std::path::{Path, PathBuf};

use super::hunks::apply_hunks;
use super::parse::{Op, parse};
use super::plan::Plan;
use crate::tools::{ToolError, Workspace};

/// The number of file operations in `patch`, or why it does not parse.
pub fn parse_ops(patch: &str) -> Result<usize, String> {
    parse(patch).map(|ops| ops.len())
}

/// Every update section's hunks applied to `content`, as if each section
/// updated a file holding it; `Err` when the patch does not parse.
pub fn apply_to_text(patch: &str, content: &str) -> Result<Vec<Result<String, ToolError>>, String> {
    let ops = parse(patch)?;
    Ok(ops
        .iter()
        .filter_map(|op| match op {
            Op::Update { hunks, .. } => Some(apply_hunks(content, hunks, Path::new("fuzz.txt"))),
            Op::Add { .. } | Op::Delete { .. } => None,
        })
        .collect())
}

/// One file of a planned patch: its path, new content (`None`: deleted)
/// and the diff apply_patch would report.
#[derive(Debug)]
pub struct Planned {
    pub rel: PathBuf,
    pub new: Option<Vec<u8>>,
    pub diff: String,
}

/// Plans `patch` in `ws` (reads files, writes nothing): the summary lines
/// and every file the plan touches.
pub fn plan(patch: &str, ws: &Workspace) -> Result<(Vec<String>, Vec<Planned>), ToolError> {
    let ops = parse(patch).map_err(ToolError::InvalidArguments)?;
    let mut plan = Plan::default();
    let summary = plan.build(&ops, ws)?;
    let files = (0..plan.entries.len())
        .map(|i| Planned {
            rel: plan.entries[i].rel.clone(),
            new: plan.entries[i].new_content().map(<[u8]>::to_vec),
            diff: plan.diff(i),
        })
        .collect();
    Ok((summary, files))
}
