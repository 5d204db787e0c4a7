//! Reading activities: the filtered, keyset-paginated list, a month of the calendar, one
//! activity with everything about it, and its history from the audit log.

use crate::entities::{
    activity, activity_budget, activity_date_change, activity_material, activity_target_group,
    agency, audit_event, code, org_unit, plan, plan_item, user,
};
use crate::org_units::scope::Scope;
use crate::text::fold;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const PAGE_SIZE: u64 = 50;

/// The filters of the list, the calendar, the exports and the API, as query parameters.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Filter {
    #[serde(default, deserialize_with = "crate::web::query::from_date")]
    pub from: Option<String>,
    #[serde(default, deserialize_with = "crate::web::query::to_date")]
    pub to: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "type_id")]
    pub activity_type: Option<String>,
    #[serde(default, deserialize_with = "item_id")]
    pub item: Option<String>,
    #[serde(default, deserialize_with = "status_text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "group_id")]
    pub group: Option<String>,
    #[serde(default, deserialize_with = "em_flag")]
    pub em: Option<String>,
    #[serde(default, deserialize_with = "border_flag")]
    pub border: Option<String>,
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default, deserialize_with = "cursor_text")]
    pub after: Option<String>,
    /// The organising agency: what a partner agency's report counts links here.
    #[serde(default, deserialize_with = "agency_id")]
    pub agency: Option<String>,
    /// The chosen unit's subtree within the scope, filled by [`Filter::resolve`].
    #[serde(skip)]
    pub unit_ids: Option<Vec<i64>>,
    /// The chosen plan item, its sub-items and the commune items made from them.
    #[serde(skip)]
    pub item_ids: Option<Vec<i64>>,
    /// The longest span of any stored activity, filled by [`Filter::resolve`] (unresolved, the
    /// bound falls back on the form's limit, `MAX_DAYS`).
    #[serde(skip)]
    pub longest_span: Option<i64>,
    /// Why the unit typed in the filter names no unit of the scope (matching none or several),
    /// filled by [`Filter::resolve`]: the filter then lists nothing rather than a guess.
    #[serde(skip)]
    pub unit_error: Option<&'static str>,
}

/// The longest span (end date minus start date, in days) of any stored activity: how long
/// before a period's first day an activity overlapping it can have started. One lookup in the
/// `span_days` index. Every write keeps `span_days` (`activities::service::span_days`).
pub async fn longest_span(db: &impl ConnectionTrait) -> Result<i64, sea_orm::DbErr> {
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        n: Option<i64>,
    }
    let stmt = sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT CAST(MAX(span_days) AS BIGINT) AS n FROM activities",
    );
    let row = <Row as sea_orm::FromQueryResult>::find_by_statement(stmt)
        .one(db)
        .await?;
    Ok(row.and_then(|r| r.n).unwrap_or(0))
}

/// Every unit of `scope` (past ones too: the list reaches back in time) as picker choices.
pub async fn unit_choices_in(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<Vec<crate::web::search::Choice>, DbErr> {
    let mut q = org_unit::Entity::find().order_by_asc(org_unit::Column::Name);
    if !scope.all {
        q = q.filter(org_unit::Column::Id.is_in(scope.ids()));
    }
    Ok(q.all(db)
        .await?
        .into_iter()
        .map(|u| crate::web::search::Choice::new(u.id, u.name, &u.code))
        .collect())
}

fn id_of(v: &Option<String>) -> Option<i64> {
    v.as_deref().and_then(|s| s.trim().parse().ok())
}

fn flag(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("1" | "on" | "true"))
}

/// Escapes LIKE wildcards so that a search for "50%" finds "50%".
fn like_escape(word: &str) -> String {
    word.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

// A filter that cannot be read names its field (`crate::web::query`); an empty one is no filter.
fn status_text<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    use super::service::{CANCELLED, HELD, PLANNED, POSTPONED};
    crate::web::query::one_of(de, "status", &[PLANNED, HELD, POSTPONED, CANCELLED])
}

fn type_id<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| crate::web::query::check_id(v, "type"))
}

fn item_id<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| crate::web::query::check_id(v, "item"))
}

fn group_id<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| crate::web::query::check_id(v, "group"))
}

fn agency_id<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| crate::web::query::check_id(v, "agency"))
}

fn em_flag<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| crate::web::query::check_flag(v, "em"))
}

fn border_flag<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| crate::web::query::check_flag(v, "border"))
}

/// The list's cursor, `yyyy-mm-dd_id` as the list writes it.
fn cursor_text<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| match crate::web::query::given(v) {
        Some(c) if parse_cursor(c).is_none() => Err(crate::web::query::QueryField::wrong("after")),
        _ => Ok(()),
    })
}

impl Filter {
    /// Looks up what the filter needs from the database: the subtree of the chosen unit.
    pub async fn resolve(
        &mut self,
        db: &impl ConnectionTrait,
        scope: &Scope,
    ) -> Result<(), crate::error::AppError> {
        self.longest_span = Some(longest_span(db).await?);
        self.resolve_typed_unit(db, scope).await?;
        if let Some(unit) = self.unit_id() {
            let sub = Scope::of_unit(db, unit).await?;
            self.unit_ids = Some(
                sub.units
                    .into_iter()
                    .filter(|u| scope.contains(*u))
                    .collect(),
            );
        }
        if let Some(item) = id_of(&self.item) {
            self.item_ids = Some(items_under_item(db, item).await?);
        }
        Ok(())
    }

    /// Words typed in the unit picker (not an id) become the id of the one unit of the scope
    /// they name, or the reason they name none.
    async fn resolve_typed_unit(
        &mut self,
        db: &impl ConnectionTrait,
        scope: &Scope,
    ) -> Result<(), DbErr> {
        let typed = match self.unit.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() && t.parse::<i64>().is_err() => t.to_owned(),
            _ => return Ok(()),
        };
        let choices = unit_choices_in(db, scope).await?;
        match crate::web::search::resolve(&choices, &typed) {
            Ok(id) => self.unit = Some(id.to_string()),
            Err(why) => self.unit_error = Some(why.key()),
        }
        Ok(())
    }

    /// The chosen unit, if the filter names one.
    pub fn unit_id(&self) -> Option<i64> {
        id_of(&self.unit)
    }

    pub fn from_date(&self) -> Option<NaiveDate> {
        self.from
            .as_deref()
            .and_then(crate::web::format::parse_date)
    }

    /// The lower bound on `start_date` for a period beginning on `from`.
    pub fn earliest_start(&self, from: NaiveDate) -> NaiveDate {
        super::input::earliest_start(from, self.longest_span.unwrap_or(super::input::MAX_DAYS))
    }

    pub fn to_date(&self) -> Option<NaiveDate> {
        self.to.as_deref().and_then(crate::web::format::parse_date)
    }

    /// The units whose rows the filter can match within a scope (`None`: every unit). A unit
    /// filter means the unit and what lies below it, within the scope.
    pub fn units(&self, scope: &Scope) -> Option<Vec<i64>> {
        if self.unit_error.is_some() {
            return Some(Vec::new());
        }
        let chosen = self
            .unit_id()
            .map(|u| self.unit_ids.clone().unwrap_or(vec![u]));
        match (scope.all, chosen) {
            (true, None) => None,
            (true, Some(c)) => Some(c),
            (false, None) => Some(scope.ids()),
            (false, Some(c)) => Some(c.into_iter().filter(|u| scope.contains(*u)).collect()),
        }
    }

    /// The conditions of this filter within a scope (the cursor excepted).
    pub fn condition(&self, scope: &Scope) -> Condition {
        let mut c = Condition::all();
        if !scope.all {
            c = c.add(activity::Column::OrgUnitId.is_in(scope.ids()));
        }
        if let Some(unit) = self.unit_id() {
            // A unit filter means the unit and what lies below it, within the scope.
            c = c.add(
                activity::Column::OrgUnitId.is_in(self.unit_ids.clone().unwrap_or(vec![unit])),
            );
        }
        c.add(self.condition_but_units())
    }

    /// The conditions of this filter but the units (and the cursor): what each unit's read of
    /// a per-unit query adds to its own `org_unit_id = ?`.
    pub fn condition_but_units(&self) -> Condition {
        let mut c = Condition::all();
        if let Some(from) = self.from_date() {
            c = c
                .add(activity::Column::EndDate.gte(from))
                .add(activity::Column::StartDate.gte(self.earliest_start(from)));
        }
        if let Some(to) = self.to_date() {
            c = c.add(activity::Column::StartDate.lte(to));
        }
        if let Some(a) = id_of(&self.agency) {
            c = c.add(activity::Column::AgencyId.eq(a));
        }
        if let Some(t) = id_of(&self.activity_type) {
            c = c.add(activity::Column::ActivityTypeId.eq(t));
        }
        if let Some(items) = &self.item_ids {
            c = c.add(activity::Column::PlanItemId.is_in(items.iter().copied()));
        } else if let Some(i) = id_of(&self.item) {
            c = c.add(activity::Column::PlanItemId.eq(i));
        }
        if let Some(s) = self.status.as_deref().filter(|s| !s.is_empty()) {
            c = c.add(activity::Column::Status.eq(s));
        }
        if let Some(g) = id_of(&self.group) {
            c = c.add(
                activity::Column::Id.in_subquery(
                    Query::select()
                        .column(activity_target_group::Column::ActivityId)
                        .from(activity_target_group::Entity)
                        .and_where(activity_target_group::Column::TargetGroupId.eq(g))
                        .to_owned(),
                ),
            );
        }
        if flag(&self.em) {
            c = c.add(activity::Column::EthnicMinorityOutreach.eq(true));
        }
        if flag(&self.border) {
            c = c.add(activity::Column::BorderOutreach.eq(true));
        }
        // The folded query as a phrase: "hoa my" finds "Hòa Mỹ", not "văn hóa … Mỹ Thạnh".
        if let Some(q) = self.q.as_deref().map(fold).filter(|q| !q.is_empty()) {
            let pattern = LikeExpr::new(format!("%{}%", like_escape(&q))).escape('\\');
            c = c.add(Expr::col(activity::Column::SearchText).like(pattern));
        }
        c
    }
}

/// An item, everything under it, and the items of plans made from its plan that descend from
/// it (a commune's copy and what the commune added beneath): what its results count.
async fn items_under_item(db: &impl ConnectionTrait, item: i64) -> Result<Vec<i64>, DbErr> {
    let Some(root) = plan_item::Entity::find_by_id(item).one(db).await? else {
        return Ok(vec![item]);
    };
    let derived_plans: Vec<i64> = crate::entities::plan::Entity::find()
        .filter(crate::entities::plan::Column::ParentPlanId.eq(root.plan_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let mut plans = derived_plans;
    plans.push(root.plan_id);
    let items = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.is_in(plans))
        .all(db)
        .await?;
    let mut found = vec![item];
    let mut frontier = found.clone();
    while !frontier.is_empty() {
        let next: Vec<i64> = items
            .iter()
            .filter(|i| {
                (i.parent_id.is_some_and(|p| frontier.contains(&p))
                    || i.source_item_id.is_some_and(|s| frontier.contains(&s)))
                    && !found.contains(&i.id)
            })
            .map(|i| i.id)
            .collect();
        found.extend(&next);
        frontier = next;
    }
    Ok(found)
}

/// A page of the list: rows, most recent first, and the cursor of the next page.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &Filter,
    limit: u64,
) -> Result<(Vec<activity::Model>, Option<String>), DbErr> {
    let stmt = db
        .get_database_backend()
        .build(&list_query(scope, filter, limit));
    let mut rows = activity::Entity::find().from_raw_sql(stmt).all(db).await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        rows.last().map(|a| format!("{}_{}", a.start_date, a.id))
    } else {
        None
    };
    Ok((rows, next))
}

/// The list's result count is counted up to this many (and shown as "1000+").
pub const COUNT_CAP: u64 = 1000;

/// How many activities match the filter in the scope, counted up to [`COUNT_CAP`]: a province's
/// unfiltered list would otherwise count every row it holds for each page shown.
pub async fn count(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &Filter,
) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    activity::Entity::find()
        .filter(filter.condition(scope))
        .limit(COUNT_CAP)
        .count(db)
        .await
}

/// Runs a statement of [`per_unit`] (or any reading whole activity rows).
pub async fn fetch(
    db: &impl ConnectionTrait,
    stmt: sea_orm::sea_query::SelectStatement,
) -> Result<Vec<activity::Model>, DbErr> {
    let stmt = db.get_database_backend().build(&stmt);
    activity::Entity::find().from_raw_sql(stmt).all(db).await
}

/// Up to this many units, a list or calendar reads each unit's own rows through the
/// `(org_unit_id, start_date, id)` index and merges them in order; past it (a province, the
/// country) it reads the scope's rows by date through one index. See `docs/performance.md`.
pub const PER_UNIT_MAX: usize = 40;

/// `select` (the filter's conditions but the units) ordered by `orders` and cut at `limit`,
/// read so that a small set of units never walks other units' rows: one ordered, limited read
/// per unit (`org_unit_id = ?`, which the unit's index answers in order), as a `UNION ALL`
/// ordered and limited again. Both backends run each branch from the unit's index; a plain
/// `org_unit_id IN (…) ORDER BY start_date` lets the planner walk the whole table by date
/// hoping to meet the units' rows (issue 24: 1M rows removed by filter for a unit with none).
/// `units`: `None` for every unit.
pub fn per_unit(
    select: sea_orm::Select<activity::Entity>,
    units: Option<Vec<i64>>,
    orders: &[(activity::Column, sea_orm::Order)],
    limit: u64,
) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::QueryTrait;
    let ordered = |mut s: sea_orm::Select<activity::Entity>| {
        for (col, order) in orders {
            s = s.order_by(*col, order.clone());
        }
        s.limit(limit)
    };
    let units = match units {
        Some(u) if !u.is_empty() && u.len() <= PER_UNIT_MAX => u,
        Some(u) => {
            return ordered(select.filter(activity::Column::OrgUnitId.is_in(u))).into_query();
        }
        None => return ordered(select).into_query(),
    };
    let branch = |i: usize, unit: i64| {
        let one = ordered(select.clone().filter(activity::Column::OrgUnitId.eq(unit))).into_query();
        Query::select()
            .column(sea_orm::sea_query::Asterisk)
            .from_subquery(one, sea_orm::sea_query::Alias::new(format!("u{i}")))
            .to_owned()
    };
    let mut q = branch(0, units[0]);
    for (i, unit) in units.iter().enumerate().skip(1) {
        q.union(sea_orm::sea_query::UnionType::All, branch(i, *unit));
    }
    for (col, order) in orders {
        q.order_by(*col, order.clone());
    }
    q.limit(limit).to_owned()
}

/// The home page counts activities to log up to this many (and shows "1000+").
pub const TO_LOG_CAP: u64 = 1000;

/// The home page's three reads of open (planned or postponed) activities of a scope.
pub struct HomeQueries {
    /// Starting within `days` from today, soonest first.
    pub upcoming: sea_orm::sea_query::SelectStatement,
    /// Ended before today and not yet logged, latest first.
    pub to_log: sea_orm::sea_query::SelectStatement,
    /// How many are to log, counted up to [`TO_LOG_CAP`]: the national administrator's count
    /// would otherwise read every open past activity of the country (200–280 ms at 1M).
    pub to_log_count: sea_orm::Select<activity::Entity>,
}

/// The home page's reads for `scope` (and, for a partner agency, its own activities only);
/// the two lists read each unit's own rows for a small scope ([`per_unit`]).
pub fn home_queries(
    scope: &Scope,
    agency: Option<i64>,
    today: NaiveDate,
    days: i64,
    rows: u64,
) -> HomeQueries {
    use sea_orm::Order::{Asc, Desc};
    let base = || {
        let mut q = activity::Entity::find().filter(
            activity::Column::Status.is_in([super::service::PLANNED, super::service::POSTPONED]),
        );
        if let Some(a) = agency {
            q = q.filter(activity::Column::AgencyId.eq(a));
        }
        q
    };
    let units = (!scope.all).then(|| scope.ids());
    let upcoming = per_unit(
        base()
            .filter(activity::Column::StartDate.gte(today))
            .filter(activity::Column::StartDate.lte(today + chrono::Duration::days(days))),
        units.clone(),
        &[
            (activity::Column::StartDate, Asc),
            (activity::Column::Id, Asc),
        ],
        rows,
    );
    let to_log = per_unit(
        base().filter(activity::Column::EndDate.lt(today)),
        units.clone(),
        &[
            (activity::Column::StartDate, Desc),
            (activity::Column::Id, Desc),
        ],
        rows,
    );
    let mut to_log_count = base()
        .filter(activity::Column::EndDate.lt(today))
        .limit(TO_LOG_CAP);
    if let Some(units) = units {
        to_log_count = to_log_count.filter(activity::Column::OrgUnitId.is_in(units));
    }
    HomeQueries {
        upcoming,
        to_log,
        to_log_count,
    }
}

/// The query of a page of the list (one row more than the page, to know if there is a next);
/// public so that the benchmark and the plan tests can read it.
pub fn list_query(
    scope: &Scope,
    filter: &Filter,
    limit: u64,
) -> sea_orm::sea_query::SelectStatement {
    let mut q = activity::Entity::find().filter(filter.condition_but_units());
    if let Some((date, id)) = filter.after.as_deref().and_then(parse_cursor) {
        // `start_date <= date` is implied by the keyset; said on its own, it bounds the index
        // range instead of filtering every row before the cursor.
        q = q.filter(activity::Column::StartDate.lte(date)).filter(
            Condition::any()
                .add(activity::Column::StartDate.lt(date))
                .add(
                    Condition::all()
                        .add(activity::Column::StartDate.eq(date))
                        .add(activity::Column::Id.lt(id)),
                ),
        );
    }
    use sea_orm::Order::Desc;
    per_unit(
        q,
        filter.units(scope),
        &[
            (activity::Column::StartDate, Desc),
            (activity::Column::Id, Desc),
        ],
        limit + 1,
    )
}

pub fn parse_cursor(cursor: &str) -> Option<(NaiveDate, i64)> {
    let (d, id) = cursor.split_once('_')?;
    Some((crate::web::format::parse_date(d)?, id.parse().ok()?))
}

/// Activities overlapping [from, to], in date order, at most `limit`.
pub async fn between(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &Filter,
    from: NaiveDate,
    to: NaiveDate,
    limit: u64,
) -> Result<Vec<activity::Model>, DbErr> {
    let stmt = db
        .get_database_backend()
        .build(&between_query(scope, filter, from, to, limit));
    activity::Entity::find().from_raw_sql(stmt).all(db).await
}

/// The conditions of [`between`] but the units.
fn between_select(
    filter: &Filter,
    from: NaiveDate,
    to: NaiveDate,
) -> sea_orm::Select<activity::Entity> {
    activity::Entity::find()
        .filter(filter.condition_but_units())
        .filter(activity::Column::StartDate.lte(to))
        .filter(activity::Column::EndDate.gte(from))
        .filter(activity::Column::StartDate.gte(filter.earliest_start(from)))
}

const BETWEEN_ORDER: [(activity::Column, sea_orm::Order); 3] = [
    (activity::Column::StartDate, sea_orm::Order::Asc),
    (activity::Column::StartTime, sea_orm::Order::Asc),
    (activity::Column::Id, sea_orm::Order::Asc),
];

/// The query of [`between`], public so that the benchmark and the plan tests can read it.
pub fn between_query(
    scope: &Scope,
    filter: &Filter,
    from: NaiveDate,
    to: NaiveDate,
    limit: u64,
) -> sea_orm::sea_query::SelectStatement {
    per_unit(
        between_select(filter, from, to),
        filter.units(scope),
        &BETWEEN_ORDER,
        limit,
    )
}

/// What a calendar cell shows of an activity, and the dates that place it: a month of a
/// province is hundreds of activities, read without their long text columns.
#[derive(Debug, sea_orm::FromQueryResult)]
pub struct CalendarRow {
    pub id: i64,
    pub org_unit_id: i64,
    pub title: String,
    pub status: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub start_time: Option<String>,
}

/// [`between_query`] reading only the calendar's columns, for [`CalendarRow`]s (public so
/// that the benchmark and the plan tests can read it).
pub fn calendar_query(
    scope: &Scope,
    filter: &Filter,
    from: NaiveDate,
    to: NaiveDate,
    limit: u64,
) -> sea_orm::sea_query::SelectStatement {
    use activity::Column as C;
    per_unit(
        between_select(filter, from, to).select_only().columns([
            C::Id,
            C::OrgUnitId,
            C::Title,
            C::Status,
            C::StartDate,
            C::EndDate,
            C::StartTime,
        ]),
        filter.units(scope),
        &BETWEEN_ORDER,
        limit,
    )
}

/// A month of the calendar: [`calendar_query`] run.
pub async fn calendar(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &Filter,
    from: NaiveDate,
    to: NaiveDate,
    limit: u64,
) -> Result<Vec<CalendarRow>, DbErr> {
    let stmt = db
        .get_database_backend()
        .build(&calendar_query(scope, filter, from, to, limit));
    <CalendarRow as sea_orm::FromQueryResult>::find_by_statement(stmt)
        .all(db)
        .await
}

/// The names of the given units, keyed by id as text (as the templates look them up).
pub async fn unit_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<String, String>, DbErr> {
    // Past this many ids (a national calendar month names up to 2,000 communes), reading every
    // unit's id and name is cheaper than a statement with one parameter per id: 45 ms → 2 ms
    // on PostgreSQL at 3,300 units.
    const MANY: usize = 300;
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut q = org_unit::Entity::find()
        .select_only()
        .columns([org_unit::Column::Id, org_unit::Column::Name]);
    if ids.len() <= MANY {
        q = q.filter(org_unit::Column::Id.is_in(ids.iter().copied()));
    }
    let units: Vec<(i64, String)> = q.into_tuple().all(db).await?;
    Ok(units
        .into_iter()
        .filter(|(id, _)| ids.binary_search(id).is_ok())
        .map(|(id, name)| (id.to_string(), name))
        .collect())
}

/// Names for the ids on a page of activities: their units and activity types (what a card
/// shows beside the title).
#[derive(Default, Serialize)]
pub struct Names {
    pub units: HashMap<String, String>,
    pub codes: HashMap<String, CodeName>,
}

/// A code's name in both languages.
#[derive(Serialize, sea_orm::FromQueryResult)]
pub struct CodeName {
    #[serde(skip)]
    pub id: i64,
    pub name_vi: String,
    pub name_en: String,
}

pub async fn names_for(
    db: &impl ConnectionTrait,
    rows: &[activity::Model],
) -> Result<Names, DbErr> {
    let units = unit_names(db, rows.iter().map(|a| a.org_unit_id)).await?;
    let mut types: Vec<i64> = rows.iter().map(|a| a.activity_type_id).collect();
    types.sort_unstable();
    types.dedup();
    let codes: Vec<CodeName> = code::Entity::find()
        .select_only()
        .columns([code::Column::Id, code::Column::NameVi, code::Column::NameEn])
        .filter(code::Column::Id.is_in(types))
        .into_model()
        .all(db)
        .await?;
    Ok(Names {
        units,
        codes: codes.into_iter().map(|c| (c.id.to_string(), c)).collect(),
    })
}

/// A plan item as one line: its number and heading, or the start of its text.
pub fn item_title(i: &plan_item::Model) -> String {
    let text = if i.heading.trim().is_empty() {
        i.body.clone().unwrap_or_default()
    } else {
        i.heading.clone()
    };
    let short: String = text.chars().take(90).collect();
    let ellipsis = if text.chars().count() > 90 { "…" } else { "" };
    if i.label == "-" {
        format!("– {short}{ellipsis}")
    } else {
        format!("{}. {short}{ellipsis}", i.label)
    }
}

/// An item's whole text for a picker: its number, then its heading or text, never cut.
pub fn item_full_title(i: &plan_item::Model) -> String {
    let text = if i.heading.trim().is_empty() {
        i.body.clone().unwrap_or_default()
    } else {
        i.heading.clone()
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match i.label.trim() {
        "" | "-" | "–" => text,
        label => format!("{}. {text}", label.trim_end_matches('.')),
    }
}

/// Items as exports name them: the code and the whole text ("2.1. Tổ chức …"); a bullet, which
/// has no code of its own, under its parent's code ("2.1 – Xây dựng …").
pub fn export_titles(items: &[plan_item::Model]) -> HashMap<i64, String> {
    let code = |i: &plan_item::Model| {
        let label = i.label.trim().trim_end_matches('.').to_owned();
        Some(label).filter(|l| !matches!(l.as_str(), "" | "-" | "–"))
    };
    let codes: HashMap<i64, Option<String>> = items.iter().map(|i| (i.id, code(i))).collect();
    items
        .iter()
        .map(|i| {
            let parent = i.parent_id.and_then(|p| codes.get(&p).cloned().flatten());
            let title = match (code(i), parent) {
                (None, Some(parent)) => format!("{parent} – {}", item_full_title(i)),
                _ => item_full_title(i),
            };
            (i.id, title)
        })
        .collect()
}

/// Everything the activity page shows.
#[derive(Serialize)]
pub struct Detail {
    pub activity: activity::Model,
    pub unit: String,
    pub agency: String,
    pub activity_type: Option<code::Model>,
    pub plan: Option<plan::Model>,
    pub item: Option<String>,
    pub target_groups: Vec<code::Model>,
    pub languages: Vec<code::Model>,
    pub materials: Vec<(code::Model, activity_material::Model)>,
    pub budgets: Vec<(code::Model, activity_budget::Model)>,
    pub date_changes: Vec<activity_date_change::Model>,
    pub history: Vec<HistoryRow>,
}

#[derive(Serialize)]
pub struct HistoryRow {
    pub at: chrono::DateTime<chrono::Utc>,
    pub who: String,
    pub action: String,
    /// The fields whose value changed.
    pub fields: Vec<String>,
    pub reason: Option<String>,
}

fn changed_fields(change: &serde_json::Value) -> Vec<String> {
    let (Some(before), Some(after)) = (change.get("before"), change.get("after")) else {
        return Vec::new();
    };
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else {
        return Vec::new();
    };
    a.iter()
        .filter(|(k, v)| *k != "version" && b.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect()
}

pub async fn detail(db: &impl ConnectionTrait, a: activity::Model) -> Result<Detail, DbErr> {
    let codes: HashMap<i64, code::Model> = code::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let unit = org_unit::Entity::find_by_id(a.org_unit_id)
        .one(db)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let agency = agency::Entity::find_by_id(a.agency_id)
        .one(db)
        .await?
        .map(|x| x.name)
        .unwrap_or_default();
    let item = plan_item::Entity::find_by_id(a.plan_item_id)
        .one(db)
        .await?;
    let plan = match &item {
        Some(i) => plan::Entity::find_by_id(i.plan_id).one(db).await?,
        None => None,
    };
    let super::service::Lines {
        groups,
        materials,
        budgets,
    } = super::service::lines_of(db, a.id).await?;
    let date_changes = activity_date_change::Entity::find()
        .filter(activity_date_change::Column::ActivityId.eq(a.id))
        .order_by_asc(activity_date_change::Column::Id)
        .all(db)
        .await?;
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::ObjectType.eq("activity"))
        .filter(audit_event::Column::ObjectId.eq(a.id))
        .order_by_desc(audit_event::Column::Id)
        .limit(100)
        .all(db)
        .await?;
    let user_ids: Vec<i64> = events.iter().filter_map(|e| e.user_id).collect();
    let users: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let languages = codes
        .values()
        .filter(|c| c.list == "language" && a.languages.split(',').any(|l| l == c.code))
        .cloned()
        .collect();
    Ok(Detail {
        unit,
        agency,
        activity_type: codes.get(&a.activity_type_id).cloned(),
        item: item.as_ref().map(item_title),
        plan,
        target_groups: groups
            .iter()
            .filter_map(|g| codes.get(&g.target_group_id).cloned())
            .collect(),
        languages,
        materials: materials
            .into_iter()
            .filter_map(|m| Some((codes.get(&m.material_kind_id)?.clone(), m)))
            .collect(),
        budgets: budgets
            .into_iter()
            .filter_map(|b| Some((codes.get(&b.funding_source_id)?.clone(), b)))
            .collect(),
        date_changes,
        history: events
            .into_iter()
            .map(|e| {
                let change: serde_json::Value = serde_json::from_str(&e.change).unwrap_or_default();
                HistoryRow {
                    at: e.created_at,
                    who: e
                        .user_id
                        .and_then(|u| users.get(&u).cloned())
                        .unwrap_or_default(),
                    fields: changed_fields(&change),
                    reason: change
                        .get("reason")
                        .and_then(|r| r.as_str())
                        .map(str::to_owned),
                    action: e.action,
                }
            })
            .collect(),
        activity: a,
    })
}
