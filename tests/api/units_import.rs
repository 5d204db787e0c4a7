//! The official list of administrative units: a small list previewed then committed (CSV in
//! the app's layout, XLSX in the statistics office's); a newer list renames one unit (a
//! successor opens, the old unit closes with a lineage row and keeps its history) and drops
//! another (closed on the date, still there); the same list twice changes nothing; every bad
//! input is a 422 naming its row and column with nothing written; the shipped list of 2025
//! loads whole, and a second time adds nothing.

use crate::db_tests;
use crate::helpers::TestApp;
use chrono::NaiveDate;
use kehoach::entities::{org_lineage, org_unit};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

db_tests!(
    a_small_list_is_previewed_then_committed_and_a_second_import_changes_nothing,
    a_statistics_office_workbook_imports,
    a_newer_list_renames_one_unit_and_closes_another,
    each_bad_input_is_a_422_naming_row_and_column_and_nothing_is_written,
    the_official_list_of_2025_loads_whole_and_a_second_load_adds_nothing,
    only_administrators_import_the_unit_list,
    the_command_line_loads_the_official_list_once,
    imported_and_renamed_units_are_found_by_their_new_names_without_accents,
);

const BASE: &str = "/admin/org-units/import";

/// A province and three of its communes, codes written with and without their leading zeros.
const SMALL: &str = "code,name,kind,parent_code\n\
    04,Tỉnh Cao Bằng,province,\n\
    01290,Xã Bảo Lâm,commune,04\n\
    1273,Phường Thục Phán,ward,4\n\
    01279,Phường Nùng Trí Cao,ward,04\n";

fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The text of a page as a reader sees it (minijinja escapes `/` and quotes).
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Uploads a file with its effective date (and, if asked, as the whole country's list).
async fn upload(
    app: &TestApp,
    name: &str,
    bytes: Vec<u8>,
    effective: &str,
    whole_country: bool,
) -> reqwest::Response {
    let token = app.csrf().await;
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let mut form = reqwest::multipart::Form::new()
        .part("file", part)
        .text("effective", effective.to_owned());
    if whole_country {
        form = form.text("whole_country", "on");
    }
    app.client
        .post(app.url(&format!("{BASE}?csrf_token={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Uploads a readable file; the preview's address (with its options) and its text.
async fn preview(
    app: &TestApp,
    name: &str,
    bytes: Vec<u8>,
    effective: &str,
    whole_country: bool,
) -> (String, String) {
    let r = upload(app, name, bytes, effective, whole_country).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "upload is staged");
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with(&format!("{BASE}/")), "{to}");
    assert!(to.contains(&format!("effective={effective}")), "{to}");
    let (status, html) = app.get_text(&to).await;
    assert_eq!(status, StatusCode::OK);
    (to, unescape(&html))
}

/// Commits the previewed import; the response.
async fn commit(
    app: &TestApp,
    at: &str,
    effective: &str,
    whole_country: bool,
) -> reqwest::Response {
    let path = at.split('?').next().unwrap();
    let mut fields = vec![("effective", effective)];
    if whole_country {
        fields.push(("whole_country", "on"));
    }
    app.post_form(path, &fields).await
}

/// The open unit with an official code.
async fn open_by_gso(app: &TestApp, gso: &str) -> org_unit::Model {
    org_unit::Entity::find()
        .filter(org_unit::Column::GsoCode.eq(gso))
        .filter(org_unit::Column::ValidTo.is_null())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("open unit {gso}"))
}

async fn by_code(app: &TestApp, code: &str) -> org_unit::Model {
    org_unit::Entity::find()
        .filter(org_unit::Column::Code.eq(code))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("unit {code}"))
}

/// Every unit and lineage row, to compare before and after.
async fn snapshot(app: &TestApp) -> (Vec<org_unit::Model>, usize) {
    let units = org_unit::Entity::find().all(&app.db).await.unwrap();
    let lineage = org_lineage::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .len();
    (units, lineage)
}

async fn a_small_list_is_previewed_then_committed_and_a_second_import_changes_nothing(
    app: TestApp,
) {
    app.login_as("admin").await;
    let before = app.count("org_units").await;
    let (at, html) = preview(&app, "dm.csv", SMALL.into(), "2025-07-01", false).await;
    assert!(html.contains("Xã Bảo Lâm"), "{html}");
    assert!(html.contains("Sẽ thêm mới 4, đổi tên 0 và cho hết hiệu lực 0"));
    let closed_before = app
        .scalar("SELECT COUNT(*) FROM org_units WHERE valid_to IS NOT NULL")
        .await;
    assert_eq!(
        app.count("org_units").await,
        before,
        "a preview writes nothing"
    );

    let r = commit(&app, &at, "2025-07-01", false).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin/org-units");
    assert_eq!(app.count("org_units").await, before + 4);
    let province = by_code(&app, "VN-04").await;
    assert_eq!(province.gso_code.as_deref(), Some("04"));
    assert_eq!(province.name, "Tỉnh Cao Bằng");
    assert_eq!(province.kind, "province");
    assert_eq!(province.parent_id, None);
    let bao_lam = by_code(&app, "VN-01290").await;
    assert_eq!(bao_lam.name, "Xã Bảo Lâm");
    assert_eq!(bao_lam.kind, "commune");
    assert_eq!(bao_lam.parent_id, Some(province.id));
    assert_eq!(bao_lam.valid_from, day(2025, 7, 1));
    assert_eq!(bao_lam.valid_to, None);
    let thuc_phan = by_code(&app, "VN-01273").await;
    assert_eq!(thuc_phan.gso_code.as_deref(), Some("01273"));
    assert_eq!(thuc_phan.kind, "ward");
    assert_eq!(thuc_phan.parent_id, Some(province.id));
    // Nothing else closed: the file is not the whole country's list.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM org_units WHERE valid_to IS NOT NULL")
            .await,
        closed_before
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'org_unit:import'")
            .await,
        1
    );
    let (_, admin_page) = app.get_text("/admin/org-units").await;
    assert!(admin_page.contains("Phường Thục Phán"));

    // The same list again: the preview says so, and a commit changes nothing.
    let was = snapshot(&app).await;
    let (at, html) = preview(&app, "dm.csv", SMALL.into(), "2025-07-01", false).await;
    assert!(html.contains("không có gì thay đổi"), "{html}");
    assert!(!html.contains("Ghi vào hệ thống"));
    let r = commit(&app, &at, "2025-07-01", false).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(snapshot(&app).await, was);
}

async fn a_statistics_office_workbook_imports(app: TestApp) {
    app.login_as("admin").await;
    // The statistics office's columns, numbers as numbers, a title row above the header.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "DANH MỤC ĐƠN VỊ HÀNH CHÍNH").unwrap();
    for (i, h) in ["Mã TP", "Tên TP", "Mã PX", "Tên PX", "Cấp"]
        .iter()
        .enumerate()
    {
        ws.write_string(1, i as u16, *h).unwrap();
    }
    let rows = [
        (
            22u32,
            "Tỉnh Quảng Ninh",
            6994u32,
            "Đặc khu Vân Đồn",
            "Đặc khu",
        ),
        (22, "Tỉnh Quảng Ninh", 7192, "Đặc khu Cô Tô", "Đặc khu"),
        (22, "Tỉnh Quảng Ninh", 6658, "Phường Hạ Long", "Phường"),
    ];
    for (r, (pc, pn, cc, cn, level)) in rows.iter().enumerate() {
        let row = 2 + r as u32;
        ws.write_number(row, 0, f64::from(*pc)).unwrap();
        ws.write_string(row, 1, *pn).unwrap();
        ws.write_number(row, 2, f64::from(*cc)).unwrap();
        ws.write_string(row, 3, *cn).unwrap();
        ws.write_string(row, 4, *level).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    let before = app.count("org_units").await;
    let (at, html) = preview(&app, "danh-muc.xlsx", bytes, "2025-07-01", false).await;
    assert!(html.contains("Đặc khu Vân Đồn"), "{html}");
    let r = commit(&app, &at, "2025-07-01", false).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("org_units").await, before + 4);
    let province = by_code(&app, "VN-22").await;
    assert_eq!(province.name, "Tỉnh Quảng Ninh");
    let van_don = by_code(&app, "VN-06994").await;
    assert_eq!(van_don.gso_code.as_deref(), Some("06994"));
    assert_eq!(van_don.kind, "special_zone");
    assert_eq!(van_don.parent_id, Some(province.id));
    assert_eq!(by_code(&app, "VN-06658").await.kind, "ward");
    // The kind has its label.
    let (_, page) = app.get_text("/admin/org-units").await;
    assert!(page.contains("Đặc khu"));
}

async fn a_newer_list_renames_one_unit_and_closes_another(app: TestApp) {
    app.login_as("admin").await;
    let (at, _) = preview(&app, "2025.csv", SMALL.into(), "2025-07-01", false).await;
    assert_eq!(
        commit(&app, &at, "2025-07-01", false).await.status(),
        StatusCode::SEE_OTHER
    );
    let old = by_code(&app, "VN-01273").await;
    // Something recorded against the old unit: an agency of the ward.
    let old_id = old.id.to_string();
    let r = app
        .post_form(
            "/admin/agencies",
            &[
                ("code", "TP-UBND"),
                ("name", "UBND phường Thục Phán"),
                ("kind", "people_committee"),
                ("org_unit_id", old_id.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "agency saved");

    // A newer list: Thục Phán renamed, Nùng Trí Cao no longer listed.
    let newer = "code,name,kind,parent_code\n\
        04,Tỉnh Cao Bằng,province,\n\
        01290,Xã Bảo Lâm,commune,04\n\
        01273,Phường Thục Phán Mới,ward,04\n";
    let units_before = app.count("org_units").await;
    let (at, html) = preview(&app, "2026.csv", newer.into(), "2026-01-01", false).await;
    assert!(
        html.contains("Sẽ thêm mới 0, đổi tên 1 và cho hết hiệu lực 1"),
        "{html}"
    );
    assert!(html.contains("Phường Thục Phán Mới"));
    assert!(html.contains("Phường Nùng Trí Cao"));
    let r = commit(&app, &at, "2026-01-01", false).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("org_units").await,
        units_before + 1,
        "one successor"
    );

    // Renamed: the old unit closed the day before, under its old name; the successor open,
    // with the same official code; a lineage row between them.
    let old = by_code(&app, "VN-01273").await;
    assert_eq!(old.name, "Phường Thục Phán");
    assert_eq!(old.valid_to, day(2025, 12, 31));
    let successor = by_code(&app, "VN-01273-20260101").await;
    assert_eq!(successor.name, "Phường Thục Phán Mới");
    assert_eq!(successor.gso_code.as_deref(), Some("01273"));
    assert_eq!(successor.valid_from, day(2026, 1, 1));
    assert_eq!(successor.valid_to, None);
    assert_eq!(successor.parent_id, Some(by_code(&app, "VN-04").await.id));
    let lineage = org_lineage::Entity::find()
        .filter(org_lineage::Column::SuccessorId.eq(successor.id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(lineage.len(), 1);
    assert_eq!(lineage[0].kind, "rename");
    assert_eq!(lineage[0].predecessor_id, old.id);
    assert_eq!(lineage[0].effective_date, day(2026, 1, 1).unwrap());
    // Old data still reads: the old unit keeps what was recorded against it, and the
    // successor's scope reaches it.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM agencies WHERE org_unit_id = {}",
            old.id
        ))
        .await,
        1
    );
    let scope = kehoach::org_units::scope::Scope::of_unit(&app.db, successor.id)
        .await
        .unwrap();
    assert!(scope.contains(old.id));
    let (_, page) = app.get_text("/org-units").await;
    let page = unescape(&page);
    assert!(page.contains("Phường Thục Phán Mới"));
    assert!(page.contains("Phường Thục Phán<") || page.contains("Phường Thục Phán "));

    // Dropped: closed on the date, still there.
    let dropped = by_code(&app, "VN-01279").await;
    assert_eq!(dropped.valid_to, day(2025, 12, 31));
    assert_eq!(dropped.name, "Phường Nùng Trí Cao");
    // Unchanged: untouched.
    let bao_lam = by_code(&app, "VN-01290").await;
    assert_eq!(bao_lam.valid_to, None);
    assert_eq!(bao_lam.valid_from, day(2025, 7, 1));

    // The newer list once more: nothing changes.
    let was = snapshot(&app).await;
    let (at, html) = preview(&app, "2026.csv", newer.into(), "2026-01-01", false).await;
    assert!(html.contains("không có gì thay đổi"), "{html}");
    commit(&app, &at, "2026-01-01", false).await;
    assert_eq!(snapshot(&app).await, was);
}

async fn each_bad_input_is_a_422_naming_row_and_column_and_nothing_is_written(app: TestApp) {
    app.login_as("admin").await;
    // Units that a later file may try to close too early.
    let (at, _) = preview(&app, "2025.csv", SMALL.into(), "2025-07-01", false).await;
    assert_eq!(
        commit(&app, &at, "2025-07-01", false).await.status(),
        StatusCode::SEE_OTHER
    );
    let h = "code,name,kind,parent_code\n";
    let cases: Vec<(&str, String, &str, Vec<&str>)> = vec![
        (
            "unknown parent code",
            format!("{h}67,Tỉnh Mới,province,\n22300,Xã Mới,commune,99\n"),
            "2025-07-01",
            vec!["Dòng 3, cột Mã cấp trên: Không tìm thấy đơn vị cấp trên có mã 99."],
        ),
        (
            "duplicate codes",
            format!("{h}67,Tỉnh Mới,province,\n22300,Xã Mới,commune,67\n22300,Xã Khác,commune,67\n"),
            "2025-07-01",
            vec!["Dòng 4, cột Mã: Mã 22300 trùng với dòng 3."],
        ),
        (
            "a commune under an unknown province",
            "Mã TP,Tên TP,Mã PX,Tên PX,Cấp\n67,Tỉnh Mới,22300,Xã Mới,Xã\n,,22301,Xã Khác,Xã\n"
                .to_owned(),
            "2025-07-01",
            vec!["Dòng 3, cột Mã TP: "],
        ),
        (
            "a commune under a commune",
            format!("{h}22300,Xã Mới,commune,01290\n"),
            "2025-07-01",
            vec!["Dòng 2, cột Mã cấp trên: Đơn vị có mã 01290 không thể là đơn vị cấp trên"],
        ),
        (
            "a missing name",
            format!("{h}67,Tỉnh Mới,province,\n22300,,commune,67\n"),
            "2025-07-01",
            vec!["Dòng 3, cột Tên: "],
        ),
        (
            "an unknown kind",
            format!("{h}67,Tỉnh Mới,province,\n22300,Thôn Mới,thôn,67\n"),
            "2025-07-01",
            vec!["Dòng 3, cột Loại: Loại đơn vị \"thôn\" không hợp lệ"],
        ),
        (
            "a rename and a closure dated before the units opened",
            "code,name,kind,parent_code\n04,Tỉnh Cao Bằng,province,\n01290,Xã Bảo Lâm Mới,commune,04\n01273,Phường Thục Phán,ward,04\n".to_owned(),
            "2025-06-01",
            vec![
                "Dòng 3, cột Mã: Ngày có hiệu lực phải sau ngày Xã Bảo Lâm bắt đầu có hiệu lực (01/07/2025).",
                "Ngày có hiệu lực: Phường Nùng Trí Cao bắt đầu có hiệu lực từ 01/07/2025, không thể hết hiệu lực từ 01/06/2025.",
            ],
        ),
    ];
    for (what, csv, effective, messages) in cases {
        let before = snapshot(&app).await;
        let audit = app.count("audit_events").await;
        let (at, html) = preview(&app, "bad.csv", csv.into_bytes(), effective, false).await;
        for m in &messages {
            assert!(html.contains(m), "{what}: preview lacks {m:?}\n{html}");
        }
        assert!(
            !html.contains("Ghi vào hệ thống"),
            "{what}: no commit button"
        );
        let r = commit(&app, &at, effective, false).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let html = unescape(&r.text().await.unwrap());
        for m in &messages {
            assert!(html.contains(m), "{what}: refusal lacks {m:?}");
        }
        assert_eq!(snapshot(&app).await, before, "{what}: nothing written");
        // Only the upload's own audit row.
        assert_eq!(app.count("audit_events").await, audit + 1, "{what}");
    }

    // In English, in English.
    let r = app
        .post_form(
            "/lang",
            &[("locale", "en"), ("next", "/admin/org-units/import")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let before = snapshot(&app).await;
    let csv = "code,name,kind,parent_code\n22300,Xã Mới,commune,99\n";
    let (at, _) = preview(&app, "bad.csv", csv.into(), "2025-07-01", false).await;
    let r = commit(&app, &at, "2025-07-01", false).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = unescape(&r.text().await.unwrap());
    assert!(
        html.contains("Row 2, column Parent code: No parent unit with code 99."),
        "{html}"
    );
    assert_eq!(snapshot(&app).await, before);
    app.post_form("/lang", &[("locale", "vi"), ("next", "/")])
        .await;

    // A bad effective date: on the upload, and on the commit.
    let before = snapshot(&app).await;
    let r = upload(&app, "dm.csv", SMALL.into(), "31/02/2025", false).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-effective\""), "{html}");
    let (at, _) = preview(&app, "dm.csv", SMALL.into(), "2025-07-01", false).await;
    let r = commit(&app, &at, "ngày mai", false).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A file that is no list at all.
    let r = upload(&app, "x.csv", b"a,b\n1,2\n".to_vec(), "2025-07-01", false).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(snapshot(&app).await, before);
}

async fn the_official_list_of_2025_loads_whole_and_a_second_load_adds_nothing(app: TestApp) {
    app.login_as("admin").await;
    let (status, page) = app.get_text(BASE).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("/admin/org-units/import/official"));
    let r = app.post_form(&format!("{BASE}/official"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let at = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(at.contains("effective=2025-07-01&whole_country=1"), "{at}");
    let (status, html) = app.get_text(&at).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        unescape(&html).contains("Không có lỗi. Sẽ thêm mới"),
        "{html}"
    );

    let started = std::time::Instant::now();
    let r = commit(&app, &at, "2025-07-01", true).await;
    let took = started.elapsed();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    eprintln!("the official list committed in {took:?}");
    // Counted among the open units with an official code: whatever the database held before,
    // they are now exactly the list's.
    let count = |kind: &str| {
        format!(
            "SELECT COUNT(*) FROM org_units WHERE gso_code IS NOT NULL AND valid_to IS NULL AND kind = '{kind}'"
        )
    };
    assert_eq!(app.scalar(&count("province")).await, 34);
    assert_eq!(app.scalar(&count("commune")).await, 2621);
    assert_eq!(app.scalar(&count("ward")).await, 687);
    assert_eq!(app.scalar(&count("special_zone")).await, 13);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM org_units WHERE gso_code IS NOT NULL AND valid_to IS NULL"
        )
        .await,
        3355
    );
    let dak_lak = open_by_gso(&app, "66").await;
    assert_eq!(dak_lak.name, "Tỉnh Đắk Lắk");
    for (code, name) in [
        ("22255", "Xã Tây Hòa"),
        ("22250", "Xã Sơn Thành"),
        ("22276", "Xã Hòa Thịnh"),
        ("22285", "Xã Hòa Mỹ"),
    ] {
        let u = open_by_gso(&app, code).await;
        assert_eq!(u.name, name);
        assert_eq!(u.parent_id, Some(dak_lak.id));
    }
    // The whole country's list: a province of before July 2025 with an official code (tỉnh
    // Phú Yên, 54, where the seed has it) closes the day before; nothing is deleted.
    if let Some(py) = org_unit::Entity::find()
        .filter(org_unit::Column::GsoCode.eq("54"))
        .one(&app.db)
        .await
        .unwrap()
    {
        assert_eq!(py.valid_to, day(2025, 6, 30));
    }

    // A second load, by the command line's function and by the page: nothing.
    let was = snapshot(&app).await;
    let again = kehoach::imports::units::load_official(
        &app.db,
        day(2025, 7, 1).unwrap(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!((again.opened, again.renamed, again.closed), (0, 0, 0));
    let r = app.post_form(&format!("{BASE}/official"), &[]).await;
    let at = r.headers()["location"].to_str().unwrap().to_owned();
    let (_, html) = app.get_text(&at).await;
    assert!(html.contains("không có gì thay đổi"));
    assert_eq!(snapshot(&app).await, was);
}

async fn only_administrators_import_the_unit_list(app: TestApp) {
    app.login_as("leader").await;
    let r = app.get(BASE).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let before = app.count("org_units").await;
    let r = upload(&app, "dm.csv", SMALL.into(), "2025-07-01", false).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("org_units").await, before);
}

async fn the_command_line_loads_the_official_list_once(app: TestApp) {
    use crate::backup::kehoach;
    let url = app.database_url.clone();
    let run = kehoach(
        &url,
        &["units", "load-official", "--effective", "31/02/2025"],
    )
    .await;
    assert!(!run.ok);
    assert!(run.stderr.contains("--effective"), "{}", run.stderr);
    let before = app.count("org_units").await;
    let run = kehoach(&url, &["units", "load-official"]).await;
    assert!(run.ok, "{}", run.stderr);
    // "official list of units: N opened, M renamed, K closed"
    let numbers: Vec<i64> = run
        .stdout
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 3, "{}", run.stdout);
    let (opened, renamed) = (numbers[0], numbers[1]);
    assert!(opened > 3000, "{}", run.stdout);
    assert_eq!(app.count("org_units").await, before + opened + renamed);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM org_units WHERE gso_code IS NOT NULL AND valid_to IS NULL"
        )
        .await,
        3355
    );
    let run = kehoach(
        &url,
        &["units", "load-official", "--effective", "2025-07-01"],
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stdout.contains("0 opened, 0 renamed, 0 closed"),
        "{}",
        run.stdout
    );
    assert_eq!(app.count("org_units").await, before + opened + renamed);
}

/// Issue 27: the lists search a stored folded name. A unit added by an import (a bulk insert)
/// and the successor a newer list opens under a new name are found by those names typed
/// without accents; the old name finds only the closed unit.
async fn imported_and_renamed_units_are_found_by_their_new_names_without_accents(app: TestApp) {
    app.login_as("admin").await;
    let (at, _) = preview(&app, "2025.csv", SMALL.into(), "2025-07-01", false).await;
    assert_eq!(
        commit(&app, &at, "2025-07-01", false).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, html) = app.get_text("/admin/org-units?q=bao%20lam").await;
    assert!(html.contains("<code>VN-01290"), "{html}");
    assert!(!html.contains("<code>VN-01273"));
    let newer = "code,name,kind,parent_code\n\
        04,Tỉnh Cao Bằng,province,\n\
        01290,Xã Bảo Lâm,commune,04\n\
        01273,Phường Thục Phán Mới,ward,04\n\
        01279,Phường Nùng Trí Cao,ward,04\n";
    let (at, _) = preview(&app, "2026.csv", newer.into(), "2026-01-01", false).await;
    assert_eq!(
        commit(&app, &at, "2026-01-01", false).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, html) = app.get_text("/admin/org-units?q=thuc%20phan%20moi").await;
    assert!(html.contains("<code>VN-01273-20260101"), "{html}");
    assert!(!html.contains("<code>VN-01273<"), "{html}");
    let (_, html) = app.get_text("/org-units?q=THUC%20PHAN").await;
    assert!(html.contains("Phường Thục Phán Mới <span"), "{html}");
    assert!(
        html.contains("Phường Thục Phán <span"),
        "the closed unit keeps its old name"
    );
    // (The pickers' suggestions offer units current today, which these are not yet.)
    let successor = by_code(&app, "VN-01273-20260101").await;
    assert_eq!(successor.search_name, "phuong thuc phan moi");
}
