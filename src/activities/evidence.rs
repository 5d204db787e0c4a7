//! Evidence files of an activity: photos of it and scanned attendance sheets. Uploading,
//! serving and deleting them, with the privacy rules of docs/domain.md: the type is read from the
//! bytes, photos lose their metadata (GPS above all) and are confirmed to show no victim, and
//! files are served only to those who may read the activity, never as something a browser
//! would run. `upload` and `serve` are the handlers of those two, `media` reads and cleans the
//! files, `store` keeps them on disk; deleting and the queries the activity page needs are here.

pub mod media;
pub mod serve;
pub mod store;
pub mod upload;

pub use serve::{get_evidence_file, get_evidence_thumb};
pub use upload::post_evidence;

use crate::activities::access;
use crate::activities::evidence::store::Store;
use crate::audit;
use crate::auth::CurrentUser;
use crate::entities::{activity, evidence_file};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::flash;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde_json::json;

/// Largest file accepted. The messages in `i18n/*.toml` state it ("10 MB").
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Files one activity may carry. The messages and `_evidence.html` state it ("10").
pub const MAX_FILES: u64 = 10;
/// The body limit of the upload route. axum reads multipart bodies under a 2 MB default; the
/// route lifts it to the app-wide cap, so that a file somewhat over [`MAX_FILE_BYTES`] still
/// reaches the handler and is refused with its own message.
pub const UPLOAD_BODY_BYTES: usize = crate::startup::MAX_BODY_BYTES;

/// The evidence files of an activity, oldest first, for the activity page.
pub async fn files_of(
    db: &impl ConnectionTrait,
    activity_id: i64,
) -> Result<Vec<evidence_file::Model>, DbErr> {
    evidence_file::Entity::find()
        .filter(evidence_file::Column::ActivityId.eq(activity_id))
        .order_by_asc(evidence_file::Column::CreatedAt)
        .order_by_asc(evidence_file::Column::Id)
        .all(db)
        .await
}

async fn count_of(db: &impl ConnectionTrait, activity_id: i64) -> Result<u64, DbErr> {
    evidence_file::Entity::find()
        .filter(evidence_file::Column::ActivityId.eq(activity_id))
        .count(db)
        .await
}

/// One file of one activity; a file of another activity is not found.
async fn file_of(
    db: &impl ConnectionTrait,
    activity_id: i64,
    file_id: i64,
) -> AppResult<evidence_file::Model> {
    evidence_file::Entity::find_by_id(file_id)
        .filter(evidence_file::Column::ActivityId.eq(activity_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

fn activity_path(activity_id: i64) -> String {
    format!("/activities/{activity_id}")
}

/// A script or an app asking for JSON gets JSON; a browser gets pages and redirects.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

fn internal(e: impl Into<anyhow::Error>) -> AppError {
    AppError::Internal(e.into())
}

fn audit_event<'a>(
    user: &CurrentUser,
    activity: &activity::Model,
    action: &'a str,
    row: &evidence_file::Model,
) -> audit::Event<'a> {
    audit::Event {
        user_id: Some(user.id),
        action,
        object_type: "activity",
        object_id: Some(activity.id),
        org_unit_id: Some(activity.org_unit_id),
        change: json!({ "evidence_file": {
            "id": row.id,
            "sha256": row.sha256,
            "kind": row.kind,
            "content_type": row.content_type,
            "size": row.size,
            "file_name": row.file_name,
            "no_victim_confirmed": row.no_victim_confirmed,
        } }),
    }
}

/// Removes a stored file once no row refers to it (as a file or as a thumbnail). A failure
/// only leaves an unused file behind, so it is logged, not reported.
async fn release(state: &AppState, store: &Store, sha256: &str) {
    let users = evidence_file::Entity::find()
        .filter(
            Condition::any()
                .add(evidence_file::Column::Sha256.eq(sha256))
                .add(evidence_file::Column::ThumbSha256.eq(sha256)),
        )
        .count(&state.db)
        .await;
    let outcome = match users {
        Ok(0) => store.remove(sha256).await.map_err(anyhow::Error::from),
        Ok(_) => Ok(()),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = outcome {
        tracing::warn!(error = %e, "could not remove an unused evidence file");
    }
}

/// `POST /activities/{activity_id}/evidence/{file_id}/delete`.
pub async fn post_evidence_delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((activity_id, file_id)): Path<(i64, i64)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let (activity, _) = access::writable(&state, &user, activity_id).await?;
    let row = file_of(&state.db, activity_id, file_id).await?;
    let txn = state.db.begin().await?;
    let deleted = evidence_file::Entity::delete_many()
        .filter(evidence_file::Column::Id.eq(row.id))
        .filter(evidence_file::Column::ActivityId.eq(activity_id))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    audit::record(
        &txn,
        state.clock.now(),
        audit_event(&user, &activity, "activity:evidence_delete", &row),
    )
    .await?;
    txn.commit().await?;
    let store = Store::new(&state.config.data_dir);
    release(&state, &store, &row.sha256).await;
    if let Some(thumb) = &row.thumb_sha256 {
        release(&state, &store, thumb).await;
    }
    if wants_json(&headers) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Ok(flash::redirect(
            &state.config,
            &activity_path(activity_id),
            "evidence.deleted",
        ))
    }
}
