//! Match rules: which profile suits a provider and model.

use globset::{GlobBuilder, GlobMatcher};

use super::file::MatchRules;

/// The model a profile is chosen for.
#[derive(Clone, Debug)]
pub struct Target<'a> {
    pub provider: &'a str,
    pub model: &'a str,
    /// Parameter count when the backend knows it (a GGUF's own count).
    pub parameters: Option<u64>,
}

impl<'a> Target<'a> {
    pub fn new(provider: &'a str, model: &'a str, parameters: Option<u64>) -> Self {
        Self {
            provider,
            model,
            parameters,
        }
    }

    /// Size in billions of parameters: the backend's count, else a size in
    /// the model's name (`qwen2.5-coder:1.5b`, `Qwen3-Coder-30B-A3B`: 30).
    pub fn params_b(&self) -> Option<f64> {
        self.parameters
            .map(|p| p as f64 / 1e9)
            .or_else(|| size_in_name(self.model))
    }
}

/// The first `<number>b` in a model name that stands alone (so `a3b`, an
/// active-expert count, and `v2b` are not sizes).
pub fn size_in_name(model: &str) -> Option<f64> {
    let lower = model.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 1] != b'.');
        if !starts_number {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'.') {
            j += 1;
        }
        let ends_in_b = bytes.get(j) == Some(&b'b')
            && bytes.get(j + 1).is_none_or(|c| !c.is_ascii_alphanumeric());
        if ends_in_b && let Ok(n) = lower[i..j].parse::<f64>() {
            return Some(n);
        }
        i = j.max(i + 1);
    }
    None
}

fn glob(pattern: &str) -> Option<GlobMatcher> {
    GlobBuilder::new(pattern)
        .case_insensitive(true)
        .literal_separator(false)
        .build()
        .ok()
        .map(|g| g.compile_matcher())
}

/// Whether any of `patterns` matches `value`.
pub fn any_glob(patterns: &[String], value: &str) -> bool {
    patterns
        .iter()
        .filter_map(|p| glob(p))
        .any(|g| g.is_match(value))
}

/// Why `rules` match `target`, or `None` when they do not.
pub fn explain(rules: &MatchRules, target: &Target) -> Option<String> {
    let mut why = Vec::new();
    if !rules.providers.is_empty() {
        if !any_glob(&rules.providers, target.provider) {
            return None;
        }
        if rules.providers.iter().any(|p| p != "*") {
            why.push(format!("provider {}", target.provider));
        }
    }
    if !rules.models.is_empty() {
        if !any_glob(&rules.models, target.model) {
            return None;
        }
        why.push(format!("model name {}", target.model));
    }
    if let Some(max) = rules.max_params_b {
        let size = target.params_b()?;
        if size > max {
            return None;
        }
        why.push(format!("{size:.1}B parameters ≤ {max}B"));
    }
    if why.is_empty() {
        // Rules with no condition would match everything; they are
        // treated as never matching, so `[match]` must say something.
        return None;
    }
    Some(why.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    use Target as T;

    #[test]
    fn sizes_from_names() {
        assert_eq!(size_in_name("qwen2.5-coder:1.5b"), Some(1.5));
        assert_eq!(
            size_in_name("Qwen/Qwen3-Coder-30B-A3B-Instruct"),
            Some(30.0)
        );
        assert_eq!(size_in_name("openai/gpt-oss-120b"), Some(120.0));
        assert_eq!(size_in_name("Qwen2.5 Coder 0.5B Instruct"), Some(0.5));
        assert_eq!(size_in_name("moonshotai/kimi-k2"), None);
        assert_eq!(size_in_name("qwen3-a3b"), None);
        assert_eq!(size_in_name("gpt-4o"), None);
    }

    #[test]
    fn every_condition_must_hold() {
        let rules = MatchRules {
            providers: vec!["local".into(), "ollama".into()],
            max_params_b: Some(8.0),
            ..Default::default()
        };
        let why = explain(&rules, &T::new("local", "x", Some(1_500_000_000))).unwrap();
        assert!(why.contains("provider local"), "{why}");
        assert!(why.contains("1.5B parameters ≤ 8B"), "{why}");
        assert!(explain(&rules, &T::new("openai", "x-1b", None)).is_none());
        assert!(explain(&rules, &T::new("ollama", "qwen3:14b", None)).is_none());
        assert!(explain(&rules, &T::new("ollama", "qwen3:8b", None)).is_some());
        // Unknown size: a size limit cannot be shown to hold.
        assert!(explain(&rules, &T::new("ollama", "mystery", None)).is_none());
    }

    #[test]
    fn model_globs_ignore_case_and_empty_rules_never_match() {
        let rules = MatchRules {
            models: vec!["*qwen3-coder*".into()],
            ..Default::default()
        };
        assert!(explain(&rules, &T::new("openrouter", "qwen/Qwen3-Coder", None)).is_some());
        assert!(explain(&rules, &T::new("openrouter", "qwen/qwen2.5-coder", None)).is_none());
        assert!(explain(&MatchRules::default(), &T::new("local", "m", Some(1))).is_none());
    }
}
