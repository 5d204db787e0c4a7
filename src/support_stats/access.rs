//! Who may read and who may enter the figures of a unit: its scope decides, and a unit outside
//! it answers 404 as if it did not exist.

use crate::auth::{Capability, CurrentUser};
use crate::entities::org_unit;
use crate::error::{AppError, AppResult};
use crate::org_units::scope::Scope;
use crate::state::AppState;
use sea_orm::EntityTrait;

/// The unit if the user may see its figures; 404 otherwise, so ids of other units reveal
/// nothing (a commune officer asking for another commune gets the same answer as for a unit
/// that does not exist).
pub async fn readable_unit(
    state: &AppState,
    user: &CurrentUser,
    unit_id: i64,
) -> AppResult<(org_unit::Model, Scope)> {
    let scope = user.scope(state).await?;
    if !scope.contains(unit_id) {
        return Err(AppError::NotFound);
    }
    let unit = org_unit::Entity::find_by_id(unit_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((unit, scope))
}

/// The unit if the user may enter its figures: commune officers their own commune, the
/// compiling office any unit in its scope (the route already demands `EnterStats`).
pub async fn writable_unit(
    state: &AppState,
    user: &CurrentUser,
    unit_id: i64,
) -> AppResult<(org_unit::Model, Scope)> {
    let found = readable_unit(state, user, unit_id).await?;
    if user.can(Capability::EnterStats) {
        Ok(found)
    } else {
        Err(AppError::Forbidden)
    }
}
