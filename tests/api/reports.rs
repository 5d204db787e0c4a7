//! Reporting: the whole flow through HTTP, completeness, the composer's figures against the
//! rows, the DOCX and XLSX read back, identical exports of an approved report, who sees what,
//! and partner agencies asked to answer a period beside the communes.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;

db_tests!(
    a_commune_report_is_drafted_submitted_returned_resubmitted_approved_and_locks_the_data,
    the_completeness_board_counts_on_time_late_missing_and_returned,
    the_composer_figures_equal_the_rows_and_the_documents_carry_them,
    a_commune_cannot_see_another_communes_report,
    a_partner_agency_asked_to_answer_drafts_from_its_own_rows_is_returned_resubmits_and_approval_locks_its_activities,
    opening_a_period_with_an_agency_outside_the_scope_is_refused_and_writes_nothing,
);

async fn id(app: &TestApp, sql: &str) -> String {
    app.scalar(sql).await.to_string()
}

/// The compiler opens the six-month period of 2024 for every commune; returns its id.
pub(crate) async fn open_period(app: &TestApp) -> i64 {
    open_period_asking(app, &[]).await
}

/// The same period, also asking the partner agencies with these ids to answer.
async fn post_period(app: &TestApp, agencies: &[String]) -> reqwest::Response {
    let plan = id(
        app,
        "SELECT id AS n FROM plans WHERE code = 'PY-TH-2024-HTNN'",
    )
    .await;
    let mut fields = vec![
        ("kind", "six_month"),
        ("title", "Báo cáo 6 tháng đầu năm 2024"),
        ("plan_id", plan.as_str()),
        ("period_start", "2024-01-01"),
        ("period_end", "2024-06-30"),
        ("due_date", "2024-07-05"),
    ];
    fields.extend(agencies.iter().map(|a| ("agencies", a.as_str())));
    app.post_form("/reports/periods", &fields).await
}

async fn open_period_asking(app: &TestApp, agencies: &[String]) -> i64 {
    let r = post_period(app, agencies).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/reports/periods/")
        .parse()
        .unwrap()
}

pub(crate) async fn report_of(app: &TestApp, period: i64, unit: &str) -> i64 {
    app.scalar(&format!(
        "SELECT r.id AS n FROM reports r JOIN org_units u ON u.id = r.org_unit_id WHERE r.period_id = {period} AND u.code = '{unit}'"
    ))
    .await
}

pub(crate) async fn act(app: &TestApp, report: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    let v = id(
        app,
        &format!("SELECT version AS n FROM reports WHERE id = {report}"),
    )
    .await;
    let mut body = vec![("version", v.as_str())];
    body.extend_from_slice(fields);
    app.post_form(&format!("/reports/{report}/action"), &body)
        .await
}

/// A held activity with known figures, through the form and the log.
pub(crate) async fn held(
    app: &TestApp,
    unit: &str,
    agency: &str,
    date: &str,
    people: &str,
    women: &str,
) -> i64 {
    activity(app, unit, agency, date, Some((people, women))).await
}

/// A talk through the form: held with these figures (participants, women), or only planned.
pub(crate) async fn activity(
    app: &TestApp,
    unit: &str,
    agency: &str,
    date: &str,
    figures: Option<(&str, &str)>,
) -> i64 {
    let item = id(app, "SELECT i.id AS n FROM plan_items i JOIN plan_items p ON p.id = i.parent_id WHERE p.area_code = 'communication' AND i.position = 3").await;
    let talk = id(
        app,
        "SELECT id AS n FROM codes WHERE list = 'activity_type' AND code = 'talk'",
    )
    .await;
    let unit_id = id(
        app,
        &format!("SELECT id AS n FROM org_units WHERE code = '{unit}'"),
    )
    .await;
    let agency_id = id(
        app,
        &format!("SELECT id AS n FROM agencies WHERE code = '{agency}'"),
    )
    .await;
    let mut form = vec![
        ("activity_type_id", talk.as_str()),
        ("title", "Nói chuyện chuyên đề"),
        ("plan_item_id", &item),
        ("org_unit_id", &unit_id),
        ("agency_id", &agency_id),
        ("start_date", date),
    ];
    if let Some((people, women)) = figures {
        form.extend([
            ("held", "1"),
            ("held_on", date),
            ("actual_participants", people),
            ("actual_women", women),
        ]);
    }
    let r = app.post_form("/activities", &form).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/activities/")
        .parse()
        .unwrap()
}

async fn a_commune_report_is_drafted_submitted_returned_resubmitted_approved_and_locks_the_data(
    app: TestApp,
) {
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let activity = held(
        &commune,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        "2024-05-10",
        "80",
        "45",
    )
    .await;
    app.login_as("compiler").await;
    let period = open_period(&app).await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM reports WHERE period_id = {period} AND level = 'unit'"
        ))
        .await,
        11
    );
    let report = report_of(&app, period, "PY-TH-HOAPHONG").await;
    // The commune's draft is filled from its own data.
    let (status, page) = commune.get_text(&format!("/reports/{report}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("data-figure=\"activities_held\"><strong>1</strong>"),
        "{page}"
    );
    let v = id(
        &app,
        &format!("SELECT version AS n FROM reports WHERE id = {report}"),
    )
    .await;
    let r = commune
        .post_form(
            &format!("/reports/{report}"),
            &[
                ("version", &v),
                ("section_situation", "Tình hình ổn định."),
                ("section_results", "Đã tổ chức 1 buổi nói chuyện."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        act(&commune, report, &[("action", "submit")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // Returning needs a comment; the commune sees it.
    let r = act(&app, report, &[("action", "return"), ("comment", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = act(
        &app,
        report,
        &[
            ("action", "return"),
            ("comment", "Đề nghị bổ sung số liệu tháng 6."),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = commune.get_text(&format!("/reports/{report}")).await;
    assert!(page.contains("Đề nghị bổ sung số liệu tháng 6."));
    let (_, list) = commune.get_text("/reports").await;
    assert!(list.contains("Cần bổ sung"));
    assert_eq!(
        act(&commune, report, &[("action", "submit")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // A commune cannot approve its own report.
    assert_eq!(
        act(&commune, report, &[("action", "approve")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        act(&app, report, &[("action", "approve")]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM reports WHERE id = {report} AND status = 'approved' AND snapshot IS NOT NULL")).await, 1);
    // Its support-statistics months are locked with it.
    let unit = id(
        &app,
        "SELECT id AS n FROM org_units WHERE code = 'PY-TH-HOAPHONG'",
    )
    .await;
    let locked = format!(
        "SELECT COUNT(*) FROM support_stat_months WHERE org_unit_id = {unit} AND locked_at IS NOT NULL"
    );
    assert_eq!(app.scalar(&locked).await, 6);
    // The commune's data of the period is locked.
    let v = id(
        &app,
        &format!("SELECT version AS n FROM activities WHERE id = {activity}"),
    )
    .await;
    let r = commune
        .post_form(
            &format!("/activities/{activity}/log"),
            &[
                ("version", &v),
                ("held_on", "2024-05-10"),
                ("actual_participants", "500"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("đã được duyệt và khóa"));
    assert_eq!(
        app.scalar(&format!(
            "SELECT participants AS n FROM activities WHERE id = {activity}"
        ))
        .await,
        80
    );
    // Nor can a new activity be slipped into the approved period.
    let before = app.count("activities").await;
    let mut late =
        crate::activities::fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-05-20").await;
    crate::activities::set(&mut late, "title", "Hoạt động ghi bổ sung sau khi duyệt");
    let form: Vec<(&str, &str)> = late.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = commune.post_form("/activities", &form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("đã được duyệt và khóa"));
    assert!(
        page.contains("Hoạt động ghi bổ sung sau khi duyệt"),
        "the form keeps what was typed"
    );
    assert_eq!(app.count("activities").await, before);
    // Reopening is the compiler's, audited, and unlocks.
    assert_eq!(
        act(&commune, report, &[("action", "reopen"), ("reason", "x")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        act(
            &app,
            report,
            &[
                ("action", "reopen"),
                ("reason", "Xã xin điều chỉnh số liệu")
            ]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'report:reopen'")
            .await,
        1
    );
    let r = commune
        .post_form(
            &format!("/activities/{activity}/log"),
            &[
                ("version", &v),
                ("held_on", "2024-05-10"),
                ("actual_participants", "90"),
                ("actual_women", "45"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn the_completeness_board_counts_on_time_late_missing_and_returned(app: TestApp) {
    app.login_as("compiler").await;
    let period = open_period(&app).await;
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let hoa_phong = report_of(&app, period, "PY-TH-HOAPHONG").await;
    app.clock.advance(chrono::Duration::days(12)); // 02/07: before the due date
    commune.login_as("commune").await;
    app.login_as("compiler").await;
    assert_eq!(
        act(&commune, hoa_phong, &[("action", "submit")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // Another commune submits late, a third is returned.
    let planner_made = [
        ("PY-TH-HOATHINH", "TH-HOATHINH-UBND"),
        ("PY-TH-HOAPHU", "TH-HOAPHU-UBND"),
    ];
    let mut others = Vec::new();
    for (unit, agency) in planner_made {
        let agency_id: i64 = id(
            &app,
            &format!("SELECT id AS n FROM agencies WHERE code = '{agency}'"),
        )
        .await
        .parse()
        .unwrap();
        let email = format!("{}@kehoach.demo", unit.to_lowercase());
        kehoach::auth::users::create(
            &app.db,
            None,
            kehoach::auth::users::NewUser {
                email: email.clone(),
                display_name: unit.into(),
                role: kehoach::auth::Role::Commune,
                agency_id,
                locale: kehoach::web::i18n::Locale::Vi,
                password: "mat-khau-thu".into(),
            },
            app.clock.now(),
        )
        .await
        .unwrap();
        let b = app.another_browser();
        assert_eq!(
            b.login(&email, "mat-khau-thu").await.status(),
            StatusCode::SEE_OTHER
        );
        others.push((b, report_of(&app, period, unit).await));
    }
    assert_eq!(
        act(&others[0].0, others[0].1, &[("action", "submit")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        act(
            &app,
            others[0].1,
            &[("action", "return"), ("comment", "Thiếu số liệu")]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    app.clock.advance(chrono::Duration::days(5)); // 07/07: past the due date
    others[1]
        .0
        .login(&format!("{}@kehoach.demo", "py-th-hoaphu"), "mat-khau-thu")
        .await;
    assert_eq!(
        act(&others[1].0, others[1].1, &[("action", "submit")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    app.login_as("compiler").await;
    let (_, board) = app.get_text(&format!("/reports/periods/{period}")).await;
    for (figure, value) in [
        ("expected", "11"),
        ("on_time", "1"),
        ("late", "1"),
        ("missing", "8"),
        ("returned", "1"),
        ("rate", "18%"),
    ] {
        assert!(
            board.contains(&format!("data-figure=\"{figure}\">{value}<")),
            "{figure} = {value}"
        );
    }
}

pub(crate) fn part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut p = zip.by_name(name).unwrap();
    let mut s = String::new();
    p.read_to_string(&mut s).unwrap();
    s
}

async fn the_composer_figures_equal_the_rows_and_the_documents_carry_them(app: TestApp) {
    let planner = app.another_browser();
    planner.login_as("planner").await;
    held(
        &planner,
        "PY-TH-HOAPHONG",
        "TH-VHTT",
        "2024-03-10",
        "120",
        "70",
    )
    .await;
    held(
        &planner,
        "PY-TH-HOATHINH",
        "TH-VHTT",
        "2024-04-11",
        "95",
        "50",
    )
    .await;
    held(
        &planner,
        "PY-TH-HOATHINH",
        "TH-VHTT",
        "2023-12-20",
        "999",
        "1",
    )
    .await; // before the period
    app.login_as("compiler").await;
    let period = open_period(&app).await;
    let compiled = app
        .scalar(&format!(
            "SELECT id AS n FROM reports WHERE period_id = {period} AND level = 'compiled'"
        ))
        .await;
    // Independently: the held activities of the district's units in the period.
    let expect_sessions = app.scalar("SELECT COUNT(*) FROM activities WHERE status = 'held' AND start_date BETWEEN '2024-01-01' AND '2024-06-30'").await;
    let expect_people = app.scalar("SELECT SUM(participants) AS n FROM activities WHERE status = 'held' AND start_date BETWEEN '2024-01-01' AND '2024-06-30'").await;
    assert_eq!((expect_sessions, expect_people), (2, 215));
    let (_, page) = app.get_text(&format!("/reports/{compiled}")).await;
    assert!(page.contains(&format!(
        "data-figure=\"activities_held\"><strong>{expect_sessions}</strong>"
    )));
    assert!(page.contains("data-figure=\"participants\">215<"));
    assert!(page.contains("data-figure=\"area_1_sessions\">2<"));
    // The figure links to exactly those rows.
    let start = page.find("data-figure=\"area_1_sessions\"").unwrap();
    let href_start = page[..start].rfind("href=\"").unwrap() + 6;
    let href = page[href_start..start]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let (_, list) = app.get_text(&href).await;
    assert_eq!(list.matches("class=\"act-card\"").count(), 2, "{href}");
    // The generated paragraph reads the figures.
    assert!(page.contains("Trong kỳ, đã tổ chức 2 hoạt động nói chuyện chuyên đề với 215 lượt người tham dự, trong đó 120 lượt nữ"));
    // The DOCX: layout and figures, in the body and the annex.
    let docx = app
        .get(&format!("/reports/{compiled}/docx"))
        .await
        .bytes()
        .await
        .unwrap();
    let xml = part(&docx, "word/document.xml");
    assert!(xml.contains("w:w=\"11906\"") && xml.contains("w:left=\"1701\""));
    assert!(xml.contains("Times New Roman"));
    for text in [
        "BÁO CÁO",
        "/BC-UBND",
        "KẾT QUẢ THỰC HIỆN",
        "Công tác lãnh đạo, chỉ đạo",
        "215 lượt người tham dự",
        "Phụ lục I",
        "KẾT QUẢ TRUYỀN THÔNG THEO ĐƠN VỊ",
        "(Kèm theo Báo cáo số",
        "Số liệu chi tiết tại Phụ lục I",
        "Xã Hòa Thịnh",
        "Nơi nhận:",
    ] {
        assert!(xml.contains(text), "{text}");
    }
    assert!(
        xml.contains("w:orient=\"landscape\""),
        "the wide annex is landscape"
    );
    // Sections nobody wrote and the data cannot fill are left out, never printed empty.
    for empty in ["ĐẶC ĐIỂM TÌNH HÌNH", "KIẾN NGHỊ, ĐỀ XUẤT", "Nguyên nhân"] {
        assert!(!xml.contains(empty), "{empty} printed empty");
    }
    // The XLSX: the same table with real numbers.
    let xlsx = app
        .get(&format!("/reports/{compiled}/xlsx"))
        .await
        .bytes()
        .await
        .unwrap();
    let sheet = part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains("<v>215</v>"),
        "the total participants is a number"
    );
    assert!(part(&xlsx, "xl/sharedStrings.xml").contains("Lượt người tham dự"));
    assert!(
        part(&xlsx, "xl/workbook.xml").contains("name=\"Phụ lục I\""),
        "sheet names keep their accents"
    );
    // Approved by the leader, with number and date: exports are byte-identical every time.
    let leader = app.another_browser();
    leader.login_as("leader").await;
    assert_eq!(
        act(
            &app,
            compiled,
            &[("action", "approve"), ("document_number", "15/BC-UBND")]
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    let r = act(
        &leader,
        compiled,
        &[
            ("action", "approve"),
            ("document_number", "15/BC-UBND"),
            ("document_date", "2024-07-10"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let first = leader
        .get(&format!("/reports/{compiled}/docx"))
        .await
        .bytes()
        .await
        .unwrap();
    // New data after approval does not change the approved report.
    held(
        &planner,
        "PY-TH-HOAPHU",
        "TH-VHTT",
        "2024-06-01",
        "40",
        "20",
    )
    .await;
    let second = leader
        .get(&format!("/reports/{compiled}/docx"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(first, second);
    assert!(part(&first, "word/document.xml").contains("15/BC-UBND"));
    let x1 = leader
        .get(&format!("/reports/{compiled}/xlsx"))
        .await
        .bytes()
        .await
        .unwrap();
    let x2 = leader
        .get(&format!("/reports/{compiled}/xlsx"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(x1, x2);
    assert!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'report:export'")
            .await
            >= 6
    );
}

async fn a_commune_cannot_see_another_communes_report(app: TestApp) {
    app.login_as("compiler").await;
    let period = open_period(&app).await;
    let theirs = report_of(&app, period, "PY-TH-HOATHINH").await;
    let compiled = app
        .scalar(&format!(
            "SELECT id AS n FROM reports WHERE period_id = {period} AND level = 'compiled'"
        ))
        .await;
    let commune = app.another_browser();
    commune.login_as("commune").await;
    for path in [
        format!("/reports/{theirs}"),
        format!("/reports/{theirs}/docx"),
        format!("/reports/{compiled}"),
        format!("/reports/periods/{period}"),
    ] {
        assert_eq!(
            commune.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let r = act(&commune, theirs, &[("action", "submit")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A partner agency not asked to answer sees the reporting pages, and nothing in them.
    let partner = app.another_browser();
    partner.login_as("partner").await;
    let (status, list) = partner.get_text("/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!list.contains(&format!("/reports/{compiled}\"")), "{list}");
    assert!(!list.contains(&format!("/reports/periods/{period}\"")));
    for path in [
        format!("/reports/{theirs}"),
        format!("/reports/{compiled}"),
        format!("/reports/periods/{period}"),
    ] {
        assert_eq!(
            partner.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

async fn agency_id(app: &TestApp, code: &str) -> String {
    id(
        app,
        &format!("SELECT id AS n FROM agencies WHERE code = '{code}'"),
    )
    .await
}

async fn report_of_agency(app: &TestApp, period: i64, agency: &str) -> i64 {
    app.scalar(&format!(
        "SELECT r.id AS n FROM reports r JOIN agencies a ON a.id = r.agency_id WHERE r.period_id = {period} AND a.code = '{agency}'"
    ))
    .await
}

/// Logs a held activity again with other figures; the response says whether it was allowed.
async fn relog(app: &TestApp, activity: i64, date: &str, people: &str) -> reqwest::Response {
    let v = id(
        app,
        &format!("SELECT version AS n FROM activities WHERE id = {activity}"),
    )
    .await;
    app.post_form(
        &format!("/activities/{activity}/log"),
        &[
            ("version", &v),
            ("held_on", date),
            ("actual_participants", people),
        ],
    )
    .await
}

async fn a_partner_agency_asked_to_answer_drafts_from_its_own_rows_is_returned_resubmits_and_approval_locks_its_activities(
    app: TestApp,
) {
    // The district police log what they organised in two communes, and one talk last year.
    let partner = app.another_browser();
    partner.login_as("partner").await;
    let first = held(
        &partner,
        "PY-TH-HOATHINH",
        "TH-CA",
        "2024-03-15",
        "60",
        "25",
    )
    .await;
    held(
        &partner,
        "PY-TH-HOAPHONG",
        "TH-CA",
        "2024-05-20",
        "40",
        "30",
    )
    .await;
    held(&partner, "PY-TH-HOAPHU", "TH-CA", "2023-11-10", "700", "1").await;
    // Others' work in the same period: the culture office's and the commune's own.
    let planner = app.another_browser();
    planner.login_as("planner").await;
    held(
        &planner,
        "PY-TH-HOAMYTAY",
        "TH-VHTT",
        "2024-04-02",
        "90",
        "50",
    )
    .await;
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let communes_own = held(
        &commune,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        "2024-04-10",
        "30",
        "10",
    )
    .await;
    // The compiler's office asks the police for help on a case: a task the police partner in.
    app.login_as("compiler").await;
    crate::tasks::request(
        &app,
        "TH-CA",
        "2024-06-22",
        "2024-06-28",
        "Xác minh thông tin về một trường hợp đi làm ăn xa",
    )
    .await;

    // The period asks the communes (by default) and two partner agencies.
    let police = agency_id(&app, "TH-CA").await;
    let women = agency_id(&app, "TH-HLHPN").await;
    let period = open_period_asking(&app, &[police.clone(), women.clone()]).await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM reports WHERE period_id = {period} AND level = 'unit'"
        ))
        .await,
        13
    );
    let report = report_of_agency(&app, period, "TH-CA").await;
    let womens_report = report_of_agency(&app, period, "TH-HLHPN").await;
    let hoa_phong = report_of(&app, period, "PY-TH-HOAPHONG").await;

    // The police find it in their list and their home page.
    let (status, list) = partner.get_text("/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains(&format!("href=\"/reports/{report}\"")),
        "{list}"
    );
    assert!(list.contains("Báo cáo của cơ quan tôi"));
    let (_, home) = partner.get_text("/").await;
    // Its home lists the agency's own reports in every state, this draft among them.
    assert!(home.contains("Báo cáo của cơ quan") && home.contains(&format!("/reports/{report}")));

    // The draft counts the police's own rows, computed here independently.
    let own = format!(
        "FROM activities WHERE agency_id = {police} AND status = 'held' AND start_date BETWEEN '2024-01-01' AND '2024-06-30'"
    );
    let sessions = app.scalar(&format!("SELECT COUNT(*) {own}")).await;
    let people = app
        .scalar(&format!("SELECT SUM(participants) AS n {own}"))
        .await;
    let women_count = app
        .scalar(&format!("SELECT SUM(participants_women) AS n {own}"))
        .await;
    assert_eq!((sessions, people, women_count), (2, 100, 55));
    let (status, page) = partner.get_text(&format!("/reports/{report}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Báo cáo của cơ quan: Công an huyện Tây Hòa"));
    assert!(
        page.contains(&format!(
            "data-figure=\"activities_held\"><strong>{sessions}</strong>"
        )),
        "{page}"
    );
    assert!(page.contains(&format!("data-figure=\"participants\">{people}<")));
    assert!(page.contains(&format!("data-figure=\"women\">{women_count}<")));
    // The task the police take part in, and no victim statistics.
    assert!(page.contains("1 nhiệm vụ đang thực hiện"), "{page}");
    assert!(!page.contains("data-figure=\"victims_received\""));
    // The figure links to exactly the police's rows.
    let start = page.find("data-figure=\"activities_held\"").unwrap();
    let href_start = page[..start].rfind("href=\"").unwrap() + 6;
    let href = page[href_start..start]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let (_, rows) = app.get_text(&href).await;
    assert_eq!(rows.matches("class=\"act-card\"").count(), 2, "{href}");
    // The document is the agency's own, answering the district's plan.
    let docx = partner
        .get(&format!("/reports/{report}/docx"))
        .await
        .bytes()
        .await
        .unwrap();
    let xml = part(&docx, "word/document.xml");
    assert!(xml.contains("/BC-CA"), "the agency's number symbol");
    assert!(xml.contains("của UBND huyện Tây Hòa về"));
    assert!(xml.contains("Công an huyện Tây Hòa báo cáo kết quả thực hiện như sau:"));
    // The district report counts every activity of the scope once, the police's included.
    let compiled = app
        .scalar(&format!(
            "SELECT id AS n FROM reports WHERE period_id = {period} AND level = 'compiled'"
        ))
        .await;
    let all = app.scalar("SELECT COUNT(*) FROM activities WHERE status = 'held' AND start_date BETWEEN '2024-01-01' AND '2024-06-30'").await;
    assert_eq!(all, 4);
    let (_, district) = app.get_text(&format!("/reports/{compiled}")).await;
    assert!(district.contains(&format!(
        "data-figure=\"activities_held\"><strong>{all}</strong>"
    )));
    assert!(district.contains("data-figure=\"participants\">220<"));

    // Who may not see it: a commune, and the police may not see a commune's or another agency's.
    for path in [
        format!("/reports/{report}"),
        format!("/reports/{report}/docx"),
    ] {
        assert_eq!(commune.get(&path).await.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(
        act(&commune, report, &[("action", "submit")])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    for path in [
        format!("/reports/{hoa_phong}"),
        format!("/reports/{womens_report}"),
        format!("/reports/{compiled}"),
        format!("/reports/periods/{period}"),
        format!("/reports/periods/{period}/completeness.csv"),
    ] {
        assert_eq!(
            partner.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        act(&partner, womens_report, &[("action", "submit")])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // The police write their narrative and submit.
    let v = id(
        &app,
        &format!("SELECT version AS n FROM reports WHERE id = {report}"),
    )
    .await;
    let r = partner
        .post_form(
            &format!("/reports/{report}"),
            &[
                ("version", &v),
                (
                    "section_situation",
                    "Chưa phát hiện vụ việc mua bán người trên địa bàn.",
                ),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        act(&partner, report, &[("action", "submit")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // Returned with a comment (required): it goes back to the police, by email too.
    let r = act(&app, report, &[("action", "return"), ("comment", " ")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = act(
        &app,
        report,
        &[
            ("action", "return"),
            (
                "comment",
                "Đề nghị bổ sung kết quả kiểm tra cơ sở môi giới lao động.",
            ),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE recipient = 'partner@kehoach.demo' AND template = 'report_returned'")
            .await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE recipient = 'commune@kehoach.demo' AND template IN ('report_returned', 'report_approved')")
            .await,
        0
    );
    // The agency was told when the period opened, like every responder.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE recipient = 'partner@kehoach.demo' AND template = 'report_requested'")
            .await,
        1
    );
    let (_, page) = partner.get_text(&format!("/reports/{report}")).await;
    assert!(page.contains("Đề nghị bổ sung kết quả kiểm tra cơ sở môi giới lao động."));
    let (_, list) = partner.get_text("/reports").await;
    assert!(list.contains("Cần bổ sung"));
    assert_eq!(
        act(&partner, report, &[("action", "submit")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // The police cannot approve their own report; the compiler does.
    assert_eq!(
        act(&partner, report, &[("action", "approve")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        act(&app, report, &[("action", "approve")]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM reports WHERE id = {report} AND status = 'approved' AND snapshot IS NOT NULL"
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE recipient = 'partner@kehoach.demo' AND template = 'report_approved'")
            .await,
        1
    );
    // The police's activities of the period are locked; the commune's own are not, and no
    // month of statistics is locked by an agency's report.
    let r = relog(&partner, first, "2024-03-15", "500").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("đã được duyệt và khóa"));
    assert_eq!(
        app.scalar(&format!(
            "SELECT participants AS n FROM activities WHERE id = {first}"
        ))
        .await,
        60
    );
    assert_eq!(
        relog(&commune, communes_own, "2024-04-10", "35")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM support_stat_months WHERE locked_at IS NOT NULL")
            .await,
        0
    );

    // The completeness board lists the agencies beside the communes.
    let (_, board) = app.get_text(&format!("/reports/periods/{period}")).await;
    for (figure, value) in [
        ("expected", "13"),
        ("on_time", "1"),
        ("late", "0"),
        // Not yet due counts as not sent.
        ("missing", "12"),
        ("returned", "0"),
        ("rate", "7%"),
    ] {
        assert!(
            board.contains(&format!("data-figure=\"{figure}\">{value}<")),
            "{figure} = {value}"
        );
    }
    assert!(
        board.contains("Công an huyện Tây Hòa")
            && board.contains("Hội Liên hiệp Phụ nữ huyện Tây Hòa")
    );
    assert!(board.contains("Cơ quan phối hợp"));
    let (status, csv) = app
        .get_text(&format!("/reports/periods/{period}/completeness.csv"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.contains("Công an huyện Tây Hòa") && csv.contains("Hội Liên hiệp Phụ nữ huyện Tây Hòa")
    );
    assert_eq!(csv.lines().count(), 1 + 13, "{csv}");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[12].starts_with("Công an huyện Tây Hòa"), "{csv}");
    assert!(lines[13].starts_with("Hội Liên hiệp Phụ nữ"), "{csv}");

    // Reopening is the compiler's, audited, and unlocks the police's activities.
    assert_eq!(
        act(&partner, report, &[("action", "reopen"), ("reason", "x")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        act(
            &app,
            report,
            &[
                ("action", "reopen"),
                ("reason", "Công an huyện xin điều chỉnh số liệu")
            ]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'report:reopen' AND object_id = {report}"
        ))
        .await,
        1
    );
    assert_eq!(
        relog(&partner, first, "2024-03-15", "65").await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn opening_a_period_with_an_agency_outside_the_scope_is_refused_and_writes_nothing(
    app: TestApp,
) {
    app.login_as("compiler").await;
    // The province's department is above the district; a commune's People's Committee answers
    // as its commune; an id that names no agency.
    for agency in [
        agency_id(&app, "PY-SLDTBXH").await,
        agency_id(&app, "TH-HOAPHONG-UBND").await,
        "999999".to_owned(),
        "công an".to_owned(),
    ] {
        let r = post_period(&app, &[agency_id(&app, "TH-CA").await, agency.clone()]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{agency}");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Chỉ chọn được các cơ quan phối hợp đang hoạt động"),
            "{agency}"
        );
    }
    assert_eq!(app.count("reporting_periods").await, 0);
    assert_eq!(app.count("reports").await, 0);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'report:open'")
            .await,
        0
    );
    // The form offers the district's partner agencies, not the communes' committees nor the
    // compiler's own office.
    let (_, form) = app.get_text("/reports/periods/new").await;
    assert!(form.contains("Công an huyện Tây Hòa"), "{form}");
    assert!(!form.contains("Ủy ban nhân dân xã Hòa Phong"));
    assert!(!form.contains("Phòng Lao động - Thương binh và Xã hội"));
}
