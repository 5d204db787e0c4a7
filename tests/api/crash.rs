//! Crash safety of the real server binary: eight clients create activities over the API, the
//! server is killed with SIGKILL while they write, and after a restart on the same database
//! every write it acknowledged is there whole (its target groups and its audit row), and no
//! write is there in part.

use crate::backup::kehoach;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A new API token for a user of the test app.
pub async fn token_for(app: &TestApp, email: &str) -> String {
    use kehoach::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let u = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    kehoach::auth::users::issue_api_token(&app.db, u.id, "test", app.clock.now())
        .await
        .unwrap()
}

const LEAF_ITEM: &str = "SELECT i.id AS n FROM plan_items i JOIN plan_items p ON p.id = i.parent_id \
     WHERE p.area_code = 'communication' AND i.position = 2";

/// A plan item of the seeded 2024 plan that activities can be scheduled against.
pub async fn leaf_item(app: &TestApp) -> i64 {
    app.scalar(LEAF_ITEM).await
}

/// The server binary, killed (SIGKILL) when dropped so that a failing test leaves no process.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    /// Starts `kehoach serve` on a free port and waits until it listens.
    async fn start(url: &str, dir: &Path, run: usize) -> Server {
        let log = dir.join(format!("serve-{run}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_kehoach"))
            .args(["--database-url", url, "--log-format", "json", "serve"])
            .args(["--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join("data"))
            .env("KEHOACH_LOG", "info")
            .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = Server {
            child,
            address: String::new(),
        };
        for _ in 0..600 {
            if let Some(addr) = listening_address(&log) {
                server.address = format!("http://{addr}");
                return server;
            }
            assert!(
                server.child.try_wait().unwrap().is_none(),
                "the server exited: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server never listened");
    }

    /// SIGKILL: no shutdown handler runs, nothing is flushed by the app.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn listening_address(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines().find_map(|line| {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        (v["fields"]["message"] == "kehoach is listening")
            .then(|| v["fields"]["addr"].as_str().map(str::to_owned))?
    })
}

#[derive(Default)]
struct Outcome {
    /// Activities the server answered 201 for: id → title.
    acknowledged: BTreeMap<i64, String>,
    /// Requests sent whose answer never came (the kill cut them off).
    unanswered: usize,
}

#[derive(FromQueryResult)]
struct Num {
    n: i64,
}

async fn number(db: &DatabaseConnection, sql: &str) -> i64 {
    let stmt = Statement::from_string(db.get_database_backend(), sql.to_owned());
    Num::find_by_statement(stmt)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .n
}

/// A database with the reference and demo data, and one API token per writer.
async fn prepare(url: &str, writers: usize) -> (i64, Vec<String>) {
    // The 2024 district the writers' plan item belongs to: the demo as seeded before the reform.
    let run = kehoach(url, &["seed", "--demo", "--today", "2024-06-20"]).await;
    assert!(run.ok, "seed: {}", run.stderr);
    let mut tokens = Vec::new();
    for w in 0..writers {
        let email = if w % 2 == 0 {
            "commune@kehoach.demo"
        } else {
            "planner@kehoach.demo"
        };
        let run = kehoach(url, &["user", "token", "--email", email]).await;
        assert!(run.ok, "token: {}", run.stderr);
        tokens.push(run.stdout.trim().to_owned());
    }
    let db = sea_orm::Database::connect(url).await.unwrap();
    let item = number(
        &db,
        &LEAF_ITEM.replace("i.id AS n", "CAST(i.id AS BIGINT) AS n"),
    )
    .await;
    db.close().await.unwrap();
    (item, tokens)
}

/// One writer: creates activities until the server stops answering.
async fn write_until_refused(
    address: String,
    token: String,
    item: i64,
    writer: usize,
    outcome: Arc<Mutex<Outcome>>,
) {
    let client = reqwest::Client::new();
    for n in 0.. {
        let title = format!("crash-{writer}-{n}");
        let sent = client
            .post(format!("{address}/api/v1/activities"))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "type": "talk", "title": title, "plan_item_id": item,
                "start_date": "2031-03-01", "target_groups": ["public", "youth"],
                "planned_participants": 40, "place": "Nhà văn hóa thôn"
            }))
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(_) => {
                outcome.lock().unwrap().unanswered += 1;
                return;
            }
        };
        let status = response.status();
        let body: Option<serde_json::Value> = response.json().await.ok();
        match (status, body) {
            (StatusCode::CREATED, Some(body)) => {
                let id = body["id"].as_i64().unwrap();
                outcome.lock().unwrap().acknowledged.insert(id, title);
            }
            (StatusCode::CREATED, None) => {
                // Created, but the answer was cut off: not acknowledged.
                outcome.lock().unwrap().unanswered += 1;
                return;
            }
            (status, body) => panic!("{title}: {status} {body:?}"),
        }
    }
}

const WRITERS: usize = 8;
/// Acknowledged writes to wait for before the kill, so that it lands mid-flight.
const BEFORE_KILL: usize = 40;

async fn acknowledged_writes_survive_a_kill(url: &str, dir: &Path) {
    let (item, tokens) = prepare(url, WRITERS).await;
    let mut server = Server::start(url, dir, 1).await;
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let writers: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .map(|(w, token)| {
            tokio::spawn(write_until_refused(
                server.address.clone(),
                token,
                item,
                w,
                outcome.clone(),
            ))
        })
        .collect();
    while outcome.lock().unwrap().acknowledged.len() < BEFORE_KILL {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    for w in writers {
        w.await.unwrap();
    }
    let outcome = std::mem::take(&mut *outcome.lock().unwrap());
    assert!(outcome.acknowledged.len() >= BEFORE_KILL);
    assert!(outcome.unanswered > 0, "the kill cut off writers in flight");

    // The same database, a new process.
    let server = Server::start(url, dir, 2).await;
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/healthz", server.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let token = {
        let run = kehoach(url, &["user", "token", "--email", "planner@kehoach.demo"]).await;
        assert!(run.ok, "{}", run.stderr);
        run.stdout.trim().to_owned()
    };
    for (id, title) in &outcome.acknowledged {
        let r = client
            .get(format!("{}/api/v1/activities/{id}", server.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "acknowledged activity {id} lost"
        );
        let a: serde_json::Value = r.json().await.unwrap();
        assert_eq!(a["title"], title.as_str());
        assert_eq!(a["place"], "Nhà văn hóa thôn");
        assert_eq!(a["target_groups"], serde_json::json!(["public", "youth"]));
    }

    // Nothing half-written: every crash activity (acknowledged or not) has both its target
    // groups and exactly one creation audit row, and no audit row names a missing activity.
    let db = sea_orm::Database::connect(url).await.unwrap();
    let stored = number(
        &db,
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM activities WHERE title LIKE 'crash-%'",
    )
    .await;
    let acknowledged = i64::try_from(outcome.acknowledged.len()).unwrap();
    eprintln!(
        "acknowledged {acknowledged}, unanswered {}, stored {stored}",
        outcome.unanswered
    );
    assert!(stored >= acknowledged, "{stored} stored < {acknowledged}");
    assert!(
        stored <= acknowledged + i64::try_from(outcome.unanswered).unwrap(),
        "no activity appears that nobody sent"
    );
    let incomplete = number(
        &db,
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM activities a WHERE a.title LIKE 'crash-%' AND ( \
           (SELECT COUNT(*) FROM activity_target_groups g WHERE g.activity_id = a.id) <> 2 \
           OR (SELECT COUNT(*) FROM audit_events e WHERE e.object_type = 'activity' \
               AND e.action = 'activity:create' AND e.object_id = a.id) <> 1)",
    )
    .await;
    assert_eq!(
        incomplete, 0,
        "activities without their groups or audit row"
    );
    let orphans = number(
        &db,
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_events e WHERE e.object_type = 'activity' \
         AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.id = e.object_id)",
    )
    .await;
    assert_eq!(orphans, 0, "audit rows of activities that do not exist");
    let orphan_groups = number(
        &db,
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM activity_target_groups g \
         WHERE NOT EXISTS (SELECT 1 FROM activities a WHERE a.id = g.activity_id)",
    )
    .await;
    assert_eq!(orphan_groups, 0);
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        let stmt = Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "PRAGMA integrity_check".to_owned(),
        );
        let row = db.query_one_raw(stmt).await.unwrap().unwrap();
        let verdict: String = row.try_get_by_index(0).unwrap();
        assert_eq!(verdict, "ok");
    }
    db.close().await.unwrap();
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_a_sigkill_of_the_server_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("crash.db").display()
    );
    acknowledged_writes_survive_a_kill(&url, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: set KEHOACH_TEST_PG_URL (.ci/run does)"]
async fn acknowledged_writes_survive_a_sigkill_of_the_server_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::env::var("KEHOACH_TEST_PG_URL").unwrap();
    let schema = format!(
        "crash_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    let admin = sea_orm::Database::connect(base.as_str()).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    acknowledged_writes_survive_a_kill(&url, dir.path()).await;
    admin
        .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
    admin.close().await.unwrap();
}
