//! Bar charts as SVG geometry computed on the server: the template only draws the rectangles.
//! No script, no inline style (the CSP forbids both): colours come from classes in `app.css`,
//! sizes from the `viewBox`, so a chart scales to a phone's width and prints as it shows.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
    /// A class of `app.css` (`bar-a`, `bar-b`).
    pub class: &'static str,
    /// Read by screen readers and shown as a tooltip.
    pub label: String,
}

#[derive(Debug, Serialize)]
pub struct Label {
    pub x: i64,
    pub y: i64,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct Chart {
    pub width: i64,
    pub height: i64,
    pub bars: Vec<Bar>,
    pub labels: Vec<Label>,
    /// The baseline.
    pub axis_y: i64,
}

const WIDTH: i64 = 360;
const PLOT: i64 = 120;
const TOP: i64 = 8;

/// Two bars per group (e.g. planned and held per month), scaled to the largest value.
/// `groups` are (axis label, first value, second value, first label, second label).
pub fn paired(groups: &[(String, i64, i64, String, String)]) -> Chart {
    let max = groups
        .iter()
        .map(|g| g.1.max(g.2))
        .max()
        .unwrap_or(0)
        .max(1);
    let n = i64::try_from(groups.len()).unwrap_or(1).max(1);
    let slot = (WIDTH / n).max(2);
    let bar = (slot * 2 / 5).max(1);
    let axis_y = TOP + PLOT;
    let height_of = |v: i64| v.max(0) * PLOT / max;
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    // Label every group when they fit, else every third (months of a long period).
    let every = if n > 24 {
        6
    } else if n > 12 {
        3
    } else {
        1
    };
    for (i, (axis, a, b, la, lb)) in groups.iter().enumerate() {
        let x0 = i64::try_from(i).unwrap_or(0) * slot + (slot - 2 * bar) / 2;
        for (k, (v, class, label)) in [(a, "bar-a", la), (b, "bar-b", lb)].into_iter().enumerate() {
            let h = height_of(*v);
            bars.push(Bar {
                x: x0 + i64::try_from(k).unwrap_or(0) * bar,
                y: axis_y - h,
                w: bar,
                h,
                class,
                label: label.clone(),
            });
        }
        if i64::try_from(i).unwrap_or(0) % every == 0 {
            labels.push(Label {
                x: x0 + bar,
                y: axis_y + 14,
                text: axis.clone(),
            });
        }
    }
    Chart {
        width: WIDTH,
        height: axis_y + 20,
        bars,
        labels,
        axis_y,
    }
}

/// The width in per cent (0–100) of a progress bar for `value` of `target`.
pub fn percent(value: i64, target: i64) -> Option<i64> {
    (target > 0).then(|| value.saturating_mul(100) / target)
}
