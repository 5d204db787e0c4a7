//! Reporting: periods (a request for reports, with its due date and the units that must
//! answer), and reports — one per responding unit and one compiled by the requesting unit —
//! with their narrative, frozen figures and document details.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000007_reports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a("reporting_periods"))
                .col(id())
                .col(string(a("kind")))
                .col(string(a("title")))
                .col(date(a("period_start")))
                .col(date(a("period_end")))
                .col(date(a("due_date")))
                .col(fk("plan_id"))
                .col(fk("org_unit_id"))
                .col(string(a("status")))
                .col(fk_null("created_by"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign("reporting_periods", "plan_id", "plans"))
                .foreign_key(&mut foreign(
                    "reporting_periods",
                    "org_unit_id",
                    "org_units",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("reporting_periods", &["org_unit_id", "period_start"]))
            .await?;

        m.create_table(
            Table::create()
                .table(a("reports"))
                .col(id())
                .col(fk("period_id"))
                .col(fk("org_unit_id"))
                // "unit": a responding unit's report; "compiled": the requesting unit's report.
                .col(string(a("level")))
                .col(string(a("status")))
                .col(text(a("narrative")))
                .col(text_null(a("snapshot")))
                .col(timestamp_with_time_zone_null(a("submitted_at")))
                .col(timestamp_with_time_zone_null(a("approved_at")))
                .col(fk_null("approved_by"))
                .col(text_null(a("return_comment")))
                .col(string_null(a("document_number")))
                .col(date_null(a("document_date")))
                .col(string(a("signer_authority")))
                .col(string(a("signer_title")))
                .col(string(a("signer_name")))
                .col(text(a("recipients")))
                .col(integer(a("version")).default(1))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "reports",
                    "period_id",
                    "reporting_periods",
                ))
                .foreign_key(&mut foreign("reports", "org_unit_id", "org_units"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("reports", &["period_id", "org_unit_id", "level"]))
            .await?;
        m.create_index(index("reports", &["org_unit_id", "status"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("reports")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(a("reporting_periods")).to_owned())
            .await
    }
}
