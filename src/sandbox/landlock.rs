//! Applying landlock to the current process (the `sandbox-exec` helper).

use std::path::PathBuf;

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, Ruleset, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus, path_beneath_rules,
};

/// The newest ABI whose rights we ask for; older kernels get what they
/// support (best effort), newer ones are fine.
const ABI_WANTED: ABI = ABI::V5;

/// Whether this kernel enforces landlock at all; the error says why not.
pub fn probe() -> Result<(), String> {
    Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessFs::from_all(ABI::V1))
        .and_then(|r| r.create())
        .map(drop)
        .map_err(|e| format!("landlock: {e}"))
}

/// Restricts this process (and what it execs): read and execute
/// everywhere, write only beneath `writable`, and no TCP when `network`
/// is false.
pub fn restrict(writable: &[PathBuf], network: bool) -> Result<(), String> {
    let fail = |e: landlock::RulesetError| format!("landlock: {e}");
    let mut ruleset = Ruleset::default()
        .handle_access(AccessFs::from_all(ABI_WANTED))
        .map_err(fail)?;
    if !network {
        ruleset = ruleset
            .handle_access(AccessNet::from_all(ABI_WANTED))
            .map_err(fail)?;
    }
    let status = ruleset
        .create()
        .map_err(fail)?
        .add_rules(path_beneath_rules(["/"], AccessFs::from_read(ABI_WANTED)))
        .map_err(fail)?
        .add_rules(path_beneath_rules(writable, AccessFs::from_all(ABI_WANTED)))
        .map_err(fail)?
        .restrict_self()
        .map_err(fail)?;
    match status.ruleset {
        RulesetStatus::NotEnforced => Err("landlock: the kernel did not enforce the rules".into()),
        RulesetStatus::FullyEnforced | RulesetStatus::PartiallyEnforced => Ok(()),
    }
}
