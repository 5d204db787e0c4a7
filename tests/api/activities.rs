//! Scheduling, logging and showing activities through the pages, for each role.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;

db_tests!(
    a_commune_officer_schedules_and_logs_a_talk,
    every_validation_rule_answers_with_its_message_and_writes_nothing,
    each_role_writes_only_what_is_theirs,
    a_commune_officer_cannot_see_or_touch_another_communes_activity,
    a_stale_edit_gets_a_conflict_page_and_loses_nothing,
    postponing_keeps_the_old_dates_and_cancelling_needs_a_reason,
    search_ignores_diacritics_and_case,
    a_series_and_a_cloned_campaign_get_the_right_dates,
    the_calendar_shows_the_month_and_the_week,
    an_item_that_activities_name_cannot_be_removed,
    a_large_scope_chooses_a_unit_by_drilling_down,
);

async fn id_of(app: &TestApp, sql: &str) -> String {
    app.scalar(sql).await.to_string()
}

/// The fields of a valid new activity of a unit, organised by an agency, on a date.
pub(crate) async fn fields(
    app: &TestApp,
    unit: &str,
    agency: &str,
    date: &str,
) -> Vec<(String, String)> {
    let item = id_of(
        app,
        "SELECT i.id AS n FROM plan_items i JOIN plan_items p ON p.id = i.parent_id \
         WHERE p.area_code = 'communication' AND i.position = 3",
    )
    .await;
    let talk = id_of(
        app,
        "SELECT id AS n FROM codes WHERE list = 'activity_type' AND code = 'talk'",
    )
    .await;
    let women = id_of(
        app,
        "SELECT id AS n FROM codes WHERE list = 'target_group' AND code = 'women'",
    )
    .await;
    let unit = id_of(
        app,
        &format!("SELECT id AS n FROM org_units WHERE code = '{unit}'"),
    )
    .await;
    let agency = id_of(
        app,
        &format!("SELECT id AS n FROM agencies WHERE code = '{agency}'"),
    )
    .await;
    [
        ("activity_type_id", talk),
        (
            "title",
            "Nói chuyện chuyên đề phòng, chống mua bán người".to_owned(),
        ),
        ("plan_item_id", item),
        ("org_unit_id", unit),
        ("agency_id", agency),
        ("start_date", date.to_owned()),
        ("end_date", date.to_owned()),
        ("start_time", "08:00".to_owned()),
        ("place", "Nhà văn hóa thôn Mỹ Thạnh".to_owned()),
        ("target_groups", women),
        ("languages", "vi".to_owned()),
        ("planned_participants", "80".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

pub(crate) fn pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

pub(crate) fn set(f: &mut Vec<(String, String)>, key: &str, value: &str) {
    f.retain(|(k, _)| k != key);
    f.push((key.to_owned(), value.to_owned()));
}

fn created_id(r: &reqwest::Response) -> i64 {
    let loc = r.headers()["location"].to_str().unwrap();
    loc.trim_start_matches("/activities/").parse().unwrap()
}

pub(crate) async fn create(app: &TestApp, f: &[(String, String)]) -> i64 {
    let r = app.post_form("/activities", &pairs(f)).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    created_id(&r)
}

async fn version(app: &TestApp, id: i64) -> String {
    id_of(
        app,
        &format!("SELECT version AS n FROM activities WHERE id = {id}"),
    )
    .await
}

async fn a_commune_officer_schedules_and_logs_a_talk(app: TestApp) {
    app.login_as("commune").await;
    let f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-06-18").await;
    let id = create(&app, &f).await;
    // It shows on the home page, waiting to be logged (the test clock is 20/06/2024).
    let (_, home) = app.get_text("/").await;
    assert!(home.contains("Đã diễn ra, chưa ghi nhận kết quả"));
    assert!(home.contains(&format!("/activities/{id}/log")));
    let (status, form) = app.get_text(&format!("/activities/{id}/log")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains("value=\"2024-06-18\""),
        "held date defaults to the planned day"
    );
    let leaflet = id_of(
        &app,
        "SELECT id AS n FROM codes WHERE list = 'material_kind' AND code = 'leaflet'",
    )
    .await;
    let v = version(&app, id).await;
    let r = app
        .post_form(
            &format!("/activities/{id}/log"),
            &[
                ("version", &v),
                ("held_on", "18/06/2024"),
                ("actual_participants", "1.250"),
                ("actual_women", "640"),
                ("actual_ethnic_minority", "120"),
                ("actual_children", "35"),
                (&format!("material_{leaflet}_produced"), "300"),
                (&format!("material_{leaflet}_distributed"), "280"),
                ("notes", "Buổi nói chuyện có đông học sinh tham dự."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/activities/{id}?logged=1").as_str()
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM activities WHERE id = {id} AND status = 'held' AND participants = 1250 \
             AND participants_women = 640 AND held_on IS NOT NULL"
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT distributed AS n FROM activity_materials WHERE activity_id = {id}"
        ))
        .await,
        280
    );
    let (_, page) = app.get_text(&format!("/activities/{id}")).await;
    assert!(page.contains("Đã tổ chức"));
    assert!(
        page.contains(&format!("action=\"/activities/{id}/evidence?csrf_token=")),
        "the photo form is on the page"
    );
    assert!(page.contains("1.250"));
    assert!(
        page.contains("ghi nhận kết quả"),
        "the history shows the log"
    );
    assert!(page.contains("tạo mới"));
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE object_type = 'activity' AND object_id = {id}"
        ))
        .await,
        2
    );
    let (_, list) = app.get_text("/activities").await;
    assert!(list.contains("Nói chuyện chuyên đề phòng, chống mua bán người"));
    // The card names the unit and the activity type, in the reader's language.
    assert!(
        list.contains("Xã Hòa Phong · Nói chuyện chuyên đề"),
        "{list}"
    );
    app.post_form("/lang", &[("locale", "en"), ("next", "/activities")])
        .await;
    let (_, list) = app.get_text("/activities").await;
    assert!(list.contains("Xã Hòa Phong · Thematic talk"), "{list}");
}

async fn every_validation_rule_answers_with_its_message_and_writes_nothing(app: TestApp) {
    app.login_as("commune").await;
    let before = app.count("activities").await;
    let leaflet = id_of(
        &app,
        "SELECT id AS n FROM codes WHERE list = 'material_kind' AND code = 'leaflet'",
    )
    .await;
    let material = format!("material_{leaflet}_planned");
    let case = |changes: &[(&str, &str)], field: &'static str, message: &'static str| {
        let changes: Vec<(String, String)> = changes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        (changes, field, message)
    };
    let cases = [
        case(
            &[("planned_participants", "10"), ("planned_women", "11")],
            "planned_women",
            "Không được lớn hơn tổng số người tham dự.",
        ),
        case(
            &[("end_date", "2024-06-01")],
            "end_date",
            "Thời điểm kết thúc phải sau thời điểm bắt đầu.",
        ),
        case(
            &[("notes", "Liên hệ anh Nam 0905 123 456")],
            "notes",
            "Không ghi số điện thoại, số CMND/CCCD",
        ),
        case(
            &[("description", "CCCD 079123456789")],
            "description",
            "Không ghi số điện thoại, số CMND/CCCD",
        ),
        case(&[(&material, "-5")], "material", "Số không được âm."),
        case(
            &[("planned_participants", "ba mươi")],
            "planned_participants",
            "Vui lòng nhập một số nguyên.",
        ),
        case(
            &[("start_date", "31/02/2024")],
            "start_date",
            "Ngày không hợp lệ",
        ),
        case(&[("title", "")], "title", "Vui lòng nhập thông tin này."),
    ];
    for (changes, field, message) in cases {
        let mut f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-06-10").await;
        for (k, v) in &changes {
            set(&mut f, k, v);
        }
        let r = app.post_form("/activities", &pairs(&f)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{field}: {message}");
        assert!(
            html.contains("Nhà văn hóa thôn Mỹ Thạnh"),
            "{field}: the form keeps what was typed"
        );
    }
    // Logging: held in the future, distributed above produced, no figures at all.
    let f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-06-10").await;
    let id = create(&app, &f).await;
    let v = version(&app, id).await;
    for (extra, message) in [
        (
            vec![("held_on", "2024-06-25"), ("actual_participants", "10")],
            "Ngày tổ chức không được ở tương lai.",
        ),
        (
            vec![("held_on", "2024-06-10")],
            "Vui lòng nhập ít nhất một số liệu kết quả",
        ),
    ] {
        let mut body = vec![("version", v.as_str())];
        body.extend(extra);
        let r = app.post_form(&format!("/activities/{id}/log"), &body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains(message), "{message}");
    }
    let produced = format!("material_{leaflet}_produced");
    let distributed = format!("material_{leaflet}_distributed");
    let r = app
        .post_form(
            &format!("/activities/{id}/log"),
            &[
                ("version", &v),
                ("held_on", "2024-06-10"),
                (&produced, "100"),
                (&distributed, "120"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Số cấp phát không được lớn hơn số sản xuất.")
    );
    assert_eq!(app.count("activities").await, before + 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM activities WHERE id = {id} AND status = 'planned'"
        ))
        .await,
        1
    );
    assert_eq!(app.count("activity_materials").await, 0);
}

async fn each_role_writes_only_what_is_theirs(app: TestApp) {
    // A planner schedules for any commune of the district.
    app.login_as("planner").await;
    let f = fields(&app, "PY-TH-HOATHINH", "TH-VHTT", "2024-07-02").await;
    create(&app, &f).await;
    // A commune officer cannot schedule for another commune.
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let before = app.count("activities").await;
    let f = fields(&app, "PY-TH-HOATHINH", "TH-HOATHINH-UBND", "2024-07-02").await;
    let r = commune.post_form("/activities", &pairs(&f)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A partner schedules only what its own agency organises.
    let partner = app.another_browser();
    partner.login_as("partner").await;
    let f = fields(&app, "PY-TH-HOAPHU", "TH-VHTT", "2024-07-03").await;
    let r = partner.post_form("/activities", &pairs(&f)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Bạn chỉ được lên lịch cho đơn vị, cơ quan trong phạm vi của mình.")
    );
    assert_eq!(app.count("activities").await, before);
    let f = fields(&app, "PY-TH-HOAPHU", "TH-CA", "2024-07-03").await;
    create(&partner, &f).await;
    // Leaders and compilers read only.
    for role in ["leader", "compiler"] {
        let reader = app.another_browser();
        reader.login_as(role).await;
        assert_eq!(reader.get("/activities").await.status(), StatusCode::OK);
        let f = fields(&app, "PY-TH-HOAPHU", "TH-UBND", "2024-07-03").await;
        assert_eq!(
            reader.post_form("/activities", &pairs(&f)).await.status(),
            StatusCode::FORBIDDEN
        );
    }
}

async fn a_commune_officer_cannot_see_or_touch_another_communes_activity(app: TestApp) {
    app.login_as("planner").await;
    let f = fields(&app, "PY-TH-HOATHINH", "TH-HOATHINH-UBND", "2024-06-05").await;
    let theirs = create(&app, &f).await;
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let v = version(&app, theirs).await;
    for path in [
        format!("/activities/{theirs}"),
        format!("/activities/{theirs}/edit"),
        format!("/activities/{theirs}/log"),
    ] {
        let (status, html) = commune.get_text(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("Hòa Thịnh"), "{path} leaks");
    }
    let r = commune
        .post_form(
            &format!("/activities/{theirs}/log"),
            &[
                ("version", &v),
                ("held_on", "2024-06-05"),
                ("actual_participants", "5"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = commune
        .post_form(
            &format!("/activities/{theirs}/cancel"),
            &[("version", &v), ("reason", "thử")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, list) = commune.get_text("/activities?q=noi+chuyen").await;
    assert!(!list.contains(&format!("/activities/{theirs}\"")));
    let (_, cal) = commune.get_text("/activities/calendar?month=2024-06").await;
    assert!(!cal.contains(&format!("/activities/{theirs}\"")));
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM activities WHERE id = {theirs} AND status = 'planned'"
        ))
        .await,
        1
    );
}

async fn a_stale_edit_gets_a_conflict_page_and_loses_nothing(app: TestApp) {
    app.login_as("commune").await;
    let mut f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-07-10").await;
    let id = create(&app, &f).await;
    // Two people open the edit form on version 1.
    let planner = app.another_browser();
    planner.login_as("planner").await;
    let mut theirs = f.clone();
    set(&mut theirs, "version", "1");
    set(&mut theirs, "place", "Hội trường UBND xã");
    let r = planner
        .post_form(&format!("/activities/{id}"), &pairs(&theirs))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    set(&mut f, "version", "1");
    set(&mut f, "title", "Nói chuyện chuyên đề cho phụ nữ");
    let r = app
        .post_form(&format!("/activities/{id}"), &pairs(&f))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Hội trường UBND xã"),
        "shows what the other person saved"
    );
    assert!(
        html.contains("Nói chuyện chuyên đề cho phụ nữ"),
        "shows what this user typed"
    );
    assert!(html.contains("name=\"version\" value=\"2\""));
    // Nothing was overwritten.
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM activities WHERE id = {id} AND place = 'Hội trường UBND xã' AND version = 2")).await,
        1
    );
    // Applying again on the current version goes through.
    set(&mut f, "version", "2");
    let r = app
        .post_form(&format!("/activities/{id}"), &pairs(&f))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM activities WHERE id = {id} AND title = 'Nói chuyện chuyên đề cho phụ nữ' AND version = 3")).await,
        1
    );
}

async fn postponing_keeps_the_old_dates_and_cancelling_needs_a_reason(app: TestApp) {
    app.login_as("commune").await;
    let f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-07-10").await;
    let id = create(&app, &f).await;
    let r = app
        .post_form(
            &format!("/activities/{id}/postpone"),
            &[
                ("version", "1"),
                ("new_start", "2024-07-24"),
                ("reason", "Trùng lịch họp"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM activities WHERE id = {id} AND status = 'postponed' AND start_date = '2024-07-24'")).await,
        1
    );
    let (_, page) = app.get_text(&format!("/activities/{id}")).await;
    assert!(page.contains("10/07/2024 → 24/07/2024"));
    assert!(page.contains("Trùng lịch họp"));
    let r = app
        .post_form(
            &format!("/activities/{id}/cancel"),
            &[("version", "2"), ("reason", " ")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Vui lòng ghi lý do."));
    let r = app
        .post_form(
            &format!("/activities/{id}/cancel"),
            &[("version", "2"), ("reason", "Mưa bão")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM activities WHERE id = {id} AND status = 'cancelled' AND cancel_reason = 'Mưa bão'")).await,
        1
    );
    // A cancelled activity is no longer logged.
    let r = app
        .post_form(
            &format!("/activities/{id}/log"),
            &[
                ("version", "3"),
                ("held_on", "2024-06-19"),
                ("actual_participants", "5"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn search_ignores_diacritics_and_case(app: TestApp) {
    app.login_as("planner").await;
    let mut f = fields(&app, "PY-TH-HOAMYDONG", "TH-VHTT", "2024-07-10").await;
    set(&mut f, "title", "Tuyên truyền tại xã Hòa Mỹ Đông");
    let id = create(&app, &f).await;
    let mut g = fields(&app, "PY-TH-HOATHINH", "TH-VHTT", "2024-07-11").await;
    set(&mut g, "title", "Tuyên truyền tại chợ Hoà Thịnh");
    let other = create(&app, &g).await;
    for q in ["hoa my", "HÒA MỸ", "Hoà Mỹ đông"] {
        let (_, html) = app
            .get_text(&format!("/activities?q={}", q.replace(' ', "+")))
            .await;
        assert!(html.contains(&format!("/activities/{id}\"")), "{q}");
        assert!(!html.contains(&format!("/activities/{other}\"")), "{q}");
    }
    let (_, html) = app.get_text("/activities?q=h%C3%B2a+th%E1%BB%8Bnh").await;
    assert!(
        html.contains(&format!("/activities/{other}\"")),
        "Hòa finds Hoà"
    );
    let (_, html) = app.get_text("/activities?q=50%25").await;
    assert!(
        !html.contains(&format!("/activities/{id}\"")),
        "wildcards are literal"
    );
}

async fn a_series_and_a_cloned_campaign_get_the_right_dates(app: TestApp) {
    app.login_as("commune").await;
    let mut f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-01-31").await;
    set(&mut f, "title", "Phát thanh hằng tháng");
    set(&mut f, "repeat", "monthly");
    set(&mut f, "occurrences", "4");
    let r = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for date in ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"] {
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM activities WHERE title = 'Phát thanh hằng tháng' AND start_date = '{date}' AND series_id IS NOT NULL"
            ))
            .await,
            1,
            "{date}"
        );
    }
    // Last year's 30/7 campaign, cloned a year ahead into the plan cloned from the 2024 plan.
    let planner = app.another_browser();
    planner.login_as("planner").await;
    for (unit, date) in [
        ("PY-TH-HOAPHU", "2024-07-29"),
        ("PY-TH-HOATHINH", "2024-07-30"),
    ] {
        let mut g = fields(&app, unit, "TH-VHTT", date).await;
        set(&mut g, "title", "Mít tinh hưởng ứng Ngày 30/7");
        create(&planner, &g).await;
    }
    let plan = id_of(
        &app,
        "SELECT id AS n FROM plans WHERE code = 'PY-TH-2024-HTNN'",
    )
    .await;
    let r = planner
        .post_form(
            &format!("/plans/{plan}/clone"),
            &[("years", "1"), ("target_percent", "100")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let new_plan = id_of(&app, "SELECT MAX(id) AS n FROM plans").await;
    let (_, preview) = planner
        .get_text("/activities/clone?from=2024-07-25&to=2024-07-31&q=30%2F7")
        .await;
    assert!(preview.contains("2 hoạt động được chọn"));
    let r = planner
        .post_form(
            "/activities/clone",
            &[
                ("from", "2024-07-25"),
                ("to", "2024-07-31"),
                ("q", "30/7"),
                ("shift_years", "1"),
                ("shift_days", "0"),
                ("target_plan_id", &new_plan),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for date in ["2025-07-29", "2025-07-30"] {
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM activities a JOIN plan_items i ON i.id = a.plan_item_id \
                 WHERE a.start_date = '{date}' AND a.status = 'planned' AND a.participants IS NULL \
                 AND a.source_activity_id IS NOT NULL AND i.plan_id = {new_plan}"
            ))
            .await,
            1,
            "{date}"
        );
    }
    let (_, cal) = planner.get_text("/activities/calendar?month=2025-07").await;
    assert!(cal.contains("Mít tinh hưởng ứng Ngày 30/7"));
    // The series and the campaign are in the dashboard's summary rows, as recomputed from scratch.
    crate::dashboard::assert_rollups_exact(&app, "a series and a cloned campaign").await;
}

async fn the_calendar_shows_the_month_and_the_week(app: TestApp) {
    app.login_as("commune").await;
    let f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-07-30").await;
    let id = create(&app, &f).await;
    let (status, html) = app.get_text("/activities/calendar?month=2024-07").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Tháng 07/2024"));
    // The cell: the time and title, linked, then the unit's name.
    assert!(
        html.contains(&format!(
            "<li class=\"st-planned\"><a href=\"/activities/{id}\">08:00 Nói chuyện chuyên đề \
             phòng, chống mua bán người</a> <span class=\"meta\">Xã Hòa Phong</span></li>"
        )),
        "{html}"
    );
    let (_, html) = app.get_text("/activities/calendar?week=2024-07-31").await;
    assert!(html.contains("29/07/2024 – 04/08/2024"));
    assert!(html.contains(&format!("/activities/{id}\"")));
    let (_, html) = app.get_text("/activities/calendar?month=2024-09").await;
    assert!(!html.contains(&format!("/activities/{id}\"")));
}

async fn an_item_that_activities_name_cannot_be_removed(app: TestApp) {
    app.login_as("planner").await;
    let plan = id_of(
        &app,
        "SELECT id AS n FROM plans WHERE code = 'PY-TH-2024-HTNN'",
    )
    .await;
    let r = app
        .post_form(
            &format!("/plans/{plan}/clone"),
            &[("years", "1"), ("target_percent", "100")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let new_plan = id_of(&app, "SELECT MAX(id) AS n FROM plans").await;
    let leaf = id_of(
        &app,
        &format!("SELECT MAX(id) AS n FROM plan_items WHERE plan_id = {new_plan}"),
    )
    .await;
    let mut f = fields(&app, "PY-TH-HOAPHU", "TH-VHTT", "2025-03-01").await;
    set(&mut f, "plan_item_id", &leaf);
    create(&app, &f).await;
    let r = app
        .post_form(&format!("/plans/{new_plan}/items/{leaf}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Không thể xóa"));
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM plan_items WHERE id = {leaf}"
        ))
        .await,
        1
    );
}

db_tests!(the_activities_api_follows_the_contract);

pub(crate) async fn token_for(app: &TestApp, email: &str) -> String {
    use kehoach::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let u = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    kehoach::auth::users::issue_api_token(&app.db, u.id, "test", app.clock.now())
        .await
        .unwrap()
}

async fn the_activities_api_follows_the_contract(app: TestApp) {
    let token = token_for(&app, "commune@kehoach.demo").await;
    let client = crate::helpers::new_client();
    let item: i64 = id_of(
        &app,
        "SELECT i.id AS n FROM plan_items i JOIN plan_items p ON p.id = i.parent_id \
         WHERE p.area_code = 'communication' AND i.position = 2",
    )
    .await
    .parse()
    .unwrap();
    // Field errors in the caller's language, nothing written.
    let bad = client
        .post(app.url("/api/v1/activities"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "type": "nope", "title": "", "plan_item_id": item, "start_date": "2024-07-30", "planned_participants": 10, "planned_women": 12 }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(
        body["error"]["fields"]["type"],
        "Vui lòng chọn một giá trị trong danh sách."
    );
    assert_eq!(app.count("activities").await, 0);
    let created = client
        .post(app.url("/api/v1/activities"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "type": "rally", "title": "Mít tinh 30/7 tại xã Hòa Phong", "plan_item_id": item,
            "start_date": "2024-07-30", "target_groups": ["public", "youth"], "planned_participants": 300
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let a: serde_json::Value = created.json().await.unwrap();
    for key in [
        "id",
        "plan_item_id",
        "org_unit_id",
        "agency_id",
        "type",
        "title",
        "status",
        "start_date",
        "end_date",
        "participants_total",
        "participants_women",
        "participants_ethnic_minority",
        "participants_children",
        "version",
    ] {
        assert!(a.get(key).is_some(), "{key} missing");
    }
    assert_eq!(a["type"], "rally");
    assert_eq!(a["status"], "planned");
    assert_eq!(a["end_date"], "2024-07-30");
    assert_eq!(a["version"], 1);
    let id = a["id"].as_i64().unwrap();
    // Update with If-Match; a stale version is a 409.
    let r = client
        .put(app.url(&format!("/api/v1/activities/{id}")))
        .bearer_auth(&token)
        .header("If-Match", "\"1\"")
        .json(&serde_json::json!({ "place": "Sân vận động xã" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = client
        .put(app.url(&format!("/api/v1/activities/{id}")))
        .bearer_auth(&token)
        .header("If-Match", "1")
        .json(&serde_json::json!({ "place": "Nơi khác" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = client
        .put(app.url(&format!("/api/v1/activities/{id}")))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "place": "Nơi khác" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_REQUIRED);
    // Status: held needs its date and figures; a future date is refused.
    let r = client
        .post(app.url(&format!("/api/v1/activities/{id}/status")))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "status": "held", "version": 2, "held_on": "2024-07-30", "participants_total": 300 }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "30/7 is after the clock's 20/6"
    );
    app.clock.advance(chrono::Duration::days(45));
    let r = client
        .post(app.url(&format!("/api/v1/activities/{id}/status")))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "status": "held", "version": 2, "held_on": "2024-07-30", "participants_total": 300, "participants_women": 170 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let a: serde_json::Value = r.json().await.unwrap();
    assert_eq!(a["status"], "held");
    assert_eq!(a["participants_women"], 170);
    // The list has the contract's shape, filters, and a cursor.
    let page: serde_json::Value = client
        .get(app.url("/api/v1/activities?status=held&limit=1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(page["next_cursor"].is_null());
    // Another commune's officer sees nothing of it.
    let hoa_thinh = id_of(
        &app,
        "SELECT id AS n FROM agencies WHERE code = 'TH-HOATHINH-UBND'",
    )
    .await;
    kehoach::auth::users::create(
        &app.db,
        None,
        kehoach::auth::users::NewUser {
            email: "hoathinh@kehoach.demo".into(),
            display_name: "Cán bộ Hòa Thịnh".into(),
            role: kehoach::auth::Role::Commune,
            agency_id: hoa_thinh.parse().unwrap(),
            locale: kehoach::web::i18n::Locale::Vi,
            password: "another-password".into(),
        },
        app.clock.now(),
    )
    .await
    .unwrap();
    let other_token = token_for(&app, "hoathinh@kehoach.demo").await;
    let r = client
        .get(app.url(&format!("/api/v1/activities/{id}")))
        .bearer_auth(&other_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let page: serde_json::Value = client
        .get(app.url("/api/v1/activities"))
        .bearer_auth(&other_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(page["items"].as_array().unwrap().is_empty());
    let partner_token = token_for(&app, "partner@kehoach.demo").await;
    let r = client
        .put(app.url(&format!("/api/v1/activities/{id}")))
        .bearer_auth(&partner_token)
        .header("If-Match", "3")
        .json(&serde_json::json!({ "place": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "a partner cannot edit what another agency organises"
    );
}

/// With more units in scope than a select offers (60), the unit filter is a search box whose
/// typed words are resolved on the server; a small scope keeps its select.
async fn a_large_scope_chooses_a_unit_by_drilling_down(app: TestApp) {
    use kehoach::entities::org_unit;
    use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, NotSet, QueryFilter, Set};
    let commune = org_unit::Entity::find()
        .filter(org_unit::Column::Code.eq("PY-TH-HOAMYDONG"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let district = commune.parent_id.unwrap();
    app.add_test_communes(320).await;
    let last_copy = app
        .scalar("SELECT MAX(id) AS n FROM org_units WHERE code LIKE 'PY-TH-THU%'")
        .await;

    // Past 60 units the unit filter is a search box: no list of every unit on the page.
    app.login_as("admin").await;
    let (status, html) = app.get_text("/activities").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"unit\" type=\"search\""), "{html}");
    assert!(!html.contains("Xã Thử Nghiệm 001"));
    assert!(!html.contains(&format!("<option value=\"{district}\">Huyện Tây Hòa<")));

    // A chosen unit (by id, from a suggestion) is shown by its name and code, and filters.
    let (_, html) = app.get_text(&format!("/activities?unit={district}")).await;
    assert!(html.contains("value=\"Huyện Tây Hòa (PY-TH)\""), "{html}");
    let (status, html) = app.get_text(&format!("/activities?unit={last_copy}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"Xã Thử Nghiệm 320 (PY-TH-THU320)\""));
    let (_, calendar) = app
        .get_text(&format!("/activities/calendar?unit={district}"))
        .await;
    assert!(
        calendar.contains("value=\"Huyện Tây Hòa (PY-TH)\""),
        "the calendar's too"
    );
    // Words typed without accents naming one unit filter by it; words naming several or none
    // are refused at the field (422), not guessed.
    let (status, html) = app
        .get_text("/activities?unit=xa%20thu%20nghiem%20320")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"Xã Thử Nghiệm 320 (PY-TH-THU320)\""));
    let (status, html) = app.get_text("/activities?unit=thu%20nghiem%2032").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Có nhiều mục khớp"), "{html}");
    // The suggestions come back with the page, for a phone without JavaScript.
    assert!(html.contains("<option value=\"Xã Thử Nghiệm 320 (PY-TH-THU320)\">"));
    let (status, html) = app.get_text("/activities?unit=khong%20co%20xa%20nao").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Không tìm thấy mục nào khớp"));

    // A month whose activities are in more than 300 units names each one on the calendar.
    use chrono::Datelike;
    use kehoach::entities::activity;
    let planner = app.another_browser();
    planner.login_as("planner").await;
    let one = create(
        &planner,
        &fields(&planner, "PY-TH-HOAMYDONG", "TH-VHTT", "2024-07-10").await,
    )
    .await;
    let model = activity::Entity::find_by_id(one)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let first_day = model.start_date.with_day(1).unwrap();
    let copies: Vec<activity::ActiveModel> = (last_copy - 319..=last_copy)
        .map(|unit| {
            // Spread over the month, so that many reach the page (a day shows four).
            let day = first_day + chrono::Duration::days(unit % 28);
            let mut a = model.clone().into_active_model();
            a.id = NotSet;
            a.org_unit_id = Set(unit);
            a.start_date = Set(day);
            a.end_date = Set(day + (model.end_date - model.start_date));
            a
        })
        .collect();
    activity::Entity::insert_many(copies)
        .exec(&app.db)
        .await
        .unwrap();
    let month = model.start_date.format("%Y-%m");
    let (status, calendar) = app
        .get_text(&format!("/activities/calendar?month={month}"))
        .await;
    // An event whose unit had no name would fail the page (strict templates).
    assert_eq!(status, StatusCode::OK);
    assert!(calendar.contains("<span class=\"meta\">Xã Thử Nghiệm "));

    // A commune officer's scope is one unit: a select listing it, with no hint.
    let option = |id: i64, name: &str| format!("<option value=\"{id}\">{name}</option>");
    let officer = app.another_browser();
    officer.login_as("commune").await;
    let (_, html) = officer.get_text("/activities").await;
    let own = app
        .scalar("SELECT id AS n FROM org_units WHERE code = 'PY-TH-HOAPHONG'")
        .await;
    assert!(html.contains(&option(own, "Xã Hòa Phong")), "{html}");
    assert!(!html.contains(&option(commune.id, &commune.name)));
    assert!(!html.contains("Chọn một tỉnh (hay đơn vị cấp trên)"));
}
