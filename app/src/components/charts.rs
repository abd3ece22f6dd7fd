//! Charts as plain SVG, rendered on the server: readable without JavaScript and printable.
//! Every chart has a title for screen readers, and each page puts the same numbers in a
//! table beside it. Colours come from the stylesheet (classes), never inline styles.

use leptos::prelude::*;

use crate::domain::{summary::ParetoRow, text::cut};

/// One bar: its label, its value, and the value as shown ("12", "350.00 EUR").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub shown: String,
}

const WIDTH: i64 = 640;

/// A label of at most `max` characters, the ellipsis included.
fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        cut(label, max - 1)
    }
}

/// The id that ties the chart's `<title>` to it, from the title.
fn chart_id(title: &str) -> String {
    format!(
        "chart-{}",
        title
            .to_lowercase()
            .replace(|c: char| !c.is_alphanumeric(), "-")
    )
}

/// Horizontal bars, largest scale set by the largest value.
#[component]
pub fn BarChart(title: String, bars: Vec<Bar>) -> impl IntoView {
    let row = 30;
    let label_width = 210;
    let value_width = 120;
    let plot = WIDTH - label_width - value_width;
    let height = (bars.len() as i64).max(1) * row + 10;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let id = chart_id(&title);
    let label = id.clone();
    view! {
        <svg class="chart" viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-labelledby=label
            xmlns="http://www.w3.org/2000/svg">
            <title id=id>{title}</title>
            {bars.into_iter().enumerate().map(|(i, bar)| {
                let y = i as i64 * row + 5;
                let length = (bar.value.max(0) * plot) / max;
                view! {
                    <g>
                        <text x=label_width - 8 y=y + 19 text-anchor="end" class="chart-label">{short(&bar.label, 28)}</text>
                        <rect x=label_width y=y + 4 width=length.max(1) height=row - 10 class="chart-bar"></rect>
                        <text x=label_width + length + 6 y=y + 19 class="chart-value">{bar.shown}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

/// A Pareto chart: causes as bars, largest first, with the cumulative share as a line on a
/// 0–100 % scale and a dashed line at 80 %.
#[component]
pub fn ParetoChart(title: String, rows: Vec<ParetoRow>, shown: Vec<String>) -> impl IntoView {
    let (left, right, top, bottom) = (48_i64, 48_i64, 16_i64, 110_i64);
    let height = 340_i64;
    let plot_w = WIDTH - left - right;
    let plot_h = height - top - bottom;
    let n = (rows.len() as i64).max(1);
    let slot = plot_w / n;
    let bar_w = (slot * 7 / 10).max(4);
    let max = rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
    let y_of_percent = move |p: i64| top + plot_h - (p.clamp(0, 100) * plot_h) / 100;
    let points: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                "{},{}",
                left + i as i64 * slot + slot / 2,
                y_of_percent(r.cumulative_percent)
            )
        })
        .collect();
    let id = chart_id(&title);
    let label = id.clone();
    view! {
        <svg class="chart" viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-labelledby=label
            xmlns="http://www.w3.org/2000/svg">
            <title id=id>{title}</title>
            <line x1=left y1=top + plot_h x2=WIDTH - right y2=top + plot_h class="chart-axis"></line>
            <line x1=left y1=y_of_percent(80) x2=WIDTH - right y2=y_of_percent(80) class="chart-guide"></line>
            <text x=WIDTH - right + 4 y=y_of_percent(80) + 4 class="chart-value">"80 %"</text>
            <text x=WIDTH - right + 4 y=y_of_percent(100) + 4 class="chart-value">"100 %"</text>
            {rows.iter().zip(shown).enumerate().map(|(i, (row, shown))| {
                let x = left + i as i64 * slot + (slot - bar_w) / 2;
                let h = (row.value.max(0) * plot_h) / max;
                let cx = left + i as i64 * slot + slot / 2;
                let ly = top + plot_h + 12;
                view! {
                    <g>
                        <rect x=x y=top + plot_h - h width=bar_w height=h.max(1) class="chart-bar"></rect>
                        <text x=cx y=top + plot_h - h - 4 text-anchor="middle" class="chart-value">{shown}</text>
                        <text x=cx y=ly text-anchor="end" class="chart-label"
                            transform=format!("rotate(-40 {cx} {ly})")>{short(&row.label, 22)}</text>
                    </g>
                }
            }).collect_view()}
            <polyline points=points.join(" ") class="chart-line"></polyline>
            {rows.iter().enumerate().map(|(i, row)| view! {
                <circle cx=left + i as i64 * slot + slot / 2 cy=y_of_percent(row.cumulative_percent) r="3" class="chart-dot"></circle>
            }).collect_view()}
        </svg>
    }
}
