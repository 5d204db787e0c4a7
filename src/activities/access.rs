//! Who may see and who may change an activity. Everyone reads the activities of their scope;
//! planners schedule for any unit in scope; commune officers for their own commune; partners
//! only the activities their agency organises. Leaders, compilers and admins read.

use crate::auth::{CurrentUser, Role};
use crate::entities::activity;
use crate::error::{AppError, AppResult};
use crate::org_units::scope::Scope;
use crate::state::AppState;
use sea_orm::EntityTrait;

/// Whether the user may create or change an activity of this unit and organising agency.
pub fn may_write(user: &CurrentUser, scope: &Scope, org_unit_id: i64, agency_id: i64) -> bool {
    match user.role {
        Role::Planner | Role::Commune => scope.contains(org_unit_id),
        Role::Partner => scope.contains(org_unit_id) && agency_id == user.agency_id,
        Role::Admin | Role::Compiler | Role::Leader => false,
    }
}

/// The activity if the user may see it; 404 otherwise, so ids of other units reveal nothing.
pub async fn readable(
    state: &AppState,
    user: &CurrentUser,
    activity_id: i64,
) -> AppResult<(activity::Model, Scope)> {
    let a = activity::Entity::find_by_id(activity_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = user.scope(state).await?;
    if scope.contains(a.org_unit_id) {
        Ok((a, scope))
    } else {
        Err(AppError::NotFound)
    }
}

/// The activity if the user may change it.
pub async fn writable(
    state: &AppState,
    user: &CurrentUser,
    activity_id: i64,
) -> AppResult<(activity::Model, Scope)> {
    let (a, scope) = readable(state, user, activity_id).await?;
    if may_write(user, &scope, a.org_unit_id, a.agency_id) {
        Ok((a, scope))
    } else {
        Err(AppError::OutOfScope)
    }
}
