//! Calendar-feed tokens keep a short hint: the secret itself is stored only as a hash, so the
//! feed page can show the full address once, and afterwards only its first characters to tell
//! the feeds apart. Also indexes the owner, whose feeds the page lists.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000001_ics_token_hint"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("ics_tokens"))
                .add_column(string_null(Alias::new("token_hint")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ics_tokens", &["user_id"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_ics_tokens_user_id")
                .table(Alias::new("ics_tokens"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("ics_tokens"))
                .drop_column(Alias::new("token_hint"))
                .to_owned(),
        )
        .await
    }
}
