//! `/account/api-tokens`: a user's keys for scripts that call `/api/v1` (`Authorization: Bearer
//! …`). A key acts as its owner, with the owner's role and scope. It is shown whole only in the
//! answer to its creation (the database keeps its SHA-256); revoking it refuses the very next
//! request that carries it, since every request looks the key up.

use crate::audit;
use crate::auth::{CurrentUser, users};
use crate::entities::api_token;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{FieldErrors, FormValues, RawForm};
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use minijinja::context;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::json;

/// Live keys one user may hold: one per script is plenty.
const MAX_LIVE_KEYS: u64 = 10;
/// Longest name, in characters.
const MAX_NAME_CHARS: usize = 80;

const PAGE: &str = "auth/api_tokens.html";
const SELF: &str = "/account/api-tokens";

async fn show(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    status: StatusCode,
    values: minijinja::Value,
    errors: FieldErrors,
    created: Option<String>,
) -> AppResult<Response> {
    let keys = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .order_by_desc(api_token::Column::CreatedAt)
        .order_by_desc(api_token::Column::Id)
        .all(&state.db)
        .await?;
    let api_url = format!("{}/api/v1", state.config.base_url.trim_end_matches('/'));
    let mut response = page.render_status(
        state,
        status,
        PAGE,
        context! {
            keys => keys,
            values => values,
            errors => errors,
            created => created,
            api_url => api_url,
        },
    )?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

pub async fn get_api_tokens(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
) -> AppResult<Response> {
    show(
        &state,
        &page,
        &user,
        StatusCode::OK,
        FormValues::empty(),
        FieldErrors::default(),
        None,
    )
    .await
}

/// Creates a key and shows it in the answer itself: it goes in no redirect, cookie or log.
pub async fn post_api_tokens(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let name = form.get("name").trim();
    if name.is_empty() {
        errors.add("name", "form.required");
    } else if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        errors.add("name", "api_tokens.error.name");
    }
    let live = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .count(&state.db)
        .await?;
    if live >= MAX_LIVE_KEYS {
        errors.add("name", "api_tokens.error.too_many");
    }
    if !errors.is_empty() {
        return show(
            &state,
            &page,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            FormValues::of(&form),
            errors,
            None,
        )
        .await;
    }
    let txn = state.db.begin().await?;
    let (_, secret) = users::insert_api_token(&txn, user.id, name, state.clock.now()).await?;
    txn.commit().await?;
    show(
        &state,
        &page,
        &user,
        StatusCode::CREATED,
        FormValues::empty(),
        FieldErrors::default(),
        Some(secret),
    )
    .await
}

/// Revokes one of the user's own keys; someone else's is not found.
pub async fn post_api_token_revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(token_id): Path<i64>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let key = api_token::Entity::find_by_id(token_id)
        .filter(api_token::Column::UserId.eq(user.id))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    // Guarded on "not yet revoked", so a double submit writes one audit row.
    let res = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(api_token::Column::UpdatedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(key.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected == 1 {
        audit::record(
            &txn,
            now,
            audit::Event {
                user_id: Some(user.id),
                action: "api_token:revoke",
                object_type: "api_token",
                object_id: Some(key.id),
                org_unit_id: None,
                change: json!({ "name": key.name }),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        SELF,
        "flash.api_token_revoked",
    ))
}
