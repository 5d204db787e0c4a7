//! `GET /api/v1/support-stats`: the period tables of a unit (filters `unit`, `from`, `to` as
//! `yyyy-mm`), protected exactly as on screen — hidden cells are `"x"` for every caller
//! without the sensitive capability — and written to the audit log like every other view.

use crate::api::invalid;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::state::AppState;
use crate::support_stats::access::readable_unit;
use crate::support_stats::data::{self, Selection};
use crate::support_stats::figures;
use crate::support_stats::views::{StatsQuery, audit_read};
use crate::support_stats::views_model::Tr;
use crate::web::query::Query;
use axum::Json;
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};

pub async fn get_api_support_stats(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<StatsQuery>,
) -> AppResult<Response> {
    let w = match q.parse(&user, state.clock.today()) {
        Ok(w) => w,
        Err(errors) => return Ok(invalid(&state, &user, &errors)),
    };
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
    let mut report = figures::report_for(&state.db, &data, &sel, &user, &tr).await?;
    // Snapped to the publication lattice: say what was asked for.
    if let Some((from, to)) = w.requested {
        report.requested = Some([from, to]);
    }
    audit_read(
        &state.db,
        &user,
        "support_stats:view",
        "api",
        &w,
        report.exact,
        state.clock.now(),
    )
    .await?;
    Ok(([(CACHE_CONTROL, "no-store")], Json(report)).into_response())
}
