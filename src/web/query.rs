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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryField {
    pub field: String,
    /// Translation key of the field's message.
    pub key: String,
}

/// The message of a value that has the wrong type or format, or is not one of the choices.
pub const WRONG: &str = "api.body.wrong_type";

impl QueryField {
    pub fn new(field: &str, key: &str) -> QueryField {
        QueryField {
            field: field.to_owned(),
            key: key.to_owned(),
        }
    }

    /// The first field (in name order) of a filter form's messages, refused with its own
    /// message: for a handler that reads its filters as a form but answers a file, where no
    /// form can be shown again.
    pub fn of_errors(errors: &crate::web::forms::FieldErrors) -> QueryField {
        match errors.0.iter().next() {
            Some((field, key)) => QueryField::new(field, key),
            None => QueryField::wrong("query"),
        }
    }

    /// `field` holds a value that cannot be read or is not one of its choices.
    pub fn wrong(field: &str) -> QueryField {
        QueryField::new(field, WRONG)
    }
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
        QueryField {
            field,
            key: key.to_owned(),
        }
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

/// The text of a filter when it says something: trimmed, and `None` when empty (an empty
/// value is no filter).
pub fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Checks on a filter already read, for handlers whose choices are known only at run time
/// (the kinds of a list, the statuses of a page): each refuses the field it names.
pub fn check_one_of(value: Option<&str>, field: &str, allowed: &[&str]) -> Result<(), QueryField> {
    match given(value) {
        Some(v) if !allowed.contains(&v) => Err(QueryField::wrong(field)),
        _ => Ok(()),
    }
}

/// An id in a filter: a positive whole number when given.
pub fn check_id(value: Option<&str>, field: &str) -> Result<(), QueryField> {
    match given(value) {
        Some(v) if !v.parse::<i64>().is_ok_and(|n| n > 0) => Err(QueryField::wrong(field)),
        _ => Ok(()),
    }
}

/// A check-box filter: `1`, `on` or `true` when ticked, `0`, `off` or `false` when not.
pub fn check_flag(value: Option<&str>, field: &str) -> Result<(), QueryField> {
    check_one_of(value, field, &["1", "on", "true", "0", "off", "false"])
}

/// A month in a filter: `yyyy-mm` (a four-digit year) when given.
pub fn check_month(value: Option<&str>, field: &str) -> Result<(), QueryField> {
    match given(value) {
        Some(v) if parse_month(v).is_none() => Err(QueryField::wrong(field)),
        _ => Ok(()),
    }
}

/// The first day of the month `yyyy-mm`.
pub fn parse_month(text: &str) -> Option<chrono::NaiveDate> {
    let (y, m) = text.trim().split_once('-')?;
    if y.len() != 4 || m.is_empty() || m.len() > 2 {
        return None;
    }
    let (y, m) = (y.parse().ok()?, m.parse().ok()?);
    chrono::NaiveDate::from_ymd_opt(y, m, 1).filter(|d| crate::web::format::four_digit_year(*d))
}

/// A date in a filter, as the forms read them (`yyyy-mm-dd` or `dd/mm/yyyy`), when given.
pub fn check_date(value: Option<&str>, field: &str) -> Result<(), QueryField> {
    match given(value) {
        Some(v) if crate::web::format::parse_date(v).is_none() => Err(QueryField::wrong(field)),
        _ => Ok(()),
    }
}

/// Runs a check inside a `deserialize_with` function: the field is named in the error.
pub fn checked<'de, D: Deserializer<'de>>(
    de: D,
    check: impl FnOnce(Option<&str>) -> Result<(), QueryField>,
) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(de)?;
    match check(text.as_deref()) {
        Ok(()) => Ok(text),
        Err(f) => Err(D::Error::custom(format!("not readable in `{}`", f.field))),
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

    #[test]
    fn a_form_s_errors_name_their_first_field_with_its_message() {
        let mut errors = crate::web::forms::FieldErrors::default();
        errors.add("unit", "picker.no_match");
        errors.add("month", "stats.error.month");
        assert_eq!(
            QueryField::of_errors(&errors),
            QueryField::new("month", "stats.error.month")
        );
        let none = crate::web::forms::FieldErrors::default();
        assert_eq!(QueryField::of_errors(&none).field, "query");
    }

    #[test]
    fn checks_refuse_what_they_cannot_read_and_pass_empty_values() {
        assert_eq!(check_id(Some("12"), "kind"), Ok(()));
        assert_eq!(check_id(Some(" "), "kind"), Ok(()));
        assert_eq!(check_id(None, "kind"), Ok(()));
        for bad in ["abc", "-1", "0", "1.5", "99999999999999999999"] {
            assert_eq!(check_id(Some(bad), "kind"), Err(QueryField::wrong("kind")));
        }
        assert_eq!(check_one_of(Some("a"), "s", &["a", "b"]), Ok(()));
        assert_eq!(
            check_one_of(Some("c"), "s", &["a", "b"]).unwrap_err().field,
            "s"
        );
        assert_eq!(check_flag(Some("1"), "em"), Ok(()));
        assert!(check_flag(Some("yes"), "em").is_err());
        assert_eq!(
            parse_month("2024-07"),
            chrono::NaiveDate::from_ymd_opt(2024, 7, 1)
        );
        for bad in [
            "2024-13",
            "24-07",
            "2024",
            "2024-07-01",
            "x",
            "2024-0",
            "+2024-07",
        ] {
            assert!(check_month(Some(bad), "month").is_err(), "{bad}");
        }
        assert!(check_date(Some("2024-02-30"), "week").is_err());
        assert_eq!(check_date(Some("30/07/2024"), "week"), Ok(()));
    }
}
