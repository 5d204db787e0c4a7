//! A plan's content areas are its own items, marked with what each reports (communication,
//! victim support, training, inspection, coordination, other). The column that held one of seven
//! fixed area codes now holds that kind; the seven codes of the first plans map onto the kinds.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000001_area_kinds"
    }
}

const MAP: [(&str, &str); 7] = [
    ("awareness", "communication"),
    ("policy", "other"),
    ("services", "victim_support"),
    ("capacity", "training"),
    ("integration", "other"),
    ("inspection", "inspection"),
    ("coordination", "coordination"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for (old, new) in MAP {
            db.execute_unprepared(&format!(
                "UPDATE plan_items SET area_code = '{new}' WHERE area_code = '{old}'"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // The kinds do not say which of the two "other" areas an item was: nothing to undo.
        Ok(())
    }
}
