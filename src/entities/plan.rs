//! `plans` rows.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    pub number: Option<String>,
    pub title: String,
    pub org_unit_id: i64,
    pub drafting_agency_id: Option<i64>,
    pub period_start: Date,
    pub period_end: Date,
    pub status: String,
    pub issued_on: Option<Date>,
    pub place: String,
    pub preamble: String,
    pub signer_authority: String,
    pub signer_title: String,
    pub signer_name: String,
    pub recipients: String,
    pub parent_plan_id: Option<i64>,
    pub source_plan_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
