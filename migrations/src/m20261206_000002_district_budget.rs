//! Districts ended on 1 July 2025: a database seeded before this change gets the district
//! budget's end date (the seed only adds missing codes, so it cannot set it on its own).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000002_district_budget"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "UPDATE codes SET valid_to = '2025-06-30' \
                 WHERE list = 'funding_source' AND code = 'district_budget' AND valid_to IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
