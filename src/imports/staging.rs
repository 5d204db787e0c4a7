//! Uploads waiting for their commit, and the fingerprints of committed ones. A user has at
//! most one staged upload per kind (a new upload replaces it), and staged uploads nobody
//! committed are dropped after a day: the bytes of a file are kept no longer than needed.

use crate::entities::import;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

pub const STAGED: &str = "staged";
pub const COMMITTED: &str = "committed";

/// What is imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Kind {
    Activities,
    Stats,
    /// The official list of administrative units ([`super::units`]).
    Units,
    /// Accounts, invited by email (`rollout::people`).
    People,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Activities => "activities",
            Kind::Stats => "support_stats",
            Kind::Units => "org_units",
            Kind::People => "people",
        }
    }

    /// Where its pages live.
    pub fn base(self) -> &'static str {
        match self {
            Kind::Activities => "/activities/import",
            Kind::Stats => "/stats/import",
            Kind::Units => "/admin/org-units/import",
            Kind::People => "/rollout/people",
        }
    }

    /// The key under which a committed file's bytes are unique.
    pub fn file_key(self, sha256: &str) -> String {
        format!("{}:{sha256}", self.code())
    }

    pub fn content_key(self, sha256: &str) -> String {
        format!("{}:rows:{sha256}", self.code())
    }
}

/// A committed import of the same bytes, if any (committed rows hold no bytes: cheap to read).
pub async fn committed_file(
    db: &impl ConnectionTrait,
    kind: Kind,
    sha256: &str,
) -> Result<Option<import::Model>, DbErr> {
    import::Entity::find()
        .filter(import::Column::FileKey.eq(kind.file_key(sha256)))
        .one(db)
        .await
}

/// A committed import of the same rows, if any.
pub async fn committed_content(
    db: &impl ConnectionTrait,
    kind: Kind,
    sha256: &str,
) -> Result<Option<import::Model>, DbErr> {
    import::Entity::find()
        .filter(import::Column::ContentKey.eq(kind.content_key(sha256)))
        .one(db)
        .await
}

/// Stages an upload: drops the user's previous staged upload of this kind and every staged
/// upload older than a day, then keeps this one.
pub async fn stage(
    db: &impl ConnectionTrait,
    kind: Kind,
    user: &crate::auth::CurrentUser,
    file_name: &str,
    bytes: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<import::Model, DbErr> {
    import::Entity::delete_many()
        .filter(import::Column::Status.eq(STAGED))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(import::Column::UserId.eq(user.id))
                        .add(import::Column::Kind.eq(kind.code())),
                )
                .add(import::Column::CreatedAt.lt(now - Duration::days(1))),
        )
        .exec(db)
        .await?;
    let name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    import::ActiveModel {
        kind: Set(kind.code().to_owned()),
        user_id: Set(user.id),
        org_unit_id: Set(user.org_unit_id),
        file_name: Set(name),
        size: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
        file_sha256: Set(super::sha256_hex(&bytes)),
        status: Set(STAGED.to_owned()),
        content: Set(Some(bytes)),
        rows: Set(None),
        file_key: Set(None),
        content_key: Set(None),
        committed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The user's own import of this kind; anyone else's is not found.
pub async fn own(
    db: &impl ConnectionTrait,
    kind: Kind,
    user_id: i64,
    id: i64,
) -> Result<Option<import::Model>, DbErr> {
    import::Entity::find_by_id(id)
        .filter(import::Column::UserId.eq(user_id))
        .filter(import::Column::Kind.eq(kind.code()))
        .one(db)
        .await
}

/// Marks a staged import committed, inside the caller's transaction: its bytes dropped, its
/// fingerprints set (unique: a concurrent commit of the same file or rows fails here). False
/// when it was no longer staged.
pub async fn mark_committed(
    db: &impl ConnectionTrait,
    kind: Kind,
    staged: &import::Model,
    content_sha256: &str,
    rows: usize,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value(COMMITTED))
        .col_expr(
            import::Column::Content,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(
            import::Column::Rows,
            Expr::value(i32::try_from(rows).unwrap_or(i32::MAX)),
        )
        .col_expr(
            import::Column::FileKey,
            Expr::value(kind.file_key(&staged.file_sha256)),
        )
        .col_expr(
            import::Column::ContentKey,
            Expr::value(kind.content_key(content_sha256)),
        )
        .col_expr(import::Column::CommittedAt, Expr::value(now))
        .col_expr(import::Column::UpdatedAt, Expr::value(now))
        .filter(import::Column::Id.eq(staged.id))
        .filter(import::Column::Status.eq(STAGED))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Marks a staged import of the unit list applied, inside the caller's transaction: its bytes
/// dropped, and no fingerprint kept — the same list imported again is compared with the units
/// and changes nothing, rather than being refused. False when it was no longer staged.
pub async fn mark_applied(
    db: &impl ConnectionTrait,
    staged: &import::Model,
    rows: usize,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value(COMMITTED))
        .col_expr(
            import::Column::Content,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(
            import::Column::Rows,
            Expr::value(i32::try_from(rows).unwrap_or(i32::MAX)),
        )
        .col_expr(import::Column::CommittedAt, Expr::value(now))
        .col_expr(import::Column::UpdatedAt, Expr::value(now))
        .filter(import::Column::Id.eq(staged.id))
        .filter(import::Column::Status.eq(STAGED))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}
