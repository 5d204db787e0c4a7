//! Email preferences and password resets. A user may turn off the non-essential emails (the
//! weekly digest, activity reminders); deadlines and escalations cannot be turned off, so they
//! have no column. A reset link is stored only as the hash of its secret, used once, and expires.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000001_email_preferences"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in ["email_digest", "email_reminders"] {
            m.alter_table(
                Table::alter()
                    .table(a("users"))
                    .add_column(boolean(a(column)).default(true))
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(a("password_resets"))
                .col(id())
                .col(fk("user_id"))
                .col(string(a("token_hash")))
                .col(timestamp_with_time_zone(a("expires_at")))
                .col(timestamp_with_time_zone_null(a("used_at")))
                .col(created_at())
                .foreign_key(&mut foreign_cascade("password_resets", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("password_resets", &["token_hash"]))
            .await?;
        m.create_index(index("password_resets", &["user_id"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("password_resets")).to_owned())
            .await?;
        for column in ["email_digest", "email_reminders"] {
            m.alter_table(
                Table::alter()
                    .table(a("users"))
                    .drop_column(a(column))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
