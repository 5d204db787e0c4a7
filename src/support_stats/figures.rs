//! The figures of a selection (see `data`) as the tables every reader sees: the page, the JSON
//! API and the exports are all built from one [`Report`], so they cannot disagree, and all go
//! through [`suppress`] before anyone without the sensitive capability sees them.

use crate::auth::{Capability, CurrentUser};
use crate::support_stats::data::{Data, Selection};
use crate::support_stats::period::YearMonth;
use crate::support_stats::suppress::{self, Shown, Table};
use crate::support_stats::tables::{
    Lists, Slot, by_unit_spec, received_specs, single, support_specs,
};
use crate::support_stats::views_model::{TableView, Tr};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Hotline-111 tips: counts of calls, but a call about one victim can identify them, so a small
/// count is hidden like any other (`suppress::lone`).
#[derive(Clone, Debug, Serialize)]
pub struct Hotline {
    pub received: Shown,
    pub handled: Shown,
    pub referred: Shown,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub received: Shown,
    pub carried_over: Shown,
    pub loans_count: Shown,
    /// Hidden (null) whenever the count is: one loan's amount is that person's loan.
    pub loans_amount: Option<i64>,
    pub hotline: Hotline,
}

/// A group of persons received, every dimension crossed: only for the compiling office.
#[derive(Clone, Debug, Serialize)]
pub struct DetailLine {
    pub sex: String,
    pub age_band: String,
    pub purpose: String,
    pub manner: String,
    pub trafficked_to: String,
    pub persons: i64,
}

/// Everything one view of a selection shows.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub unit_id: i64,
    pub unit_name: String,
    pub from: YearMonth,
    pub to: YearMonth,
    /// Whether small counts are shown (the compiling office) or hidden.
    pub exact: bool,
    /// Months with figures from at least one unit.
    pub months_with_figures: usize,
    pub summary: Summary,
    /// Persons received, two dimensions at a time.
    pub received: Vec<TableView>,
    /// Persons supported, one table per legal basis.
    pub support: Vec<TableView>,
    /// Whether the period spans two laws (the support tables must not be read as one list).
    pub laws_split: bool,
    pub referrals: TableView,
    /// Persons received by unit below the selected one, when there are any.
    pub by_unit: Option<TableView>,
    pub detail: Option<Vec<DetailLine>>,
}

/// Builds the report of a selection for a reader: every table protected together, so that a
/// figure hidden in one is hidden in all.
pub fn report(data: &Data, sel: &Selection, user: &CurrentUser, tr: &Tr) -> Report {
    let exact = data.exact_for(user);
    let lists = Lists::of(data);
    let (mut hot_received, mut hot_handled, mut hot_referred) = (0i64, 0i64, 0i64);
    let (mut carried, mut loans, mut loans_amount) = (0, 0, 0);
    for m in &data.months {
        // Carried over into the period: each unit's figure for the first month (later months'
        // carried-over persons were received or carried over within the period already).
        if m.year_month == sel.from.key() {
            carried += m.carried_over;
        }
        loans += m.loans_count;
        loans_amount += m.loans_amount;
        hot_received = hot_received.saturating_add(m.hotline_received);
        hot_handled = hot_handled.saturating_add(m.hotline_handled);
        hot_referred = hot_referred.saturating_add(m.hotline_referred);
    }
    let mut specs = received_specs(data, &lists, tr);
    specs.extend(support_specs(data, sel, &lists, tr));
    specs.push(single(Slot::Carried, "carried", carried));
    specs.push(single(Slot::Loans, "loans", loans));
    specs.extend(by_unit_spec(data, sel, &lists, tr));
    let tables: Vec<Table<i64>> = specs.iter().map(|s| s.table.clone()).collect();
    let protected = if exact {
        suppress::exact(&tables)
    } else {
        suppress::suppress_linked(&tables)
    };
    let views: Vec<(Slot, TableView)> = specs
        .into_iter()
        .zip(protected)
        .map(|(s, p)| {
            (
                s.slot,
                TableView::new(&s.id, s.title, s.note, s.rows, s.cols, p, s.list),
            )
        })
        .collect();
    let take = |slot: Slot| -> Vec<TableView> {
        views
            .iter()
            .filter(|(s, _)| *s == slot)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let total_of = |slot: Slot| take(slot).first().map_or(Shown::Suppressed, |v| v.total);
    let received = take(Slot::Received);
    let support = take(Slot::Support);
    let loans_count = total_of(Slot::Loans);
    // The rule is proved by the tests of `suppress`; this guards the wiring around it.
    debug_assert!(exact || views.iter().all(|(_, v)| !v.gives_a_cell_away()));
    Report {
        unit_id: sel.unit.id,
        unit_name: sel.unit.name.clone(),
        from: sel.from,
        to: sel.to,
        exact,
        months_with_figures: data
            .months
            .iter()
            .map(|m| m.year_month)
            .collect::<BTreeSet<_>>()
            .len(),
        summary: Summary {
            received: received.first().map_or(Shown::Exact(0), |t| t.total),
            carried_over: total_of(Slot::Carried),
            loans_count,
            loans_amount: (!loans_count.is_suppressed()).then_some(loans_amount),
            hotline: Hotline {
                received: suppress::lone(hot_received, exact),
                handled: suppress::lone(hot_handled, exact),
                referred: suppress::lone(hot_referred, exact),
            },
        },
        laws_split: support.len() > 1,
        received,
        support,
        referrals: take(Slot::Referrals).into_iter().next().unwrap_or_default(),
        by_unit: take(Slot::ByUnit).into_iter().next(),
        detail: (exact && user.can(Capability::SensitiveStats)).then(|| detail_lines(data, tr)),
    }
}

fn detail_lines(data: &Data, tr: &Tr) -> Vec<DetailLine> {
    let mut sums: BTreeMap<[i64; 5], i64> = BTreeMap::new();
    for r in &data.received {
        *sums
            .entry([
                r.sex_id,
                r.age_band_id,
                r.purpose_id,
                r.return_manner_id,
                r.trafficked_to_id,
            ])
            .or_insert(0) += r.persons;
    }
    let name = |id: &i64| {
        data.codes
            .get(id)
            .map(|c| tr.code(c).label)
            .unwrap_or_default()
    };
    let pos = |id: &i64| data.codes.get(id).map_or((0, 0), |c| (c.position, c.id));
    let mut keys: Vec<([i64; 5], i64)> = sums.into_iter().collect();
    keys.sort_by_key(|(k, _)| k.map(|id| pos(&id)));
    keys.into_iter()
        .map(|([s, a, p, m, w], persons)| DetailLine {
            sex: name(&s),
            age_band: name(&a),
            purpose: name(&p),
            manner: name(&m),
            trafficked_to: name(&w),
            persons,
        })
        .collect()
}
