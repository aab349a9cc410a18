//! The statistics of eval reports and gates, as pure functions over
//! per-task values.
//!
//! Tasks, not attempts, are the unit of resampling: trials of one task are
//! correlated (same prompt, same fixture), so a confidence interval over
//! attempts would be far too narrow. Every resampling function takes a
//! seed, so a report is the same each time it is drawn.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Resamples drawn when the caller does not say.
pub const DEFAULT_RESAMPLES: u32 = 10_000;
/// Seed used when the caller does not say.
pub const DEFAULT_SEED: u64 = 0x6b69_6c6e;

/// A mean with its 95% percentile-bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
    /// How many tasks it was computed over.
    pub n: usize,
}

/// How a resampling is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resampling {
    pub resamples: u32,
    pub seed: u64,
}

impl Default for Resampling {
    fn default() -> Self {
        Self {
            resamples: DEFAULT_RESAMPLES,
            seed: DEFAULT_SEED,
        }
    }
}

pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The means of `resamples` bootstrap resamples of `values` (drawn with
/// replacement, same size), in draw order.
fn bootstrap_means(values: &[f64], r: Resampling) -> Vec<f64> {
    let n = values.len();
    let mut rng = StdRng::seed_from_u64(r.seed);
    (0..r.resamples.max(1))
        .map(|_| {
            let sum: f64 = (0..n).map(|_| values[rng.random_range(0..n)]).sum();
            sum / n as f64
        })
        .collect()
}

/// The `q` quantile (0 to 1) of sorted `xs`, by linear interpolation
/// between closest ranks (numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn sort(xs: &mut [f64]) {
    xs.sort_by(f64::total_cmp);
}

/// The mean of `values` (one per task) with a 95% percentile-bootstrap
/// interval; `None` when there are no values.
pub fn bootstrap_ci(values: &[f64], r: Resampling) -> Option<Estimate> {
    let value = mean(values)?;
    let mut means = bootstrap_means(values, r);
    sort(&mut means);
    Some(Estimate {
        value,
        lo: quantile(&means, 0.025),
        hi: quantile(&means, 0.975),
        n: values.len(),
    })
}

/// The difference `b − a` over paired tasks, with its interval and p-values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairedDiff {
    /// Mean of `b − a`, with its 95% interval.
    pub diff: Estimate,
    /// Two-sided p for "no difference".
    pub p_two_sided: f64,
    /// One-sided p for "`b` is not below `a`" (small when `b` dropped).
    pub p_drop: f64,
}

/// Paired bootstrap over tasks: `a[i]` and `b[i]` are one task's pass
/// rates on the two sides. The p-values invert the percentile interval
/// (the share of resampled differences on the far side of zero), with the
/// usual +1 correction so a finite resampling never claims p = 0.
/// `None` when there are no tasks or the lengths differ.
pub fn paired_bootstrap(a: &[f64], b: &[f64], r: Resampling) -> Option<PairedDiff> {
    if a.len() != b.len() {
        return None;
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let value = mean(&d)?;
    let mut means = bootstrap_means(&d, r);
    let total = means.len() as f64 + 1.0;
    let at_or_above = means.iter().filter(|m| **m >= 0.0).count() as f64;
    let at_or_below = means.iter().filter(|m| **m <= 0.0).count() as f64;
    let p_drop = (at_or_above + 1.0) / total;
    let p_rise = (at_or_below + 1.0) / total;
    sort(&mut means);
    Some(PairedDiff {
        diff: Estimate {
            value,
            lo: quantile(&means, 0.025),
            hi: quantile(&means, 0.975),
            n: d.len(),
        },
        p_two_sided: (2.0 * p_drop.min(p_rise)).min(1.0),
        p_drop: p_drop.min(1.0),
    })
}

/// ln C(n, k) for k ≤ n.
fn ln_choose(n: u64, k: u64) -> f64 {
    let k = k.min(n - k);
    (0..k)
        .map(|i| ((n - i) as f64).ln() - ((i + 1) as f64).ln())
        .sum()
}

/// C(n, k) as a float (0 when k > n).
pub fn choose(n: u64, k: u64) -> f64 {
    if k > n {
        return 0.0;
    }
    ln_choose(n, k).exp()
}

/// P(X ≤ k) for X ~ Binomial(n, 1/2). Summed in log space, so it holds
/// for n far past the 1023 where 2ⁿ leaves f64.
pub fn binom_half_cdf(k: u64, n: u64) -> f64 {
    if k >= n {
        return 1.0;
    }
    let ln_half_n = n as f64 * std::f64::consts::LN_2;
    let total: f64 = (0..=k).map(|i| (ln_choose(n, i) - ln_half_n).exp()).sum();
    total.min(1.0)
}

/// Exact two-sided McNemar test: `b` and `c` are the discordant pairs (one
/// side passed, the other failed). Under no difference each discordant
/// pair goes either way with probability 1/2, so p is the two-sided
/// binomial tail, capped at 1. With no discordant pairs p = 1.
pub fn mcnemar_exact(b: u64, c: u64) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    (2.0 * binom_half_cdf(b.min(c), n)).min(1.0)
}

/// One-sided exact McNemar for a drop: `lost` pairs passed before and fail
/// now, `gained` the reverse; p = P(X ≥ lost) for X ~ Binomial(lost +
/// gained, 1/2).
pub fn mcnemar_drop(lost: u64, gained: u64) -> f64 {
    let n = lost + gained;
    if n == 0 || lost == 0 {
        return 1.0;
    }
    // P(X ≥ lost) = P(X ≤ gained) by symmetry of Binomial(n, 1/2).
    binom_half_cdf(gained, n)
}

/// pass^k of one task (τ-bench): the chance that k trials drawn without
/// replacement from its `n` trials, `c` of them passing, all pass —
/// C(c, k) / C(n, k), the unbiased estimator. `None` when n < k or k = 0.
pub fn pass_hat_k(c: u64, n: u64, k: u64) -> Option<f64> {
    if k == 0 || n < k || c > n {
        return None;
    }
    Some(choose(c, k) / choose(n, k))
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
