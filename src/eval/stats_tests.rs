#![allow(clippy::unwrap_used)]

use super::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn mcnemar_known_values() {
    // Binomial tails checked with python's math.comb.
    assert!(close(mcnemar_exact(6, 0), 0.03125, 1e-12));
    assert!(close(mcnemar_exact(0, 6), 0.03125, 1e-12));
    assert!(close(mcnemar_exact(5, 0), 0.0625, 1e-12));
    assert!(close(mcnemar_exact(7, 2), 46.0 / 512.0 * 2.0, 1e-12));
    assert!(close(mcnemar_exact(7, 2), 0.1797, 1e-4));
    // Balanced discordance: the doubled tail passes 1 and is capped.
    assert_eq!(mcnemar_exact(3, 3), 1.0);
    assert_eq!(mcnemar_exact(0, 0), 1.0);
    assert_eq!(mcnemar_exact(0, 1), 1.0);
}

#[test]
fn ten_tasks_need_six_one_way_flips() {
    assert!(mcnemar_exact(5, 0) >= 0.05);
    assert!(mcnemar_exact(6, 0) < 0.05);
}

#[test]
fn one_sided_mcnemar() {
    assert!(close(mcnemar_drop(10, 0), 1.0 / 1024.0, 1e-12));
    assert!(close(mcnemar_drop(5, 0), 1.0 / 32.0, 1e-12));
    // P(X ≥ 7) for n = 9: (C(9,7)+C(9,8)+C(9,9)) / 512 = 46/512.
    assert!(close(mcnemar_drop(7, 2), 46.0 / 512.0, 1e-12));
    // Gains only: no evidence of a drop.
    assert_eq!(mcnemar_drop(0, 4), 1.0);
    assert_eq!(mcnemar_drop(0, 0), 1.0);
    // More gains than losses: large p.
    assert!(mcnemar_drop(2, 7) > 0.9);
}

#[test]
fn binomial_tails_hold_for_large_n() {
    // P(X ≤ 1000), n = 2000 (2²⁰⁰⁰ overflows f64; log space does not).
    assert!(close(
        binom_half_cdf(1000, 2000),
        0.508_919_505_572_927_2,
        1e-9
    ));
    assert!(close(
        binom_half_cdf(8, 30),
        0.008_062_400_855_123_997,
        1e-12
    ));
    assert!(close(
        binom_half_cdf(12, 40),
        0.008_294_501_687_487_355,
        1e-12
    ));
    assert_eq!(binom_half_cdf(5, 5), 1.0);
}

#[test]
fn choose_and_pass_hat_k() {
    assert!(close(choose(10, 3), 120.0, 1e-9));
    assert!(close(choose(52, 5), 2_598_960.0, 1e-4));
    assert_eq!(choose(3, 4), 0.0);
    // 2 of 4 trials pass: C(2,2)/C(4,2) = 1/6.
    assert!(close(pass_hat_k(2, 4, 2).unwrap(), 1.0 / 6.0, 1e-12));
    assert!(close(pass_hat_k(3, 5, 2).unwrap(), 3.0 / 10.0, 1e-12));
    assert!(close(pass_hat_k(4, 4, 3).unwrap(), 1.0, 1e-12));
    assert_eq!(pass_hat_k(1, 4, 2).unwrap(), 0.0);
    // k = 1 is the plain pass rate.
    assert!(close(pass_hat_k(3, 4, 1).unwrap(), 0.75, 1e-12));
    assert_eq!(pass_hat_k(2, 2, 3), None);
    assert_eq!(pass_hat_k(1, 1, 0), None);
}

#[test]
fn quantiles_interpolate() {
    assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
    assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.0), 1.0);
    assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 1.0), 4.0);
    assert!(close(quantile(&[0.0, 10.0], 0.975), 9.75, 1e-12));
}

#[test]
fn bootstrap_of_a_constant_is_a_point() {
    let e = bootstrap_ci(&[0.7; 20], Resampling::default()).unwrap();
    assert!(close(e.value, 0.7, 1e-12));
    assert!(close(e.lo, 0.7, 1e-12));
    assert!(close(e.hi, 0.7, 1e-12));
    assert_eq!(e.n, 20);
    assert_eq!(bootstrap_ci(&[], Resampling::default()), None);
}

#[test]
fn bootstrap_is_deterministic_per_seed() {
    let xs: Vec<f64> = (0..30).map(|i| f64::from(i % 3 == 0)).collect();
    let r = Resampling {
        resamples: 2000,
        seed: 7,
    };
    assert_eq!(bootstrap_ci(&xs, r), bootstrap_ci(&xs, r));
    let first = bootstrap_ci(&xs, r).unwrap();
    assert!(first.lo <= first.value && first.value <= first.hi);
    // The interval's ends are coarse (multiples of 1/30), so compare the
    // resampled means themselves.
    assert_eq!(bootstrap_means(&xs, r), bootstrap_means(&xs, r));
    assert_ne!(
        bootstrap_means(&xs, r),
        bootstrap_means(&xs, Resampling { seed: 8, ..r })
    );
}

#[test]
fn bootstrap_interval_has_the_expected_width() {
    // 5 of 10 pass: the normal approximation gives 0.5 ± 1.96·√(0.025)
    // ≈ [0.19, 0.81]; the percentile bootstrap lands close to it.
    let xs = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let e = bootstrap_ci(&xs, Resampling::default()).unwrap();
    assert!(close(e.value, 0.5, 1e-12));
    assert!((0.1..=0.3).contains(&e.lo), "{e:?}");
    assert!((0.7..=0.9).contains(&e.hi), "{e:?}");
}

#[test]
fn bootstrap_interval_covers_the_true_rate() {
    // 300 simulated suites of 60 tasks with a true pass rate of 0.3: the
    // 95% interval should cover 0.3 in about 95% of them (percentile
    // intervals run a little narrow on small samples).
    let mut rng = StdRng::seed_from_u64(42);
    let reps = 300;
    let mut covered = 0;
    for rep in 0..reps {
        let xs: Vec<f64> = (0..60).map(|_| f64::from(rng.random_bool(0.3))).collect();
        let e = bootstrap_ci(
            &xs,
            Resampling {
                resamples: 1000,
                seed: rep,
            },
        )
        .unwrap();
        if e.lo <= 0.3 && 0.3 <= e.hi {
            covered += 1;
        }
    }
    let share = f64::from(covered) / reps as f64;
    assert!((0.88..=0.99).contains(&share), "coverage {share}");
}

#[test]
fn paired_bootstrap_of_equal_sides_finds_nothing() {
    let a: Vec<f64> = (0..20).map(|i| f64::from(i % 2 == 0)).collect();
    let d = paired_bootstrap(&a, &a, Resampling::default()).unwrap();
    assert_eq!(d.diff.value, 0.0);
    assert_eq!((d.diff.lo, d.diff.hi), (0.0, 0.0));
    assert_eq!(d.p_two_sided, 1.0);
    assert_eq!(d.p_drop, 1.0);
}

#[test]
fn paired_bootstrap_sees_a_clear_drop() {
    let a = vec![1.0; 40];
    let mut b = vec![1.0; 40];
    for x in b.iter_mut().take(10) {
        *x = 0.0;
    }
    let r = Resampling::default();
    let d = paired_bootstrap(&a, &b, r).unwrap();
    assert!(close(d.diff.value, -0.25, 1e-12));
    assert!(d.diff.hi < 0.0, "{d:?}");
    // Every resample dropped: the smallest p the resampling can show.
    assert!(close(d.p_drop, 1.0 / (f64::from(r.resamples) + 1.0), 1e-12));
    assert!(d.p_two_sided < 0.001);
    // The reverse direction is a rise, not a drop.
    let up = paired_bootstrap(&b, &a, r).unwrap();
    assert!(up.p_drop > 0.99);
    assert!(up.diff.lo > 0.0);
}

#[test]
fn paired_bootstrap_of_noise_is_not_significant() {
    // Two flips each way out of 20: no evidence either way.
    let a: Vec<f64> = (0..20).map(|i| f64::from(i < 12)).collect();
    let mut b = a.clone();
    b.swap(0, 15);
    b.swap(1, 16);
    let d = paired_bootstrap(&a, &b, Resampling::default()).unwrap();
    assert_eq!(d.diff.value, 0.0);
    assert!(d.diff.lo < 0.0 && d.diff.hi > 0.0);
    assert!(d.p_two_sided > 0.5, "{d:?}");
    assert_eq!(paired_bootstrap(&a, &b[..3], Resampling::default()), None);
}
