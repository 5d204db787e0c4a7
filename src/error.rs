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
    Internal(#[from] anyhow::Error),
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
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => AppError::Unavailable(err),
            DbErr::RecordNotFound(_) => AppError::NotFound,
            other => AppError::Internal(other.into()),
        }
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::OutOfScope => StatusCode::FORBIDDEN,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
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

pub type AppResult<T> = Result<T, AppError>;
