//! The audit viewer (`/admin/audit`): filters give exactly the matching events, newest first;
//! a leader sees only the events of units in scope; other roles are refused; the exports hold
//! the filtered rows with formulas neutralised, and are themselves audited; bad filters are a
//! 400 with a message, never a 500.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use std::io::Read;

db_tests!(
    the_filters_return_exactly_the_matching_events_newest_first,
    a_leader_sees_only_the_events_of_units_in_scope,
    roles_other_than_admin_and_leader_are_refused,
    the_exports_hold_the_filtered_events_neutralised_and_are_audited,
    bad_filter_values_are_a_400_with_a_clear_message,
);

/// A title that a spreadsheet would run, and markup a page would render.
const INJECTED: &str = "=HYPERLINK(\"http://evil.example\",\"<b>Hòa Phong</b>\")";

/// Known events, made through the app: on 20/06/2024 the administrator creates an agency in a
/// commune (in the leader's scope), renames the province's People's Committee (outside it),
/// creates a commune named like a formula and resets the partner's password (no unit); on
/// 22/06/2024 the commune officer schedules an activity through the API.
async fn make_events(app: &TestApp) {
    app.login_as("admin").await;
    crate::admin::add_commune_police(app).await;
    let province_agency = app
        .scalar("SELECT id AS n FROM agencies WHERE code = 'PY-UBND'")
        .await;
    let r = app
        .post_form(
            &format!("/admin/agencies/{province_agency}"),
            &[
                ("name", "Ủy ban nhân dân tỉnh Phú Yên"),
                ("short_name", "UBND tỉnh"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let district = app
        .scalar("SELECT id AS n FROM org_units WHERE code = 'PY-TH'")
        .await
        .to_string();
    let r = app
        .post_form(
            "/admin/org-units",
            &[
                ("code", "PY-TH-FORMULA"),
                ("name", INJECTED),
                ("kind", "commune"),
                ("parent_id", &district),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let partner = app
        .scalar("SELECT id AS n FROM users WHERE email = 'partner@kehoach.demo'")
        .await;
    let r = app
        .post_form(&format!("/admin/users/{partner}/password"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    app.clock.advance(chrono::Duration::days(2));
    let token = crate::crash::token_for(app, "commune@kehoach.demo").await;
    let item = crate::crash::leaf_item(app).await;
    let r = app
        .client
        .post(app.url("/api/v1/activities"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "type": "talk", "title": INJECTED, "plan_item_id": item,
            "start_date": "2024-07-30", "target_groups": ["public"]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // Two days on, the administrator's session has ended.
    app.login_as("admin").await;
}

/// The event ids a page lists, in order.
fn ids_on(html: &str) -> Vec<i64> {
    html.split("<br><span class=\"meta\">#")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].parse().unwrap())
        .collect()
}

/// The cursor of the "older" link, if the page has one.
fn older_cursor(html: &str) -> Option<i64> {
    let link = &html[html.find("rel=\"next\" href=\"")?..];
    let link = &link[..link.find("\">").unwrap()];
    let cursor = &link[link.find("before=").unwrap() + 7..];
    Some(cursor.parse().unwrap())
}

/// The ids the database holds for a condition, newest first.
async fn ids_where(app: &TestApp, condition: &str) -> Vec<i64> {
    use sea_orm::{FromQueryResult, Statement};
    #[derive(FromQueryResult)]
    struct Id {
        id: i64,
    }
    let sql = format!(
        "SELECT CAST(id AS BIGINT) AS id FROM audit_events WHERE {condition} ORDER BY id DESC"
    );
    let stmt = Statement::from_string(app.db.get_database_backend(), sql);
    Id::find_by_statement(stmt)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

async fn listed(app: &TestApp, query: &str) -> Vec<i64> {
    let (status, html) = app.get_text(&format!("/admin/audit?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {html}");
    ids_on(&html)
}

/// The instant of every event made before the clock moves on.
const FIRST_DAY: &str = "(SELECT MIN(created_at) FROM audit_events)";

/// `n` more events in the leader's scope: renames of the commune's police station.
async fn renames(app: &TestApp, n: usize) {
    let agency = app
        .scalar("SELECT id AS n FROM agencies WHERE code = 'TH-SONTHANHTAY-CA'")
        .await;
    for i in 0..n {
        let r = app
            .post_form(
                &format!("/admin/agencies/{agency}"),
                &[
                    ("name", &format!("Công an xã Sơn Thành Tây ({i})")),
                    ("active", "on"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
}

async fn the_filters_return_exactly_the_matching_events_newest_first(app: TestApp) {
    make_events(&app).await;
    let commune_user = app
        .scalar("SELECT id AS n FROM users WHERE email = 'commune@kehoach.demo'")
        .await;
    let cases = [
        ("action=agency:create", "action = 'agency:create'".to_owned()),
        ("object_type=agency", "object_type = 'agency'".to_owned()),
        (
            "user=commune@kehoach.demo",
            format!("user_id = {commune_user}"),
        ),
        (
            &format!("user={commune_user}"),
            format!("user_id = {commune_user}"),
        ),
        (
            "user=Admin@Kehoach.Demo&object_type=agency",
            "object_type = 'agency' AND user_id = (SELECT id FROM users WHERE email = 'admin@kehoach.demo')"
                .to_owned(),
        ),
        // The events of 22/06 (Vietnamese days), then those of 20/06.
        (
            "from=22/06/2024",
            format!("created_at > {FIRST_DAY}"),
        ),
        (
            "from=2024-06-20&to=2024-06-20",
            format!("created_at = {FIRST_DAY}"),
        ),
        ("to=2024-06-19", "1 = 0".to_owned()),
        (
            "action=activity:create&from=2024-06-22&to=2024-06-22",
            "action = 'activity:create'".to_owned(),
        ),
    ];
    for (query, condition) in &cases {
        let on_page = listed(&app, query).await;
        let expected = ids_where(&app, condition).await;
        assert_eq!(on_page, expected, "{query}");
    }
    // Each known action was found once.
    for action in [
        "agency:create",
        "agency:update",
        "org_unit:create",
        "user:set_password",
        "activity:create",
    ] {
        assert_eq!(
            listed(&app, &format!("action={action}")).await.len(),
            1,
            "{action}"
        );
    }
    // Unfiltered: everything, newest first, a page at a time through the keyset link.
    renames(&app, 50).await;
    let everything = ids_where(&app, "1 = 1").await;
    assert!(everything.len() > 50, "more than one page of events");
    let (_, html) = app.get_text("/admin/audit").await;
    let first = ids_on(&html);
    assert_eq!(first, everything[..50]);
    let older = older_cursor(&html).unwrap();
    let second = listed(&app, &format!("before={older}")).await;
    assert_eq!(second, everything[50..everything.len().min(100)]);
    // The page shows who, what and a link to the object; the change is escaped.
    let (_, html) = app.get_text("/admin/audit?action=activity:create").await;
    let activity = app
        .scalar("SELECT id AS n FROM activities ORDER BY id DESC LIMIT 1")
        .await;
    assert!(html.contains(&format!("href=\"/activities/{activity}\"")));
    assert!(html.contains("Lê Thị Hồng"), "the commune officer's name");
    assert!(html.contains("commune@kehoach.demo"));
    assert!(!html.contains("<b>Hòa Phong</b>"), "markup is not rendered");
    assert!(html.contains("&lt;b&gt;Hòa Phong&lt;/b&gt;"));
    assert!(html.contains("class=\"table-wrap\" tabindex=\"0\""));
    assert!(html.contains("href=\"/admin/audit\""), "in the admin nav");
}

async fn a_leader_sees_only_the_events_of_units_in_scope(app: TestApp) {
    make_events(&app).await;
    renames(&app, 60).await;
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let in_scope = "org_unit_id IN (SELECT id FROM org_units WHERE code = 'PY-TH' \
                    OR parent_id = (SELECT id FROM org_units WHERE code = 'PY-TH'))";
    let (status, html) = leader.get_text("/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    let expected = ids_where(&app, in_scope).await;
    assert_eq!(ids_on(&html), expected[..expected.len().min(50)]);
    assert!(html.contains("/admin/audit\""), "the footer links the log");
    assert!(
        !html.contains("href=\"/admin/users\""),
        "no admin navigation for a leader"
    );
    let mut all = Vec::new();
    let mut query = String::new();
    loop {
        let (_, html) = leader.get_text(&format!("/admin/audit?{query}")).await;
        let ids = ids_on(&html);
        all.extend(ids.iter().copied());
        match older_cursor(&html) {
            Some(cursor) => query = format!("before={cursor}"),
            None => break,
        }
    }
    assert_eq!(all, expected, "every page together: exactly the scope");
    for outside in [
        "action = 'agency:update' AND object_id = (SELECT id FROM agencies WHERE code = 'PY-UBND')",
        "action = 'user:set_password'",
        "org_unit_id IS NULL",
    ] {
        for id in ids_where(&app, outside).await {
            assert!(
                !all.contains(&id),
                "{outside}: event {id} shown to a leader"
            );
        }
    }
    assert_eq!(
        ids_on(&leader.get_text("/admin/audit?action=agency:create").await.1),
        ids_where(&app, "action = 'agency:create'").await
    );
    // The export is scoped the same way.
    let csv = leader
        .get("/admin/audit/export.csv?object_type=agency&action=agency:update")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        csv.trim_end().split("\r\n").count(),
        61,
        "the header and the 60 renames in scope, not the province's"
    );
    assert!(!csv.contains("Ủy ban nhân dân tỉnh Phú Yên"));
    // A planner has no footer link.
    let planner = app.another_browser();
    planner.login_as("planner").await;
    let (_, html) = planner.get_text("/").await;
    assert!(!html.contains("/admin/audit"));
}

async fn roles_other_than_admin_and_leader_are_refused(app: TestApp) {
    for role in ["planner", "compiler", "commune", "partner"] {
        let browser = app.another_browser();
        browser.login_as(role).await;
        for path in [
            "/admin/audit",
            "/admin/audit/export.csv",
            "/admin/audit/export.xlsx",
        ] {
            let (status, body) = browser.get_text(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} {path}");
            assert!(!body.contains("user:create"), "{role} {path}");
        }
    }
    assert_eq!(
        app.count("audit_events WHERE action = 'audit:export'")
            .await,
        0
    );
}

fn xlsx_xml(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = String::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        if f.name().ends_with(".xml") {
            f.read_to_string(&mut out).unwrap();
        }
    }
    out
}

async fn the_exports_hold_the_filtered_events_neutralised_and_are_audited(app: TestApp) {
    make_events(&app).await;
    app.login_as("admin").await;
    let r = app
        .get("/admin/audit/export.csv?object_type=org_unit&action=org_unit:create")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("nhat-ky-thao-tac.csv")
    );
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'), "byte-order mark");
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 2, "header and the one event: {csv}");
    assert!(lines[0].contains("Thời điểm") && lines[0].contains("Nội dung thay đổi"));
    let event = ids_where(&app, "action = 'org_unit:create'").await[0];
    assert!(lines[1].starts_with(&format!(
        "{event},20/06/2024 09:00,admin@kehoach.demo,org_unit:create,org_unit,"
    )));
    // The unit's name, a formula, is text with a leading apostrophe.
    assert!(
        lines[1].contains(",\"'=HYPERLINK(\"\"http://evil.example\"\""),
        "{}",
        lines[1]
    );
    let exports = ids_where(&app, "action = 'audit:export'").await;
    assert_eq!(exports.len(), 1, "the export is audited");
    let change = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE id = {} AND object_type = 'audit_event' \
             AND change LIKE '%\"format\":\"csv\"%' AND change LIKE '%\"rows\":1%' \
             AND user_id = (SELECT id FROM users WHERE email = 'admin@kehoach.demo')",
            exports[0]
        ))
        .await;
    assert_eq!(change, 1, "who exported what, and how many rows");

    let r = app
        .get("/admin/audit/export.xlsx?action=activity:create")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let xml = xlsx_xml(&r.bytes().await.unwrap());
    assert!(!xml.contains("<f>"), "no formula in any cell");
    assert!(xml.contains("NHẬT KÝ THAO TÁC"), "title row");
    assert!(xml.contains("activity:create"));
    assert!(!xml.contains("agency:create"), "only the filtered events");
    assert!(
        xml.contains("HYPERLINK") && xml.contains("&lt;b&gt;Hòa Phong"),
        "the change, as text"
    );
    assert_eq!(ids_where(&app, "action = 'audit:export'").await.len(), 2);
    // The exports show up in the log, under their own action.
    let listed = listed(&app, "action=audit:export").await;
    assert_eq!(listed, ids_where(&app, "action = 'audit:export'").await);
}

async fn bad_filter_values_are_a_400_with_a_clear_message(app: TestApp) {
    app.login_as("admin").await;
    for (query, message) in [
        ("from=31/02/2024", "Ngày không hợp lệ"),
        ("to=tomorrow", "Ngày không hợp lệ"),
        (
            "from=2024-07-01&to=2024-06-01",
            "Ngày bắt đầu phải trước hoặc trùng với ngày kết thúc",
        ),
        ("user=nobody@kehoach.demo", "Không có người dùng nào"),
        ("user=999999", "Không có người dùng nào"),
        ("action=x'%20OR%201=1", "Thao tác không hợp lệ"),
        ("object_type=Plan;DROP", "Loại đối tượng không hợp lệ"),
        ("before=abc", "Trang không hợp lệ"),
        ("before=-3", "Trang không hợp lệ"),
    ] {
        for path in ["/admin/audit", "/admin/audit/export.csv"] {
            let (status, html) = app.get_text(&format!("{path}?{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}?{query}");
            assert!(html.contains(message), "{path}?{query}: {html}");
        }
    }
    assert_eq!(
        app.count("audit_events WHERE action = 'audit:export'")
            .await,
        0,
        "a refused export is not audited"
    );
    let r = app
        .post_form("/lang", &[("locale", "en"), ("next", "/admin/audit")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = app.get_text("/admin/audit?from=2024-13-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Invalid date"), "{html}");
}
