//! The test harness: the real app (real migrations, reference data, demo users) on an
//! ephemeral port, over a fresh database per test — a temporary SQLite file, or a new schema in
//! the PostgreSQL database named by `KEHOACH_TEST_PG_URL`.

use chrono::{DateTime, TimeZone, Utc};
use kehoach::config::Config;
use kehoach::startup::Application;
use kehoach::state::Clock;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const DEMO_PASSWORD: &str = "kehoach-demo";

/// The moment every test starts at: 20 June 2024, 09:00 in Vietnam.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 20, 2, 0, 0).unwrap()
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub clock: Clock,
    pub backend: Backend,
    pub database_url: String,
    /// Where this app keeps uploaded files: inside the test's temporary folder, never the repo.
    pub data_dir: std::path::PathBuf,
    csrf: std::sync::Mutex<Option<String>>,
    _dir: std::sync::Arc<tempfile::TempDir>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

async fn database_url(backend: Backend, dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => {
            let path = dir.join("test.db");
            format!("sqlite://{}?mode=rwc", path.display())
        }
        Backend::Postgres => {
            let base = std::env::var("KEHOACH_TEST_PG_URL")
                .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into());
            let schema = format!(
                "t_{}_{}_{}",
                std::process::id(),
                Utc::now().timestamp_micros(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let admin = sea_orm::Database::connect(base.as_str()).await.unwrap();
            admin
                .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                .await
                .unwrap();
            admin.close().await.unwrap();
            let sep = if base.contains('?') { '&' } else { '?' };
            format!("{base}{sep}options=-c%20search_path%3D{schema}")
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn(backend, true, |_| {}).await.0
}

/// The seeded app with a configuration changed by `configure` (shorter timeouts, say).
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn(backend, true, configure).await.0
}

/// The app on an empty database, as a new deployment starts: migrations only, no reference or
/// demo data, and the one-time setup page open with the token returned.
pub async fn spawn_fresh_app(backend: Backend) -> (TestApp, String) {
    let (app, token) = spawn(backend, false, |_| {}).await;
    (app, token.unwrap())
}

async fn spawn(
    backend: Backend,
    seeded: bool,
    configure: impl FnOnce(&mut Config),
) -> (TestApp, Option<String>) {
    if std::env::var_os("KEHOACH_TEST_LOG").is_some() {
        kehoach::telemetry::init(kehoach::config::LogFormat::Text);
    }
    // Every test has a temporary folder, for its SQLite file and its uploaded files alike.
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(backend, dir.path()).await;
    let mut config = Config::for_database(&url);
    config.data_dir = dir.path().join("data");
    configure(&mut config);
    let data_dir = config.data_dir.clone();
    let db = kehoach::db::connect(&config).await.unwrap();
    kehoach::db::migrate(&db).await.unwrap();
    if seeded {
        kehoach::seed::reference(&db, start_time()).await.unwrap();
        kehoach::seed::demo(&db, start_time()).await.unwrap();
    }
    let clock = Clock::fixed(start_time());
    let app = Application::build(config, db.clone(), clock.clone())
        .await
        .unwrap();
    let token = (!seeded).then(|| app.state.setup.open().unwrap());
    let port = app.local_addr().unwrap().port();
    tokio::spawn(app.run_until_stopped());
    let app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: new_client(),
        db,
        clock,
        backend,
        database_url: url,
        data_dir,
        csrf: std::sync::Mutex::new(None),
        _dir: std::sync::Arc::new(dir),
    };
    (app, token)
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The value of the first `csrf_token` hidden field in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf_token\" value=\"")? + "name=\"csrf_token\" value=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

impl TestApp {
    /// Adds `n` copies of the demo commune Hòa Mỹ Đông to its district (codes
    /// `PY-TH-THU001`…, names "Xã Thử Nghiệm 001"…) in one insert: a district's scope past the
    /// size of a select. A bulk insert skips the model's hook, so the stored search name is set
    /// here.
    pub async fn add_test_communes(&self, n: usize) {
        use kehoach::entities::org_unit;
        use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, NotSet, QueryFilter, Set};
        let commune = org_unit::Entity::find()
            .filter(org_unit::Column::Code.eq("PY-TH-HOAMYDONG"))
            .one(&self.db)
            .await
            .unwrap()
            .unwrap();
        let copies: Vec<org_unit::ActiveModel> = (1..=n)
            .map(|i| {
                let mut u = commune.clone().into_active_model();
                u.id = NotSet;
                u.code = Set(format!("PY-TH-THU{i:03}"));
                u.gso_code = Set(None);
                let name = format!("Xã Thử Nghiệm {i:03}");
                u.search_name = Set(org_unit::search_name(&name));
                u.name = Set(name);
                u
            })
            .collect();
        org_unit::Entity::insert_many(copies)
            .exec(&self.db)
            .await
            .unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        let status = r.status();
        (status, r.text().await.unwrap())
    }

    /// The CSRF token this client's forms carry (read from a page once per session).
    pub async fn csrf(&self) -> String {
        if let Some(t) = self.csrf.lock().unwrap().clone() {
            return t;
        }
        let (_, html) = self.get_text("/login").await;
        let token = match csrf_in(&html) {
            Some(t) => t,
            None => {
                let (_, html) = self.get_text("/account").await;
                csrf_in(&html).expect("a page with a form")
            }
        };
        *self.csrf.lock().unwrap() = Some(token.clone());
        token
    }

    /// Posts a form with the CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        let mut body: Vec<(&str, &str)> = fields.to_vec();
        body.push(("csrf_token", &token));
        self.client
            .post(self.url(path))
            .form(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        *self.csrf.lock().unwrap() = None;
        let r = self
            .post_form("/login", &[("email", email), ("password", password)])
            .await;
        // The session has a CSRF token of its own.
        *self.csrf.lock().unwrap() = None;
        if r.status() == StatusCode::SEE_OTHER {
            let (_, html) = self.get_text("/account").await;
            *self.csrf.lock().unwrap() = csrf_in(&html);
        }
        r
    }

    /// Signs in as the demo user of a role (`admin`, `planner`, ...).
    pub async fn login_as(&self, role: &str) {
        let r = self
            .login(&format!("{role}@kehoach.demo"), DEMO_PASSWORD)
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login as {role}");
    }

    /// A second, independent browser on the same app.
    pub fn another_browser(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            client: new_client(),
            db: self.db.clone(),
            clock: self.clock.clone(),
            backend: self.backend,
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            csrf: std::sync::Mutex::new(None),
            // Shares the folder, so that it outlives whichever browser is dropped first.
            _dir: self._dir.clone(),
        }
    }

    pub async fn count(&self, table: &str) -> i64 {
        self.scalar(&format!("SELECT COUNT(*) FROM {table}")).await
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        use sea_orm::{FromQueryResult, Statement};
        #[derive(FromQueryResult)]
        struct Row {
            n: i64,
        }
        // Whatever the column's integer type, read it as BIGINT.
        let sql = sql.replacen("SELECT COUNT(*)", "SELECT COUNT(*) AS n", 1);
        let sql = format!("SELECT CAST(q.n AS BIGINT) AS n FROM ({sql}) q");
        let stmt = Statement::from_string(self.db.get_database_backend(), sql);
        Row::find_by_statement(stmt)
            .one(&self.db)
            .await
            .unwrap()
            .unwrap()
            .n
    }
}

/// Declares each test function once and runs it on SQLite (always) and on PostgreSQL
/// (ignored by default; `.ci/run` runs the ignored tests with the database URL set).
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await).await
            }

            #[tokio::test]
            #[ignore = "needs PostgreSQL: set KEHOACH_TEST_PG_URL (.ci/run does)"]
            async fn postgres() {
                super::$name($crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await).await
            }
        }
    )*};
}
