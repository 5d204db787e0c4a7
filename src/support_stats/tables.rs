//! The tables of a report laid out before protection: which code lists make their rows and
//! columns, which stored rows add into which cell, and the key of every figure (its measure and
//! dimensions) that links the tables shown together.

use crate::entities::{code, org_unit, support_stat_received as received};
use crate::support_stats::codes::in_force;
use crate::support_stats::data::{Data, Selection};
use crate::support_stats::suppress::Table;
use crate::support_stats::views_model::{Label, Tr};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One legal basis of support types and the codes under it.
struct LawGroup {
    basis: Option<String>,
    codes: Vec<code::Model>,
}

/// The support types of the period, grouped by their legal basis in the order the laws came
/// into force: a period across 1 July 2025 has two groups, never summed into one list.
fn law_groups(data: &Data, sel: &Selection) -> Vec<LawGroup> {
    let used: BTreeSet<i64> = data.support.iter().map(|s| s.support_type_id).collect();
    let months = sel.from.through(sel.to);
    let mut groups: Vec<LawGroup> = Vec::new();
    for c in data.list("support_type", &used) {
        if !(used.contains(&c.id) || months.iter().any(|m| in_force(&c, *m))) {
            continue;
        }
        match groups.iter_mut().find(|g| g.basis == c.legal_basis) {
            Some(g) => g.codes.push(c),
            None => groups.push(LawGroup {
                basis: c.legal_basis.clone(),
                codes: vec![c],
            }),
        }
    }
    groups.sort_by_key(|g| g.codes.iter().filter_map(|c| c.valid_from).min());
    groups
}

fn sum_by<T>(
    rows: &[T],
    key: impl Fn(&T) -> (i64, i64),
    n: impl Fn(&T) -> i64,
) -> BTreeMap<(i64, i64), i64> {
    let mut out = BTreeMap::new();
    for r in rows {
        *out.entry(key(r)).or_insert(0) += n(r);
    }
    out
}

/// Which row of the by-unit table a unit's figures go to: the child of the selected unit above
/// it, or the highest unit of a branch joined through the lineage (a merged predecessor keeps
/// its own row, so history stays attributed to the unit as it was).
pub(crate) fn row_unit(units: &HashMap<i64, &org_unit::Model>, selected: i64, unit: i64) -> i64 {
    let mut x = unit;
    if x == selected {
        return x;
    }
    while let Some(p) = units.get(&x).and_then(|u| u.parent_id) {
        if p == selected || !units.contains_key(&p) {
            break;
        }
        x = p;
    }
    x
}

/// Where a protected table goes in the report.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Received,
    Support,
    Referrals,
    Carried,
    Loans,
    /// Hotline-111 tips: received, handled, referred (three single figures).
    Hotline,
    ByUnit,
    /// Published nowhere: a table across units that links a unit's figures to its parent's
    /// (`figures::family`), so that suppression holds across their views.
    Lattice,
}

/// A table to protect, with what it takes to show it.
pub struct Spec {
    pub slot: Slot,
    pub id: String,
    pub title: String,
    pub note: Option<String>,
    pub rows: Vec<Label>,
    pub cols: Vec<Label>,
    pub list: bool,
    pub table: Table<i64>,
}

/// The code lists a report's tables are laid out on.
pub struct Lists {
    sexes: Vec<code::Model>,
    ages: Vec<code::Model>,
    purposes: Vec<code::Model>,
    manners: Vec<code::Model>,
    places: Vec<code::Model>,
    destinations: Vec<code::Model>,
}

impl Lists {
    pub fn of(data: &Data) -> Lists {
        let used: BTreeSet<i64> = data
            .received
            .iter()
            .flat_map(|r| {
                [
                    r.sex_id,
                    r.age_band_id,
                    r.purpose_id,
                    r.return_manner_id,
                    r.trafficked_to_id,
                ]
            })
            .chain(data.referrals.iter().map(|r| r.destination_id))
            .collect();
        Lists {
            sexes: data.list("sex", &used),
            ages: data.list("age_band", &used),
            purposes: data.list("trafficking_purpose", &used),
            manners: data.list("return_manner", &used),
            places: data.list("trafficked_to", &used),
            destinations: data.list("referral_destination", &used),
        }
    }
}

fn ids(v: &[code::Model]) -> Vec<i64> {
    v.iter().map(|c| c.id).collect()
}

fn labels(v: &[code::Model], tr: &Tr) -> Vec<Label> {
    v.iter().map(|c| tr.code(c)).collect()
}

/// A two-way table of persons received: its rows, its columns, and where a stored line goes.
struct Layout<'a> {
    id: &'static str,
    row_dim: &'static str,
    rows: &'a [code::Model],
    col_dim: &'static str,
    cols: &'a [code::Model],
    key: fn(&received::Model) -> (i64, i64),
}

/// Persons received, two dimensions at a time: never more, for any reader of these tables.
pub fn received_specs(data: &Data, l: &Lists, tr: &Tr) -> Vec<Spec> {
    let layouts = [
        Layout {
            id: "age_sex",
            row_dim: "age_band",
            rows: &l.ages,
            col_dim: "sex",
            cols: &l.sexes,
            key: |r| (r.age_band_id, r.sex_id),
        },
        Layout {
            id: "purpose_manner",
            row_dim: "purpose",
            rows: &l.purposes,
            col_dim: "manner",
            cols: &l.manners,
            key: |r| (r.purpose_id, r.return_manner_id),
        },
        Layout {
            id: "where_manner",
            row_dim: "trafficked_to",
            rows: &l.places,
            col_dim: "manner",
            cols: &l.manners,
            key: |r| (r.trafficked_to_id, r.return_manner_id),
        },
    ];
    layouts
        .into_iter()
        .map(
            |Layout {
                 id,
                 row_dim,
                 rows,
                 col_dim,
                 cols,
                 key,
             }| {
                let mut table = Table::new("received", row_dim, ids(rows), col_dim, ids(cols));
                for ((r, c), n) in sum_by(&data.received, key, |r| r.persons) {
                    table.add(&r, &c, n);
                }
                Spec {
                    slot: Slot::Received,
                    id: id.to_owned(),
                    title: tr.t(&format!("stats.table.{id}")),
                    note: None,
                    rows: labels(rows, tr),
                    cols: labels(cols, tr),
                    list: false,
                    table,
                }
            },
        )
        .collect()
}

/// Persons supported, one list per legal basis, and persons referred by destination.
pub fn support_specs(data: &Data, sel: &Selection, l: &Lists, tr: &Tr) -> Vec<Spec> {
    let mut out = Vec::new();
    for (gi, g) in law_groups(data, sel).into_iter().enumerate() {
        // The measure names the law, not its place in the list: the same law is the same
        // measure in every period (`lattice`), whether or not the period spans two laws.
        let law = g.basis.as_deref().unwrap_or("-");
        let mut table = Table::column(format!("support:{law}"), "support_type", ids(&g.codes), 0);
        for s in &data.support {
            table.add(&s.support_type_id, &0, s.persons);
        }
        out.push(Spec {
            slot: Slot::Support,
            id: format!("support_{gi}"),
            title: tr.t("stats.table.support"),
            note: g.basis.as_deref().map(|b| tr.law_note(b, &g.codes)),
            rows: labels(&g.codes, tr),
            cols: vec![tr.persons()],
            list: true,
            table,
        });
    }
    let mut table = Table::column("referral", "destination", ids(&l.destinations), 0);
    for r in &data.referrals {
        table.add(&r.destination_id, &0, r.persons);
    }
    out.push(Spec {
        slot: Slot::Referrals,
        id: "referrals".into(),
        title: tr.t("stats.table.referrals"),
        note: None,
        rows: labels(&l.destinations, tr),
        cols: vec![tr.persons()],
        list: true,
        table,
    });
    out
}

/// A single protected figure (persons carried over, persons given a loan).
pub fn single(slot: Slot, measure: &str, value: i64) -> Spec {
    let mut table = Table::column(measure, "", vec![0], 0);
    table.add(&0, &0, value);
    Spec {
        slot,
        id: measure.to_owned(),
        title: String::new(),
        note: None,
        rows: vec![Label::default()],
        cols: vec![Label::default()],
        list: true,
        table,
    }
}

/// Persons received by the units below the selected one (and its own figures), by sex.
pub fn by_unit_spec(data: &Data, sel: &Selection, l: &Lists, tr: &Tr) -> Option<Spec> {
    if data.units.len() < 2 {
        return None;
    }
    let units: HashMap<i64, &org_unit::Model> = data.units.iter().map(|u| (u.id, u)).collect();
    let mut rows: Vec<&org_unit::Model> = data
        .units
        .iter()
        .filter(|u| row_unit(&units, sel.unit.id, u.id) == u.id)
        .collect();
    // The unit's own figures first, then the units below it by name.
    rows.sort_by_key(|u| (u.id != sel.unit.id, u.name.clone()));
    let month_unit: HashMap<i64, i64> = data.months.iter().map(|m| (m.id, m.org_unit_id)).collect();
    let mut table = Table::new(
        "received",
        "unit",
        rows.iter().map(|u| u.id).collect(),
        "sex",
        ids(&l.sexes),
    );
    for r in &data.received {
        if let Some(u) = month_unit.get(&r.month_id) {
            table.add(&row_unit(&units, sel.unit.id, *u), &r.sex_id, r.persons);
        }
    }
    let rows = rows
        .iter()
        .map(|u| Label {
            code: u.id.to_string(),
            label: if u.id == sel.unit.id {
                tr.own_figures(&u.name)
            } else {
                u.name.clone()
            },
        })
        .collect();
    Some(Spec {
        slot: Slot::ByUnit,
        id: "by_unit".into(),
        title: tr.t("stats.table.by_unit"),
        note: None,
        rows,
        cols: labels(&l.sexes, tr),
        list: false,
        table,
    })
}
