//! Activities: every communication and awareness activity of the plan, with its planned and
//! actual figures, target groups, materials, budget, the history of its dates, evidence files,
//! series, and the tokens of calendar feeds.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000003_activities"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a("activity_series"))
                .col(id())
                .col(string(a("title")))
                .col(string(a("frequency")))
                .col(integer(a("occurrences")))
                .col(fk_null("created_by"))
                .col(created_at())
                .col(updated_at())
                .to_owned(),
        )
        .await?;

        let mut t = Table::create();
        t.table(a("activities"))
            .col(id())
            .col(fk("plan_item_id"))
            .col(fk("org_unit_id"))
            .col(fk("agency_id"))
            .col(fk("activity_type_id"))
            .col(string(a("title")))
            .col(text_null(a("description")))
            .col(string_null(a("place")))
            .col(date(a("start_date")))
            .col(date(a("end_date")))
            .col(string_null(a("start_time")))
            .col(string_null(a("end_time")))
            .col(string(a("status")))
            .col(date_null(a("held_on")))
            .col(text_null(a("cancel_reason")))
            .col(string(a("languages")).default(""))
            .col(boolean(a("ethnic_minority_outreach")).default(false))
            .col(boolean(a("border_outreach")).default(false));
        for col in [
            "planned_participants",
            "planned_women",
            "planned_ethnic_minority",
            "planned_children",
            "participants",
            "participants_women",
            "participants_ethnic_minority",
            "participants_children",
            "planned_broadcasts",
            "planned_broadcast_minutes",
            "broadcasts",
            "broadcast_minutes",
        ] {
            t.col(big_integer_null(a(col)));
        }
        t.col(text_null(a("notes")))
            // Title, place and notes folded to lowercase without diacritics, for search.
            .col(text(a("search_text")))
            .col(fk_null("series_id"))
            .col(fk_null("source_activity_id"))
            .col(integer(a("version")).default(1))
            .col(fk_null("created_by"))
            .col(fk_null("updated_by"))
            .col(created_at())
            .col(updated_at())
            .foreign_key(&mut foreign("activities", "plan_item_id", "plan_items"))
            .foreign_key(&mut foreign("activities", "org_unit_id", "org_units"))
            .foreign_key(&mut foreign("activities", "agency_id", "agencies"))
            .foreign_key(&mut foreign("activities", "activity_type_id", "codes"))
            .foreign_key(&mut foreign("activities", "series_id", "activity_series"));
        m.create_table(t.to_owned()).await?;
        // Every filter of the list and calendar has an index; (start_date, id) is the keyset.
        for cols in [
            &["org_unit_id", "start_date", "id"][..],
            &["start_date", "id"],
            &["plan_item_id", "start_date"],
            &["activity_type_id", "start_date"],
            &["status", "start_date"],
            &["agency_id", "start_date"],
            &["series_id"],
        ] {
            m.create_index(index("activities", cols)).await?;
        }

        m.create_table(
            Table::create()
                .table(a("activity_target_groups"))
                .col(id())
                .col(fk("activity_id"))
                .col(fk("target_group_id"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "activity_target_groups",
                    "activity_id",
                    "activities",
                ))
                .foreign_key(&mut foreign(
                    "activity_target_groups",
                    "target_group_id",
                    "codes",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "activity_target_groups",
            &["activity_id", "target_group_id"],
        ))
        .await?;
        m.create_index(index(
            "activity_target_groups",
            &["target_group_id", "activity_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(a("activity_materials"))
                .col(id())
                .col(fk("activity_id"))
                .col(fk("material_kind_id"))
                .col(big_integer_null(a("planned")))
                .col(big_integer_null(a("produced")))
                .col(big_integer_null(a("distributed")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "activity_materials",
                    "activity_id",
                    "activities",
                ))
                .foreign_key(&mut foreign(
                    "activity_materials",
                    "material_kind_id",
                    "codes",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "activity_materials",
            &["activity_id", "material_kind_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(a("activity_budgets"))
                .col(id())
                .col(fk("activity_id"))
                .col(fk("funding_source_id"))
                .col(big_integer_null(a("planned")))
                .col(big_integer_null(a("spent")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "activity_budgets",
                    "activity_id",
                    "activities",
                ))
                .foreign_key(&mut foreign(
                    "activity_budgets",
                    "funding_source_id",
                    "codes",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique(
            "activity_budgets",
            &["activity_id", "funding_source_id"],
        ))
        .await?;

        // Postponements: the history of an activity's dates.
        m.create_table(
            Table::create()
                .table(a("activity_date_changes"))
                .col(id())
                .col(fk("activity_id"))
                .col(date(a("old_start")))
                .col(date(a("old_end")))
                .col(date(a("new_start")))
                .col(date(a("new_end")))
                .col(text(a("reason")))
                .col(fk_null("changed_by"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "activity_date_changes",
                    "activity_id",
                    "activities",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("activity_date_changes", &["activity_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(a("evidence_files"))
                .col(id())
                .col(fk("activity_id"))
                .col(string(a("sha256")))
                .col(string(a("kind")))
                .col(string(a("content_type")))
                .col(big_integer(a("size")))
                .col(string(a("file_name")))
                .col(string_null(a("thumb_sha256")))
                .col(boolean(a("no_victim_confirmed")))
                .col(fk_null("uploaded_by"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "evidence_files",
                    "activity_id",
                    "activities",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("evidence_files", &["activity_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(a("ics_tokens"))
                .col(id())
                .col(fk("user_id"))
                .col(string_uniq(a("token_hash")))
                .col(string(a("kind")))
                .col(fk_null("org_unit_id"))
                .col(timestamp_with_time_zone_null(a("revoked_at")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade("ics_tokens", "user_id", "users"))
                .foreign_key(&mut foreign("ics_tokens", "org_unit_id", "org_units"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "ics_tokens",
            "evidence_files",
            "activity_date_changes",
            "activity_budgets",
            "activity_materials",
            "activity_target_groups",
            "activities",
            "activity_series",
        ] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
