//! What the model is told after an undo, so its picture of the files and
//! the stale-write guard stay right. One function, so a resumed session
//! (which learns of an undo from a `files_restored` event) words it the
//! same way.

use std::path::PathBuf;

/// The note for an undo that put `checkpoint` back and changed `files`.
pub fn restored_note(checkpoint: &str, files: &[PathBuf]) -> String {
    let short = checkpoint.get(..super::SHORT_ID).unwrap_or(checkpoint);
    let list = files
        .iter()
        .map(|f| format!("- {}", f.display()))
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "[kiln] The user undid changes: the workspace was restored to checkpoint {short}. \
         These files were restored (or deleted, where the checkpoint did not have them):\n\
         {list}\n\
         What you read of them before is out of date: read a file again before you edit it."
    )
}
