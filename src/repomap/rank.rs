//! Ranking definitions by personalized PageRank over the file graph, the
//! way Aider does: an edge runs from each file that references a name to
//! each file that defines it, weighted so that rare, long and mentioned
//! names count more; the random walk restarts at the files in focus.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::index::Index;
use super::names::Sym;

const DAMPING: f64 = 0.85;
const MAX_ITERATIONS: usize = 100;
/// Per node, as networkx's default.
const TOLERANCE: f64 = 1e-6;

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
pub struct RankedDef<'a> {
    pub file: &'a Path,
    pub name: &'a str,
    pub sym: Sym,
    pub rank: f64,
}

/// Node and definition numbers are `u32` to keep edges small (there are
/// hundreds of thousands in a large tree).
struct Edge {
    from: u32,
    to: u32,
    /// The definition (index into the table of (file, name)) this edge
    /// leads to; [`NO_DEF`] for an edge into a hub.
    def: u32,
    weight: f64,
}

const NO_DEF: u32 = u32::MAX;

fn node(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Per symbol, a run of items: symbol `s` owns `items[starts[s]..starts[s + 1]]`
/// (one allocation for all symbols instead of one each).
struct BySym<T> {
    starts: Vec<usize>,
    items: Vec<T>,
}

impl<T: Copy + Default> BySym<T> {
    /// Buckets `pairs` (visited twice: to count, then to fill) by symbol,
    /// keeping their order within a symbol.
    fn new<I: Iterator<Item = (Sym, T)>>(symbols: usize, pairs: impl Fn() -> I) -> Self {
        let mut starts = vec![0usize; symbols + 1];
        for (s, _) in pairs() {
            if let Some(c) = starts.get_mut(s as usize + 1) {
                *c += 1;
            }
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut fill = starts.clone();
        let mut items = vec![T::default(); starts[symbols]];
        for (s, item) in pairs() {
            if let Some(at) = fill.get_mut(s as usize) {
                items[*at] = item;
                *at += 1;
            }
        }
        Self { starts, items }
    }

    /// Drops repeats next to each other within each symbol's run.
    fn dedup(&mut self)
    where
        T: PartialEq,
    {
        let mut kept = 0;
        let mut start = 0;
        for s in 0..self.starts.len().saturating_sub(1) {
            let end = self.starts[s + 1];
            let run_start = kept;
            for i in start..end {
                let item = self.items[i];
                if kept == run_start || self.items[kept - 1] != item {
                    self.items[kept] = item;
                    kept += 1;
                }
            }
            self.starts[s] = run_start;
            start = end;
        }
        if let Some(last) = self.starts.last_mut() {
            *last = kept;
        }
        self.items.truncate(kept);
    }

    fn get(&self, s: Sym) -> &[T] {
        let s = s as usize;
        match (self.starts.get(s), self.starts.get(s + 1)) {
            (Some(&a), Some(&b)) => &self.items[a..b],
            _ => &[],
        }
    }
}

/// The definitions of `index`, best first. Ties break by path and name,
/// so the order is deterministic.
pub fn rank<'a>(index: &'a Index, focus: &Focus) -> Vec<RankedDef<'a>> {
    let files: Vec<&PathBuf> = index.files.keys().collect();
    let tags: Vec<&super::tags::FileTags> = index.files.values().collect();
    let id: HashMap<&Path, usize> = files
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_path(), i))
        .collect();
    let chat: HashSet<usize> = ids(&id, &focus.chat_files);
    let mut is_chat = vec![false; files.len()];
    for &i in &chat {
        is_chat[i] = true;
    }
    let mentioned: HashSet<Sym> = focus
        .mentioned_idents
        .iter()
        .filter_map(|name| index.names.find(name))
        .collect();
    let symbols = index.names.len();

    // Symbol → files defining it (ascending, once each, as files are
    // visited in order); symbol → (file, count) referencing it.
    let mut defines: BySym<usize> = BySym::new(symbols, || {
        tags.iter()
            .enumerate()
            .flat_map(|(i, t)| t.defs.iter().map(move |d| (d.name, i)))
    });
    // A name defined twice in a file counts once.
    defines.dedup();
    let references: BySym<(usize, u32)> = BySym::new(symbols, || {
        tags.iter()
            .enumerate()
            .flat_map(|(i, t)| t.refs.iter().map(move |r| (r.name, (i, r.count))))
    });

    // Files are nodes 0..n; a name defined in several files gets a hub
    // node n.. between its referencers and its definers, so the graph grows
    // with refs + defs instead of refs × defs (`new` alone is defined in
    // hundreds of files of a large tree). Symbols are in name order, so
    // node numbering (and float sums) are deterministic.
    let n = files.len();
    let mut hubs = 0;
    let mut edges = Vec::new();
    let mut defs: Vec<(usize, Sym)> = Vec::new();
    for (sym, name) in index.names.iter() {
        let definers = defines.get(sym);
        if definers.is_empty() {
            continue;
        }
        let mut mul = 1.0;
        if mentioned.contains(&sym) {
            mul *= 10.0;
        }
        if is_distinctive(name) {
            mul *= 10.0;
        }
        if name.starts_with('_') {
            mul *= 0.1;
        }
        // Rarer names say more about where to look.
        if definers.len() > 5 {
            mul *= 0.1;
        }
        let refs = references.get(sym);
        // Rarer names say more: an inverse document frequency over the
        // files referring to the name (`len` is everywhere, and tells
        // little about where to look).
        mul *= (1.0 + n as f64 / (1 + refs.len()) as f64).ln();
        if refs.is_empty() {
            // An unreferenced definition still gets a little rank.
            for &to in definers {
                edges.push(Edge {
                    from: node(to),
                    to: node(to),
                    weight: 0.1 * mul,
                    def: node(defs.len()),
                });
                defs.push((to, sym));
            }
            continue;
        }
        let (target, def) = match definers {
            [only] => {
                defs.push((*only, sym));
                (*only, node(defs.len() - 1))
            }
            _ => {
                let hub = n + hubs;
                hubs += 1;
                for &to in definers {
                    edges.push(Edge {
                        from: node(hub),
                        to: node(to),
                        weight: 1.0,
                        def: node(defs.len()),
                    });
                    defs.push((to, sym));
                }
                (hub, NO_DEF)
            }
        };
        for &(from, count) in refs {
            let use_mul = if is_chat[from] { mul * 50.0 } else { mul };
            edges.push(Edge {
                from: node(from),
                to: node(target),
                weight: use_mul * f64::from(count).sqrt(),
                def,
            });
        }
    }

    // The walk also restarts where a mentioned name is defined, unless the
    // name is too common to point anywhere.
    let defining_mentioned: BTreeSet<usize> = mentioned
        .iter()
        .map(|&sym| defines.get(sym))
        .filter(|definers| definers.len() <= 5)
        .flatten()
        .copied()
        .collect();
    let mut personal = personalization(&files, &id, focus, defining_mentioned);
    personal.resize(n + hubs, 0.0);
    let ranks = pagerank(n + hubs, &edges, &personal);

    // Spread each node's rank over its out-edges onto the definitions
    // (edges into a hub carry no definition; the hub passes it on).
    let mut out_weight = vec![0.0; n + hubs];
    for e in &edges {
        out_weight[e.from as usize] += e.weight;
    }
    let mut by_def = vec![0.0; defs.len()];
    for e in &edges {
        let from = e.from as usize;
        if let Some(d) = by_def.get_mut(e.def as usize)
            && out_weight[from] > 0.0
        {
            *d += ranks[from] * e.weight / out_weight[from];
        }
    }
    // Sort on file indices (in path order) and symbols (in name order)
    // rather than paths and strings: much faster.
    // Sorted on integer keys: a non-negative float's bits order as the
    // float does, files are in path order and symbols in name order. The
    // (file, symbol) pairs are unique, so the order is total.
    let mut order: Vec<(u64, u32, Sym)> = defs
        .into_iter()
        .zip(&by_def)
        .filter(|((file, _), _)| !is_chat[*file])
        .map(|((file, sym), rank)| (u64::MAX - rank.max(0.0).to_bits(), node(file), sym))
        .collect();
    order.sort_unstable();
    order
        .into_iter()
        .map(|(key, file, sym)| RankedDef {
            file: files[file as usize].as_path(),
            name: index.names.get(sym),
            sym,
            rank: f64::from_bits(u64::MAX - key),
        })
        .collect()
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

/// Where the walk restarts: the chat and mentioned files, `also`, and files
/// whose name matches a mentioned identifier; uniform when nothing is in
/// focus.
fn personalization(
    files: &[&PathBuf],
    id: &HashMap<&Path, usize>,
    focus: &Focus,
    also: BTreeSet<usize>,
) -> Vec<f64> {
    let mut chosen = also;
    chosen.extend(ids(id, &focus.chat_files));
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

/// Weighted PageRank by power iteration, self-loops left out; dangling files jump by the
/// personalization vector (as networkx does).
fn pagerank(n: usize, edges: &[Edge], personal: &[f64]) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    // Self-loops (unreferenced definitions) only share out their file's
    // rank afterwards: in the walk they would trap rank in files that
    // refer to nothing else, lifting every isolated file to the top.
    let walked = || edges.iter().filter(|e| e.from != e.to);
    let mut out_weight = vec![0.0; n];
    for e in walked() {
        out_weight[e.from as usize] += e.weight;
    }
    // Each edge's share of its source's rank, computed once.
    let flows: Vec<(u32, u32, f64)> = walked()
        .filter(|e| out_weight[e.from as usize] > 0.0)
        .map(|e| {
            (
                e.from,
                e.to,
                DAMPING * e.weight / out_weight[e.from as usize],
            )
        })
        .collect();
    let dangling_nodes: Vec<usize> = (0..n).filter(|&i| out_weight[i] <= 0.0).collect();
    let mut rank = personal.to_vec();
    let mut next = vec![0.0; n];
    for _ in 0..MAX_ITERATIONS {
        let dangling: f64 = dangling_nodes.iter().map(|&i| rank[i]).sum();
        let restart = 1.0 - DAMPING + DAMPING * dangling;
        for (x, p) in next.iter_mut().zip(personal) {
            *x = restart * p;
        }
        for &(from, to, share) in &flows {
            next[to as usize] += rank[from as usize] * share;
        }
        let diff: f64 = next.iter().zip(&rank).map(|(a, b)| (a - b).abs()).sum();
        std::mem::swap(&mut rank, &mut next);
        if diff < TOLERANCE * n as f64 {
            break;
        }
    }
    rank
}
