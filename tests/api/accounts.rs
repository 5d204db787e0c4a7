//! Login, logout, throttling, sessions, CSRF, API tokens and the account page.

use crate::db_tests;
use crate::helpers::{DEMO_PASSWORD, TestApp};
use reqwest::StatusCode;

db_tests!(
    login_with_the_right_password_opens_the_home_page,
    a_wrong_password_and_an_unknown_email_get_the_same_answer,
    repeated_failures_are_throttled_even_for_the_right_password,
    login_replaces_the_session_id,
    a_session_ends_after_being_idle,
    a_session_ends_at_its_absolute_limit,
    a_form_without_its_csrf_token_is_refused_and_writes_nothing,
    logout_ends_the_session,
    an_api_token_identifies_its_user_and_a_bad_one_is_refused,
    a_user_changes_their_password_and_must_sign_in_again,
    a_deactivated_user_is_signed_out_at_once,
);

async fn login_with_the_right_password_opens_the_home_page(app: TestApp) {
    let r = app.login("planner@kehoach.demo", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    let (status, html) = app.get_text("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Nguyễn Thị Lan"), "{html}");
    assert!(html.contains("Cán bộ lập kế hoạch"));
}

async fn a_wrong_password_and_an_unknown_email_get_the_same_answer(app: TestApp) {
    let wrong = app.login("planner@kehoach.demo", "not-the-password").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong_html = wrong.text().await.unwrap();
    let unknown = app.login("nobody@kehoach.demo", "not-the-password").await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown_html = unknown.text().await.unwrap();
    let message = "Thư điện tử hoặc mật khẩu không đúng.";
    assert!(wrong_html.contains(message));
    assert!(unknown_html.contains(message));
    // The form keeps the email that was typed.
    assert!(wrong_html.contains("value=\"planner@kehoach.demo\""));
    assert_eq!(app.count("sessions").await, 0);
}

async fn repeated_failures_are_throttled_even_for_the_right_password(app: TestApp) {
    for _ in 0..5 {
        let r = app.login("leader@kehoach.demo", "wrong-password").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = app.login("leader@kehoach.demo", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("15 phút"));
    assert_eq!(app.count("sessions").await, 0);
    // Another account from elsewhere is not affected...
    let other = app.another_browser();
    assert_eq!(
        other
            .login("planner@kehoach.demo", DEMO_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // ...and the window passes.
    app.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(
        app.login("leader@kehoach.demo", DEMO_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("kehoach_session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

async fn login_replaces_the_session_id(app: TestApp) {
    let first = app.login("planner@kehoach.demo", DEMO_PASSWORD).await;
    let first_cookie = session_cookie(&first).expect("a session cookie");
    assert!(
        first.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("HttpOnly")
    );
    let second = app.login("planner@kehoach.demo", DEMO_PASSWORD).await;
    let second_cookie = session_cookie(&second).expect("a new session cookie");
    assert_ne!(first_cookie, second_cookie);
    // The old id no longer opens anything.
    let r = app
        .another_browser()
        .client
        .get(app.url("/account"))
        .header("cookie", &first_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    assert_eq!(app.count("sessions").await, 1);
    // A cookie value the server never issued is ignored (no fixation).
    let r = app
        .another_browser()
        .client
        .get(app.url("/account"))
        .header("cookie", "kehoach_session=attacker-chosen")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn a_session_ends_after_being_idle(app: TestApp) {
    app.login_as("commune").await;
    app.clock.advance(chrono::Duration::hours(3));
    assert_eq!(app.get("/account").await.status(), StatusCode::OK);
    app.clock.advance(chrono::Duration::hours(3));
    assert_eq!(app.get("/account").await.status(), StatusCode::OK);
    app.clock
        .advance(chrono::Duration::hours(4) + chrono::Duration::minutes(1));
    let r = app.get("/account").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=%2Faccount");
    assert_eq!(app.count("sessions").await, 0);
}

async fn a_session_ends_at_its_absolute_limit(app: TestApp) {
    app.login_as("commune").await;
    for _ in 0..3 {
        app.clock.advance(chrono::Duration::hours(3));
        assert_eq!(app.get("/account").await.status(), StatusCode::OK);
    }
    // Active all along, the session still ends 12 hours after login.
    app.clock
        .advance(chrono::Duration::hours(2) + chrono::Duration::minutes(59));
    assert_eq!(app.get("/account").await.status(), StatusCode::OK);
    app.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(app.get("/account").await.status(), StatusCode::SEE_OTHER);
}

async fn a_form_without_its_csrf_token_is_refused_and_writes_nothing(app: TestApp) {
    app.login_as("admin").await;
    let before = app.count("codes").await;
    let fields = [
        ("list", "activity_type"),
        ("code", "csrf_probe"),
        ("name_vi", "Thử"),
        ("name_en", "Probe"),
    ];
    let r = app
        .client
        .post(app.url("/admin/codes"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Phiên làm việc của biểu mẫu đã hết hạn")
    );
    let mut wrong = fields.to_vec();
    wrong.push(("csrf_token", "0000"));
    let r = app
        .client
        .post(app.url("/admin/codes"))
        .form(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("codes").await, before);
    // With the token it goes through.
    let r = app.post_form("/admin/codes", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("codes").await, before + 1);
    // The anonymous login form is protected too.
    let anon = app.another_browser();
    let r = anon
        .client
        .post(anon.url("/login"))
        .form(&[("email", "admin@kehoach.demo"), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn logout_ends_the_session(app: TestApp) {
    app.login_as("leader").await;
    let r = app.post_form("/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
    assert_eq!(app.count("sessions").await, 0);
    let (_, html) = app.get_text("/login").await;
    assert!(html.contains("Bạn đã đăng xuất."));
    assert_eq!(app.get("/").await.status(), StatusCode::SEE_OTHER);
}

async fn an_api_token_identifies_its_user_and_a_bad_one_is_refused(app: TestApp) {
    use kehoach::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let partner = user::Entity::find()
        .filter(user::Column::Email.eq("partner@kehoach.demo"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let token =
        kehoach::auth::users::issue_api_token(&app.db, partner.id, "script", app.clock.now())
            .await
            .unwrap();
    let client = crate::helpers::new_client();
    let me: serde_json::Value = client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "partner@kehoach.demo");
    assert_eq!(me["role"], "partner");
    assert_eq!(me["id"], partner.id);
    assert_eq!(me["agency_id"], partner.agency_id);
    assert!(me["org_unit_id"].as_i64().unwrap() > 0);
    let bad = client
        .get(app.url("/api/v1/me"))
        .bearer_auth("kh_not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().len() > 5);
    let anonymous = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

async fn a_user_changes_their_password_and_must_sign_in_again(app: TestApp) {
    app.login_as("compiler").await;
    let r = app
        .post_form(
            "/account/password",
            &[("current", "wrong"), ("new", "short"), ("confirm", "short")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Mật khẩu hiện tại không đúng."));
    assert!(html.contains("Mật khẩu phải có ít nhất 10 ký tự."));
    let r = app
        .post_form(
            "/account/password",
            &[
                ("current", DEMO_PASSWORD),
                ("new", "một mật khẩu mới"),
                ("confirm", "một mật khẩu mới"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/account").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.login("compiler@kehoach.demo", DEMO_PASSWORD)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.login("compiler@kehoach.demo", "một mật khẩu mới")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

async fn a_deactivated_user_is_signed_out_at_once(app: TestApp) {
    let commune = app.another_browser();
    commune.login_as("commune").await;
    assert_eq!(commune.get("/").await.status(), StatusCode::OK);
    app.login_as("admin").await;
    let id = app
        .scalar("SELECT COUNT(*) FROM users WHERE email = 'commune@kehoach.demo'")
        .await;
    assert_eq!(id, 1);
    let (_, html) = app.get_text("/admin/users").await;
    let marker = "commune@kehoach.demo";
    assert!(html.contains(marker));
    let user_id: i64 = {
        use kehoach::entities::user;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        user::Entity::find()
            .filter(user::Column::Email.eq("commune@kehoach.demo"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let r = app
        .post_form(&format!("/admin/users/{user_id}/active"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(commune.get("/").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        commune
            .login("commune@kehoach.demo", DEMO_PASSWORD)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'user:deactivate'")
            .await
            == 1
    );
}

db_tests!(
    a_user_makes_an_api_key_uses_it_and_revoking_it_refuses_the_next_request,
    a_bad_api_key_name_is_refused_and_nothing_is_written,
);

/// The secret of the key shown on the page that answers its creation.
fn key_in(html: &str) -> String {
    let at = html.find("value=\"kh_").expect("the new key is shown") + "value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

async fn me_with(app: &TestApp, key: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

async fn a_user_makes_an_api_key_uses_it_and_revoking_it_refuses_the_next_request(app: TestApp) {
    app.login_as("commune").await;
    let r = app
        .post_form("/account/api-tokens", &[("name", "Bảng tính của xã")])
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let key = key_in(&r.text().await.unwrap());

    // It acts as its owner.
    let r = me_with(&app, &key).await;
    assert_eq!(r.status(), StatusCode::OK);
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(me["email"], "commune@kehoach.demo");
    // The list names it, says it was used, and never shows the secret again.
    let (status, html) = app.get_text("/account/api-tokens").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Bảng tính của xã"));
    assert!(!html.contains(&key));
    assert!(!html.contains("Chưa dùng"), "last use not shown");
    let id = app.scalar("SELECT MAX(id) AS n FROM api_tokens").await;
    let stored = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE id = {id} AND token_hash <> '{key}'"
        ))
        .await;
    assert_eq!(stored, 1, "only the hash is kept");

    // Someone else cannot revoke it: not found, and it still works.
    let other = app.another_browser();
    other.login_as("planner").await;
    let r = other
        .post_form(&format!("/account/api-tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(me_with(&app, &key).await.status(), StatusCode::OK);

    // Revoked: the very next request is refused, on every API route.
    let r = app
        .post_form(&format!("/account/api-tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(me_with(&app, &key).await.status(), StatusCode::UNAUTHORIZED);
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/activities"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (_, html) = app.get_text("/account/api-tokens").await;
    assert!(
        !html.contains("Bảng tính của xã"),
        "a revoked key is still listed"
    );
    // Revoking twice is harmless and audited once.
    let r = app
        .post_form(&format!("/account/api-tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let audited = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'api_token:revoke' AND object_id = {id}"
        ))
        .await;
    assert_eq!(audited, 1);
}

async fn a_bad_api_key_name_is_refused_and_nothing_is_written(app: TestApp) {
    app.login_as("planner").await;
    let long = "x".repeat(81);
    for (name, message) in [
        ("   ", "Vui lòng nhập thông tin này."),
        (long.as_str(), "Tên khóa tối đa 80 ký tự"),
        ("Bảng\u{7}tính", "Tên khóa tối đa 80 ký tự"),
    ] {
        let r = app
            .post_form("/account/api-tokens", &[("name", name)])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{name:?}: {html}");
        assert!(!html.contains("value=\"kh_"));
    }
    // What was typed is kept.
    let r = app
        .post_form("/account/api-tokens", &[("name", &long)])
        .await;
    assert!(r.text().await.unwrap().contains(&long));
    assert_eq!(app.count("api_tokens").await, 0);
    // Ten live keys at most.
    for i in 0..10 {
        let r = app
            .post_form("/account/api-tokens", &[("name", &format!("Khóa {i}"))])
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let r = app
        .post_form("/account/api-tokens", &[("name", "Khóa thứ 11")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Bạn đã có 10 khóa đang dùng")
    );
    assert_eq!(app.count("api_tokens").await, 10);
    // In English too.
    let r = app
        .post_form(
            "/lang",
            &[("locale", "en"), ("next", "/account/api-tokens")],
        )
        .await;
    assert!(r.status().is_redirection());
    let (_, html) = app.get_text("/account/api-tokens").await;
    assert!(html.contains("API keys"), "{html}");
}
