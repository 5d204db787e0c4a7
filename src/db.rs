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
    // Every connection is pinged as it leaves the pool, and one that fails is closed and
    // replaced there and then: after a database restart the connections it broke are weeded
    // out without failing a request, and the pool heals by itself.
    opts.sqlx_logging(false).test_before_acquire(true);
    if config.is_sqlite() {
        // One connection, so requests queue for it: they may wait as long as a write may wait
        // for SQLite's lock (the busy timeout below).
        opts.acquire_timeout(Duration::from_secs(10))
            .max_connections(config.db_pool_size.unwrap_or(1))
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    // 32 MB of page cache instead of the default 2 MB: the national dashboard
                    // reads a year of summary rows (several MB) on every view.
                    .pragma("cache_size", "-32768")
            });
    } else {
        // How long a request waits for a connection before it is answered 503. While the
        // server is down, sqlx keeps trying to connect (backing off) until this runs out: a
        // restart shorter than this only delays requests, a longer outage answers each one
        // within this bound instead of holding it. A PostgreSQL restart takes a second or two.
        // (sea-orm's `connect_timeout` sets this same sqlx setting, so it is not given apart.)
        opts.acquire_timeout(Duration::from_secs(5))
            .max_connections(config.db_pool_size.unwrap_or(10))
            .min_connections(0)
            // sqlx prepares every statement, and after five runs PostgreSQL may switch a
            // prepared statement to one generic plan: for the activity list (a scope of a
            // hundred units, a period, a status) that plan took 46 ms instead of 2 ms at
            // 100,000 activities. Planning each run with its values costs well under a
            // millisecond.
            .map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_custom_plan")]));
    }
    Database::connect(opts).await
}

/// Brings the schema up to date.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
