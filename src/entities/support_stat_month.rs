//! `support_stat_months` rows: one per org unit and month, with the single-number figures and
//! the lock. `year_month` is yyyymm (202406 for June 2024).
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "support_stat_months")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_unit_id: i64,
    pub year_month: i32,
    pub carried_over: i64,
    pub hotline_received: i64,
    pub hotline_handled: i64,
    pub hotline_referred: i64,
    pub loans_count: i64,
    pub loans_amount: i64,
    pub locked_at: Option<DateTimeUtc>,
    pub locked_by: Option<i64>,
    pub updated_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
