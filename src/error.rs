//! The one error type of the web layer.
//!
//! Handlers return `Result<_, AppError>`. Client errors (not found, forbidden, conflict, too
//! many requests...) carry no details; internal errors carry the cause, which is logged once by
//! the `render_errors` middleware and never shown. `IntoResponse` has no side effects: it only
//! marks the response with an [`ErrorKind`], and the middleware (which knows the locale and
//! whether the caller wants HTML or JSON) renders the page.
//!
//! Form validation is not an error here: a handler re-renders its form with a 422 itself, so
//! the user keeps what they typed.
//!
//! A database that cannot be reached (down, restarting, its connections cut mid-query) is
//! [`AppError::Unavailable`]: a 503 with `Retry-After`, not a 500, because the request was
//! sound and the same request will succeed once the database is back.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// The role may do this, but not to this object: it lies outside the user's scope or its
    /// state forbids it.
    #[error("out of scope")]
    OutOfScope,
    /// The role may not do this at all.
    #[error("forbidden")]
    Forbidden,
    /// No valid session: pages redirect to the login page, the API answers 401.
    #[error("unauthenticated")]
    Unauthenticated,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// A query-string value that cannot be read or is not one of its choices: a 400 naming
    /// the field (see `web::query`).
    #[error("bad query field: {}", .0.field)]
    Query(crate::web::query::QueryField),
    #[error("conflict")]
    Conflict,
    #[error("csrf token missing or wrong")]
    Csrf,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    TooManyRequests,
    #[error("database unavailable: {0}")]
    Unavailable(sea_orm::DbErr),
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// What went wrong, attached to the response for the error-rendering middleware.
#[derive(Clone, Debug)]
pub struct ErrorKind {
    pub status: StatusCode,
    /// Translation key of the message shown to the user.
    pub message_key: &'static str,
    /// The internal cause, for the log only.
    pub internal: Option<Arc<String>>,
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        use sea_orm::DbErr;
        match err {
            _ if is_connection_failure(&err) => AppError::Unavailable(err),
            DbErr::RecordNotFound(_) => AppError::NotFound,
            other => AppError::Internal(other.into()),
        }
    }
}

/// A database error carried in an `anyhow::Error` (the user-account functions return those)
/// is still told apart: a lost connection stays a 503.
impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        match err.downcast_ref::<sea_orm::DbErr>() {
            Some(db) if is_connection_failure(db) => AppError::Unavailable(db.clone()),
            _ => AppError::Internal(err),
        }
    }
}

/// Whether the database could not be reached, as opposed to refusing this query. Acquiring a
/// connection that times out or fails is one; so is a query whose connection broke under it
/// (an I/O error: the server restarted or the network dropped it) and a query the server
/// refused because it is shutting down or starting up. A malformed query, a constraint
/// violation or a decoding error is not: those are bugs, and stay 500s.
pub fn is_connection_failure(err: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match &**e {
                Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
                Sqlx::Database(db) => db.code().is_some_and(|c| unavailable_sqlstate(&c)),
                _ => false,
            }
        }
        _ => false,
    }
}

/// PostgreSQL's codes for "the server, not the query": class 08 (connection exception),
/// 57P01–57P05 (admin or crash shutdown, cannot connect now, database dropped, idle session
/// timeout) and 53300 (too many connections). Not 57014: a cancelled statement is this
/// query's fault. SQLite's codes are numbers and match none.
fn unavailable_sqlstate(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("57P") || code == "53300"
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::OutOfScope => StatusCode::FORBIDDEN,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::BadRequest(_) | AppError::Query(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict => StatusCode::CONFLICT,
            AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message_key(&self) -> &'static str {
        match self {
            AppError::NotFound => "error.not_found",
            AppError::Forbidden => "error.forbidden",
            AppError::OutOfScope => "error.out_of_scope",
            AppError::Unauthenticated => "error.unauthenticated",
            AppError::BadRequest(key) => key,
            AppError::Query(_) => "error.query_field",
            AppError::Conflict => "error.conflict",
            AppError::Csrf => "error.csrf",
            AppError::PayloadTooLarge => "error.too_large",
            AppError::TooManyRequests => "error.too_many_requests",
            AppError::Unavailable(_) => "error.unavailable",
            AppError::Internal(_) => "error.internal",
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Query(field) = self {
            return crate::web::query::refused(field);
        }
        let internal = match &self {
            AppError::Internal(e) => Some(Arc::new(format!("{e:#}"))),
            AppError::Unavailable(e) => Some(Arc::new(e.to_string())),
            _ => None,
        };
        let kind = ErrorKind {
            status: self.status(),
            message_key: self.message_key(),
            internal,
        };
        let mut response = kind.status.into_response();
        response.extensions_mut().insert(kind);
        response
    }
}

impl From<crate::web::query::QueryField> for AppError {
    fn from(field: crate::web::query::QueryField) -> Self {
        AppError::Query(field)
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};

    fn query(e: Sqlx) -> DbErr {
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
    }

    #[test]
    fn a_connection_cut_mid_query_is_unavailable() {
        let cut = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        assert!(matches!(
            AppError::from(query(Sqlx::Io(cut))),
            AppError::Unavailable(_)
        ));
        let exec = DbErr::Exec(RuntimeErr::SqlxError(Arc::new(Sqlx::PoolClosed)));
        assert_eq!(
            AppError::from(exec).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let acquire = DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout);
        assert_eq!(
            AppError::from(acquire).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn a_wrong_query_stays_an_internal_error() {
        for e in [
            query(Sqlx::ColumnNotFound("n".into())),
            query(Sqlx::Protocol("unexpected message".into())),
            DbErr::Query(RuntimeErr::Internal("bad".into())),
            DbErr::Custom("bad".into()),
        ] {
            assert_eq!(
                AppError::from(e).status(),
                StatusCode::INTERNAL_SERVER_ERROR
            );
        }
    }

    #[test]
    fn a_lost_connection_inside_anyhow_is_still_unavailable() {
        let cut = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let wrapped = anyhow::Error::from(query(Sqlx::Io(cut)));
        assert!(matches!(AppError::from(wrapped), AppError::Unavailable(_)));
        let other = anyhow::anyhow!("a template failed");
        assert!(matches!(AppError::from(other), AppError::Internal(_)));
    }

    #[test]
    fn server_side_codes_are_told_from_query_codes() {
        for code in ["57P01", "57P02", "57P03", "08006", "08003", "53300"] {
            assert!(unavailable_sqlstate(code), "{code}");
        }
        for code in ["23505", "42P01", "40001", "57014", "5", "2067"] {
            assert!(!unavailable_sqlstate(code), "{code}");
        }
    }
}
