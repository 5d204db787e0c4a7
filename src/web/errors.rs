//! Turns error responses into pages (or JSON under `/api/`) in the caller's language. Internal
//! causes are logged here, once, and never shown. Also catches axum's own plain-text
//! rejections (a malformed path or form), so that no response leaks framework wording. A 503
//! (the database is out of reach) tells the client when to try again.

use crate::auth::identity::Identity;
use crate::error::ErrorKind;
use crate::state::AppState;
use crate::web::Page;
use crate::web::query::QueryField;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use minijinja::context;

/// Marks an error response that must reach the client exactly as built: a calendar feed's 404
/// is empty, because calendar apps show no page and an unknown token must reveal nothing.
#[derive(Clone, Copy, Debug)]
pub struct SendAsIs;

/// Seconds a client is asked to wait after a 503: a database restart is over in a few.
const RETRY_AFTER_SECS: &str = "5";

pub async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<SendAsIs>().is_some()
    {
        return response;
    }
    let kind = match response.extensions().get::<ErrorKind>() {
        Some(kind) => kind.clone(),
        None if already_rendered(&response) => return response,
        None => ErrorKind {
            status,
            message_key: default_message(status),
            internal: None,
        },
    };
    if let Some(cause) = &kind.internal {
        tracing::error!(status = %kind.status, path = %uri.path(), error = %cause, "request failed");
    }
    let identity = response
        .extensions()
        .get::<Identity>()
        .cloned()
        .unwrap_or_default();
    let mut rendered = if uri.path().starts_with("/api/") {
        let locale = identity.0.as_ref().map(|u| u.locale).unwrap_or_default();
        let message = state.i18n.t(locale, kind.message_key);
        let mut fields = serde_json::Map::new();
        if let Some(q) = response.extensions().get::<QueryField>() {
            fields.insert(q.field.clone(), state.i18n.t(locale, &q.key).into());
        }
        (
            kind.status,
            axum::Json(serde_json::json!({ "error": { "message": message, "fields": fields } })),
        )
            .into_response()
    } else if kind.status == StatusCode::UNAUTHORIZED {
        return to_login(&uri);
    } else {
        let field = response.extensions().get::<QueryField>().cloned();
        error_page(&state, &headers, uri, identity, &kind, field)
    };
    if kind.status == StatusCode::SERVICE_UNAVAILABLE {
        rendered
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECS));
    }
    rendered
}

fn already_rendered(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"))
}

fn default_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => "error.not_found",
        StatusCode::FORBIDDEN => "error.forbidden",
        StatusCode::PAYLOAD_TOO_LARGE => "error.too_large",
        StatusCode::REQUEST_TIMEOUT => "error.timeout",
        StatusCode::SERVICE_UNAVAILABLE => "error.unavailable",
        s if s.is_client_error() => "error.bad_request",
        _ => "error.internal",
    }
}

fn to_login(uri: &Uri) -> Response {
    let next = uri.path_and_query().map_or("/", |p| p.as_str());
    let target = format!(
        "/login?next={}",
        serde_urlencoded::to_string([("", next)])
            .unwrap_or_default()
            .trim_start_matches('=')
    );
    (StatusCode::SEE_OTHER, [(LOCATION, target)]).into_response()
}

fn error_page(
    state: &AppState,
    headers: &HeaderMap,
    uri: Uri,
    identity: Identity,
    kind: &ErrorKind,
    field: Option<QueryField>,
) -> Response {
    let rendered = Page::build(state, headers, uri, identity.0).and_then(|page| {
        page.render_status(
            state,
            kind.status,
            "error.html",
            context! {
                status => kind.status.as_u16(),
                message_key => kind.message_key,
                field => field.as_ref().map(|f| &f.field),
                field_key => field.as_ref().map(|f| f.key.as_str()),
            },
        )
    });
    match rendered {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (kind.status, "Lỗi / Error").into_response()
        }
    }
}
