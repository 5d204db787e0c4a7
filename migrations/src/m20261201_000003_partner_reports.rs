//! Partner agencies as responders to a reporting period: a responder's report (`level` "unit")
//! names either a unit (`agency_id` null) or a partner agency (`agency_id` set, `org_unit_id`
//! the agency's own unit). The old unique index on (period, unit, level) would allow only one
//! agency per unit, so it becomes two partial unique indexes: one report per period and unit
//! among unit reports, one per period and agency among agency reports.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000003_partner_reports"
    }
}

const OLD_UNIQUE: &str = "ux_reports_period_id_org_unit_id_level";
const BY_UNIT: &str = "ux_reports_period_unit";
const BY_AGENCY: &str = "ux_reports_period_agency";

fn drop_index(name: &str) -> IndexDropStatement {
    Index::drop().name(name).table(a("reports")).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // An inline REFERENCES clause: SQLite cannot add a foreign key to an existing table any
        // other way, and PostgreSQL accepts the same text.
        m.alter_table(
            Table::alter()
                .table(a("reports"))
                .add_column(
                    big_integer_null(a("agency_id"))
                        .extra("REFERENCES agencies (id) ON DELETE RESTRICT")
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        m.drop_index(drop_index(OLD_UNIQUE)).await?;
        let mut by_unit = unique("reports", &["period_id", "org_unit_id", "level"]);
        by_unit
            .name(BY_UNIT)
            .and_where(Expr::col(a("agency_id")).is_null());
        m.create_index(by_unit).await?;
        let mut by_agency = unique("reports", &["period_id", "agency_id"]);
        by_agency
            .name(BY_AGENCY)
            .and_where(Expr::col(a("agency_id")).is_not_null());
        m.create_index(by_agency).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(drop_index(BY_AGENCY)).await?;
        m.drop_index(drop_index(BY_UNIT)).await?;
        m.get_connection()
            .execute_unprepared("DELETE FROM reports WHERE agency_id IS NOT NULL")
            .await?;
        m.alter_table(
            Table::alter()
                .table(a("reports"))
                .drop_column(a("agency_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("reports", &["period_id", "org_unit_id", "level"]))
            .await
    }
}
