//! Code lists: one table, many lists (activity types, target groups, funding sources,
//! indicators...). A code is retired, never deleted, so old rows keep their meaning.

use crate::entities::code;
use crate::web::i18n::Locale;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// The lists the app knows, in the order the admin page shows them.
pub const LISTS: &[&str] = &[
    "activity_type",
    "target_group",
    "funding_source",
    "material_kind",
    "language",
    "task_kind",
    "indicator",
    "trafficking_purpose",
    "support_type",
    "age_band",
    "sex",
    "return_manner",
    "trafficked_to",
    "referral_destination",
];

pub fn name(c: &code::Model, locale: Locale) -> &str {
    match locale {
        Locale::Vi => &c.name_vi,
        Locale::En => &c.name_en,
    }
}

pub async fn list(db: &impl ConnectionTrait, list: &str) -> Result<Vec<code::Model>, DbErr> {
    code::Entity::find()
        .filter(code::Column::List.eq(list))
        .order_by_asc(code::Column::Position)
        .order_by_asc(code::Column::Id)
        .all(db)
        .await
}

/// The codes of a list in force on `day` (a district budget is no funding source for 2026).
pub async fn list_on(
    db: &impl ConnectionTrait,
    list: &str,
    day: chrono::NaiveDate,
) -> Result<Vec<code::Model>, DbErr> {
    Ok(self::list(db, list)
        .await?
        .into_iter()
        .filter(|c| c.valid_from.is_none_or(|f| f <= day) && c.valid_to.is_none_or(|t| t >= day))
        .collect())
}

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<code::Model>, DbErr> {
    code::Entity::find()
        .order_by_asc(code::Column::List)
        .order_by_asc(code::Column::Position)
        .order_by_asc(code::Column::Id)
        .all(db)
        .await
}

/// The code with this id, if it belongs to `list`: how input that names a code is checked.
pub async fn in_list(
    db: &impl ConnectionTrait,
    id: i64,
    list: &str,
) -> Result<Option<code::Model>, DbErr> {
    Ok(code::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|c| c.list == list))
}
