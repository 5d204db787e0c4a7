//! Coordination tasks: the status flow, escalation with the clock, who sees and acts on what.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;

db_tests!(
    a_referral_goes_from_requested_to_done_with_aggregate_outcomes,
    escalation_appears_when_the_deadline_passes_and_clears_when_acted_on,
    a_partner_sees_only_its_agencys_tasks,
    a_commune_cannot_act_on_another_units_task,
    personal_data_is_refused_in_every_text,
    the_tasks_api_creates_and_answers,
    a_long_escalated_list_shows_the_longest_overdue_and_counts_the_rest,
    the_national_board_filters_by_agency_without_reading_every_agency_when_empty,
);

async fn id(app: &TestApp, sql: &str) -> String {
    app.scalar(sql).await.to_string()
}

async fn item(app: &TestApp) -> String {
    id(app, "SELECT i.id AS n FROM plan_items i JOIN plan_items p ON p.id = i.parent_id WHERE p.area_code = 'victim_support' AND i.position = 2").await
}

/// The compiler's office asks an agency to do something; returns the task id.
pub(crate) async fn request(
    app: &TestApp,
    partner: &str,
    ack: &str,
    due: &str,
    title: &str,
) -> i64 {
    let kind = id(
        app,
        "SELECT id AS n FROM codes WHERE list = 'task_kind' AND code = 'referral_111'",
    )
    .await;
    let lead = id(app, "SELECT id AS n FROM agencies WHERE code = 'TH-LDTBXH'").await;
    let partner = id(
        app,
        &format!("SELECT id AS n FROM agencies WHERE code = '{partner}'"),
    )
    .await;
    let item = item(app).await;
    let r = app
        .post_form(
            "/tasks",
            &[
                ("kind_id", &kind),
                ("title", title),
                ("plan_item_id", &item),
                ("lead_agency_id", &lead),
                ("partner_agency_id", &partner),
                ("ack_due_date", ack),
                ("due_date", due),
                (
                    "note",
                    "Tổng đài 111 chuyển 01 thông tin về xã; đề nghị xác minh và hỗ trợ.",
                ),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/tasks/")
        .parse()
        .unwrap()
}

pub(crate) async fn act(app: &TestApp, task: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    let v = id(
        app,
        &format!("SELECT version AS n FROM coordination_tasks WHERE id = {task}"),
    )
    .await;
    let mut body = vec![("version", v.as_str())];
    body.extend_from_slice(fields);
    app.post_form(&format!("/tasks/{task}"), &body).await
}

async fn status(app: &TestApp, task: i64) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) FROM coordination_tasks WHERE id = {task} AND status = 'done'"
    ))
    .await
}

async fn a_referral_goes_from_requested_to_done_with_aggregate_outcomes(app: TestApp) {
    app.login_as("compiler").await;
    let task = request(
        &app,
        "TH-HOAPHONG-UBND",
        "2024-06-22",
        "2024-07-20",
        "Xác minh thông tin từ Tổng đài 111",
    )
    .await;
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let (_, inbox) = commune.get_text("/tasks/inbox").await;
    assert!(
        inbox.contains("Xác minh thông tin từ Tổng đài 111"),
        "asked of the commune"
    );
    // Completing before acknowledging is not a valid step.
    let r = act(&commune, task, &[("action", "complete")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("không thể chuyển sang trạng thái này")
    );
    // The lead side cannot acknowledge for the partner.
    let r = act(&app, task, &[("action", "acknowledge")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for step in ["acknowledge", "start"] {
        assert_eq!(
            act(&commune, task, &[("action", step)]).await.status(),
            StatusCode::SEE_OTHER,
            "{step}"
        );
    }
    let psych = id(
        &app,
        "SELECT id AS n FROM codes WHERE list = 'support_type' AND code = '2011_psychological'",
    )
    .await;
    let essential = id(
        &app,
        "SELECT id AS n FROM codes WHERE list = 'support_type' AND code = '2011_essential'",
    )
    .await;
    let o1 = format!("outcome_{psych}");
    let o2 = format!("outcome_{essential}");
    let r = act(
        &commune,
        task,
        &[
            ("action", "complete"),
            (&o1, "2"),
            (&o2, "1"),
            ("loans_count", "1"),
            ("loans_amount", "30.000.000"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status(&app, task).await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT SUM(persons) AS n FROM task_outcomes WHERE task_id = {task}"
        ))
        .await,
        3
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT loans_amount AS n FROM coordination_tasks WHERE id = {task}"
        ))
        .await,
        30_000_000
    );
    let (_, page) = app.get_text(&format!("/tasks/{task}")).await;
    assert!(page.contains("Hoàn thành"));
    assert!(page.contains("Hỗ trợ tâm lý"));
    assert!(page.contains("30.000.000"));
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE object_type = 'task' AND object_id = {task}"
        ))
        .await,
        4
    );
    // Declining needs a reason.
    let other = request(
        &app,
        "TH-HOAPHONG-UBND",
        "2024-06-22",
        "2024-07-20",
        "Kết nối học nghề",
    )
    .await;
    let r = act(&commune, other, &[("action", "decline"), ("reason", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = act(
        &commune,
        other,
        &[
            ("action", "decline"),
            ("reason", "Không thuộc thẩm quyền của xã"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn escalation_appears_when_the_deadline_passes_and_clears_when_acted_on(app: TestApp) {
    // A commune asks the district police to inspect a labour broker.
    app.login_as("commune").await;
    let kind = id(
        &app,
        "SELECT id AS n FROM codes WHERE list = 'task_kind' AND code = 'broker_inspection'",
    )
    .await;
    let lead = id(
        &app,
        "SELECT id AS n FROM agencies WHERE code = 'TH-HOAPHONG-UBND'",
    )
    .await;
    let police = id(&app, "SELECT id AS n FROM agencies WHERE code = 'TH-CA'").await;
    let item = item(&app).await;
    let r = app
        .post_form(
            "/tasks",
            &[
                ("kind_id", &kind),
                ("title", "Kiểm tra cơ sở môi giới lao động"),
                ("plan_item_id", &item),
                ("lead_agency_id", &lead),
                ("partner_agency_id", &police),
                ("ack_due_date", "2024-06-21"),
                ("due_date", "2024-07-01"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let task: i64 = r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/tasks/")
        .parse()
        .unwrap();
    // The district (superior of the commune) sees nothing escalated on the deadline itself...
    let district = app.another_browser();
    district.login_as("leader").await;
    app.clock.advance(chrono::Duration::days(1)); // 21/06: the deadline day
    let (_, inbox) = district.get_text("/tasks/inbox").await;
    assert!(!inbox.contains("Kiểm tra cơ sở môi giới lao động"));
    // ...and sees it the day after (days pass: everyone signs in again).
    app.clock.advance(chrono::Duration::days(1));
    district.login_as("leader").await;
    let (_, inbox) = district.get_text("/tasks/inbox").await;
    assert!(inbox.contains("Kiểm tra cơ sở môi giới lao động"));
    assert!(inbox.contains("Quá hạn xác nhận"));
    let (_, board) = district.get_text("/tasks").await;
    assert!(board.contains("1 nhiệm vụ quá hạn đang được đôn đốc."));
    // The police acknowledge: it clears.
    app.login_as("commune").await;
    let police_user = app.another_browser();
    police_user.login_as("partner").await;
    assert_eq!(
        act(&police_user, task, &[("action", "acknowledge")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (_, inbox) = district.get_text("/tasks/inbox").await;
    assert!(!inbox.contains("Kiểm tra cơ sở môi giới lao động"));
    // Past the due date it escalates again; extending with a reason clears it.
    app.clock.advance(chrono::Duration::days(10));
    district.login_as("leader").await;
    app.login_as("commune").await;
    let (_, inbox) = district.get_text("/tasks/inbox").await;
    assert!(inbox.contains("Quá hạn hoàn thành"));
    let r = act(
        &app,
        task,
        &[
            ("action", "extend"),
            ("due_date", "2024-07-15"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = act(
        &app,
        task,
        &[
            ("action", "extend"),
            ("due_date", "2024-07-15"),
            ("reason", "Chờ kết quả xác minh"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, inbox) = district.get_text("/tasks/inbox").await;
    assert!(!inbox.contains("Kiểm tra cơ sở môi giới lao động"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'task:extend'")
            .await,
        1
    );
}

async fn a_partner_sees_only_its_agencys_tasks(app: TestApp) {
    app.login_as("compiler").await;
    let others = request(
        &app,
        "TH-HOAPHONG-UBND",
        "2024-06-25",
        "2024-07-20",
        "Hỗ trợ học nghề cho người trở về",
    )
    .await;
    let mine = request(
        &app,
        "TH-CA",
        "2024-06-25",
        "2024-07-20",
        "Trao đổi thông tin về đường dây môi giới",
    )
    .await;
    let police = app.another_browser();
    police.login_as("partner").await;
    let (_, board) = police.get_text("/tasks").await;
    assert!(board.contains("Trao đổi thông tin về đường dây môi giới"));
    assert!(!board.contains("Hỗ trợ học nghề cho người trở về"));
    assert_eq!(
        police.get(&format!("/tasks/{others}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        police.get(&format!("/tasks/{mine}")).await.status(),
        StatusCode::OK
    );
}

async fn a_commune_cannot_act_on_another_units_task(app: TestApp) {
    app.login_as("compiler").await;
    let task = request(
        &app,
        "TH-HOATHINH-UBND",
        "2024-06-25",
        "2024-07-20",
        "Việc của xã Hòa Thịnh",
    )
    .await;
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let (status, html) = commune.get_text(&format!("/tasks/{task}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("Việc của xã Hòa Thịnh"));
    let r = act(&commune, task, &[("action", "acknowledge")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = act(&commune, task, &[("action", "comment"), ("body", "thử")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM coordination_tasks WHERE id = {task} AND status = 'requested' AND version = 1")).await,
        1
    );
}

async fn personal_data_is_refused_in_every_text(app: TestApp) {
    app.login_as("compiler").await;
    let before = app.count("coordination_tasks").await;
    let kind = id(
        &app,
        "SELECT id AS n FROM codes WHERE list = 'task_kind' AND code = 'legal_aid'",
    )
    .await;
    let lead = id(
        &app,
        "SELECT id AS n FROM agencies WHERE code = 'TH-LDTBXH'",
    )
    .await;
    let partner = id(
        &app,
        "SELECT id AS n FROM agencies WHERE code = 'TH-HOAPHONG-UBND'",
    )
    .await;
    let item = item(&app).await;
    let r = app
        .post_form(
            "/tasks",
            &[
                ("kind_id", &kind),
                ("title", "Trợ giúp pháp lý"),
                ("plan_item_id", &item),
                ("lead_agency_id", &lead),
                ("partner_agency_id", &partner),
                ("ack_due_date", "2024-06-25"),
                ("due_date", "2024-07-20"),
                ("note", "Gọi chị ấy qua số 0912 345 678"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Không ghi số điện thoại, số CMND/CCCD"));
    assert!(
        html.contains("Gọi chị ấy qua số 0912 345 678"),
        "what was typed is kept"
    );
    assert_eq!(app.count("coordination_tasks").await, before);
    let task = request(
        &app,
        "TH-HOAPHONG-UBND",
        "2024-06-25",
        "2024-07-20",
        "Trợ giúp pháp lý",
    )
    .await;
    let comments = app.count("task_comments").await;
    let r = act(
        &app,
        task,
        &[("action", "comment"), ("body", "CCCD 079123456789")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let r = act(
        &commune,
        task,
        &[("action", "decline"), ("reason", "Liên hệ 0905123456")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("task_comments").await, comments);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM coordination_tasks WHERE id = {task} AND status = 'requested'"
        ))
        .await,
        1
    );
}

async fn the_tasks_api_creates_and_answers(app: TestApp) {
    use kehoach::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let token_of = |email: &'static str| {
        let app = &app;
        async move {
            let u = user::Entity::find()
                .filter(user::Column::Email.eq(email))
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
            kehoach::auth::users::issue_api_token(&app.db, u.id, "t", app.clock.now())
                .await
                .unwrap()
        }
    };
    let compiler = token_of("compiler@kehoach.demo").await;
    let police = token_of("partner@kehoach.demo").await;
    let client = crate::helpers::new_client();
    let item: i64 = item(&app).await.parse().unwrap();
    let partner: i64 = id(&app, "SELECT id AS n FROM agencies WHERE code = 'TH-CA'")
        .await
        .parse()
        .unwrap();
    let r = client
        .post(app.url("/api/v1/tasks"))
        .bearer_auth(&compiler)
        .json(&serde_json::json!({ "kind": "information_exchange", "title": "Chia sẻ thông tin", "plan_item_id": item,
            "partner_agency_id": partner, "ack_due_date": "2024-06-19", "due_date": "2024-07-01" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an acknowledgement deadline in the past"
    );
    let r = client
        .post(app.url("/api/v1/tasks"))
        .bearer_auth(&compiler)
        .json(&serde_json::json!({ "kind": "information_exchange", "title": "Chia sẻ thông tin", "plan_item_id": item,
            "partner_agency_id": partner, "ack_due_date": "2024-06-21", "due_date": "2024-07-01" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let t: serde_json::Value = r.json().await.unwrap();
    for key in [
        "id",
        "kind",
        "title",
        "plan_item_id",
        "lead_agency_id",
        "partner_agency_id",
        "due_date",
        "ack_due_date",
        "status",
        "escalated",
    ] {
        assert!(t.get(key).is_some(), "{key}");
    }
    assert_eq!(t["escalated"], false);
    let tid = t["id"].as_i64().unwrap();
    app.clock.advance(chrono::Duration::days(2));
    let t: serde_json::Value = client
        .get(app.url(&format!("/api/v1/tasks/{tid}")))
        .bearer_auth(&police)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(t["escalated"], true);
    let r = client
        .post(app.url(&format!("/api/v1/tasks/{tid}/status")))
        .bearer_auth(&police)
        .json(&serde_json::json!({ "status": "acknowledged", "version": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t: serde_json::Value = r.json().await.unwrap();
    assert_eq!(t["status"], "acknowledged");
    assert_eq!(t["escalated"], false);
    let list: serde_json::Value = client
        .get(app.url("/api/v1/tasks"))
        .bearer_auth(&police)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // The requester cannot answer for the partner.
    let r = client
        .post(app.url(&format!("/api/v1/tasks/{tid}/status")))
        .bearer_auth(&compiler)
        .json(&serde_json::json!({ "status": "in_progress", "version": 2 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// The escalated total read from the inbox's badge.
fn escalated_total(html: &str) -> i64 {
    let start = html
        .find("id=\"inbox-escalated-total\">")
        .map(|i| i + "id=\"inbox-escalated-total\">".len());
    start
        .and_then(|s| html[s..].split('<').next())
        .map(|n| n.replace(['.', ','], "").trim().parse().unwrap())
        .unwrap_or(0)
}

async fn a_long_escalated_list_shows_the_longest_overdue_and_counts_the_rest(app: TestApp) {
    // Issue 24: a national inbox holds thousands of escalated tasks; it lists the 50 longest
    // overdue and counts the rest in SQL. Both paths: the administrator (every unit) and a
    // district leader (the units below it).
    let admin = app.another_browser();
    admin.login_as("admin").await;
    let district = app.another_browser();
    district.login_as("leader").await;
    let (_, before_admin) = admin.get_text("/tasks/inbox").await;
    let (_, before_district) = district.get_text("/tasks/inbox").await;
    let base_admin = escalated_total(&before_admin);
    let base_district = escalated_total(&before_district);

    let kind = id(
        &app,
        "SELECT id AS n FROM codes WHERE list = 'task_kind' AND code = 'broker_inspection'",
    )
    .await;
    let lead = id(
        &app,
        "SELECT id AS n FROM agencies WHERE code = 'TH-HOAPHONG-UBND'",
    )
    .await;
    let police = id(&app, "SELECT id AS n FROM agencies WHERE code = 'TH-CA'").await;
    let item = item(&app).await;
    // 60 requested tasks of a commune, due long ago (one a day from 1 January 2020), never
    // acknowledged.
    for n in 0..60 {
        let due = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Duration::days(n);
        let sql = format!(
            "INSERT INTO coordination_tasks (kind_id, title, plan_item_id, lead_agency_id, \
             partner_agency_id, requested_on, ack_due_date, due_date, status, version, \
             created_at, updated_at) VALUES ({kind}, 'Thử quá hạn số {n:03}', {item}, {lead}, \
             {police}, '2019-12-01', '{due}', '{due}', 'requested', 1, CURRENT_TIMESTAMP, \
             CURRENT_TIMESTAMP)"
        );
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, &sql)
            .await
            .unwrap();
    }
    for (who, base) in [(&admin, base_admin), (&district, base_district)] {
        let (status, inbox) = who.get_text("/tasks/inbox").await;
        assert_eq!(status, StatusCode::OK);
        // Counted whole, listed 50: the 50 oldest of ours (nothing else is as old).
        assert_eq!(escalated_total(&inbox), base + 60, "{inbox}");
        assert_eq!(inbox.matches("Thử quá hạn số").count(), 50);
        assert!(inbox.contains("Thử quá hạn số 000"));
        assert!(inbox.contains("Thử quá hạn số 049"));
        assert!(!inbox.contains("Thử quá hạn số 050"));
        assert!(!inbox.contains("Thử quá hạn số 059"));
        assert!(inbox.contains("id=\"inbox-escalated-more\""));
        assert!(inbox.contains("Đang hiển thị 50 nhiệm vụ quá hạn lâu nhất trong tổng số"));
    }
    // A short list has no note.
    assert!(!before_district.contains("id=\"inbox-escalated-more\""));
}

async fn the_national_board_filters_by_agency_without_reading_every_agency_when_empty(
    app: TestApp,
) {
    // More agencies than a select shows: the national board's agency filter is a search box,
    // built without the choices while it is empty, and still resolves what is typed.
    let unit = id(
        &app,
        "SELECT org_unit_id AS n FROM agencies WHERE code = 'TH-CA'",
    )
    .await;
    for n in 0..70 {
        let sql = format!(
            "INSERT INTO agencies (code, org_unit_id, name, short_name, kind, active, \
             created_at, updated_at) VALUES ('TEST-AG-{n:03}', {unit}, 'Cơ quan thử {n:03}', \
             'CQ thử {n:03}', 'other', TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        );
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, &sql)
            .await
            .unwrap();
    }
    app.login_as("compiler").await;
    request(
        &app,
        "TH-CA",
        "2024-06-25",
        "2024-07-10",
        "Nhiệm vụ của công an",
    )
    .await;
    let admin = app.another_browser();
    admin.login_as("admin").await;
    let (status, board) = admin.get_text("/tasks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(board.contains("id=\"f-agency\" name=\"agency\" type=\"search\" value=\"\""));
    assert!(!board.contains("<select id=\"f-agency\""));
    assert!(board.contains("Nhiệm vụ của công an"));
    // Filtered by another agency (by id, as a chosen suggestion sends it): not listed.
    let other = id(
        &app,
        "SELECT id AS n FROM agencies WHERE code = 'TEST-AG-001'",
    )
    .await;
    let (status, board) = admin.get_text(&format!("/tasks?agency={other}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!board.contains("Nhiệm vụ của công an"));
    assert!(
        board.contains("Cơ quan thử 001"),
        "the box shows the chosen agency"
    );
    // By the police's id: listed.
    let police = id(&app, "SELECT id AS n FROM agencies WHERE code = 'TH-CA'").await;
    let (_, board) = admin.get_text(&format!("/tasks?agency={police}")).await;
    assert!(board.contains("Nhiệm vụ của công an"));
    // Words matching no agency: the field says so (422), nothing is listed, no 500.
    let (status, board) = admin.get_text("/tasks?agency=khong+co+co+quan+nay").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(board.contains("id=\"e-agency\""));
    assert!(!board.contains("Nhiệm vụ của công an"));
}
