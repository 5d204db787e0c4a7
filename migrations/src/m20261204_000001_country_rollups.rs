//! The whole country's summary rows (`rollups::COUNTRY`) and the units' coverage by month
//! (`rollups::COVERAGE`), added up from the units' rows already stored: the national view read
//! about 200,000 unit rows for a year.

use crate::rollups;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000001_country_rollups"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let create = rollups::create_coverage(m.get_database_backend());
        for sql in [create, rollups::index_coverage()]
            .into_iter()
            .chain(rollups::coverage("1 = 1"))
            .chain(rollups::country_rebuild())
        {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(Alias::new(rollups::COVERAGE))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        for table in rollups::TABLES {
            db.execute_unprepared(&format!(
                "DELETE FROM {table} WHERE org_unit_id = {}",
                rollups::COUNTRY
            ))
            .await?;
        }
        Ok(())
    }
}
