//! Running the dashboard's statements and reading their rows; the period, the plan in force and
//! the links into the lists.

use crate::dashboard::sql::{self, Frame};
use crate::entities::plan;
use crate::org_units::scope::Scope;
use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};

/// The period asked for in the query string.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PeriodQuery {
    #[serde(default, deserialize_with = "crate::web::query::from_date")]
    pub from: Option<String>,
    #[serde(default, deserialize_with = "crate::web::query::to_date")]
    pub to: Option<String>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The longest period the page accepts: five years, the length of a phase plan.
const MAX_DAYS: i64 = 5 * 366;

impl Period {
    /// The dates asked for, or the current calendar year; reversed dates are put in order and
    /// an overlong period is cut to five years from its start.
    pub fn parse(q: &PeriodQuery, today: NaiveDate) -> Period {
        let parse = |v: &Option<String>| v.as_deref().and_then(crate::web::format::parse_date);
        let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        let year_end = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
        let (mut from, mut to) = match (parse(&q.from), parse(&q.to)) {
            (Some(f), Some(t)) => (f, t),
            (Some(f), None) => (f, year_end.max(f)),
            (None, Some(t)) => (year_start.min(t), t),
            (None, None) => (year_start, year_end),
        };
        if to < from {
            std::mem::swap(&mut from, &mut to);
        }
        if (to - from).num_days() > MAX_DAYS {
            to = from + chrono::Duration::days(MAX_DAYS);
        }
        Period { from, to }
    }

    /// `from=…&to=…` in the form the lists read.
    pub fn query(&self) -> String {
        format!("from={}&to={}", self.from, self.to)
    }
}

/// Links into the activity list and the task board, keeping the period.
pub struct Links {
    period: String,
}

impl Links {
    pub fn new(period: &Period) -> Links {
        Links {
            period: period.query(),
        }
    }

    pub fn activities(&self, extra: &[(&str, String)]) -> String {
        let mut out = format!("/activities?{}", self.period);
        for (k, v) in extra {
            out.push_str(&format!("&{k}={v}"));
        }
        out
    }

    pub fn held(&self, extra: &[(&str, String)]) -> String {
        let mut all = vec![("status", "held".to_owned())];
        all.extend(extra.iter().cloned());
        self.activities(&all)
    }

    pub fn tasks(&self) -> String {
        format!("/tasks?{}", self.period)
    }
}

/// Figures by plan item, activity type and whether held (`sql::activity_items`). Item 0 holds,
/// in the national view, the items not shown one by one (`sql::Frame::items`), added up. Rows
/// of the same key may come from several statements: readers add them up.
#[derive(Debug, Default)]
pub struct ItemRow {
    pub item: i64,
    pub kind: i64,
    pub held: bool,
    pub n: i64,
    pub participants: i64,
    pub women: i64,
    pub ethnic: i64,
    pub children: i64,
    pub broadcasts: i64,
    pub minutes: i64,
}

/// Read by position, in the statements' column order: a province's year is hundreds of rows,
/// and looking each column up by name was a good part of the page's time.
impl FromQueryResult for ItemRow {
    fn from_query_result(r: &sea_orm::QueryResult, _: &str) -> Result<Self, DbErr> {
        let status: String = r.try_get_by_index(2)?;
        Ok(ItemRow {
            item: r.try_get_by_index(0)?,
            kind: r.try_get_by_index(1)?,
            held: status == crate::activities::service::HELD,
            n: r.try_get_by_index(3)?,
            participants: r.try_get_by_index(4)?,
            women: r.try_get_by_index(5)?,
            ethnic: r.try_get_by_index(6)?,
            children: r.try_get_by_index(7)?,
            broadcasts: r.try_get_by_index(8)?,
            minutes: r.try_get_by_index(9)?,
        })
    }
}

/// A unit's activities: held, all, and the participants of the held ones
/// (`sql::activity_units`).
#[derive(Debug, FromQueryResult)]
pub struct UnitRow {
    pub unit: i64,
    pub held: i64,
    pub participants: i64,
    pub n: i64,
}

/// Activities held and all that start on a day, or (summary rows) in the month starting on it
/// (`sql::activity_days`).
#[derive(Debug, FromQueryResult)]
pub struct DayRow {
    pub day: NaiveDate,
    pub held: i64,
    pub n: i64,
}

#[derive(Debug, FromQueryResult)]
pub struct MaterialRow {
    pub item: i64,
    pub kind: i64,
    pub produced: i64,
    pub distributed: i64,
}

#[derive(Debug, FromQueryResult)]
pub struct BudgetRow {
    pub item: i64,
    pub source: i64,
    pub status: String,
    pub planned: i64,
    pub spent: i64,
}

#[derive(Debug, FromQueryResult)]
pub struct TaskRow {
    pub item: i64,
    pub n: i64,
    pub open: i64,
    pub overdue: i64,
    pub escalated: i64,
    pub done: i64,
}

/// The rows of several statements of the same shape, one after the other.
async fn all_of<R: FromQueryResult>(
    db: &impl ConnectionTrait,
    statements: Vec<sea_orm::Statement>,
) -> Result<Vec<R>, DbErr> {
    let mut out = Vec::new();
    for s in statements {
        out.extend(R::find_by_statement(s).all(db).await?);
    }
    Ok(out)
}

/// The rows of every statement.
pub struct Rows {
    pub items: Vec<ItemRow>,
    pub units: Vec<UnitRow>,
    pub days: Vec<DayRow>,
    pub materials: Vec<MaterialRow>,
    pub budgets: Vec<BudgetRow>,
    pub tasks: Vec<TaskRow>,
}

impl Rows {
    pub async fn fetch(db: &impl ConnectionTrait, f: &Frame) -> Result<Rows, DbErr> {
        let b = db.get_database_backend();
        let items = all_of(db, sql::activity_items(b, f)).await?;
        let units = all_of(db, sql::activity_units(b, f)).await?;
        let days = all_of(db, sql::activity_days(b, f)).await?;
        Ok(Rows {
            items,
            units,
            days,
            materials: all_of(db, sql::materials(b, f)).await?,
            budgets: all_of(db, sql::budgets(b, f)).await?,
            tasks: TaskRow::find_by_statement(sql::tasks(b, f)).all(db).await?,
        })
    }

    /// Held rows of the given items (all items when `None`).
    pub fn held<'a>(
        &'a self,
        items: Option<&'a std::collections::BTreeSet<i64>>,
    ) -> impl Iterator<Item = &'a ItemRow> + 'a {
        self.items
            .iter()
            .filter(move |r| r.held && items.is_none_or(|s| s.contains(&r.item)))
    }
}

/// The plan the period is measured against: an issued plan overlapping the period, of the
/// user's own unit if there is one, else of the nearest unit above, else of a unit below.
pub async fn plan_in_force(
    db: &impl ConnectionTrait,
    scope: &Scope,
    own_unit: i64,
    period: &Period,
) -> Result<Option<plan::Model>, DbErr> {
    let readable = crate::plans::repo::readable_units(db, scope, own_unit).await?;
    let mut q = plan::Entity::find();
    if !scope.all {
        // (For the whole country every plan is readable: no list of thousands of units.)
        q = q.filter(plan::Column::OrgUnitId.is_in(readable.iter().copied()));
    }
    let plans = q
        .filter(plan::Column::Status.eq("issued"))
        .filter(plan::Column::PeriodStart.lte(period.to))
        .filter(plan::Column::PeriodEnd.gte(period.from))
        .order_by_desc(plan::Column::PeriodStart)
        .order_by_desc(plan::Column::Id)
        .all(db)
        .await?;
    // `readable` lists the scope, then the units above from the nearest up.
    let above: Vec<i64> = readable
        .iter()
        .copied()
        .filter(|u| !scope.contains(*u))
        .collect();
    let rank = |unit: i64| {
        if unit == own_unit {
            0
        } else if let Some(pos) = above.iter().position(|u| *u == unit) {
            1 + pos
        } else {
            usize::MAX
        }
    };
    Ok(plans.into_iter().min_by_key(|p| rank(p.org_unit_id)))
}
