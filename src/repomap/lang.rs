//! Which grammar and which tags query a file gets, by its extension.
//!
//! Each grammar crate's own `TAGS_QUERY` is used where it has one; small
//! queries of ours add what those leave out (type references, mostly), so
//! the file graph has edges for more than function calls. C and C++ ship no
//! references at all, so every identifier counts as one there (as Aider
//! does with its token fallback).

use std::path::Path;
use std::sync::OnceLock;

use tree_sitter::{Language, Query};

use super::RepoMapError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
    Java,
    C,
    Cpp,
}

/// Every language, for tests and for compiling queries up front.
pub const ALL: [Lang; 9] = [
    Lang::Rust,
    Lang::Python,
    Lang::JavaScript,
    Lang::TypeScript,
    Lang::Tsx,
    Lang::Go,
    Lang::Java,
    Lang::C,
    Lang::Cpp,
];

const RUST_EXTRA: &str = r#"
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant
(type_identifier) @name @reference.type
(scoped_identifier name: (identifier) @name) @reference.call
"#;

const PYTHON_EXTRA: &str = r#"
(class_definition superclasses: (argument_list (identifier) @name) @reference.class)
(type (identifier) @name) @reference.type
"#;

const TS_EXTRA: &str = r#"
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.type
(type_identifier) @name @reference.type
"#;

const JAVA_EXTRA: &str = r#"
(enum_declaration name: (identifier) @name) @definition.type
(record_declaration name: (identifier) @name) @definition.class
(type_identifier) @name @reference.type
"#;

const C_REFS: &str = r#"
(identifier) @name @reference.name
(type_identifier) @name @reference.type
(field_identifier) @name @reference.field
"#;

impl Lang {
    /// The language of a file, from its extension; `None` for anything
    /// kiln has no grammar for.
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?;
        Some(match ext {
            "rs" => Self::Rust,
            "py" | "pyi" => Self::Python,
            "js" | "mjs" | "cjs" | "jsx" => Self::JavaScript,
            "ts" | "mts" | "cts" => Self::TypeScript,
            "tsx" => Self::Tsx,
            "go" => Self::Go,
            "java" => Self::Java,
            "c" | "h" => Self::C,
            "cc" | "cpp" | "cxx" | "c++" | "hh" | "hpp" | "hxx" | "h++" => Self::Cpp,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Python => "python",
            Self::JavaScript => "javascript",
            Self::TypeScript => "typescript",
            Self::Tsx => "tsx",
            Self::Go => "go",
            Self::Java => "java",
            Self::C => "c",
            Self::Cpp => "cpp",
        }
    }

    fn language(self) -> Language {
        match self {
            Self::Rust => tree_sitter_rust::LANGUAGE.into(),
            Self::Python => tree_sitter_python::LANGUAGE.into(),
            Self::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Self::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Self::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Self::Go => tree_sitter_go::LANGUAGE.into(),
            Self::Java => tree_sitter_java::LANGUAGE.into(),
            Self::C => tree_sitter_c::LANGUAGE.into(),
            Self::Cpp => tree_sitter_cpp::LANGUAGE.into(),
        }
    }

    /// The tags query: the grammar's own plus ours.
    fn query_source(self) -> String {
        match self {
            Self::Rust => [tree_sitter_rust::TAGS_QUERY, RUST_EXTRA].concat(),
            Self::Python => [tree_sitter_python::TAGS_QUERY, PYTHON_EXTRA].concat(),
            Self::JavaScript => tree_sitter_javascript::TAGS_QUERY.to_string(),
            // TypeScript's tags only add to JavaScript's (its grammar extends it).
            Self::TypeScript | Self::Tsx => [
                tree_sitter_javascript::TAGS_QUERY,
                tree_sitter_typescript::TAGS_QUERY,
                TS_EXTRA,
            ]
            .concat(),
            Self::Go => tree_sitter_go::TAGS_QUERY.to_string(),
            Self::Java => [tree_sitter_java::TAGS_QUERY, JAVA_EXTRA].concat(),
            Self::C => [tree_sitter_c::TAGS_QUERY, C_REFS].concat(),
            Self::Cpp => [tree_sitter_cpp::TAGS_QUERY, C_REFS].concat(),
        }
    }

    fn index(self) -> usize {
        ALL.iter().position(|l| *l == self).unwrap_or(0)
    }
}

/// What a capture of the query marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureRole {
    /// The identifier itself (`@name`).
    Name,
    Definition,
    Reference,
    Other,
}

/// A language with its compiled tags query.
pub struct Grammar {
    pub lang: Lang,
    pub language: Language,
    pub query: Query,
    /// The role of each capture, by capture index.
    pub roles: Vec<CaptureRole>,
}

impl Grammar {
    fn compile(lang: Lang) -> Result<Self, RepoMapError> {
        let language = lang.language();
        let query =
            Query::new(&language, &lang.query_source()).map_err(|source| RepoMapError::Query {
                lang: lang.name(),
                source,
            })?;
        let roles = query
            .capture_names()
            .iter()
            .map(|n| match *n {
                "name" => CaptureRole::Name,
                n if n.starts_with("definition.") => CaptureRole::Definition,
                n if n.starts_with("reference.") => CaptureRole::Reference,
                _ => CaptureRole::Other,
            })
            .collect();
        Ok(Self {
            lang,
            language,
            query,
            roles,
        })
    }
}

type Slot = OnceLock<Result<Grammar, RepoMapError>>;
static GRAMMARS: [Slot; 9] = [const { OnceLock::new() }; 9];

/// The grammar of `lang`, its query compiled once per process.
pub fn grammar(lang: Lang) -> Result<&'static Grammar, &'static RepoMapError> {
    GRAMMARS[lang.index()]
        .get_or_init(|| Grammar::compile(lang))
        .as_ref()
}
