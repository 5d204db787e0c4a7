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
    the_statistics_entry_and_exports_name_their_fields,
    the_rollout_pages_and_province_filters_name_their_fields,
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

/// A refusal's page names the field and says the field's own message.
async fn refused_saying(app: &TestApp, path: &str, field: &str, message: &str) {
    let (status, html) = app.get_text(path).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {html}");
    assert!(
        html.contains(&format!("Trường “{field}” trong địa chỉ: {message}")),
        "{path} names {field} with “{message}”: {html}"
    );
}

async fn the_statistics_entry_and_exports_name_their_fields(app: TestApp) {
    app.login_as("compiler").await;
    let hp = app
        .scalar("SELECT id AS n FROM org_units WHERE code = 'PY-TH-HOAPHONG'")
        .await;
    // The compiling office's scope is its whole province: an id naming no unit is outside it.
    let outside = app
        .scalar("SELECT MAX(id) + 1000 AS n FROM org_units")
        .await;
    refused(
        &app,
        &[
            ("/stats/entry?month=2024-13", "month"),
            ("/stats/entry?month=juillet", "month"),
            ("/stats/entry?unit=0&month=2024-05", "unit"),
            ("/stats/entry?unit=-3", "unit"),
            ("/stats/export?month=2024-13", "month"),
            ("/stats/export?from=juillet&to=2024-03", "from"),
            ("/stats/export?from=2024-01&to=2024-99", "to"),
            ("/stats/export?unit=abc", "unit"),
            ("/stats/export.xlsx?month=13/2024", "month"),
            ("/stats/export.xlsx?unit=zzzz%20qqqq", "unit"),
            ("/stats/export.xlsx?from=2024-01&to=x", "to"),
        ],
    )
    .await;
    // Each with the field's own message, not "unit or month".
    refused_saying(
        &app,
        "/stats/entry?month=2024-13",
        "month",
        "Tháng không hợp lệ (mm/yyyy).",
    )
    .await;
    refused_saying(
        &app,
        "/stats/export?from=2024-05&to=2024-02",
        "to",
        "Tháng kết thúc không được trước tháng bắt đầu.",
    )
    .await;
    refused_saying(
        &app,
        "/stats/export.xlsx?month=2024-00",
        "month",
        "Tháng không hợp lệ (mm/yyyy).",
    )
    .await;
    let (_, html) = app.get_text("/stats/export?month=2024-13").await;
    assert!(!html.contains("Đơn vị hoặc tháng không hợp lệ"), "{html}");
    // A readable unit id outside the scope is still a 404, naming nothing.
    for path in [
        format!("/stats/entry?unit={outside}&month=2024-05"),
        format!("/stats/export?unit={outside}&month=2024-05"),
        format!("/stats/export.xlsx?unit={outside}&month=2024-05"),
    ] {
        let (status, html) = app.get_text(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("trong địa chỉ"), "{path}");
    }
    served(
        &app,
        &[
            "/stats/entry?month=2024-05",
            "/stats/entry?unit=&month=",
            &format!("/stats/entry?unit={hp}&month=2024-05"),
        ],
    )
    .await;
    // Good and empty selections still export, and the unit asked for is the one exported.
    for path in [
        format!("/stats/export?unit={hp}&month=2024-05"),
        "/stats/export?unit=&from=2024-01&to=2024-03&month=".to_owned(),
        format!("/stats/export.xlsx?unit={hp}&from=2024-01&to=2024-06"),
        "/stats/export.xlsx?unit=&month=2024-05".to_owned(),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    // The unit asked for is the one read (each export's read is audited with its unit), and no
    // refused export was audited.
    assert_eq!(
        app.count(&format!(
            "audit_events WHERE action = 'support_stats:export' AND org_unit_id = {hp}"
        ))
        .await,
        2
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'support_stats:export'")
            .await,
        4
    );

    // A reader outside the compiling office: a period off the publication lattice names `from`.
    let leader = app.another_browser();
    leader.login_as("leader").await;
    refused(
        &leader,
        &[
            ("/stats/export?from=2024-02&to=2025-03", "from"),
            ("/stats/export.xlsx?month=2024-1x", "month"),
        ],
    )
    .await;
    assert_eq!(
        leader
            .get("/stats/export?from=2024-01&to=2024-03")
            .await
            .status(),
        StatusCode::OK
    );

    // In English for a user who switched.
    let r = app
        .post_form("/lang", &[("locale", "en"), ("next", "/")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for (path, field, message) in [
        (
            "/stats/export?month=2024-13",
            "month",
            "Invalid month (mm/yyyy).",
        ),
        (
            "/stats/entry?unit=0",
            "unit",
            "The value has the wrong type or format.",
        ),
    ] {
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            html.contains(&format!("Field “{field}” in the address: {message}")),
            "{path}: {html}"
        );
    }
}

async fn the_rollout_pages_and_province_filters_name_their_fields(app: TestApp) {
    app.login_as("admin").await;
    let province = app
        .scalar("SELECT MIN(id) AS n FROM org_units WHERE kind = 'province'")
        .await;
    let commune = app
        .scalar("SELECT MIN(id) AS n FROM org_units WHERE kind = 'commune'")
        .await;
    let nothing = app
        .scalar("SELECT MAX(id) + 1000 AS n FROM org_units")
        .await;
    refused(
        &app,
        &[
            ("/rollout/agencies?unit=abc", "unit"),
            ("/rollout/agencies?unit=-2&only=", "unit"),
            ("/rollout/agencies?unit=1.5", "unit"),
            ("/rollout/ready?unit=abc", "unit"),
            ("/rollout/ready?unit=0", "unit"),
        ],
    )
    .await;
    refused_saying(
        &app,
        "/rollout/ready?unit=x",
        "unit",
        "Đơn vị không hợp lệ.",
    )
    .await;
    // A number that names no province of the list is refused, not an empty list.
    let no_province = [
        format!("/admin/org-units?province={nothing}"),
        format!("/admin/org-units?province={commune}&kind=commune"),
        format!("/admin/agencies?province={nothing}"),
        format!("/admin/agencies?province={commune}"),
        format!("/org-units?province={nothing}"),
    ];
    for path in &no_province {
        refused_saying(
            &app,
            path,
            "province",
            "Vui lòng chọn một giá trị trong danh sách.",
        )
        .await;
    }
    served(
        &app,
        &[
            "/rollout/agencies",
            "/rollout/agencies?unit=&only=",
            &format!("/rollout/ready?unit={province}"),
            "/rollout/ready?unit=",
            &format!("/admin/org-units?province={province}"),
            &format!("/admin/agencies?province={province}"),
            &format!("/org-units?province={province}"),
            "/org-units?province=",
        ],
    )
    .await;
    // A readable unit still gets its preview (200, or 422 listing name collisions).
    let (status, html) = app
        .get_text(&format!("/rollout/agencies?unit={province}"))
        .await;
    assert!(
        status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status}"
    );
    assert!(!html.contains("trong địa chỉ"), "{html}");

    let r = app
        .post_form("/lang", &[("locale", "en"), ("next", "/")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = app.get_text(&no_province[0]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("Field “province” in the address: Please choose a value from the list."),
        "{html}"
    );
    in_english(&app, "/rollout/agencies?unit=abc", "unit").await;
}
