//! `reports` rows.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub period_id: i64,
    pub org_unit_id: i64,
    /// Set when the responder is a partner agency rather than a unit.
    pub agency_id: Option<i64>,
    pub level: String,
    pub status: String,
    pub narrative: String,
    pub snapshot: Option<String>,
    pub submitted_at: Option<DateTimeUtc>,
    pub approved_at: Option<DateTimeUtc>,
    pub approved_by: Option<i64>,
    pub return_comment: Option<String>,
    pub document_number: Option<String>,
    pub document_date: Option<Date>,
    pub signer_authority: String,
    pub signer_title: String,
    pub signer_name: String,
    pub recipients: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
