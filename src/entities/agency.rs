//! `agencies` rows.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "agencies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    pub org_unit_id: i64,
    pub name: String,
    pub short_name: String,
    pub kind: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The name and the short name folded as searches fold words (`text::fold`), filled on
    /// every save.
    #[serde(skip)]
    pub search_name: String,
    #[serde(skip)]
    pub search_short: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    /// Every insert or update through the model refolds the stored search names, so they
    /// cannot go stale (bulk inserts set them with `search_name`).
    async fn before_save<C>(mut self, _db: &C, _insert: bool) -> Result<Self, DbErr>
    where
        C: ConnectionTrait,
    {
        if let Some(name) = self.name.try_as_ref() {
            self.search_name = sea_orm::Set(crate::text::fold(name));
        }
        if let Some(short) = self.short_name.try_as_ref() {
            self.search_short = sea_orm::Set(crate::text::fold(short));
        }
        Ok(self)
    }
}

/// The stored search names (name, short name) of an agency.
pub fn search_names(name: &str, short_name: &str) -> (String, String) {
    (crate::text::fold(name), crate::text::fold(short_name))
}
