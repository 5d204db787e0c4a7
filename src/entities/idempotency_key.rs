//! `idempotency_keys` rows: a client's key for one request and the answer it got.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub idem_key: String,
    pub method: String,
    pub path: String,
    pub fingerprint: String,
    /// The answer's status; `None` while the first request is being handled.
    pub status: Option<i32>,
    /// The answer's kept headers, as a JSON list of `[name, value]` pairs.
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
