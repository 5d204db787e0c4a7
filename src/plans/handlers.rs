//! The home page and the plan pages.

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::plans::repo;
use crate::state::AppState;
use crate::web::Page;
use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::context;

pub async fn get_home(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    let units = repo::readable_units(&state.db, &scope, user.org_unit_id).await?;
    let plans = repo::list(&state.db, &units).await?;
    page.render(&state, "home.html", context! { plans => plans })
}

pub async fn get_plans(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    let units = repo::readable_units(&state.db, &scope, user.org_unit_id).await?;
    let plans = repo::list(&state.db, &units).await?;
    page.render(&state, "plans/index.html", context! { plans => plans })
}

pub async fn get_plan(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
) -> AppResult<Response> {
    let view = repo::load(&state.db, plan_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = user.scope(&state).await?;
    let units = repo::readable_units(&state.db, &scope, user.org_unit_id).await?;
    if !units.contains(&view.plan.org_unit_id) {
        return Err(AppError::NotFound);
    }
    page.render(&state, "plans/show.html", context! { view => view })
}
