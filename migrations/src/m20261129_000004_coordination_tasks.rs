//! Coordination tasks with partner agencies: the task, its outcome as aggregate counts, the
//! activities it relates to, its comment thread and the history of its deadlines.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000004_coordination_tasks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a("coordination_tasks"))
                .col(id())
                .col(fk("kind_id"))
                .col(string(a("title")))
                .col(fk("plan_item_id"))
                .col(fk("lead_agency_id"))
                .col(fk("partner_agency_id"))
                .col(fk_null("requested_by"))
                .col(date(a("requested_on")))
                .col(date(a("ack_due_date")))
                .col(date(a("due_date")))
                .col(string(a("status")))
                .col(text_null(a("decline_reason")))
                .col(timestamp_with_time_zone_null(a("acknowledged_at")))
                .col(timestamp_with_time_zone_null(a("done_at")))
                // Outcome: aggregate counts only.
                .col(big_integer_null(a("loans_count")))
                .col(big_integer_null(a("loans_amount")))
                .col(integer(a("version")).default(1))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign("coordination_tasks", "kind_id", "codes"))
                .foreign_key(&mut foreign(
                    "coordination_tasks",
                    "plan_item_id",
                    "plan_items",
                ))
                .foreign_key(&mut foreign(
                    "coordination_tasks",
                    "lead_agency_id",
                    "agencies",
                ))
                .foreign_key(&mut foreign(
                    "coordination_tasks",
                    "partner_agency_id",
                    "agencies",
                ))
                .to_owned(),
        )
        .await?;
        for cols in [
            &["partner_agency_id", "status"][..],
            &["lead_agency_id", "status"],
            &["status", "due_date"],
            &["plan_item_id"],
        ] {
            m.create_index(index("coordination_tasks", cols)).await?;
        }

        m.create_table(
            Table::create()
                .table(a("task_outcomes"))
                .col(id())
                .col(fk("task_id"))
                .col(fk("support_type_id"))
                .col(big_integer(a("persons")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "task_outcomes",
                    "task_id",
                    "coordination_tasks",
                ))
                .foreign_key(&mut foreign("task_outcomes", "support_type_id", "codes"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("task_outcomes", &["task_id", "support_type_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(a("task_activities"))
                .col(id())
                .col(fk("task_id"))
                .col(fk("activity_id"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "task_activities",
                    "task_id",
                    "coordination_tasks",
                ))
                .foreign_key(&mut foreign_cascade(
                    "task_activities",
                    "activity_id",
                    "activities",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique("task_activities", &["task_id", "activity_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(a("task_comments"))
                .col(id())
                .col(fk("task_id"))
                .col(fk_null("user_id"))
                .col(text(a("body")))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut foreign_cascade(
                    "task_comments",
                    "task_id",
                    "coordination_tasks",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("task_comments", &["task_id"])).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "task_comments",
            "task_activities",
            "task_outcomes",
            "coordination_tasks",
        ] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
