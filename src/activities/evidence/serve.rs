//! Serving evidence files and their thumbnails to those who may read the activity: the stored
//! type, never HTML, never sniffed, never able to run anything, and cheap to revalidate.

use super::store::{Store, content_disposition};
use super::{file_of, internal};
use crate::activities::access;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Served files run nothing and load nothing, even if opened directly in a tab.
const FILE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// `GET /activities/{activity_id}/evidence/{file_id}`: the file, inline for a photo, as a
/// download for a PDF.
pub async fn get_evidence_file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((activity_id, file_id)): Path<(i64, i64)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    access::readable(&state, &user, activity_id).await?;
    let row = file_of(&state.db, activity_id, file_id).await?;
    let (content_type, disposition) = served_type(&row.content_type);
    let disposition = content_disposition(disposition, &row.file_name);
    serve(&state, &headers, &row.sha256, content_type, disposition).await
}

/// `GET /activities/{activity_id}/evidence/{file_id}/thumb`: the photo's thumbnail (a PDF has
/// none).
pub async fn get_evidence_thumb(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((activity_id, file_id)): Path<(i64, i64)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    access::readable(&state, &user, activity_id).await?;
    let row = file_of(&state.db, activity_id, file_id).await?;
    let thumb = row.thumb_sha256.as_deref().ok_or(AppError::NotFound)?;
    let stem = row
        .file_name
        .rsplit_once('.')
        .map_or(row.file_name.as_str(), |(stem, _)| stem);
    let disposition = content_disposition("inline", &format!("{stem}-thumb.jpg"));
    serve(&state, &headers, thumb, "image/jpeg", disposition).await
}

/// The content type and disposition a stored type is served with. Only the accepted image
/// types are shown inline; anything else (a PDF, or a row from some other source) downloads.
fn served_type(stored: &str) -> (&'static str, &'static str) {
    match stored {
        "image/jpeg" => ("image/jpeg", "inline"),
        "image/png" => ("image/png", "inline"),
        "image/webp" => ("image/webp", "inline"),
        "application/pdf" => ("application/pdf", "attachment"),
        _ => ("application/octet-stream", "attachment"),
    }
}

/// Whether the browser's cached copy (`If-None-Match`) is this content.
fn still_fresh(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|list| {
            list.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        })
}

async fn serve(
    state: &AppState,
    headers: &HeaderMap,
    sha256: &str,
    content_type: &'static str,
    disposition: String,
) -> AppResult<Response> {
    // Files are named by their hash, so the hash is an exact validator: an unchanged photo
    // costs a 304 on a slow connection, not a download.
    let etag = format!("\"{sha256}\"");
    let cache: [(HeaderName, String); 2] = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "private".to_owned()),
    ];
    if still_fresh(headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let Some(bytes) = Store::new(&state.config.data_dir)
        .read(sha256)
        .await
        .map_err(internal)?
    else {
        tracing::warn!(sha256, "an evidence row points at a missing file");
        return Err(AppError::NotFound);
    };
    let headers: [(HeaderName, String); 4] = [
        (header::CONTENT_TYPE, content_type.to_owned()),
        (header::CONTENT_DISPOSITION, disposition),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (header::CONTENT_SECURITY_POLICY, FILE_CSP.to_owned()),
    ];
    Ok((headers, cache, bytes).into_response())
}
