//! Protected tables with their labels in the reader's language: what the page renders, the API
//! returns and the exports write, so all three say the same thing.

use crate::entities::code;
use crate::support_stats::suppress::{Protected, Shown};
use crate::web::format;
use crate::web::i18n::{I18n, Locale};
use serde::Serialize;

/// A row or column heading: a stable code for machines, a label for people.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Label {
    pub code: String,
    pub label: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RowView {
    pub code: String,
    pub label: String,
    pub cells: Vec<Shown>,
    pub total: Shown,
}

/// One table as shown: rows with their totals, the total row, the grand total.
#[derive(Clone, Debug, Serialize)]
pub struct TableView {
    pub id: String,
    pub title: String,
    /// The legal basis of a support-type table, with the dates it applies.
    pub note: Option<String>,
    pub cols: Vec<Label>,
    pub rows: Vec<RowView>,
    pub col_totals: Vec<Shown>,
    pub total: Shown,
    /// A list with one column: its rows have no totals of their own.
    pub list: bool,
}

impl Default for TableView {
    fn default() -> Self {
        TableView {
            id: String::new(),
            title: String::new(),
            note: None,
            cols: Vec::new(),
            rows: Vec::new(),
            col_totals: Vec::new(),
            total: Shown::Exact(0),
            list: true,
        }
    }
}

impl TableView {
    pub fn new(
        id: &str,
        title: String,
        note: Option<String>,
        rows: Vec<Label>,
        cols: Vec<Label>,
        p: Protected<i64>,
        list: bool,
    ) -> Self {
        TableView {
            id: id.to_owned(),
            title,
            note,
            cols,
            rows: rows
                .into_iter()
                .zip(p.cells)
                .zip(p.row_totals)
                .map(|((l, cells), total)| RowView {
                    code: l.code,
                    label: l.label,
                    cells,
                    total,
                })
                .collect(),
            col_totals: p.col_totals,
            total: p.total,
            list,
        }
    }

    /// Whether a line a reader can add up (a row with its total, a column with its total) has
    /// exactly one hidden figure, which its total minus the visible cells would give away.
    /// Rows of a list are not lines: their total is the cell itself.
    pub fn gives_a_cell_away(&self) -> bool {
        let lone =
            |line: &mut dyn Iterator<Item = Shown>| line.filter(|c| c.is_suppressed()).count() == 1;
        let rows = !self.list
            && (self
                .rows
                .iter()
                .any(|r| lone(&mut r.cells.iter().copied().chain([r.total])))
                || lone(&mut self.col_totals.iter().copied().chain([self.total])));
        let cols = (0..self.cols.len()).any(|j| {
            lone(
                &mut self
                    .rows
                    .iter()
                    .filter_map(|r| r.cells.get(j).copied())
                    .chain(self.col_totals.get(j).copied()),
            )
        });
        let total_col =
            !self.list && lone(&mut self.rows.iter().map(|r| r.total).chain([self.total]));
        rows || cols || total_col
    }
}

/// Translation for one reader.
#[derive(Clone, Copy)]
pub struct Tr<'a> {
    pub i18n: &'a I18n,
    pub locale: Locale,
}

impl Tr<'_> {
    pub fn t(&self, key: &str) -> String {
        self.i18n.t(self.locale, key).to_owned()
    }

    pub fn code(&self, c: &code::Model) -> Label {
        Label {
            code: c.code.clone(),
            label: crate::codes::name(c, self.locale).to_owned(),
        }
    }

    pub fn persons(&self) -> Label {
        Label {
            code: "persons".into(),
            label: self.t("stats.persons"),
        }
    }

    pub fn own_figures(&self, unit: &str) -> String {
        self.i18n.format(
            self.locale,
            "stats.own_figures",
            &[("unit", unit.to_owned())],
        )
    }

    /// "Law …, Article 32 (months until 30/06/2025)": a legal basis with the months it
    /// governs, from the codes' validity dates.
    pub fn law_note(&self, basis: &str, codes: &[code::Model]) -> String {
        let from = codes.iter().filter_map(|c| c.valid_from).min();
        let to = codes.iter().filter_map(|c| c.valid_to).max();
        let date = |d: Option<chrono::NaiveDate>| d.map(format::date).unwrap_or_default();
        let key = match (from, to) {
            (Some(_), Some(_)) => "stats.law_between",
            (Some(_), None) => "stats.law_from",
            (None, Some(_)) => "stats.law_until",
            (None, None) => "stats.law_always",
        };
        let when = self
            .i18n
            .format(self.locale, key, &[("from", date(from)), ("to", date(to))]);
        format!("{basis} ({when})")
    }
}
