//! Backups: a consistent copy of the database in one file, the check of such a file, and the
//! restore of a SQLite copy.
//!
//! SQLite is copied with `VACUUM INTO` through an ordinary connection: it reads inside one
//! transaction, so the copy is the database as it stood at one instant even while the server
//! writes, and it is compacted and free of WAL files. PostgreSQL is copied by `pg_dump
//! --format=custom` (itself one snapshot) and restored by `pg_restore`, as the README describes;
//! `kehoach` only runs `pg_dump` and checks archives, it never drops a PostgreSQL database.
//!
//! Restore rules (SQLite): the backup must pass the same check as `backup --check` (integrity,
//! a migrations table, no migration this binary does not know); an existing database is
//! replaced only with `--force`, and is first copied aside (`<file>.before-restore-<time>`); the
//! old WAL files are removed so they cannot be replayed onto the restored file. The server must
//! be stopped: a running server would keep writing into the file it had open.

use anyhow::{Context, bail, ensure};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::sqlx::{self, Connection, SqliteConnection};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What a database URL names.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Target {
    pub fn of_url(url: &str) -> anyhow::Result<Target> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_owned()));
        }
        let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        else {
            bail!("unsupported database URL: use sqlite://FILE or postgres://…");
        };
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            bail!("an in-memory SQLite database has nothing to back up or restore");
        }
        Ok(Target::Sqlite(PathBuf::from(path)))
    }
}

/// What the check of a backup file found.
#[derive(Debug)]
pub struct Checked {
    pub kind: &'static str,
    /// Migrations recorded in the backup (SQLite; an archive is not read that far).
    pub migrations: usize,
    /// Migrations of this binary the backup does not have yet (run at the next start).
    pub pending: Vec<String>,
    /// Tables (SQLite) or archive entries (pg_dump).
    pub objects: usize,
}

impl std::fmt::Display for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.kind == "pg_dump" {
            return write!(
                f,
                "pg_dump archive: {} entries, the migrations table among them",
                self.objects
            );
        }
        write!(
            f,
            "sqlite: {} migrations, {} tables",
            self.migrations, self.objects
        )?;
        if !self.pending.is_empty() {
            write!(
                f,
                "; {} newer migrations will run at the next start",
                self.pending.len()
            )?;
        }
        Ok(())
    }
}

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const PG_DUMP_MAGIC: &[u8] = b"PGDMP";

/// Writes a backup of the database at `url` to `out`, which must not exist, then checks it.
pub async fn backup(url: &str, out: &Path) -> anyhow::Result<Checked> {
    ensure!(
        !out.exists(),
        "{} exists already: a backup never overwrites a file, choose a new name",
        out.display()
    );
    match Target::of_url(url)? {
        Target::Sqlite(path) => {
            ensure!(path.is_file(), "no SQLite database at {}", path.display());
            let mut conn = open(&path).await?;
            migrations_in(&mut conn)
                .await
                .with_context(|| format!("{} is not a kehoach database", path.display()))?;
            vacuum_into(&mut conn, out).await?;
            conn.close().await?;
            check(out).await
        }
        Target::Postgres(url) => {
            let mut cmd = Command::new("pg_dump");
            cmd.arg("--format=custom")
                .arg("--file")
                .arg(out)
                .arg("--dbname")
                .arg(&url);
            // A URL that pins one schema (several apps, or tests, in one database) dumps that
            // schema only.
            if let Some(schema) = search_path_of(&url) {
                cmd.arg("--schema").arg(schema);
            }
            let status = match cmd.status() {
                Ok(s) => s,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                    "pg_dump is not on PATH. Install the PostgreSQL client tools, or run where \
                     they are: pg_dump --format=custom --file={} --dbname=\"$KEHOACH_DATABASE_URL\"",
                    out.display()
                ),
                Err(e) => return Err(e).context("running pg_dump"),
            };
            ensure!(status.success(), "pg_dump failed ({status})");
            owner_only(out)?;
            check(out).await
        }
    }
}

/// Checks a backup file: a SQLite copy (integrity, migrations known to this binary) or a
/// pg_dump custom-format archive (`pg_restore --list` reads it and it holds the migrations
/// table).
pub async fn check(file: &Path) -> anyhow::Result<Checked> {
    let mut head = [0u8; 16];
    {
        use std::io::Read;
        let mut f =
            std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        let n = f.read(&mut head)?;
        ensure!(n > 0, "{} is empty", file.display());
    }
    if head.starts_with(SQLITE_MAGIC) {
        check_sqlite(file).await
    } else if head.starts_with(PG_DUMP_MAGIC) {
        check_pg_dump(file)
    } else {
        bail!(
            "{} is neither a SQLite database nor a pg_dump custom-format archive",
            file.display()
        )
    }
}

async fn check_sqlite(file: &Path) -> anyhow::Result<Checked> {
    // Immutable: nobody writes a backup, and the check must not create -wal/-shm files beside it.
    let opts = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .immutable(true);
    let mut conn = SqliteConnection::connect_with(&opts)
        .await
        .with_context(|| format!("opening {}", file.display()))?;
    let problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .context("integrity check")?;
    ensure!(
        problems == ["ok"],
        "integrity check failed: {}",
        problems.join("; ")
    );
    let applied = migrations_in(&mut conn).await?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    let pending = known_migrations(&applied)?;
    Ok(Checked {
        kind: "sqlite",
        migrations: applied.len(),
        pending,
        objects: usize::try_from(tables).unwrap_or_default(),
    })
}

fn check_pg_dump(file: &Path) -> anyhow::Result<Checked> {
    let output = match Command::new("pg_restore").arg("--list").arg(file).output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("pg_restore is not on PATH: install the PostgreSQL client tools to check it")
        }
        Err(e) => return Err(e).context("running pg_restore"),
    };
    ensure!(
        output.status.success(),
        "pg_restore cannot read {}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr).trim()
    );
    let list = String::from_utf8_lossy(&output.stdout);
    let entries: Vec<&str> = list
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .collect();
    ensure!(
        entries
            .iter()
            .any(|l| l.contains("TABLE DATA") && l.contains("seaql_migrations")),
        "{} holds no migrations table: not a kehoach database",
        file.display()
    );
    // The archive's rows are not readable without restoring them; what it holds is checked
    // when the server starts on the restored database.
    Ok(Checked {
        kind: "pg_dump",
        migrations: 0,
        pending: Vec::new(),
        objects: entries.len(),
    })
}

/// Replaces the SQLite database at `url` with the backup `from`, after checking it.
pub async fn restore(url: &str, from: &Path, force: bool) -> anyhow::Result<Checked> {
    let path = match Target::of_url(url)? {
        Target::Sqlite(path) => path,
        Target::Postgres(_) => bail!(
            "kehoach does not restore PostgreSQL itself: create an empty database and run \
             pg_restore --no-owner --dbname=NEW_DATABASE_URL {} (see the README, Backups)",
            from.display()
        ),
    };
    let checked = check(from).await?;
    ensure!(
        checked.kind == "sqlite",
        "{} is a pg_dump archive: restore it with pg_restore into PostgreSQL",
        from.display()
    );
    if path.exists() {
        ensure!(
            std::fs::canonicalize(&path)? != std::fs::canonicalize(from)?,
            "the backup is the database itself"
        );
    }
    let occupied = std::fs::metadata(&path).is_ok_and(|m| m.len() > 0);
    if occupied {
        ensure!(
            force,
            "{} exists: restoring replaces it. Stop the server, then run again with --force \
             (the current database is first copied beside it)",
            path.display()
        );
        let aside = aside_name(&path);
        let mut conn = open(&path).await?;
        vacuum_into(&mut conn, &aside).await?;
        conn.close().await?;
        println!("current database copied to {}", aside.display());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .context("the database URL names no file")?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(".{file_name}.restoring"));
    std::fs::copy(from, &tmp).with_context(|| format!("copying to {}", tmp.display()))?;
    std::fs::File::open(&tmp)?.sync_all()?;
    // WAL frames of the old database would be replayed onto the restored file.
    for suffix in ["-wal", "-shm", "-journal"] {
        let side = dir.join(format!("{file_name}{suffix}"));
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
        }
    }
    std::fs::rename(&tmp, &path).with_context(|| format!("replacing {}", path.display()))?;
    std::fs::File::open(&dir)?.sync_all()?;
    check_sqlite(&path).await
}

/// `kehoach.db` → `kehoach.db.before-restore-20240620T090000`.
fn aside_name(path: &Path) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".before-restore-{stamp}"));
    PathBuf::from(name)
}

async fn open(path: &Path) -> anyhow::Result<SqliteConnection> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30));
    SqliteConnection::connect_with(&opts)
        .await
        .with_context(|| format!("opening {}", path.display()))
}

/// One consistent, compacted copy, written and then flushed to disk.
async fn vacuum_into(conn: &mut SqliteConnection, out: &Path) -> anyhow::Result<()> {
    let target = out.to_str().context("the backup path is not valid UTF-8")?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut *conn)
        .await
        .with_context(|| format!("writing {}", out.display()))?;
    owner_only(out)?;
    std::fs::File::open(out)?.sync_all()?;
    Ok(())
}

/// A backup holds password hashes and sessions: readable by its owner only.
fn owner_only(file: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", file.display()))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// The migrations recorded in a SQLite database.
async fn migrations_in(conn: &mut SqliteConnection) -> anyhow::Result<BTreeSet<String>> {
    let applied: Vec<String> = sqlx::query_scalar("SELECT version FROM seaql_migrations")
        .fetch_all(&mut *conn)
        .await
        .context("no migrations table (seaql_migrations): not a kehoach database")?;
    Ok(applied.into_iter().collect())
}

/// Refuses migrations this binary does not know (a backup from a newer version); returns the
/// known ones the backup does not have yet.
fn known_migrations(applied: &BTreeSet<String>) -> anyhow::Result<Vec<String>> {
    let known: BTreeSet<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let unknown: Vec<&String> = applied.difference(&known).collect();
    ensure!(
        unknown.is_empty(),
        "the backup was made by a newer kehoach (unknown migrations: {unknown:?}); restore it \
         with that version"
    );
    Ok(known.difference(applied).cloned().collect())
}

/// The schema a PostgreSQL URL pins with `options=-c search_path=…`, if any.
fn search_path_of(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    pairs
        .iter()
        .filter(|(k, _)| k == "options")
        .flat_map(|(_, v)| v.split_whitespace())
        .find_map(|opt| opt.strip_prefix("search_path=").map(str::to_owned))
        .filter(|s| !s.is_empty() && !s.contains(','))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_file_or_a_server() {
        assert_eq!(
            Target::of_url("sqlite://kehoach.db?mode=rwc").unwrap(),
            Target::Sqlite("kehoach.db".into())
        );
        assert_eq!(
            Target::of_url("sqlite:///var/lib/kehoach/k.db").unwrap(),
            Target::Sqlite("/var/lib/kehoach/k.db".into())
        );
        assert!(Target::of_url("sqlite::memory:").is_err());
        assert!(matches!(
            Target::of_url("postgres://u@h/db").unwrap(),
            Target::Postgres(_)
        ));
        assert!(Target::of_url("mysql://u@h/db").is_err());
    }

    #[test]
    fn a_pinned_search_path_is_found() {
        assert_eq!(
            search_path_of("postgres://u@h/db?options=-c%20search_path%3Dt_1").as_deref(),
            Some("t_1")
        );
        assert_eq!(search_path_of("postgres://u@h/db"), None);
        assert_eq!(
            search_path_of("postgres://u@h/db?options=-c%20search_path%3Da,b"),
            None
        );
    }
}
