//! The web shell: health, headers, error pages, static files, languages.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;

db_tests!(
    health_answers_when_the_database_does,
    pages_carry_security_headers_and_no_inline_script,
    unknown_pages_get_a_translated_404_without_internals,
    switching_to_english_keeps_the_page_and_translates_errors,
    static_files_are_served_with_cache_headers,
    a_role_without_access_gets_403_and_no_content,
);

async fn health_answers_when_the_database_does(app: TestApp) {
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

async fn pages_carry_security_headers_and_no_inline_script(app: TestApp) {
    let r = app.get("/login").await;
    let h = r.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script>"));
    assert!(!html.contains("style=\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external hosts"
    );
}

async fn unknown_pages_get_a_translated_404_without_internals(app: TestApp) {
    app.login_as("planner").await;
    let (status, html) = app.get_text("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Không tìm thấy trang"));
    assert!(
        html.contains("Nguyễn Thị Lan"),
        "the layout knows who is signed in"
    );
    let (status, html) = app.get_text("/admin/org-units/abc/edit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!html.contains("Cannot parse"));
}

async fn switching_to_english_keeps_the_page_and_translates_errors(app: TestApp) {
    app.login_as("admin").await;
    let r = app
        .post_form("/lang", &[("locale", "en"), ("next", "/admin/users/new")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin/users/new");
    let (_, html) = app.get_text("/admin/users/new").await;
    assert!(html.contains("Add a user"));
    assert!(html.contains("lang=\"en\""));
    let r = app
        .post_form("/admin/users", &[("email", "x"), ("role", "")])
        .await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Please choose a role."),
        "errors in English: {html}"
    );
    // The choice is stored on the account.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users WHERE email = 'admin@kehoach.demo' AND locale = 'en'"
        )
        .await,
        1
    );
    // An off-site "next" is not followed.
    let r = app
        .post_form("/lang", &[("locale", "vi"), ("next", "//evil.example/")])
        .await;
    assert_eq!(r.headers()["location"], "/");
}

async fn static_files_are_served_with_cache_headers(app: TestApp) {
    let r = app.get("/static/app.css").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert_eq!(
        app.get("/static/../Cargo.toml").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/static/nothing.js").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn a_role_without_access_gets_403_and_no_content(app: TestApp) {
    app.login_as("commune").await;
    let (status, html) = app.get_text("/admin/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!html.contains("admin@kehoach.demo"));
    assert!(html.contains("Bạn không có quyền"));
}
