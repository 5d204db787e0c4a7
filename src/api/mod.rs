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

/// Why a JSON body could not be read, as the field it concerns and the translation key of the
/// message: a syntax error concerns `body`; an unknown field, a missing one or a value of the
/// wrong type or format concerns that field, by its path (`targets[0].value`).
pub fn body_error(err: &serde_path_to_error::Error<serde_json::Error>) -> (String, &'static str) {
    let inner = err.inner();
    let message = inner.to_string();
    // The name serde puts between backticks: `unknown field `status`, expected …`.
    let named = || message.split('`').nth(1).map(str::to_owned);
    let path = err.path().to_string();
    let under = |name: String| {
        if path == "." || path.is_empty() {
            name
        } else if path.ends_with(&name) {
            path.clone()
        } else {
            format!("{path}.{name}")
        }
    };
    match inner.classify() {
        serde_json::error::Category::Data if message.starts_with("unknown field") => (
            named().map_or_else(|| path.clone(), under),
            "api.body.unknown_field",
        ),
        serde_json::error::Category::Data if message.starts_with("missing field") => {
            (named().map_or_else(|| path.clone(), under), "form.required")
        }
        serde_json::error::Category::Data if path != "." && !path.is_empty() => {
            (path, "api.body.wrong_type")
        }
        serde_json::error::Category::Data => ("body".to_owned(), "api.body.wrong_type"),
        _ => ("body".to_owned(), "api.body.not_json"),
    }
}

/// Reads a JSON body under the API's rules: unknown fields are refused (every body type is
/// `deny_unknown_fields`), and any field that cannot be read is named in a 400
/// `{"error": {"message", "fields": {"<field>": "<message>"}}}` in the caller's language.
#[allow(clippy::result_large_err)]
pub fn parse_body<T: serde::de::DeserializeOwned>(
    state: &AppState,
    user: &CurrentUser,
    bytes: &[u8],
) -> Result<T, Response> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let refused = |field: &str, key: &str| {
        let mut errors = FieldErrors::default();
        errors.add(field, key);
        let mut response = invalid(state, user, &errors);
        *response.status_mut() = StatusCode::BAD_REQUEST;
        response
    };
    let value: T = serde_path_to_error::deserialize(&mut *de).map_err(|err| {
        let (field, key) = body_error(&err);
        refused(&field, key)
    })?;
    // Characters after the value are a syntax error too.
    de.end().map_err(|_| refused("body", "api.body.not_json"))?;
    Ok(value)
}

/// Notes a date outside the years people type (four digits: chrono also reads `+12345-01-01`).
pub fn check_dates(dates: &[(&str, Option<chrono::NaiveDate>)], errors: &mut FieldErrors) {
    for (field, date) in dates {
        if date.is_some_and(|d| !crate::web::format::four_digit_year(d)) {
            errors.add(field, "form.date");
        }
    }
}

/// Notes a count outside 0 to the largest any form accepts.
pub fn check_counts(counts: &[(&str, Option<i64>)], errors: &mut FieldErrors) {
    for (field, n) in counts {
        match n {
            Some(n) if *n < 0 => errors.add(field, "activity.error.negative"),
            Some(n) if *n > crate::activities::input::MAX_COUNT => {
                errors.add(field, "activity.error.too_big")
            }
            _ => {}
        }
    }
}
