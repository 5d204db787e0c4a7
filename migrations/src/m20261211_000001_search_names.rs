//! Issue 27: the administration lists search units and agencies by a stored folded name
//! (lowercase, without accents, đ = d: the app's `text::fold`), so that a search reads no
//! other text and folds nothing per row. The app fills the columns on every write; this
//! migration fills the rows that exist, with the same folding (`fold` below, kept equal to
//! `kehoach::text::fold` by a test of the app).

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261211_000001_search_names"
    }
}

/// Folded text: lowercase, accents removed, đ = d, runs of white space as one space.
pub fn fold(text: &str) -> String {
    let stripped: String = text
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            other => other,
        })
        .collect::<String>()
        .to_lowercase();
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn add_column(m: &SchemaManager<'_>, table: &str, column: &str) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table(a(table))
            .add_column(ColumnDef::new(a(column)).string().not_null().default(""))
            .to_owned(),
    )
    .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_column(m, "org_units", "search_name").await?;
        add_column(m, "agencies", "search_name").await?;
        add_column(m, "agencies", "search_short").await?;
        let db = m.get_connection();
        let backend = db.get_database_backend();
        let txn = db.begin().await?;
        let units = txn
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, name FROM org_units",
            ))
            .await?;
        for row in units {
            let id: i64 = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm_migration::sea_orm::DatabaseBackend::Postgres => {
                        "UPDATE org_units SET search_name = $1 WHERE id = $2"
                    }
                    _ => "UPDATE org_units SET search_name = ? WHERE id = ?",
                },
                [fold(&name).into(), id.into()],
            ))
            .await?;
        }
        let agencies = txn
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, name, short_name FROM agencies",
            ))
            .await?;
        for row in agencies {
            let id: i64 = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            let short: String = row.try_get("", "short_name")?;
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm_migration::sea_orm::DatabaseBackend::Postgres => {
                        "UPDATE agencies SET search_name = $1, search_short = $2 WHERE id = $3"
                    }
                    _ => "UPDATE agencies SET search_name = ?, search_short = ? WHERE id = ?",
                },
                [fold(&name).into(), fold(&short).into(), id.into()],
            ))
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            ("agencies", "search_short"),
            ("agencies", "search_name"),
            ("org_units", "search_name"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(a(table))
                    .drop_column(a(column))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
