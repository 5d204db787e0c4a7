//! The import pages, the same for both kinds: the upload page (with the template), the upload
//! itself (read, refused with a message or staged), the preview (the staged file parsed and
//! checked again, rows page by page, every problem by row and column) and the commit (parsed
//! and checked once more, then written all or nothing with the audit rows, in one transaction).

use super::check::{already, internal, refusal, table_of};
pub use super::commit::{post_activities_import_commit, post_stats_import_commit};
pub use super::preview::{get_activities_import_preview, get_stats_import_preview};
use super::read::{self, FileError};
use super::staging::{self, Kind};
use crate::audit;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::Page;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use sea_orm::TransactionTrait;
use serde_json::json;

pub(super) fn title_key(kind: Kind) -> &'static str {
    match kind {
        Kind::Activities => "import.activities.title",
        Kind::Stats => "import.stats.title",
        Kind::Units => "import.units.title",
        Kind::People => "rollout.people.title",
    }
}

/// The upload page, with a message when an upload was refused.
pub(super) fn upload_page(
    state: &AppState,
    page: &Page,
    kind: Kind,
    status: StatusCode,
    error: Option<String>,
) -> AppResult<Response> {
    page.render_status(
        state,
        status,
        "imports/upload.html",
        context! {
            kind => kind, base => kind.base(), title_key => title_key(kind), error => error,
            max_mb => read::MAX_BYTES / (1024 * 1024),
            max_rows => crate::web::format::number(i64::try_from(read::MAX_ROWS).unwrap_or(0)),
        },
    )
}

pub async fn get_activities_import(
    State(state): State<AppState>,
    page: Page,
) -> AppResult<Response> {
    upload_page(&state, &page, Kind::Activities, StatusCode::OK, None)
}

pub async fn get_stats_import(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    upload_page(&state, &page, Kind::Stats, StatusCode::OK, None)
}

/// Reads the upload: one field `file`, at most [`read::MAX_BYTES`] kept (the rest drained, so
/// that the browser gets the answer rather than a broken connection).
async fn read_upload(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(String, Vec<u8>), FileError> {
    read_upload_with(multipart, &[])
        .await
        .map(|(name, bytes, _)| (name, bytes))
}

/// Reads the upload and the short text fields named in `texts` (each at most 200 characters;
/// a missing one is empty), in that order.
pub(crate) async fn read_upload_with(
    multipart: Result<Multipart, MultipartRejection>,
    texts: &[&str],
) -> Result<(String, Vec<u8>, Vec<String>), FileError> {
    let mut multipart = multipart.map_err(|_| FileError::Empty)?;
    let mut file = None;
    let mut too_large = false;
    let mut values = vec![String::new(); texts.len()];
    while let Some(field) = multipart.next_field().await.map_err(|e| body_refusal(&e))? {
        if field.name() == Some("file") && file.is_none() {
            let name = field.file_name().unwrap_or_default().to_owned();
            let (bytes, over) = read_bounded(field).await?;
            too_large |= over;
            file = Some((name, bytes));
        } else if let Some(i) = texts.iter().position(|t| Some(*t) == field.name()) {
            let (bytes, _) = read_bounded(field).await?;
            let text: String = String::from_utf8_lossy(&bytes).chars().take(200).collect();
            if let Some(v) = values.get_mut(i) {
                *v = text;
            }
        }
    }
    if too_large {
        return Err(FileError::TooLarge);
    }
    match file {
        Some((name, bytes)) if !bytes.is_empty() => Ok((name, bytes, values)),
        _ => Err(FileError::Empty),
    }
}

async fn read_bounded(mut field: Field<'_>) -> Result<(Vec<u8>, bool), FileError> {
    let mut bytes = Vec::new();
    let mut over = false;
    while let Some(chunk) = field.chunk().await.map_err(|e| body_refusal(&e))? {
        if over {
            continue;
        }
        if bytes.len() + chunk.len() > read::MAX_BYTES {
            over = true;
            bytes = Vec::new();
        } else {
            bytes.extend_from_slice(&chunk);
        }
    }
    Ok((bytes, over))
}

fn body_refusal(e: &MultipartError) -> FileError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        FileError::TooLarge
    } else {
        FileError::Empty
    }
}

async fn post_import(
    state: AppState,
    page: Page,
    user: CurrentUser,
    kind: Kind,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let (name, bytes) = match read_upload(multipart).await {
        Ok(f) => f,
        Err(e) => {
            let (status, message) = refusal(&state, &user, kind, &e);
            return upload_page(&state, &page, kind, status, Some(message));
        }
    };
    let sha = super::sha256_hex(&bytes);
    if let Some(earlier) = staging::committed_file(&state.db, kind, &sha).await? {
        let message = already(&state, &user, &earlier).await?;
        return upload_page(&state, &page, kind, StatusCode::CONFLICT, Some(message));
    }
    // A file that cannot be read at all is refused here; one with bad rows is staged, and
    // its preview lists them.
    if let Err(e) = table_of(&state, kind, bytes.clone()).await? {
        let (status, message) = refusal(&state, &user, kind, &e);
        return upload_page(&state, &page, kind, status, Some(message));
    }
    let now = state.clock.now();
    let size = bytes.len();
    let txn = state.db.begin().await?;
    let staged = staging::stage(&txn, kind, &user, &name, bytes, now).await?;
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(user.id),
            action: match kind {
                Kind::Activities => "activity:import_upload",
                Kind::Stats => "support_stats:import_upload",
                Kind::Units => "org_unit:import_upload",
                Kind::People => "user:import_upload",
            },
            object_type: "import",
            object_id: Some(staged.id),
            org_unit_id: Some(user.org_unit_id),
            change: json!({ "file_name": staged.file_name, "size": size, "sha256": sha }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(axum::response::Redirect::to(&format!("{}/{}", kind.base(), staged.id)).into_response())
}

pub async fn post_activities_import(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    post_import(state, page, user, Kind::Activities, multipart).await
}

pub async fn post_stats_import(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    post_import(state, page, user, Kind::Stats, multipart).await
}

/// `GET /activities/import/template.xlsx`.
pub async fn get_activities_template(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Response> {
    let t = super::template::activities(&state, &user).await?;
    send_template(t, "mau-nhap-hoat-dong.xlsx").await
}

/// `GET /stats/import/template.xlsx`.
pub async fn get_stats_template(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Response> {
    let t = super::template::stats(&state, &user).await?;
    send_template(t, "mau-nhap-so-lieu-ho-tro.xlsx").await
}

async fn send_template(t: super::template::Template, name: &str) -> AppResult<Response> {
    let bytes = tokio::task::spawn_blocking(move || super::template::build(&t))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    Ok(crate::spreadsheets::attachment(
        crate::spreadsheets::XLSX,
        name,
        axum::body::Body::from(bytes),
    ))
}
