//! Issue 22: a query-string filter that cannot be read, or names no choice the page offers, is
//! refused with a 4xx naming the field (in the user's language), never replaced by its default;
//! an empty value is still no filter, and a good value still works. Pages, exports and the API.

use crate::crash::token_for;
use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;

db_tests!(
    the_calendar_and_activity_filters_name_what_they_cannot_read,
    the_administration_lists_name_their_filters,
    the_task_board_and_audit_filters_name_their_fields,
);

/// Every `(path, field)` answers 400 with the page naming the field in Vietnamese.
async fn refused(app: &TestApp, cases: &[(&str, &str)]) {
    for (path, field) in cases {
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {html}");
        assert!(
            html.contains(&format!("Trường “{field}” trong địa chỉ")),
            "{path} names {field}: {html}"
        );
    }
}

/// Every path answers 200.
async fn served(app: &TestApp, paths: &[&str]) {
    for path in paths {
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        assert!(!html.contains("trong địa chỉ"), "{path}");
    }
}

/// Switches the browser to English and checks one refusal names its field in English.
async fn in_english(app: &TestApp, path: &str, field: &str) {
    let r = app
        .post_form("/lang", &[("locale", "en"), ("next", "/")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = app.get_text(path).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
    assert!(
        html.contains(&format!("Field “{field}” in the address"))
            && html.contains("The value has the wrong type or format."),
        "{path}: {html}"
    );
}

async fn the_calendar_and_activity_filters_name_what_they_cannot_read(app: TestApp) {
    app.login_as("planner").await;
    let type_id = app
        .scalar("SELECT MIN(id) AS n FROM codes WHERE list = 'activity_type'")
        .await;
    refused(
        &app,
        &[
            ("/activities/calendar?month=2024-13", "month"),
            ("/activities/calendar?month=juillet", "month"),
            ("/activities/calendar?month=2024-07-01", "month"),
            ("/activities/calendar?week=2024-02-30", "week"),
            ("/activities/calendar?week=next", "week"),
            ("/activities/calendar?month=2024-07&type=abc", "type"),
            ("/activities?type=abc", "type"),
            ("/activities?item=-3", "item"),
            ("/activities?group=x", "group"),
            ("/activities?agency=police", "agency"),
            ("/activities?em=yes", "em"),
            ("/activities?border=2", "border"),
            ("/activities?after=yesterday", "after"),
            ("/activities/export.csv?type=abc", "type"),
            ("/activities/export.xlsx?group=1.5", "group"),
            ("/activities/new?date=31/02/2024", "date"),
        ],
    )
    .await;
    served(
        &app,
        &[
            "/activities/calendar?month=2024-07",
            "/activities/calendar?month=2024-7",
            "/activities/calendar?week=2024-07-30",
            "/activities/calendar?week=30/07/2024",
            "/activities/calendar?month=&week=",
            &format!("/activities?type={type_id}&em=1&border=on&item=&group=&agency=&after="),
            "/activities?after=2024-07-30_5",
            "/activities/new?date=2024-07-30",
            "/activities/new?date=",
        ],
    )
    .await;
    // The month asked for is the month shown.
    let (_, html) = app.get_text("/activities/calendar?month=2024-07").await;
    assert!(
        html.contains("2024-06") && html.contains("2024-08"),
        "{html}"
    );
    for path in [
        "/activities/export.csv?type=&em=",
        "/activities/export.xlsx?group=",
    ] {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "{path}");
    }

    // The API names the field in its error body, in the caller's language.
    let token = token_for(&app, "commune@kehoach.demo").await;
    let client = reqwest::Client::new();
    for (query, field) in [
        ("type=abc", "type"),
        ("em=maybe", "em"),
        ("after=x", "after"),
    ] {
        let r = client
            .get(app.url(&format!("/api/v1/activities?{query}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            body["error"]["fields"][field], "Giá trị không đúng kiểu hoặc định dạng.",
            "{query}: {body}"
        );
    }
    let r = client
        .get(app.url("/api/v1/activities?type=&em=1&after="))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    in_english(&app, "/activities/calendar?week=soon", "week").await;
}

async fn the_administration_lists_name_their_filters(app: TestApp) {
    app.login_as("admin").await;
    let province = app
        .scalar("SELECT MIN(id) AS n FROM org_units WHERE kind = 'province'")
        .await;
    refused(
        &app,
        &[
            ("/admin/org-units?province=abc", "province"),
            ("/admin/org-units?kind=kingdom", "kind"),
            ("/admin/org-units?status=open", "status"),
            ("/admin/org-units?after=next", "after"),
            ("/admin/org-units/merge?kind=kingdom", "kind"),
            ("/org-units?status=active", "status"),
            ("/org-units?province=1e3", "province"),
            ("/admin/agencies?kind=commune", "kind"),
            ("/admin/agencies?status=closed", "status"),
            ("/admin/agencies?province=-1", "province"),
            ("/admin/users?role=king", "role"),
            ("/admin/users?status=asleep", "status"),
            ("/admin/outbox?status=lost", "status"),
            ("/rollout/ready?show=everything", "show"),
            ("/rollout/ready?after=x", "after"),
        ],
    )
    .await;
    served(
        &app,
        &[
            &format!("/admin/org-units?province={province}&kind=commune&status=current"),
            "/admin/org-units?province=&kind=&status=&after=",
            "/admin/org-units/merge?q=hoa&kind=",
            "/org-units?kind=district&status=closed",
            "/admin/agencies?kind=police&status=active",
            "/admin/agencies?kind=&status=&province=",
            "/admin/users?role=leader&status=active",
            "/admin/users?role=&status=",
            "/admin/users?status=invited",
            "/admin/outbox?status=sent",
            "/rollout/ready?show=gaps",
            "/rollout/ready?show=",
        ],
    )
    .await;
    // The filters still filter: a leader's role lists the leader, not the planner.
    let (_, html) = app.get_text("/admin/users?role=leader").await;
    assert!(html.contains("leader@kehoach.demo"), "{html}");
    assert!(!html.contains("planner@kehoach.demo"), "{html}");

    in_english(&app, "/admin/agencies?kind=castle", "kind").await;
    in_english(&app, "/admin/users?role=king", "role").await;
}

async fn the_task_board_and_audit_filters_name_their_fields(app: TestApp) {
    app.login_as("admin").await;
    refused(
        &app,
        &[
            ("/tasks?kind=abc", "kind"),
            ("/tasks?status=lost", "status"),
            ("/tasks?item=x", "item"),
            ("/tasks?after=2024-07-30", "after"),
            ("/tasks/export.csv?status=lost", "status"),
            ("/tasks/export.xlsx?agency=Công an", "agency"),
            ("/admin/audit?from=31/02/2024", "from"),
            ("/admin/audit?to=tomorrow", "to"),
            ("/admin/audit?object_type=dragon", "object_type"),
            ("/admin/audit?action=dragon:fly", "action"),
            ("/admin/audit?action=x'%20OR%201=1", "action"),
            ("/admin/audit?before=abc", "before"),
            ("/admin/audit/export.csv?object_type=dragon", "object_type"),
        ],
    )
    .await;
    // An agency typed in the board's picker that names none is a 422 at the field.
    let (status, html) = app.get_text("/tasks?agency=zzzz%20qqqq").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    // The audit knows an action once the log holds it: the export writes one.
    assert_eq!(
        app.get("/admin/audit/export.csv").await.status(),
        StatusCode::OK
    );
    served(
        &app,
        &[
            "/tasks?status=requested&kind=&item=&after=",
            "/tasks?after=2024-07-30_1",
            "/tasks?agency=",
            "/admin/audit?action=audit:export&from=2020-01-01&to=",
            "/admin/audit?object_type=&action=&before=",
        ],
    )
    .await;
    for path in [
        "/tasks/export.csv?status=done",
        "/tasks/export.xlsx?agency=",
    ] {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "{path}");
    }
    // The audit's own messages stay, under the field's name.
    let (_, html) = app.get_text("/admin/audit?from=2024-13-01").await;
    assert!(html.contains("Ngày không hợp lệ"), "{html}");
    assert_eq!(
        app.count("audit_events WHERE action = 'audit:export'")
            .await,
        1,
        "a refused export is not audited"
    );

    in_english(&app, "/tasks?status=lost", "status").await;
}
