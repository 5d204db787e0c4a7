//! Amendments to issued plans: once a plan is issued its structure is frozen, and every later
//! change to it is recorded here with its date and reason.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000002_plan_amendments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("plan_amendments"))
                .col(id())
                .col(fk("plan_id"))
                .col(date(Alias::new("amended_on")))
                .col(text(Alias::new("reason")))
                .col(text(Alias::new("change")))
                .col(fk_null("created_by"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade("plan_amendments", "plan_id", "plans"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("plan_amendments", &["plan_id"]))
            .await?;
        m.create_index(index("plans", &["parent_plan_id"])).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_plans_parent_plan_id")
                .table(Alias::new("plans"))
                .to_owned(),
        )
        .await?;
        m.drop_table(
            Table::drop()
                .table(Alias::new("plan_amendments"))
                .to_owned(),
        )
        .await
    }
}
