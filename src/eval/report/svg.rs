//! Grouped bar charts as inline SVG, so the HTML report is one file that
//! opens anywhere, offline, with no script.

use std::fmt::Write;

use minijinja::HtmlEscape;

/// Colours of the series, in order (repeating past the end).
const PALETTE: [&str; 6] = [
    "#3b6ea5", "#d9822b", "#4e9a5b", "#b34d6d", "#7d63b8", "#7a7a7a",
];

const PLOT_H: f64 = 200.0;
/// Room above the plot for the legend, one line per series.
const LEGEND_LINE: f64 = 16.0;
const LEFT: f64 = 52.0;
const BAR_W: f64 = 34.0;
const GROUP_GAP: f64 = 30.0;
const LABEL_H: f64 = 40.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub value: f64,
    /// The interval drawn as a whisker, when there is one.
    pub ci: Option<(f64, f64)>,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub label: String,
    /// One per series; `None` draws nothing.
    pub bars: Vec<Option<Bar>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// 0 to 1, shown as a percentage on a 0–100% axis.
    Share,
    /// Any non-negative number, on an axis rounded up from the largest.
    Number,
}

pub struct Chart<'a> {
    pub title: &'a str,
    pub series: &'a [String],
    pub groups: &'a [Group],
    pub unit: Unit,
}

pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// The axis top: 1 for shares, else the largest value rounded up to 1, 2
/// or 5 times a power of ten.
fn axis_max(chart: &Chart) -> f64 {
    if chart.unit == Unit::Share {
        return 1.0;
    }
    let largest = chart
        .groups
        .iter()
        .flat_map(|g| g.bars.iter().flatten())
        .map(|b| b.ci.map_or(b.value, |c| c.1.max(b.value)))
        .fold(0.0_f64, f64::max);
    if largest <= 0.0 || !largest.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(largest.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|top| *top >= largest)
        .unwrap_or(10.0 * magnitude)
}

/// An axis or bar label; numbers in thousands when the axis reaches 10 000.
fn label(unit: Unit, x: f64, max: f64) -> String {
    match unit {
        Unit::Share => format!("{:.0}%", x * 100.0),
        Unit::Number if max >= 10_000.0 => format!("{}k", trim(x / 1000.0)),
        Unit::Number if x >= 100.0 => format!("{x:.0}"),
        Unit::Number => trim(x),
    }
}

/// One decimal, without a trailing `.0`.
fn trim(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// Shortens a label that would spill into its neighbour.
fn clip(s: &str, chars: usize) -> String {
    match s.chars().count() > chars {
        true => format!(
            "{}…",
            s.chars().take(chars.saturating_sub(1)).collect::<String>()
        ),
        false => s.to_string(),
    }
}

pub fn render(chart: &Chart) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = draw(&mut out, chart);
    out
}

fn draw(out: &mut String, chart: &Chart) -> std::fmt::Result {
    let n_series = chart.series.len().max(1);
    let group_w = n_series as f64 * BAR_W + GROUP_GAP;
    let legend_chars = chart
        .series
        .iter()
        .map(|s| clip(s, 48).chars().count())
        .max()
        .unwrap_or(0);
    let width = (LEFT + chart.groups.len().max(1) as f64 * group_w + 10.0)
        .max(LEFT + 26.0 + 6.5 * legend_chars as f64);
    // The legend, then room for a value label above a full bar.
    let top = 8.0 + LEGEND_LINE * n_series as f64 + 16.0;
    let height = top + PLOT_H + LABEL_H;
    let max = axis_max(chart);
    let y = |v: f64| top + PLOT_H - (v.clamp(0.0, max) / max) * PLOT_H;
    writeln!(
        out,
        r#"<svg class="chart" role="img" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}">"#
    )?;
    writeln!(out, "<title>{}</title>", HtmlEscape(chart.title))?;
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let yy = y(v);
        writeln!(
            out,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
            width - 10.0,
            LEFT - 6.0,
            yy + 4.0,
            label(chart.unit, v, max)
        )?;
    }
    // The legend, one series per line.
    for (i, name) in chart.series.iter().enumerate() {
        let ly = 6.0 + LEGEND_LINE * i as f64;
        writeln!(
            out,
            r#"<rect x="{LEFT}" y="{ly:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}" class="legend">{}</text>"#,
            colour(i),
            LEFT + 16.0,
            ly + 10.0,
            HtmlEscape(&clip(name, 48))
        )?;
    }
    for (gi, g) in chart.groups.iter().enumerate() {
        let gx = LEFT + GROUP_GAP / 2.0 + gi as f64 * group_w;
        for (si, bar) in g.bars.iter().enumerate() {
            let Some(b) = bar else { continue };
            let x = gx + si as f64 * BAR_W;
            let bar_top = y(b.value);
            writeln!(
                out,
                r#"<rect x="{:.1}" y="{bar_top:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                x + 2.0,
                BAR_W - 4.0,
                top + PLOT_H - bar_top,
                colour(si),
                HtmlEscape(chart.series.get(si).map_or("", String::as_str)),
                label(chart.unit, b.value, max)
            )?;
            let cx = x + BAR_W / 2.0;
            let label_y = match b.ci {
                Some((lo, hi)) => {
                    let (ylo, yhi) = (y(lo), y(hi));
                    writeln!(
                        out,
                        r##"<path d="M{cx:.1} {ylo:.1}V{yhi:.1}M{:.1} {ylo:.1}h8M{:.1} {yhi:.1}h8" stroke="#222" fill="none"/>"##,
                        cx - 4.0,
                        cx - 4.0
                    )?;
                    yhi.min(bar_top)
                }
                None => bar_top,
            };
            writeln!(
                out,
                r#"<text x="{cx:.1}" y="{:.1}" text-anchor="middle" class="value">{}</text>"#,
                label_y - 4.0,
                label(chart.unit, b.value, max)
            )?;
        }
        let label_x = gx + n_series as f64 * BAR_W / 2.0;
        let chars = ((group_w / 6.5) as usize).max(4);
        writeln!(
            out,
            r#"<text x="{label_x:.1}" y="{:.1}" text-anchor="middle" class="group">{}<title>{}</title></text>"#,
            top + PLOT_H + 16.0,
            HtmlEscape(&clip(&g.label, chars)),
            HtmlEscape(&g.label)
        )?;
    }
    writeln!(
        out,
        r##"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#888"/>"##,
        width - 10.0,
        top + PLOT_H,
        top + PLOT_H
    )?;
    writeln!(out, "</svg>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_round_up() {
        let groups = [Group {
            label: "g".into(),
            bars: vec![Some(Bar {
                value: 340.0,
                ci: None,
            })],
        }];
        let series = ["s".to_string()];
        let chart = |unit| Chart {
            title: "t",
            series: &series,
            groups: &groups,
            unit,
        };
        assert_eq!(axis_max(&chart(Unit::Number)), 500.0);
        assert_eq!(axis_max(&chart(Unit::Share)), 1.0);
    }

    #[test]
    fn draws_bars_whiskers_and_escapes_labels() {
        let groups = [Group {
            label: "<tag>".into(),
            bars: vec![
                Some(Bar {
                    value: 0.5,
                    ci: Some((0.25, 0.75)),
                }),
                None,
            ],
        }];
        let series = ["a&b".to_string(), "c".to_string()];
        let svg = render(&Chart {
            title: "pass",
            series: &series,
            groups: &groups,
            unit: Unit::Share,
        });
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(
            svg.matches("<rect").count(),
            3,
            "two legend squares, one bar"
        );
        assert!(svg.contains("<path d=\"M"), "a whisker");
        assert!(svg.contains("&lt;tag&gt;"));
        assert!(svg.contains("a&amp;b"));
        assert!(svg.contains(">50%<"));
    }
}
