//! The aggregate SQL behind the dashboard, as plain statements: the whole months of the period
//! from the summary rows kept in step by every activity write (`dashboard::rollups`), the days
//! around them as GROUP BYs over the indexed columns of `activities`, and the tasks from
//! `coordination_tasks` — all read live on every request. The statements are public so that
//! `kehoach bench` can time them raw, without the page around them.
//!
//! Only integers from the database (unit and agency ids) and dates formatted by us are written
//! into the text; nothing a user typed reaches it.

use crate::org_units::scope::Scope;
use chrono::{Datelike, NaiveDate};
use migration::rollups::{ACTIVITY_FIGURES, COUNTRY, sum};
use sea_orm::{DbBackend, Statement};

/// Who is looking and at what: the scope, the period and the day (for lateness).
#[derive(Clone, Debug)]
pub struct Frame {
    pub scope: Scope,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub today: NaiveDate,
    /// The agency of the user: its own tasks are always visible.
    pub agency_id: i64,
    /// Partners see only the tasks of their agency (as on the task board).
    pub partner: bool,
    /// Agencies inside the scope, for the tasks they lead.
    pub agencies_in_scope: Vec<i64>,
    /// The longest span of a stored activity (`activities::repo::longest_span`).
    pub longest_span: i64,
    /// The plan items the page shows one by one (those of the plan in force). The whole
    /// country's summary rows are read item by item for these only; the rest come added up
    /// under item 0, which only the totals read.
    pub items: Vec<i64>,
}

fn day(d: NaiveDate) -> String {
    format!("'{}'", d.format("%Y-%m-%d"))
}

fn id_list(ids: impl IntoIterator<Item = i64>) -> Option<String> {
    let list: Vec<String> = ids.into_iter().map(|i| i.to_string()).collect();
    (!list.is_empty()).then(|| list.join(","))
}

/// How a period is read: its whole months from the summary rows (`dashboard::rollups`), and
/// from the activities themselves only the start dates around them — the days before the first
/// whole month (back to the earliest start an activity overlapping the period can have) and the
/// days after the last one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// The first days of the first and the last whole month, if the period holds one.
    pub months: Option<(NaiveDate, NaiveDate)>,
    /// Ranges of start dates, both ends included, read from `activities`.
    pub raw: Vec<(NaiveDate, NaiveDate)>,
}

impl Split {
    pub fn of(f: &Frame) -> Split {
        use crate::dashboard::rollups::{month_end, month_start};
        let earliest = crate::activities::input::earliest_start(f.from, f.longest_span);
        let first = month_start(f.from);
        let first_whole = if first == f.from {
            Some(first)
        } else {
            month_end(first).succ_opt()
        };
        let last = month_start(f.to);
        let last_whole = if month_end(last) == f.to {
            Some(last)
        } else {
            last.checked_sub_months(chrono::Months::new(1))
        };
        match (first_whole, last_whole) {
            (Some(m0), Some(m1)) if m0 <= m1 => {
                let mut raw = Vec::new();
                if let Some(before) = m0.pred_opt().filter(|d| *d >= earliest) {
                    raw.push((earliest, before));
                }
                if let Some(after) = month_end(m1).succ_opt().filter(|d| *d <= f.to) {
                    raw.push((after, f.to));
                }
                Split {
                    months: Some((m0, m1)),
                    raw,
                }
            }
            _ => Split {
                months: None,
                raw: vec![(earliest, f.to)],
            },
        }
    }
}

fn units_of(f: &Frame, col: &str) -> String {
    if f.scope.all {
        return String::new();
    }
    match id_list(f.scope.units.iter().copied()) {
        Some(ids) => format!(" AND {col} IN ({ids})"),
        None => " AND 1 = 0".to_owned(),
    }
}

/// The activity list's conditions for `from`, `to` (an activity counts when it overlaps the
/// period) and the scope, for the activities starting in `range` — with the summary rows, exactly
/// the rows a click-through lists. The start dates are bounded from below (no stored activity
/// lasts longer than `longest_span`) so that the (org_unit_id, start_date) index reads only them.
fn activity_where(f: &Frame, range: (NaiveDate, NaiveDate)) -> String {
    format!(
        "a.end_date >= {} AND a.start_date >= {} AND a.start_date <= {}{}",
        day(f.from),
        day(range.0),
        day(range.1),
        units_of(f, "a.org_unit_id")
    )
}

fn months_where(months: (NaiveDate, NaiveDate)) -> String {
    format!(
        "r.month >= {} AND r.month <= {}",
        day(months.0),
        day(months.1)
    )
}

/// The first days of the first and the last of a run of whole months.
type MonthRun = (NaiveDate, NaiveDate);

/// Whole months (first days of the first and the last) as the calendar years they cover
/// whole, if any, and the runs of months before and after those years (or all the months).
fn years_and_months(months: MonthRun) -> (Option<(i32, i32)>, Vec<MonthRun>) {
    let (from, to) = months;
    let first = if from.month() == 1 {
        from.year()
    } else {
        from.year() + 1
    };
    let last = if to.month() == 12 {
        to.year()
    } else {
        to.year() - 1
    };
    let jan = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1);
    let dec = |y: i32| NaiveDate::from_ymd_opt(y, 12, 1);
    match (jan(first), dec(last)) {
        (Some(start), Some(end)) if first <= last => {
            let mut runs = Vec::new();
            if let (true, Some(before)) = (from < start, dec(first - 1)) {
                runs.push((from, before));
            }
            if let (true, Some(after)) = (to > end, jan(last + 1)) {
                runs.push((after, to));
            }
            (Some((first, last)), runs)
        }
        _ => (None, vec![months]),
    }
}

/// The summary rows of the whole months `months` in scope (not the country's own).
fn rollup_where(f: &Frame, months: (NaiveDate, NaiveDate)) -> String {
    format!("{}{}", months_where(months), units_of(f, "r.org_unit_id"))
}

/// The country's rows (as `alias`) of the whole months `months`: of the items shown one by one
/// (`Frame::items`), or its totals over all items (item 0). The months are listed, so that each
/// (month, item) is found through the key.
fn country_where(f: &Frame, months: (NaiveDate, NaiveDate), alias: &str, shown: bool) -> String {
    let mut list = Vec::new();
    let mut m = months.0;
    while m <= months.1 {
        list.push(day(m));
        match m.checked_add_months(chrono::Months::new(1)) {
            Some(next) => m = next,
            None => break,
        }
    }
    let items = match (shown, id_list(f.items.iter().copied())) {
        (true, Some(ids)) => format!("IN ({ids})"),
        (true, None) => "IN (-1)".to_owned(),
        (false, _) => "= 0".to_owned(),
    };
    format!(
        "{alias}.org_unit_id = {COUNTRY} AND {alias}.month IN ({}) AND {alias}.plan_item_id {items}",
        list.join(", ")
    )
}

fn stmt(backend: DbBackend, sql: String) -> Statement {
    Statement::from_string(backend, sql)
}

/// How the whole country's "other items" are read from a summary table: its totals (`t`) less
/// the items shown one by one (`x`), by `keys`; `head` names the leading columns of the row.
struct Others {
    table: &'static str,
    head: String,
    keys: &'static [&'static str],
    figures: &'static [&'static str],
}

impl Others {
    fn sql(&self, totals: &str, shown: &str) -> String {
        let keys: Vec<String> = self.keys.iter().map(|k| format!("x.{k}")).collect();
        let sums: Vec<String> = self
            .figures
            .iter()
            .map(|c| format!("{} AS {c}", sum(&format!("x.{c}"))))
            .collect();
        let on: Vec<String> = self.keys.iter().map(|k| format!("l.{k} = t.{k}")).collect();
        let less: Vec<String> = self
            .figures
            .iter()
            .map(|c| format!("t.{c} - COALESCE(l.{c}, 0) AS {c}"))
            .collect();
        format!(
            "SELECT {head}, {less} FROM {table} t LEFT JOIN (SELECT {keys}, {sums} FROM {table} x \
             WHERE {shown} GROUP BY {keys}) l ON {on} WHERE {totals}",
            head = self.head,
            less = less.join(", "),
            table = self.table,
            keys = keys.join(", "),
            sums = sums.join(", "),
            on = on.join(" AND "),
        )
    }
}

/// The statements over the ragged edges of the period (`raw`, given the condition on the
/// activities `a`), then, if it holds whole months, `months`' (given the first and last).
fn reads(
    backend: DbBackend,
    f: &Frame,
    raw: impl Fn(String) -> String,
    months: impl Fn((NaiveDate, NaiveDate)) -> Vec<String>,
) -> Vec<Statement> {
    let split = Split::of(f);
    let mut out: Vec<String> = split
        .raw
        .iter()
        .map(|r| raw(activity_where(f, *r)))
        .collect();
    if let Some(m) = split.months {
        out.extend(months(m));
    }
    out.into_iter().map(|sql| stmt(backend, sql)).collect()
}

/// Reads by plan item: the summary rows of the whole months in scope (`rollup`, given their
/// condition); for the whole country, its rows of the items shown one by one and then those of
/// the other items (its totals less the items shown), under item 0.
fn split_statements(
    backend: DbBackend,
    f: &Frame,
    raw: impl Fn(String) -> String,
    rollup: impl Fn(String) -> String,
    others: Others,
) -> Vec<Statement> {
    reads(backend, f, raw, |m| {
        if f.scope.all {
            let (totals, shown) = (
                country_where(f, m, "t", false),
                country_where(f, m, "x", true),
            );
            vec![
                rollup(country_where(f, m, "r", true)),
                others.sql(&totals, &shown),
            ]
        } else {
            vec![rollup(rollup_where(f, m))]
        }
    })
}

/// The units whose coverage rows are read: those in scope; for the whole country, every unit,
/// each unit's rows found through the key.
fn coverage_units(f: &Frame) -> String {
    if f.scope.all {
        " AND r.org_unit_id IN (SELECT id FROM org_units)".to_owned()
    } else {
        units_of(f, "r.org_unit_id")
    }
}

/// `CAST(COALESCE(SUM(CASE WHEN <status> = 'held' THEN <then> ELSE 0 END), 0) AS BIGINT)`.
fn held_sum(status: &str, then: &str) -> String {
    sum(&format!(
        "CASE WHEN {status} = 'held' THEN {then} ELSE 0 END"
    ))
}

/// Item 0 as both backends read it back into an i64.
const ZERO: &str = "CAST(0 AS BIGINT)";

/// Counts and figures by plan item, activity type and status (`data::ItemRow`).
pub fn activity_items(backend: DbBackend, f: &Frame) -> Vec<Statement> {
    split_statements(
        backend,
        f,
        |cond| {
            format!(
                "SELECT a.plan_item_id AS item, a.activity_type_id AS kind, a.status AS status, \
                 {figures} FROM activities a WHERE {cond} \
                 GROUP BY a.plan_item_id, a.activity_type_id, a.status",
                figures = migration::rollups::activity_figures(),
            )
        },
        |cond| {
            let sums: Vec<String> = ACTIVITY_FIGURES
                .iter()
                .map(|c| format!("{} AS {c}", sum(&format!("r.{c}"))))
                .collect();
            format!(
                "SELECT r.plan_item_id AS item, r.activity_type_id AS kind, r.status AS status, \
                 {} FROM activity_rollups r WHERE {cond} \
                 GROUP BY r.plan_item_id, r.activity_type_id, r.status",
                sums.join(", ")
            )
        },
        Others {
            table: "activity_rollups",
            head: format!("{ZERO} AS item, {ZERO} AS kind, t.status"),
            keys: &["month", "status"],
            figures: &ACTIVITY_FIGURES,
        },
    )
}

/// Activities held and all, and participants of the held ones, by unit (`data::UnitRow`): the
/// whole calendar years from the units' yearly coverage rows (`COVERAGE_YEARS`), the other
/// whole months from their monthly ones (`COVERAGE`), both in `migration::rollups`.
pub fn activity_units(backend: DbBackend, f: &Frame) -> Vec<Statement> {
    reads(
        backend,
        f,
        |cond| {
            format!(
                "SELECT a.org_unit_id AS unit, {held} AS held, {people} AS participants, \
                 CAST(COUNT(*) AS BIGINT) AS n FROM activities a WHERE {cond} \
                 GROUP BY a.org_unit_id",
                held = held_sum("a.status", "1"),
                people = held_sum("a.status", "a.participants"),
            )
        },
        |m| {
            let (years, months) = years_and_months(m);
            let mut parts: Vec<String> = years
                .map(|(first, last)| {
                    format!(
                        "SELECT r.org_unit_id, r.held, r.n, r.participants FROM {table} r \
                         WHERE r.year >= {first} AND r.year <= {last}{units}",
                        table = migration::rollups::COVERAGE_YEARS,
                        units = units_of(f, "r.org_unit_id"),
                    )
                })
                .into_iter()
                .collect();
            parts.extend(months.into_iter().map(|m| {
                format!(
                    "SELECT r.org_unit_id, r.held, r.n, r.participants FROM {table} r \
                     WHERE {months}{units}",
                    table = migration::rollups::COVERAGE,
                    months = months_where(m),
                    units = coverage_units(f),
                )
            }));
            vec![format!(
                "SELECT r.org_unit_id AS unit, {held} AS held, {people} AS participants, \
                 {n} AS n FROM ({parts}) r GROUP BY r.org_unit_id",
                held = sum("r.held"),
                people = sum("r.participants"),
                n = sum("r.n"),
                parts = parts.join(" UNION ALL "),
            )]
        },
    )
}

/// Activities held and all by start date; for the summary rows, by month (`data::DayRow`):
/// from the coverage rows of the units in scope, or the country's totals.
pub fn activity_days(backend: DbBackend, f: &Frame) -> Vec<Statement> {
    reads(
        backend,
        f,
        |cond| {
            format!(
                "SELECT a.start_date AS day, {held} AS held, CAST(COUNT(*) AS BIGINT) AS n \
                 FROM activities a WHERE {cond} GROUP BY a.start_date",
                held = held_sum("a.status", "1"),
            )
        },
        |m| {
            vec![if f.scope.all {
                format!(
                    "SELECT r.month AS day, {held} AS held, {n} AS n FROM activity_rollups r \
                     WHERE {cond} GROUP BY r.month",
                    held = held_sum("r.status", "r.n"),
                    n = sum("r.n"),
                    cond = country_where(f, m, "r", false),
                )
            } else {
                format!(
                    "SELECT r.month AS day, {held} AS held, {n} AS n FROM {table} r \
                     WHERE {months}{units} GROUP BY r.month",
                    held = sum("r.held"),
                    n = sum("r.n"),
                    table = migration::rollups::COVERAGE,
                    months = months_where(m),
                    units = coverage_units(f),
                )
            }]
        },
    )
}

/// Copies produced and distributed by plan item and material kind, of held activities.
pub fn materials(backend: DbBackend, f: &Frame) -> Vec<Statement> {
    split_statements(
        backend,
        f,
        |cond| {
            format!(
                "SELECT a.plan_item_id AS item, m.material_kind_id AS kind, {p} AS produced, \
                 {d} AS distributed FROM activity_materials m \
                 JOIN activities a ON a.id = m.activity_id \
                 WHERE {cond} AND a.status = 'held' GROUP BY a.plan_item_id, m.material_kind_id",
                p = sum("m.produced"),
                d = sum("m.distributed"),
            )
        },
        |cond| {
            format!(
                "SELECT r.plan_item_id AS item, r.material_kind_id AS kind, {p} AS produced, \
                 {d} AS distributed FROM material_rollups r WHERE {cond} \
                 GROUP BY r.plan_item_id, r.material_kind_id",
                p = sum("r.produced"),
                d = sum("r.distributed"),
            )
        },
        Others {
            table: "material_rollups",
            head: format!("{ZERO} AS item, t.material_kind_id AS kind"),
            keys: &["month", "material_kind_id"],
            figures: &["produced", "distributed"],
        },
    )
}

/// Budget planned and spent by plan item, funding source and status (cancelled left out).
pub fn budgets(backend: DbBackend, f: &Frame) -> Vec<Statement> {
    split_statements(
        backend,
        f,
        |cond| {
            format!(
                "SELECT a.plan_item_id AS item, b.funding_source_id AS source, a.status AS status, \
                 {p} AS planned, {s} AS spent FROM activity_budgets b \
                 JOIN activities a ON a.id = b.activity_id \
                 WHERE {cond} AND a.status <> 'cancelled' \
                 GROUP BY a.plan_item_id, b.funding_source_id, a.status",
                p = sum("b.planned"),
                s = sum("b.spent"),
            )
        },
        |cond| {
            format!(
                "SELECT r.plan_item_id AS item, r.funding_source_id AS source, r.status, \
                 {p} AS planned, {s} AS spent FROM budget_rollups r WHERE {cond} \
                 GROUP BY r.plan_item_id, r.funding_source_id, r.status",
                p = sum("r.planned"),
                s = sum("r.spent"),
            )
        },
        Others {
            table: "budget_rollups",
            head: format!("{ZERO} AS item, t.funding_source_id AS source, t.status"),
            keys: &["month", "funding_source_id", "status"],
            figures: &["planned", "spent"],
        },
    )
}

/// Tasks by plan item: open, overdue, escalated, done. Lateness mirrors
/// `tasks::service::lateness` (not acknowledged by the acknowledgement deadline, or open past
/// the due date); visibility mirrors the task board (`tasks::views::visible`); the period is
/// the board's `from`/`to` filter.
pub fn tasks(backend: DbBackend, f: &Frame) -> Statement {
    const OPEN: &str = "t.status IN ('requested', 'acknowledged', 'in_progress')";
    let today = day(f.today);
    let own = format!(
        "(t.lead_agency_id = {a} OR t.partner_agency_id = {a})",
        a = f.agency_id
    );
    let visible = if f.partner {
        own
    } else if f.scope.all {
        "1 = 1".to_owned()
    } else {
        match id_list(f.agencies_in_scope.iter().copied()) {
            Some(ids) => format!("({own} OR t.lead_agency_id IN ({ids}))"),
            None => own,
        }
    };
    // Every task of the country in the period: SQLite would walk the plan-item index to
    // group without sorting, one table lookup per task (13 ms at 25,000 tasks); reading the
    // table through and sorting the groups is 5 ms.
    let table = if backend == DbBackend::Sqlite && f.scope.all {
        "coordination_tasks t NOT INDEXED"
    } else {
        "coordination_tasks t"
    };
    stmt(
        backend,
        format!(
            "SELECT t.plan_item_id AS item, CAST(COUNT(*) AS BIGINT) AS n, \
             {open} AS open, {overdue} AS overdue, {escalated} AS escalated, {done} AS done \
             FROM {table} \
             WHERE t.due_date >= {from} AND t.requested_on <= {to} AND {visible} \
             GROUP BY t.plan_item_id",
            open = sum(&format!("CASE WHEN {OPEN} THEN 1 ELSE 0 END")),
            overdue = sum(&format!(
                "CASE WHEN {OPEN} AND t.due_date < {today} THEN 1 ELSE 0 END"
            )),
            escalated = sum(&format!(
                "CASE WHEN (t.status = 'requested' AND t.ack_due_date < {today}) \
                 OR ({OPEN} AND t.due_date < {today}) THEN 1 ELSE 0 END"
            )),
            done = sum("CASE WHEN t.status = 'done' THEN 1 ELSE 0 END"),
            from = day(f.from),
            to = day(f.to),
        ),
    )
}

/// Every statement of the page, in the order the page runs them (for the benchmark).
pub fn all(backend: DbBackend, f: &Frame) -> Vec<Statement> {
    let mut out = activity_items(backend, f);
    out.extend(activity_units(backend, f));
    out.extend(activity_days(backend, f));
    out.extend(materials(backend, f));
    out.extend(budgets(backend, f));
    out.push(tasks(backend, f));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org_units::scope::Scope;
    use std::collections::BTreeSet;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn split(from: &str, to: &str, longest_span: i64) -> Split {
        Split::of(&Frame {
            scope: Scope {
                root: 1,
                units: [1].into(),
                all: false,
            },
            from: d(from),
            to: d(to),
            today: d(to),
            agency_id: 1,
            partner: false,
            agencies_in_scope: Vec::new(),
            longest_span,
            items: Vec::new(),
        })
    }

    #[test]
    fn the_country_is_read_month_by_month_across_the_new_year() {
        let mut f = Frame {
            scope: Scope {
                root: 1,
                units: BTreeSet::new(),
                all: true,
            },
            from: d("2024-11-01"),
            to: d("2025-02-28"),
            today: d("2025-02-28"),
            agency_id: 1,
            partner: false,
            agencies_in_scope: Vec::new(),
            longest_span: 0,
            items: vec![7, 9],
        };
        let m = (d("2024-11-01"), d("2025-02-01"));
        assert_eq!(
            country_where(&f, m, "r", true),
            "r.org_unit_id = 0 AND r.month IN ('2024-11-01', '2024-12-01', '2025-01-01', \
             '2025-02-01') AND r.plan_item_id IN (7,9)"
        );
        assert!(country_where(&f, m, "t", false).ends_with("t.plan_item_id = 0"));
        // No plan in force: no item is shown one by one, all are among the others.
        f.items.clear();
        assert!(country_where(&f, m, "x", true).ends_with("x.plan_item_id IN (-1)"));
    }

    #[test]
    fn whole_years_are_read_as_years_and_the_months_around_them_as_months() {
        let ym = |a: &str, b: &str| years_and_months((d(a), d(b)));
        assert_eq!(ym("2025-01-01", "2025-12-01"), (Some((2025, 2025)), vec![]));
        assert_eq!(
            ym("2023-11-01", "2025-02-01"),
            (
                Some((2024, 2024)),
                vec![
                    (d("2023-11-01"), d("2023-12-01")),
                    (d("2025-01-01"), d("2025-02-01"))
                ]
            )
        );
        assert_eq!(
            ym("2021-01-01", "2025-06-01"),
            (Some((2021, 2024)), vec![(d("2025-01-01"), d("2025-06-01"))])
        );
        // Across the new year but no whole year: all months.
        assert_eq!(
            ym("2024-11-01", "2025-02-01"),
            (None, vec![(d("2024-11-01"), d("2025-02-01"))])
        );
        assert_eq!(
            ym("2025-03-01", "2025-03-01"),
            (None, vec![(d("2025-03-01"), d("2025-03-01"))])
        );
    }

    #[test]
    fn a_year_is_twelve_summed_months_and_the_days_before_it() {
        assert_eq!(
            split("2025-01-01", "2025-12-31", 3),
            Split {
                months: Some((d("2025-01-01"), d("2025-12-01"))),
                raw: vec![(d("2024-12-29"), d("2024-12-31"))],
            }
        );
        // Nothing lasts longer than a day: nothing before the period can overlap it.
        assert_eq!(split("2025-01-01", "2025-12-31", 0).raw, vec![]);
    }

    #[test]
    fn ragged_ends_are_read_from_the_activities() {
        assert_eq!(
            split("2025-01-15", "2025-03-20", 1),
            Split {
                months: Some((d("2025-02-01"), d("2025-02-01"))),
                raw: vec![
                    (d("2025-01-14"), d("2025-01-31")),
                    (d("2025-03-01"), d("2025-03-20"))
                ],
            }
        );
        // February of a leap year ends on the 29th.
        assert_eq!(
            split("2024-02-01", "2024-02-29", 0).months,
            Some((d("2024-02-01"), d("2024-02-01")))
        );
        assert_eq!(
            split("2024-02-01", "2024-02-28", 0),
            Split {
                months: None,
                raw: vec![(d("2024-02-01"), d("2024-02-28"))],
            }
        );
        assert_eq!(
            split("2025-02-10", "2025-03-05", 2),
            Split {
                months: None,
                raw: vec![(d("2025-02-08"), d("2025-03-05"))],
            }
        );
    }
}
