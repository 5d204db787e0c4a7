//! The foundation schema: org units and their lineage, agencies, accounts, sessions, API tokens,
//! code lists, plans with their item tree, targets and budgets, and the audit log.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000001_foundation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Org units: an effective-dated tree. A unit is never re-parented or renamed in place:
        // a merge, split or rename closes units and opens successors, so history stays put.
        m.create_table(
            Table::create()
                .table(a("org_units"))
                .col(id())
                .col(string_uniq(a("code")))
                .col(string_null(a("gso_code")))
                .col(string(a("name")))
                .col(string(a("kind")))
                .col(fk_null("parent_id"))
                .col(date_null(a("valid_from")))
                .col(date_null(a("valid_to")))
                .col(boolean(a("ethnic_minority")).default(false))
                .col(boolean(a("border_area")).default(false))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign("org_units", "parent_id", "org_units"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("org_units", &["parent_id"])).await?;

        m.create_table(
            Table::create()
                .table(a("org_lineage"))
                .col(id())
                .col(string(a("kind")))
                .col(fk("predecessor_id"))
                .col(fk("successor_id"))
                .col(date(a("effective_date")))
                .col(text(a("legal_basis")))
                .col(fk_null("created_by"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign("org_lineage", "predecessor_id", "org_units"))
                .foreign_key(&mut foreign("org_lineage", "successor_id", "org_units"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("org_lineage", &["successor_id"]))
            .await?;
        m.create_index(index("org_lineage", &["predecessor_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(a("agencies"))
                .col(id())
                .col(string_uniq(a("code")))
                .col(fk("org_unit_id"))
                .col(string(a("name")))
                .col(string(a("short_name")))
                .col(string(a("kind")))
                .col(boolean(a("active")).default(true))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign("agencies", "org_unit_id", "org_units"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("agencies", &["org_unit_id"])).await?;

        m.create_table(
            Table::create()
                .table(a("users"))
                .col(id())
                .col(string_uniq(a("email")))
                .col(string(a("display_name")))
                .col(string(a("password_hash")))
                .col(string(a("role")))
                .col(fk("agency_id"))
                .col(string(a("locale")).default("vi"))
                .col(boolean(a("active")).default(true))
                .col(timestamp_with_time_zone(a("password_changed_at")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign("users", "agency_id", "agencies"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("users", &["agency_id"])).await?;

        // Sessions live in the database so that several server processes share them. The id is
        // the SHA-256 of the cookie value: a leaked table does not hand out live sessions.
        m.create_table(
            Table::create()
                .table(a("sessions"))
                .col(string(a("id")).primary_key())
                .col(fk("user_id"))
                .col(string(a("csrf_token")))
                .col(timestamp_with_time_zone(a("last_seen_at")))
                .col(timestamp_with_time_zone(a("expires_at")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade("sessions", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("sessions", &["user_id"])).await?;
        m.create_index(index("sessions", &["expires_at"])).await?;

        m.create_table(
            Table::create()
                .table(a("api_tokens"))
                .col(id())
                .col(fk("user_id"))
                .col(string(a("name")))
                .col(string_uniq(a("token_hash")))
                .col(timestamp_with_time_zone_null(a("last_used_at")))
                .col(timestamp_with_time_zone_null(a("revoked_at")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade("api_tokens", "user_id", "users"))
                .to_owned(),
        )
        .await?;

        // Login attempts, kept in the database so that throttling holds across processes.
        m.create_table(
            Table::create()
                .table(a("login_attempts"))
                .col(id())
                .col(string(a("email")))
                .col(string(a("ip")))
                .col(boolean(a("success")))
                .col(created_at())
                .col(updated_at())
                .to_owned(),
        )
        .await?;
        m.create_index(index("login_attempts", &["email", "created_at"]))
            .await?;
        m.create_index(index("login_attempts", &["ip", "created_at"]))
            .await?;

        // One table for every code list (activity types, target groups, funding sources,
        // indicators...). Codes are retired, never deleted, so old rows keep their meaning.
        m.create_table(
            Table::create()
                .table(a("codes"))
                .col(id())
                .col(string(a("list")))
                .col(string(a("code")))
                .col(string(a("name_vi")))
                .col(string(a("name_en")))
                .col(string_null(a("legal_basis")))
                .col(date_null(a("valid_from")))
                .col(date_null(a("valid_to")))
                .col(integer(a("position")).default(0))
                .col(timestamp_with_time_zone_null(a("retired_at")))
                .col(created_at())
                .col(updated_at())
                .to_owned(),
        )
        .await?;
        m.create_index(unique("codes", &["list", "code"])).await?;

        m.create_table(
            Table::create()
                .table(a("plans"))
                .col(id())
                .col(string_uniq(a("code")))
                .col(string_null(a("number")))
                .col(string(a("title")))
                .col(fk("org_unit_id"))
                .col(fk_null("drafting_agency_id"))
                .col(date(a("period_start")))
                .col(date(a("period_end")))
                .col(string(a("status")).default("draft"))
                .col(date_null(a("issued_on")))
                .col(string(a("place")))
                .col(text(a("preamble")))
                .col(string(a("signer_authority")))
                .col(string(a("signer_title")))
                .col(string(a("signer_name")))
                .col(text(a("recipients")))
                .col(fk_null("parent_plan_id"))
                .col(fk_null("source_plan_id"))
                .col(fk_null("created_by"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign("plans", "org_unit_id", "org_units"))
                .foreign_key(&mut foreign("plans", "drafting_agency_id", "agencies"))
                .foreign_key(&mut foreign("plans", "parent_plan_id", "plans"))
                .foreign_key(&mut foreign("plans", "source_plan_id", "plans"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("plans", &["org_unit_id"])).await?;

        m.create_table(
            Table::create()
                .table(a("plan_legal_bases"))
                .col(id())
                .col(fk("plan_id"))
                .col(integer(a("position")))
                .col(text(a("text")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade("plan_legal_bases", "plan_id", "plans"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("plan_legal_bases", &["plan_id"]))
            .await?;

        // The plan tree: sections (I-IV), content areas, bullet points.
        m.create_table(
            Table::create()
                .table(a("plan_items"))
                .col(id())
                .col(fk("plan_id"))
                .col(fk_null("parent_id"))
                .col(integer(a("position")))
                .col(string(a("label")))
                .col(text(a("heading")))
                .col(text_null(a("body")))
                .col(string_null(a("area_code")))
                .col(fk_null("lead_agency_id"))
                .col(fk_null("source_item_id"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade("plan_items", "plan_id", "plans"))
                .foreign_key(&mut foreign("plan_items", "parent_id", "plan_items"))
                .foreign_key(&mut foreign("plan_items", "lead_agency_id", "agencies"))
                .foreign_key(&mut foreign("plan_items", "source_item_id", "plan_items"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("plan_items", &["plan_id", "parent_id", "position"]))
            .await?;
        m.create_index(index("plan_items", &["source_item_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(a("plan_item_agencies"))
                .col(id())
                .col(fk("plan_item_id"))
                .col(fk("agency_id"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "plan_item_agencies",
                    "plan_item_id",
                    "plan_items",
                ))
                .foreign_key(&mut foreign("plan_item_agencies", "agency_id", "agencies"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("plan_item_agencies", &["plan_item_id", "agency_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(a("plan_targets"))
                .col(id())
                .col(fk("plan_item_id"))
                .col(fk("indicator_id"))
                .col(fk_null("activity_type_id"))
                .col(big_integer(a("value")))
                .col(string(a("unit")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "plan_targets",
                    "plan_item_id",
                    "plan_items",
                ))
                .foreign_key(&mut foreign("plan_targets", "indicator_id", "codes"))
                .foreign_key(&mut foreign("plan_targets", "activity_type_id", "codes"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("plan_targets", &["plan_item_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(a("plan_budgets"))
                .col(id())
                .col(fk("plan_item_id"))
                .col(fk("funding_source_id"))
                .col(big_integer(a("amount")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "plan_budgets",
                    "plan_item_id",
                    "plan_items",
                ))
                .foreign_key(&mut foreign("plan_budgets", "funding_source_id", "codes"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "plan_budgets",
            &["plan_item_id", "funding_source_id"],
        ))
        .await?;

        // Append-only. Written in the same transaction as the change it records.
        m.create_table(
            Table::create()
                .table(a("audit_events"))
                .col(id())
                .col(fk_null("user_id"))
                .col(string(a("action")))
                .col(string(a("object_type")))
                .col(big_integer_null(a("object_id")))
                .col(fk_null("org_unit_id"))
                .col(text(a("change")))
                .col(created_at())
                .col(updated_at())
                .to_owned(),
        )
        .await?;
        m.create_index(index("audit_events", &["object_type", "object_id"]))
            .await?;
        m.create_index(index("audit_events", &["created_at"]))
            .await?;
        m.create_index(index("audit_events", &["user_id"])).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "audit_events",
            "plan_budgets",
            "plan_targets",
            "plan_item_agencies",
            "plan_items",
            "plan_legal_bases",
            "plans",
            "codes",
            "login_attempts",
            "api_tokens",
            "sessions",
            "users",
            "agencies",
            "org_lineage",
            "org_units",
        ] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
