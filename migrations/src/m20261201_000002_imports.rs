//! Imports of activities and support statistics from spreadsheets. An upload is staged here
//! (its bytes, for the preview and for the commit, which parses them again rather than trust
//! the browser) and, once committed, keeps its fingerprints: `file_key` (the bytes) and
//! `content_key` (the rows as read), both unique, so that the same file — or the same rows
//! saved again by Excel — is never imported twice, even by two commits racing.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000002_imports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a("imports"))
                .col(id())
                .col(string(a("kind")))
                .col(fk("user_id"))
                .col(fk("org_unit_id"))
                .col(string(a("file_name")))
                .col(big_integer(a("size")))
                .col(string(a("file_sha256")))
                .col(string(a("status")))
                .col(blob_null(a("content")))
                .col(integer_null(a("rows")))
                .col(string_null(a("file_key")))
                .col(string_null(a("content_key")))
                .col(timestamp_with_time_zone_null(a("committed_at")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign("imports", "user_id", "users"))
                .foreign_key(&mut foreign("imports", "org_unit_id", "org_units"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("imports", &["user_id", "status"]))
            .await?;
        m.create_index(unique("imports", &["file_key"])).await?;
        m.create_index(unique("imports", &["content_key"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("imports")).to_owned())
            .await
    }
}
