//! Ranking definitions by personalized PageRank over the file graph, the
//! way Aider does: an edge runs from each file that references a name to
//! each file that defines it, weighted so that rare, long and mentioned
//! names count more; the random walk restarts at the files in focus.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::index::Index;

const DAMPING: f64 = 0.85;
const MAX_ITERATIONS: usize = 100;
const TOLERANCE: f64 = 1e-9;

/// What the conversation points at.
#[derive(Clone, Debug, Default)]
pub struct Focus {
    /// Files already in the conversation: they pull the ranking hardest and
    /// their own definitions are left out of the map (the model has them).
    pub chat_files: Vec<PathBuf>,
    /// Files merely named: they pull the ranking and stay in the map.
    pub mentioned_files: Vec<PathBuf>,
    /// Identifiers named in the conversation.
    pub mentioned_idents: Vec<String>,
}

/// One definition's share of the rank.
#[derive(Clone, Debug, PartialEq)]
pub struct RankedDef {
    pub file: PathBuf,
    pub name: String,
    pub rank: f64,
}

struct Edge<'a> {
    from: usize,
    to: usize,
    weight: f64,
    ident: &'a str,
}

/// The definitions of `index`, best first. Ties break by path and name,
/// so the order is deterministic.
pub fn rank(index: &Index, focus: &Focus) -> Vec<RankedDef> {
    let files: Vec<&PathBuf> = index.files.keys().collect();
    let id: HashMap<&Path, usize> = files
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_path(), i))
        .collect();
    let chat: HashSet<usize> = ids(&id, &focus.chat_files);
    let mentioned_idents: HashSet<&str> =
        focus.mentioned_idents.iter().map(String::as_str).collect();

    // name → files defining it; name → (file, count) referencing it.
    let mut defines: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    let mut references: BTreeMap<&str, Vec<(usize, u32)>> = BTreeMap::new();
    for (i, tags) in index.files.values().enumerate() {
        for d in &tags.defs {
            defines.entry(d.name.as_str()).or_default().insert(i);
        }
        for (name, n) in &tags.refs {
            references.entry(name.as_str()).or_default().push((i, *n));
        }
    }

    let mut edges = Vec::new();
    for (name, definers) in &defines {
        let mut mul = 1.0;
        if mentioned_idents.contains(name) {
            mul *= 10.0;
        }
        if is_distinctive(name) {
            mul *= 10.0;
        }
        if name.starts_with('_') {
            mul *= 0.1;
        }
        // Rarer names say more about where to look.
        mul /= definers.len() as f64;
        match references.get(name) {
            Some(refs) => {
                for &(from, n) in refs {
                    let use_mul = if chat.contains(&from) {
                        mul * 50.0
                    } else {
                        mul
                    };
                    for &to in definers {
                        edges.push(Edge {
                            from,
                            to,
                            weight: use_mul * f64::from(n).sqrt(),
                            ident: name,
                        });
                    }
                }
            }
            // An unreferenced definition still gets a little rank.
            None => {
                for &to in definers {
                    edges.push(Edge {
                        from: to,
                        to,
                        weight: 0.1 * mul,
                        ident: name,
                    });
                }
            }
        }
    }

    let personal = personalization(&files, &id, focus);
    let ranks = pagerank(files.len(), &edges, &personal);

    // Spread each file's rank over its out-edges, onto the definitions.
    let mut out_weight = vec![0.0; files.len()];
    for e in &edges {
        out_weight[e.from] += e.weight;
    }
    let mut by_def: HashMap<(usize, &str), f64> = HashMap::new();
    for e in &edges {
        if out_weight[e.from] > 0.0 {
            *by_def.entry((e.to, e.ident)).or_default() +=
                ranks[e.from] * e.weight / out_weight[e.from];
        }
    }
    let mut ranked: Vec<RankedDef> = by_def
        .into_iter()
        .filter(|((file, _), _)| !chat.contains(file))
        .map(|((file, name), rank)| RankedDef {
            file: files[file].clone(),
            name: name.to_string(),
            rank,
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.rank
            .total_cmp(&a.rank)
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.name.cmp(&b.name))
    });
    ranked
}

fn ids(id: &HashMap<&Path, usize>, paths: &[PathBuf]) -> HashSet<usize> {
    paths
        .iter()
        .filter_map(|p| id.get(p.as_path()).copied())
        .collect()
}

/// Long snake_case, camelCase or kebab-case names are unlikely to collide.
fn is_distinctive(name: &str) -> bool {
    let has_lower = name.chars().any(|c| c.is_lowercase());
    let has_upper = name.chars().any(|c| c.is_uppercase());
    name.len() >= 8 && (name.contains('_') || name.contains('-') || (has_lower && has_upper))
}

/// Where the walk restarts: the chat and mentioned files, and files whose
/// name matches a mentioned identifier; uniform when nothing is in focus.
fn personalization(files: &[&PathBuf], id: &HashMap<&Path, usize>, focus: &Focus) -> Vec<f64> {
    let mut chosen: BTreeSet<usize> = ids(id, &focus.chat_files).into_iter().collect();
    chosen.extend(ids(id, &focus.mentioned_files));
    let idents: HashSet<&str> = focus.mentioned_idents.iter().map(String::as_str).collect();
    for (i, f) in files.iter().enumerate() {
        if f.file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| idents.contains(s))
        {
            chosen.insert(i);
        }
    }
    let n = files.len();
    if chosen.is_empty() {
        return vec![1.0 / n.max(1) as f64; n];
    }
    let mut p = vec![0.0; n];
    for &i in &chosen {
        p[i] = 1.0 / chosen.len() as f64;
    }
    p
}

/// Weighted PageRank by power iteration; dangling files jump by the
/// personalization vector (as networkx does).
fn pagerank(n: usize, edges: &[Edge<'_>], personal: &[f64]) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    let mut out_weight = vec![0.0; n];
    for e in edges {
        out_weight[e.from] += e.weight;
    }
    let mut rank = personal.to_vec();
    for _ in 0..MAX_ITERATIONS {
        let dangling: f64 = (0..n)
            .filter(|&i| out_weight[i] <= 0.0)
            .map(|i| rank[i])
            .sum();
        let mut next: Vec<f64> = personal
            .iter()
            .map(|p| (1.0 - DAMPING + DAMPING * dangling) * p)
            .collect();
        for e in edges {
            if out_weight[e.from] > 0.0 {
                next[e.to] += DAMPING * rank[e.from] * e.weight / out_weight[e.from];
            }
        }
        let diff: f64 = next.iter().zip(&rank).map(|(a, b)| (a - b).abs()).sum();
        rank = next;
        if diff < TOLERANCE * n as f64 {
            break;
        }
    }
    rank
}
