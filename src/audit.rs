//! The audit log: append-only rows saying who did what to which object, with the change as
//! JSON. Always written through the same connection (transaction) as the change itself, so a
//! change without its audit row cannot exist.

use crate::entities::audit_event;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use serde_json::Value;

pub struct Event<'a> {
    pub user_id: Option<i64>,
    /// `<object>:<verb>`, e.g. `plan:issue`, `user:deactivate`.
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: Option<i64>,
    pub org_unit_id: Option<i64>,
    pub change: Value,
}

pub async fn record(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    event: Event<'_>,
) -> Result<(), DbErr> {
    audit_event::ActiveModel {
        user_id: Set(event.user_id),
        action: Set(event.action.to_owned()),
        object_type: Set(event.object_type.to_owned()),
        object_id: Set(event.object_id),
        org_unit_id: Set(event.org_unit_id),
        change: Set(event.change.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
