//! `/org-units`: the tree of units in the user's scope, with validity dates and lineage.

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::org_units::repo;
use crate::state::AppState;
use crate::web::Page;
use axum::extract::State;
use axum::response::Response;
use minijinja::context;

pub async fn get_org_units(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    let rows = repo::tree(&state.db, Some(&scope), state.clock.today()).await?;
    let lineage = repo::lineage(&state.db).await?;
    page.render(
        &state,
        "org_units/index.html",
        context! { rows => rows, lineage => lineage },
    )
}
