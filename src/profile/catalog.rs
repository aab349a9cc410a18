//! Finding profiles (built-in, user, repository) and resolving `inherit`.
//!
//! Layers, later wins: the built-ins embedded from `prompts/`, then
//! `~/.config/kiln/prompts/<name>/`, then `<repo>/.kiln/prompts/<name>/`. A
//! profile replaces one of the same name in a lower layer, unless it
//! inherits it (`inherit = "<its own name>"`), in which case it extends it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::ProfileError;
use super::file::{EditStyle, ProfileFile, TOOL_ORDER};
use super::{OutputBudget, Profile, Text};
use crate::agent::Scaffold;
use crate::chat::ToolCallMode;

/// Where a profile was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    Builtin,
    User,
    Repo,
}

impl Layer {
    pub fn label(self) -> &'static str {
        match self {
            Layer::Builtin => "built-in",
            Layer::User => "user",
            Layer::Repo => "repository",
        }
    }
}

type BuiltinProfile = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [(&'static str, &'static str)],
);

const BUILTIN: &[BuiltinProfile] = &[
    (
        "default",
        include_str!("../../prompts/default/profile.toml"),
        Some(include_str!("../../prompts/default/system.md")),
        &[],
    ),
    (
        "local-small",
        include_str!("../../prompts/local-small/profile.toml"),
        Some(include_str!("../../prompts/local-small/system.md")),
        &[
            (
                "read_file",
                include_str!("../../prompts/local-small/tools/read_file.toml"),
            ),
            (
                "list_files",
                include_str!("../../prompts/local-small/tools/list_files.toml"),
            ),
            (
                "grep",
                include_str!("../../prompts/local-small/tools/grep.toml"),
            ),
            (
                "edit_file",
                include_str!("../../prompts/local-small/tools/edit_file.toml"),
            ),
            (
                "write_file",
                include_str!("../../prompts/local-small/tools/write_file.toml"),
            ),
            (
                "shell",
                include_str!("../../prompts/local-small/tools/shell.toml"),
            ),
        ],
    ),
    (
        "local-large",
        include_str!("../../prompts/local-large/profile.toml"),
        None,
        &[],
    ),
    (
        "minimal",
        include_str!("../../prompts/minimal/profile.toml"),
        Some(include_str!("../../prompts/minimal/system.md")),
        &[],
    ),
];

/// One profile as found, before inheritance.
#[derive(Clone, Debug)]
struct Source {
    name: String,
    layer: Layer,
    /// `built-in` or the profile's directory.
    origin: String,
    file: ProfileFile,
    system: Option<Text>,
    tools: BTreeMap<String, Text>,
}

/// Every profile kiln can use in a workspace.
#[derive(Clone, Debug)]
pub struct Catalog {
    sources: Vec<Source>,
}

/// The user's profile directory: `~/.config/kiln/prompts`.
pub fn user_dir() -> Option<PathBuf> {
    crate::config::user_config_path().and_then(|p| p.parent().map(|d| d.join("prompts")))
}

impl Catalog {
    /// The built-in profiles only.
    pub fn builtin() -> Result<Self, ProfileError> {
        let mut sources = Vec::new();
        for (name, toml, system, tools) in BUILTIN {
            let file = ProfileFile::parse(toml, &format!("prompts/{name}/profile.toml"))?;
            sources.push(Source {
                name: name.to_string(),
                layer: Layer::Builtin,
                origin: Layer::Builtin.label().into(),
                file,
                system: system.map(|s| Text {
                    origin: format!("prompts/{name}/system.md"),
                    source: s.to_string(),
                }),
                tools: tools
                    .iter()
                    .map(|(tool, text)| {
                        let origin = format!("prompts/{name}/tools/{tool}.toml");
                        (tool.to_string(), Text::new(origin, *text))
                    })
                    .collect(),
            });
        }
        Ok(Self { sources })
    }

    /// Built-ins, then the user's and the repository's profiles.
    pub fn discover(repo_root: &Path) -> Result<Self, ProfileError> {
        let repo = repo_root.join(".kiln").join("prompts");
        Self::load(user_dir().as_deref(), Some(&repo))
    }

    /// Built-ins plus the profiles in `user` and `repo` (either may be
    /// missing).
    pub fn load(user: Option<&Path>, repo: Option<&Path>) -> Result<Self, ProfileError> {
        let mut catalog = Self::builtin()?;
        for (dir, layer) in [(user, Layer::User), (repo, Layer::Repo)] {
            if let Some(dir) = dir.filter(|d| d.is_dir()) {
                catalog.sources.extend(read_layer(dir, layer)?);
            }
        }
        Ok(catalog)
    }

    /// Profile names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.sources.iter().map(|s| s.name.clone()).collect();
        names.sort();
        names.dedup();
        names
    }

    /// Every profile, resolved, sorted by name.
    pub fn all(&self) -> Result<Vec<Profile>, ProfileError> {
        self.names().iter().map(|n| self.get(n)).collect()
    }

    /// The profile `name`, with its inheritance resolved.
    pub fn get(&self, name: &str) -> Result<Profile, ProfileError> {
        self.resolve(name, None, &mut Vec::new())
    }

    fn resolve(
        &self,
        name: &str,
        below: Option<Layer>,
        stack: &mut Vec<String>,
    ) -> Result<Profile, ProfileError> {
        let source = self
            .sources
            .iter()
            .rev()
            .find(|s| s.name == name && below.is_none_or(|b| s.layer < b))
            .ok_or_else(|| ProfileError::Unknown {
                name: name.to_string(),
                available: self.names().join(", "),
            })?;
        let key = format!("{name} ({})", source.layer.label());
        if stack.contains(&key) {
            stack.push(key);
            return Err(ProfileError::Cycle {
                name: name.to_string(),
                chain: stack.join(" → "),
            });
        }
        stack.push(key);
        let parent = match &source.file.inherit {
            Some(p) if p == name => Some(self.resolve(p, Some(source.layer), stack)?),
            Some(p) => Some(self.resolve(p, None, stack)?),
            None => None,
        };
        stack.pop();
        merge(source, parent)
    }
}

/// Reads every `<name>/profile.toml` under `dir`.
fn read_layer(dir: &Path, layer: Layer) -> Result<Vec<Source>, ProfileError> {
    let io = |path: &Path, error| ProfileError::Io {
        path: path.to_path_buf(),
        error,
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for pdir in dirs {
        let Some(name) = pdir.file_name().and_then(|n| n.to_str()).map(String::from) else {
            continue;
        };
        let toml_path = pdir.join("profile.toml");
        if !toml_path.is_file() {
            return Err(ProfileError::InFile {
                file: pdir.display().to_string(),
                problem: "a profile directory needs a profile.toml".into(),
            });
        }
        let text = std::fs::read_to_string(&toml_path).map_err(|e| io(&toml_path, e))?;
        let file = ProfileFile::parse(&text, &toml_path.display().to_string())?;
        let system_path = pdir.join("system.md");
        let system = match system_path.is_file() {
            true => Some(Text {
                origin: system_path.display().to_string(),
                source: std::fs::read_to_string(&system_path).map_err(|e| io(&system_path, e))?,
            }),
            false => None,
        };
        out.push(Source {
            name,
            layer,
            origin: pdir.display().to_string(),
            file,
            system,
            tools: read_tool_overrides(&pdir.join("tools"))?,
        });
    }
    Ok(out)
}

fn read_tool_overrides(dir: &Path) -> Result<BTreeMap<String, Text>, ProfileError> {
    let mut out = BTreeMap::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let entries = std::fs::read_dir(dir).map_err(|error| ProfileError::Io {
        path: dir.to_path_buf(),
        error,
    })?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let Some(tool) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".toml"))
        else {
            continue;
        };
        if !TOOL_ORDER.contains(&tool) {
            return Err(ProfileError::InFile {
                file: path.display().to_string(),
                problem: format!(
                    "no built-in tool `{tool}`; tools: {}",
                    TOOL_ORDER.join(", ")
                ),
            });
        }
        let source = std::fs::read_to_string(&path).map_err(|error| ProfileError::Io {
            path: path.clone(),
            error,
        })?;
        out.insert(
            tool.to_string(),
            Text {
                origin: path.display().to_string(),
                source,
            },
        );
    }
    Ok(out)
}

/// A profile from its source and its resolved parent.
fn merge(source: &Source, parent: Option<Profile>) -> Result<Profile, ProfileError> {
    let f = &source.file;
    let file_name = match source.layer {
        Layer::Builtin => format!("prompts/{}/profile.toml", source.name),
        _ => format!("{}/profile.toml", source.origin),
    };
    let same_name = parent.as_ref().is_some_and(|p| p.name == source.name);
    let base = parent.unwrap_or_else(|| Profile::root(&source.name));
    let system = match (&source.system, base.system.source.is_empty()) {
        (Some(s), _) => s.clone(),
        (None, false) => base.system.clone(),
        (None, true) => {
            return Err(ProfileError::InFile {
                file: file_name,
                problem: "the profile has no system.md and inherits none \
                          (add system.md or `inherit = \"default\"`)"
                    .into(),
            });
        }
    };
    let edit_style = f.edit_style.unwrap_or(base.edit_style);
    let plain: Vec<String> = match &f.tools {
        Some(t) => t.clone(),
        None => base
            .tools
            .iter()
            .filter(|t| !super::file::EDIT_TOOLS.contains(&t.as_str()))
            .cloned()
            .collect(),
    };
    let tools = TOOL_ORDER
        .iter()
        .filter(|t| plain.iter().any(|p| p == *t) || edit_style.tools().contains(t))
        .map(|t| t.to_string())
        .collect();
    let mut tool_overrides = base.tool_overrides.clone();
    tool_overrides.extend(source.tools.clone());
    let mut hints = base.scaffold.hints.clone();
    hints.extend(f.scaffold.hints.clone());
    let s = &f.scaffold;
    Ok(Profile {
        name: source.name.clone(),
        description: f.description.clone().unwrap_or(base.description),
        origin: source.origin.clone(),
        inherits: f.inherit.clone(),
        system,
        tools,
        edit_style,
        tool_calls: f.tool_calls.unwrap_or(base.tool_calls),
        read_before_edit: f.read_before_edit.unwrap_or(base.read_before_edit),
        first_call_tools: f.first_call_tools.clone().unwrap_or(base.first_call_tools),
        sampling: f.sampling.or(base.sampling),
        tool_output: OutputBudget {
            max_lines: f
                .tool_output
                .max_lines
                .unwrap_or(base.tool_output.max_lines),
            max_tokens: f
                .tool_output
                .max_tokens
                .unwrap_or(base.tool_output.max_tokens),
        },
        compact_at: f.compact_at.unwrap_or(base.compact_at),
        repo_map_tokens: f.repo_map_tokens.unwrap_or(base.repo_map_tokens),
        // Match rules are not inherited, except by a profile extending
        // the one of its own name: a derived profile says when it applies.
        rules: f
            .rules
            .clone()
            .or(if same_name { base.rules } else { None }),
        scaffold: Scaffold {
            max_nudges: s.max_nudges.unwrap_or(base.scaffold.max_nudges),
            nudge: s.nudge.clone().or(base.scaffold.nudge),
            done_hint: s.done_hint.clone().or(base.scaffold.done_hint),
            repeat_notice: s.repeat_notice.clone().or(base.scaffold.repeat_notice),
            hints,
        },
        tool_overrides,
    })
}

impl Profile {
    /// What a profile without `inherit` starts from.
    fn root(name: &str) -> Profile {
        Profile {
            name: name.to_string(),
            description: String::new(),
            origin: String::new(),
            inherits: None,
            system: Text::default(),
            tools: ["read_file", "list_files", "grep", "shell"]
                .map(String::from)
                .to_vec(),
            edit_style: EditStyle::default(),
            tool_calls: ToolCallMode::default(),
            read_before_edit: false,
            first_call_tools: Vec::new(),
            sampling: Default::default(),
            tool_output: OutputBudget {
                max_lines: 400,
                max_tokens: 7500,
            },
            compact_at: 0.8,
            repo_map_tokens: 0,
            rules: None,
            scaffold: Scaffold::default(),
            tool_overrides: BTreeMap::new(),
        }
    }
}
