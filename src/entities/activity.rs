//! `activities` rows.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_item_id: i64,
    pub org_unit_id: i64,
    pub agency_id: i64,
    pub activity_type_id: i64,
    pub title: String,
    pub description: Option<String>,
    pub place: Option<String>,
    pub start_date: Date,
    pub end_date: Date,
    /// `end_date - start_date` in days, kept by every write: see `activities::repo::Bound`.
    pub span_days: i32,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub status: String,
    pub held_on: Option<Date>,
    pub cancel_reason: Option<String>,
    pub languages: String,
    pub ethnic_minority_outreach: bool,
    pub border_outreach: bool,
    pub planned_participants: Option<i64>,
    pub planned_women: Option<i64>,
    pub planned_ethnic_minority: Option<i64>,
    pub planned_children: Option<i64>,
    pub participants: Option<i64>,
    pub participants_women: Option<i64>,
    pub participants_ethnic_minority: Option<i64>,
    pub participants_children: Option<i64>,
    pub planned_broadcasts: Option<i64>,
    pub planned_broadcast_minutes: Option<i64>,
    pub broadcasts: Option<i64>,
    pub broadcast_minutes: Option<i64>,
    pub notes: Option<String>,
    pub search_text: String,
    pub series_id: Option<i64>,
    pub source_activity_id: Option<i64>,
    pub version: i32,
    pub created_by: Option<i64>,
    pub updated_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
