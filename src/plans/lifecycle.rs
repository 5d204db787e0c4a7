//! The life of a plan: issue (leaders, with number and date), close at the end of its period,
//! clone into next year's draft, cascade into a commune's own plan, and the district's view of
//! which communes have made theirs.

use crate::auth::{Capability, CurrentUser};
use crate::entities::{org_unit, plan};
use crate::error::{AppError, AppResult};
use crate::plans::edit::actor;
use crate::plans::service::{self, CloneOptions};
use crate::plans::{access, handlers};
use crate::state::AppState;
use crate::web::Page;
use crate::web::format::parse_date;
use crate::web::forms::{FieldErrors, RawForm};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

pub async fn post_issue(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let p = access::issuable(&state, &user, plan_id).await?;
    let Some(on) = parse_date(form.get("issued_on")) else {
        let mut errors = FieldErrors::default();
        errors.add("issued_on", "form.date");
        return handlers::render_plan(
            &state,
            &page,
            &user,
            &p,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
        )
        .await;
    };
    let result = service::issue(
        &state.db,
        actor(&state, &user),
        plan_id,
        form.get("number").to_owned(),
        on,
    )
    .await;
    handlers::after_plan_action(&state, &page, &user, &p, result, |_| {
        (format!("/plans/{plan_id}"), "flash.plan_issued")
    })
    .await
}

pub async fn post_close(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
) -> AppResult<Response> {
    let p = access::issuable(&state, &user, plan_id).await?;
    let result = service::close(
        &state.db,
        actor(&state, &user),
        plan_id,
        state.clock.today(),
    )
    .await;
    handlers::after_plan_action(&state, &page, &user, &p, result, |_| {
        (format!("/plans/{plan_id}"), "flash.saved")
    })
    .await
}

pub async fn post_clone(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let p = access::readable(&state, &user, plan_id).await?;
    // A clone belongs to the same unit as its source: only its editors may make one.
    if !user.can(Capability::EditPlans) || !user.scope(&state).await?.contains(p.org_unit_id) {
        return Err(AppError::OutOfScope);
    }
    let opts = CloneOptions {
        years: form.get("years").trim().parse().unwrap_or(1),
        target_percent: form.get("target_percent").trim().parse().unwrap_or(-1),
        copy_budget: form.checked("copy_budget"),
    };
    let result = service::clone_plan(&state.db, actor(&state, &user), plan_id, opts).await;
    handlers::after_plan_action(&state, &page, &user, &p, result, |created| {
        (format!("/plans/{}", created.id), "flash.plan_cloned")
    })
    .await
}

pub async fn post_cascade(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let p = access::readable(&state, &user, plan_id).await?;
    // A commune officer makes their own commune's plan; a planner may make it for a commune
    // in scope.
    let unit = form
        .get("org_unit_id")
        .parse::<i64>()
        .unwrap_or(user.org_unit_id);
    if !user.scope(&state).await?.contains(unit) {
        return Err(AppError::OutOfScope);
    }
    let result = service::cascade(&state.db, actor(&state, &user), plan_id, unit).await;
    handlers::after_plan_action(&state, &page, &user, &p, result, |created| {
        (format!("/plans/{}", created.id), "flash.plan_cascaded")
    })
    .await
}

#[derive(Serialize)]
struct CommuneRow {
    unit: org_unit::Model,
    plan: Option<plan::Model>,
}

/// For a district plan: each commune below the district in the user's scope, with its plan
/// made from this one or nothing yet (those first).
pub async fn get_communes(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
) -> AppResult<Response> {
    let p = access::readable(&state, &user, plan_id).await?;
    let scope = user.scope(&state).await?;
    let today = state.clock.today();
    let units = org_unit::Entity::find()
        .filter(org_unit::Column::ParentId.eq(p.org_unit_id))
        .filter(org_unit::Column::Id.is_in(scope.ids()))
        .order_by_asc(org_unit::Column::Name)
        .all(&state.db)
        .await?;
    let plans = plan::Entity::find()
        .filter(plan::Column::ParentPlanId.eq(plan_id))
        .all(&state.db)
        .await?;
    let mut rows: Vec<CommuneRow> = units
        .into_iter()
        .filter(|u| {
            crate::org_units::repo::is_current(u, p.period_start.max(today.min(p.period_end)))
        })
        .map(|u| CommuneRow {
            plan: plans.iter().find(|pl| pl.org_unit_id == u.id).cloned(),
            unit: u,
        })
        .collect();
    rows.sort_by_key(|r| r.plan.is_some());
    let missing = rows.iter().filter(|r| r.plan.is_none()).count();
    page.render(
        &state,
        "plans/communes.html",
        context! { plan => p, rows => rows, missing => missing },
    )
}
