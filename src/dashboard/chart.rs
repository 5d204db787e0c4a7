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
    /// Values on the vertical axis (0, half the top, the top), each with its grid line.
    pub ticks: Vec<Label>,
    /// Where the plot starts, right of the axis values.
    pub left: i64,
}

const WIDTH: i64 = 360;
const PLOT: i64 = 120;
const TOP: i64 = 8;
/// Room for the axis values.
const LEFT: i64 = 34;

/// The top of the axis: the largest value rounded up to 1, 2 or 5 times a power of ten.
fn nice_top(max: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if step * m >= max {
                return step * m;
            }
        }
        step = step.saturating_mul(10);
    }
}

/// A short axis value: 1200 → 1,2k, 3000000 → 3tr (as figures are written in Vietnamese).
fn short(v: i64) -> String {
    let (n, unit) = if v >= 1_000_000_000 {
        (v as f64 / 1e9, "tỷ")
    } else if v >= 1_000_000 {
        (v as f64 / 1e6, "tr")
    } else if v >= 10_000 {
        (v as f64 / 1e3, "k")
    } else {
        return v.to_string();
    };
    let text = format!("{n:.1}");
    format!("{}{unit}", text.trim_end_matches(".0").replace('.', ","))
}

/// Two bars per group (e.g. planned and held per month), scaled to the largest value.
/// `groups` are (axis label, first value, second value, first label, second label).
pub fn paired(groups: &[(String, i64, i64, String, String)]) -> Chart {
    let max = groups
        .iter()
        .map(|g| g.1.max(g.2))
        .max()
        .unwrap_or(0)
        .max(1);
    let max = nice_top(max);
    let n = i64::try_from(groups.len()).unwrap_or(1).max(1);
    let slot = ((WIDTH - LEFT) / n).max(2);
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
        let x0 = LEFT + i64::try_from(i).unwrap_or(0) * slot + (slot - 2 * bar) / 2;
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
    let mut values = vec![0, max / 2, max];
    values.dedup();
    let ticks = values
        .into_iter()
        .map(|v| Label {
            x: LEFT - 4,
            y: axis_y - height_of(v),
            text: short(v),
        })
        .collect();
    Chart {
        width: WIDTH,
        height: axis_y + 20,
        bars,
        labels,
        axis_y,
        ticks,
        left: LEFT,
    }
}

/// The width in per cent (0–100) of a progress bar for `value` of `target`.
pub fn percent(value: i64, target: i64) -> Option<i64> {
    (target > 0).then(|| value.saturating_mul(100) / target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_reads_round_values() {
        assert_eq!(nice_top(1), 1);
        assert_eq!(nice_top(7), 10);
        assert_eq!(nice_top(12), 20);
        assert_eq!(nice_top(40), 50);
        assert_eq!(short(1_500), "1500");
        assert_eq!(short(25_000), "25k");
        assert_eq!(short(3_000_000), "3tr");
        assert_eq!(short(2_500_000_000), "2,5tỷ");
        let c = paired(&[("1".into(), 3, 7, String::new(), String::new())]);
        let values: Vec<&str> = c.ticks.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(values, ["0", "5", "10"]);
        assert!(c.bars.iter().all(|b| b.x >= LEFT));
    }
}
