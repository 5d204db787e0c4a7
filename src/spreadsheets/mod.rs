//! Spreadsheets out: the activity list, coordination tasks, support statistics and reporting
//! completeness as XLSX and CSV files, scoped to what the user may see and audited.

pub mod activities;
pub mod sheet;
pub mod tables;

use crate::audit;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file to download, never kept in shared caches.
pub fn attachment(content_type: &str, name: &str, body: Body) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// One audit row per export: who, what, with which selection.
pub async fn audit_export(
    state: &AppState,
    user: &CurrentUser,
    action: &str,
    object_type: &str,
    change: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        &state.db,
        state.clock.now(),
        audit::Event {
            user_id: Some(user.id),
            action,
            object_type,
            object_id: None,
            org_unit_id: Some(user.org_unit_id),
            change,
        },
    )
    .await?;
    Ok(())
}

pub fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("spreadsheet: {e}"))
}
