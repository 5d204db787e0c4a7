//! The scheduled emails, derived from dates each time the worker runs: an activity coming up
//! (3 days and 1 day before), an activity passed but not logged (from the day after), a task
//! whose acknowledgement is due tomorrow (to the partner), overdue (escalated to the superior
//! unit) or not done by its due date (to both agencies), a report due within 3 days or overdue,
//! and the weekly digest to leaders. Running it twice, or on
//! several processes at once, writes nothing new: each occasion has its `dedupe_key`.

use super::outbox::{
    self, ACTIVITY_NOT_LOGGED, ACTIVITY_UPCOMING, TASK_ACK_DUE, TASK_ESCALATED, TASK_OVERDUE,
};
use crate::activities::service::PLANNED;
use crate::entities::{activity, coordination_task};
use crate::tasks::service::{ACKNOWLEDGED, IN_PROGRESS, REQUESTED};
use chrono::{DateTime, Days, NaiveDate, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde_json::json;

/// Only occasions this recent are caught up after downtime; older ones are left alone.
const CATCH_UP_DAYS: u64 = 7;

pub async fn generate(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<(), DbErr> {
    activity_reminders(db, now, today).await?;
    activities_not_logged(db, now, today).await?;
    task_acknowledgements_due(db, now, today).await?;
    task_escalations(db, now, today).await?;
    tasks_overdue(db, now, today).await?;
    report_deadlines(db, now, today).await?;
    super::digest::weekly_digests(db, now, today).await
}

fn plus(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap_or(d)
}

fn minus(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(n)).unwrap_or(d)
}

async fn activity_reminders(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<(), DbErr> {
    let upcoming = activity::Entity::find()
        .filter(activity::Column::Status.eq(PLANNED))
        .filter(activity::Column::StartDate.gt(today))
        .filter(activity::Column::StartDate.lte(plus(today, 3)))
        .all(db)
        .await?;
    for a in upcoming {
        // One day before gets its own reminder; two or three days before, the 3-day one.
        let occasion = if a.start_date <= plus(today, 1) {
            "1d"
        } else {
            "3d"
        };
        let recipients = outbox::users_of_agency(db, a.agency_id, &[]).await?;
        let data = json!({
            "title": a.title,
            "start_date": a.start_date,
            "place": a.place,
            "days": (a.start_date - today).num_days(),
            "path": format!("/activities/{}", a.id),
        });
        let key = format!("activity:{}:reminder:{occasion}", a.id);
        outbox::enqueue_for(db, &recipients, ACTIVITY_UPCOMING, &data, &key, now).await?;
    }
    Ok(())
}

async fn activities_not_logged(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<(), DbErr> {
    let passed = activity::Entity::find()
        .filter(activity::Column::Status.eq(PLANNED))
        .filter(activity::Column::EndDate.lt(today))
        .filter(activity::Column::EndDate.gte(minus(today, CATCH_UP_DAYS)))
        .all(db)
        .await?;
    for a in passed {
        let recipients = outbox::users_of_agency(db, a.agency_id, &[]).await?;
        let data = json!({
            "title": a.title,
            "end_date": a.end_date,
            "path": format!("/activities/{}/log", a.id),
        });
        let key = format!("activity:{}:not-logged", a.id);
        outbox::enqueue_for(db, &recipients, ACTIVITY_NOT_LOGGED, &data, &key, now).await?;
    }
    Ok(())
}

/// A task still waiting for the partner's acknowledgement the day before it is due.
async fn task_acknowledgements_due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<(), DbErr> {
    let due = coordination_task::Entity::find()
        .filter(coordination_task::Column::Status.eq(REQUESTED))
        .filter(coordination_task::Column::AckDueDate.gte(today))
        .filter(coordination_task::Column::AckDueDate.lte(plus(today, 1)))
        .all(db)
        .await?;
    for t in due {
        let recipients = outbox::users_of_agency(db, t.partner_agency_id, &[]).await?;
        let data = json!({
            "title": t.title,
            "ack_due_date": t.ack_due_date,
            "path": format!("/tasks/{}", t.id),
        });
        let key = format!("task:{}:ack-due", t.id);
        outbox::enqueue_for(db, &recipients, TASK_ACK_DUE, &data, &key, now).await?;
    }
    Ok(())
}

/// A task acknowledged but not done by its due date: both agencies hear of it, once.
async fn tasks_overdue(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<(), DbErr> {
    let overdue = coordination_task::Entity::find()
        .filter(coordination_task::Column::Status.is_in([ACKNOWLEDGED, IN_PROGRESS]))
        .filter(coordination_task::Column::DueDate.lt(today))
        .all(db)
        .await?;
    for t in overdue {
        let mut recipients = outbox::users_of_agency(db, t.lead_agency_id, &[]).await?;
        recipients.extend(outbox::users_of_agency(db, t.partner_agency_id, &[]).await?);
        let data = json!({
            "title": t.title,
            "due_date": t.due_date,
            "days": (today - t.due_date).num_days(),
            "path": format!("/tasks/{}", t.id),
        });
        let key = format!("task:{}:overdue", t.id);
        outbox::enqueue_for(db, &recipients, TASK_OVERDUE, &data, &key, now).await?;
    }
    Ok(())
}

async fn task_escalations(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<(), DbErr> {
    let overdue = coordination_task::Entity::find()
        .filter(coordination_task::Column::Status.eq(REQUESTED))
        .filter(coordination_task::Column::AckDueDate.lt(today))
        .all(db)
        .await?;
    for t in overdue {
        let Some(unit) = outbox::superior_unit_of_agency(db, t.lead_agency_id).await? else {
            continue;
        };
        let recipients = outbox::users_of_unit(db, unit, &["planner", "leader"]).await?;
        let data = json!({
            "title": t.title,
            "ack_due_date": t.ack_due_date,
            "days": (today - t.ack_due_date).num_days(),
            "path": format!("/tasks/{}", t.id),
        });
        let key = format!("task:{}:escalated", t.id);
        outbox::enqueue_for(db, &recipients, TASK_ESCALATED, &data, &key, now).await?;
    }
    Ok(())
}

/// Unit reports of open periods not yet submitted (draft, or returned and waiting): a reminder
/// once the due date is 3 days away or less, an overdue notice from the day after it. Like the
/// other notices, a deadline further back than the catch-up window is left alone, so the pass
/// does not revisit every late report of every open period for ever.
async fn report_deadlines(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<(), DbErr> {
    use crate::entities::{report, reporting_period};
    use crate::reports::service::{self as reports, DRAFT, RETURNED, UNIT};
    let periods = reporting_period::Entity::find()
        .filter(reporting_period::Column::Status.eq("open"))
        .filter(reporting_period::Column::DueDate.lte(plus(today, 3)))
        .filter(reporting_period::Column::DueDate.gte(minus(today, CATCH_UP_DAYS)))
        .all(db)
        .await?;
    for period in periods {
        let template = if period.due_date < today {
            reports::OVERDUE_EMAIL
        } else {
            reports::DUE_EMAIL
        };
        let waiting = report::Entity::find()
            .filter(report::Column::PeriodId.eq(period.id))
            .filter(report::Column::Level.eq(UNIT))
            .filter(report::Column::Status.is_in([DRAFT, RETURNED]))
            .all(db)
            .await?;
        for r in waiting {
            reports::notify_responder(db, &r, &period, template, now).await?;
        }
    }
    Ok(())
}
