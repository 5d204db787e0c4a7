//! Agencies: the offices inside an org unit that users belong to and plan items name.

use crate::entities::{agency, org_unit};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};
use serde::Serialize;

#[derive(Serialize, Clone)]
pub struct AgencyRow {
    pub agency: agency::Model,
    pub unit_name: String,
}

/// Every agency with its unit's name, ordered by unit then name.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<AgencyRow>, DbErr> {
    let rows = agency::Entity::find()
        .order_by_asc(agency::Column::OrgUnitId)
        .order_by_asc(agency::Column::Name)
        .all(db)
        .await?;
    let units = org_unit::Entity::find().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|a| AgencyRow {
            unit_name: units
                .iter()
                .find(|u| u.id == a.org_unit_id)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            agency: a,
        })
        .collect())
}
