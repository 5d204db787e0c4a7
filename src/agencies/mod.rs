//! Agencies: the offices inside an org unit that users belong to and plan items name.

use crate::entities::{agency, org_unit};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

#[derive(Serialize, Clone)]
pub struct AgencyRow {
    pub agency: agency::Model,
    pub unit_name: String,
    /// The unit's stored folded name, for the pickers' searches.
    #[serde(skip)]
    pub unit_search_name: String,
}

/// Every agency with its unit's name, ordered by unit then name: for the administrator.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<AgencyRow>, DbErr> {
    list_in(db, None).await
}

/// The agencies of these units (all of them for `None`), with their unit's name. Forms and
/// filters offer the agencies of the user's scope and of the units above it
/// (`plans::repo::readable_units`): the ones a plan item or a task can name — not the whole
/// country's, which would be thousands of options and other provinces' business.
pub async fn list_in(
    db: &impl ConnectionTrait,
    units: Option<&[i64]>,
) -> Result<Vec<AgencyRow>, DbErr> {
    // Past this many units (a national scope lists 3,300), reading every row and keeping the
    // wanted ones is cheaper than a statement with one parameter per unit: on PostgreSQL each
    // such statement took 45–95 ms at 3,300 units.
    const MANY: usize = 300;
    let wanted: Option<std::collections::HashSet<i64>> = units.map(|u| u.iter().copied().collect());
    let in_sql = units.filter(|u| u.len() <= MANY);
    let mut query = agency::Entity::find();
    if let Some(units) = in_sql {
        query = query.filter(agency::Column::OrgUnitId.is_in(units.iter().copied()));
    }
    let rows: Vec<agency::Model> = query
        .order_by_asc(agency::Column::OrgUnitId)
        .order_by_asc(agency::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .filter(|a| wanted.as_ref().is_none_or(|w| w.contains(&a.org_unit_id)))
        .collect();
    let mut unit_query = org_unit::Entity::find();
    if let Some(units) = in_sql {
        unit_query = unit_query.filter(org_unit::Column::Id.is_in(units.iter().copied()));
    }
    let units: std::collections::HashMap<i64, (String, String)> = unit_query
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.name, u.search_name)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|a| {
            let (unit_name, unit_search_name) =
                units.get(&a.org_unit_id).cloned().unwrap_or_default();
            AgencyRow {
                unit_name,
                unit_search_name,
                agency: a,
            }
        })
        .collect())
}

/// The agencies a user's forms offer: those of the units in their scope and above it that
/// still exist today (a unit closed by a merge or the end of a level offers none).
pub async fn for_user(
    state: &crate::state::AppState,
    user: &crate::auth::CurrentUser,
) -> crate::error::AppResult<Vec<AgencyRow>> {
    let units = readable_units(state, user).await?;
    let today = state.clock.today();
    // A national scope: every unit, read without a parameter per unit (see `list_in`).
    let mut query = org_unit::Entity::find();
    if units.len() <= 300 {
        query = query.filter(org_unit::Column::Id.is_in(units.iter().copied()));
    }
    let wanted: std::collections::HashSet<i64> = units.iter().copied().collect();
    let current: Vec<i64> = query
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|u| wanted.contains(&u.id) && crate::org_units::repo::is_current(u, today))
        .map(|u| u.id)
        .collect();
    Ok(list_in(&state.db, Some(&current)).await?)
}

/// Whether an agency can be given new work on `day`: active, and its unit not closed.
pub async fn is_current(
    db: &impl ConnectionTrait,
    agency_id: i64,
    day: chrono::NaiveDate,
) -> Result<bool, DbErr> {
    let Some(a) = agency::Entity::find_by_id(agency_id).one(db).await? else {
        return Ok(false);
    };
    let unit = org_unit::Entity::find_by_id(a.org_unit_id).one(db).await?;
    Ok(a.active && unit.is_some_and(|u| crate::org_units::repo::is_current(&u, day)))
}

/// The units of a user's scope and the units above their own.
pub async fn readable_units(
    state: &crate::state::AppState,
    user: &crate::auth::CurrentUser,
) -> crate::error::AppResult<Vec<i64>> {
    let scope = user.scope(state).await?;
    Ok(crate::plans::repo::readable_units(&state.db, &scope, user.org_unit_id).await?)
}

/// Agencies as picker choices: "UBND xã — Xã Hòa Mỹ (CODE)", active ones only.
pub fn choices(rows: Vec<AgencyRow>) -> Vec<crate::web::search::Choice> {
    rows.into_iter()
        .filter(|r| r.agency.active)
        .map(|r| {
            crate::web::search::Choice::new(
                r.agency.id,
                format!("{} — {}", r.agency.name, r.unit_name),
                &r.agency.code,
            )
            .with_folded(format!("{} — {}", r.agency.search_name, r.unit_search_name))
        })
        .collect()
}
