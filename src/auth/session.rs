//! Database-backed sessions, shared by every server process.
//!
//! The cookie holds a random token; the row is keyed by its SHA-256. A session ends after
//! `IDLE` without a request or `ABSOLUTE` after login, whichever comes first. Login always
//! creates a new session (the old one is deleted), so a planted session id is useless.
//! Written here rather than with tower-sessions: the row needs the user id (to end every session
//! of a deactivated user) and the CSRF token, and no released store supports sqlx 0.9.

use crate::auth::tokens;
use crate::entities::session;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
};

pub const COOKIE: &str = "kehoach_session";
pub const IDLE: Duration = Duration::hours(4);
pub const ABSOLUTE: Duration = Duration::hours(12);
/// `last_seen_at` is written at most this often, so that reads stay reads.
const TOUCH_EVERY: Duration = Duration::minutes(1);

pub struct NewSession {
    /// The cookie value; shown once, never stored.
    pub token: String,
    pub csrf_token: String,
}

pub struct LiveSession {
    pub id: String,
    pub user_id: i64,
    pub csrf_token: String,
}

pub async fn create(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<NewSession> {
    let token = tokens::random_token()?;
    let csrf_token = tokens::random_token()?;
    session::ActiveModel {
        id: Set(tokens::sha256_hex(&token)),
        user_id: Set(user_id),
        csrf_token: Set(csrf_token.clone()),
        last_seen_at: Set(now),
        expires_at: Set(now + ABSOLUTE),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(NewSession { token, csrf_token })
}

/// The live session behind a cookie value, touching it when due. Expired rows are deleted.
pub async fn load(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<LiveSession>, sea_orm::DbErr> {
    let id = tokens::sha256_hex(token);
    let Some(row) = session::Entity::find_by_id(id.clone()).one(db).await? else {
        return Ok(None);
    };
    if row.expires_at <= now || row.last_seen_at + IDLE <= now {
        session::Entity::delete_by_id(id).exec(db).await?;
        return Ok(None);
    }
    if row.last_seen_at + TOUCH_EVERY <= now {
        let mut active: session::ActiveModel = row.clone().into();
        active.last_seen_at = Set(now);
        active.updated_at = Set(now);
        active.update(db).await?;
    }
    Ok(Some(LiveSession {
        id: row.id,
        user_id: row.user_id,
        csrf_token: row.csrf_token,
    }))
}

pub async fn destroy(db: &impl ConnectionTrait, id: &str) -> Result<(), sea_orm::DbErr> {
    session::Entity::delete_by_id(id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of a user (deactivation, password reset).
pub async fn destroy_all_for_user(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<(), sea_orm::DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes expired rows; run periodically by the server.
pub async fn purge_expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let res = session::Entity::delete_many()
        .filter(
            Condition::any()
                .add(session::Column::ExpiresAt.lte(now))
                .add(session::Column::LastSeenAt.lte(now - IDLE)),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
