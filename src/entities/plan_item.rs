//! `plan_items` rows.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "plan_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_id: i64,
    pub parent_id: Option<i64>,
    pub position: i32,
    pub label: String,
    pub heading: String,
    pub body: Option<String>,
    /// What the item reports on when it is a content area of its plan (`plans::areas`).
    #[sea_orm(column_name = "area_code")]
    pub area_kind: Option<String>,
    pub lead_agency_id: Option<i64>,
    pub source_item_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
