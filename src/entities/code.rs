//! `codes` rows.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub list: String,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub legal_basis: Option<String>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub position: i32,
    pub retired_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
