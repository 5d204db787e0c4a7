//! `imports` rows.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub user_id: i64,
    pub org_unit_id: i64,
    pub file_name: String,
    pub size: i64,
    pub file_sha256: String,
    pub status: String,
    /// The uploaded bytes while staged; cleared once committed.
    #[serde(skip)]
    pub content: Option<Vec<u8>>,
    pub rows: Option<i32>,
    pub file_key: Option<String>,
    pub content_key: Option<String>,
    pub committed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
