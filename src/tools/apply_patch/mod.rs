//! `apply_patch`: add, update, move and delete files with one patch in the
//! Codex CLI format. Every part is checked and every new content computed
//! before anything is written, so a patch applies whole or not at all.
//!
//! `parse` turns the patch text into operations, `plan` computes every
//! file's new content (with `hunks` locating and applying each hunk) and
//! then writes them all.

#[doc(hidden)]
pub mod fuzz;
mod hunks;
mod parse;
pub use parse::named_paths;
mod plan;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use serde::Deserialize;

use super::truncate;
use super::{Tool, ToolContext, ToolError, ToolOutput, parse_args};
use parse::parse;
use plan::Plan;

pub struct ApplyPatch;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    patch: String,
}

#[async_trait]
impl Tool for ApplyPatch {
    fn name(&self) -> &'static str {
        "apply_patch"
    }

    fn mutates(&self) -> bool {
        true
    }

    async fn call(
        &self,
        args: serde_json::Value,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(args)?;
        let ops = parse(&args.patch).map_err(ToolError::InvalidArguments)?;
        let mut plan = Plan::default();
        let summary = plan.build(&ops, &ctx.workspace).map_err(not_applied)?;
        plan.commit(ctx)?;

        let diff: String = (0..plan.entries.len()).map(|i| plan.diff(i)).collect();
        let mut text = format!("Patch applied:\n{}\n", summary.join("\n"));
        text.push_str(&diff);
        let mut out = truncate::output(text, &ctx.limits);
        out.details.changed_files = plan
            .entries
            .iter()
            .filter(|e| e.changed())
            .map(|e| e.rel.clone())
            .collect();
        out.details.diff = (!diff.is_empty()).then_some(diff);
        Ok(out)
    }
}

/// Says that a refused patch left every file as it was.
fn not_applied(e: ToolError) -> ToolError {
    let note = |m: String| then(m, "Nothing was written");
    match e {
        ToolError::NotFound(m) => ToolError::NotFound(note(m)),
        ToolError::Failed(m) => ToolError::Failed(note(m)),
        ToolError::PathEscape(m) => ToolError::PathEscape(note(m)),
        other => other,
    }
}

/// `first` followed by the sentence `next`.
fn then(first: String, next: &str) -> String {
    let sep = if first.ends_with(['.', '?']) {
        " "
    } else {
        ". "
    };
    format!("{first}{sep}{next}")
}
