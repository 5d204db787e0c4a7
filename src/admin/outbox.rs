//! `/admin/outbox`: every email the app has queued, by status, with the failures first in mind:
//! what went wrong and a button to put a failed email back in the queue. The data of an email is
//! not shown (a reset link is a credential), only its kind, recipient and delivery record.

use crate::audit;
use crate::auth::CurrentUser;
use crate::entities::outbox_email::{self, Column, Entity};
use crate::error::{AppError, AppResult};
use crate::notifications::outbox::{self, FAILED, PENDING, SENDING, SENT};
use crate::state::AppState;
use crate::web::query::Query;
use crate::web::{Page, flash};
use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::context;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const STATUSES: [&str; 4] = [FAILED, PENDING, SENDING, SENT];
/// The newest rows of the chosen status; older ones stay in the database.
const SHOWN: u64 = 200;

#[derive(Deserialize, Default)]
pub struct OutboxQuery {
    #[serde(default)]
    status: Option<String>,
}

#[derive(Serialize)]
struct Count {
    status: &'static str,
    n: i64,
}

pub async fn get_outbox(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<OutboxQuery>,
) -> AppResult<Response> {
    // Failures are what the administrator comes for; they are the default view.
    let status = match q.status.as_deref() {
        None | Some("") => FAILED,
        Some(s) => STATUSES
            .into_iter()
            .find(|known| *known == s)
            .ok_or(crate::web::query::QueryField::wrong("status"))?,
    };
    let found: Vec<(String, i64)> = Entity::find()
        .select_only()
        .column(Column::Status)
        .column_as(Column::Id.count(), "n")
        .group_by(Column::Status)
        .into_tuple()
        .all(&state.db)
        .await?;
    let counts: Vec<Count> = STATUSES
        .into_iter()
        .map(|s| Count {
            status: s,
            n: found.iter().find(|(f, _)| f == s).map_or(0, |(_, n)| *n),
        })
        .collect();
    let rows: Vec<outbox_email::Model> = Entity::find()
        .filter(Column::Status.eq(status))
        .order_by_desc(Column::Id)
        .limit(SHOWN)
        .all(&state.db)
        .await?;
    page.render(
        &state,
        "admin/outbox.html",
        context! { rows => rows.iter().map(row).collect::<Vec<_>>(), counts => counts, status => status },
    )
}

fn row(m: &outbox_email::Model) -> minijinja::Value {
    context! {
        id => m.id,
        recipient => m.recipient,
        template => m.template,
        locale => m.locale,
        status => m.status,
        attempts => m.attempts,
        next_attempt_at => m.next_attempt_at.to_rfc3339(),
        last_error => m.last_error,
        sent_at => m.sent_at.map(|t| t.to_rfc3339()),
        created_at => m.created_at.to_rfc3339(),
    }
}

pub async fn post_retry(
    State(state): State<AppState>,
    admin: CurrentUser,
    Path(email_id): Path<i64>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let found = Entity::find_by_id(email_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.status != FAILED {
        return Err(AppError::BadRequest("admin.outbox.not_failed"));
    }
    let txn = state.db.begin().await?;
    if !outbox::retry(&txn, email_id, now).await? {
        txn.rollback().await?;
        return Err(AppError::BadRequest("admin.outbox.not_failed"));
    }
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(admin.id),
            action: "outbox:retry",
            object_type: "outbox_email",
            object_id: Some(email_id),
            org_unit_id: None,
            change: json!({ "template": found.template, "attempts": found.attempts }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        "/admin/outbox",
        "flash.email_requeued",
    ))
}
