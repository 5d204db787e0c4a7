//! Victim-support statistics: monthly aggregate figures per org unit, integers and foreign keys
//! only. No column can hold a name, a date of birth, an address, a phone or ID number or free
//! text about a case (the privacy rules of docs/domain.md); a test reads the migrated schema and fails if one appears.
//! A month is identified by `year_month` (yyyymm as an integer) rather than a date, so that not
//! even a date column exists in these tables.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000005_support_stats"
    }
}

/// A count of persons (or tips, loans, đồng): never null, zero when nothing happened.
fn count(name: &str) -> ColumnDef {
    big_integer(a(name)).default(0).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per unit and month: the figures that are single numbers, and the lock.
        m.create_table(
            Table::create()
                .table(a("support_stat_months"))
                .col(id())
                .col(fk("org_unit_id"))
                .col(integer(a("year_month")))
                // Persons still being supported who were received in an earlier month.
                .col(count("carried_over"))
                .col(count("hotline_received"))
                .col(count("hotline_handled"))
                .col(count("hotline_referred"))
                .col(count("loans_count"))
                .col(count("loans_amount"))
                // Set when the report covering the month is approved; writes are refused.
                .col(timestamp_with_time_zone_null(a("locked_at")))
                .col(fk_null("locked_by"))
                .col(fk_null("updated_by"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign(
                    "support_stat_months",
                    "org_unit_id",
                    "org_units",
                ))
                .foreign_key(&mut foreign("support_stat_months", "locked_by", "users"))
                .foreign_key(&mut foreign("support_stat_months", "updated_by", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "support_stat_months",
            &["org_unit_id", "year_month"],
        ))
        .await?;
        m.create_index(index("support_stat_months", &["year_month"]))
            .await?;

        // Persons received, cross-classified; only non-zero combinations are stored.
        m.create_table(
            Table::create()
                .table(a("support_stat_received"))
                .col(id())
                .col(fk("month_id"))
                .col(fk("sex_id"))
                .col(fk("age_band_id"))
                .col(fk("purpose_id"))
                .col(fk("return_manner_id"))
                .col(fk("trafficked_to_id"))
                .col(count("persons"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "support_stat_received",
                    "month_id",
                    "support_stat_months",
                ))
                .foreign_key(&mut foreign("support_stat_received", "sex_id", "codes"))
                .foreign_key(&mut foreign(
                    "support_stat_received",
                    "age_band_id",
                    "codes",
                ))
                .foreign_key(&mut foreign("support_stat_received", "purpose_id", "codes"))
                .foreign_key(&mut foreign(
                    "support_stat_received",
                    "return_manner_id",
                    "codes",
                ))
                .foreign_key(&mut foreign(
                    "support_stat_received",
                    "trafficked_to_id",
                    "codes",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "support_stat_received",
            &[
                "month_id",
                "sex_id",
                "age_band_id",
                "purpose_id",
                "return_manner_id",
                "trafficked_to_id",
            ],
        ))
        .await?;

        // Persons supported, by support type (the code carries its legal basis).
        m.create_table(
            Table::create()
                .table(a("support_stat_support"))
                .col(id())
                .col(fk("month_id"))
                .col(fk("support_type_id"))
                .col(count("persons"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "support_stat_support",
                    "month_id",
                    "support_stat_months",
                ))
                .foreign_key(&mut foreign(
                    "support_stat_support",
                    "support_type_id",
                    "codes",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "support_stat_support",
            &["month_id", "support_type_id"],
        ))
        .await?;

        // Persons referred to services, by destination.
        m.create_table(
            Table::create()
                .table(a("support_stat_referrals"))
                .col(id())
                .col(fk("month_id"))
                .col(fk("destination_id"))
                .col(count("persons"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "support_stat_referrals",
                    "month_id",
                    "support_stat_months",
                ))
                .foreign_key(&mut foreign(
                    "support_stat_referrals",
                    "destination_id",
                    "codes",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "support_stat_referrals",
            &["month_id", "destination_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "support_stat_referrals",
            "support_stat_support",
            "support_stat_received",
            "support_stat_months",
        ] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
