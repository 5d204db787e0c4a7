//! Creating users and changing passwords: the rules shared by the CLI, the admin pages and
//! the account page.

use crate::audit;
use crate::auth::permissions::Role;
use crate::auth::{password, session, tokens};
use crate::entities::{agency, api_token, user};
use crate::web::i18n::Locale;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, Set, TransactionTrait,
};
use serde_json::json;

pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub agency_id: i64,
    pub locale: Locale,
    pub password: String,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("email is not valid")]
    BadEmail,
    #[error("email is already used")]
    EmailTaken,
    #[error("password too short")]
    WeakPassword,
    #[error("unknown agency")]
    UnknownAgency,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for UserError {
    fn from(e: sea_orm::DbErr) -> Self {
        UserError::Other(e.into())
    }
}

/// A user error that reaches a handler's `?`: the form errors are the handler's to show, so
/// what gets here is a failure — a database one keeps its 503.
impl From<UserError> for crate::error::AppError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Other(e) => e.into(),
            e => crate::error::AppError::Internal(anyhow::anyhow!("{e}")),
        }
    }
}

impl UserError {
    /// The form field and translation key a form shows for this error.
    pub fn field_message(&self) -> Option<(&'static str, &'static str)> {
        match self {
            UserError::BadEmail => Some(("email", "account.error.email_invalid")),
            UserError::EmailTaken => Some(("email", "account.error.email_taken")),
            UserError::WeakPassword => Some(("password", "account.error.password_short")),
            UserError::UnknownAgency => Some(("agency_id", "account.error.agency_unknown")),
            UserError::Other(_) => None,
        }
    }
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;:\"".contains(c))
}

pub async fn create(
    db: &DatabaseConnection,
    actor: Option<i64>,
    new: NewUser,
    now: DateTime<Utc>,
) -> Result<user::Model, UserError> {
    let email = normalize_email(&new.email);
    if !valid_email(&email) {
        return Err(UserError::BadEmail);
    }
    if new.password.chars().count() < password::MIN_LENGTH {
        return Err(UserError::WeakPassword);
    }
    let agency = agency::Entity::find_by_id(new.agency_id).one(db).await?;
    let Some(agency) = agency else {
        return Err(UserError::UnknownAgency);
    };
    let hash = password::hash(&new.password)?;
    let txn = db.begin().await?;
    let taken = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&txn)
        .await?;
    if taken.is_some() {
        return Err(UserError::EmailTaken);
    }
    let display_name = if new.display_name.trim().is_empty() {
        email.clone()
    } else {
        new.display_name.trim().to_owned()
    };
    let created = user::ActiveModel {
        email: Set(email),
        display_name: Set(display_name),
        password_hash: Set(hash),
        role: Set(new.role.code().to_owned()),
        agency_id: Set(agency.id),
        locale: Set(new.locale.code().to_owned()),
        active: Set(true),
        password_changed_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: actor,
            action: "user:create",
            object_type: "user",
            object_id: Some(created.id),
            org_unit_id: Some(agency.org_unit_id),
            change: json!({ "email": created.email, "role": created.role, "agency_id": agency.id }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Sets a new password and ends every session of the user.
pub async fn set_password(
    db: &DatabaseConnection,
    actor: Option<i64>,
    user_id: i64,
    new_password: &str,
    now: DateTime<Utc>,
) -> Result<(), UserError> {
    let hash = strong_hash(new_password)?;
    let txn = db.begin().await?;
    apply_password(&txn, actor, user_id, hash, "user:set_password", now).await?;
    txn.commit().await?;
    Ok(())
}

/// The hash of a new password, once it is long enough.
pub fn strong_hash(new_password: &str) -> Result<String, UserError> {
    if new_password.chars().count() < password::MIN_LENGTH {
        return Err(UserError::WeakPassword);
    }
    Ok(password::hash(new_password)?)
}

/// Stores a password hash in the caller's transaction, ends every session of the user and
/// records `action` in the audit log.
pub async fn apply_password(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    user_id: i64,
    hash: String,
    action: &'static str,
    now: DateTime<Utc>,
) -> Result<(), UserError> {
    let Some(found) = user::Entity::find_by_id(user_id).one(txn).await? else {
        return Err(UserError::Other(anyhow::anyhow!(
            "user {user_id} not found"
        )));
    };
    let mut active: user::ActiveModel = found.into();
    active.password_hash = Set(hash);
    active.password_changed_at = Set(now);
    active.updated_at = Set(now);
    active.update(txn).await?;
    session::destroy_all_for_user(txn, user_id).await?;
    audit::record(
        txn,
        now,
        audit::Event {
            user_id: actor,
            action,
            object_type: "user",
            object_id: Some(user_id),
            org_unit_id: None,
            change: json!({}),
        },
    )
    .await?;
    Ok(())
}

/// Issues a new API token; the secret is returned once and only its hash is kept.
pub async fn issue_api_token(
    db: &DatabaseConnection,
    user_id: i64,
    name: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let txn = db.begin().await?;
    let (_, secret) = insert_api_token(&txn, user_id, name, now).await?;
    txn.commit().await?;
    Ok(secret)
}

/// Writes a new API token and its audit row in the caller's transaction; returns the row and
/// the secret, which exists nowhere else.
pub async fn insert_api_token(
    txn: &DatabaseTransaction,
    user_id: i64,
    name: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<(api_token::Model, String)> {
    let secret = format!("kh_{}", tokens::random_token()?);
    let token = api_token::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.to_owned()),
        token_hash: Set(tokens::sha256_hex(&secret)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        now,
        audit::Event {
            user_id: Some(user_id),
            action: "api_token:create",
            object_type: "api_token",
            object_id: Some(token.id),
            org_unit_id: None,
            change: json!({ "name": name }),
        },
    )
    .await?;
    Ok((token, secret))
}
