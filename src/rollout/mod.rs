//! Rolling out to a whole province in an afternoon (see `docs/rollout.md`):
//!
//! - [`templates`]: the editable standard agencies of each unit level, with placeholders;
//! - [`agencies`]: the standard agencies of many units at once, previewed then committed;
//! - [`people`]: accounts from a spreadsheet, through the imports' reading, staging and
//!   preview-then-commit, each account invited by email;
//! - [`invite`]: invitations — a single-use link to set one's password, resendable;
//! - [`ready`]: the checklist of a rollout, per unit.

pub mod agencies;
pub mod invite;
pub mod people;
pub mod ready;
pub mod templates;

use crate::auth::{CurrentUser, Role};
use crate::entities::org_unit;
use crate::error::AppResult;
use crate::org_units::scope::Scope;
use crate::state::AppState;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// Whom a user may onboard: an administrator the whole deployment, a compiling office its own
/// unit's subtree (its province).
pub async fn scope(state: &AppState, user: &CurrentUser) -> AppResult<Scope> {
    if user.role == Role::Admin {
        return user.scope(state).await;
    }
    Scope::of_unit(&state.db, user.org_unit_id).await
}

/// The open units a user may roll out to, as roots: provinces (and, for a compiler under a
/// province, their own unit), sorted by name.
pub async fn roots(state: &AppState, user: &CurrentUser) -> AppResult<Vec<org_unit::Model>> {
    let scope = scope(state, user).await?;
    let mut units: Vec<org_unit::Model> = org_unit::Entity::find()
        .filter(org_unit::Column::ValidTo.is_null())
        .filter(org_unit::Column::Kind.eq("province"))
        .order_by_asc(org_unit::Column::Name)
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|u| scope.contains(u.id))
        .collect();
    if !units.iter().any(|u| u.id == user.org_unit_id)
        && let Some(own) = org_unit::Entity::find_by_id(user.org_unit_id)
            .one(&state.db)
            .await?
        && own.kind != "province"
        && user.role != Role::Admin
    {
        units.insert(0, own);
    }
    Ok(units)
}

/// The open units of `root`'s subtree (itself included), within the scope.
pub async fn units_under(
    db: &impl sea_orm::ConnectionTrait,
    root: i64,
    scope: &Scope,
) -> AppResult<Vec<org_unit::Model>> {
    let sub = Scope::of_unit(db, root).await?;
    Ok(org_unit::Entity::find()
        .filter(org_unit::Column::ValidTo.is_null())
        .filter(org_unit::Column::Id.is_in(sub.ids()))
        .order_by_asc(org_unit::Column::Name)
        .order_by_asc(org_unit::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|u| sub.contains(u.id) && scope.contains(u.id))
        .collect())
}
