//! A paired comparison of two sides over the tasks both ran: the report's
//! A/B section and the gate's verdict.
//!
//! Pairing by task removes the spread between easy and hard tasks, which
//! dwarfs the difference between two models. With one trial per task the
//! outcomes are binary and the exact McNemar test applies; with several,
//! per-task pass rates are compared by a paired bootstrap over tasks.

use std::collections::BTreeMap;

use super::stats::{self, Estimate, Resampling};
use super::summary::Tally;

/// The test behind a comparison's p-values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairedTest {
    /// One trial per task on both sides: `lost` tasks passed on A and
    /// failed on B (McNemar's b), `gained` the reverse (c).
    McNemar { lost: u64, gained: u64 },
    /// Several trials: a paired bootstrap of per-task rate differences.
    Bootstrap,
}

impl PairedTest {
    pub fn name(&self) -> &'static str {
        match self {
            Self::McNemar { .. } => "exact McNemar",
            Self::Bootstrap => "paired bootstrap over tasks",
        }
    }
}

/// A task whose pass rate differs between the sides.
#[derive(Clone, Debug, PartialEq)]
pub struct Flip {
    pub task: String,
    pub a: Tally,
    pub b: Tally,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Tasks counted on both sides.
    pub tasks: usize,
    /// Tasks left out: no counted trial on one side (errors, missing).
    pub skipped: Vec<String>,
    /// Mean per-task pass rates over the compared tasks.
    pub a_rate: f64,
    pub b_rate: f64,
    /// `b − a` with its 95% paired-bootstrap interval.
    pub diff: Estimate,
    pub test: PairedTest,
    pub p_two_sided: f64,
    /// One-sided p that B is not below A (small: B dropped).
    pub p_drop: f64,
    /// Better on A than on B, largest change first.
    pub lost: Vec<Flip>,
    /// Better on B than on A.
    pub gained: Vec<Flip>,
}

/// Compares `b` against `a` over the tasks in both maps with a counted
/// trial on each side; `None` when there is no such task.
pub fn compare(
    a: &BTreeMap<String, Tally>,
    b: &BTreeMap<String, Tally>,
    r: Resampling,
) -> Option<Comparison> {
    let mut pairs = Vec::new();
    let mut skipped = Vec::new();
    for (id, ta) in a {
        let Some(tb) = b.get(id) else { continue };
        match (ta.rate(), tb.rate()) {
            (Some(ra), Some(rb)) => pairs.push((id, *ta, *tb, ra, rb)),
            _ => skipped.push(id.clone()),
        }
    }
    let xa: Vec<f64> = pairs.iter().map(|p| p.3).collect();
    let xb: Vec<f64> = pairs.iter().map(|p| p.4).collect();
    let boot = stats::paired_bootstrap(&xa, &xb, r)?;
    let single = pairs.iter().all(|p| p.1.counted == 1 && p.2.counted == 1);
    let flip = |p: &(&String, Tally, Tally, f64, f64)| Flip {
        task: p.0.clone(),
        a: p.1,
        b: p.2,
    };
    let by_size = |fs: &mut Vec<(f64, Flip)>| {
        fs.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.task.cmp(&y.1.task)));
        fs.drain(..).map(|(_, f)| f).collect::<Vec<_>>()
    };
    let mut lost: Vec<(f64, Flip)> = pairs
        .iter()
        .filter(|p| p.3 > p.4)
        .map(|p| (p.3 - p.4, flip(p)))
        .collect();
    let mut gained: Vec<(f64, Flip)> = pairs
        .iter()
        .filter(|p| p.4 > p.3)
        .map(|p| (p.4 - p.3, flip(p)))
        .collect();
    let (lost, gained) = (by_size(&mut lost), by_size(&mut gained));
    let (test, p_two_sided, p_drop) = match single {
        true => {
            let (l, g) = (lost.len() as u64, gained.len() as u64);
            (
                PairedTest::McNemar { lost: l, gained: g },
                stats::mcnemar_exact(l, g),
                stats::mcnemar_drop(l, g),
            )
        }
        false => (PairedTest::Bootstrap, boot.p_two_sided, boot.p_drop),
    };
    Some(Comparison {
        tasks: pairs.len(),
        skipped,
        a_rate: stats::mean(&xa).unwrap_or(0.0),
        b_rate: stats::mean(&xb).unwrap_or(0.0),
        diff: boot.diff,
        test,
        p_two_sided,
        p_drop,
        lost,
        gained,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tallies(xs: &[(u32, u32)]) -> BTreeMap<String, Tally> {
        xs.iter()
            .enumerate()
            .map(|(i, (pass, counted))| {
                (
                    format!("t{i:02}"),
                    Tally {
                        pass: *pass,
                        counted: *counted,
                        excluded: 0,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn one_trial_uses_mcnemar_and_lists_the_flips() {
        // 10 tasks: 6 pass on A and fail on B, 1 the reverse.
        let a = tallies(&[
            (1, 1),
            (1, 1),
            (1, 1),
            (1, 1),
            (1, 1),
            (1, 1),
            (0, 1),
            (1, 1),
            (0, 1),
            (0, 0),
        ]);
        let b = tallies(&[
            (0, 1),
            (0, 1),
            (0, 1),
            (0, 1),
            (0, 1),
            (0, 1),
            (1, 1),
            (1, 1),
            (0, 1),
            (1, 1),
        ]);
        let c = compare(&a, &b, Resampling::default()).unwrap();
        assert_eq!(c.tasks, 9);
        assert_eq!(c.skipped, vec!["t09".to_string()]);
        assert_eq!(c.test, PairedTest::McNemar { lost: 6, gained: 1 });
        // 2·P(X ≤ 1), n = 7: 2·8/128.
        assert!((c.p_two_sided - 0.125).abs() < 1e-12);
        assert!((c.p_drop - 8.0 / 128.0).abs() < 1e-12);
        assert_eq!(c.lost.len(), 6);
        assert_eq!(c.lost[0].task, "t00");
        assert_eq!(c.gained.len(), 1);
        assert_eq!(c.gained[0].task, "t06");
        assert!((c.a_rate - 7.0 / 9.0).abs() < 1e-12);
        assert!((c.b_rate - 2.0 / 9.0).abs() < 1e-12);
        assert!((c.diff.value + 5.0 / 9.0).abs() < 1e-12);
        assert!(c.diff.hi < 0.0);
    }

    #[test]
    fn several_trials_use_the_paired_bootstrap() {
        let a = tallies(&[(3, 3); 20]);
        let mut bs = vec![(3, 3); 20];
        bs[0] = (0, 3);
        bs[1] = (1, 3);
        let b = tallies(&bs);
        let c = compare(&a, &b, Resampling::default()).unwrap();
        assert_eq!(c.test, PairedTest::Bootstrap);
        // Largest change first.
        assert_eq!(
            c.lost.iter().map(|f| f.task.as_str()).collect::<Vec<_>>(),
            ["t00", "t01"]
        );
        assert!((c.diff.value + (1.0 + 2.0 / 3.0) / 20.0).abs() < 1e-12);
        assert!(c.diff.lo < c.diff.value && c.diff.hi <= 0.0);
        assert!(compare(&a, &BTreeMap::new(), Resampling::default()).is_none());
    }
}
