//! `/healthz` and `/api/v1/me`.

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

/// 200 when the database answers, 503 otherwise.
pub async fn get_healthz(State(state): State<AppState>) -> AppResult<Json<Value>> {
    state
        .db
        .execute_unprepared("SELECT 1")
        .await
        .map_err(AppError::Unavailable)?;
    Ok(Json(json!({ "status": "ok" })))
}

pub async fn get_me(user: CurrentUser) -> Json<Value> {
    Json(json!({
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "agency_id": user.agency_id,
        "org_unit_id": user.org_unit_id,
        "locale": user.locale,
    }))
}
