//! Two servers on one PostgreSQL database, each with its own connection pool and listener, as
//! two processes behind a load balancer: a session made on one works on the other and ends on
//! both; the scheduled emails written and sent by both workers at once go out once each.

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::smtp::SmtpReceiver;
use chrono::Duration;
use kehoach::config::Config;
use kehoach::notifications::{mailer::Mailer, worker};
use kehoach::startup::Application;
use reqwest::StatusCode;

#[tokio::test]
#[ignore = "needs PostgreSQL: set KEHOACH_TEST_PG_URL (.ci/run does)"]
async fn two_servers_share_sessions_and_send_each_email_once() {
    let app = spawn_app(Backend::Postgres).await;
    let (second, second_db) = second_server(&app).await;

    // Signed in on the first, known on the second (cookies belong to the host, not the port).
    app.login_as("commune").await;
    let r = app
        .client
        .get(format!("{second}/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("commune@kehoach.demo"));
    // A form sent to the second with the session's CSRF token is accepted.
    let token = app.csrf().await;
    let r = app
        .client
        .post(format!("{second}/account/email"))
        .form(&[("reminders", "on"), ("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Reminders generated and sent by both workers at once: each email once.
    let smtp = SmtpReceiver::start().await;
    let a = crate::email::worker_for(&app, &smtp);
    let mut config = Config::for_database(&app.database_url);
    config.smtp_url = Some(kehoach::config::Secret::new(smtp.url()));
    let b_mailer = Mailer::from_config(&config).unwrap();
    let b_state = kehoach::startup::state(config, second_db, app.clock.clone()).unwrap();
    for date in ["2024-06-22", "2024-06-23", "2024-06-21"] {
        crate::reports::activity(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", date, None).await;
    }
    app.clock.advance(Duration::hours(1));
    let (x, y) = tokio::join!(worker::tick(&a.0, &a.1), worker::tick(&b_state, &b_mailer));
    let sent = x.unwrap() + y.unwrap();
    let rows = app
        .scalar("SELECT COUNT(*) FROM outbox_emails WHERE template = 'activity_upcoming'")
        .await;
    assert_eq!(rows, 3, "one reminder per activity, whoever wrote it");
    assert_eq!(sent, 3);
    assert_eq!(smtp.received().len(), 3);

    // Signed out on the second: over on the first too.
    let token = app.csrf().await;
    let r = app
        .client
        .post(format!("{second}/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/account").await.status(), StatusCode::SEE_OTHER);
}

/// Another server on the same database: its own pool, its own port. Returns its address.
async fn second_server(app: &TestApp) -> (String, sea_orm::DatabaseConnection) {
    let mut config = Config::for_database(&app.database_url);
    config.data_dir = app.data_dir.clone();
    let db = kehoach::db::connect(&config).await.unwrap();
    let server = Application::build(config, db.clone(), app.clock.clone())
        .await
        .unwrap();
    let port = server.local_addr().unwrap().port();
    tokio::spawn(server.run_until_stopped());
    (format!("http://127.0.0.1:{port}"), db)
}
