//! Forgotten password: a reset link by email. The page answers the same whether or not the
//! address has an account; the link is single use, expires within the hour, and is stored only
//! as the hash of its secret. A new password ends every session of the user.

use crate::auth::tokens;
use crate::auth::users::{self, UserError};
use crate::entities::{password_reset, user};
use crate::error::{AppError, AppResult};
use crate::notifications::outbox;
use crate::state::AppState;
use crate::web::forms::FieldErrors;
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use minijinja::context;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde::Deserialize;
use serde_json::json;

/// How long a link works.
pub const VALIDITY: Duration = Duration::minutes(60);
/// At most one link per account in this time, so the form cannot flood someone's inbox.
pub const COOLDOWN: Duration = Duration::minutes(5);

pub async fn get_forgot(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    page.render(
        &state,
        "auth/forgot.html",
        context! { email => "", sent => false, errors => FieldErrors::default() },
    )
}

#[derive(Deserialize, Default)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn post_forgot(
    State(state): State<AppState>,
    page: Page,
    Form(form): Form<ForgotForm>,
) -> AppResult<Response> {
    let email = users::normalize_email(&form.email);
    if !users::valid_email(&email) {
        let mut errors = FieldErrors::default();
        errors.add("email", "account.error.email_invalid");
        return page.render_status(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "auth/forgot.html",
            context! { email => &form.email, sent => false, errors => errors },
        );
    }
    request_reset(&state.db, &email, state.clock.now()).await?;
    // The same answer for every well-formed address: nobody learns who has an account.
    page.render(
        &state,
        "auth/forgot.html",
        context! { email => "", sent => true, errors => FieldErrors::default() },
    )
}

/// Writes a reset link and its email, in one transaction, for an active account with this
/// address; does nothing for an unknown address or within the cooldown of the last link.
pub async fn request_reset(
    db: &DatabaseConnection,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(found) = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .filter(user::Column::Active.eq(true))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let recent = password_reset::Entity::find()
        .filter(password_reset::Column::UserId.eq(found.id))
        .filter(password_reset::Column::CreatedAt.gt(now - COOLDOWN))
        .one(db)
        .await?;
    if recent.is_some() {
        return Ok(());
    }
    let secret = tokens::random_token()?;
    let txn = db.begin().await?;
    let row = password_reset::ActiveModel {
        user_id: Set(found.id),
        token_hash: Set(tokens::sha256_hex(&secret)),
        expires_at: Set(now + VALIDITY),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let data = json!({
        "minutes": VALIDITY.num_minutes(),
        "path": format!("/password/reset/{secret}"),
    });
    let key = format!("password-reset:{}", row.id);
    outbox::enqueue_for(&txn, &[found], outbox::PASSWORD_RESET, &data, &key, now).await?;
    txn.commit().await?;
    Ok(())
}

/// The reset row for a secret, if it is still usable.
async fn usable(
    db: &impl sea_orm::ConnectionTrait,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<password_reset::Model>, sea_orm::DbErr> {
    if secret.len() > 200 {
        return Ok(None);
    }
    password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(tokens::sha256_hex(secret)))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

fn invalid_link(state: &AppState, page: &Page) -> AppResult<Response> {
    page.render_status(
        state,
        StatusCode::BAD_REQUEST,
        "auth/reset.html",
        context! { valid => false, errors => FieldErrors::default() },
    )
}

pub async fn get_reset(
    State(state): State<AppState>,
    page: Page,
    Path(secret): Path<String>,
) -> AppResult<Response> {
    if usable(&state.db, &secret, state.clock.now())
        .await?
        .is_none()
    {
        return invalid_link(&state, &page);
    }
    page.render(
        &state,
        "auth/reset.html",
        context! { valid => true, secret => secret, errors => FieldErrors::default() },
    )
}

#[derive(Deserialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn post_reset(
    State(state): State<AppState>,
    page: Page,
    Path(secret): Path<String>,
    Form(form): Form<ResetForm>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let Some(reset) = usable(&state.db, &secret, now).await? else {
        return invalid_link(&state, &page);
    };
    let mut errors = FieldErrors::default();
    if form.new != form.confirm {
        errors.add("confirm", "account.error.password_mismatch");
    }
    let hash = match users::strong_hash(&form.new) {
        Ok(h) => Some(h),
        Err(UserError::WeakPassword) => {
            errors.add("new", "account.error.password_short");
            None
        }
        Err(e) => return Err(e.into()),
    };
    let Some(hash) = hash.filter(|_| errors.is_empty()) else {
        return page.render_status(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "auth/reset.html",
            context! { valid => true, secret => secret, errors => errors },
        );
    };
    let txn = state.db.begin().await?;
    // Single use: only the first of two concurrent submissions marks the link used.
    let claimed = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::Id.eq(reset.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        txn.rollback().await?;
        return invalid_link(&state, &page);
    }
    // Any other link still out for this account dies with it.
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::UserId.eq(reset.user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    users::apply_password(
        &txn,
        Some(reset.user_id),
        reset.user_id,
        hash,
        "user:reset_password",
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        "/login",
        "flash.password_reset",
    ))
}
