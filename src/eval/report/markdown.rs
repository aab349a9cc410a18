//! The report as Markdown: tables that read well in a terminal, a pull
//! request comment or a CI job summary.

use std::fmt::Write;

use super::{Paired, Report, int, p_value, pct, pct_ci, pp_ci, tally_cell};
use crate::eval::compare::{Flip, PairedTest};
use crate::eval::record::AttemptOutcome;
use crate::eval::task::Policy;

/// Significance level the report's wording uses.
const ALPHA: f64 = 0.05;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_all(&mut out, report);
    out
}

fn write_all(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "# kiln eval report: {}\n", esc(&r.suite))?;
    runs(out, r)?;
    rates(out, r)?;
    errors(out, r)?;
    outcomes(out, r)?;
    cost(out, r)?;
    tools(out, r)?;
    tags(out, r)?;
    for p in &r.paired {
        paired(out, r, p)?;
    }
    tasks(out, r)?;
    if !r.notes.is_empty() {
        writeln!(out, "## Notes\n")?;
        for n in &r.notes {
            writeln!(out, "- {}", esc(n))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// A table cell: pipes would end it.
fn esc(s: &str) -> String {
    s.replace('|', "\\|")
}

fn code(s: &str) -> String {
    format!("`{}`", esc(s))
}

fn row(out: &mut String, cells: &[String]) -> std::fmt::Result {
    writeln!(out, "| {} |", cells.join(" | "))
}

fn head(out: &mut String, cells: &[&str]) -> std::fmt::Result {
    writeln!(out, "| {} |", cells.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(cells.len()))
}

fn runs(out: &mut String, r: &Report) -> std::fmt::Result {
    head(
        out,
        &[
            "run", "started", "kiln", "tasks", "trials", "shard", "machine",
        ],
    )?;
    for h in &r.runs {
        row(
            out,
            &[
                code(&h.id),
                esc(&h.started),
                esc(&h.kiln),
                h.tasks.to_string(),
                h.trials.to_string(),
                h.shard.clone().unwrap_or_else(|| "–".into()),
                esc(&h.machine),
            ],
        )?;
    }
    writeln!(
        out,
        "\nRates are means of per-task pass rates over {} tasks, with 95% bootstrap intervals \
         over tasks ({} resamples, seed {}). Provider and harness errors stay out of the \
         denominators and are counted apart.\n",
        r.tasks.len(),
        r.options.resampling.resamples,
        r.options.resampling.seed
    )
}

fn rates(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "## Pass rates\n")?;
    let metrics = r.shown_metrics();
    let max_trials = r.max_trials();
    let mut cols: Vec<String> = vec!["side".into(), "tasks".into()];
    cols.extend(metrics.iter().map(|m| m.label().to_string()));
    if max_trials > 1 {
        cols.push("pass^k (k = trials)".into());
    }
    head(out, &cols.iter().map(String::as_str).collect::<Vec<_>>())?;
    for s in &r.sides {
        let mut cells = vec![code(&s.summary.label), s.tasks_cell()];
        cells.extend(metrics.iter().map(|m| pct_ci(s.rate(*m))));
        if max_trials > 1 {
            cells.push(match s.pass_hat_k.last() {
                Some((k, e)) => format!("{} (k={k})", pct_ci(*e)),
                None => "–".into(),
            });
        }
        row(out, &cells)?;
    }
    writeln!(
        out,
        "\npass@1: the first attempt passed; pass@2: one of the first two did (the second sees \
         the first's failing check){}.",
        match metrics.contains(&crate::eval::summary::Metric::Pass) {
            true => "; pass: one of all the task's attempts did",
            false => "",
        }
    )?;
    if max_trials > 1 {
        writeln!(
            out,
            "pass^k: the chance that k trials of a task all pass, C(c,k)/C(n,k) over its n \
             counted trials with c passes (a trial passes when any of its attempts does), \
             averaged over the tasks with at least k counted trials."
        )?;
    }
    writeln!(out)?;
    if max_trials > 2 {
        let ks: Vec<String> = (1..=max_trials).map(|k| format!("pass^{k}")).collect();
        let mut cols = vec!["side"];
        cols.extend(ks.iter().map(String::as_str));
        head(out, &cols)?;
        for s in &r.sides {
            let mut cells = vec![code(&s.summary.label)];
            for k in 1..=max_trials {
                let e = s
                    .pass_hat_k
                    .iter()
                    .find(|(kk, _)| *kk == k)
                    .and_then(|x| x.1);
                cells.push(pct_ci(e));
            }
            row(out, &cells)?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn errors(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "## Errors kept out of the rates\n")?;
    head(
        out,
        &[
            "side",
            "provider errors",
            "harness errors",
            "trials with no record",
            &format!("trials excluded from {}", r.options.metric.label()),
        ],
    )?;
    for s in &r.sides {
        let t = &s.summary.totals;
        let n = |o| t.outcomes.get(&o).copied().unwrap_or(0);
        row(
            out,
            &[
                code(&s.summary.label),
                n(AttemptOutcome::ProviderError).to_string(),
                n(AttemptOutcome::HarnessError).to_string(),
                s.summary.missing_trials().to_string(),
                s.excluded_trials.to_string(),
            ],
        )?;
    }
    writeln!(out)
}

fn outcomes(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "## Attempts by outcome\n")?;
    let mut cols = vec!["side", "attempts"];
    cols.extend(super::OUTCOMES.iter().map(|o| o.1));
    cols.push("touched check files");
    head(out, &cols)?;
    for s in &r.sides {
        let t = &s.summary.totals;
        let mut cells = vec![code(&s.summary.label), t.attempts.to_string()];
        cells.extend(
            super::OUTCOMES
                .iter()
                .map(|(o, _)| t.outcomes.get(o).copied().unwrap_or(0).to_string()),
        );
        cells.push(t.protected_touched.to_string());
        row(out, &cells)?;
    }
    writeln!(out)
}

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map(f).unwrap_or_else(|| "–".into())
}

fn cost(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "## Tokens and time per attempt\n")?;
    head(
        out,
        &[
            "side",
            "prompt tokens",
            "completion tokens",
            "cached share",
            "prefill reuse",
            "turns",
            "wall s",
            "model s",
            "check s",
            "total wall",
        ],
    )?;
    for s in &r.sides {
        let t = &s.summary.totals;
        let per = |x: f64| opt(t.per_attempt(x), |v| int(v.round() as u64));
        let secs = |x: f64| opt(t.per_attempt(x), |v| format!("{v:.1}"));
        row(
            out,
            &[
                code(&s.summary.label),
                per(t.tokens.prompt as f64),
                per(t.tokens.completion as f64),
                opt(t.cache_share(), pct),
                opt(t.prefill_reuse(), pct),
                opt(t.per_attempt(t.turns as f64), |v| format!("{v:.1}")),
                secs(t.wall_secs),
                secs(t.model_secs),
                secs(t.check_secs),
                format!("{:.0} s", t.wall_secs),
            ],
        )?;
    }
    writeln!(
        out,
        "\nCached share: prompt tokens served from a cache over prompt tokens; prefill reuse: \
         the mean share of the prompt not prefilled again, where reported.\n"
    )
}

fn tools(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "## Tool calls\n")?;
    head(
        out,
        &["side", "calls", "failed", "error rate", "failures by kind"],
    )?;
    for s in &r.sides {
        let t = &s.summary.totals;
        let kinds: Vec<String> = t
            .tool_errors
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{} {n}", esc(k)))
            .collect();
        row(
            out,
            &[
                code(&s.summary.label),
                int(t.tool_calls),
                int(t.tool_error_count()),
                opt(t.tool_error_rate(), pct),
                match kinds.is_empty() {
                    true => "–".into(),
                    false => kinds.join(", "),
                },
            ],
        )?;
    }
    writeln!(out)
}

fn tags(out: &mut String, r: &Report) -> std::fmt::Result {
    if r.tags.is_empty() {
        return Ok(());
    }
    writeln!(out, "## By tag ({})\n", r.options.metric.label())?;
    let labels: Vec<String> = r.sides.iter().map(|s| code(&s.summary.label)).collect();
    let mut cols = vec!["tag", "tasks"];
    cols.extend(labels.iter().map(String::as_str));
    head(out, &cols)?;
    for t in &r.tags {
        let mut cells = vec![esc(&t.tag), t.tasks.to_string()];
        cells.extend(t.per_side.iter().map(|e| pct_ci(*e)));
        row(out, &cells)?;
    }
    writeln!(out)
}

fn paired(out: &mut String, r: &Report, p: &Paired) -> std::fmt::Result {
    let (a, b) = (&r.sides[p.a].summary.label, &r.sides[p.b].summary.label);
    let c = &p.comparison;
    writeln!(out, "## Paired comparison: {} vs {}\n", code(b), code(a))?;
    writeln!(
        out,
        "- Metric: {}; tasks compared: {}{}",
        r.options.metric.label(),
        c.tasks,
        match c.skipped.len() {
            0 => String::new(),
            n => format!(
                " ({n} left out, with no counted trial on one side: {})",
                list(&c.skipped)
            ),
        }
    )?;
    writeln!(
        out,
        "- {}: {}; {}: {}",
        code(a),
        pct(c.a_rate),
        code(b),
        pct(c.b_rate)
    )?;
    writeln!(
        out,
        "- Difference ({b} − {a}): {} (95% paired bootstrap over tasks)",
        pp_ci(&c.diff),
        a = code(a),
        b = code(b)
    )?;
    let verdict = match c.p_two_sided < ALPHA {
        true => format!("significant at {ALPHA}"),
        false => format!("not significant at {ALPHA}"),
    };
    match c.test {
        PairedTest::McNemar { lost, gained } => writeln!(
            out,
            "- Test: {}, one trial per task: b = {lost} (pass on {a}, fail on {b}), \
             c = {gained} (the reverse), two-sided p = {} ({verdict})",
            c.test.name(),
            p_value(c.p_two_sided),
            a = code(a),
            b = code(b)
        )?,
        PairedTest::Bootstrap => writeln!(
            out,
            "- Test: {}, two-sided p = {} ({verdict})",
            c.test.name(),
            p_value(c.p_two_sided)
        )?,
    }
    writeln!(
        out,
        "- Better on {a} ({}): {}",
        c.lost.len(),
        flips(&c.lost),
        a = code(a)
    )?;
    writeln!(
        out,
        "- Better on {b} ({}): {}\n",
        c.gained.len(),
        flips(&c.gained),
        b = code(b)
    )
}

fn list(ids: &[String]) -> String {
    ids.iter().map(|i| code(i)).collect::<Vec<_>>().join(", ")
}

fn flips(fs: &[Flip]) -> String {
    if fs.is_empty() {
        return "none".into();
    }
    fs.iter()
        .map(|f| match (f.a.counted, f.b.counted) {
            (1, 1) => code(&f.task),
            _ => format!(
                "{} ({}/{} → {}/{})",
                code(&f.task),
                f.a.pass,
                f.a.counted,
                f.b.pass,
                f.b.counted
            ),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn tasks(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "## Tasks ({})\n", r.options.metric.label())?;
    let labels: Vec<String> = r.sides.iter().map(|s| code(&s.summary.label)).collect();
    let mut cols = vec!["task", "tags", "policy"];
    cols.extend(labels.iter().map(String::as_str));
    head(out, &cols)?;
    for t in &r.tasks {
        let mut cells = vec![
            code(&t.id),
            esc(&t.tags.join(", ")),
            match t.policy {
                Policy::Always => "always".into(),
                Policy::Usually => "usually".into(),
            },
        ];
        cells.extend(
            r.sides
                .iter()
                .map(|s| tally_cell(s.summary.tally(&t.id, r.options.metric))),
        );
        row(out, &cells)?;
    }
    writeln!(out)
}
