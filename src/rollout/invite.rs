//! Invitations: each account made by an import gets an email with a single-use link to set its
//! password, valid for [`VALIDITY`]; nobody's password travels in a file or an email. The
//! secret is stored only as its hash (as a password reset's is). A link used once, expired,
//! replaced by a newer one or for a deactivated account is refused with a plain page, and
//! nothing changes. An invitation may be sent again while the account has never signed in.

use crate::auth::CurrentUser;
use crate::auth::tokens;
use crate::auth::users::{self, UserError};
use crate::entities::{agency, invitation, user, user_sign_in};
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
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde::Deserialize;
use serde_json::json;

/// How long an invitation link works.
pub const VALIDITY: Duration = Duration::days(7);

/// The password hash of an invited account until it sets its own: no password verifies
/// against it (it is not a hash at all).
pub const NO_PASSWORD: &str = "!invited";

/// Writes an invitation and its email, in the caller's transaction; any earlier invitation
/// of the account still out stops working.
pub async fn send(
    db: &impl ConnectionTrait,
    u: &user::Model,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    invitation::Entity::update_many()
        .col_expr(invitation::Column::UsedAt, Expr::value(now))
        .col_expr(invitation::Column::UpdatedAt, Expr::value(now))
        .filter(invitation::Column::UserId.eq(u.id))
        .filter(invitation::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    let secret = tokens::random_token().map_err(|e| DbErr::Custom(e.to_string()))?;
    let row = invitation::ActiveModel {
        user_id: Set(u.id),
        token_hash: Set(tokens::sha256_hex(&secret)),
        expires_at: Set(now + VALIDITY),
        used_at: Set(None),
        created_by: Set(actor),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let data = json!({
        "days": VALIDITY.num_days(),
        "name": u.display_name,
        "email": u.email,
        "path": format!("/invite/{secret}"),
    });
    let key = format!("invitation:{}", row.id);
    outbox::enqueue_for(
        db,
        std::slice::from_ref(u),
        outbox::INVITATION,
        &data,
        &key,
        now,
    )
    .await
}

/// Why a link does not work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refused {
    Unknown,
    Used,
    Expired,
    Inactive,
}

impl Refused {
    fn key(self) -> &'static str {
        match self {
            Refused::Unknown => "rollout.invite.unknown",
            Refused::Used => "rollout.invite.used",
            Refused::Expired => "rollout.invite.expired",
            Refused::Inactive => "rollout.invite.inactive",
        }
    }
}

/// The invitation of a secret and its account, if the link still works.
async fn usable(
    db: &impl ConnectionTrait,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Result<(invitation::Model, user::Model), Refused>, DbErr> {
    if secret.len() > 200 {
        return Ok(Err(Refused::Unknown));
    }
    let Some(inv) = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(tokens::sha256_hex(secret)))
        .one(db)
        .await?
    else {
        return Ok(Err(Refused::Unknown));
    };
    if inv.used_at.is_some() {
        return Ok(Err(Refused::Used));
    }
    if inv.expires_at <= now {
        return Ok(Err(Refused::Expired));
    }
    match user::Entity::find_by_id(inv.user_id).one(db).await? {
        Some(u) if u.active => Ok(Ok((inv, u))),
        _ => Ok(Err(Refused::Inactive)),
    }
}

fn refused(state: &AppState, page: &Page, why: Refused) -> AppResult<Response> {
    page.render_status(
        state,
        StatusCode::BAD_REQUEST,
        "rollout/invite.html",
        context! { valid => false, reason => why.key(), errors => FieldErrors::default() },
    )
}

fn form(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    secret: &str,
    u: &user::Model,
    errors: FieldErrors,
) -> AppResult<Response> {
    page.render_status(
        state,
        status,
        "rollout/invite.html",
        context! {
            valid => true, secret => secret, email => u.email, name => u.display_name,
            errors => errors,
        },
    )
}

/// `GET /invite/{token}`.
pub async fn get_invite(
    State(state): State<AppState>,
    page: Page,
    Path(secret): Path<String>,
) -> AppResult<Response> {
    match usable(&state.db, &secret, state.clock.now()).await? {
        Ok((_, u)) => form(
            &state,
            &page,
            StatusCode::OK,
            &secret,
            &u,
            FieldErrors::default(),
        ),
        Err(why) => refused(&state, &page, why),
    }
}

#[derive(Deserialize, Default)]
pub struct AcceptForm {
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /invite/{token}` (form: `new`, `confirm`): sets the password and closes the link.
pub async fn post_invite(
    State(state): State<AppState>,
    page: Page,
    Path(secret): Path<String>,
    Form(input): Form<AcceptForm>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let (inv, u) = match usable(&state.db, &secret, now).await? {
        Ok(found) => found,
        Err(why) => return refused(&state, &page, why),
    };
    let mut errors = FieldErrors::default();
    if input.new != input.confirm {
        errors.add("confirm", "account.error.password_mismatch");
    }
    let hash = match users::strong_hash(&input.new) {
        Ok(h) => Some(h),
        Err(UserError::WeakPassword) => {
            errors.add("new", "account.error.password_short");
            None
        }
        Err(e) => return Err(e.into()),
    };
    let Some(hash) = hash.filter(|_| errors.is_empty()) else {
        return form(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &secret,
            &u,
            errors,
        );
    };
    let txn = state.db.begin().await?;
    // Single use: only the first of two concurrent submissions claims the link.
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::UsedAt, Expr::value(now))
        .col_expr(invitation::Column::UpdatedAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(inv.id))
        .filter(invitation::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        txn.rollback().await?;
        return refused(&state, &page, Refused::Used);
    }
    users::apply_password(&txn, Some(u.id), u.id, hash, "user:accept_invitation", now).await?;
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        "/login",
        "rollout.invite.done",
    ))
}

/// `POST /rollout/people/{user_id}/invite`: sends a new invitation (the old link stops
/// working) to an active account in the user's scope that has never signed in.
pub async fn post_resend(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(user_id): Path<i64>,
) -> AppResult<Response> {
    let found = user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let unit = agency::Entity::find_by_id(found.agency_id)
        .one(&state.db)
        .await?
        .map(|a| a.org_unit_id)
        .ok_or(AppError::NotFound)?;
    if !super::scope(&state, &user).await?.contains(unit) {
        return Err(AppError::OutOfScope);
    }
    let signed_in = user_sign_in::Entity::find()
        .filter(user_sign_in::Column::UserId.eq(found.id))
        .one(&state.db)
        .await?
        .is_some();
    if !found.active || signed_in {
        return Err(AppError::BadRequest("rollout.invite.not_pending"));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    send(&txn, &found, Some(user.id), now).await?;
    crate::audit::record(
        &txn,
        now,
        crate::audit::Event {
            user_id: Some(user.id),
            action: "user:invite",
            object_type: "user",
            object_id: Some(found.id),
            org_unit_id: Some(unit),
            change: json!({ "email": found.email }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        &format!("/rollout/ready?unit={unit}"),
        "rollout.invite.sent",
    ))
}
