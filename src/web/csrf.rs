//! CSRF protection for every state-changing request.
//!
//! Signed-in users carry a per-session token (synchronizer pattern); anonymous forms (login,
//! language) use a random cookie that the form must repeat. The token may come in the
//! `csrf_token` form field, the `csrf_token` query parameter (multipart forms put it in their
//! action URL) or the `X-CSRF-Token` header (scripts). Calls authenticated by an API token carry
//! no ambient authority and need none.

use crate::auth::identity::{AuthMethod, Identity};
use crate::auth::tokens::constant_time_eq;
use crate::error::AppError;
use crate::web::cookies;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const ANON_COOKIE: &str = "kehoach_csrf";
pub const FIELD: &str = "csrf_token";
/// Form bodies are read whole to find the token; larger ones are refused.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

pub async fn guard(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let identity = req
        .extensions()
        .get::<Identity>()
        .cloned()
        .unwrap_or_default();
    let expected = match identity.0.as_ref().map(|u| &u.auth) {
        Some(AuthMethod::ApiToken) => return next.run(req).await,
        Some(AuthMethod::Session { csrf_token, .. }) => Some(csrf_token.clone()),
        None => cookies::get(req.headers(), ANON_COOKIE),
    };
    let Some(expected) = expected else {
        return AppError::Csrf.into_response();
    };
    let (req, provided) = match provided_token(req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match provided {
        Some(token) if constant_time_eq(&token, &expected) => next.run(req).await,
        _ => AppError::Csrf.into_response(),
    }
}

async fn provided_token(req: Request) -> Result<(Request, Option<String>), Response> {
    if let Some(h) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        let token = h.to_owned();
        return Ok((req, Some(token)));
    }
    if let Some(token) = req.uri().query().and_then(|q| field_of(q.as_bytes())) {
        return Ok((req, Some(token)));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((req, None));
    }
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_FORM_BYTES).await {
        Ok(b) => b,
        Err(_) => return Err(AppError::PayloadTooLarge.into_response()),
    };
    let token = field_of(&bytes);
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

fn field_of(urlencoded: &[u8]) -> Option<String> {
    url_pairs(urlencoded)
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}

fn url_pairs(input: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(input).unwrap_or_default()
}
