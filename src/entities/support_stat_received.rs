//! `support_stat_received` rows: persons received in a month, by sex, age band, purpose of
//! trafficking, manner of return and where they were trafficked (all code ids).
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "support_stat_received")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub month_id: i64,
    pub sex_id: i64,
    pub age_band_id: i64,
    pub purpose_id: i64,
    pub return_manner_id: i64,
    pub trafficked_to_id: i64,
    pub persons: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
