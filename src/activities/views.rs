//! Reading activities in the browser: the list with its filters, the calendar (month and week)
//! and the activity page with its history.

use crate::activities::access;
use crate::activities::repo::{self, Filter, PAGE_SIZE};
use crate::auth::{Capability, CurrentUser};
use crate::entities::code;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::Page;
use crate::web::query::Query;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use minijinja::context;

use serde::{Deserialize, Serialize};

/// What the filter form offers: the unit picker over the units of the scope (a select in a
/// small scope, a search box past `search::SELECT_MAX` units, with the message when the words
/// typed name no unit or several) and the code lists.
pub async fn filter_options(
    state: &AppState,
    user: &CurrentUser,
    filter: &Filter,
) -> AppResult<minijinja::Value> {
    let scope = user.scope(state).await?;
    let units = repo::unit_choices_in(&state.db, &scope).await?;
    let unit = crate::web::search::Picker::new(units, filter.unit.as_deref().unwrap_or(""));
    let mut errors = crate::web::forms::FieldErrors::default();
    if let Some(key) = filter.unit_error {
        errors.add("unit", key);
    }
    let types = crate::codes::list(&state.db, "activity_type").await?;
    let groups = crate::codes::list(&state.db, "target_group").await?;
    Ok(context! { unit => unit, errors => errors, types => types, groups => groups })
}

/// The query string of a filter without its cursor, for links that keep the filters.
fn query_of(filter: &Filter) -> String {
    let mut f = filter.clone();
    f.after = None;
    serde_urlencoded::to_string(&f).unwrap_or_default()
}

pub async fn get_activities(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Query(mut filter): Query<Filter>,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    filter.resolve(&state.db, &scope).await?;
    let (rows, next) = repo::list(&state.db, &scope, &filter, PAGE_SIZE).await?;
    let total = repo::count(&state.db, &scope, &filter).await?;
    let names = repo::names_for(&state.db, &rows).await?;
    let options = filter_options(&state, &user, &filter).await?;
    let status = if filter.unit_error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    page.render_status(
        &state,
        status,
        "activities/index.html",
        context! {
            rows => rows, names => names, next => next, filter => filter,
            total => total, total_more => total >= repo::COUNT_CAP,
            query => query_of(&filter), options => options,
            can_write => user.can(Capability::WriteActivities), today => state.clock.today(),
        },
    )
}

#[derive(Deserialize, Default)]
pub struct CalendarQuery {
    /// `yyyy-mm`; empty is this month.
    #[serde(default, deserialize_with = "month_text")]
    month: Option<String>,
    /// A day of the week shown; empty is the month view.
    #[serde(default, deserialize_with = "week_text")]
    week: Option<String>,
    #[serde(flatten)]
    filter: Filter,
}

#[derive(Serialize)]
struct Day<'a> {
    date: NaiveDate,
    in_month: bool,
    today: bool,
    events: Vec<Event<'a>>,
}

/// What a calendar cell shows of an activity: a month of a province is hundreds of them, each
/// on several days, so the page gets these few fields rather than whole rows.
#[derive(Serialize)]
struct Event<'a> {
    id: i64,
    status: &'a str,
    start_time: Option<&'a str>,
    title: &'a str,
    org_unit_id: i64,
}

impl<'a> Event<'a> {
    fn of(a: &'a repo::CalendarRow) -> Event<'a> {
        Event {
            id: a.id,
            status: &a.status,
            start_time: a.start_time.as_deref(),
            title: &a.title,
            org_unit_id: a.org_unit_id,
        }
    }
}

// A month or week that cannot be read names its field (`crate::web::query`).
fn month_text<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| crate::web::query::check_month(v, "month"))
}

fn week_text<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| crate::web::query::check_date(v, "week"))
}

fn month_start(q: &Option<String>, today: NaiveDate) -> NaiveDate {
    q.as_deref()
        .and_then(crate::web::query::parse_month)
        .unwrap_or_else(|| today.with_day(1).unwrap_or(today))
}

/// The most events one calendar page shows; past that the list view is the better tool.
pub const CALENDAR_LIMIT: u64 = 2000;

pub async fn get_calendar(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Query(mut q): Query<CalendarQuery>,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    q.filter.resolve(&state.db, &scope).await?;
    let today = state.clock.today();
    // Week view when a week is asked for, month view otherwise.
    let week = q.week.as_deref().and_then(crate::web::format::parse_date);
    let (first, last, month) = match week {
        Some(d) => {
            let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
            (monday, monday + Duration::days(6), None)
        }
        None => {
            let m = month_start(&q.month, today);
            let next = m.checked_add_months(chrono::Months::new(1)).unwrap_or(m);
            let monday = m - Duration::days(i64::from(m.weekday().num_days_from_monday()));
            let end = next - Duration::days(1);
            let sunday = end + Duration::days(i64::from(6 - end.weekday().num_days_from_monday()));
            (monday, sunday, Some(m))
        }
    };
    let events = repo::calendar(&state.db, &scope, &q.filter, first, last, CALENDAR_LIMIT).await?;
    let truncated = events.len() as u64 >= CALENDAR_LIMIT;
    // A cell names the activity's unit, nothing else.
    let names = repo::Names {
        units: repo::unit_names(&state.db, events.iter().map(|e| e.org_unit_id)).await?,
        ..Default::default()
    };
    let mut days = Vec::new();
    let mut d = first;
    while d <= last {
        days.push(Day {
            date: d,
            in_month: month.is_none_or(|m| d.month() == m.month()),
            today: d == today,
            events: events
                .iter()
                .filter(|e| e.start_date <= d && e.end_date >= d)
                .map(Event::of)
                .collect(),
        });
        d += Duration::days(1);
    }
    let weeks: Vec<Vec<Day>> = {
        let mut out = Vec::new();
        let mut it = days.into_iter().peekable();
        while it.peek().is_some() {
            out.push(it.by_ref().take(7).collect());
        }
        out
    };
    let (prev, next) = match month {
        Some(m) => (
            m.checked_sub_months(chrono::Months::new(1))
                .map(|p| p.format("%Y-%m").to_string()),
            m.checked_add_months(chrono::Months::new(1))
                .map(|p| p.format("%Y-%m").to_string()),
        ),
        None => (
            Some((first - Duration::days(7)).to_string()),
            Some((first + Duration::days(7)).to_string()),
        ),
    };
    let options = filter_options(&state, &user, &q.filter).await?;
    let weekdays: Vec<u32> = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .iter()
    .map(|w| w.number_from_monday())
    .collect();
    page.render(
        &state,
        "activities/calendar.html",
        context! {
            weeks => weeks, names => names, month => month.map(|m| m.format("%Y-%m").to_string()),
            week => week.map(|_| first), first => first, last => last, prev => prev, next => next,
            filter => q.filter, query => query_of(&q.filter), options => options, truncated => truncated,
            weekdays => weekdays, can_write => user.can(Capability::WriteActivities),
            today => state.clock.today(),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    /// Set by the redirect after a log: the page then offers the next activity to log.
    #[serde(default)]
    logged: Option<String>,
}

/// The latest past activity of the user's scope still to log, after one was just logged.
async fn next_to_log(
    state: &AppState,
    user: &CurrentUser,
) -> AppResult<Option<crate::entities::activity::Model>> {
    let scope = user.scope(state).await?;
    let partner = (user.role == crate::auth::Role::Partner).then_some(user.agency_id);
    let q = repo::home_queries(
        &scope,
        partner,
        state.clock.today(),
        crate::home::UPCOMING_DAYS,
        1,
    );
    Ok(repo::fetch(&state.db, q.to_log).await?.into_iter().next())
}

pub async fn get_activity(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(activity_id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    let (a, scope) = access::readable(&state, &user, activity_id).await?;
    let logged = q.logged.is_some() && a.status == crate::activities::service::HELD;
    let next_log = if logged {
        next_to_log(&state, &user).await?
    } else {
        None
    };
    let can_write = access::may_write(&user, &scope, a.org_unit_id, a.agency_id);
    let files = crate::activities::evidence::files_of(&state.db, a.id).await?;
    let detail = repo::detail(&state.db, a).await?;
    let material_kinds: Vec<code::Model> = crate::codes::list(&state.db, "material_kind").await?;
    page.render(
        &state,
        "activities/show.html",
        context! {
            d => detail, can_write => can_write, today => state.clock.today(), files => files,
            material_kinds => material_kinds, errors => crate::web::forms::FieldErrors::default(),
            logged => logged, next_log => next_log,
        },
    )
}
