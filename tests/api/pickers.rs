//! Issue 27, item 3: the last unit and agency pickers — the plan header, the new user's
//! agency, a task's reassignment and the statistics unit choosers. Past sixty choices each is a
//! search box; typed words are resolved on the server within the user's own scope; words that
//! name no unit or several, or a unit or agency outside the scope, are refused at the field
//! (422) and nothing is written.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;

db_tests!(
    the_plan_form_takes_typed_words_within_the_scope_and_refuses_the_rest,
    a_new_users_agency_is_typed_and_an_inactive_or_ambiguous_one_refused,
    a_task_is_reassigned_to_a_typed_agency_and_never_outside_the_scope,
    the_statistics_unit_is_typed_and_never_reaches_outside_the_scope,
    a_calendar_feed_of_a_typed_unit_stays_within_the_scope,
);

/// Adds `n` communes to Tây Hòa ("Xã Thử Nghiệm 001"…, `PY-TH-THU001`…) and `n` agencies of
/// the district ("Cơ quan Thử Nghiệm 001"…, `TH-THU001`…): a district past the size of a
/// select. Then a neighbouring district with one commune and its agency, outside Tây Hòa's
/// scope ("Xã Ngoài Vùng", agency `NB-NGOAI-UBND`).
async fn widen(app: &TestApp, n: usize) {
    use kehoach::entities::{agency, org_unit};
    use sea_orm::{
        ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, NotSet, QueryFilter, Set,
    };
    let unit = |code: &'static str| async move {
        org_unit::Entity::find()
            .filter(org_unit::Column::Code.eq(code))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
    };
    let commune = unit("PY-TH-HOAMYDONG").await;
    let district = unit("PY-TH").await;
    app.add_test_communes(n).await;
    let template = agency::Entity::find()
        .filter(agency::Column::Code.eq("TH-VHTT"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let agencies: Vec<agency::ActiveModel> = (1..=n)
        .map(|i| {
            let mut a = template.clone().into_active_model();
            a.id = NotSet;
            a.code = Set(format!("TH-THU{i:03}"));
            let (name, short) = (
                format!("Cơ quan Thử Nghiệm {i:03}"),
                format!("CQ Thử Nghiệm {i:03}"),
            );
            let (folded, folded_short) = agency::search_names(&name, &short);
            a.search_name = Set(folded);
            a.search_short = Set(folded_short);
            a.name = Set(name);
            a.short_name = Set(short);
            a.org_unit_id = Set(district.id);
            a
        })
        .collect();
    agency::Entity::insert_many(agencies)
        .exec(&app.db)
        .await
        .unwrap();
    // The neighbouring district, its commune and the commune's agency.
    let mut d = district.clone().into_active_model();
    d.id = NotSet;
    d.code = Set("PY-NB".into());
    d.gso_code = Set(None);
    d.name = Set("Huyện Lân Cận".into());
    let d = d.insert(&app.db).await.unwrap();
    let mut c = commune.into_active_model();
    c.id = NotSet;
    c.code = Set("PY-NB-NGOAI".into());
    c.gso_code = Set(None);
    c.name = Set("Xã Ngoài Vùng".into());
    c.parent_id = Set(Some(d.id));
    let c = c.insert(&app.db).await.unwrap();
    let mut a = template.into_active_model();
    a.id = NotSet;
    a.code = Set("NB-NGOAI-UBND".into());
    a.name = Set("UBND xã Ngoài Vùng".into());
    a.short_name = Set("UBND xã Ngoài Vùng".into());
    a.org_unit_id = Set(c.id);
    a.insert(&app.db).await.unwrap();
}

async fn id_of(app: &TestApp, table: &str, code: &str) -> String {
    app.scalar(&format!(
        "SELECT id AS n FROM {table} WHERE code = '{code}'"
    ))
    .await
    .to_string()
}

fn set(fields: &mut Vec<(&'static str, String)>, name: &'static str, value: &str) {
    match fields.iter_mut().find(|(k, _)| *k == name) {
        Some((_, v)) => *v = value.to_owned(),
        None => fields.push((name, value.to_owned())),
    }
}

async fn post(app: &TestApp, path: &str, fields: &[(&'static str, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form(path, &pairs).await
}

/// Posts `fields` and insists on a 422 with `message` at `field`, keeping what was typed.
async fn refused(
    app: &TestApp,
    path: &str,
    fields: &[(&'static str, String)],
    field: &str,
    message: &str,
) -> String {
    let r = post(app, path, fields).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "{path} {fields:?}"
    );
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("id=\"e-{field}\"")), "{html}");
    assert!(html.contains(message), "{message}: {html}");
    html
}

const SEVERAL: &str = "Có nhiều mục khớp";
const NONE: &str = "Không tìm thấy mục nào khớp";
const CHOOSE: &str = "Vui lòng chọn một giá trị trong danh sách.";

async fn the_plan_form_takes_typed_words_within_the_scope_and_refuses_the_rest(app: TestApp) {
    widen(&app, 70).await;
    app.login_as("planner").await;
    // Past sixty units and agencies: search boxes, not a select of every one.
    let (status, html) = app.get_text("/plans/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("name=\"org_unit_id\" type=\"search\""),
        "{html}"
    );
    assert!(
        html.contains("name=\"drafting_agency_id\" type=\"search\""),
        "{html}"
    );
    assert!(!html.contains("Xã Thử Nghiệm 042"));
    assert!(!html.contains("Cơ quan Thử Nghiệm 042"));
    // The planner's own unit is what the box holds to begin with.
    assert!(html.contains("value=\"Huyện Tây Hòa"), "{html}");
    let before = app.count("plans").await;
    let mut f: Vec<(&'static str, String)> = vec![
        (
            "title",
            "Kế hoạch phòng, chống mua bán người năm 2025".into(),
        ),
        ("org_unit_id", "thu nghiem 04".into()),
        ("drafting_agency_id", String::new()),
        ("period_start", "2025-01-01".into()),
        ("period_end", "2025-12-31".into()),
        ("place", "Tây Hòa".into()),
    ];
    // Several units: refused at the field, the typed words and the matches shown again.
    let html = refused(&app, "/plans", &f, "org_unit_id", SEVERAL).await;
    assert!(html.contains("value=\"thu nghiem 04\""), "{html}");
    assert!(html.contains("<option value=\"Xã Thử Nghiệm 040 — Huyện Tây Hòa (PY-TH-THU040)\">"));
    // None, a unit of the neighbouring district by name or by id: refused.
    set(&mut f, "org_unit_id", "xa khong co");
    refused(&app, "/plans", &f, "org_unit_id", NONE).await;
    set(&mut f, "org_unit_id", "xa ngoai vung");
    refused(&app, "/plans", &f, "org_unit_id", NONE).await;
    let outside = id_of(&app, "org_units", "PY-NB-NGOAI").await;
    set(&mut f, "org_unit_id", &outside);
    refused(&app, "/plans", &f, "org_unit_id", CHOOSE).await;
    // The drafting agency likewise: several, the neighbour's by name or by id.
    set(&mut f, "org_unit_id", "xa thu nghiem 012");
    set(&mut f, "drafting_agency_id", "co quan thu nghiem 00");
    let html = refused(&app, "/plans", &f, "drafting_agency_id", SEVERAL).await;
    assert!(!html.contains("id=\"e-org_unit_id\""), "{html}");
    set(&mut f, "drafting_agency_id", "ubnd xa ngoai vung");
    refused(&app, "/plans", &f, "drafting_agency_id", NONE).await;
    let outside = id_of(&app, "agencies", "NB-NGOAI-UBND").await;
    set(&mut f, "drafting_agency_id", &outside);
    refused(&app, "/plans", &f, "drafting_agency_id", CHOOSE).await;
    assert_eq!(app.count("plans").await, before, "nothing written");
    // Words without accents naming one unit and one agency: the plan is made there.
    set(&mut f, "drafting_agency_id", "co quan thu nghiem 007");
    let r = post(&app, "/plans", &f).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM plans p JOIN org_units u ON u.id = p.org_unit_id \
             JOIN agencies a ON a.id = p.drafting_agency_id \
             WHERE u.code = 'PY-TH-THU012' AND a.code = 'TH-THU007'"
        )
        .await,
        1
    );
    // The edit form shows the drafting agency as the box's text; a neighbour's agency typed
    // there is refused and the plan keeps its own.
    let plan = app.scalar("SELECT MAX(id) AS n FROM plans").await;
    let (_, html) = app.get_text(&format!("/plans/{plan}/edit")).await;
    assert!(
        html.contains("value=\"Cơ quan Thử Nghiệm 007 — Huyện Tây Hòa (TH-THU007)\""),
        "{html}"
    );
    set(&mut f, "drafting_agency_id", &outside);
    refused(
        &app,
        &format!("/plans/{plan}"),
        &f,
        "drafting_agency_id",
        CHOOSE,
    )
    .await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM plans p JOIN agencies a ON a.id = p.drafting_agency_id \
             WHERE p.id = {plan} AND a.code = 'TH-THU007'"
        ))
        .await,
        1
    );
    // An item's lead is typed too, and a cooperating agency is added through its box.
    let (_, html) = app.get_text(&format!("/plans/{plan}/items/new")).await;
    assert!(
        html.contains("name=\"lead_agency_id\" type=\"search\""),
        "{html}"
    );
    assert!(
        html.contains("name=\"support_add\" type=\"search\""),
        "{html}"
    );
    let items = app.count("plan_items").await;
    let mut item: Vec<(&'static str, String)> = vec![
        ("label", "1".into()),
        ("heading", "Công tác truyền thông".into()),
        ("lead_agency_id", "ubnd xa ngoai vung".into()),
    ];
    refused(
        &app,
        &format!("/plans/{plan}/items"),
        &item,
        "lead_agency_id",
        NONE,
    )
    .await;
    assert_eq!(app.count("plan_items").await, items);
    set(&mut item, "lead_agency_id", "co quan thu nghiem 021");
    set(&mut item, "support_add", "TH-THU022");
    let r = post(&app, &format!("/plans/{plan}/items"), &item).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM plan_items i JOIN agencies a ON a.id = i.lead_agency_id \
             JOIN plan_item_agencies s ON s.plan_item_id = i.id \
             JOIN agencies b ON b.id = s.agency_id \
             WHERE i.plan_id = {plan} AND a.code = 'TH-THU021' AND b.code = 'TH-THU022'"
        ))
        .await,
        1
    );
}

async fn a_new_users_agency_is_typed_and_an_inactive_or_ambiguous_one_refused(app: TestApp) {
    widen(&app, 70).await;
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE agencies SET active = false WHERE code = 'TH-THU070'")
        .await
        .unwrap();
    app.login_as("admin").await;
    let (status, html) = app.get_text("/admin/users/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("name=\"agency_id\" type=\"search\""),
        "{html}"
    );
    assert!(!html.contains("Cơ quan Thử Nghiệm 042"));
    let before = app.count("users").await;
    let mut f: Vec<(&'static str, String)> = vec![
        ("email", "moi@example.org".into()),
        ("display_name", "Nguyễn Văn Mới".into()),
        ("role", "planner".into()),
        ("agency_id", "thu nghiem 00".into()),
        ("locale", "vi".into()),
        ("password", String::new()),
    ];
    let html = refused(&app, "/admin/users", &f, "agency_id", SEVERAL).await;
    assert!(html.contains("value=\"thu nghiem 00\""), "{html}");
    assert!(html.contains("<option value=\"Cơ quan Thử Nghiệm 001 — Huyện Tây Hòa (TH-THU001)\">"));
    set(&mut f, "agency_id", "co quan khong co");
    refused(&app, "/admin/users", &f, "agency_id", NONE).await;
    // An inactive agency, by id or by name, takes no new people.
    let inactive = id_of(&app, "agencies", "TH-THU070").await;
    set(&mut f, "agency_id", &inactive);
    refused(
        &app,
        "/admin/users",
        &f,
        "agency_id",
        "Vui lòng chọn cơ quan, đơn vị.",
    )
    .await;
    set(&mut f, "agency_id", "co quan thu nghiem 070");
    refused(&app, "/admin/users", &f, "agency_id", NONE).await;
    assert_eq!(app.count("users").await, before, "nothing written");
    set(&mut f, "agency_id", "co quan thu nghiem 031");
    let r = post(&app, "/admin/users", &f).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM users u JOIN agencies a ON a.id = u.agency_id \
             WHERE u.email = 'moi@example.org' AND a.code = 'TH-THU031'"
        )
        .await,
        1
    );
}

async fn a_task_is_reassigned_to_a_typed_agency_and_never_outside_the_scope(app: TestApp) {
    widen(&app, 70).await;
    app.login_as("compiler").await;
    // Ids still resolve where a search box is shown.
    let task = crate::tasks::request(
        &app,
        "TH-HOAPHONG-UBND",
        "2024-06-22",
        "2024-07-20",
        "Xác minh thông tin từ Tổng đài 111",
    )
    .await;
    let (status, html) = app.get_text(&format!("/tasks/{task}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("name=\"partner_agency_id\" type=\"search\""),
        "{html}"
    );
    assert!(!html.contains("Cơ quan Thử Nghiệm 042"));
    let partner = id_of(&app, "agencies", "TH-HOAPHONG-UBND").await;
    let version = app
        .scalar(&format!(
            "SELECT version AS n FROM coordination_tasks WHERE id = {task}"
        ))
        .await
        .to_string();
    let mut f: Vec<(&'static str, String)> = vec![
        ("version", version),
        ("action", "reassign".into()),
        ("partner_agency_id", "thu nghiem 00".into()),
        ("ack_due_date", "2024-06-25".into()),
        ("reason", "Chuyển cơ quan có thẩm quyền".into()),
    ];
    let path = format!("/tasks/{task}");
    let html = refused(&app, &path, &f, "partner_agency_id", SEVERAL).await;
    assert!(html.contains("value=\"thu nghiem 00\""), "{html}");
    set(&mut f, "partner_agency_id", "ubnd xa ngoai vung");
    refused(&app, &path, &f, "partner_agency_id", NONE).await;
    let outside = id_of(&app, "agencies", "NB-NGOAI-UBND").await;
    set(&mut f, "partner_agency_id", &outside);
    refused(&app, &path, &f, "partner_agency_id", CHOOSE).await;
    let unchanged = format!(
        "SELECT COUNT(*) FROM coordination_tasks WHERE id = {task} AND partner_agency_id = {partner}"
    );
    assert_eq!(app.scalar(&unchanged).await, 1, "nothing written");
    set(&mut f, "partner_agency_id", "co quan thu nghiem 005");
    let r = post(&app, &path, &f).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM coordination_tasks t JOIN agencies a ON a.id = t.partner_agency_id \
             WHERE t.id = {task} AND a.code = 'TH-THU005'"
        ))
        .await,
        1
    );
}

async fn the_statistics_unit_is_typed_and_never_reaches_outside_the_scope(app: TestApp) {
    widen(&app, 70).await;
    app.login_as("compiler").await;
    let reads = "SELECT COUNT(*) FROM audit_events WHERE action = 'support_stats:view'";
    // The entry page's chooser and the period page's: search boxes (the period page's tables
    // still name every commune, the entry page none but its own).
    for path in ["/stats/entry?month=2024-05", "/stats?month=2024-05"] {
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        assert!(
            html.contains("name=\"unit\" type=\"search\""),
            "{path}: {html}"
        );
        assert!(!html.contains("<option value=\"PY-TH-THU042\""), "{path}");
    }
    let (_, html) = app.get_text("/stats/entry?month=2024-05").await;
    assert!(!html.contains("Xã Thử Nghiệm 042"));
    let before = app.scalar(reads).await;
    for path in ["/stats/entry", "/stats", "/stats/trend"] {
        // Several units, none, the neighbouring district's commune: 422 at the field, no figures.
        for (words, message) in [
            ("thu+nghiem+01", SEVERAL),
            ("xa+khong+co", NONE),
            ("xa+ngoai+vung", NONE),
        ] {
            let (status, html) = app
                .get_text(&format!("{path}?unit={words}&month=2024-05"))
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path} {words}");
            assert!(html.contains("id=\"e-unit\""), "{path}: {html}");
            assert!(html.contains(message), "{path} {words}: {html}");
            assert!(
                html.contains("name=\"unit\" type=\"search\""),
                "{path}: {html}"
            );
        }
    }
    assert_eq!(app.scalar(reads).await, before, "no figures read");
    // The neighbour's commune by id: not found, as before.
    let outside = id_of(&app, "org_units", "PY-NB-NGOAI").await;
    let (status, _) = app
        .get_text(&format!("/stats/entry?unit={outside}&month=2024-05"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Words without accents naming one commune: its entry page, and its month saved from it.
    let unit = id_of(&app, "org_units", "PY-TH-THU012").await;
    let (status, html) = app
        .get_text("/stats/entry?unit=xa+thu+nghiem+012&month=2024-05")
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains(&format!("name=\"unit\" value=\"{unit}\"")),
        "{html}"
    );
    assert!(html.contains("Xã Thử Nghiệm 012"));
    let r = app
        .post_form(
            "/stats/entry",
            &[
                ("unit", unit.as_str()),
                ("month", "2024-05"),
                ("no_case", "1"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM support_stat_months WHERE org_unit_id = {unit}"
        ))
        .await,
        1
    );
    let (status, html) = app
        .get_text("/stats?unit=thu+nghiem+012&month=2024-05")
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Xã Thử Nghiệm 012"));
    // A commune officer's own scope is one commune: another's name is not found.
    let commune = app.another_browser();
    commune.login_as("commune").await;
    for path in ["/stats/entry", "/stats"] {
        let (status, html) = commune
            .get_text(&format!("{path}?unit=xa+thu+nghiem+012&month=2024-05"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {html}");
        assert!(!html.contains("Xã Thử Nghiệm 012 —"), "{path}");
    }
}

async fn a_calendar_feed_of_a_typed_unit_stays_within_the_scope(app: TestApp) {
    widen(&app, 70).await;
    app.login_as("planner").await;
    let (status, html) = app.get_text("/account/calendar").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("name=\"org_unit_id\" type=\"search\""),
        "{html}"
    );
    let before = app.count("ics_tokens").await;
    let mut f: Vec<(&'static str, String)> = vec![
        ("kind", "unit".into()),
        ("org_unit_id", "thu nghiem 04".into()),
    ];
    refused(&app, "/account/calendar", &f, "org_unit_id", SEVERAL).await;
    set(&mut f, "org_unit_id", "xa ngoai vung");
    refused(&app, "/account/calendar", &f, "org_unit_id", NONE).await;
    let outside = id_of(&app, "org_units", "PY-NB-NGOAI").await;
    set(&mut f, "org_unit_id", &outside);
    refused(&app, "/account/calendar", &f, "org_unit_id", CHOOSE).await;
    assert_eq!(app.count("ics_tokens").await, before, "nothing written");
    set(&mut f, "org_unit_id", "xa thu nghiem 012");
    let r = post(&app, "/account/calendar", &f).await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM ics_tokens t JOIN org_units u ON u.id = t.org_unit_id \
             WHERE u.code = 'PY-TH-THU012' AND t.kind = 'unit'"
        )
        .await,
        1
    );
}
