//! The JSON API under `/api/v1`, authenticated by session or by `Authorization: Bearer` API
//! token, with the same permission matrix as the pages.
//!
//! The contract: lists answer `{"items": [...], "next_cursor": "…" | null}`; errors answer a 4xx
//! with `{"error": {"message": "…", "fields": {"<field>": "<message>"}}}`, in the caller's
//! language.

pub mod activities;
pub mod handlers;
pub mod plans;
pub mod support_stats;
pub mod tasks;

use crate::auth::CurrentUser;
use crate::state::AppState;
use crate::web::forms::FieldErrors;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// A 422 with the field messages translated for the caller.
pub fn invalid(state: &AppState, user: &CurrentUser, errors: &FieldErrors) -> Response {
    let fields: Map<String, Value> = errors
        .0
        .iter()
        .map(|(field, key)| (field.clone(), Value::from(state.i18n.t(user.locale, key))))
        .collect();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "error": {
            "message": state.i18n.t(user.locale, "error.validation"),
            "fields": fields,
        }})),
    )
        .into_response()
}

/// A list in the API's shape.
pub fn list(items: Vec<Value>, next_cursor: Option<String>) -> Json<Value> {
    Json(json!({ "items": items, "next_cursor": next_cursor }))
}
