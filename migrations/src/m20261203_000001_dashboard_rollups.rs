//! Summary rows for the dashboard (see `rollups`): at 1M activities a province's year is about
//! 6,000 activities, and adding them up on every view — with a lookup of material and budget
//! lines per activity — was most of the page's time. The rows are filled here from the
//! activities already stored.

use crate::rollups;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000001_dashboard_rollups"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        // The tables and rows of this migration only (`rollups::rebuild` also fills those of
        // later ones).
        for sql in rollups::create(backend)
            .into_iter()
            .chain(rollups::refresh(backend, "1 = 1", "1 = 1"))
        {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in rollups::TABLES {
            m.drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
