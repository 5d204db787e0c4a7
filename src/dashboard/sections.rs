//! The sections of the dashboard, each computed from the rows of `data` and rendered by its own
//! template include (`templates/dashboard/_<id>.html`). A new section (support statistics under
//! suppression, reporting completeness) is one more builder here and one more include.

use crate::dashboard::chart;
use crate::dashboard::data::{Links, Period, Rows};
use crate::entities::{code, plan_budget};
use crate::web::i18n::Locale;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One section: which include renders it, and its data.
#[derive(Serialize)]
pub struct Section {
    pub id: &'static str,
    pub data: minijinja::Value,
}

impl Section {
    pub fn new(id: &'static str, data: impl Serialize) -> Section {
        Section {
            id,
            data: minijinja::Value::from_serialize(data),
        }
    }
}

/// A number and the list of rows behind it.
#[derive(Serialize)]
pub struct Figure {
    pub value: i64,
    pub link: String,
}

pub(crate) fn fig(value: i64, link: String) -> Figure {
    Figure { value, link }
}

pub struct Ctx<'a> {
    pub rows: &'a Rows,
    pub links: &'a Links,
    pub period: &'a Period,
    pub codes: &'a HashMap<i64, code::Model>,
    pub locale: Locale,
}

impl Ctx<'_> {
    pub(crate) fn name(&self, id: i64) -> String {
        self.codes
            .get(&id)
            .map(|c| crate::codes::name(c, self.locale).to_owned())
            .unwrap_or_default()
    }

    pub(crate) fn code_of(&self, id: i64) -> &str {
        self.codes.get(&id).map_or("", |c| c.code.as_str())
    }
}

#[derive(Serialize)]
struct MonthRow {
    month: String,
    scheduled: Figure,
    held: Figure,
}

fn month_end(d: NaiveDate) -> NaiveDate {
    let next = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).unwrap_or(d)
}

/// Activities scheduled and held by the month they start in.
pub fn months(c: &Ctx, labels: (String, String)) -> Section {
    let mut by: BTreeMap<(i32, u32), (i64, i64)> = BTreeMap::new();
    let mut m = NaiveDate::from_ymd_opt(c.period.from.year(), c.period.from.month(), 1)
        .unwrap_or(c.period.from);
    while m <= c.period.to {
        by.insert((m.year(), m.month()), (0, 0));
        m = month_end(m).succ_opt().unwrap_or(NaiveDate::MAX);
    }
    for r in &c.rows.days {
        // An activity that began before the period counts in its first month.
        let d = r.day.max(c.period.from);
        if let Some(e) = by.get_mut(&(d.year(), d.month())) {
            e.0 += r.n;
            e.1 += r.held;
        }
    }
    let rows: Vec<MonthRow> = by
        .iter()
        .map(|((y, mo), (all, held))| {
            let start = NaiveDate::from_ymd_opt(*y, *mo, 1).unwrap_or(c.period.from);
            let q = format!("from={}&to={}", start, month_end(start));
            MonthRow {
                month: format!("{mo:02}/{y}"),
                scheduled: fig(*all, format!("/activities?{q}")),
                held: fig(*held, format!("/activities?{q}&status=held")),
            }
        })
        .collect();
    let groups: Vec<_> = by
        .iter()
        .map(|((_, mo), (all, held))| {
            (
                mo.to_string(),
                *all,
                *held,
                format!("{}: {all}", labels.0),
                format!("{}: {held}", labels.1),
            )
        })
        .collect();
    Section::new(
        "months",
        serde_json::json!({ "rows": rows, "chart": chart::paired(&groups) }),
    )
}

#[derive(Serialize)]
struct UnitRow {
    id: i64,
    name: String,
    ethnic_minority: bool,
    border_area: bool,
    held: Figure,
    scheduled: Figure,
    participants: i64,
}

/// The most communes listed; the counts above the table cover them all.
const COVERAGE_ROWS: usize = 300;

/// Which communes held what: the ones with nothing first, ethnic-minority and border ones
/// first among equals.
pub fn coverage(c: &Ctx, units: &[BaseUnit]) -> Section {
    let mut per: HashMap<i64, (i64, i64, i64)> = HashMap::new();
    for r in &c.rows.units {
        let e = per.entry(r.unit).or_default();
        e.0 += r.held;
        e.1 += r.n;
        e.2 += r.participants;
    }
    // Sorted and counted before the rows are made: a national scope is 3,300 communes, of
    // which the page shows the first COVERAGE_ROWS, and only those need their links.
    let mut all_units: Vec<(&BaseUnit, (i64, i64, i64))> = units
        .iter()
        .map(|u| (u, per.get(&u.id).copied().unwrap_or_default()))
        .collect();
    all_units.sort_by_key(|&(u, (held, _, _))| {
        (
            held > 0,
            !(u.ethnic_minority || u.border_area),
            u.name.as_str(),
        )
    });
    let count = |f: &dyn Fn(&BaseUnit) -> bool| {
        (
            all_units.iter().filter(|(u, _)| f(u)).count(),
            all_units.iter().filter(|(u, h)| f(u) && h.0 > 0).count(),
        )
    };
    let all = count(&|_| true);
    let em = count(&|u| u.ethnic_minority);
    let border = count(&|u| u.border_area);
    let hidden = all_units.len().saturating_sub(COVERAGE_ROWS);
    let rows: Vec<UnitRow> = all_units
        .into_iter()
        .take(COVERAGE_ROWS)
        .map(|(u, (held, all, people))| {
            let unit = ("unit", u.id.to_string());
            UnitRow {
                id: u.id,
                name: u.name.clone(),
                ethnic_minority: u.ethnic_minority,
                border_area: u.border_area,
                held: fig(held, c.links.held(std::slice::from_ref(&unit))),
                scheduled: fig(all, c.links.activities(&[unit])),
                participants: people,
            }
        })
        .collect();
    Section::new(
        "coverage",
        serde_json::json!({ "rows": rows, "all": all, "em": em, "border": border, "hidden": hidden }),
    )
}

/// What the coverage shows of a commune, town or ward.
#[derive(Debug, sea_orm::FromQueryResult)]
pub struct BaseUnit {
    pub id: i64,
    pub name: String,
    pub ethnic_minority: bool,
    pub border_area: bool,
}

/// People reached by held activities, by target group.
pub fn reach(c: &Ctx) -> Section {
    let link = c.links.held(&[]);
    let total =
        |f: fn(&crate::dashboard::data::ItemRow) -> i64| c.rows.held(None).map(f).sum::<i64>();
    Section::new(
        "reach",
        serde_json::json!({
            "held": fig(total(|r| r.n), link.clone()),
            "participants": fig(total(|r| r.participants), link.clone()),
            "women": fig(total(|r| r.women), link.clone()),
            "ethnic_minority": fig(total(|r| r.ethnic), link.clone()),
            "children": fig(total(|r| r.children), link.clone()),
            "broadcasts": fig(total(|r| r.broadcasts), link.clone()),
            "minutes": fig(total(|r| r.minutes), link),
        }),
    )
}

/// Copies produced and distributed by material kind.
pub fn materials(c: &Ctx) -> Section {
    let mut by: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for m in &c.rows.materials {
        let e = by.entry(m.kind).or_default();
        e.0 += m.produced;
        e.1 += m.distributed;
    }
    let link = c.links.held(&[]);
    let rows: Vec<_> = by
        .into_iter()
        .map(|(k, (p, d))| serde_json::json!({ "kind": c.name(k), "produced": fig(p, link.clone()), "distributed": fig(d, link.clone()) }))
        .collect();
    Section::new("materials", serde_json::json!({ "rows": rows }))
}

/// Budget by funding source: in the plan, planned on activities, spent on held ones.
pub fn budget(c: &Ctx, plan_budgets: &[plan_budget::Model], labels: (String, String)) -> Section {
    let mut by: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new();
    for b in plan_budgets {
        by.entry(b.funding_source_id).or_default().0 += b.amount;
    }
    for b in &c.rows.budgets {
        let e = by.entry(b.source).or_default();
        e.1 += b.planned;
        if b.status == "held" {
            e.2 += b.spent;
        }
    }
    let all = c.links.activities(&[]);
    let held = c.links.held(&[]);
    let rows: Vec<_> = by
        .iter()
        .map(|(k, (p, a, s))| serde_json::json!({ "source": c.name(*k), "plan": p, "planned": fig(*a, all.clone()), "spent": fig(*s, held.clone()) }))
        .collect();
    let groups: Vec<_> = by
        .iter()
        .map(|(k, (p, a, s))| {
            let planned = (*p).max(*a);
            (
                c.name(*k),
                planned,
                *s,
                format!("{}: {planned}", labels.0),
                format!("{}: {s}", labels.1),
            )
        })
        .collect();
    Section::new(
        "budget",
        serde_json::json!({ "rows": rows, "chart": chart::paired(&groups) }),
    )
}

/// Coordination tasks: open, overdue, escalated and done.
pub fn tasks(c: &Ctx) -> Section {
    let link = c.links.tasks();
    let total = |f: fn(&crate::dashboard::data::TaskRow) -> i64| {
        fig(c.rows.tasks.iter().map(f).sum(), link.clone())
    };
    Section::new(
        "tasks",
        serde_json::json!({
            "all": total(|r| r.n), "open": total(|r| r.open), "overdue": total(|r| r.overdue),
            "escalated": total(|r| r.escalated), "done": total(|r| r.done),
        }),
    )
}
