//! The email outbox: every email is a row first, written in the transaction of the event that
//! causes it, then sent by the worker. The unique `dedupe_key` makes a reminder for one occasion
//! a single row however many times (or on however many processes) the scheduler runs.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000008_outbox"
    }
}

const T: &str = "outbox_emails";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new(T))
                .col(id())
                .col(string(Alias::new("recipient")))
                .col(string(Alias::new("locale")))
                .col(string(Alias::new("template")))
                .col(text(Alias::new("data")))
                .col(string(Alias::new("status")))
                .col(integer(Alias::new("attempts")).default(0))
                .col(timestamp_with_time_zone(Alias::new("next_attempt_at")))
                .col(string_null(Alias::new("claim_token")))
                .col(timestamp_with_time_zone_null(Alias::new("claimed_at")))
                .col(text_null(Alias::new("last_error")))
                .col(timestamp_with_time_zone_null(Alias::new("sent_at")))
                .col(string(Alias::new("dedupe_key")))
                .col(created_at())
                .col(updated_at())
                .to_owned(),
        )
        .await?;
        m.create_index(unique(T, &["dedupe_key"])).await?;
        m.create_index(index(T, &["status", "next_attempt_at"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new(T)).to_owned())
            .await
    }
}
