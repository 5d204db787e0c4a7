//! The rules of coordination tasks: the status flow, deadlines and escalation, outcomes as
//! aggregate counts only, and the personal-data guard on every free text. Escalation is derived
//! from the deadlines and the clock, so it appears the moment a deadline passes — no batch job —
//! and clears the moment someone acknowledges, reassigns or extends.

use crate::activities::input::check_free_text;
use crate::audit;
use crate::entities::{
    activity, agency, coordination_task, plan_item, task_activity, task_comment, task_outcome,
};
use crate::web::forms::FieldErrors;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde::Serialize;
use serde_json::{Value, json};

pub const REQUESTED: &str = "requested";
pub const ACKNOWLEDGED: &str = "acknowledged";
pub const IN_PROGRESS: &str = "in_progress";
pub const DONE: &str = "done";
pub const DECLINED: &str = "declined";
pub const STATUSES: [&str; 5] = [REQUESTED, ACKNOWLEDGED, IN_PROGRESS, DONE, DECLINED];

pub fn is_open(status: &str) -> bool {
    matches!(status, REQUESTED | ACKNOWLEDGED | IN_PROGRESS)
}

/// Why a task is late, if it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lateness {
    /// Not acknowledged by its acknowledgement deadline.
    NotAcknowledged,
    /// Not done by its due date.
    Overdue,
}

pub fn lateness(t: &coordination_task::Model, today: NaiveDate) -> Option<Lateness> {
    if t.status == REQUESTED && t.ack_due_date < today {
        Some(Lateness::NotAcknowledged)
    } else if is_open(&t.status) && t.due_date < today {
        Some(Lateness::Overdue)
    } else {
        None
    }
}

/// An escalated task shows in the inbox of the lead agency's superior unit and on the leaders'
/// dashboard until it is acted on.
pub fn escalated(t: &coordination_task::Model, today: NaiveDate) -> bool {
    lateness(t, today).is_some()
}

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("stale version")]
    Conflict,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl TaskError {
    pub fn field(field: &str, key: &str) -> Self {
        let mut e = FieldErrors::default();
        e.add(field, key);
        TaskError::Invalid(e)
    }
}

pub type TaskResult<T> = Result<T, TaskError>;

pub struct Actor {
    pub user_id: i64,
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
}

pub struct NewTask {
    pub kind_id: i64,
    pub title: String,
    pub plan_item_id: i64,
    pub lead_agency_id: i64,
    pub partner_agency_id: i64,
    pub ack_due_date: NaiveDate,
    pub due_date: NaiveDate,
    /// The request itself, kept as the first comment.
    pub note: Option<String>,
    pub activity_ids: Vec<i64>,
}

async fn record(
    txn: &DatabaseTransaction,
    actor: &Actor,
    action: &str,
    t: &coordination_task::Model,
    change: Value,
) -> Result<(), DbErr> {
    let unit = agency::Entity::find_by_id(t.lead_agency_id)
        .one(txn)
        .await?
        .map(|a| a.org_unit_id);
    audit::record(
        txn,
        actor.now,
        audit::Event {
            user_id: Some(actor.user_id),
            action,
            object_type: "task",
            object_id: Some(t.id),
            org_unit_id: unit,
            change,
        },
    )
    .await
}

async fn comment(
    txn: &DatabaseTransaction,
    actor: &Actor,
    task_id: i64,
    body: &str,
) -> Result<(), DbErr> {
    task_comment::ActiveModel {
        task_id: Set(task_id),
        user_id: Set(Some(actor.user_id)),
        body: Set(crate::text::nfc(body)),
        created_at: Set(actor.now),
        updated_at: Set(actor.now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewTask,
) -> TaskResult<coordination_task::Model> {
    let mut errors = FieldErrors::default();
    if new.title.trim().is_empty() {
        errors.add("title", "form.required");
    }
    let kind_ok = crate::codes::in_list(db, new.kind_id, "task_kind")
        .await?
        .is_some();
    if !kind_ok {
        errors.add("kind_id", "form.choose");
    }
    if plan_item::Entity::find_by_id(new.plan_item_id)
        .one(db)
        .await?
        .is_none()
    {
        errors.add("plan_item_id", "form.choose");
    }
    if !crate::agencies::is_current(db, new.partner_agency_id, actor.today).await? {
        errors.add("partner_agency_id", "form.choose");
    }
    if new.partner_agency_id == new.lead_agency_id {
        errors.add("partner_agency_id", "task.error.same_agency");
    }
    if new.ack_due_date < actor.today {
        errors.add("ack_due_date", "task.error.past");
    }
    if new.due_date < new.ack_due_date {
        errors.add("due_date", "task.error.due_before_ack");
    }
    crate::text::free_text("title", &new.title, crate::text::SHORT_TEXT, &mut errors);
    check_free_text(&[("note", new.note.as_deref())], &mut errors);
    if !errors.is_empty() {
        return Err(TaskError::Invalid(errors));
    }
    let txn = db.begin().await?;
    let t = coordination_task::ActiveModel {
        kind_id: Set(new.kind_id),
        title: Set(crate::text::nfc(&new.title)),
        plan_item_id: Set(new.plan_item_id),
        lead_agency_id: Set(new.lead_agency_id),
        partner_agency_id: Set(new.partner_agency_id),
        requested_by: Set(Some(actor.user_id)),
        requested_on: Set(actor.today),
        ack_due_date: Set(new.ack_due_date),
        due_date: Set(new.due_date),
        status: Set(REQUESTED.to_owned()),
        decline_reason: Set(None),
        acknowledged_at: Set(None),
        done_at: Set(None),
        loans_count: Set(None),
        loans_amount: Set(None),
        version: Set(1),
        created_at: Set(actor.now),
        updated_at: Set(actor.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(note) = new.note.as_deref().filter(|n| !n.trim().is_empty()) {
        comment(&txn, actor, t.id, note).await?;
    }
    for a in &new.activity_ids {
        link(&txn, actor, t.id, *a).await?;
    }
    record(&txn, actor, "task:create", &t, json!({ "title": t.title, "partner_agency_id": t.partner_agency_id, "due_date": t.due_date, "ack_due_date": t.ack_due_date })).await?;
    notify_requested(&txn, actor, &t).await?;
    txn.commit().await?;
    Ok(t)
}

async fn link(
    txn: &DatabaseTransaction,
    actor: &Actor,
    task_id: i64,
    activity_id: i64,
) -> Result<(), DbErr> {
    if activity::Entity::find_by_id(activity_id)
        .one(txn)
        .await?
        .is_none()
    {
        return Ok(());
    }
    let exists = task_activity::Entity::find()
        .filter(task_activity::Column::TaskId.eq(task_id))
        .filter(task_activity::Column::ActivityId.eq(activity_id))
        .one(txn)
        .await?
        .is_some();
    if !exists {
        task_activity::ActiveModel {
            task_id: Set(task_id),
            activity_id: Set(activity_id),
            created_at: Set(actor.now),
            updated_at: Set(actor.now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// A change to a task, applied under the version guard with its audit row.
pub enum Change {
    Acknowledge,
    Start,
    Decline {
        reason: String,
    },
    Complete {
        outcomes: Vec<(i64, i64)>,
        loans_count: Option<i64>,
        loans_amount: Option<i64>,
        note: Option<String>,
    },
    Reassign {
        partner_agency_id: i64,
        ack_due_date: NaiveDate,
        reason: String,
    },
    Extend {
        due_date: NaiveDate,
        ack_due_date: Option<NaiveDate>,
        reason: String,
    },
    Comment {
        body: String,
    },
    Link {
        activity_id: i64,
    },
}

impl Change {
    fn action(&self) -> &'static str {
        match self {
            Change::Acknowledge => "task:acknowledge",
            Change::Start => "task:start",
            Change::Decline { .. } => "task:decline",
            Change::Complete { .. } => "task:complete",
            Change::Reassign { .. } => "task:reassign",
            Change::Extend { .. } => "task:extend",
            Change::Comment { .. } => "task:comment",
            Change::Link { .. } => "task:link",
        }
    }

    /// Whether the partner side makes this change (otherwise the lead side; comments and links
    /// are open to both).
    pub fn by_partner(&self) -> Option<bool> {
        match self {
            Change::Acknowledge
            | Change::Start
            | Change::Decline { .. }
            | Change::Complete { .. } => Some(true),
            Change::Reassign { .. } | Change::Extend { .. } => Some(false),
            Change::Comment { .. } | Change::Link { .. } => None,
        }
    }
}

async fn validate(
    db: &impl ConnectionTrait,
    t: &coordination_task::Model,
    change: &Change,
    today: NaiveDate,
) -> TaskResult<()> {
    let mut errors = FieldErrors::default();
    let transition_ok = match change {
        Change::Acknowledge => t.status == REQUESTED,
        Change::Start => t.status == ACKNOWLEDGED,
        Change::Decline { .. } => t.status == REQUESTED || t.status == ACKNOWLEDGED,
        Change::Complete { .. } => t.status == ACKNOWLEDGED || t.status == IN_PROGRESS,
        Change::Reassign { .. } => t.status != DONE,
        Change::Extend { .. } => is_open(&t.status),
        Change::Comment { .. } | Change::Link { .. } => true,
    };
    if !transition_ok {
        errors.add("status", "task.error.transition");
    }
    match change {
        Change::Decline { reason }
        | Change::Reassign { reason, .. }
        | Change::Extend { reason, .. } => {
            if reason.trim().is_empty() {
                errors.add("reason", "task.error.reason");
            }
            check_free_text(&[("reason", Some(reason))], &mut errors);
        }
        Change::Comment { body } => {
            if body.trim().is_empty() {
                errors.add("body", "form.required");
            }
            check_free_text(&[("body", Some(body))], &mut errors);
        }
        Change::Complete {
            outcomes,
            loans_count,
            loans_amount,
            note,
        } => {
            for (support_type, persons) in outcomes {
                let ok = crate::codes::in_list(db, *support_type, "support_type")
                    .await?
                    .is_some();
                if !ok {
                    errors.add(&format!("outcome_{support_type}"), "form.choose");
                }
                if *persons < 0 {
                    errors.add(
                        &format!("outcome_{support_type}"),
                        "activity.error.negative",
                    );
                }
                if *persons > crate::activities::input::MAX_COUNT {
                    errors.add(&format!("outcome_{support_type}"), "activity.error.too_big");
                }
            }
            if loans_count.is_some_and(|n| n < 0) {
                errors.add("loans_count", "activity.error.negative");
            }
            if loans_count.is_some_and(|n| n > crate::activities::input::MAX_COUNT) {
                errors.add("loans_count", "activity.error.too_big");
            }
            if loans_amount.is_some_and(|n| !(0..=100_000_000_000).contains(&n)) {
                errors.add("loans_amount", "task.error.amount");
            }
            check_free_text(&[("note", note.as_deref())], &mut errors);
        }
        _ => {}
    }
    match change {
        Change::Reassign {
            partner_agency_id,
            ack_due_date,
            ..
        } => {
            if !crate::agencies::is_current(db, *partner_agency_id, today).await?
                || *partner_agency_id == t.lead_agency_id
            {
                errors.add("partner_agency_id", "form.choose");
            }
            if *ack_due_date < today {
                errors.add("ack_due_date", "task.error.past");
            }
        }
        Change::Extend {
            due_date,
            ack_due_date,
            ..
        } => {
            if *due_date <= t.due_date || *due_date < today {
                errors.add("due_date", "task.error.extend");
            }
            if ack_due_date.is_some_and(|a| a < today || a > *due_date) {
                errors.add("ack_due_date", "task.error.past");
            }
        }
        _ => {}
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(TaskError::Invalid(errors))
    }
}

pub async fn apply(
    db: &DatabaseConnection,
    actor: &Actor,
    task_id: i64,
    version: i32,
    change: Change,
) -> TaskResult<coordination_task::Model> {
    let current = coordination_task::Entity::find_by_id(task_id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("task {task_id}")))?;
    validate(db, &current, &change, actor.today).await?;
    let txn = db.begin().await?;
    let claimed = coordination_task::Entity::update_many()
        .col_expr(
            coordination_task::Column::Version,
            Expr::col(coordination_task::Column::Version).add(1),
        )
        .filter(coordination_task::Column::Id.eq(task_id))
        .filter(coordination_task::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(TaskError::Conflict);
    }
    let before = json!({ "status": current.status, "partner_agency_id": current.partner_agency_id, "due_date": current.due_date, "ack_due_date": current.ack_due_date });
    let was_escalated = escalated(&current, actor.today);
    let mut row: coordination_task::ActiveModel = current.clone().into();
    row.version = Set(version + 1);
    row.updated_at = Set(actor.now);
    let mut extra = json!({});
    match &change {
        Change::Acknowledge => {
            row.status = Set(ACKNOWLEDGED.to_owned());
            row.acknowledged_at = Set(Some(actor.now));
        }
        Change::Start => row.status = Set(IN_PROGRESS.to_owned()),
        Change::Decline { reason } => {
            row.status = Set(DECLINED.to_owned());
            row.decline_reason = Set(Some(reason.trim().to_owned()));
        }
        Change::Complete {
            outcomes,
            loans_count,
            loans_amount,
            note,
        } => {
            row.status = Set(DONE.to_owned());
            row.done_at = Set(Some(actor.now));
            row.loans_count = Set(*loans_count);
            row.loans_amount = Set(*loans_amount);
            task_outcome::Entity::delete_many()
                .filter(task_outcome::Column::TaskId.eq(task_id))
                .exec(&txn)
                .await?;
            for (support_type, persons) in outcomes.iter().filter(|(_, p)| *p > 0) {
                task_outcome::ActiveModel {
                    task_id: Set(task_id),
                    support_type_id: Set(*support_type),
                    persons: Set(*persons),
                    created_at: Set(actor.now),
                    updated_at: Set(actor.now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
            if let Some(n) = note.as_deref().filter(|n| !n.trim().is_empty()) {
                comment(&txn, actor, task_id, n).await?;
            }
            extra = json!({ "outcomes": outcomes, "loans_count": loans_count, "loans_amount": loans_amount });
        }
        Change::Reassign {
            partner_agency_id,
            ack_due_date,
            reason,
        } => {
            row.partner_agency_id = Set(*partner_agency_id);
            row.ack_due_date = Set(*ack_due_date);
            row.status = Set(REQUESTED.to_owned());
            row.acknowledged_at = Set(None);
            row.decline_reason = Set(None);
            if current.due_date < *ack_due_date {
                row.due_date = Set(*ack_due_date);
            }
            extra = json!({ "reason": reason.trim() });
        }
        Change::Extend {
            due_date,
            ack_due_date,
            reason,
        } => {
            row.due_date = Set(*due_date);
            if let Some(a) = ack_due_date {
                row.ack_due_date = Set(*a);
            }
            extra = json!({ "reason": reason.trim() });
        }
        Change::Comment { body } => {
            comment(&txn, actor, task_id, body).await?;
        }
        Change::Link { activity_id } => {
            link(&txn, actor, task_id, *activity_id).await?;
            extra = json!({ "activity_id": activity_id });
        }
    }
    let saved = row.update(&txn).await?;
    let after = json!({ "status": saved.status, "partner_agency_id": saved.partner_agency_id, "due_date": saved.due_date, "ack_due_date": saved.ack_due_date });
    let change_json = json!({
        "before": before, "after": after, "extra": extra,
        "escalation_cleared": was_escalated && !escalated(&saved, actor.today),
    });
    record(&txn, actor, change.action(), &saved, change_json).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The partner agency's users hear of a new task in the transaction that creates it.
async fn notify_requested(
    txn: &DatabaseTransaction,
    actor: &Actor,
    t: &coordination_task::Model,
) -> Result<(), DbErr> {
    use crate::notifications::outbox;
    let recipients = outbox::users_of_agency(txn, t.partner_agency_id, &[]).await?;
    let data = json!({
        "title": t.title,
        "ack_due_date": t.ack_due_date,
        "due_date": t.due_date,
        "path": format!("/tasks/{}", t.id),
    });
    let key = format!("task:{}:requested", t.id);
    outbox::enqueue_for(
        txn,
        &recipients,
        outbox::TASK_REQUESTED,
        &data,
        &key,
        actor.now,
    )
    .await
}
