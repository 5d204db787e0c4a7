//! Writing emails into the outbox. Callers pass their transaction, so an email exists exactly
//! when the event that causes it was committed; the unique `dedupe_key` turns a second write for
//! the same occasion into a no-op (`ON CONFLICT DO NOTHING`), on any number of processes.

use crate::entities::{agency, org_unit, outbox_email, user};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::Value;

pub const PENDING: &str = "pending";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// The templates the app knows; each lives in `templates/email/<name>/`.
pub const TASK_REQUESTED: &str = "task_requested";
pub const TASK_ESCALATED: &str = "task_escalated";
pub const TASK_ACK_DUE: &str = "task_ack_due";
pub const TASK_OVERDUE: &str = "task_overdue";
pub const REPORT_RETURNED: &str = "report_returned";
pub const REPORT_APPROVED: &str = "report_approved";
pub const ACTIVITY_UPCOMING: &str = "activity_upcoming";
pub const ACTIVITY_NOT_LOGGED: &str = "activity_not_logged";
pub const REPORT_REQUESTED: &str = "report_requested";
pub const REPORT_DUE: &str = "report_due";
pub const REPORT_OVERDUE: &str = "report_overdue";
pub const WEEKLY_DIGEST: &str = "weekly_digest";
pub const PASSWORD_RESET: &str = "password_reset";
/// An invitation to set one's password (`rollout::invite`).
pub const INVITATION: &str = "invitation";

/// Whether a user wants this email. Reminders about one's own activities and the weekly digest
/// can be turned off on the account page; deadlines, escalations, report decisions and password
/// resets cannot.
pub fn wanted_by(u: &user::Model, template: &str) -> bool {
    match template {
        ACTIVITY_UPCOMING | ACTIVITY_NOT_LOGGED => u.email_reminders,
        WEEKLY_DIGEST => u.email_digest,
        _ => true,
    }
}

/// Writes one email per recipient. `key` names the occasion; the recipient's id is appended so
/// that each person gets it once. `data` must hold a `path` for the link in the email.
pub async fn enqueue_for(
    conn: &impl ConnectionTrait,
    recipients: &[user::Model],
    template: &str,
    data: &Value,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for u in recipients.iter().filter(|u| wanted_by(u, template)) {
        let row = outbox_email::ActiveModel {
            recipient: Set(u.email.clone()),
            locale: Set(u.locale.clone()),
            template: Set(template.to_owned()),
            data: Set(data.to_string()),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            claim_token: Set(None),
            claimed_at: Set(None),
            last_error: Set(None),
            sent_at: Set(None),
            dedupe_key: Set(format!("{key}:to:{}", u.id)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        outbox_email::Entity::insert(row)
            .on_conflict_do_nothing_on([outbox_email::Column::DedupeKey])
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// The active users of an agency, optionally only those with one of `roles`.
pub async fn users_of_agency(
    conn: &impl ConnectionTrait,
    agency_id: i64,
    roles: &[&str],
) -> Result<Vec<user::Model>, DbErr> {
    let mut q = user::Entity::find()
        .filter(user::Column::AgencyId.eq(agency_id))
        .filter(user::Column::Active.eq(true));
    if !roles.is_empty() {
        q = q.filter(user::Column::Role.is_in(roles.iter().copied()));
    }
    q.order_by_asc(user::Column::Id).all(conn).await
}

/// The active users with one of `roles` in any agency of an org unit.
pub async fn users_of_unit(
    conn: &impl ConnectionTrait,
    org_unit_id: i64,
    roles: &[&str],
) -> Result<Vec<user::Model>, DbErr> {
    let agencies: Vec<i64> = agency::Entity::find()
        .filter(agency::Column::OrgUnitId.eq(org_unit_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    user::Entity::find()
        .filter(user::Column::AgencyId.is_in(agencies))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Role.is_in(roles.iter().copied()))
        .order_by_asc(user::Column::Id)
        .all(conn)
        .await
}

/// The org unit above an agency's own (where escalations go), if any.
pub async fn superior_unit_of_agency(
    conn: &impl ConnectionTrait,
    agency_id: i64,
) -> Result<Option<i64>, DbErr> {
    let Some(a) = agency::Entity::find_by_id(agency_id).one(conn).await? else {
        return Ok(None);
    };
    Ok(org_unit::Entity::find_by_id(a.org_unit_id)
        .one(conn)
        .await?
        .and_then(|u| u.parent_id))
}

/// Puts a failed email back in the queue (the admin's retry button).
pub async fn retry(
    conn: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Expr;
    let r = outbox_email::Entity::update_many()
        .col_expr(outbox_email::Column::Status, Expr::value(PENDING))
        .col_expr(outbox_email::Column::Attempts, Expr::value(0))
        .col_expr(outbox_email::Column::NextAttemptAt, Expr::value(now))
        .col_expr(outbox_email::Column::UpdatedAt, Expr::value(now))
        .filter(outbox_email::Column::Id.eq(id))
        .filter(outbox_email::Column::Status.eq(FAILED))
        .exec(conn)
        .await?;
    Ok(r.rows_affected == 1)
}
