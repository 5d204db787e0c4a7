//! `coordination_tasks` rows.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "coordination_tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind_id: i64,
    pub title: String,
    pub plan_item_id: i64,
    pub lead_agency_id: i64,
    pub partner_agency_id: i64,
    pub requested_by: Option<i64>,
    pub requested_on: Date,
    pub ack_due_date: Date,
    pub due_date: Date,
    pub status: String,
    pub decline_reason: Option<String>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub done_at: Option<DateTimeUtc>,
    pub loans_count: Option<i64>,
    pub loans_amount: Option<i64>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
