//! The home page and reading plans.

use crate::auth::{Capability, CurrentUser};
use crate::entities::{org_unit, plan, plan_amendment};
use crate::error::AppResult;
use crate::plans::edit::form_errors;
use crate::plans::service::PlanError;
use crate::plans::{access, repo};
use crate::state::AppState;
use crate::web::Page;
use crate::web::flash;
use crate::web::forms::FieldErrors;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

pub async fn get_plans(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    let units = repo::readable_units(&state.db, &scope, user.org_unit_id).await?;
    let plans = repo::list(&state.db, &units).await?;
    page.render(
        &state,
        "plans/index.html",
        context! { plans => plans, can_create => user.can(Capability::EditPlans) },
    )
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PlanQuery {
    /// `?edit=1`: the edit mode, each item with its actions.
    #[serde(default)]
    edit: Option<String>,
}

pub async fn get_plan(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
    crate::web::query::Query(q): crate::web::query::Query<PlanQuery>,
) -> AppResult<Response> {
    let p = access::readable(&state, &user, plan_id).await?;
    let shown = Shown {
        status: StatusCode::OK,
        errors: FieldErrors::default(),
        edit_mode: q.edit.is_some(),
    };
    render_plan_as(&state, &page, &user, &p, shown).await
}

/// How the plan page is shown: its status, the errors of a failed action, and whether each
/// item shows its actions (the edit mode).
pub struct Shown {
    pub status: StatusCode,
    pub errors: FieldErrors,
    pub edit_mode: bool,
}

/// The plan page, with the actions this user may take on it. Also shown again (422) when one of
/// those actions fails, with its errors.
pub async fn render_plan(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    p: &plan::Model,
    status: StatusCode,
    errors: FieldErrors,
) -> AppResult<Response> {
    // A failed action on an item is shown in the edit mode it was taken from.
    let edit_mode = !errors.is_empty();
    let shown = Shown {
        status,
        errors,
        edit_mode,
    };
    render_plan_as(state, page, user, p, shown).await
}

pub async fn render_plan_as(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    p: &plan::Model,
    shown: Shown,
) -> AppResult<Response> {
    let Shown {
        status,
        errors,
        edit_mode,
    } = shown;
    let view = repo::load(&state.db, p.id)
        .await?
        .ok_or(crate::error::AppError::NotFound)?;
    let scope = user.scope(state).await?;
    let can_edit = access::can_edit(state, user, p).await?;
    let can_issue = user.can(Capability::IssuePlans) && scope.contains(p.org_unit_id);
    let amendments = plan_amendment::Entity::find()
        .filter(plan_amendment::Column::PlanId.eq(p.id))
        .order_by_desc(plan_amendment::Column::AmendedOn)
        .order_by_desc(plan_amendment::Column::Id)
        .all(&state.db)
        .await?;
    // A commune (or a planner on its behalf) can make its own plan from an issued plan of the
    // unit directly above it.
    let own_unit = org_unit::Entity::find_by_id(user.org_unit_id)
        .one(&state.db)
        .await?;
    let own_made = plan::Entity::find()
        .filter(plan::Column::ParentPlanId.eq(p.id))
        .filter(plan::Column::OrgUnitId.eq(user.org_unit_id))
        .one(&state.db)
        .await?;
    let can_cascade = user.can(Capability::EditPlans)
        && p.status == crate::plans::service::ISSUED
        && own_unit.as_ref().and_then(|u| u.parent_id) == Some(p.org_unit_id)
        && own_made.is_none();
    let derived = plan::Entity::find()
        .filter(plan::Column::ParentPlanId.eq(p.id))
        .count(&state.db)
        .await?;
    let parent = match p.parent_plan_id {
        Some(id) => plan::Entity::find_by_id(id).one(&state.db).await?,
        None => None,
    };
    page.render_status(
        state,
        status,
        "plans/show.html",
        context! {
            view => view, can_edit => can_edit, can_issue => can_issue, can_cascade => can_cascade,
            own_made => own_made, derived => derived, parent => parent, amendments => amendments,
            can_clone => user.can(Capability::EditPlans) && scope.contains(p.org_unit_id),
            errors => errors, today => state.clock.today(), edit_mode => edit_mode && can_edit,
        },
    )
}

/// The plan as a DOCX KẾ HOẠCH, ready to sign.
pub async fn get_plan_docx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
) -> AppResult<Response> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    use axum::response::IntoResponse;
    let p = access::readable(&state, &user, plan_id).await?;
    let view = repo::load(&state.db, plan_id)
        .await?
        .ok_or(crate::error::AppError::NotFound)?;
    let unit = org_unit::Entity::find_by_id(p.org_unit_id)
        .one(&state.db)
        .await?
        .ok_or(crate::error::AppError::NotFound)?;
    let bytes = tokio::task::spawn_blocking(move || crate::plans::document::render(&view, &unit))
        .await
        .map_err(|e| crate::error::AppError::Internal(e.into()))?
        .map_err(|e| crate::error::AppError::Internal(e.into()))?;
    let name = format!("ke-hoach-{}.docx", p.code.to_lowercase());
    Ok((
        [
            (
                CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                    .to_owned(),
            ),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Ends an action taken from the plan page: on success, a redirect (to the path `done` gives)
/// with its flash message; on a refusal, the plan page again with the messages, as a 422.
pub async fn after_plan_action<T>(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    p: &plan::Model,
    result: Result<T, PlanError>,
    done: impl FnOnce(T) -> (String, &'static str),
) -> AppResult<Response> {
    match result {
        Ok(value) => {
            let (to, flash_key) = done(value);
            Ok(flash::redirect(&state.config, &to, flash_key))
        }
        Err(e) => {
            let errors = form_errors(e)?;
            render_plan(
                state,
                page,
                user,
                p,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await
        }
    }
}
