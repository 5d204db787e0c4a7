//! Sent exactly once: a form or API write carrying an idempotency key (made on the phone by the
//! offline queue, or by a script) stores nothing more when sent again and gets the first answer.

use crate::activities::{create, fields, pairs, set};
use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;

db_tests!(
    a_log_sent_twice_is_stored_once_and_answered_alike,
    an_unplanned_activity_sent_twice_is_one_activity,
    a_key_reused_with_other_content_is_refused_and_writes_nothing,
    a_refused_request_leaves_its_key_free_for_the_corrected_one,
    a_month_of_statistics_sent_twice_is_saved_once,
    the_api_replays_an_idempotency_key_with_the_first_answer,
    keys_are_kept_a_week_then_purged,
    the_app_is_installable_and_its_service_worker_covers_the_whole_site,
    the_phone_keeps_the_officers_activities_of_the_window,
);

const KEY: &str = "5d1c3b2a-7e6f-4a9b-8c0d-1e2f3a4b5c6d";

async fn audit_rows(app: &TestApp, action: &str) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"
    ))
    .await
}

/// A planned talk of Hòa Phong on 18/06/2024 (two days before the test clock), and its version.
async fn talk_to_log(app: &TestApp) -> (i64, String) {
    let f = fields(app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-06-18").await;
    let id = create(app, &f).await;
    let v = app
        .scalar(&format!(
            "SELECT version AS n FROM activities WHERE id = {id}"
        ))
        .await
        .to_string();
    (id, v)
}

async fn a_log_sent_twice_is_stored_once_and_answered_alike(app: TestApp) {
    app.login_as("commune").await;
    let (id, v) = talk_to_log(&app).await;
    let (_, form) = app.get_text(&format!("/activities/{id}/log")).await;
    assert!(
        form.contains("name=\"idempotency_key\""),
        "the log form carries the key field"
    );
    let body = [
        ("version", v.as_str()),
        ("held_on", "2024-06-18"),
        ("actual_participants", "64"),
        ("actual_women", "30"),
        ("idempotency_key", KEY),
    ];
    let first = app.post_form(&format!("/activities/{id}/log"), &body).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert!(first.headers().get("idempotency-replayed").is_none());
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let logs = audit_rows(&app, "activity:log").await;
    let version = app
        .scalar(&format!(
            "SELECT version AS n FROM activities WHERE id = {id}"
        ))
        .await;
    // The answer was lost on the way: the phone sends the same entry again.
    let second = app.post_form(&format!("/activities/{id}/log"), &body).await;
    assert_eq!(
        second.status(),
        StatusCode::SEE_OTHER,
        "not a conflict page"
    );
    assert_eq!(second.headers()["location"], location.as_str());
    assert_eq!(second.headers()["idempotency-replayed"], "true");
    assert_eq!(audit_rows(&app, "activity:log").await, logs);
    assert_eq!(
        app.scalar(&format!(
            "SELECT version AS n FROM activities WHERE id = {id}"
        ))
        .await,
        version,
        "nothing written the second time"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM activities WHERE id = {id} AND status = 'held' AND participants = 64"
        ))
        .await,
        1
    );
    // From another session (signed in again after it expired): the same answer still.
    let other = app.another_browser();
    other.login_as("commune").await;
    let third = other
        .post_form(&format!("/activities/{id}/log"), &body)
        .await;
    assert_eq!(third.status(), StatusCode::SEE_OTHER);
    assert_eq!(third.headers()["location"], location.as_str());
    assert_eq!(audit_rows(&app, "activity:log").await, logs);
    // Without a key, the same double send is the conflict page it always was.
    let plain: Vec<(&str, &str)> = body[..4].to_vec();
    let r = app
        .post_form(&format!("/activities/{id}/log"), &plain)
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(app.count("idempotency_keys").await, 1);
}

async fn an_unplanned_activity_sent_twice_is_one_activity(app: TestApp) {
    app.login_as("commune").await;
    let (status, form) = app.get_text("/activities/new?held=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"idempotency_key\""));
    let mut f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-06-15").await;
    set(&mut f, "held", "1");
    set(&mut f, "held_on", "2024-06-15");
    set(&mut f, "actual_participants", "45");
    set(&mut f, "actual_women", "20");
    set(&mut f, "idempotency_key", KEY);
    let before = app.count("activities").await;
    let first = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.headers()["location"], first.headers()["location"]);
    assert_eq!(app.count("activities").await, before + 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activities WHERE status = 'held' AND participants = 45")
            .await,
        1
    );
    // Two tabs at once: one write, and the other either waits its turn (409) or gets the answer.
    let mut g = f.clone();
    set(&mut g, "idempotency_key", "tab-race-0001");
    let token = app.csrf().await;
    let send = || {
        let mut body = pairs(&g);
        body.push(("csrf_token", token.as_str()));
        app.client.post(app.url("/activities")).form(&body).send()
    };
    let (a, b) = tokio::join!(send(), send());
    let statuses = [a.unwrap().status(), b.unwrap().status()];
    assert!(statuses.contains(&StatusCode::SEE_OTHER), "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert_eq!(app.count("activities").await, before + 2);
}

async fn a_key_reused_with_other_content_is_refused_and_writes_nothing(app: TestApp) {
    app.login_as("commune").await;
    let mut f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-07-02").await;
    set(&mut f, "idempotency_key", KEY);
    create(&app, &f).await;
    let before = app.count("activities").await;
    set(&mut f, "title", "Một hoạt động khác hẳn");
    let r = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Khóa chống gửi trùng (idempotency_key / Idempotency-Key) này đã được dùng"),
        "the page names the key"
    );
    assert_eq!(app.count("activities").await, before);
    // The same key on another route is refused alike.
    let (id, v) = talk_to_log(&app).await;
    let r = app
        .post_form(
            &format!("/activities/{id}/log"),
            &[
                ("version", &v),
                ("held_on", "2024-06-18"),
                ("idempotency_key", KEY),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM activities WHERE id = {id} AND status = 'planned'"
        ))
        .await,
        1
    );
    // A key that is not a key is a 400 naming the field, in English for an English user.
    app.post_form("/lang", &[("locale", "en"), ("next", "/")])
        .await;
    set(&mut f, "idempotency_key", "x y");
    let r = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("The idempotency key (idempotency_key / Idempotency-Key) is not valid")
    );
    assert_eq!(app.count("activities").await, before + 1);
}

async fn a_refused_request_leaves_its_key_free_for_the_corrected_one(app: TestApp) {
    app.login_as("commune").await;
    let (id, v) = talk_to_log(&app).await;
    // More women than participants: the form comes back with its values and the key.
    let bad = [
        ("version", v.as_str()),
        ("held_on", "2024-06-18"),
        ("actual_participants", "10"),
        ("actual_women", "12"),
        ("idempotency_key", KEY),
    ];
    let r = app.post_form(&format!("/activities/{id}/log"), &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(&format!("value=\"{KEY}\"")),
        "the key is kept"
    );
    assert_eq!(app.count("idempotency_keys").await, 0);
    let good = [
        ("version", v.as_str()),
        ("held_on", "2024-06-18"),
        ("actual_participants", "12"),
        ("actual_women", "12"),
        ("idempotency_key", KEY),
    ];
    let r = app.post_form(&format!("/activities/{id}/log"), &good).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!(
            "SELECT participants AS n FROM activities WHERE id = {id}"
        ))
        .await,
        12
    );
}

async fn a_month_of_statistics_sent_twice_is_saved_once(app: TestApp) {
    app.login_as("commune").await;
    let hp = crate::support_stats::unit(&app, "PY-TH-HOAPHONG").await;
    let (_, form) = app.get_text("/stats/entry?month=2024-05").await;
    assert!(form.contains("name=\"idempotency_key\""));
    let mut f = crate::support_stats::fields(
        &app,
        &hp,
        "2024-05",
        &[("female", "18-29", "marriage", "handed_over", "abroad", 2)],
        &[("carried_over", "1")],
    )
    .await;
    f.push(("idempotency_key".into(), KEY.into()));
    for _ in 0..2 {
        let r = app.post_form("/stats/entry", &pairs(&f)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(audit_rows(&app, "support_stats:save").await, 1);
    assert_eq!(
        app.scalar("SELECT persons AS n FROM support_stat_received")
            .await,
        2
    );
}

async fn the_api_replays_an_idempotency_key_with_the_first_answer(app: TestApp) {
    let token = crate::activities::token_for(&app, "commune@kehoach.demo").await;
    let client = crate::helpers::new_client();
    let item = app
        .scalar(
            "SELECT i.id AS n FROM plan_items i JOIN plan_items p ON p.id = i.parent_id \
             WHERE p.area_code = 'communication' AND i.position = 2",
        )
        .await;
    let body = serde_json::json!({
        "type": "rally", "title": "Mít tinh 30/7 tại xã Hòa Phong", "plan_item_id": item,
        "start_date": "2024-07-30", "planned_participants": 300
    });
    let send = |body: serde_json::Value, key: &'static str| {
        client
            .post(app.url("/api/v1/activities"))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send(body.clone(), KEY).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first_body: serde_json::Value = first.json().await.unwrap();
    let audit = app.count("audit_events").await;
    let second = send(body.clone(), KEY).await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["idempotency-replayed"], "true");
    assert!(
        second.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let second_body: serde_json::Value = second.json().await.unwrap();
    assert_eq!(first_body, second_body);
    assert_eq!(app.count("activities").await, 1);
    assert_eq!(app.count("audit_events").await, audit, "nothing written");
    // The same key with other content: 422 naming the header, nothing written.
    let mut other = body.clone();
    other["planned_participants"] = 500.into();
    let r = send(other, KEY).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: serde_json::Value = r.json().await.unwrap();
    assert!(
        err["error"]["fields"]["Idempotency-Key"]
            .as_str()
            .unwrap()
            .contains("đã được dùng cho một yêu cầu có nội dung khác")
    );
    assert_eq!(app.count("activities").await, 1);
    // A malformed key: 400 naming the header.
    let r = send(body.clone(), "short").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let err: serde_json::Value = r.json().await.unwrap();
    assert!(err["error"]["fields"]["Idempotency-Key"].is_string());
    assert_eq!(app.count("activities").await, 1);
    // A new key is a new activity.
    let r = send(body, "a-second-key-0002").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(app.count("activities").await, 2);
}

async fn keys_are_kept_a_week_then_purged(app: TestApp) {
    let token = crate::activities::token_for(&app, "commune@kehoach.demo").await;
    let client = crate::helpers::new_client();
    let item = app
        .scalar(
            "SELECT i.id AS n FROM plan_items i JOIN plan_items p ON p.id = i.parent_id \
             WHERE p.area_code = 'communication' AND i.position = 2",
        )
        .await;
    let body = serde_json::json!({
        "type": "rally", "title": "Mít tinh tại thôn Phong Niên", "plan_item_id": item,
        "start_date": "2024-07-30"
    });
    let send = || {
        client
            .post(app.url("/api/v1/activities"))
            .bearer_auth(&token)
            .header("Idempotency-Key", KEY)
            .json(&body)
            .send()
    };
    assert_eq!(send().await.unwrap().status(), StatusCode::CREATED);
    app.clock.advance(chrono::Duration::days(6));
    let r = send().await.unwrap();
    assert_eq!(
        r.headers()["idempotency-replayed"],
        "true",
        "kept after 6 days"
    );
    let removed = kehoach::web::idempotency::purge(&app.db, app.clock.now())
        .await
        .unwrap();
    assert_eq!(removed, 0);
    assert_eq!(app.count("activities").await, 1);
    app.clock.advance(chrono::Duration::days(2));
    let removed = kehoach::web::idempotency::purge(&app.db, app.clock.now())
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(app.count("idempotency_keys").await, 0);
}

/// Width and height of a PNG, from its header.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

async fn the_app_is_installable_and_its_service_worker_covers_the_whole_site(app: TestApp) {
    app.login_as("commune").await;
    let (_, home) = app.get_text("/").await;
    assert!(home.contains("<link rel=\"manifest\" href=\"/static/manifest.webmanifest?v="));
    assert!(home.contains("/static/offline.js?v="));
    assert!(home.contains("id=\"offline-queue\""));
    assert!(
        home.contains("data-send_now=\"Gửi ngay\""),
        "the script's texts are translated"
    );
    let r = app.get("/static/manifest.webmanifest").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/manifest+json");
    let m: serde_json::Value = r.json().await.unwrap();
    assert_eq!(m["lang"], "vi");
    assert_eq!(m["short_name"], "Kế hoạch");
    assert_eq!(m["start_url"], "/");
    assert_eq!(m["display"], "standalone");
    let mut sizes = Vec::new();
    for icon in m["icons"].as_array().unwrap() {
        let src = icon["src"].as_str().unwrap();
        let r = app.get(src).await;
        assert_eq!(r.status(), StatusCode::OK, "{src}");
        assert_eq!(r.headers()["content-type"], "image/png");
        let (w, h) = png_size(&r.bytes().await.unwrap());
        assert_eq!(format!("{w}x{h}"), icon["sizes"].as_str().unwrap());
        sizes.push(w);
    }
    assert!(sizes.contains(&192) && sizes.contains(&512));
    // The service worker is served from the root, whoever asks, with the release in it.
    let anonymous = app.another_browser();
    let r = anonymous.get("/sw.js").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(r.headers()["service-worker-allowed"], "/");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let sw = r.text().await.unwrap();
    assert!(sw.contains(&format!("var VERSION = \"{}\"", env!("CARGO_PKG_VERSION"))));
    assert!(!sw.contains("__TEXTS__") && !sw.contains("__VERSION__"));
    assert!(sw.contains("trang này chưa được lưu trên điện thoại"));
    assert!(sw.contains("this page has not been kept on the phone"));
    // The offline script stays small (the budget is 20 KB compressed; uncompressed is looser).
    let r = app.get("/static/offline.js").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().len() < 40 * 1024);
}

async fn the_phone_keeps_the_officers_activities_of_the_window(app: TestApp) {
    app.login_as("commune").await;
    let mut ids = Vec::new();
    // 100 days ago, 10 days ago, in 30 days and in 90 days (the clock is 20/06/2024).
    for date in ["2024-03-12", "2024-06-10", "2024-07-20", "2024-09-18"] {
        let f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", date).await;
        ids.push(create(&app, &f).await);
    }
    let r = app.get("/offline/state").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let st: serde_json::Value = r.json().await.unwrap();
    let pages: Vec<&str> = st["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for must in ["/", "/activities/new?held=1", "/stats/entry"] {
        assert!(pages.contains(&must), "{must} in {pages:?}");
    }
    assert!(pages.contains(&"/activities?status=planned&from=2024-03-22&to=2024-08-19"));
    for (id, kept) in ids.iter().zip([false, true, true, false]) {
        let log = format!("/activities/{id}/log");
        assert_eq!(pages.contains(&log.as_str()), kept, "{log}");
        assert_eq!(pages.contains(&format!("/activities/{id}").as_str()), kept);
    }
    assert!(!st["csrf_token"].as_str().unwrap().is_empty());
    assert!(st["user_id"].as_i64().unwrap() > 0);
    // Every page listed opens for this user.
    for p in &pages {
        assert_eq!(app.get(p).await.status(), StatusCode::OK, "{p}");
    }
    // Signed out, there is nothing to keep: the sign-in page instead.
    let anonymous = app.another_browser();
    let r = anonymous.get("/offline/state").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}
