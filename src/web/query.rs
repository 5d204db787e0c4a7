//! Query strings read under the API's rulebook: a value that cannot be read (`?page=abc`,
//! `?from=2024-13-45`, `?status=bogus`) is a 400 naming its field, in the caller's language —
//! `{"error": {"fields": {"from": "…"}}}` under `/api/`, a page naming the field elsewhere.
//!
//! [`Query`] replaces axum's extractor, whose rejection only says "bad request". The field path
//! comes from `serde_path_to_error`; a field type that checks its own text (see
//! [`date_text`]) puts the field's name between backticks in its error.

use crate::error::ErrorKind;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

/// The query string, deserialized; a value that cannot be read is refused naming its field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

/// A query-string field that could not be read, carried on the 400 response to the error
/// middleware, which translates it.
#[derive(Debug, Clone)]
pub struct QueryField {
    pub field: String,
    /// Translation key of the field's message.
    pub key: &'static str,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parse(parts.uri.query().unwrap_or_default())
            .map(Query)
            .map_err(refused)
    }
}

/// Reads a query string, naming the field that could not be read.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, QueryField> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let message = err.inner().to_string();
        let path = err.path().to_string();
        // A field checked by its own type, or a missing one, is named between backticks.
        let named = message.split('`').nth(1).filter(|n| !n.is_empty());
        let field = match named {
            Some(name) => name.to_owned(),
            None if path != "." && !path.is_empty() => path,
            None => "query".to_owned(),
        };
        let key = if message.starts_with("missing field") {
            "form.required"
        } else {
            "api.body.wrong_type"
        };
        QueryField { field, key }
    })
}

/// A 400 carrying the field, for the error middleware to render.
pub fn refused(field: QueryField) -> Response {
    let mut response = StatusCode::BAD_REQUEST.into_response();
    response.extensions_mut().insert(ErrorKind {
        status: StatusCode::BAD_REQUEST,
        message_key: "error.query_field",
        internal: None,
    });
    response.extensions_mut().insert(field);
    response
}

/// An optional date typed as text (`from`, `to`): empty is no date; anything else must be a
/// date the forms read, or the field named `field` is refused.
pub fn date_text<'de, D: Deserializer<'de>>(
    de: D,
    field: &str,
) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(de)?;
    match text.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() && crate::web::format::parse_date(t).is_none() => {
            Err(D::Error::custom(format!("not a date in `{field}`")))
        }
        _ => Ok(text),
    }
}

/// `from` as a [`date_text`].
pub fn from_date<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    date_text(de, "from")
}

/// `to` as a [`date_text`].
pub fn to_date<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    date_text(de, "to")
}

/// An optional text that must be one of `allowed` when not empty.
pub fn one_of<'de, D: Deserializer<'de>>(
    de: D,
    field: &str,
    allowed: &[&str],
) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(de)?;
    match text.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() && !allowed.contains(&t) => {
            Err(D::Error::custom(format!("unknown value in `{field}`")))
        }
        _ => Ok(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct Q {
        #[serde(default)]
        page: Option<u32>,
        #[serde(default, deserialize_with = "from_date")]
        from: Option<String>,
    }

    #[test]
    fn names_the_field_that_cannot_be_read() {
        assert_eq!(parse::<Q>("page=abc").unwrap_err().field, "page");
        assert_eq!(parse::<Q>("from=2024-13-45").unwrap_err().field, "from");
        assert_eq!(parse::<Q>("page=2&from=x").unwrap_err().field, "from");
        let q = parse::<Q>("page=2&from=2024-07-30").unwrap();
        assert_eq!((q.page, q.from.as_deref()), (Some(2), Some("2024-07-30")));
        assert!(parse::<Q>("from=").unwrap().from.is_some());
    }
}
