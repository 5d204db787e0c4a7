//! A PostgreSQL restart under load, seen from the app. A TCP proxy between the app and the
//! database plays the restart: it cuts every open connection and refuses new ones, then listens
//! again on the same port (the shared test server itself is never restarted). While it is down
//! every answer is a 503 saying so in Vietnamese, with `Retry-After` — never a 500, never a
//! hang; once it is back the app serves again without a restart; every write it acknowledged
//! is stored whole, and no write cut mid-transaction is stored in part.

use crate::crash::{leaf_item, token_for};
use crate::helpers::{Backend, TestApp, new_client, spawn_app};
use kehoach::config::Config;
use kehoach::entities::activity;
use kehoach::startup::Application;
use kehoach::web::i18n::{I18n, Locale};
use reqwest::header::{LOCATION, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode, Url};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// A request that has not been answered within this is a hang, and fails the test.
const BOUND: Duration = Duration::from_secs(15);
/// How long the database stays down: longer than the pool's acquire timeout (5 s), so that
/// every load task sends requests that start and end while it is down.
const OUTAGE: Duration = Duration::from_secs(12);

/// A TCP proxy that can play a database restart.
struct Proxy {
    port: u16,
    upstream: String,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut proxy = Proxy {
            port,
            upstream,
            running: None,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let upstream = self.upstream.clone();
        let task = tokio::spawn(async move {
            let mut pipes = JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((mut client, _)) = accepted else { continue };
                        let upstream = upstream.clone();
                        pipes.spawn(async move {
                            if let Ok(mut server) = TcpStream::connect(upstream).await {
                                let _ = tokio::io::copy_bidirectional(&mut client, &mut server)
                                    .await;
                            }
                        });
                    }
                }
            }
            // The port closes (connects are refused), then every open connection is cut, both
            // ways: what the app sees when PostgreSQL restarts.
            drop(listener);
            pipes.shutdown().await;
        });
        self.running = Some((stop, task));
    }

    /// Returns once the port is closed and every connection through it is cut.
    async fn down(&mut self) {
        let (stop, task) = self.running.take().unwrap();
        stop.send(()).unwrap();
        task.await.unwrap();
    }

    /// Listens again on the same port, the one the app's pool knows.
    async fn up(&mut self) {
        let started = Instant::now();
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if started.elapsed() < Duration::from_secs(5) => {
                    eprintln!("proxy port {} not free yet: {e}", self.port);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("proxy port {}: {e}", self.port),
            }
        };
        self.serve(listener);
    }
}

/// The database server named by a URL, as `host:port`.
fn server_of(url: &str) -> String {
    let url = Url::parse(url).unwrap();
    format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432))
}

/// The same database URL with the proxy in place of the server.
fn through(url: &str, proxy_port: u16) -> String {
    let mut url = Url::parse(url).unwrap();
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy_port)).unwrap();
    url.to_string()
}

/// A second server on the same (fresh, migrated, seeded) database, connected through the proxy.
async fn server_through(app: &TestApp, url: &str) -> String {
    let mut config = Config::for_database(url);
    config.data_dir = app.data_dir.clone();
    let db = kehoach::db::connect(&config).await.unwrap();
    let server = Application::build(config, db, app.clock.clone())
        .await
        .unwrap();
    let port = server.local_addr().unwrap().port();
    tokio::spawn(server.run_until_stopped());
    format!("http://127.0.0.1:{port}")
}

/// The phases of the test, in order. Each request notes the phase it was sent in and the one
/// it was answered in: only a request sent and answered within one steady phase has a
/// foreseeable answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Up,
    Cutting,
    Down,
    Restarting,
    Recovered,
}

const PHASES: [Phase; 5] = [
    Phase::Up,
    Phase::Cutting,
    Phase::Down,
    Phase::Restarting,
    Phase::Recovered,
];

#[derive(Debug)]
struct Answer {
    request: String,
    sent: Phase,
    answered: Phase,
    /// `None`: no answer within the bound, or the connection failed.
    status: Option<StatusCode>,
    retry_after: bool,
    says_unavailable: bool,
}

/// What the load tasks share.
struct Load {
    address: String,
    /// Signed in as the commune officer (session cookie).
    browser: reqwest::Client,
    csrf: String,
    /// An API token of the same officer.
    token: String,
    item: i64,
    form: Vec<(&'static str, String)>,
    unavailable: String,
    phase: AtomicU8,
    stop: AtomicBool,
    answers: Mutex<Vec<Answer>>,
    /// Activities the app acknowledged (201, or 303 to the new activity): id → title.
    acknowledged: Mutex<BTreeMap<i64, String>>,
    /// Writes sent that were not acknowledged.
    unacknowledged: AtomicUsize,
}

/// What a request got back.
struct Reply {
    status: StatusCode,
    retry_after: bool,
    location: Option<String>,
    body: String,
}

impl Load {
    fn phase(&self) -> Phase {
        PHASES[usize::from(self.phase.load(Ordering::SeqCst))]
    }

    fn enter(&self, phase: Phase) {
        let i = PHASES.iter().position(|p| *p == phase).unwrap();
        self.phase.store(u8::try_from(i).unwrap(), Ordering::SeqCst);
    }

    /// Sends a request and notes its answer.
    async fn send(&self, request: String, builder: RequestBuilder) -> Option<Reply> {
        let sent = self.phase();
        let reply = async {
            let r = builder.timeout(BOUND).send().await?;
            let status = r.status();
            let retry_after = r.headers().contains_key(RETRY_AFTER);
            let location = r
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = r.text().await?;
            Ok::<_, reqwest::Error>(Reply {
                status,
                retry_after,
                location,
                body,
            })
        }
        .await;
        if let Err(e) = &reply {
            eprintln!("{request}: {e}");
        }
        let reply = reply.ok();
        self.answers.lock().unwrap().push(Answer {
            request,
            sent,
            answered: self.phase(),
            status: reply.as_ref().map(|r| r.status),
            retry_after: reply.as_ref().is_some_and(|r| r.retry_after),
            says_unavailable: reply
                .as_ref()
                .is_some_and(|r| r.body.contains(&self.unavailable)),
        });
        reply
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    async fn read_page(&self, path: &str) {
        let builder = self.browser.get(self.url(path));
        self.send(format!("GET {path}"), builder).await;
    }

    async fn read_api(&self) {
        let builder = self
            .browser
            .get(self.url("/api/v1/activities"))
            .bearer_auth(&self.token);
        self.send("GET /api/v1/activities".into(), builder).await;
    }

    /// Creates an activity with two target groups over the API.
    async fn write_api(&self, client: &reqwest::Client, title: String) -> Option<i64> {
        let builder = client
            .post(self.url("/api/v1/activities"))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({
                "type": "talk", "title": title, "plan_item_id": self.item,
                "start_date": "2024-07-15", "target_groups": ["public", "youth"],
                "planned_participants": 40, "place": "Nhà văn hóa thôn"
            }));
        let reply = self.send("POST /api/v1/activities".into(), builder).await;
        let id = reply
            .filter(|r| r.status == StatusCode::CREATED)
            .and_then(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
            .and_then(|v| v["id"].as_i64());
        self.note_write(id, title)
    }

    /// Logs a held activity through the form.
    async fn write_form(&self, title: String) -> Option<i64> {
        let mut fields: Vec<(&str, &str)> =
            self.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fields.extend([("title", title.as_str()), ("csrf_token", &self.csrf)]);
        let builder = self.browser.post(self.url("/activities")).form(&fields);
        let reply = self.send("POST /activities".into(), builder).await;
        let id = reply
            .filter(|r| r.status == StatusCode::SEE_OTHER)
            .and_then(|r| r.location)
            .and_then(|l| {
                l.trim_start_matches("/activities/")
                    .split(['#', '/', '?'])
                    .next()
                    .and_then(|id| id.parse().ok())
            });
        self.note_write(id, title)
    }

    fn note_write(&self, id: Option<i64>, title: String) -> Option<i64> {
        match id {
            Some(id) => {
                self.acknowledged.lock().unwrap().insert(id, title);
            }
            None => {
                self.unacknowledged.fetch_add(1, Ordering::SeqCst);
            }
        }
        id
    }

    /// Requests sent in `phase` and answered with a success.
    fn successes_sent_in(&self, phase: Phase) -> usize {
        self.answers
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.sent == phase && a.status.is_some_and(succeeded))
            .count()
    }
}

fn succeeded(s: StatusCode) -> bool {
    s.is_success() || s.is_redirection()
}

/// One load task: reads pages, reads the API, or writes, until told to stop.
async fn run(load: Arc<Load>, task: usize) {
    let api = new_client();
    for n in 0usize.. {
        if load.stop.load(Ordering::SeqCst) {
            return;
        }
        match task {
            0 | 1 => {
                let path = ["/activities", "/dashboard", "/healthz"][(n + task) % 3];
                load.read_page(path).await;
            }
            2 => load.read_api().await,
            3 | 4 => {
                load.write_api(&api, format!("outage-api-{task}-{n}")).await;
            }
            _ => {
                load.write_form(format!("outage-form-{n}")).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

const TASKS: usize = 6;

/// Waits until `done` holds, for at most `limit`.
async fn wait_for(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: set KEHOACH_TEST_PG_URL (.ci/run does)"]
async fn a_database_restart_under_load_answers_503_and_the_app_recovers_by_itself() {
    let app = spawn_app(Backend::Postgres).await;
    let mut proxy = Proxy::start(server_of(&app.database_url)).await;
    let address = server_through(&app, &through(&app.database_url, proxy.port)).await;

    app.login_as("commune").await;
    let unit = app
        .scalar("SELECT id AS n FROM org_units WHERE code = 'PY-TH-HOAPHONG'")
        .await;
    let agency = app
        .scalar("SELECT id AS n FROM agencies WHERE code = 'TH-HOAPHONG-UBND'")
        .await;
    let talk = app
        .scalar("SELECT id AS n FROM codes WHERE list = 'activity_type' AND code = 'talk'")
        .await;
    let item = leaf_item(&app).await;
    let form = vec![
        ("activity_type_id", talk.to_string()),
        ("plan_item_id", item.to_string()),
        ("org_unit_id", unit.to_string()),
        ("agency_id", agency.to_string()),
        ("start_date", "2024-06-18".into()),
        ("held", "1".into()),
        ("held_on", "2024-06-18".into()),
        ("actual_participants", "30".into()),
        ("actual_women", "12".into()),
    ];
    let load = Arc::new(Load {
        address,
        browser: app.client.clone(),
        csrf: app.csrf().await,
        token: token_for(&app, "commune@kehoach.demo").await,
        item,
        form,
        unavailable: I18n::load()
            .unwrap()
            .t(Locale::Vi, "error.unavailable")
            .to_owned(),
        phase: AtomicU8::new(0),
        stop: AtomicBool::new(false),
        answers: Mutex::default(),
        acknowledged: Mutex::default(),
        unacknowledged: AtomicUsize::new(0),
    });
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| tokio::spawn(run(load.clone(), t)))
        .collect();

    // Up, under load.
    wait_for("load while up", Duration::from_secs(60), || {
        load.successes_sent_in(Phase::Up) >= 40 && load.acknowledged.lock().unwrap().len() >= 10
    })
    .await;

    // Down, mid-load.
    load.enter(Phase::Cutting);
    proxy.down().await;
    load.enter(Phase::Down);
    let down_since = Instant::now();
    let client = new_client();
    let (page, health, write) = tokio::join!(
        load.send(
            "GET /activities".into(),
            app.client.get(load.url("/activities"))
        ),
        load.send("GET /healthz".into(), client.get(load.url("/healthz"))),
        load.write_api(&client, "outage-api-while-down".into()),
    );
    assert!(
        write.is_none(),
        "a write acknowledged while the database is down"
    );
    for reply in [page.unwrap(), health.unwrap()] {
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(reply.retry_after);
        assert!(reply.body.contains(&load.unavailable), "{}", reply.body);
    }
    tokio::time::sleep(OUTAGE.saturating_sub(down_since.elapsed())).await;

    // Up again: the app recovers without a restart.
    load.enter(Phase::Restarting);
    proxy.up().await;
    let back_since = Instant::now();
    loop {
        let r = client
            .get(load.url("/healthz"))
            .timeout(BOUND)
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::OK {
            break;
        }
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            back_since.elapsed() < Duration::from_secs(30),
            "not recovered within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!(
        "recovered {:?} after the database came back",
        back_since.elapsed()
    );
    load.enter(Phase::Recovered);
    let acknowledged_before = load.acknowledged.lock().unwrap().len();
    wait_for("load after recovery", Duration::from_secs(60), || {
        load.successes_sent_in(Phase::Recovered) >= 40
            && load.acknowledged.lock().unwrap().len() >= acknowledged_before + 10
    })
    .await;
    let page = load
        .send(
            "GET /dashboard".into(),
            app.client.get(load.url("/dashboard")),
        )
        .await
        .unwrap();
    assert_eq!(page.status, StatusCode::OK);
    let after = load
        .write_api(&client, "outage-api-after-recovery".into())
        .await
        .expect("a write after recovery is acknowledged");
    load.stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }

    check_answers(&load);
    check_writes(&app, &load, after).await;
}

/// Every request answered within the bound, never with a 500; within a steady phase, the
/// answer foreseen for it.
fn check_answers(load: &Load) {
    let answers = load.answers.lock().unwrap();
    let mut by_phase: BTreeMap<String, usize> = BTreeMap::new();
    for a in answers.iter() {
        *by_phase
            .entry(format!(
                "{:?}→{:?} {:?} {}",
                a.sent, a.answered, a.status, a.request
            ))
            .or_default() += 1;
    }
    eprintln!("{} answers: {by_phase:#?}", answers.len());
    for a in answers.iter() {
        let Some(status) = a.status else {
            panic!("no answer within {BOUND:?}: {a:?}");
        };
        assert!(
            succeeded(status) || status == StatusCode::SERVICE_UNAVAILABLE,
            "{a:?}"
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(a.retry_after, "503 without Retry-After: {a:?}");
            assert!(
                a.says_unavailable,
                "503 without the page that says so: {a:?}"
            );
        }
        match (a.sent, a.answered) {
            (Phase::Up, Phase::Up) | (Phase::Recovered, Phase::Recovered) => {
                assert!(succeeded(status), "{a:?}");
            }
            (Phase::Down, Phase::Down) => {
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{a:?}");
            }
            _ => {}
        }
    }
    let down = answers
        .iter()
        .filter(|a| (a.sent, a.answered) == (Phase::Down, Phase::Down))
        .count();
    assert!(
        down >= TASKS,
        "only {down} requests sent and answered while down"
    );
}

/// Every acknowledged write is stored with its title; none is stored in part; nothing is
/// stored that nobody sent.
async fn check_writes(app: &TestApp, load: &Load, after: i64) {
    let stored: BTreeMap<i64, String> = activity::Entity::find()
        .filter(activity::Column::Title.like("outage-%"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a.title))
        .collect();
    let acknowledged = load.acknowledged.lock().unwrap().clone();
    let unacknowledged = load.unacknowledged.load(Ordering::SeqCst);
    eprintln!(
        "writes: {} acknowledged, {unacknowledged} not, {} stored",
        acknowledged.len(),
        stored.len()
    );
    for (id, title) in acknowledged.iter() {
        assert_eq!(
            stored.get(id),
            Some(title),
            "acknowledged activity {id} lost"
        );
    }
    assert!(stored.contains_key(&after));
    assert!(stored.len() <= acknowledged.len() + unacknowledged);
    assert!(!stored.values().any(|t| t == "outage-api-while-down"));
    let incomplete = app
        .scalar(
            "SELECT COUNT(*) FROM activities a WHERE a.title LIKE 'outage-%' AND ( \
               (SELECT COUNT(*) FROM audit_events e WHERE e.object_type = 'activity' \
                 AND e.action IN ('activity:create', 'activity:log') AND e.object_id = a.id) <> 1 \
               OR (a.title LIKE 'outage-api-%' AND (SELECT COUNT(*) FROM activity_target_groups g \
                 WHERE g.activity_id = a.id) <> 2))",
        )
        .await;
    assert_eq!(
        incomplete, 0,
        "activities without their audit row or groups"
    );
    let orphans = app
        .scalar(
            "SELECT COUNT(*) FROM audit_events e WHERE e.object_type = 'activity' \
             AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.id = e.object_id)",
        )
        .await;
    assert_eq!(orphans, 0, "audit rows of activities that do not exist");
}
