//! The figures of a selection (see `data`) as the tables every reader sees: the page, the JSON
//! API and the exports are all built from one [`Report`], so they cannot disagree, and all go
//! through [`suppress`] before anyone without the sensitive capability sees them.

use crate::auth::{Capability, CurrentUser};
use crate::support_stats::data::{Data, Selection};
use crate::support_stats::period::YearMonth;
use crate::support_stats::suppress::{self, Shown, Table};
use crate::support_stats::tables::{
    Lists, Slot, Spec, by_unit_spec, received_specs, row_unit, single, support_specs,
};
use crate::support_stats::views_model::{TableView, Tr};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

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

/// What a view of a selection is built from: its tables to protect, and the totals beside them.
struct Built {
    specs: Vec<Spec>,
    loans_amount: i64,
    hotline: (i64, i64, i64),
}

fn build(data: &Data, sel: &Selection, tr: &Tr) -> Built {
    let lists = Lists::of(data);
    let mut hotline = (0i64, 0i64, 0i64);
    let (mut carried, mut loans, mut loans_amount) = (0i64, 0i64, 0i64);
    for m in &data.months {
        // Carried over into the period: each unit's figure for the first month (later months'
        // carried-over persons were received or carried over within the period already).
        if m.year_month == sel.from.key() {
            carried = carried.saturating_add(m.carried_over);
        }
        loans = loans.saturating_add(m.loans_count);
        loans_amount = loans_amount.saturating_add(m.loans_amount);
        hotline.0 = hotline.0.saturating_add(m.hotline_received);
        hotline.1 = hotline.1.saturating_add(m.hotline_handled);
        hotline.2 = hotline.2.saturating_add(m.hotline_referred);
    }
    let mut specs = received_specs(data, &lists, tr);
    specs.extend(support_specs(data, sel, &lists, tr));
    specs.push(single(Slot::Carried, "carried", carried));
    specs.push(single(Slot::Loans, "loans", loans));
    specs.extend(by_unit_spec(data, sel, &lists, tr));
    specs.extend(lattice_specs(data, sel));
    Built {
        specs,
        loans_amount,
        hotline,
    }
}

/// Tables across the units below the selected one that are shown nowhere but tie each unit's
/// totals to the selected unit's (persons carried over, loans): without them a reader could
/// subtract the units' own views from their parent's.
fn lattice_specs(data: &Data, sel: &Selection) -> Vec<Spec> {
    if data.units.len() < 2 {
        return Vec::new();
    }
    let units: HashMap<i64, &crate::entities::org_unit::Model> =
        data.units.iter().map(|u| (u.id, u)).collect();
    let rows: Vec<i64> = data
        .units
        .iter()
        .filter(|u| row_unit(&units, sel.unit.id, u.id) == u.id)
        .map(|u| u.id)
        .collect();
    let mut carried = Table::column("carried", "unit", rows.clone(), 0);
    let mut loans = Table::column("loans", "unit", rows, 0);
    for m in &data.months {
        let row = row_unit(&units, sel.unit.id, m.org_unit_id);
        if m.year_month == sel.from.key() {
            carried.add(&row, &0, m.carried_over);
        }
        loans.add(&row, &0, m.loans_count);
    }
    [carried, loans]
        .into_iter()
        .map(|table| Spec {
            slot: Slot::Lattice,
            id: format!("lattice_{}", table.measure),
            title: String::new(),
            note: None,
            rows: Vec::new(),
            cols: Vec::new(),
            list: true,
            table,
        })
        .collect()
}

/// The rows of a unit's subtree within its parent's data: what the unit's own view loads.
fn part_of(root: &Data, root_id: i64, unit_id: i64) -> Data {
    let units: HashMap<i64, &crate::entities::org_unit::Model> =
        root.units.iter().map(|u| (u.id, u)).collect();
    let kept: HashSet<i64> = root
        .units
        .iter()
        .filter(|u| row_unit(&units, root_id, u.id) == unit_id)
        .map(|u| u.id)
        .collect();
    let months: Vec<_> = root
        .months
        .iter()
        .filter(|m| kept.contains(&m.org_unit_id))
        .cloned()
        .collect();
    let ids: HashSet<i64> = months.iter().map(|m| m.id).collect();
    Data {
        units: root
            .units
            .iter()
            .filter(|u| kept.contains(&u.id))
            .cloned()
            .collect(),
        months,
        received: root
            .received
            .iter()
            .filter(|r| ids.contains(&r.month_id))
            .cloned()
            .collect(),
        support: root
            .support
            .iter()
            .filter(|r| ids.contains(&r.month_id))
            .cloned()
            .collect(),
        referrals: root
            .referrals
            .iter()
            .filter(|r| ids.contains(&r.month_id))
            .cloned()
            .collect(),
        codes: root.codes.clone(),
    }
}

/// The tables of a family of views — a unit and the units directly below it — other than the
/// view's own, each unit's tables marked with its unit so that its totals are the same figures
/// as its row in the parent's tables across units.
fn family_tables(sel: &Selection, root: &Data, root_sel: &Selection, tr: &Tr) -> Vec<Table<i64>> {
    let mut out: Vec<Table<i64>> = Vec::new();
    if root_sel.unit.id != sel.unit.id {
        out.extend(build(root, root_sel, tr).specs.into_iter().map(|s| s.table));
    }
    let mut children: Vec<&crate::entities::org_unit::Model> = root
        .units
        .iter()
        .filter(|u| u.parent_id == Some(root_sel.unit.id) && u.id != sel.unit.id)
        .collect();
    children.sort_by_key(|u| u.id);
    for c in children {
        let part = part_of(root, root_sel.unit.id, c.id);
        let child_sel = Selection {
            unit: c.clone(),
            from: root_sel.from,
            to: root_sel.to,
        };
        out.extend(
            build(&part, &child_sel, tr)
                .specs
                .into_iter()
                .map(|s| s.table.about("unit", c.id)),
        );
    }
    out
}

/// Builds the report of a selection for a reader: every table protected together, so that a
/// figure hidden in one is hidden in all. For a reader without exact access, `family` is the
/// data of the unit whose units-below table shows this unit (its parent, or the unit itself when
/// it has units below it): the whole family is protected at once, the same way in each of its
/// views, so that no view can be subtracted from another (`docs/privacy.md`).
pub fn report(
    data: &Data,
    sel: &Selection,
    family: Option<(&Data, &Selection)>,
    user: &CurrentUser,
    tr: &Tr,
) -> Report {
    let exact = data.exact_for(user);
    let Built {
        specs,
        loans_amount,
        hotline: (hot_received, hot_handled, hot_referred),
    } = build(data, sel, tr);
    let own: Vec<Table<i64>> = specs
        .iter()
        .map(|s| match family {
            Some((_, root_sel)) if root_sel.unit.id != sel.unit.id => {
                s.table.clone().about("unit", sel.unit.id)
            }
            _ => s.table.clone(),
        })
        .collect();
    let protected = if exact {
        suppress::exact(&own)
    } else if let Some((root, root_sel)) = family {
        let mut all = own.clone();
        all.extend(family_tables(sel, root, root_sel, tr));
        let mut p = suppress::suppress_linked(&all);
        p.truncate(own.len());
        p
    } else {
        suppress::suppress_linked(&own)
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

/// [`report`] with its family looked up: for a reader without exact access, the unit itself
/// when it has units below it, else its parent, loaded for the same months.
pub async fn report_for(
    db: &impl sea_orm::ConnectionTrait,
    data: &Data,
    sel: &Selection,
    user: &CurrentUser,
    tr: &Tr<'_>,
) -> crate::error::AppResult<Report> {
    use sea_orm::EntityTrait;
    if data.exact_for(user) {
        return Ok(report(data, sel, None, user, tr));
    }
    if data.units.len() > 1 {
        return Ok(report(data, sel, Some((data, sel)), user, tr));
    }
    let parent = match sel.unit.parent_id {
        Some(p) => {
            crate::entities::org_unit::Entity::find_by_id(p)
                .one(db)
                .await?
        }
        None => None,
    };
    let Some(parent) = parent else {
        return Ok(report(data, sel, None, user, tr));
    };
    let parent_sel = Selection {
        unit: parent,
        from: sel.from,
        to: sel.to,
    };
    let parent_data = crate::support_stats::data::load(db, &parent_sel).await?;
    Ok(report(
        data,
        sel,
        Some((&parent_data, &parent_sel)),
        user,
        tr,
    ))
}
