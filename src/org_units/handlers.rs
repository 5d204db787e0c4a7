//! `/org-units`: the tree of units in the user's scope, with validity dates and lineage,
//! searched, filtered and paged; and the search behind the unit pickers of forms.

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::org_units::{listing, repo};
use crate::state::AppState;
use crate::web::Page;
use crate::web::query::Query;
use crate::web::search::{self, ListQuery};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

pub async fn get_org_units(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    query.check(
        crate::admin::org_units::KINDS,
        crate::admin::org_units::STATUSES,
    )?;
    let scope = user.scope(&state).await?;
    let list = listing::unit_page(
        &state.db,
        Some(&scope),
        state.clock.today(),
        &query,
        "/org-units",
    )
    .await?;
    query.check_province(&list.provinces)?;
    // The lineage is history, shown under the first page of the unfiltered list only.
    let lineage = if query.narrowed() || query.after.is_some() {
        Vec::new()
    } else {
        repo::lineage(&state.db).await?
    };
    page.render(
        &state,
        "org_units/index.html",
        context! {
            list => list.page, provinces => list.provinces, query => query,
            narrowed => query.narrowed(), kinds => crate::admin::org_units::KINDS,
            lineage => lineage,
        },
    )
}

#[derive(Deserialize)]
pub struct SuggestQuery {
    #[serde(default)]
    q: String,
}

/// `GET /org-units/search.json?q=`: the current units of the user's scope matching the words
/// (accents and case ignored), at most `search::SUGGESTIONS`, for the pickers' suggestions.
pub async fn get_unit_search(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<SuggestQuery>,
) -> AppResult<Json<Vec<search::Choice>>> {
    let scope = user.scope(&state).await?;
    let choices =
        listing::unit_choices(&state.db, Some(&scope), state.clock.today(), |r| r.current).await?;
    Ok(Json(search::suggest(&choices, &query.q)))
}

/// `GET /agencies/search.json?q=`: the agencies the user's forms offer matching the words.
pub async fn get_agency_search(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<SuggestQuery>,
) -> AppResult<Json<Vec<search::Choice>>> {
    let choices = crate::agencies::choices(crate::agencies::for_user(&state, &user).await?);
    Ok(Json(search::suggest(&choices, &query.q)))
}
