//! Catalog tests: layers, inheritance, overrides and errors, on real
//! profile directories.

use std::path::Path;

use super::*;

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn builtins_resolve_with_their_tools() {
    let catalog = Catalog::builtin().unwrap();
    assert_eq!(
        catalog.names(),
        ["default", "local-large", "local-small", "minimal"]
    );
    let default = catalog.get("default").unwrap();
    assert_eq!(
        default.tools,
        [
            "read_file",
            "list_files",
            "grep",
            "repo_map",
            "symbols",
            "edit_file",
            "write_file",
            "shell"
        ]
    );
    let large = catalog.get("local-large").unwrap();
    assert_eq!(large.tools, default.tools, "inherited");
    assert_eq!(large.system, default.system, "inherited system.md");
    assert_eq!(large.sampling.temperature, Some(0.6));
    assert_eq!(catalog.get("minimal").unwrap().tools, ["shell"]);
    let small = catalog.get("local-small").unwrap();
    assert!(small.scaffold.nudge.is_some());
    assert_eq!(small.sampling.temperature, Some(0.0));
    assert!(small.tool_overrides.contains_key("edit_file"));
}

#[test]
fn user_and_repo_layers_override_in_order() {
    let user = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    // The user's local-small extends the built-in one; the repository's
    // extends the user's.
    write(
        user.path(),
        "local-small/profile.toml",
        "inherit = \"local-small\"\ndescription = \"user small\"\n[tool_output]\nmax_lines = 99\n",
    );
    write(
        repo.path(),
        "local-small/profile.toml",
        "inherit = \"local-small\"\n[sampling]\ntemperature = 0.3\n",
    );
    write(
        repo.path(),
        "local-small/system.md",
        "Repo prompt for {{ workspace }}.",
    );
    // A new profile, whole-file edits, inheriting default.
    write(
        repo.path(),
        "whole/profile.toml",
        "inherit = \"default\"\nedit_style = \"whole_file\"\ntools = [\"read_file\", \"shell\"]\n",
    );
    write(
        repo.path(),
        "whole/tools/shell.toml",
        "description = \"Run it.\"\n",
    );
    let catalog = Catalog::load(Some(user.path()), Some(repo.path())).unwrap();
    let small = catalog.get("local-small").unwrap();
    assert_eq!(small.description, "user small", "from the user layer");
    assert_eq!(small.tool_output.max_lines, 99, "from the user layer");
    assert_eq!(small.tool_output.max_tokens, 2000, "from the built-in");
    assert_eq!(small.sampling.temperature, Some(0.3), "from the repo layer");
    assert_eq!(small.system.source, "Repo prompt for {{ workspace }}.");
    assert!(
        small.rules.is_some(),
        "extending its own name keeps the match rules"
    );
    assert!(small.scaffold.nudge.is_some(), "built-in scaffold kept");
    let whole = catalog.get("whole").unwrap();
    assert_eq!(whole.tools, ["read_file", "write_file", "shell"]);
    assert!(
        whole.rules.is_none(),
        "match rules are not inherited across names"
    );
    let base = crate::tools::spec::load_specs(None).unwrap();
    let specs = whole.specs(&base).unwrap();
    let names: Vec<_> = specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["read_file", "write_file", "shell"]);
    assert_eq!(specs[2].description, "Run it.");
    assert_eq!(
        specs[2].parameters,
        base.iter().find(|s| s.name == "shell").unwrap().parameters
    );
}

#[test]
fn a_same_name_profile_without_inherit_replaces_the_lower_one() {
    let repo = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "default/profile.toml",
        "tools = [\"shell\"]\nedit_style = \"shell\"\n",
    );
    write(repo.path(), "default/system.md", "Mine.");
    let catalog = Catalog::load(None, Some(repo.path())).unwrap();
    let d = catalog.get("default").unwrap();
    assert_eq!(d.tools, ["shell"]);
    assert_eq!(d.system.source, "Mine.");
    assert_eq!(
        d.tool_output.max_lines, 400,
        "root defaults, not the built-in's"
    );
}

#[test]
fn errors_name_the_file_line_and_problem() {
    let repo = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "bad/profile.toml",
        "inherit = \"default\"\n\ntool_calls = \"xml\"\n",
    );
    let err = Catalog::load(None, Some(repo.path()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad/profile.toml:3:"), "{err}");
    assert!(err.contains("native") && err.contains("text"), "{err}");

    let repo = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "orphan/profile.toml",
        "description = \"no prompt\"\n",
    );
    let catalog = Catalog::load(None, Some(repo.path())).unwrap();
    let err = catalog.get("orphan").unwrap_err().to_string();
    assert!(
        err.contains("orphan/profile.toml") && err.contains("system.md"),
        "{err}"
    );

    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "a/profile.toml", "inherit = \"b\"\n");
    write(repo.path(), "b/profile.toml", "inherit = \"a\"\n");
    let catalog = Catalog::load(None, Some(repo.path())).unwrap();
    let err = catalog.get("a").unwrap_err().to_string();
    assert!(
        err.contains("cycle") && err.contains("a (repository) → b"),
        "{err}"
    );

    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "c/profile.toml", "inherit = \"nope\"\n");
    let catalog = Catalog::load(None, Some(repo.path())).unwrap();
    let err = catalog.get("c").unwrap_err().to_string();
    assert!(
        err.contains("unknown profile `nope`") && err.contains("local-small"),
        "{err}"
    );

    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "d/profile.toml", "inherit = \"default\"\n");
    write(repo.path(), "d/tools/browser.toml", "description = \"x\"\n");
    let err = Catalog::load(None, Some(repo.path()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("browser.toml") && err.contains("no built-in tool"),
        "{err}"
    );

    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "e/profile.toml", "inherit = \"default\"\n");
    write(repo.path(), "e/system.md", "Line one\n{{ workspace }\n");
    let catalog = Catalog::load(None, Some(repo.path())).unwrap();
    let e = catalog.get("e").unwrap();
    let err = assemble::assemble(&e, &Default::default(), repo.path(), repo.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("e/system.md:2:"), "{err}");
}

#[test]
fn text_mode_describes_the_tools_in_the_prompt() {
    let repo = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "t/profile.toml",
        "inherit = \"default\"\ntool_calls = \"text\"\n",
    );
    let catalog = Catalog::load(None, Some(repo.path())).unwrap();
    let t = catalog.get("t").unwrap();
    let a = assemble::assemble(&t, &Default::default(), repo.path(), repo.path()).unwrap();
    assert!(
        a.system_prompt.contains("<tool_call>"),
        "{}",
        a.system_prompt
    );
    assert!(
        a.system_prompt.contains("\"name\":\"edit_file\""),
        "{}",
        a.system_prompt
    );
    let d = catalog.get("default").unwrap();
    let a = assemble::assemble(&d, &Default::default(), repo.path(), repo.path()).unwrap();
    assert!(!a.system_prompt.contains("<tool_call>"));
}
