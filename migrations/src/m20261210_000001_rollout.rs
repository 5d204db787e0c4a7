//! Bulk onboarding: the editable templates of the standard agencies of a unit (seeded with the
//! usual ones of a commune-level unit and of a province by `seed::reference`), invitations (a single-use link to
//! set one's password, stored only as the hash of its secret) and each account's first and
//! last sign-in (for the readiness checklist).

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261210_000001_rollout"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a("agency_templates"))
                .col(id())
                .col(string(a("level")))
                .col(string(a("suffix")))
                .col(string(a("name")))
                .col(string(a("short_name")))
                .col(string(a("kind")))
                .col(integer(a("position")).default(0))
                .col(created_at())
                .col(updated_at())
                .to_owned(),
        )
        .await?;
        m.create_index(unique("agency_templates", &["level", "suffix"]))
            .await?;
        m.create_table(
            Table::create()
                .table(a("invitations"))
                .col(id())
                .col(fk("user_id"))
                .col(string(a("token_hash")))
                .col(timestamp_with_time_zone(a("expires_at")))
                .col(timestamp_with_time_zone_null(a("used_at")))
                .col(fk_null("created_by"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade("invitations", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("invitations", &["token_hash"]))
            .await?;
        m.create_index(index("invitations", &["user_id"])).await?;

        m.create_table(
            Table::create()
                .table(a("user_sign_ins"))
                .col(id())
                .col(fk("user_id"))
                .col(timestamp_with_time_zone(a("first_at")))
                .col(timestamp_with_time_zone(a("last_at")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade("user_sign_ins", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("user_sign_ins", &["user_id"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["user_sign_ins", "invitations", "agency_templates"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
