//! Exports of a report. Built from the same protected [`Report`] as the page and the API, so an
//! export can never show what the screen hides: the lines here feed the CSV file and the XLSX
//! export of `spreadsheets::tables` alike.

use crate::support_stats::figures::Report;
use crate::support_stats::suppress::{SUPPRESSED_MARK, Shown};
use crate::support_stats::views_model::{TableView, Tr};

/// A CSV field, quoted when it must be.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Figures without thousands separators (spreadsheets read them as numbers), `x` when hidden.
fn value(s: Shown) -> String {
    match s {
        Shown::Exact(n) => n.to_string(),
        Shown::Suppressed => SUPPRESSED_MARK.to_owned(),
    }
}

/// Table, row, column, value: one exported figure.
pub type Line = [String; 4];

fn line(out: &mut Vec<Line>, cells: [&str; 4]) {
    out.push(cells.map(str::to_owned));
}

fn table(out: &mut Vec<Line>, t: &TableView, total: &str) {
    let title = match &t.note {
        Some(n) => format!("{} — {n}", t.title),
        None => t.title.clone(),
    };
    for r in &t.rows {
        for (c, s) in t.cols.iter().zip(&r.cells) {
            line(out, [&title, &r.label, &c.label, &value(*s)]);
        }
        if !t.list {
            line(out, [&title, &r.label, total, &value(r.total)]);
        }
    }
    for (c, s) in t.cols.iter().zip(&t.col_totals) {
        line(out, [&title, total, &c.label, &value(*s)]);
    }
    if !t.list {
        line(out, [&title, total, total, &value(t.total)]);
    }
}

/// The report as CSV (UTF-8 with a byte-order mark, so that spreadsheet programs read the
/// Vietnamese text correctly): one line per figure, with table, row and column.
pub fn csv(report: &Report, tr: &Tr) -> String {
    let mut out = String::from("\u{feff}");
    for l in lines(report, tr) {
        let joined: Vec<String> = l.iter().map(|c| field(c)).collect();
        out.push_str(&joined.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The report's figures as lines, the header line first; hidden figures read `x`.
pub fn lines(report: &Report, tr: &Tr) -> Vec<Line> {
    let mut out = Vec::new();
    let total = tr.t("stats.total");
    line(
        &mut out,
        [
            &tr.t("stats.csv.table"),
            &tr.t("stats.csv.row"),
            &tr.t("stats.csv.column"),
            &tr.t("stats.csv.value"),
        ],
    );
    let summary = tr.t("stats.summary.title");
    let s = &report.summary;
    for (key, v) in [
        ("stats.summary.received", value(s.received)),
        ("stats.summary.carried_over", value(s.carried_over)),
        ("stats.summary.hotline_received", value(s.hotline.received)),
        ("stats.summary.hotline_handled", value(s.hotline.handled)),
        ("stats.summary.hotline_referred", value(s.hotline.referred)),
        ("stats.summary.loans_count", value(s.loans_count)),
        (
            "stats.summary.loans_amount",
            match (s.loans_amount, s.loans_amount_band) {
                (Some(a), _) => a.to_string(),
                (None, Some([low, high])) => format!("{low}–{high}"),
                (None, None) => SUPPRESSED_MARK.to_owned(),
            },
        ),
    ] {
        line(&mut out, [&summary, &tr.t(key), "", &v]);
    }
    for t in report
        .received
        .iter()
        .chain(&report.support)
        .chain([&report.referrals])
        .chain(&report.by_unit)
    {
        table(&mut out, t, &total);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_and_quotes_are_quoted() {
        assert_eq!(field("Hòa Phong"), "Hòa Phong");
        assert_eq!(field("Tư vấn, trợ giúp"), "\"Tư vấn, trợ giúp\"");
        assert_eq!(field("a \"b\""), "\"a \"\"b\"\"\"");
        assert_eq!(value(Shown::Suppressed), "x");
        assert_eq!(value(Shown::Exact(1250)), "1250");
    }
}
