//! Imports of activities and support statistics: the export imports back into a fresh
//! database as the same rows; every bad cell is reported at its row and column with nothing
//! written; one bad row among 5,000 writes nothing; a file imported twice writes nothing the
//! second time; a commune imports only into its own commune; formulas are neutralised where
//! imported text is exported; locked months are refused; bad files get a clear 4xx; and the
//! parsers, fed arbitrary bytes and arbitrary cells, never panic.

use crate::db_tests;
use crate::helpers::{TestApp, spawn_app};
use reqwest::StatusCode;

db_tests!(
    an_activity_export_imports_into_a_fresh_database_as_the_same_rows,
    each_bad_cell_is_reported_at_its_row_and_column_and_nothing_is_written,
    one_bad_row_among_5000_writes_nothing,
    a_file_imported_twice_writes_nothing_the_second_time,
    a_commune_officer_imports_only_into_their_own_commune,
    imported_formulas_are_exported_neutralised_and_markup_is_escaped,
    bad_files_get_a_clear_message_a_4xx_and_nothing_is_written,
    statistics_import_by_the_rules_of_the_entry_form,
    a_locked_month_is_refused_and_nothing_is_written,
    the_templates_carry_drop_down_lists_and_the_export_headers,
    the_parsers_never_panic_on_arbitrary_bytes_or_cells,
    a_filled_in_template_with_real_dates_and_list_choices_imports,
    two_commits_of_one_upload_write_it_once,
);

/// The headers of the activity template (the export's, without its id column).
pub(crate) const HEADER: &str = "Tên hoạt động,Loại hoạt động,Mục kế hoạch (mã),Địa bàn,Cơ quan tổ chức,Từ ngày,Đến ngày,Địa điểm,Đối tượng,Trạng thái,Ngày tổ chức,Số người dự kiến,Số người tham dự,Trong đó nữ,Người dân tộc thiểu số,Trẻ em,Ghi chú";

const STATS_HEADER: &str = "Đơn vị,Tháng,Chỉ tiêu,Giới tính,Độ tuổi,Mục đích mua bán,Hình thức trở về,Nơi bị mua bán,Loại hỗ trợ,Nơi chuyển đến,Số liệu";

pub(crate) async fn item(app: &TestApp) -> i64 {
    app.scalar(
        "SELECT i.id AS n FROM plan_items i JOIN plan_items p ON p.id = i.parent_id \
         WHERE p.area_code = 'communication' AND i.position = 3",
    )
    .await
}

async fn id_of(app: &TestApp, table: &str, code: &str) -> String {
    app.scalar(&format!(
        "SELECT id AS n FROM {table} WHERE code = '{code}'"
    ))
    .await
    .to_string()
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

/// Uploads a file; the response (a 303 to the preview, or the upload page with a message).
async fn upload(app: &TestApp, base: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let token = app.csrf().await;
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new().part("file", part);
    app.client
        .post(app.url(&format!("{base}?csrf_token={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Uploads a file that can be read; returns the preview's address and its text.
pub(crate) async fn preview(
    app: &TestApp,
    base: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (String, String) {
    let r = upload(app, base, name, bytes).await;
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    let Some(location) = location else {
        panic!("{status}: {}", unescape(&r.text().await.unwrap()));
    };
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = app.get_text(&location).await;
    assert_eq!(status, StatusCode::OK);
    (location, unescape(&html))
}

async fn commit(app: &TestApp, location: &str) -> (StatusCode, String) {
    let r = app.post_form(location, &[]).await;
    let status = r.status();
    (status, unescape(&r.text().await.unwrap()))
}

/// Uploads and commits a file that must go in whole.
async fn import_ok(app: &TestApp, base: &str, name: &str, bytes: Vec<u8>) -> String {
    let (location, html) = preview(app, base, name, bytes).await;
    assert!(html.contains("Ghi vào hệ thống"), "{html}");
    let (status, body) = commit(app, &location).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, done) = app.get_text(&location).await;
    assert!(unescape(&done).contains("Đã ghi"), "{done}");
    html
}

/// Creates an activity through the form (held when `held_on` is given).
async fn create(
    app: &TestApp,
    unit: &str,
    agency: &str,
    title: &str,
    date: &str,
    held_on: Option<&str>,
) {
    let item = item(app).await.to_string();
    let talk = id_of(app, "codes", "talk").await;
    let women = app
        .scalar("SELECT id AS n FROM codes WHERE list = 'target_group' AND code = 'women'")
        .await
        .to_string();
    let pupils = app
        .scalar("SELECT id AS n FROM codes WHERE list = 'target_group' AND code = 'pupils'")
        .await
        .to_string();
    let unit = id_of(app, "org_units", unit).await;
    let agency = id_of(app, "agencies", agency).await;
    let mut fields = vec![
        ("activity_type_id", talk.as_str()),
        ("title", title),
        ("plan_item_id", item.as_str()),
        ("org_unit_id", unit.as_str()),
        ("agency_id", agency.as_str()),
        ("start_date", date),
        ("end_date", date),
        ("place", "Nhà văn hóa thôn 1"),
        ("target_groups", women.as_str()),
        ("target_groups", pupils.as_str()),
        ("planned_participants", "120"),
        ("notes", "Phối hợp với Đoàn thanh niên"),
    ];
    if let Some(h) = held_on {
        fields.extend([
            ("held", "1"),
            ("held_on", h),
            ("actual_participants", "135"),
            ("actual_women", "70"),
            ("actual_ethnic_minority", "12"),
            ("actual_children", "30"),
        ]);
    }
    let r = app.post_form("/activities", &fields).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
}

async fn body(app: &TestApp, path: &str) -> Vec<u8> {
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.bytes().await.unwrap().to_vec()
}

/// The lines of an activity CSV export without their id column, sorted.
fn rows_without_ids(csv: &[u8]) -> Vec<String> {
    let text = String::from_utf8(csv.to_vec()).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| l.split_once(',').unwrap().1.to_owned())
        .collect();
    lines.sort();
    lines
}

async fn an_activity_export_imports_into_a_fresh_database_as_the_same_rows(app: TestApp) {
    app.login_as("planner").await;
    create(
        &app,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        "Nói chuyện chuyên đề về phòng, chống mua bán người",
        "2024-06-03",
        Some("2024-06-03"),
    )
    .await;
    create(
        &app,
        "PY-TH-HOATANTAY",
        "TH-VHTT",
        "Tuyên truyền lưu động ngày 30/7",
        "2024-07-30",
        None,
    )
    .await;
    create(
        &app,
        "PY-TH-SONTHANHDONG",
        "TH-VHTT",
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        "2024-08-15",
        None,
    )
    .await;
    let xlsx = body(&app, "/activities/export.xlsx").await;
    let before = rows_without_ids(&body(&app, "/activities/export.csv").await);
    assert_eq!(before.len(), 3, "{before:?}");

    let fresh = spawn_app(app.backend).await;
    fresh.login_as("planner").await;
    assert_eq!(fresh.count("activities").await, 0);
    import_ok(&fresh, "/activities/import", "hoat-dong.xlsx", xlsx).await;
    let after = rows_without_ids(&body(&fresh, "/activities/export.csv").await);
    assert_eq!(after, before);
    assert_eq!(fresh.count("activities").await, 3);
    // The dashboard's summary rows hold them, as recomputed from scratch.
    let rows = crate::dashboard::assert_rollups_exact(&fresh, "an import").await;
    assert_eq!(
        rows.iter()
            .filter(|r| r.starts_with("activity_rollups") && !r.contains("\"org_unit_id\":0,"))
            .count(),
        3,
        "one row per unit and month (the country's rows besides)"
    );
    // One audit row for the import, one per activity (as the form writes), in its transaction.
    let audit = |action: &'static str| {
        let fresh = &fresh;
        async move {
            fresh
                .scalar(&format!(
                    "SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"
                ))
                .await
        }
    };
    assert_eq!(audit("activity:import").await, 1);
    assert_eq!(
        audit("activity:create").await + audit("activity:log").await,
        3
    );

    // The CSV export imports as well, into another fresh database.
    let csv = body(&app, "/activities/export.csv").await;
    let third = spawn_app(app.backend).await;
    third.login_as("planner").await;
    import_ok(&third, "/activities/import", "hoat-dong.csv", csv).await;
    assert_eq!(
        rows_without_ids(&body(&third, "/activities/export.csv").await),
        before
    );
}

async fn each_bad_cell_is_reported_at_its_row_and_column_and_nothing_is_written(app: TestApp) {
    app.login_as("planner").await;
    let item = item(&app).await;
    let good = format!(
        "Nói chuyện chuyên đề,Nói chuyện chuyên đề,{item},Xã Hòa Phong,UBND xã Hòa Phong,30/05/2024,,,,,,50,,,,,"
    );
    let csv = [
        HEADER.to_owned(),
        good.clone(),
        // Row 3: a date that does not exist.
        format!("Tập huấn,Tập huấn,{item},Xã Hòa Phong,UBND xã Hòa Phong,31/02/2024,,,,,,,,,,,"),
        // Row 4: an unknown activity type, and old-style accents that still match the unit.
        format!("Hội thi,Đua thuyền,{item},xa HOÀ phong,UBND xã Hòa Phong,01/06/2024,,,,,,,,,,,"),
        // Row 5: held, more women than participants.
        format!("Mít tinh 30/7,rally,{item},Xã Hòa Phong,UBND xã Hòa Phong,03/06/2024,,,,Đã tổ chức,03/06/2024,,40,50,,,"),
        // Row 6: a phone number in the notes.
        format!("Tư vấn,Tư vấn trực tiếp,{item},Xã Hòa Phong,UBND xã Hòa Phong,04/06/2024,,,,,,,,,,,Liên hệ chị Lan 0912345678"),
        // Row 7: held in the future.
        format!("Văn nghệ,performance,{item},Xã Hòa Phong,UBND xã Hòa Phong,05/06/2024,,,,Đã tổ chức,05/07/2024,,10,,,,"),
        // Row 8: a unit that does not exist, a negative figure.
        format!("Pano,poster,{item},Xã Atlantis,UBND xã Hòa Phong,06/06/2024,,,,,,-5,,,,,"),
        // Row 9: the same as row 2.
        good,
    ]
    .join("\r\n");
    let before = app.count("activities").await;
    let (location, html) = preview(&app, "/activities/import", "loi.csv", csv.into_bytes()).await;
    for expected in [
        "Dòng 3, cột Từ ngày: Ngày không hợp lệ (dd/mm/yyyy).",
        "Dòng 4, cột Loại hoạt động: Không tìm thấy “Đua thuyền” trong danh mục.",
        "Dòng 5, cột Trong đó nữ: Không được lớn hơn tổng số người tham dự.",
        "Dòng 6, cột Ghi chú: Không ghi số điện thoại",
        "Dòng 7, cột Ngày tổ chức: Ngày tổ chức không được ở tương lai.",
        "Dòng 8, cột Địa bàn: Không tìm thấy “Xã Atlantis” trong danh mục.",
        "Dòng 8, cột Số người dự kiến: Số không được âm.",
        "Dòng 9, cột Tên hoạt động: Trùng với dòng 2.",
    ] {
        assert!(html.contains(expected), "{expected}\n{html}");
    }
    assert!(!html.contains("Dòng 2,"), "row 2 is valid");
    assert!(!html.contains("Dòng 4, cột Địa bàn"), "Hoà = Hòa, any case");
    assert!(!html.contains("Ghi vào hệ thống"), "no commit button");
    // A commit anyway is refused, and writes nothing.
    let (status, page) = commit(&app, &location).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Dòng 3, cột Từ ngày"));
    assert_eq!(app.count("activities").await, before);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'activity:import'")
            .await,
        0
    );
}

async fn one_bad_row_among_5000_writes_nothing(app: TestApp) {
    app.login_as("planner").await;
    let item = item(&app).await;
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let mut lines = vec![HEADER.to_owned()];
    for i in 0..5000 {
        let d = (start + chrono::Duration::days(i % 170)).format("%d/%m/%Y");
        lines.push(format!(
            "Tuyên truyền số {i},mobile,{item},Xã Hòa Phong,UBND xã Hòa Phong,{d},,Thôn {},Người dân nói chung; Phụ nữ,,,{},,,,,",
            i % 9,
            100 + i
        ));
    }
    // Row 4002 (the header is row 1): a date typed wrong.
    lines[4001] = format!(
        "Tuyên truyền sai ngày,mobile,{item},Xã Hòa Phong,UBND xã Hòa Phong,2024-13-45,,,,,,,,,,,"
    );
    let before = app.count("activities").await;
    let (location, html) = preview(
        &app,
        "/activities/import",
        "lon.csv",
        lines.join("\n").into_bytes(),
    )
    .await;
    assert!(
        html.contains("Dòng 4002, cột Từ ngày"),
        "{}",
        &html[..html.len().min(3000)]
    );
    assert!(html.contains("4.999"), "valid rows counted");
    let (status, _) = commit(&app, &location).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("activities").await, before);
}

async fn a_file_imported_twice_writes_nothing_the_second_time(app: TestApp) {
    app.login_as("commune").await;
    let item = item(&app).await;
    let csv = format!(
        "{HEADER}\r\nNói chuyện ở trường THCS,school,{item},Hòa Phong,UBND xã Hòa Phong,10/06/2024,,,Học sinh,,,200,,,,,\r\n"
    );
    let shown = import_ok(
        &app,
        "/activities/import",
        "a.csv",
        csv.clone().into_bytes(),
    )
    .await;
    // The preview shows the row as it will be saved: names, not what was typed.
    assert!(
        shown.contains("<td>Tuyên truyền trong trường học</td><td>")
            && shown.contains("<td>Xã Hòa Phong</td><td>UBND xã Hòa Phong</td><td>10/06/2024</td>")
            && shown.contains("<td>Học sinh</td><td>Đã lên lịch</td>"),
        "{shown}"
    );
    assert_eq!(app.count("activities").await, 1);
    // The same bytes: refused at once, with when and by whom.
    let r = upload(
        &app,
        "/activities/import",
        "a.csv",
        csv.clone().into_bytes(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = unescape(&r.text().await.unwrap());
    assert!(
        page.contains("Tệp này đã được nhập lúc 20/06/2024"),
        "{page}"
    );
    assert!(page.contains("Lê Thị Hồng"));
    // The same rows saved again (another line ending): each row is already there.
    let again = csv.replace("\r\n", "\n");
    let (location, html) = preview(&app, "/activities/import", "b.csv", again.into_bytes()).await;
    assert!(
        html.contains("Dòng 2, cột Tên hoạt động: Hoạt động này đã có trong hệ thống"),
        "{html}"
    );
    let (status, _) = commit(&app, &location).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("activities").await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM imports WHERE status = 'committed'")
            .await,
        1
    );
}

async fn a_commune_officer_imports_only_into_their_own_commune(app: TestApp) {
    app.login_as("commune").await;
    let item = item(&app).await;
    let csv = format!(
        "{HEADER}\nHội thi tìm hiểu pháp luật,Cuộc thi tìm hiểu pháp luật,{item},Xã Hòa Phong,UBND xã Hòa Phong,12/06/2024,,,,,,,,,,,\nHội thi ở xã bên,Cuộc thi tìm hiểu pháp luật,{item},Xã Hòa Tân Tây,UBND xã Hòa Tân Tây,12/06/2024,,,,,,,,,,,\n"
    );
    let (location, html) = preview(&app, "/activities/import", "x.csv", csv.into_bytes()).await;
    assert!(
        html.contains("Dòng 3, cột Địa bàn: Đơn vị này không thuộc phạm vi của bạn."),
        "{html}"
    );
    let (status, _) = commit(&app, &location).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("activities").await, 0);
    // Statistics too.
    let stats = format!(
        "{STATS_HEADER}\nXã Hòa Tân Tây,05/2024,Tin báo qua Tổng đài 111: tiếp nhận,,,,,,,,3\n"
    );
    let (location, html) = preview(&app, "/stats/import", "s.csv", stats.into_bytes()).await;
    assert!(
        html.contains("Dòng 2, cột Đơn vị: Đơn vị này không thuộc phạm vi của bạn."),
        "{html}"
    );
    let (status, _) = commit(&app, &location).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("support_stat_months").await, 0);
    // Another user's staged import is not even found.
    let planner = app.another_browser();
    planner.login_as("planner").await;
    let (status, _) = planner
        .get_text(&location.replace("/stats/", "/activities/"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn imported_formulas_are_exported_neutralised_and_markup_is_escaped(app: TestApp) {
    app.login_as("commune").await;
    let item = item(&app).await;
    let csv = format!(
        "{HEADER}\n\"=HYPERLINK(\"\"http://evil.example\"\",\"\"Hòa Phong\"\")\",news,{item},Xã Hòa Phong,UBND xã Hòa Phong,11/06/2024,,,,,,,,,,,\n<script>alert(1)</script>,news,{item},Xã Hòa Phong,UBND xã Hòa Phong,12/06/2024,,,,,,,,,,,@SUM(A1)\n"
    );
    let r = upload(&app, "/activities/import", "f.csv", csv.into_bytes()).await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let (_, raw) = app.get_text(&location).await;
    assert!(
        !raw.contains("<script>alert"),
        "markup is escaped on the preview"
    );
    assert!(raw.contains("&lt;script&gt;"));
    let (status, _) = commit(&app, &location).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let csv = String::from_utf8(body(&app, "/activities/export.csv").await).unwrap();
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\""),
        "{csv}"
    );
    assert!(csv.contains(",'@SUM(A1)"), "{csv}");
    assert!(!csv.contains(",=HYPERLINK") && !csv.contains("\"=HYPERLINK"));
}

async fn bad_files_get_a_clear_message_a_4xx_and_nothing_is_written(app: TestApp) {
    app.login_as("planner").await;
    let png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "empty.csv",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Vui lòng chọn một tệp có dữ liệu.",
        ),
        (
            "photo.xlsx",
            png,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Chỉ nhận tệp Excel (.xlsx) hoặc CSV.",
        ),
        (
            "old.xls",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "lưu lại dưới dạng .xlsx",
        ),
        (
            "broken.xlsx",
            b"PK\x03\x04 not really a zip".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Không đọc được tệp",
        ),
        (
            "latin1.csv",
            b"T\xeAn ho\xe1t \xf0\xf4ng\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "UTF-8",
        ),
        (
            "big.csv",
            vec![b'a'; 6 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "Tệp quá lớn: tối đa 5 MB.",
        ),
        (
            "cols.csv",
            "Tên hoạt động,Ghi chú\nA,B\n".as_bytes().to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Tệp thiếu các cột: Loại hoạt động, Mục kế hoạch (mã), Địa bàn, Cơ quan tổ chức, Từ ngày.",
        ),
        (
            "header.csv",
            format!("{HEADER}\n").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "không có dòng dữ liệu",
        ),
        (
            "nothing.csv",
            "a,b\n1,2\n".as_bytes().to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Không tìm thấy dòng tiêu đề",
        ),
    ];
    for (name, bytes, status, message) in cases {
        let r = upload(&app, "/activities/import", name, bytes).await;
        assert_eq!(r.status(), status, "{name}");
        let page = unescape(&r.text().await.unwrap());
        assert!(page.contains(message), "{name}: {message}\n{page}");
    }
    // Too many rows.
    let mut many = String::from(HEADER);
    for _ in 0..10_001 {
        many.push_str("\nx,y,1,z,w,01/01/2024,,,,,,,,,,,");
    }
    let r = upload(&app, "/activities/import", "many.csv", many.into_bytes()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unescape(&r.text().await.unwrap()).contains("tối đa 10.000 dòng"));
    // A broken form, and no form at all.
    let token = app.csrf().await;
    let r = app
        .client
        .post(app.url(&format!("/activities/import?csrf_token={token}")))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(app.count("imports").await, 0);
    assert_eq!(app.count("activities").await, 0);
    // In English for an English-speaking user.
    app.post_form("/lang", &[("locale", "en"), ("next", "/")])
        .await;
    let r = upload(&app, "/activities/import", "empty.csv", Vec::new()).await;
    assert!(unescape(&r.text().await.unwrap()).contains("Please choose a file with data in it."));
    // A statistics file on the activity import: its columns are missing.
    let r = upload(
        &app,
        "/activities/import",
        "s.csv",
        format!("{STATS_HEADER}\nx,05/2024,y,,,,,,,,1\n").into_bytes(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn statistics_import_by_the_rules_of_the_entry_form(app: TestApp) {
    app.login_as("compiler").await;
    let csv = format!(
        "{STATS_HEADER}\n\
         Xã Hoà Phong,05/2024,Số người được tiếp nhận,female,16-17,sexual,rescued,abroad,,,2\n\
         Hòa Phong,05/2024,received,Nam,18-29,Cưỡng bức lao động,self,abroad,,,30\n\
         Xã Hòa Phong,05/2024,Số người được hỗ trợ,,,,,,2011_medical,,20\n\
         Xã Hòa Phong,05/2024,Số người được chuyển đến dịch vụ,,,,,,,health,5\n\
         Xã Hòa Phong,05/2024,Tin báo qua Tổng đài 111: tiếp nhận,,,,,,,,7\n\
         Xã Hòa Phong,05/2024,Số người được vay vốn,,,,,,,,1\n\
         Xã Hòa Phong,05/2024,Số tiền vay (đồng),,,,,,,,30.000.000\n\
         Xã Hòa Phú,04/2024,Tin báo qua Tổng đài 111: tiếp nhận,,,,,,,,4\n"
    );
    let (location, html) = preview(&app, "/stats/import", "so-lieu.csv", csv.into_bytes()).await;
    assert!(html.contains("Tất cả 8 dòng đều hợp lệ"), "{html}");
    assert!(html.contains("05/2024") && html.contains("Xã Hòa Phú"));
    let (status, page) = commit(&app, &location).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let hp = id_of(&app, "org_units", "PY-TH-HOAPHONG").await;
    let month = |col: &str| {
        let app = &app;
        let sql = format!(
            "SELECT {col} AS n FROM support_stat_months WHERE org_unit_id = {hp} AND year_month = 202405"
        );
        async move { app.scalar(&sql).await }
    };
    assert_eq!(month("hotline_received").await, 7);
    assert_eq!(month("loans_amount").await, 30_000_000);
    assert_eq!(
        app.scalar(&format!("SELECT SUM(r.persons) AS n FROM support_stat_received r JOIN support_stat_months m ON m.id = r.month_id WHERE m.org_unit_id = {hp}")).await,
        32
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'support_stats:import'")
            .await,
        2,
        "one audit row per month"
    );

    // The entry form's rules: support above received + carried over, a support type of the
    // wrong law, a group without all its criteria, a future month, a loan typed in thousands.
    let bad = format!(
        "{STATS_HEADER}\n\
         Xã Hòa Thịnh,03/2024,Số người được tiếp nhận,female,16-17,sexual,rescued,,,,1\n\
         Xã Hòa Thịnh,03/2024,Số người được hỗ trợ,,,,,,2011_medical,,9\n\
         Xã Hòa Thịnh,03/2024,Số người được hỗ trợ,,,,,,2024_interpretation,,1\n\
         Xã Hòa Thịnh,07/2024,Tin báo qua Tổng đài 111: tiếp nhận,,,,,,,,1\n\
         Xã Hòa Thịnh,02/2024,Số người đang được hỗ trợ từ trước kỳ,,,,,,,,1\n\
         Xã Hòa Thịnh,02/2024,Số người được vay vốn,,,,,,,,1\n\
         Xã Hòa Thịnh,02/2024,Số tiền vay (đồng),,,,,,,,30.000\n\
         Xã Hòa Thịnh,13/2024,Số người được vay vốn,,,,,,,,ba\n"
    );
    let before = app.count("support_stat_months").await;
    let (location, html) = preview(&app, "/stats/import", "sai.csv", bad.into_bytes()).await;
    for expected in [
        "Dòng 2, cột Nơi bị mua bán: Dòng có số người thì phải chọn đủ các tiêu chí.",
        "Dòng 4, cột Loại hỗ trợ: Loại hỗ trợ này không thuộc luật áp dụng cho tháng đang nhập.",
        "Dòng 5, cột Tháng: Tháng này chưa bắt đầu",
        "Dòng 8, cột Số liệu: ",
        "Dòng 9, cột Tháng: Tháng không hợp lệ (mm/yyyy).",
        "Dòng 9, cột Số liệu: Vui lòng nhập một số nguyên.",
    ] {
        assert!(html.contains(expected), "{expected}\n{html}");
    }
    let (status, _) = commit(&app, &location).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("support_stat_months").await, before);
    // Support above what was received: at the row that gave it.
    let over = format!(
        "{STATS_HEADER}\n\
         Xã Hòa Thịnh,03/2024,Số người được tiếp nhận,female,16-17,sexual,rescued,abroad,,,1\n\
         Xã Hòa Thịnh,03/2024,Số người được hỗ trợ,,,,,,2011_medical,,9\n"
    );
    let (_, html) = preview(&app, "/stats/import", "vuot.csv", over.into_bytes()).await;
    assert!(html.contains("Dòng 3, cột Số liệu: "), "{html}");
    assert!(!html.contains("Dòng 2,"), "{html}");
}

async fn a_locked_month_is_refused_and_nothing_is_written(app: TestApp) {
    app.login_as("compiler").await;
    let hp: i64 = id_of(&app, "org_units", "PY-TH-HOAPHONG")
        .await
        .parse()
        .unwrap();
    let may = kehoach::support_stats::period::YearMonth::new(2024, 5).unwrap();
    kehoach::support_stats::service::lock_month(&app.db, hp, may, None, app.clock.now())
        .await
        .unwrap();
    let csv = format!(
        "{STATS_HEADER}\nXã Hòa Phú,04/2024,Tin báo qua Tổng đài 111: tiếp nhận,,,,,,,,4\nXã Hòa Phong,05/2024,Tin báo qua Tổng đài 111: tiếp nhận,,,,,,,,3\n"
    );
    let (location, html) = preview(&app, "/stats/import", "khoa.csv", csv.into_bytes()).await;
    assert!(
        html.contains("Dòng 3, cột Tháng: Tháng này đã khóa"),
        "{html}"
    );
    assert!(
        html.contains("<dt>Dòng hợp lệ</dt><dd>1</dd>"),
        "a row of a refused month is not counted valid: {html}"
    );
    let (status, _) = commit(&app, &location).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing written, not even the valid April row.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM support_stat_months WHERE year_month = 202404")
            .await,
        0
    );
    assert_eq!(
        app.scalar(
            "SELECT hotline_received AS n FROM support_stat_months WHERE year_month = 202405"
        )
        .await,
        0
    );
}

/// Every XML part of an XLSX file, concatenated.
fn xlsx_xml(bytes: &[u8]) -> String {
    use std::io::Read;
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

async fn the_templates_carry_drop_down_lists_and_the_export_headers(app: TestApp) {
    app.login_as("commune").await;
    let xml = xlsx_xml(&body(&app, "/activities/import/template.xlsx").await);
    assert!(xml.contains("<dataValidation"), "drop-down lists");
    assert!(xml.contains("type=\"list\""));
    assert!(xml.contains("Danh mục"));
    for h in HEADER.split(',') {
        assert!(xml.contains(h), "{h}");
    }
    assert!(
        xml.contains("Nói chuyện chuyên đề"),
        "activity types listed"
    );
    assert!(
        xml.contains("Xã Hòa Phong") && !xml.contains("Xã Hòa Tân Tây"),
        "only units in scope"
    );
    let xml = xlsx_xml(&body(&app, "/stats/import/template.xlsx").await);
    assert!(xml.contains("<dataValidation"));
    for h in STATS_HEADER.split(',') {
        assert!(xml.contains(h), "{h}");
    }
    // An empty template uploaded as it is: no rows.
    let r = upload(
        &app,
        "/stats/import",
        "mau.xlsx",
        body(&app, "/stats/import/template.xlsx").await,
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Pages link to the imports.
    let (_, list) = app.get_text("/activities").await;
    assert!(list.contains("href=\"/activities/import\""));
    let (_, upload_page) = app.get_text("/activities/import").await;
    assert!(upload_page.contains("/activities/import/template.xlsx"));
    assert!(upload_page.contains("enctype=\"multipart/form-data\""));
    // Roles without the capability are refused.
    let leader = app.another_browser();
    leader.login_as("leader").await;
    assert_eq!(
        leader.get("/stats/import").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        leader.get("/activities/import").await.status(),
        StatusCode::FORBIDDEN
    );
}

/// A user as the import checks see them (the demo planner or commune officer).
async fn importer(
    app: &TestApp,
    role: kehoach::auth::Role,
    email: &str,
) -> kehoach::auth::CurrentUser {
    use kehoach::entities::{agency, user};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let u = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let a = agency::Entity::find_by_id(u.agency_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    kehoach::auth::CurrentUser {
        id: u.id,
        email: u.email,
        display_name: u.display_name,
        role,
        agency_id: a.id,
        agency_name: a.name,
        org_unit_id: a.org_unit_id,
        locale: kehoach::web::i18n::Locale::Vi,
        auth: kehoach::auth::identity::AuthMethod::ApiToken,
        scope_cache: Default::default(),
    }
}

async fn the_parsers_never_panic_on_arbitrary_bytes_or_cells(app: TestApp) {
    use kehoach::imports::read::{self, Grid, Table, Value};
    use kehoach::imports::{activities, stats};
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    // Arbitrary bytes, and bytes that start like the files the reader knows.
    let mut runner = TestRunner::new(Config::with_cases(256));
    let prefixes = prop_oneof![
        Just(Vec::new()),
        Just(b"PK\x03\x04".to_vec()),
        Just(vec![0xD0, 0xCF, 0x11, 0xE0]),
        Just("\u{feff}Tên hoạt động;Từ ngày\n".as_bytes().to_vec()),
    ];
    runner
        .run(
            &(prefixes, proptest::collection::vec(any::<u8>(), 0..2048)),
            |(p, rest)| {
                let bytes = [p, rest].concat();
                if let Ok(grid) = read::grid(&bytes) {
                    let _ = read::table(grid, activities::SPEC, |_| Vec::new());
                }
                Ok(())
            },
        )
        .unwrap();
    // A real XLSX file with bytes flipped: a clear error or rows, never a panic.
    let planner = app.another_browser();
    planner.login_as("planner").await;
    let xlsx = body(&planner, "/activities/import/template.xlsx").await;
    let mut runner = TestRunner::new(Config::with_cases(96));
    runner
        .run(
            &proptest::collection::vec((0..xlsx.len(), any::<u8>()), 1..16),
            |flips| {
                let mut bytes = xlsx.clone();
                for (i, b) in flips {
                    bytes[i] = b;
                }
                let _ = read::grid(&bytes);
                Ok(())
            },
        )
        .unwrap();

    // Arbitrary cells through the whole check of both imports, against the real lists.
    let i18n = kehoach::web::i18n::I18n::load().unwrap();
    let user = importer(&app, kehoach::auth::Role::Planner, "planner@kehoach.demo").await;
    let scope = kehoach::org_units::scope::Scope::of_unit(&app.db, user.org_unit_id)
        .await
        .unwrap();
    let plan_units = kehoach::plans::repo::readable_units(&app.db, &scope, user.org_unit_id)
        .await
        .unwrap();
    let lk = activities::Lookups::load(&app.db, &i18n).await.unwrap();
    let today = app.clock.today();
    let cell = prop_oneof![
        Just(Value::Empty),
        any::<String>().prop_map(Value::Text),
        "[0-9./ -]{0,12}".prop_map(Value::Text),
        prop_oneof![
            Just("Xã Hòa Phong"),
            Just("Nói chuyện chuyên đề"),
            Just("Đã tổ chức"),
            Just("'=1+1"),
            Just("30/07/2024")
        ]
        .prop_map(|s| Value::Text(s.to_owned())),
        any::<f64>().prop_map(Value::Number),
        (-1e6f64..1e7).prop_map(Value::Number),
        (1i32..3_000_000).prop_map(|d| Value::Date(
            chrono::NaiveDate::from_num_days_from_ce_opt(d).unwrap_or_default()
        )),
    ];
    let rows = proptest::collection::vec(proptest::collection::vec(cell, 0..20), 1..6);
    let stats_lk = stats::Lookups::load(&app.db, &i18n, &Table::default())
        .await
        .unwrap();
    let mut runner = TestRunner::new(Config::with_cases(128));
    runner
        .run(&rows, |rows| {
            let table = Table {
                rows: rows
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| (i + 2, r))
                    .collect(),
            };
            let who = activities::Importer {
                user: &user,
                scope: &scope,
                plan_units: &plan_units,
                today,
            };
            let out = activities::check_rows(&table, &lk, &who);
            // Every row is either kept or has a problem at a row of the file.
            for p in &out.problems {
                prop_assert!(table.rows.iter().any(|(n, _)| *n == p.row));
            }
            let who = stats::Importer {
                user: &user,
                scope: &scope,
                today,
            };
            let out = stats::check_rows(&table, &stats_lk, &who);
            for p in &out.problems {
                prop_assert!(table.rows.iter().any(|(n, _)| *n == p.row));
            }
            Ok(())
        })
        .unwrap();
    // And a grid of arbitrary text cells through header detection.
    let mut runner = TestRunner::new(Config::with_cases(128));
    runner
        .run(
            &proptest::collection::vec(proptest::collection::vec(any::<String>(), 0..8), 0..12),
            |rows| {
                let grid = Grid {
                    rows: rows
                        .into_iter()
                        .enumerate()
                        .map(|(i, r)| (i + 1, r.into_iter().map(Value::Text).collect()))
                        .collect(),
                };
                let _ = read::table(grid, stats::SPEC, |k| vec![k.to_owned()]);
                Ok(())
            },
        )
        .unwrap();
}

async fn a_filled_in_template_with_real_dates_and_list_choices_imports(app: TestApp) {
    app.login_as("commune").await;
    let item = item(&app).await;
    // What Excel saves once the template is filled in: shared strings, real dates, numbers,
    // the plan item as the drop-down shows it ("id — title").
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Mẫu nhập hoạt động").unwrap();
    let headers: Vec<&str> = std::iter::once("Mã").chain(HEADER.split(',')).collect();
    for (i, h) in headers.iter().enumerate() {
        ws.write_string(1, i as u16, *h).unwrap();
    }
    let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    let d = |day| chrono::NaiveDate::from_ymd_opt(2024, 6, day).unwrap();
    for (r, (title, held)) in [("Mít tinh hưởng ứng", true), ("Phát tờ rơi ở chợ", false)]
        .iter()
        .enumerate()
    {
        let row = 2 + r as u32;
        ws.write_string(row, 1, *title).unwrap();
        ws.write_string(
            row,
            2,
            if *held {
                "Mít tinh, lễ phát động"
            } else {
                "leaflet"
            },
        )
        .unwrap();
        ws.write_string(row, 3, format!("{item} — 1. Công tác truyền thông"))
            .unwrap();
        ws.write_string(row, 4, "Xã Hòa Phong").unwrap();
        ws.write_string(row, 5, "UBND xã Hòa Phong").unwrap();
        ws.write_datetime_with_format(row, 6, d(10 + r as u32), &date)
            .unwrap();
        ws.write_string(row, 9, "Phụ nữ; Thanh niên").unwrap();
        if *held {
            ws.write_string(row, 10, "Đã tổ chức").unwrap();
            ws.write_datetime_with_format(row, 11, d(10), &date)
                .unwrap();
            ws.write_number(row, 13, 250.0).unwrap();
            ws.write_number(row, 14, 130.0).unwrap();
        } else {
            ws.write_number(row, 12, 1000.0).unwrap();
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    import_ok(&app, "/activities/import", "mau-da-dien.xlsx", bytes).await;
    assert_eq!(app.count("activities").await, 2);
    assert_eq!(
        app.scalar("SELECT participants_women AS n FROM activities WHERE status = 'held'")
            .await,
        130
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activities WHERE start_date = '2024-06-11' AND end_date = '2024-06-11' AND status = 'planned'")
            .await,
        1
    );
    assert_eq!(app.count("activity_target_groups").await, 4);
}

async fn two_commits_of_one_upload_write_it_once(app: TestApp) {
    app.login_as("planner").await;
    let item = item(&app).await;
    let mut csv = String::from(HEADER);
    for i in 0..200 {
        csv.push_str(&format!(
            "\nBuổi tuyên truyền {i},talk,{item},Xã Hòa Thịnh,Phòng VH-TT,01/06/2024,,,,,,,,,,,"
        ));
    }
    let (location, _) = preview(&app, "/activities/import", "hai-lan.csv", csv.into_bytes()).await;
    let (a, b) = tokio::join!(commit(&app, &location), commit(&app, &location));
    // Whichever gets there first saves it; the other finds it saved (or being saved).
    for (status, body) in [&a, &b] {
        assert!(
            *status == StatusCode::SEE_OTHER || *status == StatusCode::CONFLICT,
            "{status}: {body}"
        );
    }
    assert!(a.0 == StatusCode::SEE_OTHER || b.0 == StatusCode::SEE_OTHER);
    assert_eq!(app.count("activities").await, 200);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'activity:import'")
            .await,
        1
    );
}
