//! Choosing the profile of a session, and saying why.
//!
//! Order: `--profile`; `[model_profiles]` in config (the longest glob
//! matching the model); the provider's `profile` (`[providers.NAME]` or `[local]`);
//! the top-level `profile` (or `KILN_PROFILE`); the match rules of every
//! profile (highest priority wins, then the first by name); else `default`.

use super::rules::{Target, any_glob, explain};
use super::{Catalog, Profile, ProfileError};
use crate::config::Config;

/// The chosen profile and the reason, for events and the UI.
#[derive(Clone, Debug)]
pub struct Selection {
    pub profile: Profile,
    pub reason: String,
}

pub fn select(
    catalog: &Catalog,
    flag: Option<&str>,
    config: &Config,
    target: &Target,
) -> Result<Selection, ProfileError> {
    let chosen = |name: &str, reason: String| {
        Ok(Selection {
            profile: catalog.get(name)?,
            reason,
        })
    };
    if let Some(name) = flag {
        return chosen(name, "--profile".into());
    }
    if let Some((glob, name)) = config
        .model_profiles
        .iter()
        .filter(|(glob, _)| any_glob(std::slice::from_ref(*glob), target.model))
        .max_by_key(|(glob, _)| glob.len())
    {
        return chosen(name, format!("config: model_profiles \"{glob}\""));
    }
    let provider_profile = match target.provider {
        "local" => config.local.profile.clone(),
        p => config.providers.get(p).and_then(|c| c.profile.clone()),
    };
    if let Some(name) = provider_profile {
        let key = match target.provider {
            "local" => "[local] profile".to_string(),
            p => format!("[providers.{p}] profile"),
        };
        return chosen(&name, format!("config: {key}"));
    }
    if let Some(name) = &config.profile {
        return chosen(name, "config: profile".into());
    }
    let mut best: Option<(i32, usize, Profile, String)> = None;
    for (rank, profile) in catalog.all()?.into_iter().enumerate() {
        let Some(rules) = &profile.rules else {
            continue;
        };
        let Some(why) = explain(rules, target) else {
            continue;
        };
        let better = best.as_ref().is_none_or(|(p, _, _, _)| rules.priority > *p);
        if better {
            best = Some((rules.priority, rank, profile.clone(), why));
        }
    }
    match best {
        Some((_, _, profile, why)) => Ok(Selection {
            profile,
            reason: format!("matched: {why}"),
        }),
        None => chosen("default", "no profile's match rules apply".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use Target as T;

    #[test]
    fn builtin_rules_pick_by_size_and_family() {
        let catalog = Catalog::builtin().unwrap();
        let cfg = Config::default();
        let pick = |t: Target| select(&catalog, None, &cfg, &t).unwrap();
        let s = pick(T::new(
            "local",
            "Qwen2.5 Coder 1.5B Instruct",
            Some(1_540_000_000),
        ));
        assert_eq!(s.profile.name, "local-small");
        assert!(s.reason.contains("≤ 8B"), "{}", s.reason);
        assert_eq!(
            pick(T::new("ollama", "qwen2.5-coder:7b", None))
                .profile
                .name,
            "local-small"
        );
        let s = pick(T::new("openrouter", "qwen/qwen3-coder-480b-a35b", None));
        assert_eq!(s.profile.name, "local-large");
        assert_eq!(
            pick(T::new("openrouter", "moonshotai/kimi-k2", None))
                .profile
                .name,
            "local-large"
        );
        // Small beats large for a small model of a large family.
        assert_eq!(
            pick(T::new("ollama", "qwen3:4b", None)).profile.name,
            "local-small"
        );
        let s = pick(T::new("openai", "gpt-4.1", None));
        assert_eq!(s.profile.name, "default");
        assert!(s.reason.contains("no profile"), "{}", s.reason);
    }

    #[test]
    fn flag_beats_config_beats_rules() {
        let catalog = Catalog::builtin().unwrap();
        let mut cfg = Config {
            profile: Some("minimal".into()),
            ..Config::default()
        };
        let t = T::new("local", "tiny", Some(100_000_000));
        let s = select(&catalog, None, &cfg, &t).unwrap();
        assert_eq!(
            (s.profile.name.as_str(), s.reason.as_str()),
            ("minimal", "config: profile")
        );
        cfg.local.profile = Some("local-large".into());
        assert_eq!(
            select(&catalog, None, &cfg, &t).unwrap().profile.name,
            "local-large"
        );
        cfg.model_profiles.insert("TI*".into(), "default".into());
        let s = select(&catalog, None, &cfg, &t).unwrap();
        assert_eq!(s.profile.name, "default");
        assert!(s.reason.contains("model_profiles"), "{}", s.reason);
        let s = select(&catalog, Some("local-small"), &cfg, &t).unwrap();
        assert_eq!(
            (s.profile.name.as_str(), s.reason.as_str()),
            ("local-small", "--profile")
        );
    }

    #[test]
    fn unknown_profile_lists_the_available_ones() {
        let catalog = Catalog::builtin().unwrap();
        let err = select(
            &catalog,
            Some("tiny"),
            &Config::default(),
            &T::new("local", "m", None),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown profile `tiny`"), "{err}");
        assert!(
            err.contains("default, local-large, local-small, minimal"),
            "{err}"
        );
    }
}
