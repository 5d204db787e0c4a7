//! `support_stat_referrals` rows: persons referred to services in a month, by destination.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "support_stat_referrals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub month_id: i64,
    pub destination_id: i64,
    pub persons: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
