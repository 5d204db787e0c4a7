//! The preview of a staged import: parsed and checked again on every view, its counts, every
//! problem by row and column, and the rows as they will be saved, a page at a time. Once
//! committed, the same address says when and how many.

use super::check::{Checked, checked_import, header, problem_text, refusal, spec};
use super::handlers::{title_key, upload_page};
use super::staging::{self, Kind};
use super::{activities, stats};
use crate::auth::CurrentUser;
use crate::entities::import;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::Page;
use crate::web::query::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

/// Rows per page of the preview.
const PER_PAGE: usize = 100;
/// Problems listed on the preview; the rest are counted.
const MAX_LISTED: usize = 1000;
#[derive(Deserialize, Default)]
pub struct PreviewQuery {
    #[serde(default, deserialize_with = "page_number_text")]
    page: Option<String>,
}

// A page number that cannot be read names its field (`crate::web::query`).
fn page_number_text<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| crate::web::query::check_id(v, "page"))
}

#[derive(Serialize)]
struct MonthSummary {
    unit: String,
    month: String,
    received: i64,
    carried_over: i64,
    supported: i64,
    referred: i64,
    hotline: String,
    loans: String,
    replaces: bool,
}

/// What the preview shows, and with which status.
pub(super) struct Preview<'a> {
    pub(super) import: &'a import::Model,
    pub(super) checked: Option<&'a Checked>,
    pub(super) total: usize,
    pub(super) page: usize,
    pub(super) status: StatusCode,
    /// Why it cannot be committed, besides its problems.
    pub(super) blocked: Option<String>,
}

pub(super) fn render_preview(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    kind: Kind,
    p: Preview<'_>,
) -> AppResult<Response> {
    let problems: Vec<String> = p
        .checked
        .map(|c| c.problems())
        .unwrap_or(&[])
        .iter()
        .take(MAX_LISTED)
        .map(|pr| problem_text(state, user, kind, pr))
        .collect();
    let problem_count = p.checked.map_or(0, |c| c.problems().len());
    let valid = p.checked.map_or(0, Checked::row_count);
    let pages = valid.div_ceil(PER_PAGE).max(1);
    let current = p.page.clamp(1, pages);
    let skip = (current - 1) * PER_PAGE;
    let l = user.locale;
    let (rows, months): (Vec<(usize, Vec<String>)>, Vec<MonthSummary>) = match p.checked {
        Some(Checked::Activities(o, lk)) => (
            o.rows
                .iter()
                .skip(skip)
                .take(PER_PAGE)
                .map(|r| (r.number, activities::shown(r, lk, &state.i18n, l)))
                .collect(),
            Vec::new(),
        ),
        Some(Checked::Stats(o, lk)) => (
            o.rows
                .iter()
                .skip(skip)
                .take(PER_PAGE)
                .map(|r| (r.number, stats::shown(r, lk, &state.i18n, l)))
                .collect(),
            o.months
                .iter()
                .map(|m| MonthSummary {
                    unit: stats::unit_name(lk, m.unit_id),
                    month: m.month.label(),
                    received: m.input.received_total(),
                    carried_over: m.input.carried_over,
                    supported: m.input.support.values().sum(),
                    referred: m.input.referrals.values().sum(),
                    hotline: format!(
                        "{} / {} / {}",
                        m.input.hotline_received, m.input.hotline_handled, m.input.hotline_referred
                    ),
                    loans: format!(
                        "{} / {}",
                        m.input.loans_count,
                        crate::web::format::number(m.input.loans_amount)
                    ),
                    replaces: m.replaces,
                })
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    // The activity template's first column (the export's id) is not imported.
    let keys: Vec<&str> = spec(kind)
        .iter()
        .map(|c| c.key)
        .filter(|k| *k != "id")
        .collect();
    let columns: Vec<String> = keys.iter().map(|k| header(state, user, kind, k)).collect();
    let rows: Vec<(usize, Vec<String>)> = match kind {
        Kind::Activities => rows
            .into_iter()
            .map(|(n, cells)| (n, cells.into_iter().skip(1).collect()))
            .collect(),
        Kind::Stats | Kind::Units | Kind::People => rows,
    };
    let can_commit = p.import.status == staging::STAGED
        && p.checked.is_some()
        && problem_count == 0
        && valid > 0
        && p.blocked.is_none();
    page.render_status(
        state,
        p.status,
        "imports/preview.html",
        context! {
            kind => kind, base => kind.base(), title_key => title_key(kind), import => p.import,
            committed => p.import.status == staging::COMMITTED,
            total => p.total, valid => valid, problems => problems, problem_count => problem_count,
            more_problems => problem_count.saturating_sub(MAX_LISTED),
            columns => columns, rows => rows, months => months, page => current, pages => pages,
            blocked => p.blocked, can_commit => can_commit,
        },
    )
}

fn page_number(q: &PreviewQuery) -> usize {
    q.page
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
}

async fn get_preview(
    state: AppState,
    page: Page,
    user: CurrentUser,
    kind: Kind,
    id: i64,
    q: PreviewQuery,
) -> AppResult<Response> {
    let found = staging::own(&state.db, kind, user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.status == staging::COMMITTED {
        let p = Preview {
            import: &found,
            checked: None,
            total: usize::try_from(found.rows.unwrap_or(0)).unwrap_or(0),
            page: 1,
            status: StatusCode::OK,
            blocked: None,
        };
        return render_preview(&state, &page, &user, kind, p);
    }
    let (checked, blocked) = checked_import(&state, &user, kind, &found).await?;
    match checked {
        Ok((c, total)) => {
            let p = Preview {
                import: &found,
                checked: Some(&c),
                total,
                page: page_number(&q),
                status: StatusCode::OK,
                blocked,
            };
            render_preview(&state, &page, &user, kind, p)
        }
        Err(e) => {
            let (status, message) = refusal(&state, &user, kind, &e);
            upload_page(&state, &page, kind, status, Some(message))
        }
    }
}

pub async fn get_activities_import_preview(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(import_id): Path<i64>,
    Query(q): Query<PreviewQuery>,
) -> AppResult<Response> {
    get_preview(state, page, user, Kind::Activities, import_id, q).await
}

pub async fn get_stats_import_preview(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(import_id): Path<i64>,
    Query(q): Query<PreviewQuery>,
) -> AppResult<Response> {
    get_preview(state, page, user, Kind::Stats, import_id, q).await
}
