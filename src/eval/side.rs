//! A compared side, `PROVIDER:MODEL[@PROFILE]` (see `../shared/CONTRACT.md`),
//! and the special `oracle` provider used by tests, `kiln eval validate`
//! and gate demos.

use std::fmt;

/// A parsed side string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideSpec {
    /// As given: the key of every record.
    pub spec: String,
    pub provider: String,
    pub model: String,
    pub profile: Option<String>,
}

/// What the `oracle` provider does on a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Oracle {
    /// Applies `solution.patch` through kiln's tools.
    Solution,
    /// Answers "done" without touching anything.
    Nothing,
    /// The solution on all tasks but every 4th of the sorted selection,
    /// which get [`Oracle::Nothing`]: a deterministic 75% side for gate
    /// demos.
    Drop25,
}

impl Oracle {
    /// What the oracle does on the task at `index` of the sorted selection.
    pub fn on_task(self, index: usize) -> Oracle {
        match self {
            Oracle::Drop25 if index % 4 == 3 => Oracle::Nothing,
            Oracle::Drop25 => Oracle::Solution,
            other => other,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SideError {
    #[error(
        "side `{0}`: expected PROVIDER:MODEL[@PROFILE], e.g. `local:qwen2.5-coder-1.5b` or \
         `oracle:solution`"
    )]
    Shape(String),
    #[error("side `{0}`: the oracle models are `solution`, `none` and `drop-25`")]
    UnknownOracle(String),
}

impl SideSpec {
    pub fn parse(spec: &str) -> Result<Self, SideError> {
        let shape = || SideError::Shape(spec.to_string());
        let (provider, rest) = spec.split_once(':').ok_or_else(shape)?;
        let (model, profile) = match rest.rsplit_once('@') {
            Some((m, p)) => (m, Some(p)),
            None => (rest, None),
        };
        let bad = |s: &str| s.trim().is_empty() || s.trim() != s;
        if bad(provider) || bad(model) || profile.is_some_and(bad) {
            return Err(shape());
        }
        let side = Self {
            spec: spec.to_string(),
            provider: provider.to_string(),
            model: model.to_string(),
            profile: profile.map(str::to_string),
        };
        if side.provider == "oracle" && side.oracle().is_none() {
            return Err(SideError::UnknownOracle(spec.to_string()));
        }
        Ok(side)
    }

    /// The oracle this side is, if its provider is `oracle`.
    pub fn oracle(&self) -> Option<Oracle> {
        if self.provider != "oracle" {
            return None;
        }
        match self.model.as_str() {
            "solution" => Some(Oracle::Solution),
            "none" => Some(Oracle::Nothing),
            "drop-25" => Some(Oracle::Drop25),
            _ => None,
        }
    }

    /// A file-name-safe form of the spec, for transcript directories.
    pub fn slug(&self) -> String {
        let mut out: String = self
            .spec
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
                _ => '_',
            })
            .collect();
        if out.starts_with('.') {
            out.insert(0, '_');
        }
        out
    }
}

impl fmt::Display for SideSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sides() {
        let s = SideSpec::parse("openrouter:qwen/qwen3-coder@local-large").unwrap();
        assert_eq!(s.provider, "openrouter");
        assert_eq!(s.model, "qwen/qwen3-coder");
        assert_eq!(s.profile.as_deref(), Some("local-large"));
        assert_eq!(s.slug(), "openrouter_qwen_qwen3-coder_local-large");
        let o = SideSpec::parse("ollama:qwen2.5-coder:7b").unwrap();
        assert_eq!(
            (o.provider.as_str(), o.model.as_str()),
            ("ollama", "qwen2.5-coder:7b")
        );
        assert_eq!(o.profile, None);
        assert_eq!(
            SideSpec::parse("oracle:drop-25").unwrap().oracle(),
            Some(Oracle::Drop25)
        );
        for bad in ["local", ":m", "p:", "p:m@", "p: m"] {
            assert!(SideSpec::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            SideSpec::parse("oracle:perfect"),
            Err(SideError::UnknownOracle("oracle:perfect".into()))
        );
    }

    #[test]
    fn drop_25_skips_every_fourth_task() {
        let done: Vec<Oracle> = (0..8).map(|i| Oracle::Drop25.on_task(i)).collect();
        let nothing: Vec<usize> = (0..8).filter(|&i| done[i] == Oracle::Nothing).collect();
        assert_eq!(nothing, [3, 7]);
        assert_eq!(Oracle::Nothing.on_task(0), Oracle::Nothing);
    }
}
