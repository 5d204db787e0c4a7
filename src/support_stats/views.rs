//! Reading the figures in the browser: the month or period tables of a unit, the trend by
//! month and the CSV export. Every one of them is written to the audit log before it is sent.

use crate::audit;
use crate::auth::{Capability, CurrentUser};
use crate::error::AppResult;
use crate::state::AppState;
use crate::support_stats::access::readable_unit;
use crate::support_stats::data::{self, Selection};
use crate::support_stats::export;
use crate::support_stats::figures;
use crate::support_stats::lattice::Period;
use crate::support_stats::period::YearMonth;
use crate::support_stats::service;
use crate::support_stats::views_model::Tr;
use crate::web::Page;
use crate::web::forms::FieldErrors;
use crate::web::query::{Query, QueryField};
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The longest period one view covers: ten years of months.
pub const MAX_SPAN: i32 = 120;

/// A selection as typed in the query string; every field is text so no input can make the
/// extraction fail, and each is checked below with a message of its own.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct StatsQuery {
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// One month: `from` and `to` at once.
    #[serde(default)]
    pub month: Option<String>,
}

/// The checked selection: unit id and months.
#[derive(Clone, Copy, Debug)]
pub struct Wanted {
    pub unit_id: i64,
    pub from: YearMonth,
    pub to: YearMonth,
    /// The months asked for, when they were snapped to the publication lattice (`from`–`to`
    /// being the lattice period that holds them).
    pub requested: Option<(YearMonth, YearMonth)>,
}

impl StatsQuery {
    /// Defaults: the user's own unit, from January to the last finished month.
    pub fn parse(
        &self,
        user: &CurrentUser,
        today: chrono::NaiveDate,
    ) -> Result<Wanted, FieldErrors> {
        let mut errors = FieldErrors::default();
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let unit_id = match given(&self.unit) {
            None => user.org_unit_id,
            Some(u) => u.parse().unwrap_or_else(|_| {
                errors.add("unit", "form.choose");
                0
            }),
        };
        let last = YearMonth::of(today).prev();
        let mut month = |field: &str, v: Option<String>, default: YearMonth| match v {
            None => default,
            Some(s) => YearMonth::parse(&s).unwrap_or_else(|| {
                errors.add(field, "stats.error.month");
                default
            }),
        };
        let (from, to) = match given(&self.month) {
            Some(m) => {
                let m = month("month", Some(m), last);
                (m, m)
            }
            None => {
                let to = month("to", given(&self.to), last);
                let default_from = YearMonth::new(to.year(), 1).unwrap_or(to);
                (month("from", given(&self.from), default_from), to)
            }
        };
        if errors.is_empty() {
            if from > to {
                errors.add("to", "stats.error.range");
            } else if from.span(to) > MAX_SPAN {
                errors.add("to", "stats.error.span");
            }
        }
        // Readers without exact access get the periods of the publication lattice only.
        let mut requested = None;
        let (from, to) = if errors.is_empty() && !user.can(Capability::SensitiveStats) {
            match Period::snap(from, to) {
                Some(p) if p.from == from && p.to == to => (from, to),
                Some(p) => {
                    requested = Some((from, to));
                    (p.from, p.to)
                }
                None => {
                    errors.add("from", "stats.error.lattice");
                    (from, to)
                }
            }
        } else {
            (from, to)
        };
        if errors.is_empty() {
            Ok(Wanted {
                unit_id,
                from,
                to,
                requested,
            })
        } else {
            Err(errors)
        }
    }
}

/// Records that a user read (or exported) figures, with what they saw.
pub async fn audit_read(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    action: &str,
    view: &str,
    w: &Wanted,
    exact: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    audit::record(
        db,
        now,
        audit::Event {
            user_id: Some(user.id),
            action,
            object_type: "support_stats",
            object_id: None,
            org_unit_id: Some(w.unit_id),
            change: json!({
                "view": view, "unit_id": w.unit_id, "from": w.from.iso(), "to": w.to.iso(),
                "exact": exact,
            }),
        },
    )
    .await
}

/// The units a user may pick: every unit of the scope, past ones included (the figures reach
/// back in time), in tree order.
pub async fn unit_choices(
    state: &AppState,
    user: &CurrentUser,
) -> AppResult<Vec<crate::web::search::Choice>> {
    let scope = user.scope(state).await?;
    Ok(crate::org_units::listing::unit_choices(
        &state.db,
        Some(&scope),
        state.clock.today(),
        |_| true,
    )
    .await?)
}

/// The unit picker of the selection form, holding `raw` (an id, or the words typed).
async fn unit_picker(
    state: &AppState,
    user: &CurrentUser,
    raw: &str,
) -> AppResult<crate::web::search::Picker> {
    Ok(crate::web::search::Picker::new(
        unit_choices(state, user).await?,
        raw,
    ))
}

/// The query with the words typed in its unit picker replaced by the id of the one unit of
/// the user's scope they name; words naming none or several are an error at `unit` (an id is
/// left as it is: outside the scope it is answered 404 where the unit is read).
pub async fn resolve_unit(
    state: &AppState,
    user: &CurrentUser,
    q: &StatsQuery,
) -> AppResult<Result<StatsQuery, FieldErrors>> {
    let typed = q.unit.as_deref().map(str::trim).unwrap_or("");
    if typed.is_empty() || typed.parse::<i64>().is_ok() {
        return Ok(Ok(q.clone()));
    }
    let mut errors = FieldErrors::default();
    let choices = unit_choices(state, user).await?;
    Ok(
        match crate::web::search::resolve_field(&choices, typed, "unit", false, &mut errors) {
            Some(id) => Ok(StatsQuery {
                unit: Some(id.to_string()),
                ..q.clone()
            }),
            None => Err(errors),
        },
    )
}

/// The selection, or the filter form shown again with its errors (422).
async fn selection(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    q: &StatsQuery,
    template: &str,
) -> AppResult<Result<(Wanted, Selection), Response>> {
    let parsed = match resolve_unit(state, user, q).await? {
        Ok(resolved) => resolved.parse(user, state.clock.today()),
        Err(errors) => Err(errors),
    };
    match parsed {
        Ok(w) => {
            let (unit, _) = readable_unit(state, user, w.unit_id).await?;
            Ok(Ok((
                w,
                Selection {
                    unit,
                    from: w.from,
                    to: w.to,
                },
            )))
        }
        Err(errors) => {
            let unit = unit_picker(state, user, q.unit.as_deref().unwrap_or("")).await?;
            let shown = page.render_status(
                state,
                StatusCode::UNPROCESSABLE_ENTITY,
                template,
                context! { q => q, errors => errors, unit => unit, report => (), w => () },
            )?;
            Ok(Err(shown))
        }
    }
}

/// Victim figures are not kept in browser or proxy caches: a shared office computer must not
/// show them to the next user through the back button.
pub fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

/// The name of the lattice period shown ("Quý I/2024"), when the reader is held to the lattice.
fn lattice_label(w: &Wanted, tr: &Tr) -> Option<String> {
    Period::snap(w.from, w.to)
        .filter(|p| p.from == w.from && p.to == w.to)
        .map(|p| crate::support_stats::trend::period_label(p, tr))
}

fn query_of(w: &Wanted) -> String {
    format!("unit={}&from={}&to={}", w.unit_id, w.from.iso(), w.to.iso())
}

pub async fn get_stats(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Query(q): Query<StatsQuery>,
) -> AppResult<Response> {
    let (w, sel) = match selection(&state, &page, &user, &q, "stats/index.html").await? {
        Ok(found) => found,
        Err(shown) => return Ok(shown),
    };
    let data = data::load(&state.db, &sel).await?;
    let tr = Tr {
        i18n: &state.i18n,
        locale: page.locale,
    };
    let report = figures::report_for(&state.db, &data, &sel, &user, &tr).await?;
    audit_read(
        &state.db,
        &user,
        "support_stats:view",
        "period",
        &w,
        report.exact,
        state.clock.now(),
    )
    .await?;
    // A single month of one unit: its lock, and whether this user may enter or reopen it.
    let month = if w.from == w.to {
        service::month_row(&state.db, w.unit_id, w.from).await?
    } else {
        None
    };
    let unit = unit_picker(&state, &user, &w.unit_id.to_string()).await?;
    let shown = page.render(
        &state,
        "stats/index.html",
        context! {
            q => q, w => context! {
                unit => w.unit_id, from => w.from, to => w.to, single => w.from == w.to,
                from_label => w.from.label(), to_label => w.to.label(),
                lattice => lattice_label(&w, &tr),
                requested => w.requested.map(|(a, b)| context! { from => a.label(), to => b.label() }),
                entry_month => w.requested.filter(|(a, b)| a == b).map_or(w.from, |(a, _)| a),
                entry_single => w.from == w.to || w.requested.is_some_and(|(a, b)| a == b),
            },
            errors => FieldErrors::default(), unit => unit, report => report, query => query_of(&w),
            locked => month.and_then(|m| m.locked_at),
            can_enter => user.can(Capability::EnterStats), can_reopen => user.can(Capability::ReopenStats),
        },
    )?;
    Ok(no_store(shown))
}

pub async fn get_trend(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Query(q): Query<StatsQuery>,
) -> AppResult<Response> {
    let (w, sel) = match selection(&state, &page, &user, &q, "stats/trend.html").await? {
        Ok(found) => found,
        Err(shown) => return Ok(shown),
    };
    let data = data::load(&state.db, &sel).await?;
    let tr = Tr {
        i18n: &state.i18n,
        locale: page.locale,
    };
    let report = figures::trend_for(&state.db, &data, &sel, &user, &tr).await?;
    audit_read(
        &state.db,
        &user,
        "support_stats:view",
        "trend",
        &w,
        report.exact,
        state.clock.now(),
    )
    .await?;
    let unit = unit_picker(&state, &user, &w.unit_id.to_string()).await?;
    let shown = page.render(
        &state,
        "stats/trend.html",
        context! {
            q => q, w => context! {
                unit => w.unit_id, from => w.from, to => w.to,
                from_label => w.from.label(), to_label => w.to.label(),
                lattice => lattice_label(&w, &tr),
                requested => w.requested.map(|(a, b)| context! { from => a.label(), to => b.label() }),
            },
            errors => FieldErrors::default(), unit => unit, report => report, query => query_of(&w),
        },
    )?;
    Ok(no_store(shown))
}

/// The period tables as a CSV file, protected exactly as on screen.
pub async fn get_export(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<StatsQuery>,
) -> AppResult<Response> {
    let w = resolve_unit(&state, &user, &q)
        .await?
        .and_then(|q| q.parse(&user, state.clock.today()))
        .map_err(|errors| QueryField::of_errors(&errors))?;
    let (unit, _) = readable_unit(&state, &user, w.unit_id).await?;
    let sel = Selection {
        unit,
        from: w.from,
        to: w.to,
    };
    let data = data::load(&state.db, &sel).await?;
    let tr = Tr {
        i18n: &state.i18n,
        locale: user.locale,
    };
    let report = figures::report_for(&state.db, &data, &sel, &user, &tr).await?;
    audit_read(
        &state.db,
        &user,
        "support_stats:export",
        "csv",
        &w,
        report.exact,
        state.clock.now(),
    )
    .await?;
    let name = format!(
        "thong-ke-ho-tro-{}-{}-{}.csv",
        w.unit_id,
        w.from.iso(),
        w.to.iso()
    );
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        export::csv(&report, &tr),
    )
        .into_response())
}
