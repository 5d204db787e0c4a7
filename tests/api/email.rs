//! Email through the outbox, delivered to a real SMTP receiver on loopback: the right person,
//! language and moment, once; queued while SMTP is down; no resend after a restart.

use crate::db_tests;
use crate::helpers::TestApp;
use crate::smtp::SmtpReceiver;
use chrono::Duration;
use kehoach::config::Config;
use kehoach::notifications::{mailer::Mailer, render, worker};
use kehoach::state::AppState;
use sea_orm::ConnectionTrait;

db_tests!(
    a_requested_task_is_emailed_to_the_partner_in_their_language_once,
    an_unacknowledged_task_escalates_once_to_the_unit_above,
    while_smtp_is_down_email_stays_queued_and_goes_out_when_it_returns,
    a_restart_resends_only_the_email_stuck_mid_send,
    two_workers_send_each_email_once,
    a_header_injection_attempt_adds_no_header_and_breaks_nothing,
);

/// A worker like the one inside `serve`, pointed at the receiver.
pub(crate) fn worker_for(app: &TestApp, smtp: &SmtpReceiver) -> (AppState, Mailer) {
    let mut config = Config::for_database(&app.database_url);
    config.smtp_url = Some(kehoach::config::Secret::new(smtp.url()));
    config.base_url = "https://kehoach.example".into();
    let mailer = Mailer::from_config(&config).unwrap();
    let state = kehoach::startup::state(config, app.db.clone(), app.clock.clone()).unwrap();
    (state, mailer)
}

pub(crate) async fn set_locale(app: &TestApp, email: &str, locale: &str) {
    app.db
        .execute_unprepared(&format!(
            "UPDATE users SET locale = '{locale}' WHERE email = '{email}'"
        ))
        .await
        .unwrap();
}

async fn request_task(app: &TestApp, title: &str) -> i64 {
    app.login_as("compiler").await;
    crate::tasks::request(app, "TH-CA", "2024-06-25", "2024-07-10", title).await
}

async fn a_requested_task_is_emailed_to_the_partner_in_their_language_once(app: TestApp) {
    set_locale(&app, "partner@kehoach.demo", "en").await;
    let smtp = SmtpReceiver::start().await;
    let (state, mailer) = worker_for(&app, &smtp);
    let task = request_task(&app, "Referral 111 follow-up").await;
    // Written with the task, before any worker ran.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE template = 'task_requested' AND status = 'pending'").await,
        1
    );
    assert_eq!(worker::tick(&state, &mailer).await.unwrap(), 1);
    assert_eq!(worker::tick(&state, &mailer).await.unwrap(), 0);
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, vec!["partner@kehoach.demo".to_owned()]);
    assert!(
        got[0]
            .data
            .contains("Subject: New coordination task: Referral 111 follow-up")
    );
    assert!(
        got[0]
            .data
            .contains(&format!("https://kehoach.example/tasks/{task}"))
    );
}

async fn an_unacknowledged_task_escalates_once_to_the_unit_above(app: TestApp) {
    let smtp = SmtpReceiver::start().await;
    let (state, mailer) = worker_for(&app, &smtp);
    // A commune asks the district police; the district's leader hears when it is not acknowledged.
    app.login_as("commune").await;
    let task = request_task(&app, "Kiểm tra cơ sở môi giới lao động").await;
    app.db
        .execute_unprepared(&format!(
            "UPDATE coordination_tasks SET lead_agency_id = (SELECT id FROM agencies WHERE code = 'TH-HOAPHONG-UBND') WHERE id = {task}"
        ))
        .await
        .unwrap();
    worker::tick(&state, &mailer).await.unwrap();
    let escalations = "SELECT COUNT(*) FROM outbox_emails WHERE template = 'task_escalated'";
    assert_eq!(app.scalar(escalations).await, 0, "not before the deadline");
    app.clock.advance(Duration::days(6));
    worker::tick(&state, &mailer).await.unwrap();
    worker::tick(&state, &mailer).await.unwrap();
    let leader = "SELECT COUNT(*) FROM outbox_emails WHERE template = 'task_escalated' AND recipient = 'leader@kehoach.demo' AND status = 'sent'";
    assert_eq!(app.scalar(leader).await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE template = 'task_escalated' AND recipient = 'commune@kehoach.demo'").await,
        0
    );
    let to_leader: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.to == vec!["leader@kehoach.demo".to_owned()])
        .collect();
    assert_eq!(to_leader.len(), 1);
    // In Vietnamese, the leader's language.
    let row = kehoach::entities::outbox_email::Entity::find()
        .filter(kehoach::entities::outbox_email::Column::Recipient.eq("leader@kehoach.demo"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let r = render::render(&state.templates, &row, "https://kehoach.example").unwrap();
    assert!(
        r.subject.starts_with("Nhiệm vụ quá hạn xác nhận"),
        "{}",
        r.subject
    );
    assert!(r.text.contains("không thể tắt"));
}

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

async fn while_smtp_is_down_email_stays_queued_and_goes_out_when_it_returns(app: TestApp) {
    let mut smtp = SmtpReceiver::start().await;
    smtp.stop();
    let (state, mailer) = worker_for(&app, &smtp);
    request_task(&app, "Referral while the mail server is down").await;
    assert_eq!(worker::tick(&state, &mailer).await.unwrap(), 0);
    let queued = "SELECT COUNT(*) FROM outbox_emails WHERE status = 'pending' AND attempts = 1 AND last_error IS NOT NULL";
    assert_eq!(app.scalar(queued).await, 1);
    // Not due again before its backoff.
    assert_eq!(worker::tick(&state, &mailer).await.unwrap(), 0);
    assert_eq!(app.scalar(queued).await, 1);
    smtp.resume().await;
    assert_eq!(
        worker::tick(&state, &mailer).await.unwrap(),
        0,
        "still backing off"
    );
    app.clock.advance(Duration::minutes(2));
    assert_eq!(worker::tick(&state, &mailer).await.unwrap(), 1);
    assert_eq!(smtp.received().len(), 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE status = 'sent' AND attempts = 2")
            .await,
        1
    );
}

async fn a_restart_resends_only_the_email_stuck_mid_send(app: TestApp) {
    let smtp = SmtpReceiver::start().await;
    let (state, mailer) = worker_for(&app, &smtp);
    request_task(&app, "First").await;
    worker::tick(&state, &mailer).await.unwrap();
    request_task(&app, "Second").await;
    // A process died after claiming the second email and before sending it.
    app.db
        .execute_unprepared("UPDATE outbox_emails SET status = 'sending', claim_token = 'dead', claimed_at = next_attempt_at WHERE status = 'pending'")
        .await
        .unwrap();
    // A new worker leaves it alone while the lease holds, then sends it once.
    let (state2, mailer2) = worker_for(&app, &smtp);
    assert_eq!(worker::tick(&state2, &mailer2).await.unwrap(), 0);
    app.clock.advance(Duration::minutes(11));
    assert_eq!(worker::tick(&state2, &mailer2).await.unwrap(), 1);
    assert_eq!(worker::tick(&state2, &mailer2).await.unwrap(), 0);
    assert_eq!(smtp.received().len(), 2, "the sent one is not sent again");
}

async fn two_workers_send_each_email_once(app: TestApp) {
    let smtp = SmtpReceiver::start().await;
    for i in 0..5 {
        request_task(&app, &format!("Task {i}")).await;
    }
    let (s1, m1) = worker_for(&app, &smtp);
    let (s2, m2) = worker_for(&app, &smtp);
    let (a, b) = tokio::join!(worker::drain(&s1, &m1), worker::drain(&s2, &m2));
    assert_eq!(a.unwrap() + b.unwrap(), 5);
    assert_eq!(smtp.received().len(), 5);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE status = 'sent'")
            .await,
        5
    );
}

async fn a_header_injection_attempt_adds_no_header_and_breaks_nothing(app: TestApp) {
    let smtp = SmtpReceiver::start().await;
    let (state, mailer) = worker_for(&app, &smtp);
    request_task(&app, "Injected").await;
    // A title and an address carrying a line break and a header of their own.
    app.db
        .execute_unprepared("UPDATE outbox_emails SET data = '{\"title\":\"Hi\\r\\nBcc: evil@example.com\",\"ack_due_date\":\"2024-06-25\",\"due_date\":\"2024-07-10\",\"path\":\"/tasks/1\"}'")
        .await
        .unwrap();
    request_task(&app, "Second").await;
    app.db
        .execute_unprepared("UPDATE outbox_emails SET recipient = 'partner@kehoach.demo' || char(13) || char(10) || 'Bcc: evil@example.com' WHERE id = (SELECT MAX(id) FROM outbox_emails)".replace("char(", if matches!(app.backend, crate::helpers::Backend::Postgres) { "chr(" } else { "char(" }).as_str())
        .await
        .unwrap();
    worker::tick(&state, &mailer).await.unwrap();
    let got = smtp.received();
    assert_eq!(
        got.len(),
        1,
        "the bad address is refused, the odd title sent"
    );
    // The title may show in the body; the message's own headers gain nothing.
    let headers = got[0].data.split("\r\n\r\n").next().unwrap();
    assert!(
        !headers
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "{headers}"
    );
    assert!(headers.contains("Subject:"));
    assert!(
        got.iter()
            .all(|m| m.to == vec!["partner@kehoach.demo".to_owned()])
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE status = 'failed' AND last_error LIKE 'invalid recipient%'").await,
        1
    );
}
