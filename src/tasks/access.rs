//! Who sees and who acts on a coordination task. The lead side (the requesting agency, and
//! planners and compilers whose scope holds it) creates, reassigns, extends; the partner side
//! (users of the partner agency) acknowledges, declines, works and reports the outcome. Partners
//! see only their agency's tasks; everyone else sees the tasks whose lead agency lies in their
//! scope — which includes the escalated tasks of the units below them.

use crate::auth::{CurrentUser, Role};
use crate::entities::{agency, coordination_task};
use crate::error::{AppError, AppResult};
use crate::org_units::scope::Scope;
use crate::state::AppState;
use sea_orm::EntityTrait;

pub struct TaskAccess {
    pub task: coordination_task::Model,
    pub read: bool,
    pub lead: bool,
    pub partner: bool,
}

pub async fn of(
    state: &AppState,
    user: &CurrentUser,
    scope: &Scope,
    task: coordination_task::Model,
) -> AppResult<TaskAccess> {
    let lead_unit = agency::Entity::find_by_id(task.lead_agency_id)
        .one(&state.db)
        .await?
        .map(|a| a.org_unit_id);
    let own_agency_lead = task.lead_agency_id == user.agency_id;
    let partner = task.partner_agency_id == user.agency_id && user.role != Role::Leader;
    let lead_in_scope = lead_unit.is_some_and(|u| scope.contains(u));
    let read = match user.role {
        Role::Partner => own_agency_lead || task.partner_agency_id == user.agency_id,
        _ => own_agency_lead || task.partner_agency_id == user.agency_id || lead_in_scope,
    };
    let lead = match user.role {
        Role::Planner | Role::Compiler => lead_in_scope,
        Role::Commune => own_agency_lead,
        Role::Admin | Role::Leader | Role::Partner => false,
    };
    Ok(TaskAccess {
        task,
        read,
        lead,
        partner,
    })
}

/// The task if the user may see it; 404 otherwise.
pub async fn readable(
    state: &AppState,
    user: &CurrentUser,
    task_id: i64,
) -> AppResult<(TaskAccess, Scope)> {
    let task = coordination_task::Entity::find_by_id(task_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = user.scope(state).await?;
    let access = of(state, user, &scope, task).await?;
    if access.read {
        Ok((access, scope))
    } else {
        Err(AppError::NotFound)
    }
}
