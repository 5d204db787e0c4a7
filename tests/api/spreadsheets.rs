//! Spreadsheet exports: the activity list with its filters (CSV streamed, XLSX), tasks,
//! support statistics through suppression, reporting completeness; scope, audit, formula
//! injection, the byte-order mark.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use std::io::Read;

db_tests!(
    the_activity_csv_keeps_the_filters_the_diacritics_and_neutralises_formulas,
    the_activity_xlsx_has_real_dates_numbers_and_neutralised_formulas,
    a_commune_officer_exports_only_their_commune,
    every_export_writes_an_audit_row,
    a_non_compiler_statistics_export_never_holds_a_count_from_1_to_4,
    tasks_and_completeness_export_in_both_formats,
    the_activity_exports_name_the_plan_item_by_its_code_and_title,
);

const INJECTED: &str = "=HYPERLINK(\"http://evil.example\",\"Hòa Phong\")";

async fn id_of(app: &TestApp, sql: &str) -> String {
    app.scalar(sql).await.to_string()
}

/// Creates an activity as the signed-in user; returns its id.
async fn create(app: &TestApp, unit: &str, agency: &str, title: &str, date: &str) -> i64 {
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
    let r = app
        .post_form(
            "/activities",
            &[
                ("activity_type_id", &talk),
                ("title", title),
                ("plan_item_id", &item),
                ("org_unit_id", &unit),
                ("agency_id", &agency),
                ("start_date", date),
                ("end_date", date),
                ("planned_participants", "1250"),
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
        .trim_start_matches("/activities/")
        .parse()
        .unwrap()
}

async fn bytes(app: &TestApp, path: &str) -> (StatusCode, String, Vec<u8>) {
    let r = app.get(path).await;
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

/// Every XML part of an XLSX file, concatenated.
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

async fn the_activity_csv_keeps_the_filters_the_diacritics_and_neutralises_formulas(app: TestApp) {
    app.login_as("commune").await;
    create(
        &app,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        INJECTED,
        "2024-06-10",
    )
    .await;
    create(
        &app,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        "Tuyên truyền lưu động",
        "2024-06-12",
    )
    .await;
    let (status, ct, body) = bytes(&app, "/activities/export.csv?q=hyperlink").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert_eq!(&body[..3], b"\xEF\xBB\xBF", "UTF-8 byte-order mark first");
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("Tên hoạt động"), "Vietnamese headers");
    assert!(text.contains("Hòa Phong"), "diacritics kept");
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Hòa Phong\"\")\""),
        "{text}"
    );
    assert!(!text.contains(",=HYPERLINK") && !text.contains("\"=HYPERLINK"));
    assert!(
        !text.contains("Tuyên truyền lưu động"),
        "the search filter applies"
    );
    assert!(text.contains("10/06/2024"), "dates dd/mm/yyyy");
    // Without a filter, both.
    let (_, _, all) = bytes(&app, "/activities/export.csv").await;
    assert!(
        String::from_utf8(all)
            .unwrap()
            .contains("Tuyên truyền lưu động")
    );
}

async fn the_activity_xlsx_has_real_dates_numbers_and_neutralised_formulas(app: TestApp) {
    app.login_as("commune").await;
    create(
        &app,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        INJECTED,
        "2024-06-10",
    )
    .await;
    let (status, ct, body) = bytes(&app, "/activities/export.xlsx?q=hyperlink").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.contains("spreadsheetml"), "{ct}");
    let xml = xlsx_xml(&body);
    assert!(!xml.contains("<f>"), "no formula in any cell");
    assert!(
        xml.contains("'=HYPERLINK") || xml.contains("&apos;=HYPERLINK"),
        "the title is kept as text, neutralised"
    );
    assert!(xml.contains("Danh sách hoạt động"), "title row");
    assert!(xml.contains("dd/mm/yyyy"), "a date format");
    assert!(xml.contains("state=\"frozen\""), "frozen header row");
    assert!(xml.contains("<v>1250</v>"), "figures as numbers");
    // 10/06/2024 as an Excel serial date.
    assert!(xml.contains("<v>45453</v>"), "dates as dates");
    // Printable: A4 landscape fitted to the width, the header row repeated on every page and
    // tall enough for its wrapped headers; Times New Roman throughout.
    assert!(xml.contains("paperSize=\"9\"") && xml.contains("orientation=\"landscape\""));
    assert!(xml.contains("fitToWidth=\"1\"") || xml.contains("<pageSetUpPr fitToPage=\"1\"/>"));
    assert!(xml.contains("_xlnm.Print_Titles"), "repeated header row");
    assert!(xml.contains("<row r=\"2\"") && xml.contains("customHeight=\"1\""));
    assert!(xml.contains("<name val=\"Times New Roman\"/>"));
    // English headers for an English-speaking user.
    app.post_form("/lang", &[("lang", "en"), ("next", "/")])
        .await;
    let (_, _, en) = bytes(&app, "/activities/export.xlsx").await;
    let en = xlsx_xml(&en);
    assert!(en.contains("Activity list") || en.contains("Danh sách hoạt động"));
}

async fn a_commune_officer_exports_only_their_commune(app: TestApp) {
    app.login_as("planner").await;
    create(
        &app,
        "PY-TH-HOATANTAY",
        "TH-VHTT",
        "Hội thi tìm hiểu pháp luật ở Hòa Tân",
        "2024-06-11",
    )
    .await;
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let ht = id_of(
        &app,
        "SELECT id AS n FROM org_units WHERE code = 'PY-TH-HOATANTAY'",
    )
    .await;
    for path in [
        "/activities/export.csv".to_owned(),
        format!("/activities/export.csv?unit={ht}"),
    ] {
        let (status, _, body) = bytes(&commune, &path).await;
        assert_eq!(status, StatusCode::OK);
        let text = String::from_utf8(body).unwrap();
        assert!(
            !text.contains("Hội thi tìm hiểu pháp luật ở Hòa Tân"),
            "{path}"
        );
    }
    let (_, _, body) = bytes(&app, "/activities/export.csv").await;
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("Hội thi tìm hiểu pháp luật ở Hòa Tân")
    );
}

async fn every_export_writes_an_audit_row(app: TestApp) {
    app.login_as("planner").await;
    let count = |action: &'static str| {
        let app = &app;
        async move {
            app.scalar(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"
            ))
            .await
        }
    };
    assert_eq!(count("activity:export").await, 0);
    bytes(&app, "/activities/export.csv").await;
    bytes(&app, "/activities/export.xlsx?status=planned").await;
    assert_eq!(count("activity:export").await, 2);
    bytes(&app, "/tasks/export.xlsx").await;
    assert_eq!(count("task:export").await, 1);
    let before = count("support_stats:export").await;
    let (status, _, _) = bytes(&app, "/stats/export.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count("support_stats:export").await, before + 1);
}

/// The numeric cell values of a sheet (cells without a `t` type attribute: not strings).
fn numbers(xml: &str) -> Vec<i64> {
    xml.split("<c ")
        .skip(1)
        .filter(|c| {
            c.split('>')
                .next()
                .is_some_and(|attrs| !attrs.contains(" t=\""))
        })
        .filter_map(|c| c.split("<v>").nth(1)?.split("</v>").next()?.parse().ok())
        .collect()
}

async fn a_non_compiler_statistics_export_never_holds_a_count_from_1_to_4(app: TestApp) {
    let hp = crate::support_stats::enter_small_and_large(&app).await;
    let q = format!("unit={hp}&month=2024-05");
    // The compiling office gets the exact small figures: the check below can fail.
    let (status, _, exact) = bytes(&app, &format!("/stats/export.xlsx?{q}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        numbers(&xlsx_xml(&exact))
            .iter()
            .any(|n| (1..5).contains(n))
    );
    for role in ["planner", "commune", "leader", "partner"] {
        let browser = app.another_browser();
        browser.login_as(role).await;
        let (status, _, body) = bytes(&browser, &format!("/stats/export.xlsx?{q}")).await;
        assert_eq!(status, StatusCode::OK, "{role}");
        let xml = xlsx_xml(&body);
        assert!(xml.contains(">x</t>"), "{role}: hidden cells read x");
        let small: Vec<i64> = numbers(&xml)
            .into_iter()
            .filter(|n| (1..5).contains(n))
            .collect();
        assert!(small.is_empty(), "{role}: {small:?}");
    }
}

async fn tasks_and_completeness_export_in_both_formats(app: TestApp) {
    app.login_as("compiler").await;
    for path in ["/tasks/export.csv", "/tasks/export.xlsx"] {
        let (status, _, body) = bytes(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!body.is_empty());
    }
    let plan = id_of(
        &app,
        "SELECT id AS n FROM plans WHERE code = 'PY-TH-2024-HTNN'",
    )
    .await;
    let r = app
        .post_form(
            "/reports/periods",
            &[
                ("kind", "six_month"),
                ("title", "Báo cáo 6 tháng đầu năm 2024"),
                ("plan_id", &plan),
                ("period_start", "2024-01-01"),
                ("period_end", "2024-06-30"),
                ("due_date", "2024-07-05"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let period = app
        .scalar("SELECT MAX(id) AS n FROM reporting_periods")
        .await;
    let (status, _, csv) =
        bytes(&app, &format!("/reports/periods/{period}/completeness.csv")).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("Hạn nộp"), "{csv}");
    let (status, _, xlsx) = bytes(
        &app,
        &format!("/reports/periods/{period}/completeness.xlsx"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(xlsx_xml(&xlsx).contains("Tình hình gửi báo cáo"));
    // A partner sees no reporting periods.
    let partner = app.another_browser();
    partner.login_as("partner").await;
    let (status, _, _) = bytes(
        &partner,
        &format!("/reports/periods/{period}/completeness.csv"),
    )
    .await;
    assert_ne!(status, StatusCode::OK);
}

async fn the_activity_exports_name_the_plan_item_by_its_code_and_title(app: TestApp) {
    use kehoach::entities::{activity, plan_item};
    use sea_orm::EntityTrait;
    app.login_as("commune").await;
    let id = create(
        &app,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        "Nói chuyện chuyên đề ở thôn",
        "2024-06-10",
    )
    .await;
    let a = activity::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let item = plan_item::Entity::find_by_id(a.plan_item_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // Its code, then its heading, or its text when it has no heading.
    let text = match item.heading.trim() {
        "" => item.body.clone().unwrap_or_default(),
        h => h.to_owned(),
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // This item is a bullet ("-"), which has no code of its own: its parent's code leads.
    assert_eq!(item.label, "-");
    let parent = plan_item::Entity::find_by_id(item.parent_id.unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let code = parent.label.trim_end_matches('.').to_owned();
    assert!(!code.is_empty() && !text.is_empty());
    let expected = format!("{code} – {text}");
    let (_, _, csv) = bytes(
        &app,
        "/activities/export.csv?q=chuy%C3%AAn%20%C4%91%E1%BB%81",
    )
    .await;
    let csv = String::from_utf8(csv).unwrap();
    let row = csv
        .lines()
        .find(|l| l.contains("Nói chuyện chuyên đề ở thôn"))
        .expect("the activity in the CSV");
    assert!(row.contains(&expected), "code and title in the CSV: {row}");
    // The fourth column, after id, title and type: the item's code first, not its id.
    let cell = row.split(',').nth(3).unwrap().trim_start_matches('"');
    assert!(
        cell.starts_with(&format!("{code} – ")),
        "the plan item column starts with its code: {row}"
    );
    let (_, _, xlsx) = bytes(
        &app,
        "/activities/export.xlsx?q=chuy%C3%AAn%20%C4%91%E1%BB%81",
    )
    .await;
    let xml = xlsx_xml(&xlsx);
    assert!(
        xml.contains(&format!(">{expected}</t>")),
        "code and title in the XLSX"
    );
}
