//! Login throttling, per account and per address, counted from rows in the database so that it
//! holds across server processes. A successful login clears the account's failures.

use crate::entities::login_attempt;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set,
};

pub const WINDOW: Duration = Duration::minutes(15);
pub const MAX_FAILURES_PER_ACCOUNT: u64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: u64 = 30;

pub async fn is_blocked(
    db: &impl ConnectionTrait,
    email: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let since = now - WINDOW;
    let recent_failures = || {
        login_attempt::Entity::find()
            .filter(login_attempt::Column::Success.eq(false))
            .filter(login_attempt::Column::CreatedAt.gt(since))
    };
    let by_account = recent_failures()
        .filter(login_attempt::Column::Email.eq(email))
        .count(db)
        .await?;
    if by_account >= MAX_FAILURES_PER_ACCOUNT {
        return Ok(true);
    }
    let by_address = recent_failures()
        .filter(login_attempt::Column::Ip.eq(ip))
        .count(db)
        .await?;
    Ok(by_address >= MAX_FAILURES_PER_ADDRESS)
}

pub async fn record(
    db: &impl ConnectionTrait,
    email: &str,
    ip: &str,
    success: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if success {
        login_attempt::Entity::delete_many()
            .filter(login_attempt::Column::Email.eq(email))
            .exec(db)
            .await?;
    }
    login_attempt::ActiveModel {
        email: Set(email.to_owned()),
        ip: Set(ip.to_owned()),
        success: Set(success),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Old rows serve no purpose once out of the window; run periodically.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let res = login_attempt::Entity::delete_many()
        .filter(login_attempt::Column::CreatedAt.lt(now - WINDOW))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
