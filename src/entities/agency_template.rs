//! `agency_templates` rows: one standard agency of a unit level, with placeholders.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "agency_templates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `commune` (communes, wards, special zones) or `province`.
    pub level: String,
    /// Appended to the unit's code to make the agency's code (`VN-26734-CA`).
    pub suffix: String,
    pub name: String,
    pub short_name: String,
    pub kind: String,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
