//! The report as one self-contained HTML page: inline CSS and inline SVG
//! charts, no script and no external resource, so it can be kept as a CI
//! artifact and opened offline.

use std::fmt::Write;

use minijinja::HtmlEscape;

use super::svg::{self, Bar, Chart, Group, Unit};
use super::{Paired, Report, int, p_value, pct, pct_ci, pp_ci, tally_cell};
use crate::eval::compare::PairedTest;
use crate::eval::stats::Estimate;
use crate::eval::task::Policy;

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .6em 0; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.pass { background: #e3f4e5; } td.fail { background: #f9e0e0; } td.mixed { background: #fbf1d9; } td.none { color: #999; }
code { font-size: .95em; }
.note { color: #555; }
.swatch { display: inline-block; width: .8em; height: .8em; margin-right: .3em; vertical-align: baseline; }
svg.chart { display: block; margin: .5em 0; max-width: 100%; height: auto; }
svg .tick, svg .value { font-size: 10px; fill: #444; }
svg .legend, svg .group { font-size: 11px; fill: #222; }
.charts { display: flex; flex-wrap: wrap; gap: 2em; }
"#;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_all(&mut out, report);
    out
}

fn e(s: &str) -> String {
    HtmlEscape(s).to_string()
}

fn code(s: &str) -> String {
    format!("<code>{}</code>", e(s))
}

/// A table from pre-escaped cells; cells starting with a `\u{1}` marker
/// carry their own `<td …>` attributes (see [`td`]).
fn table(out: &mut String, head: &[String], rows: &[Vec<String>]) -> std::fmt::Result {
    writeln!(out, "<table><thead><tr>")?;
    for h in head {
        write!(out, "<th>{h}</th>")?;
    }
    writeln!(out, "</tr></thead><tbody>")?;
    for r in rows {
        write!(out, "<tr>")?;
        for c in r {
            // Escaped text never holds `<td`, so only td() makes a match.
            match c
                .strip_prefix('\u{1}')
                .filter(|raw| raw.starts_with("<td "))
            {
                Some(raw) => write!(out, "{raw}")?,
                None => write!(out, "<td>{c}</td>")?,
            }
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody></table>")
}

/// A cell with a class (`num`, `pass`, …).
fn td(class: &str, html: &str) -> String {
    format!("\u{1}<td class=\"{class}\">{html}</td>")
}

fn num(s: impl std::fmt::Display) -> String {
    td("num", &e(&s.to_string()))
}

fn side_head(report: &Report) -> Vec<String> {
    report
        .sides
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "<span class=\"swatch\" style=\"background:{}\"></span>{}",
                svg::colour(i),
                code(&s.summary.label)
            )
        })
        .collect()
}

fn bar(e: Option<Estimate>) -> Option<Bar> {
    e.map(|e| Bar {
        value: e.value,
        ci: Some((e.lo, e.hi)),
    })
}

fn write_all(out: &mut String, r: &Report) -> std::fmt::Result {
    let title = format!("kiln eval report: {}", r.suite);
    writeln!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>",
        e(&title),
        e(&title)
    )?;
    runs(out, r)?;
    rates(out, r)?;
    for p in &r.paired {
        paired(out, r, p)?;
    }
    tags(out, r)?;
    cost(out, r)?;
    errors(out, r)?;
    tasks(out, r)?;
    if !r.notes.is_empty() {
        writeln!(out, "<h2>Notes</h2><ul>")?;
        for n in &r.notes {
            writeln!(out, "<li>{}</li>", e(n))?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</body>\n</html>")
}

fn runs(out: &mut String, r: &Report) -> std::fmt::Result {
    let head = [
        "run", "started", "kiln", "tasks", "trials", "shard", "machine",
    ]
    .map(String::from);
    let rows: Vec<Vec<String>> = r
        .runs
        .iter()
        .map(|h| {
            vec![
                code(&h.id),
                e(&h.started),
                e(&h.kiln),
                num(h.tasks),
                num(h.trials),
                e(h.shard.as_deref().unwrap_or("–")),
                e(&h.machine),
            ]
        })
        .collect();
    table(out, &head, &rows)?;
    writeln!(
        out,
        "<p class=\"note\">Rates are means of per-task pass rates over {} tasks; whiskers and \
         brackets are 95% bootstrap intervals over tasks ({} resamples, seed {}). Provider and \
         harness errors stay out of the denominators and are counted apart.</p>",
        r.tasks.len(),
        r.options.resampling.resamples,
        r.options.resampling.seed
    )
}

fn rates(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "<h2>Pass rates</h2>")?;
    let series: Vec<String> = r.sides.iter().map(|s| s.summary.label.clone()).collect();
    let metrics = r.shown_metrics();
    let mut groups: Vec<Group> = metrics
        .iter()
        .map(|m| Group {
            label: m.label().into(),
            bars: r.sides.iter().map(|s| bar(s.rate(*m))).collect(),
        })
        .collect();
    let max_trials = r.max_trials();
    if max_trials > 1 {
        groups.push(Group {
            label: "pass^k".into(),
            bars: r
                .sides
                .iter()
                .map(|s| bar(s.pass_hat_k.last().and_then(|x| x.1)))
                .collect(),
        });
    }
    writeln!(
        out,
        "{}",
        svg::render(&Chart {
            title: "Pass rates with 95% intervals",
            series: &series,
            groups: &groups,
            unit: Unit::Share,
        })
    )?;
    let mut head = vec!["side".to_string(), "tasks".to_string()];
    head.extend(metrics.iter().map(|m| m.label().to_string()));
    head.extend(
        (1..=max_trials)
            .filter(|_| max_trials > 1)
            .map(|k| format!("pass^{k}")),
    );
    let rows: Vec<Vec<String>> = r
        .sides
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut row = vec![side_head(r)[i].clone(), num(s.tasks_cell())];
            row.extend(metrics.iter().map(|m| num(pct_ci(s.rate(*m)))));
            if max_trials > 1 {
                row.extend((1..=max_trials).map(|k| {
                    num(pct_ci(
                        s.pass_hat_k.iter().find(|x| x.0 == k).and_then(|x| x.1),
                    ))
                }));
            }
            row
        })
        .collect();
    table(out, &head, &rows)?;
    writeln!(
        out,
        "<p class=\"note\">pass@1: the first attempt passed; pass@2: one of the first two did \
         (the second sees the first's failing check); pass: one of all attempts did. pass^k: \
         the chance that k trials of a task all pass, C(c,k)/C(n,k), averaged over the tasks \
         with at least k counted trials.</p>"
    )
}

fn paired(out: &mut String, r: &Report, p: &Paired) -> std::fmt::Result {
    let (a, b) = (&r.sides[p.a].summary.label, &r.sides[p.b].summary.label);
    let c = &p.comparison;
    writeln!(
        out,
        "<h2>Paired comparison: {} vs {}</h2>\n<ul>",
        code(b),
        code(a)
    )?;
    writeln!(
        out,
        "<li>Metric: {}; tasks compared: {}{}</li>",
        r.options.metric.label(),
        c.tasks,
        match c.skipped.len() {
            0 => String::new(),
            n => format!(" ({n} left out, with no counted trial on one side)"),
        }
    )?;
    writeln!(
        out,
        "<li>{}: {}; {}: {}</li>",
        code(a),
        pct(c.a_rate),
        code(b),
        pct(c.b_rate)
    )?;
    writeln!(
        out,
        "<li>Difference ({} − {}): <strong>{}</strong> (95% paired bootstrap over tasks)</li>",
        code(b),
        code(a),
        e(&pp_ci(&c.diff))
    )?;
    match c.test {
        PairedTest::McNemar { lost, gained } => writeln!(
            out,
            "<li>Test: {}: b = {lost} (pass on {}, fail on {}), c = {gained} (the reverse), \
             two-sided p = <strong>{}</strong></li>",
            c.test.name(),
            code(a),
            code(b),
            e(&p_value(c.p_two_sided))
        )?,
        PairedTest::Bootstrap => writeln!(
            out,
            "<li>Test: {}: two-sided p = <strong>{}</strong></li>",
            c.test.name(),
            e(&p_value(c.p_two_sided))
        )?,
    }
    for (label, flips) in [(a, &c.lost), (b, &c.gained)] {
        let list: Vec<String> = flips
            .iter()
            .map(|f| {
                format!(
                    "{} ({}/{} → {}/{})",
                    code(&f.task),
                    f.a.pass,
                    f.a.counted,
                    f.b.pass,
                    f.b.counted
                )
            })
            .collect();
        writeln!(
            out,
            "<li>Better on {} ({}): {}</li>",
            code(label),
            flips.len(),
            match list.is_empty() {
                true => "none".into(),
                false => list.join(", "),
            }
        )?;
    }
    writeln!(out, "</ul>")
}

fn tags(out: &mut String, r: &Report) -> std::fmt::Result {
    if r.tags.is_empty() {
        return Ok(());
    }
    writeln!(out, "<h2>By tag ({})</h2>", r.options.metric.label())?;
    let series: Vec<String> = r.sides.iter().map(|s| s.summary.label.clone()).collect();
    let groups: Vec<Group> = r
        .tags
        .iter()
        .map(|t| Group {
            label: t.tag.clone(),
            bars: t.per_side.iter().map(|x| bar(*x)).collect(),
        })
        .collect();
    writeln!(
        out,
        "{}",
        svg::render(&Chart {
            title: "Pass rate by tag",
            series: &series,
            groups: &groups,
            unit: Unit::Share,
        })
    )?;
    let mut head = vec!["tag".to_string(), "tasks".to_string()];
    head.extend(side_head(r));
    let rows: Vec<Vec<String>> = r
        .tags
        .iter()
        .map(|t| {
            let mut row = vec![e(&t.tag), num(t.tasks)];
            row.extend(t.per_side.iter().map(|x| num(pct_ci(*x))));
            row
        })
        .collect();
    table(out, &head, &rows)
}

fn cost(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "<h2>Tokens, time and tools per attempt</h2>")?;
    let series: Vec<String> = r.sides.iter().map(|s| s.summary.label.clone()).collect();
    let per = |f: &dyn Fn(&crate::eval::summary::Totals) -> f64| -> Vec<Option<Bar>> {
        r.sides
            .iter()
            .map(|s| {
                let t = &s.summary.totals;
                t.per_attempt(f(t)).map(|value| Bar { value, ci: None })
            })
            .collect()
    };
    let tokens = [
        Group {
            label: "prompt".into(),
            bars: per(&|t| t.tokens.prompt as f64),
        },
        Group {
            label: "cached".into(),
            bars: per(&|t| t.tokens.cached as f64),
        },
        Group {
            label: "completion".into(),
            bars: per(&|t| t.tokens.completion as f64),
        },
    ];
    let time = [
        Group {
            label: "wall s".into(),
            bars: per(&|t| t.wall_secs),
        },
        Group {
            label: "model s".into(),
            bars: per(&|t| t.model_secs),
        },
        Group {
            label: "check s".into(),
            bars: per(&|t| t.check_secs),
        },
    ];
    writeln!(
        out,
        "<div class=\"charts\">{}{}</div>",
        svg::render(&Chart {
            title: "Tokens per attempt",
            series: &series,
            groups: &tokens,
            unit: Unit::Number,
        }),
        svg::render(&Chart {
            title: "Seconds per attempt",
            series: &series,
            groups: &time,
            unit: Unit::Number,
        })
    )?;
    let head = [
        "side",
        "attempts",
        "cached share",
        "prefill reuse",
        "turns",
        "tool calls",
        "failed calls",
        "tool error rate",
        "failures by kind",
        "total wall s",
    ]
    .map(String::from);
    let rows: Vec<Vec<String>> = r
        .sides
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let t = &s.summary.totals;
            let opt = |x: Option<f64>| num(x.map(pct).unwrap_or_else(|| "–".into()));
            let kinds: Vec<String> = t
                .tool_errors
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(k, n)| format!("{} {n}", e(k)))
                .collect();
            vec![
                side_head(r)[i].clone(),
                num(t.attempts),
                opt(t.cache_share()),
                opt(t.prefill_reuse()),
                num(t
                    .per_attempt(t.turns as f64)
                    .map_or("–".into(), |v| format!("{v:.1}"))),
                num(int(t.tool_calls)),
                num(int(t.tool_error_count())),
                opt(t.tool_error_rate()),
                kinds.join(", "),
                num(format!("{:.0}", t.wall_secs)),
            ]
        })
        .collect();
    table(out, &head, &rows)
}

fn errors(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "<h2>Attempts by outcome</h2>")?;
    let mut head = vec!["side".to_string()];
    head.extend(super::OUTCOMES.iter().map(|o| o.1.to_string()));
    head.push("trials with no record".into());
    head.push(format!("trials excluded from {}", r.options.metric.label()));
    head.push("touched check files".into());
    let rows: Vec<Vec<String>> = r
        .sides
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let t = &s.summary.totals;
            let mut row = vec![side_head(r)[i].clone()];
            row.extend(
                super::OUTCOMES
                    .iter()
                    .map(|(o, _)| num(t.outcomes.get(o).copied().unwrap_or(0))),
            );
            row.push(num(s.summary.missing_trials()));
            row.push(num(s.excluded_trials));
            row.push(num(t.protected_touched));
            row
        })
        .collect();
    table(out, &head, &rows)
}

fn tasks(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "<h2>Tasks ({})</h2>", r.options.metric.label())?;
    let mut head = vec!["task".to_string(), "tags".into(), "policy".into()];
    head.extend(side_head(r));
    let rows: Vec<Vec<String>> = r
        .tasks
        .iter()
        .map(|t| {
            let mut row = vec![
                code(&t.id),
                e(&t.tags.join(", ")),
                match t.policy {
                    Policy::Always => "always".into(),
                    Policy::Usually => "usually".into(),
                },
            ];
            row.extend(r.sides.iter().map(|s| {
                let tally = s.summary.tally(&t.id, r.options.metric);
                let class = match tally {
                    Some(x) if x.counted == 0 => "none",
                    Some(x) if x.pass == x.counted => "pass",
                    Some(x) if x.pass == 0 => "fail",
                    Some(_) => "mixed",
                    None => "none",
                };
                td(class, &e(&tally_cell(tally)))
            }));
            row
        })
        .collect();
    table(out, &head, &rows)
}
