//! Opening the database. SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL comes
//! from a `postgres://` URL. The same migrations run on both.

use crate::config::Config;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    let url = config.database_url.expose();
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10));
    if config.is_sqlite() {
        opts.max_connections(config.db_pool_size.unwrap_or(1))
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
            });
    } else {
        opts.max_connections(config.db_pool_size.unwrap_or(10))
            .min_connections(0);
    }
    Database::connect(opts).await
}

/// Brings the schema up to date.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
