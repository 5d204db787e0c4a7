//! Forgotten password: the page does not tell who has an account; the emailed link works once,
//! within the hour, ends every session of the account, and leaves no copy in the outbox.

use crate::db_tests;
use crate::email::worker_for;
use crate::helpers::{DEMO_PASSWORD, TestApp};
use crate::smtp::SmtpReceiver;
use chrono::Duration;
use kehoach::entities::outbox_email;
use kehoach::notifications::worker;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

db_tests!(
    a_reset_link_is_emailed_once_works_once_and_ends_every_session,
    the_answer_is_the_same_for_an_unknown_address_and_nothing_is_written,
    a_reset_link_expires_within_the_hour,
    a_bad_new_password_keeps_the_link_and_changes_nothing,
);

const NEW_PASSWORD: &str = "một-mật-khẩu-mới-2024";

async fn ask(app: &TestApp, email: &str) -> String {
    let r = app.post_form("/password/forgot", &[("email", email)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert!(body.contains("id=\"reset-sent\""), "{body}");
    body
}

/// The link's path, read from the queued email (before the worker sends and scrubs it).
async fn link_path(app: &TestApp, email: &str) -> String {
    let row = outbox_email::Entity::find()
        .filter(outbox_email::Column::Recipient.eq(email))
        .filter(outbox_email::Column::Template.eq("password_reset"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a queued reset email");
    let data: serde_json::Value = serde_json::from_str(&row.data).unwrap();
    data["path"].as_str().unwrap().to_owned()
}

async fn hash_of(app: &TestApp, email: &str) -> String {
    kehoach::entities::user::Entity::find()
        .filter(kehoach::entities::user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .password_hash
}

async fn a_reset_link_is_emailed_once_works_once_and_ends_every_session(app: TestApp) {
    let signed_in = app.another_browser();
    signed_in.login_as("planner").await;
    let smtp = SmtpReceiver::start().await;
    let (state, mailer) = worker_for(&app, &smtp);

    let (status, page) = app.get_text("/password/forgot").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Quên mật khẩu"));
    ask(&app, "Planner@Kehoach.demo ").await;
    // Asking again at once sends nothing more: the form cannot flood an inbox.
    ask(&app, "planner@kehoach.demo").await;
    let queued = "SELECT COUNT(*) FROM outbox_emails WHERE template = 'password_reset' AND recipient = 'planner@kehoach.demo'";
    assert_eq!(app.scalar(queued).await, 1);
    let path = link_path(&app, "planner@kehoach.demo").await;
    assert!(path.starts_with("/password/reset/"));

    assert_eq!(worker::tick(&state, &mailer).await.unwrap(), 1);
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, vec!["planner@kehoach.demo".to_owned()]);
    // Delivered: the outbox keeps no copy of the secret.
    let data = "SELECT COUNT(*) FROM outbox_emails WHERE template = 'password_reset' AND status = 'sent' AND data = '{}'";
    assert_eq!(app.scalar(data).await, 1);

    let (status, form) = app.get_text(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"new\""));
    let r = app
        .post_form(&path, &[("new", NEW_PASSWORD), ("confirm", NEW_PASSWORD)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");

    // The session opened with the old password is over.
    let r = signed_in.get("/account").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let fresh = app.another_browser();
    assert_eq!(
        fresh
            .login("planner@kehoach.demo", DEMO_PASSWORD)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        fresh
            .login("planner@kehoach.demo", NEW_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'user:reset_password'")
            .await,
        1
    );

    // Single use.
    let before = hash_of(&app, "planner@kehoach.demo").await;
    let r = app
        .post_form(
            &path,
            &[
                ("new", "another-password-1"),
                ("confirm", "another-password-1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("id=\"reset-invalid\""));
    assert_eq!(hash_of(&app, "planner@kehoach.demo").await, before);
}

async fn the_answer_is_the_same_for_an_unknown_address_and_nothing_is_written(app: TestApp) {
    let known = ask(&app, "leader@kehoach.demo").await;
    let unknown = ask(&app, "nobody@kehoach.demo").await;
    // The same page, apart from nothing: no hint of which address has an account.
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.contains("csrf"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&known), strip(&unknown));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE recipient = 'nobody@kehoach.demo'")
            .await,
        0
    );
    assert_eq!(app.count("password_resets").await, 1);

    // A malformed address is an error on the field, with what was typed kept.
    let r = app
        .post_form("/password/forgot", &[("email", "không-phải-địa-chỉ")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("value=\"không-phải-địa-chỉ\""));
    assert!(body.contains("Địa chỉ thư điện tử không hợp lệ."));
    assert_eq!(app.count("password_resets").await, 1);

    // A made-up link is refused, with a way to ask again.
    let (status, body) = app
        .get_text(&format!("/password/reset/{}", "a".repeat(43)))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("/password/forgot"));
}

async fn a_reset_link_expires_within_the_hour(app: TestApp) {
    ask(&app, "compiler@kehoach.demo").await;
    let path = link_path(&app, "compiler@kehoach.demo").await;
    app.clock.advance(Duration::minutes(59));
    assert_eq!(app.get(&path).await.status(), StatusCode::OK);
    app.clock.advance(Duration::minutes(2));
    assert_eq!(app.get(&path).await.status(), StatusCode::BAD_REQUEST);
    let before = hash_of(&app, "compiler@kehoach.demo").await;
    let r = app
        .post_form(&path, &[("new", NEW_PASSWORD), ("confirm", NEW_PASSWORD)])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(hash_of(&app, "compiler@kehoach.demo").await, before);
}

async fn a_bad_new_password_keeps_the_link_and_changes_nothing(app: TestApp) {
    // In English this time: the messages follow the browser's language.
    app.post_form("/lang", &[("locale", "en")]).await;
    ask(&app, "commune@kehoach.demo").await;
    let path = link_path(&app, "commune@kehoach.demo").await;
    let before = hash_of(&app, "commune@kehoach.demo").await;
    let r = app
        .post_form(&path, &[("new", "short"), ("confirm", "short")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("must have at least 10 characters")
    );
    let r = app
        .post_form(
            &path,
            &[("new", NEW_PASSWORD), ("confirm", "something else")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(hash_of(&app, "commune@kehoach.demo").await, before);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM password_resets WHERE used_at IS NULL")
            .await,
        1
    );
    // The link still works for a good password.
    let r = app
        .post_form(&path, &[("new", NEW_PASSWORD), ("confirm", NEW_PASSWORD)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
