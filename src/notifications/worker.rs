//! The worker: claims due rows, sends them, and records the outcome. Delivery is at least once
//! and, in practice, exactly once: a row is claimed by one process (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL; on SQLite one guarded UPDATE, the database having a single writer), and only a
//! row whose claim outlived its lease — its process died mid-send — is claimed again.

use super::mailer::{self, Mailer};
use super::outbox::{FAILED, PENDING, SENDING, SENT};
use super::{render, schedule};
use crate::entities::outbox_email::{self, Column, Entity};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, Order, Query};
use sea_orm::{ColumnTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// How long a claim holds before the row is considered abandoned.
pub const LEASE: Duration = Duration::minutes(10);
/// After this many failed attempts an email is marked failed and shown to the admin.
pub const MAX_ATTEMPTS: i32 = 8;
const BATCH: u64 = 20;

/// 1, 2, 4, 8... minutes after the n-th failure, capped at an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 7) - 1;
    Duration::minutes((1_i64 << exp).min(60))
}

/// One pass: reminders due now are written, abandoned claims released, due rows sent.
/// Returns the number of emails sent.
pub async fn tick(state: &AppState, mailer: &Mailer) -> Result<usize, DbErr> {
    schedule::generate(&state.db, state.clock.now(), state.clock.today()).await?;
    drain(state, mailer).await
}

/// Sends every due row, batch by batch.
pub async fn drain(state: &AppState, mailer: &Mailer) -> Result<usize, DbErr> {
    let now = state.clock.now();
    release_abandoned(state, now).await?;
    let mut sent = 0;
    loop {
        let rows = claim(state, now).await?;
        if rows.is_empty() {
            return Ok(sent);
        }
        for row in rows {
            if deliver(state, mailer, &row, now).await? {
                sent += 1;
            }
        }
    }
}

async fn release_abandoned(state: &AppState, now: DateTime<Utc>) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(PENDING))
        .col_expr(Column::ClaimToken, Expr::value(Option::<String>::None))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Status.eq(SENDING))
        .filter(Column::ClaimedAt.lt(now - LEASE))
        .exec(&state.db)
        .await?;
    Ok(())
}

async fn claim(state: &AppState, now: DateTime<Utc>) -> Result<Vec<outbox_email::Model>, DbErr> {
    let token = crate::auth::tokens::random_token().map_err(|e| DbErr::Custom(e.to_string()))?;
    let mut due = Query::select();
    due.column(Column::Id)
        .from(Entity)
        .and_where(Column::Status.eq(PENDING))
        .and_where(Column::NextAttemptAt.lte(now))
        .order_by(Column::Id, Order::Asc)
        .limit(BATCH);
    if state.db.get_database_backend() == DatabaseBackend::Postgres {
        due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(SENDING))
        .col_expr(Column::ClaimToken, Expr::value(token.clone()))
        .col_expr(Column::ClaimedAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.in_subquery(due))
        .filter(Column::Status.eq(PENDING))
        .exec(&state.db)
        .await?;
    Entity::find()
        .filter(Column::ClaimToken.eq(token))
        .filter(Column::Status.eq(SENDING))
        .order_by_asc(Column::Id)
        .all(&state.db)
        .await
}

/// Sends one claimed row and records the outcome; true when it went out.
async fn deliver(
    state: &AppState,
    mailer: &Mailer,
    row: &outbox_email::Model,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let built = mailer::sender(&state.config).and_then(|from| {
        let r = render::render(&state.templates, row, &state.config.base_url)?;
        render::message(from, &row.recipient, r)
    });
    let outcome = match built {
        // A message that cannot be built never will be: no point retrying.
        Err(e) => Err((e, true)),
        Ok(message) => mailer.send(message).await.map_err(|e| (e, false)),
    };
    let attempts = row.attempts + 1;
    let mut update = Entity::update_many()
        .col_expr(Column::Attempts, Expr::value(attempts))
        .col_expr(Column::ClaimToken, Expr::value(Option::<String>::None))
        .col_expr(Column::UpdatedAt, Expr::value(now));
    let sent = outcome.is_ok();
    match outcome {
        Ok(()) => {
            update = update
                .col_expr(Column::Status, Expr::value(SENT))
                .col_expr(Column::SentAt, Expr::value(now))
                .col_expr(Column::LastError, Expr::value(Option::<String>::None));
            // A reset or invitation link is a credential: once delivered, the outbox keeps no
            // copy of it.
            if row.template == super::outbox::PASSWORD_RESET
                || row.template == super::outbox::INVITATION
            {
                update = update.col_expr(Column::Data, Expr::value("{}"));
            }
        }
        Err((error, permanent)) => {
            tracing::warn!(email = row.id, attempts, %error, "email not sent");
            let give_up = permanent || attempts >= MAX_ATTEMPTS;
            let status = if give_up { FAILED } else { PENDING };
            let error: String = error.chars().take(500).collect();
            update = update
                .col_expr(Column::Status, Expr::value(status))
                .col_expr(Column::NextAttemptAt, Expr::value(now + backoff(attempts)))
                .col_expr(Column::LastError, Expr::value(error));
        }
    }
    // Guarded by the claim: a row released and claimed again elsewhere is not overwritten.
    update
        .filter(Column::Id.eq(row.id))
        .filter(Column::ClaimToken.eq(row.claim_token.clone()))
        .exec(&state.db)
        .await?;
    Ok(sent)
}

/// The worker loop, inside `serve` or alone as `kehoach worker`.
pub fn spawn(state: AppState, mailer: Mailer) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick_every = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            tick_every.tick().await;
            if let Err(e) = tick(&state, &mailer).await {
                tracing::warn!(error = %e, "email worker pass failed");
            }
        }
    })
}
