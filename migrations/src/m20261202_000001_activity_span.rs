//! Each activity keeps its span (end date minus start date, in days), indexed. A query for a
//! period bounds `start_date` from below by the longest span stored — an activity that ends on
//! or after the period's first day started at most that long before it — so that it reads the
//! period's rows, not a year of earlier ones. The form allows 366 days, but most activities last
//! a day: the bound is then a day instead of a year. `MAX(span_days)` is one index lookup.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000001_activity_span"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("activities"))
                .add_column(integer(Alias::new("span_days")).default(0))
                .to_owned(),
        )
        .await?;
        let backfill = match m.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => {
                "UPDATE activities SET span_days = \
                 CAST(julianday(end_date) - julianday(start_date) AS INTEGER)"
            }
            _ => "UPDATE activities SET span_days = end_date - start_date",
        };
        m.get_connection().execute_unprepared(backfill).await?;
        m.create_index(index("activities", &["span_days"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_activities_span_days")
                .table(Alias::new("activities"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("activities"))
                .drop_column(Alias::new("span_days"))
                .to_owned(),
        )
        .await
    }
}
