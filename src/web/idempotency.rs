//! Exactly-once writes for clients that retry: the phone's offline queue and API scripts.
//!
//! A state-changing request (POST, PUT, PATCH) of a signed-in user may carry a key made by the
//! client, in the `Idempotency-Key` header or, for a plain HTML form, the hidden
//! `idempotency_key` field. The first request with a key is handled as usual and, if it
//! succeeded (a redirect for a form, 2xx or 3xx for the API), its answer is stored with the key, the user, the route and a
//! fingerprint of what was sent. The same key again — a lost answer, a double tap, two tabs —
//! runs nothing and gets the stored answer (marked `Idempotency-Replayed: true`). The same key
//! with other content, or on another route, is refused with a 422 naming the key. While the
//! first request is still running, a second one gets a 409.
//!
//! A refused request (4xx, 5xx) wrote nothing, so its key is forgotten and the client may try
//! again with it after fixing what was wrong. Keys are kept for [`KEEP`] and purged by the
//! server's housekeeping.
//!
//! Ordinary forms carry a key the server made when it showed the form ([`FORM_PREFIX`], see
//! [`new_form_key`]): a double tap, or going back and sending the page again, is then answered
//! once. Such a key stands for the form as shown, so it is stored together with the fingerprint
//! of what was sent: going back and sending *other* content is a new request, not a refused
//! key. A second sending that arrives while the first is running waits for its answer rather
//! than getting a 409 page, since the browser shows only the last answer.
//!
//! The handler runs in a task of its own, so a phone that loses its signal mid-request does not
//! cancel the write half-way through its bookkeeping: the answer is stored all the same and
//! the retry gets it.

use crate::auth::identity::Identity;
use crate::entities::idempotency_key;
use crate::error::ErrorKind;
use crate::state::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use sha2::{Digest, Sha256};

pub const HEADER: &str = "idempotency-key";
pub const FIELD: &str = "idempotency_key";
/// Marks an answer that was stored earlier and sent again.
pub const REPLAYED: &str = "idempotency-replayed";
/// How long a key and its answer are kept.
pub const KEEP: Duration = Duration::days(7);
/// A key still marked as running after this long belongs to a request whose process died;
/// the key may then be used afresh.
const ABANDONED_AFTER: Duration = Duration::minutes(10);
/// The start of the keys the server renders in its own forms.
pub const FORM_PREFIX: &str = "form-";
/// How long a form sent again waits for the first sending to finish.
const WAIT_FOR_FIRST: std::time::Duration = std::time::Duration::from_secs(10);
/// Form bodies are read whole to find the field (the CSRF guard reads them too).
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;
/// Answers larger than this are kept without their body (a redirect or JSON never is).
const MAX_KEPT_BODY: usize = 512 * 1024;
/// The answer's headers that a replay repeats.
const KEPT_HEADERS: [HeaderName; 4] = [
    header::LOCATION,
    header::CONTENT_TYPE,
    header::SET_COOKIE,
    header::ETAG,
];

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) {
        return next.run(req).await;
    }
    let user_id = match req
        .extensions()
        .get::<Identity>()
        .and_then(|i| i.0.as_ref())
    {
        Some(u) => u.id,
        None => return next.run(req).await,
    };
    let header_key = match req.headers().get(HEADER) {
        Some(v) => match v.to_str() {
            Ok(s) => Some(s.trim().to_owned()),
            Err(_) => return refuse(&state, &req, KeyProblem::Invalid),
        },
        None => None,
    };
    let kind = BodyKind::of(req.headers());
    if header_key.is_none() && kind != BodyKind::Form {
        return next.run(req).await;
    }
    let limit = if kind == BodyKind::Form {
        MAX_FORM_BYTES
    } else {
        crate::startup::MAX_BODY_BYTES
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, limit).await else {
        return crate::error::AppError::PayloadTooLarge.into_response();
    };
    let form_key = if kind == BodyKind::Form {
        form_pairs(&bytes)
            .into_iter()
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.trim().to_owned())
            // An empty field is a form shown without a key (and no script to make one).
            .filter(|v| !v.is_empty())
    } else {
        None
    };
    let req = Request::from_parts(parts, Body::from(bytes.clone()));
    let Some(key) = header_key.or(form_key) else {
        return next.run(req).await;
    };
    if !valid_key(&key) {
        return refuse(&state, &req, KeyProblem::Invalid);
    }
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let fp = fingerprint(
        &method,
        &path,
        req.uri().query(),
        kind,
        req.headers(),
        &bytes,
    );
    let server_form = key.starts_with(FORM_PREFIX);
    let key = if server_form {
        format!("{key}:{}", &fp[..16])
    } else {
        key
    };
    let waited_since = tokio::time::Instant::now();
    loop {
        let now = state.clock.now();
        match claim(&state.db, user_id, &key, &method, &path, &fp, now).await {
            Ok(Claim::Fresh(row_id)) => return run_and_store(state, req, next, row_id).await,
            Ok(Claim::Existing(row)) => {
                if row.method != method || row.path != path || row.fingerprint != fp {
                    return refuse(&state, &req, KeyProblem::Reused);
                } else if row.status.is_some() {
                    return replay(&row);
                } else if !server_form || waited_since.elapsed() > WAIT_FOR_FIRST {
                    return refuse(&state, &req, KeyProblem::Pending);
                }
                // A double tap: the browser shows only this answer, so it is the first's.
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => return crate::error::AppError::from(e).into_response(),
        }
    }
}

/// A fresh key for a form the server shows (the hidden `idempotency_key` field).
pub fn new_form_key() -> String {
    let mut bytes = [0u8; 16];
    // Without randomness the form simply carries no key and is handled as before.
    if getrandom::fill(&mut bytes).is_err() {
        return String::new();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{FORM_PREFIX}{hex}")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Form,
    Json,
    Multipart,
    Other,
}

impl BodyKind {
    fn of(headers: &HeaderMap) -> BodyKind {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if ct.starts_with("application/x-www-form-urlencoded") {
            BodyKind::Form
        } else if ct.starts_with("application/json") {
            BodyKind::Json
        } else if ct.starts_with("multipart/form-data") {
            BodyKind::Multipart
        } else {
            BodyKind::Other
        }
    }
}

fn form_pairs(input: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(input).unwrap_or_default()
}

/// 8 to 100 characters of letters, digits, `-`, `_`, `.` or `:` (a UUID fits).
pub fn valid_key(key: &str) -> bool {
    (8..=100).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// What was asked, independent of what changes from one sending to the next: the CSRF token
/// (a new session has a new one), the key itself, a multipart boundary, JSON spacing.
fn fingerprint(
    method: &str,
    path: &str,
    query: Option<&str>,
    kind: BodyKind,
    headers: &HeaderMap,
    body: &[u8],
) -> String {
    let without_tokens = |pairs: Vec<(String, String)>| -> Vec<u8> {
        let kept: Vec<(String, String)> = pairs
            .into_iter()
            .filter(|(k, _)| k != crate::web::csrf::FIELD && k != FIELD)
            .collect();
        serde_urlencoded::to_string(kept)
            .unwrap_or_default()
            .into_bytes()
    };
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b"\n");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(without_tokens(form_pairs(query.unwrap_or("").as_bytes())));
    h.update(b"\n");
    match kind {
        BodyKind::Form => h.update(without_tokens(form_pairs(body))),
        BodyKind::Json => match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) => h.update(canonical_json(&v).as_bytes()),
            Err(_) => h.update(body),
        },
        BodyKind::Multipart => {
            let boundary = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|ct| ct.split("boundary=").nth(1))
                .map(|b| b.trim_matches('"').to_owned())
                .unwrap_or_default();
            h.update(replace_all(body, boundary.as_bytes(), b"BOUNDARY"));
        }
        BodyKind::Other => h.update(body),
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// JSON with its object keys sorted at every depth, whatever order they were sent in.
fn canonical_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::Value::String(k.clone()),
                        map.get(k).map(canonical_json).unwrap_or_default()
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        serde_json::Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", inner.join(","))
        }
        other => other.to_string(),
    }
}

fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

enum Claim {
    /// This request is the first with the key: the row (still without an answer) is its own.
    Fresh(i64),
    Existing(idempotency_key::Model),
}

/// Takes the key for this request, or finds who has it. The unique index on (user, key) makes
/// two simultaneous first requests one winner and one that finds the winner's row.
async fn claim(
    db: &impl ConnectionTrait,
    user_id: i64,
    key: &str,
    method: &str,
    path: &str,
    fp: &str,
    now: DateTime<Utc>,
) -> Result<Claim, DbErr> {
    let find = || {
        idempotency_key::Entity::find()
            .filter(idempotency_key::Column::UserId.eq(user_id))
            .filter(idempotency_key::Column::IdemKey.eq(key))
            .one(db)
    };
    if let Some(row) = find().await? {
        let abandoned = row.status.is_none() && row.updated_at < now - ABANDONED_AFTER;
        let expired = row.created_at < now - KEEP;
        if !(abandoned || expired) {
            return Ok(Claim::Existing(row));
        }
        idempotency_key::Entity::delete_by_id(row.id)
            .exec(db)
            .await?;
    }
    let inserted = idempotency_key::ActiveModel {
        user_id: Set(user_id),
        idem_key: Set(key.to_owned()),
        method: Set(method.to_owned()),
        path: Set(path.to_owned()),
        fingerprint: Set(fp.to_owned()),
        status: Set(None),
        response_headers: Set(None),
        response_body: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(row) => Ok(Claim::Fresh(row.id)),
        // Another request took the key between the look-up and the insert.
        Err(e) => match find().await? {
            Some(row) => Ok(Claim::Existing(row)),
            None => Err(e),
        },
    }
}

async fn run_and_store(state: AppState, req: Request, next: Next, row_id: i64) -> Response {
    let path = req.uri().path().to_owned();
    let task = tokio::spawn(async move {
        let response = next.run(req).await;
        store(&state, row_id, &path, response).await
    });
    match task.await {
        Ok(response) => response,
        Err(e) => crate::error::AppError::Internal(anyhow::anyhow!("request task failed: {e}"))
            .into_response(),
    }
}

/// Keeps a successful answer with its key; forgets the key of a refused request.
async fn store(state: &AppState, row_id: i64, path: &str, response: Response) -> Response {
    let status = response.status();
    // A page answering a form with 200 is the form shown again (more lines, a token shown
    // once): nothing was written, and nothing of it should be kept. Forms that write redirect.
    let kept = if path.starts_with("/api/") {
        status.is_success() || status.is_redirection()
    } else {
        status.is_redirection()
    };
    if !kept {
        if let Err(e) = idempotency_key::Entity::delete_by_id(row_id)
            .exec(&state.db)
            .await
        {
            tracing::warn!(error = %e, "idempotency key release failed");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return crate::error::AppError::Internal(anyhow::anyhow!("answer body unreadable"))
            .into_response();
    };
    let headers: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .flat_map(|name| {
            parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(|v| (name.as_str().to_owned(), v.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    let kept_body = (bytes.len() <= MAX_KEPT_BODY)
        .then(|| String::from_utf8(bytes.to_vec()).ok())
        .flatten();
    let saved = idempotency_key::ActiveModel {
        id: Set(row_id),
        status: Set(Some(i32::from(status.as_u16()))),
        response_headers: Set(serde_json::to_string(&headers).ok()),
        response_body: Set(kept_body),
        updated_at: Set(state.clock.now()),
        ..Default::default()
    }
    .update(&state.db)
    .await;
    if let Err(e) = saved {
        // The write itself succeeded; only its replay is lost. Said in the log, not to the user.
        tracing::warn!(error = %e, "idempotency answer not stored");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(row: &idempotency_key::Model) -> Response {
    let status = row
        .status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, row.response_body.clone().unwrap_or_default()).into_response();
    response.headers_mut().remove(header::CONTENT_TYPE);
    let headers: Vec<(String, String)> = row
        .response_headers
        .as_deref()
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            response.headers_mut().append(n, v);
        }
    }
    response
        .headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

#[derive(Clone, Copy)]
enum KeyProblem {
    Invalid,
    Reused,
    Pending,
}

/// A problem with the key itself, named in the user's language: a page for a form, a JSON
/// error with the header as the field for the API.
fn refuse(state: &AppState, req: &Request, problem: KeyProblem) -> Response {
    let (status, message_key) = match problem {
        KeyProblem::Invalid => (StatusCode::BAD_REQUEST, "offline_mode.error.key_invalid"),
        KeyProblem::Reused => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "offline_mode.error.key_reused",
        ),
        KeyProblem::Pending => (StatusCode::CONFLICT, "offline_mode.error.key_pending"),
    };
    if req.uri().path().starts_with("/api/") {
        let locale = req
            .extensions()
            .get::<Identity>()
            .and_then(|i| i.0.as_ref())
            .map(|u| u.locale)
            .unwrap_or_default();
        let message = state.i18n.t(locale, message_key);
        let mut fields = serde_json::Map::new();
        fields.insert("Idempotency-Key".to_owned(), message.into());
        return (
            status,
            axum::Json(serde_json::json!({ "error": { "message": message, "fields": fields } })),
        )
            .into_response();
    }
    let kind = ErrorKind {
        status,
        message_key,
        internal: None,
    };
    let mut response = status.into_response();
    response.extensions_mut().insert(kind);
    response
}

/// Keys older than [`KEEP`]; run by the housekeeping.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let res = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(now - KEEP))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_plain_tokens() {
        assert!(valid_key("3f2b7c1e-9a4d-4e6b-8c2f-1d5e7a9b0c3d"));
        assert!(valid_key("offline:42:abcdef"));
        assert!(!valid_key("short"));
        assert!(!valid_key("has space in it"));
        assert!(!valid_key(&"x".repeat(101)));
        assert!(!valid_key("khóa-tiếng-việt"));
    }

    #[test]
    fn the_fingerprint_ignores_what_changes_between_sendings() {
        let h = HeaderMap::new();
        let a = fingerprint(
            "POST",
            "/activities/1/log",
            None,
            BodyKind::Form,
            &h,
            b"csrf_token=aaa&idempotency_key=k1&actual_participants=40",
        );
        let b = fingerprint(
            "POST",
            "/activities/1/log",
            None,
            BodyKind::Form,
            &h,
            b"csrf_token=bbb&actual_participants=40&idempotency_key=k1",
        );
        assert_eq!(a, b);
        let c = fingerprint(
            "POST",
            "/activities/1/log",
            None,
            BodyKind::Form,
            &h,
            b"csrf_token=bbb&actual_participants=41",
        );
        assert_ne!(a, c);
        let j1 = fingerprint(
            "POST",
            "/api/v1/activities",
            None,
            BodyKind::Json,
            &h,
            br#"{"a": 1, "b": 2}"#,
        );
        let j2 = fingerprint(
            "POST",
            "/api/v1/activities",
            None,
            BodyKind::Json,
            &h,
            br#"{"b":2,"a":1}"#,
        );
        assert_eq!(j1, j2);
        let nested =
            |body: &[u8]| fingerprint("POST", "/api/v1/plans", None, BodyKind::Json, &h, body);
        assert_eq!(
            nested(br#"{"plan": {"title": "A", "year": 2025}, "items": [{"b": 1, "a": 2}]}"#),
            nested(br#"{"items":[{"a":2,"b":1}],"plan":{"year":2025,"title":"A"}}"#)
        );
        assert_ne!(
            nested(br#"{"items": [1, 2]}"#),
            nested(br#"{"items": [2, 1]}"#),
            "the order of a list counts"
        );
    }

    #[test]
    fn a_multipart_boundary_does_not_count() {
        let mut h1 = HeaderMap::new();
        h1.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=AAA111"),
        );
        let mut h2 = HeaderMap::new();
        h2.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=BBB222"),
        );
        let a = fingerprint(
            "POST",
            "/x",
            Some("csrf_token=1"),
            BodyKind::Multipart,
            &h1,
            b"--AAA111\r\nphoto\r\n--AAA111--",
        );
        let b = fingerprint(
            "POST",
            "/x",
            Some("csrf_token=2"),
            BodyKind::Multipart,
            &h2,
            b"--BBB222\r\nphoto\r\n--BBB222--",
        );
        assert_eq!(a, b);
    }
}
