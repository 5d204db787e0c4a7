//! `POST /activities/{activity_id}/evidence`: reading the multipart form, refusing what may
//! not be kept (with a message, and nothing written), preparing the file off the async threads,
//! then storing it and recording its row with the audit event.

use super::media::{self, Format, MediaError};
use super::store::{Store, display_name};
use super::{
    MAX_FILE_BYTES, MAX_FILES, activity_path, audit_event, count_of, internal, release, wants_json,
};
use crate::activities::access;
use crate::audit;
use crate::auth::CurrentUser;
use crate::entities::{activity, evidence_file};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::state::AppState;
use crate::web::flash;
use axum::Json;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sea_orm::{ActiveModelTrait, DbErr, EntityTrait, QuerySelect, Set, TransactionTrait};
use serde_json::json;

/// Why an upload was refused. Each is a 4xx with a message in the user's language, and
/// nothing is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    NoFile,
    OneFile,
    Type,
    TooLarge,
    TooMany,
    NoVictim,
    Corrupt,
    Pixels,
    Malformed,
}

impl Refusal {
    fn status(self) -> StatusCode {
        match self {
            Refusal::Type => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::TooMany => StatusCode::CONFLICT,
            Refusal::Malformed => StatusCode::BAD_REQUEST,
            Refusal::NoFile
            | Refusal::OneFile
            | Refusal::NoVictim
            | Refusal::Corrupt
            | Refusal::Pixels => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    fn message_key(self) -> &'static str {
        match self {
            Refusal::NoFile => "evidence.error.no_file",
            Refusal::OneFile => "evidence.error.one_file",
            Refusal::Type => "evidence.error.type",
            Refusal::TooLarge => "evidence.error.too_large",
            Refusal::TooMany => "evidence.error.too_many",
            Refusal::NoVictim => "evidence.error.no_victim",
            Refusal::Corrupt => "evidence.error.corrupt",
            Refusal::Pixels => "evidence.error.pixels",
            Refusal::Malformed => "error.bad_request",
        }
    }

    /// JSON for API clients, in the shape of the JSON API's errors; otherwise the response is
    /// marked for the error renderer, which shows the message on the error page in the user's
    /// language.
    fn response(self, state: &AppState, user: &CurrentUser, json: bool) -> Response {
        let (status, key) = (self.status(), self.message_key());
        if json {
            let message = state.i18n.t(user.locale, key);
            let body = json!({ "error": { "message": message, "fields": { "file": message } } });
            return (status, Json(body)).into_response();
        }
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorKind {
            status,
            message_key: key,
            internal: None,
        });
        response
    }
}

/// An upload that failed: refused (the user's doing) or an internal error.
enum AddError {
    Refused(Refusal),
    App(AppError),
}

impl From<Refusal> for AddError {
    fn from(r: Refusal) -> Self {
        AddError::Refused(r)
    }
}

impl From<AppError> for AddError {
    fn from(e: AppError) -> Self {
        AddError::App(e)
    }
}

impl From<DbErr> for AddError {
    fn from(e: DbErr) -> Self {
        AddError::App(e.into())
    }
}

/// `POST /activities/{activity_id}/evidence`: one file (`file`), and for a photo the
/// uploader's confirmation that it shows no victim (`no_victim`).
pub async fn post_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(activity_id): Path<i64>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    // Authorised before a byte of the body is read.
    let (activity, _) = access::writable(&state, &user, activity_id).await?;
    let json = wants_json(&headers);
    match add(&state, &user, &activity, multipart).await {
        Ok(row) if json => Ok((StatusCode::CREATED, Json(row)).into_response()),
        Ok(_) => Ok(flash::redirect(
            &state.config,
            &activity_path(activity_id),
            "evidence.added",
        )),
        Err(AddError::Refused(r)) => Ok(r.response(&state, &user, json)),
        Err(AddError::App(e)) => Err(e),
    }
}

struct Upload {
    name: String,
    bytes: Vec<u8>,
    no_victim: bool,
}

async fn add(
    state: &AppState,
    user: &CurrentUser,
    activity: &activity::Model,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<evidence_file::Model, AddError> {
    let multipart = multipart.map_err(|_| Refusal::Malformed)?;
    let upload = read_upload(multipart).await?;
    let format = Format::sniff(&upload.bytes).ok_or(Refusal::Type)?;
    if format.is_photo() && !upload.no_victim {
        return Err(Refusal::NoVictim.into());
    }
    // Checked again under a lock before the insert; checked here so that a full activity
    // costs no decoding.
    if count_of(&state.db, activity.id).await? >= MAX_FILES {
        return Err(Refusal::TooMany.into());
    }
    let file_name = display_name(&upload.name, format);
    let no_victim = upload.no_victim;
    let bytes = upload.bytes;
    let prepared = tokio::task::spawn_blocking(move || media::prepare(bytes, format))
        .await
        .map_err(internal)?
        .map_err(|e| match e {
            MediaError::Corrupt => AddError::Refused(Refusal::Corrupt),
            MediaError::TooManyPixels => AddError::Refused(Refusal::Pixels),
            MediaError::Thumbnail(e) => AddError::App(internal(e)),
        })?;
    let store = Store::new(&state.config.data_dir);
    let mut fresh = Vec::new();
    let accepted = Accepted {
        format,
        file_name,
        no_victim,
        prepared,
    };
    let saved = save(state, &store, &mut fresh, user, activity, accepted).await;
    if saved.is_err() {
        // Nothing written may outlive a refused or failed upload.
        for sha256 in &fresh {
            release(state, &store, sha256).await;
        }
    }
    saved
}

/// Reads the form. The file is read up to [`MAX_FILE_BYTES`] and the rest drained, so that
/// the browser finishes sending and shows the answer instead of a broken connection.
async fn read_upload(mut multipart: Multipart) -> Result<Upload, Refusal> {
    let mut file = None;
    let mut files = 0;
    let mut too_large = false;
    let mut no_victim = false;
    while let Some(field) = multipart.next_field().await.map_err(|e| body_refusal(&e))? {
        match field.name() {
            Some("file") => {
                files += 1;
                let name = field.file_name().unwrap_or_default().to_owned();
                let (bytes, over) = read_bounded(field).await?;
                too_large |= over;
                if file.is_none() {
                    file = Some((name, bytes));
                }
            }
            Some("no_victim") => {
                let value = field.text().await.map_err(|e| body_refusal(&e))?;
                no_victim = matches!(value.as_str(), "on" | "true" | "1");
            }
            // The CSRF token (if repeated in the body) and anything else: skipped.
            _ => {}
        }
    }
    if too_large {
        return Err(Refusal::TooLarge);
    }
    if files > 1 {
        return Err(Refusal::OneFile);
    }
    match file {
        Some((name, bytes)) if !bytes.is_empty() => Ok(Upload {
            name,
            bytes,
            no_victim,
        }),
        _ => Err(Refusal::NoFile),
    }
}

async fn read_bounded(mut field: Field<'_>) -> Result<(Vec<u8>, bool), Refusal> {
    let mut bytes = Vec::new();
    let mut over = false;
    while let Some(chunk) = field.chunk().await.map_err(|e| body_refusal(&e))? {
        if over {
            continue;
        }
        if bytes.len() + chunk.len() > MAX_FILE_BYTES {
            over = true;
            bytes = Vec::new();
        } else {
            bytes.extend_from_slice(&chunk);
        }
    }
    Ok((bytes, over))
}

/// A body cut off by the route's limit is a file too large; anything else, a broken form.
fn body_refusal(e: &MultipartError) -> Refusal {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Refusal::TooLarge
    } else {
        Refusal::Malformed
    }
}

/// A file that passed every check, ready to store.
struct Accepted {
    format: Format,
    file_name: String,
    no_victim: bool,
    prepared: media::Prepared,
}

/// Writes the files, then the row and its audit event in one transaction. `fresh` collects
/// the files this upload created, for the caller to remove if this fails.
async fn save(
    state: &AppState,
    store: &Store,
    fresh: &mut Vec<String>,
    user: &CurrentUser,
    activity: &activity::Model,
    file: Accepted,
) -> Result<evidence_file::Model, AddError> {
    let Accepted {
        format,
        file_name,
        no_victim,
        prepared,
    } = file;
    let (sha256, new) = store.put(&prepared.bytes).await.map_err(internal)?;
    if new {
        fresh.push(sha256.clone());
    }
    let thumb_sha256 = match &prepared.thumbnail {
        Some(thumb) => {
            let (sha, new) = store.put(thumb).await.map_err(internal)?;
            if new {
                fresh.push(sha.clone());
            }
            Some(sha)
        }
        None => None,
    };
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    // Holds the activity row (on PostgreSQL) so that two uploads cannot both take the last
    // place; SQLite has a single writer anyway.
    activity::Entity::find_by_id(activity.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if count_of(&txn, activity.id).await? >= MAX_FILES {
        return Err(Refusal::TooMany.into());
    }
    let row = evidence_file::ActiveModel {
        activity_id: Set(activity.id),
        sha256: Set(sha256),
        kind: Set(format.kind().to_owned()),
        content_type: Set(format.content_type().to_owned()),
        size: Set(i64::try_from(prepared.bytes.len()).map_err(internal)?),
        file_name: Set(file_name),
        thumb_sha256: Set(thumb_sha256),
        no_victim_confirmed: Set(no_victim),
        uploaded_by: Set(Some(user.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        audit_event(user, activity, "activity:evidence_add", &row),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}
