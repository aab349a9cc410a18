#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use super::lang::{ALL, Lang, grammar};
use super::rank::{Focus, rank};
use super::render::render;
use super::tags::extract;
use super::{cache, index, map};
use crate::profile::tokens::estimate;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/repomap");
const FIXTURE_FILES: usize = 15;

/// A copy of the fixture in a temporary directory, so tests can change it.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURE), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

fn tags_of(lang: Lang, source: &str) -> super::tags::LocalTags {
    let mut parser = tree_sitter::Parser::new();
    extract(&mut parser, grammar(lang).unwrap(), source.as_bytes()).unwrap()
}

fn position(ranked: &[super::RankedDef<'_>], file: &str) -> usize {
    ranked
        .iter()
        .position(|r| r.file == Path::new(file))
        .unwrap_or_else(|| panic!("{file} not ranked"))
}

#[test]
fn every_query_compiles() {
    for lang in ALL {
        if let Err(e) = grammar(lang) {
            panic!("{}: {e}", lang.name());
        }
    }
}

#[test]
fn extensions_pick_languages() {
    assert_eq!(Lang::from_path(Path::new("a/b.rs")), Some(Lang::Rust));
    assert_eq!(Lang::from_path(Path::new("x.tsx")), Some(Lang::Tsx));
    assert_eq!(Lang::from_path(Path::new("x.hpp")), Some(Lang::Cpp));
    assert_eq!(Lang::from_path(Path::new("x.h")), Some(Lang::C));
    assert_eq!(Lang::from_path(Path::new("Makefile")), None);
    assert_eq!(Lang::from_path(Path::new("x.md")), None);
}

#[test]
fn rust_defs_and_refs() {
    let tags = tags_of(
        Lang::Rust,
        "struct Foo;\nimpl Foo {\n    fn bar(&self) -> Baz { helper() }\n}\nfn helper() {}\n",
    );
    let defs: Vec<(&str, u32, u32)> = tags
        .defs
        .iter()
        .map(|(n, l, w)| (n.as_str(), *l, *w))
        .collect();
    let bar = "fn bar(&self) -> Baz { helper() }".len() as u32;
    assert_eq!(defs, [("Foo", 1, 11), ("bar", 3, bar), ("helper", 5, 14)]);
    let refs: Vec<(&str, &[u32])> = tags
        .refs
        .iter()
        .map(|(n, l)| (n.as_str(), l.as_slice()))
        .collect();
    // The definition names themselves are not references.
    assert_eq!(refs, [("Baz", &[3][..]), ("Foo", &[2]), ("helper", &[3])]);
}

#[test]
fn reference_lines_survive_interning_and_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("lib.rs"), "pub fn helper() {}\n").unwrap();
    std::fs::write(
        d.join("main.rs"),
        "fn main() {\n    helper();\n\n    helper(); helper();\n}\n",
    )
    .unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    for run in ["cold", "warm"] {
        let idx = index::build(d, Some(cache_dir.path()));
        let sym = idx.names.find("helper").unwrap();
        let main = &idx.files[Path::new("main.rs")];
        assert_eq!(main.ref_lines_of(sym), [2, 4, 4], "{run}");
        assert_eq!(main.refs.iter().find(|r| r.name == sym).unwrap().count, 3);
        let lib = &idx.files[Path::new("lib.rs")];
        assert_eq!(lib.defs[0].name, sym, "{run}");
        assert!(lib.ref_lines_of(sym).is_empty());
        assert!(idx.names.is_valid(), "{run}");
    }
}

#[test]
fn fixture_map_snapshot() {
    let dir = fixture();
    let out = map(dir.path(), None, &Focus::default(), 10_000);
    assert_eq!(out.stats.files, FIXTURE_FILES);
    assert_eq!(out.stats.parsed, FIXTURE_FILES);
    assert_eq!(out.stats.skipped(), 0);
    insta::assert_snapshot!(out.text);
}

#[test]
fn map_fits_the_budget() {
    let dir = fixture();
    let full = map(dir.path(), None, &Focus::default(), 10_000).text;
    for budget in [20, 50, 100] {
        let text = map(dir.path(), None, &Focus::default(), budget).text;
        assert!(estimate(&text) <= budget, "{budget}: {text}");
        assert!(!text.is_empty(), "{budget}");
        assert!(text.len() < full.len());
    }
    assert_eq!(map(dir.path(), None, &Focus::default(), 0).text, "");
}

#[test]
fn ranking_moves_towards_a_mentioned_file() {
    let dir = fixture();
    let idx = index::build(dir.path(), None);
    let plain = rank(&idx, &Focus::default());
    let focused = rank(
        &idx,
        &Focus {
            mentioned_files: vec![PathBuf::from("go/main.go")],
            ..Focus::default()
        },
    );
    let before = position(&plain, "go/server.go");
    let after = position(&focused, "go/server.go");
    assert!(after < before, "{before} -> {after}");
    // What go/main.go uses is what the map now leads with.
    assert_eq!(focused[0].file, Path::new("go/server.go"));
}

#[test]
fn ranking_moves_towards_a_mentioned_identifier() {
    let dir = fixture();
    let idx = index::build(dir.path(), None);
    let plain = rank(&idx, &Focus::default());
    let focused = rank(
        &idx,
        &Focus {
            mentioned_idents: vec!["list_push".into()],
            ..Focus::default()
        },
    );
    let name_pos =
        |r: &[super::RankedDef<'_>]| r.iter().position(|d| d.name == "list_push").unwrap();
    assert!(
        name_pos(&focused) < name_pos(&plain),
        "{} -> {}: {focused:#?}",
        name_pos(&plain),
        name_pos(&focused)
    );
}

#[test]
fn chat_files_pull_hardest_and_leave_the_map() {
    let dir = fixture();
    let idx = index::build(dir.path(), None);
    let focused = rank(
        &idx,
        &Focus {
            chat_files: vec![PathBuf::from("py/app.py")],
            ..Focus::default()
        },
    );
    assert!(focused.iter().all(|r| r.file != Path::new("py/app.py")));
    assert_eq!(focused[0].file, Path::new("py/util.py"));
    let text = render(&idx, &focused, 10_000).text;
    assert!(text.starts_with("py/util.py:\n"), "{text}");
}

#[test]
fn cache_is_used_and_invalidated_when_a_file_changes() {
    let dir = fixture();
    let cache_dir = tempfile::tempdir().unwrap();
    let first = index::build(dir.path(), Some(cache_dir.path()));
    assert_eq!((first.stats.parsed, first.stats.cached), (FIXTURE_FILES, 0));

    let warm = index::build(dir.path(), Some(cache_dir.path()));
    assert_eq!((warm.stats.parsed, warm.stats.cached), (0, FIXTURE_FILES));
    assert_eq!(warm.files, first.files);

    let changed = dir.path().join("src/config.rs");
    let mut text = std::fs::read_to_string(&changed).unwrap();
    text.push_str("\npub fn save_config(config: &Config) {}\n");
    std::fs::write(&changed, text).unwrap();
    std::fs::remove_file(dir.path().join("cpp/shape.cpp")).unwrap();

    let after = index::build(dir.path(), Some(cache_dir.path()));
    assert_eq!(after.stats.parsed, 1);
    assert_eq!(after.stats.cached, FIXTURE_FILES - 2);
    let save = after.names.find("save_config").unwrap();
    let defs = &after.files[Path::new("src/config.rs")].defs;
    assert!(defs.iter().any(|d| d.name == save), "{defs:?}");
    // Names only the deleted file used are gone from the table.
    assert!(first.names.find("Shape").is_some());
    assert!(after.names.find("Shape").is_none());
    assert!(!after.files.contains_key(Path::new("cpp/shape.cpp")));

    // The rewritten cache no longer holds the deleted file.
    let body = cache::load(&cache::path_for(cache_dir.path(), dir.path())).unwrap();
    assert_eq!(body.files.len(), FIXTURE_FILES - 1);
    assert_eq!(body.names, after.names);
}

#[test]
fn a_corrupt_cache_is_ignored_and_rewritten() {
    let dir = fixture();
    let cache_dir = tempfile::tempdir().unwrap();
    index::build(dir.path(), Some(cache_dir.path()));
    let path = cache::path_for(cache_dir.path(), dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(cache::load(&path).unwrap_err(), "checksum mismatch");

    let rebuilt = index::build(dir.path(), Some(cache_dir.path()));
    assert_eq!(rebuilt.stats.parsed, FIXTURE_FILES);
    assert!(cache::load(&path).is_ok());

    std::fs::write(&path, b"garbage").unwrap();
    let again = index::build(dir.path(), Some(cache_dir.path()));
    assert_eq!(again.stats.parsed, FIXTURE_FILES);
}

#[test]
fn a_well_formed_cache_that_does_not_fit_its_names_is_ignored() {
    let dir = fixture();
    let cache_dir = tempfile::tempdir().unwrap();
    index::build(dir.path(), Some(cache_dir.path()));
    let path = cache::path_for(cache_dir.path(), dir.path());
    let body = cache::load(&path).unwrap();
    let rewrite = |names: &super::names::Names| {
        let files = body
            .files
            .iter()
            .map(|e| cache::EntryRef {
                path: &e.path,
                stamp: e.stamp,
                tags: &e.tags,
            })
            .collect();
        cache::store(&path, &cache::BodyRef { names, files }).unwrap();
    };
    // Checksums match; the content is what is wrong.
    rewrite(&super::names::Names::from_sorted(["a"]).unwrap());
    assert_eq!(
        cache::load(&path).unwrap_err(),
        "tags outside the name table"
    );
    let rebuilt = index::build(dir.path(), Some(cache_dir.path()));
    assert_eq!(rebuilt.stats.parsed, FIXTURE_FILES);
    rewrite(&super::names::Names::from_sorted(["b", "a"]).unwrap());
    assert_eq!(cache::load(&path).unwrap_err(), "bad name table");
    let rebuilt = index::build(dir.path(), Some(cache_dir.path()));
    assert_eq!(rebuilt.stats.parsed, FIXTURE_FILES);
    assert!(cache::load(&path).is_ok());
}

#[test]
fn bad_files_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ok.rs"), "fn fine() {}\n").unwrap();
    std::fs::write(d.join("latin1.py"), b"def f():\n    return '\xe9'\n").unwrap();
    std::fs::write(d.join("blob.c"), b"int x;\0\0\0\xff").unwrap();
    let huge = "// x\n".repeat((index::MAX_FILE_BYTES as usize) / 5 + 1);
    std::fs::write(d.join("huge.js"), huge).unwrap();
    std::fs::write(d.join("broken.go"), "func ((( {{{ type\n").unwrap();
    std::fs::write(d.join("notes.txt"), "not source").unwrap();

    let idx = index::build(d, None);
    assert_eq!(idx.stats.files, 5);
    assert_eq!(idx.stats.skipped_binary, 2);
    assert_eq!(idx.stats.skipped_large, 1);
    // A syntax error still parses (tree-sitter recovers).
    assert_eq!(idx.stats.parsed, 2);
    assert_eq!(
        idx.files.keys().collect::<Vec<_>>(),
        [Path::new("broken.go"), Path::new("ok.rs")]
    );
}

#[test]
fn empty_workspace_gives_an_empty_map() {
    let dir = tempfile::tempdir().unwrap();
    let out = map(dir.path(), None, &Focus::default(), 1000);
    assert_eq!(out.text, "");
    assert_eq!(out.stats.files, 0);
}

#[test]
fn an_isolated_file_does_not_outrank_a_shared_definition() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("lib.rs"), "pub fn shared_helper() {}\n").unwrap();
    for name in ["a", "b", "c"] {
        std::fs::write(
            d.join(format!("{name}.rs")),
            format!("fn {name}_main() {{ shared_helper(); }}\n"),
        )
        .unwrap();
    }
    // Refers to nothing: with self-loops in the walk it kept all its rank.
    std::fs::write(d.join("lonely.rs"), "fn lonely_thing() {}\n").unwrap();
    let idx = index::build(d, None);
    let ranked = rank(&idx, &Focus::default());
    assert_eq!(ranked[0].name, "shared_helper", "{ranked:#?}");
    let lonely = ranked.iter().find(|r| r.name == "lonely_thing").unwrap();
    assert!(lonely.rank < ranked[0].rank / 2.0, "{ranked:#?}");
}
