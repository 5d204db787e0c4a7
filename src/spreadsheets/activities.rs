//! The activity list as a file, with the filters of the list page and within the user's scope.
//! CSV is streamed page by page from the keyset-paginated query; XLSX is written page by page
//! into a constant-memory sheet (rows go to a temporary file, not to memory).

use crate::activities::repo::{self, Filter};
use crate::activities::service::status_label;
use crate::auth::CurrentUser;
use crate::entities::{activity, activity_target_group, agency, code, org_unit, plan_item};
use crate::error::AppResult;
use crate::org_units::scope::Scope;
use crate::spreadsheets::sheet::{Cell, Column, XlsxSheet, csv_head, csv_line};
use crate::spreadsheets::{attachment, audit_export, internal};
use crate::state::AppState;
use crate::web::i18n::Locale;
use crate::web::query::Query;
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use futures_util::StreamExt;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// Rows read from the database at a time.
const PAGE: u64 = 1000;

/// The columns of the export, which are also the columns of the import template: translation
/// key (`sheet.activity.<name>`) and width.
pub const COLUMNS: &[(&str, f64)] = &[
    ("id", 9.0),
    ("title", 48.0),
    ("activity_type", 22.0),
    ("plan_item", 40.0),
    ("org_unit", 22.0),
    ("agency", 22.0),
    ("start_date", 12.0),
    ("end_date", 12.0),
    ("place", 28.0),
    ("target_groups", 28.0),
    ("status", 14.0),
    ("held_on", 12.0),
    ("planned_participants", 12.0),
    ("participants", 12.0),
    ("women", 12.0),
    ("ethnic_minority", 12.0),
    ("children", 12.0),
    ("notes", 40.0),
];

pub fn columns(state: &AppState, locale: Locale) -> Vec<Column> {
    COLUMNS
        .iter()
        .map(|(k, w)| Column {
            header: state
                .i18n
                .t(locale, &format!("sheet.activity.{k}"))
                .to_owned(),
            width: *w,
        })
        .collect()
}

/// Names of what activities point at; small tables, loaded once per export.
pub struct Lookups {
    units: HashMap<i64, String>,
    agencies: HashMap<i64, String>,
    codes: HashMap<i64, code::Model>,
    /// Plan items by id, as their code and title (`repo::export_titles`).
    items: HashMap<i64, String>,
    status: HashMap<String, String>,
    locale: Locale,
}

impl Lookups {
    pub async fn load(state: &AppState, locale: Locale) -> Result<Lookups, DbErr> {
        let db = &state.db;
        let status = crate::activities::service::STATUSES
            .iter()
            .map(|s| ((*s).to_owned(), status_label(&state.i18n, locale, s)))
            .collect();
        Ok(Lookups {
            units: org_unit::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect(),
            agencies: agency::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|a| (a.id, a.short_name))
                .collect(),
            codes: code::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.id, c))
                .collect(),
            items: repo::export_titles(&plan_item::Entity::find().all(db).await?),
            status,
            locale,
        })
    }

    fn code(&self, id: i64) -> String {
        self.codes
            .get(&id)
            .map(|c| crate::codes::name(c, self.locale).to_owned())
            .unwrap_or_default()
    }

    fn row(&self, a: &activity::Model, groups: &[i64]) -> Vec<Cell> {
        let groups: Vec<String> = groups.iter().map(|g| self.code(*g)).collect();
        vec![
            Cell::Int(a.id),
            Cell::text(&a.title),
            Cell::text(self.code(a.activity_type_id)),
            Cell::text(self.items.get(&a.plan_item_id).cloned().unwrap_or_default()),
            Cell::text(self.units.get(&a.org_unit_id).cloned().unwrap_or_default()),
            Cell::text(self.agencies.get(&a.agency_id).cloned().unwrap_or_default()),
            Cell::Date(a.start_date),
            Cell::Date(a.end_date),
            Cell::text(a.place.clone().unwrap_or_default()),
            Cell::text(groups.join("; ")),
            Cell::text(self.status.get(&a.status).cloned().unwrap_or_default()),
            Cell::opt_date(a.held_on),
            Cell::opt_int(a.planned_participants),
            Cell::opt_int(a.participants),
            Cell::opt_int(a.participants_women),
            Cell::opt_int(a.participants_ethnic_minority),
            Cell::opt_int(a.participants_children),
            Cell::text(a.notes.clone().unwrap_or_default()),
        ]
    }
}

/// The target groups of a page of activities.
async fn groups_of(
    db: &impl ConnectionTrait,
    rows: &[activity::Model],
) -> Result<HashMap<i64, Vec<i64>>, DbErr> {
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for g in activity_target_group::Entity::find()
        .filter(activity_target_group::Column::ActivityId.is_in(ids))
        .all(db)
        .await?
    {
        out.entry(g.activity_id)
            .or_default()
            .push(g.target_group_id);
    }
    for v in out.values_mut() {
        v.sort_unstable();
    }
    Ok(out)
}

/// One page of rows after the cursor, and the cursor of the next page.
async fn page(
    state: &AppState,
    scope: &Scope,
    filter: &Filter,
    lookups: &Lookups,
) -> Result<(Vec<Vec<Cell>>, Option<String>), DbErr> {
    let (rows, next) = repo::list(&state.db, scope, filter, PAGE).await?;
    let groups = groups_of(&state.db, &rows).await?;
    let cells = rows
        .iter()
        .map(|a| lookups.row(a, groups.get(&a.id).map_or(&[][..], Vec::as_slice)))
        .collect();
    Ok((cells, next))
}

/// The title row: what, where, when.
async fn title(state: &AppState, user: &CurrentUser, filter: &Filter) -> AppResult<String> {
    let unit_id = filter
        .unit
        .as_deref()
        .and_then(|u| u.trim().parse::<i64>().ok())
        .unwrap_or(user.org_unit_id);
    let unit = org_unit::Entity::find_by_id(unit_id)
        .one(&state.db)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let period = match (filter.from_date(), filter.to_date()) {
        (None, None) => state.i18n.t(user.locale, "sheet.all_dates").to_owned(),
        (f, t) => format!(
            "{} – {}",
            f.map(crate::web::format::date).unwrap_or_default(),
            t.map(crate::web::format::date).unwrap_or_default()
        ),
    };
    Ok(format!(
        "{} — {unit} — {period}",
        state.i18n.t(user.locale, "sheet.activity.heading")
    ))
}

async fn prepare(
    state: &AppState,
    user: &CurrentUser,
    mut filter: Filter,
    format: &str,
) -> AppResult<(Scope, Filter, Lookups)> {
    let scope = user.scope(state).await?;
    filter.after = None;
    filter.resolve(&state.db, &scope).await?;
    let lookups = Lookups::load(state, user.locale).await?;
    let query = serde_urlencoded::to_string(&filter).unwrap_or_default();
    audit_export(
        state,
        user,
        "activity:export",
        "activity",
        serde_json::json!({ "format": format, "filter": query }),
    )
    .await?;
    Ok((scope, filter, lookups))
}

/// `GET /activities/export.csv`: streamed, one database page at a time.
pub async fn get_activities_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(filter): Query<Filter>,
) -> AppResult<Response> {
    let (scope, filter, lookups) = prepare(&state, &user, filter, "csv").await?;
    let head = csv_head(&columns(&state, user.locale));
    // The stream's state: the filter carries the cursor; `None` once the last page is sent.
    let start = Some((state, scope, filter, lookups));
    let body = futures_util::stream::once(async move { Ok::<String, DbErr>(head) }).chain(
        futures_util::stream::try_unfold(start, |st| async move {
            let Some((state, scope, mut filter, lookups)) = st else {
                return Ok(None);
            };
            let (rows, next) = page(&state, &scope, &filter, &lookups).await?;
            let mut out = String::new();
            for r in &rows {
                csv_line(&mut out, r);
            }
            let following = next.map(|n| {
                filter.after = Some(n);
                (state, scope, filter, lookups)
            });
            Ok(Some((out, following)))
        }),
    );
    Ok(attachment(
        "text/csv; charset=utf-8",
        "hoat-dong.csv",
        Body::from_stream(body),
    ))
}

/// `GET /activities/export.xlsx`.
pub async fn get_activities_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(filter): Query<Filter>,
) -> AppResult<Response> {
    let title = title(&state, &user, &filter).await?;
    let (scope, mut filter, lookups) = prepare(&state, &user, filter, "xlsx").await?;
    let mut wb = rust_xlsxwriter::Workbook::new();
    {
        // Rows go to a temporary file in the system temp dir (`std::env::temp_dir()`).
        let ws = wb.add_worksheet_with_constant_memory().map_err(internal)?;
        let sheet_name = state.i18n.t(user.locale, "sheet.activity.sheet");
        let mut sheet = XlsxSheet::start(ws, sheet_name, &title, &columns(&state, user.locale))
            .map_err(internal)?;
        loop {
            let (rows, next) = page(&state, &scope, &filter, &lookups).await?;
            for r in &rows {
                sheet.row(r).map_err(internal)?;
            }
            match next {
                Some(n) => filter.after = Some(n),
                None => break,
            }
        }
    }
    let bytes = tokio::task::spawn_blocking(move || wb.save_to_buffer())
        .await
        .map_err(internal)?
        .map_err(internal)?;
    Ok(attachment(
        crate::spreadsheets::XLSX,
        "hoat-dong.xlsx",
        Body::from(bytes),
    ))
}
