//! `support_stat_support` rows: persons supported in a month, by support type.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "support_stat_support")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub month_id: i64,
    pub support_type_id: i64,
    pub persons: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
