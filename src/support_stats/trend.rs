//! The trend of a selection: persons received month by month (by sex), protected as one table
//! with its monthly and period totals, and the hotline-111 tips of each month.

use crate::auth::CurrentUser;
use crate::entities::code;
use crate::support_stats::data::{Data, Selection};
use crate::support_stats::lattice::Period;
use crate::support_stats::period::YearMonth;
use crate::support_stats::suppress::{self, Shown, Table};
use crate::support_stats::views_model::{Label, TableView, Tr};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

#[derive(Clone, Debug, Serialize)]
pub struct HotlineMonth {
    pub month: YearMonth,
    pub label: String,
    pub received: Shown,
    pub handled: Shown,
    pub referred: Shown,
}

#[derive(Clone, Debug, Serialize)]
pub struct TrendReport {
    pub unit_id: i64,
    pub unit_name: String,
    pub from: YearMonth,
    pub to: YearMonth,
    pub exact: bool,
    /// Readers without exact access get the quarters of the lattice year, not months.
    pub by_quarter: bool,
    /// The year of the quarters, when `by_quarter`.
    pub year: i32,
    pub received: TableView,
    pub hotline: Vec<HotlineMonth>,
}

pub fn trend(data: &Data, sel: &Selection, user: &CurrentUser, tr: &Tr) -> TrendReport {
    let exact = data.exact_for(user);
    let months = sel.from.through(sel.to);
    let used: BTreeSet<i64> = data.received.iter().map(|r| r.sex_id).collect();
    let sexes: Vec<code::Model> = data.list("sex", &used);
    let month_of: HashMap<i64, i32> = data.months.iter().map(|m| (m.id, m.year_month)).collect();
    let keys: Vec<i64> = months.iter().map(|m| i64::from(m.key())).collect();
    let mut t = Table::new(
        "received",
        "month",
        keys,
        "sex",
        sexes.iter().map(|c| c.id).collect(),
    );
    for r in &data.received {
        if let Some(ym) = month_of.get(&r.month_id) {
            t.add(&i64::from(*ym), &r.sex_id, r.persons);
        }
    }
    let protected = if exact {
        suppress::exact(std::slice::from_ref(&t))
    } else {
        suppress::suppress_linked(std::slice::from_ref(&t))
    };
    let rows: Vec<Label> = months
        .iter()
        .map(|m| Label {
            code: m.iso(),
            label: m.label(),
        })
        .collect();
    let cols: Vec<Label> = sexes.iter().map(|c| tr.code(c)).collect();
    let received = protected
        .into_iter()
        .next()
        .map(|p| {
            TableView::new(
                "trend",
                tr.t("stats.table.trend"),
                None,
                rows,
                cols,
                p,
                false,
            )
        })
        .unwrap_or_default();
    let hotline = months
        .iter()
        .map(|m| {
            let rows = data.months.iter().filter(|r| r.year_month == m.key());
            let (mut received, mut handled, mut referred) = (0i64, 0i64, 0i64);
            for r in rows {
                received = received.saturating_add(r.hotline_received);
                handled = handled.saturating_add(r.hotline_handled);
                referred = referred.saturating_add(r.hotline_referred);
            }
            HotlineMonth {
                month: *m,
                label: m.label(),
                received: suppress::lone(received, exact),
                handled: suppress::lone(handled, exact),
                referred: suppress::lone(referred, exact),
            }
        })
        .collect();
    TrendReport {
        unit_id: sel.unit.id,
        unit_name: sel.unit.name.clone(),
        from: sel.from,
        to: sel.to,
        exact,
        by_quarter: false,
        year: sel.to.year(),
        received,
        hotline,
    }
}

/// A lattice period as a reader writes it: "Quý I/2024", "6 tháng đầu năm 2024", "Năm 2024".
pub fn period_label(p: Period, tr: &Tr) -> String {
    tr.i18n.format(
        tr.locale,
        &format!("stats.lattice.{}", p.kind()),
        &[("year", p.from.year().to_string())],
    )
}
