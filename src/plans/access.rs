//! Who may read and who may change a given plan: readers see plans of their scope and of the
//! units above them; editors change only plans of units in their scope that are not closed.

use crate::auth::{Capability, CurrentUser};
use crate::entities::plan;
use crate::error::{AppError, AppResult};
use crate::plans::repo;
use crate::state::AppState;
use sea_orm::EntityTrait;

/// The plan if the user may read it; 404 otherwise (its existence is not revealed).
pub async fn readable(
    state: &AppState,
    user: &CurrentUser,
    plan_id: i64,
) -> AppResult<plan::Model> {
    let p = plan::Entity::find_by_id(plan_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = user.scope(state).await?;
    let units = repo::readable_units(&state.db, &scope, user.org_unit_id).await?;
    if units.contains(&p.org_unit_id) {
        Ok(p)
    } else {
        Err(AppError::NotFound)
    }
}

/// Whether the user may change this plan (content, items, targets, budget).
pub async fn can_edit(state: &AppState, user: &CurrentUser, p: &plan::Model) -> AppResult<bool> {
    if !user.can(Capability::EditPlans) || p.status == crate::plans::service::CLOSED {
        return Ok(false);
    }
    Ok(user.scope(state).await?.contains(p.org_unit_id))
}

/// The plan if the user may change it: 404 when they cannot even read it, 403 when they can.
pub async fn editable(
    state: &AppState,
    user: &CurrentUser,
    plan_id: i64,
) -> AppResult<plan::Model> {
    let p = readable(state, user, plan_id).await?;
    if can_edit(state, user, &p).await? {
        Ok(p)
    } else {
        Err(AppError::OutOfScope)
    }
}

/// Leaders issue and close the plans of their own unit and below.
pub async fn issuable(
    state: &AppState,
    user: &CurrentUser,
    plan_id: i64,
) -> AppResult<plan::Model> {
    let p = readable(state, user, plan_id).await?;
    if user.can(Capability::IssuePlans) && user.scope(state).await?.contains(p.org_unit_id) {
        Ok(p)
    } else {
        Err(AppError::OutOfScope)
    }
}
