//! `org_units` rows.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "org_units")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    pub gso_code: Option<String>,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<i64>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub ethnic_minority: bool,
    pub border_area: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The name folded as searches fold words (`text::fold`), filled on every save.
    #[serde(skip)]
    pub search_name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    /// Every insert or update through the model refolds the stored search name, so it cannot
    /// go stale (bulk inserts set it with `search_name`).
    async fn before_save<C>(mut self, _db: &C, _insert: bool) -> Result<Self, DbErr>
    where
        C: ConnectionTrait,
    {
        if let Some(name) = self.name.try_as_ref() {
            self.search_name = sea_orm::Set(search_name(name));
        }
        Ok(self)
    }
}

/// The stored search name of a unit called `name`.
pub fn search_name(name: &str) -> String {
    crate::text::fold(name)
}
