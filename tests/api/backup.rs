//! `kehoach backup` / `restore`, through the built binary: a database filled through the app is
//! backed up while the app runs, restored into a fresh place, and every row of every table
//! compared; broken or foreign files are refused.

use crate::db_tests;
use crate::helpers::{Backend, TestApp, start_time};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement};
use std::collections::BTreeMap;
use std::path::Path;

db_tests!(a_backup_restores_every_row_of_every_table);

/// The outcome of one run of the binary.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `kehoach --database-url URL ARGS…` to the end.
pub async fn kehoach(url: &str, args: &[&str]) -> Run {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kehoach"));
    cmd.arg("--database-url").arg(url).args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[derive(FromQueryResult)]
struct Text {
    r: String,
}

async fn texts(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    let stmt = Statement::from_string(db.get_database_backend(), sql.to_owned());
    Text::find_by_statement(stmt)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.r)
        .collect()
}

/// Every table of the database, each with all its rows serialised (every column) and sorted.
pub async fn dump(db: &DatabaseConnection) -> BTreeMap<String, Vec<String>> {
    let sqlite = db.get_database_backend() == sea_orm::DbBackend::Sqlite;
    let tables = if sqlite {
        texts(
            db,
            "SELECT name AS r FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .await
    } else {
        texts(
            db,
            "SELECT CAST(table_name AS TEXT) AS r FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .await
    };
    let mut out = BTreeMap::new();
    for table in tables {
        let sql = if sqlite {
            let columns = texts(
                db,
                &format!("SELECT name AS r FROM pragma_table_info('{table}')"),
            )
            .await;
            let row: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
            format!("SELECT {} AS r FROM \"{table}\"", row.join(" || ',' || "))
        } else {
            format!("SELECT CAST(row_to_json(t) AS TEXT) AS r FROM \"{table}\" t")
        };
        let mut rows = texts(db, &sql).await;
        rows.sort();
        out.insert(table, rows);
    }
    out
}

/// Rows written the ways users write them: demo data as `serve --demo` loads it, an agency
/// through the admin's form, an activity with target groups through the API.
async fn fill(app: &TestApp) {
    let now = start_time();
    kehoach::seed::demo_activities(&app.db, now).await.unwrap();
    kehoach::seed::demo_tasks(&app.db, now).await.unwrap();
    kehoach::support_stats::demo_support_stats(&app.db, now)
        .await
        .unwrap();
    kehoach::reports::demo::demo_reports(&app.db, now)
        .await
        .unwrap();
    app.login_as("admin").await;
    crate::admin::add_commune_police(app).await;
    let token = crate::crash::token_for(app, "commune@kehoach.demo").await;
    let item = crate::crash::leaf_item(app).await;
    let r = app
        .client
        .post(app.url("/api/v1/activities"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "type": "rally", "title": "Mít tinh hưởng ứng ngày 30/7", "plan_item_id": item,
            "start_date": "2024-07-30", "target_groups": ["public", "youth"],
            "planned_participants": 300
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

async fn a_backup_restores_every_row_of_every_table(app: TestApp) {
    fill(&app).await;
    let dir = tempfile::tempdir().unwrap();
    match app.backend {
        Backend::Sqlite => sqlite_round_trip(&app, dir.path()).await,
        Backend::Postgres => postgres_round_trip(&app, dir.path()).await,
    }
}

fn assert_filled(rows: &BTreeMap<String, Vec<String>>) {
    for table in [
        "activities",
        "activity_target_groups",
        "audit_events",
        "coordination_tasks",
        "agencies",
        "users",
        "seaql_migrations",
    ] {
        assert!(
            rows.get(table).is_some_and(|r| !r.is_empty()),
            "{table} has rows to compare"
        );
    }
}

async fn sqlite_round_trip(app: &TestApp, dir: &Path) {
    let file = dir.join("kehoach-backup.db");
    let file_s = file.to_str().unwrap();
    // Online: the app is running and holds its connection open.
    let run = kehoach(&app.database_url, &["backup", "--out", file_s]).await;
    assert!(run.ok, "backup: {}", run.stderr);
    assert!(run.stdout.contains("backup written to"), "{}", run.stdout);
    let source = dump(&app.db).await;
    assert_filled(&source);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only its owner reads a backup");
    }

    let run = kehoach(&app.database_url, &["backup", "--check", file_s]).await;
    assert!(run.ok, "check: {}", run.stderr);
    assert!(run.stdout.contains("sound backup"));
    // A backup never overwrites a file.
    let again = kehoach(&app.database_url, &["backup", "--out", file_s]).await;
    assert!(!again.ok);
    assert!(again.stderr.contains("exists already"), "{}", again.stderr);

    // Into a place where no database is: no --force needed.
    let restored = dir.join("restored.db");
    let url = format!("sqlite://{}?mode=rwc", restored.display());
    let run = kehoach(&url, &["restore", "--from", file_s]).await;
    assert!(run.ok, "restore: {}", run.stderr);
    let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
    assert_eq!(dump(&db).await, source, "every row of every table");
    db.close().await.unwrap();

    // Over an existing database: refused without --force, which copies it aside first.
    let run = kehoach(&url, &["restore", "--from", file_s]).await;
    assert!(!run.ok);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    let run = kehoach(&url, &["restore", "--from", file_s, "--force"]).await;
    assert!(run.ok, "forced restore: {}", run.stderr);
    let aside: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("restored.db.before-restore-"))
        .collect();
    assert_eq!(aside.len(), 1, "the replaced database is kept: {aside:?}");
    let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
    assert_eq!(dump(&db).await, source);
    db.close().await.unwrap();

    // Broken and foreign files are refused by the check and by restore.
    let garbage = dir.join("garbage.db");
    std::fs::write(&garbage, b"not a database at all").unwrap();
    let truncated = dir.join("truncated.db");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let foreign = dir.join("foreign.db");
    let other = sea_orm::Database::connect(format!("sqlite://{}?mode=rwc", foreign.display()))
        .await
        .unwrap();
    other
        .execute_unprepared("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        .await
        .unwrap();
    other.close().await.unwrap();
    for (bad, why) in [
        (&garbage, "neither a SQLite database"),
        (&truncated, ""),
        (&foreign, "not a kehoach database"),
    ] {
        let run = kehoach(&url, &["backup", "--check", bad.to_str().unwrap()]).await;
        assert!(!run.ok, "{} passes the check", bad.display());
        assert!(run.stderr.contains(why), "{}", run.stderr);
        let run = kehoach(
            &url,
            &["restore", "--from", bad.to_str().unwrap(), "--force"],
        )
        .await;
        assert!(!run.ok, "{} restored", bad.display());
    }
    let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
    assert_eq!(dump(&db).await, source, "a refused restore changes nothing");
    db.close().await.unwrap();
}

async fn postgres_round_trip(app: &TestApp, dir: &Path) {
    let file = dir.join("kehoach.dump");
    let file_s = file.to_str().unwrap();
    let run = kehoach(&app.database_url, &["backup", "--out", file_s]).await;
    assert!(run.ok, "backup (pg_dump): {}", run.stderr);
    let source = dump(&app.db).await;
    assert_filled(&source);
    let run = kehoach(&app.database_url, &["backup", "--check", file_s]).await;
    assert!(run.ok, "check: {}", run.stderr);
    assert!(run.stdout.contains("pg_dump"), "{}", run.stdout);
    // kehoach leaves restoring PostgreSQL to pg_restore, and says how.
    let run = kehoach(&app.database_url, &["restore", "--from", file_s]).await;
    assert!(!run.ok);
    assert!(run.stderr.contains("pg_restore"), "{}", run.stderr);

    // The README's procedure: an empty database, then pg_restore.
    let base = std::env::var("KEHOACH_TEST_PG_URL").unwrap();
    let base = base.split('?').next().unwrap().to_owned();
    let (server, _) = base.rsplit_once('/').unwrap();
    let name = format!(
        "kehoach_restore_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    let admin = sea_orm::Database::connect(base.as_str()).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let target = format!("{server}/{name}");
    let restore = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname", &target, file_s])
        .output()
        .unwrap();
    assert!(
        restore.status.success(),
        "pg_restore: {}",
        String::from_utf8_lossy(&restore.stderr)
    );
    let schema = app
        .database_url
        .split("search_path%3D")
        .nth(1)
        .unwrap()
        .to_owned();
    let url = format!("{target}?options=-c%20search_path%3D{schema}");
    let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let restored = dump(&db).await;
    db.close().await.unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
    admin.close().await.unwrap();
    assert_eq!(restored, source, "every row of every table");
}
