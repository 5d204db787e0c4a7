//! Idempotency keys: a request sent with a key made by the client (a phone's offline queue, a
//! script's retry) is answered once and remembered, so that the same key sent again stores
//! nothing more and gets the first answer back. One row per user and key; `status` is null
//! while the first request is still being handled.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000001_offline_idempotency_keys"
    }
}

const T: &str = "idempotency_keys";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a(T))
                .col(id())
                .col(fk("user_id"))
                .col(string(a("idem_key")))
                .col(string(a("method")))
                .col(string(a("path")))
                .col(string(a("fingerprint")))
                .col(integer_null(a("status")))
                .col(text_null(a("response_headers")))
                .col(text_null(a("response_body")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(T, "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(T, &["user_id", "idem_key"])).await?;
        m.create_index(index(T, &["created_at"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a(T)).to_owned()).await
    }
}
