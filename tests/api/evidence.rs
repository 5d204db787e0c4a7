//! Evidence files of activities, over real HTTP: photos lose their metadata and keep their
//! pixels, the type comes from the content, the limits hold with a clear message and nothing
//! written, and files reach only those who may read the activity. Test images are made here,
//! never committed.

use crate::db_tests;
use crate::helpers::{DEMO_PASSWORD, TestApp};
use chrono::NaiveDate;
use image::metadata::Orientation;
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use img_parts::{Bytes, ImageEXIF};
use kehoach::activities::input::ActivityInput;
use kehoach::activities::service::{self, Ctx};
use kehoach::auth::identity::AuthMethod;
use kehoach::auth::{CurrentUser, Role};
use kehoach::entities::{agency, code, evidence_file, plan, plan_item, user};
use kehoach::org_units::scope::Scope;
use kehoach::web::i18n::{I18n, Locale};
use kehoach::web::templates::Templates;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::path::PathBuf;
use std::sync::Arc;

/// Text that only the metadata carries: it must not survive in a stored photo.
const SECRET: &[u8] = b"Hoa Phong 13.0512N 109.2345E";

// ---------------------------------------------------------------------------------------------
// Users and activities

async fn current_user(app: &TestApp, email: &str) -> CurrentUser {
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
    CurrentUser {
        id: u.id,
        email: u.email,
        display_name: u.display_name,
        role: Role::parse(&u.role).unwrap(),
        agency_id: a.id,
        agency_name: a.name,
        org_unit_id: a.org_unit_id,
        locale: Locale::Vi,
        auth: AuthMethod::ApiToken,
        scope_cache: Default::default(),
    }
}

/// A talk scheduled by the commune of `email`, under the first item of the seeded plan.
async fn activity_of(app: &TestApp, email: &str) -> i64 {
    let user = current_user(app, email).await;
    let scope = Scope::of_unit(&app.db, user.org_unit_id).await.unwrap();
    let plan = plan::Entity::find()
        .order_by_asc(plan::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // The plan's first item an activity can belong to (a section heading cannot).
    let items = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(plan.id))
        .order_by_asc(plan_item::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let item = items
        .iter()
        .find(|i| !items.iter().any(|c| c.parent_id == Some(i.id)))
        .unwrap()
        .clone();
    let talk = code::Entity::find()
        .filter(code::Column::List.eq("activity_type"))
        .filter(code::Column::Code.eq("talk"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let plan_units = [user.org_unit_id, plan.org_unit_id];
    let ctx = Ctx {
        user: &user,
        scope: &scope,
        plan_units: &plan_units,
        now: app.clock.now(),
        today: app.clock.today(),
    };
    let day = NaiveDate::from_ymd_opt(2024, 7, 30).unwrap();
    let input = ActivityInput {
        activity_type_id: talk.id,
        title: "Nói chuyện chuyên đề phòng, chống mua bán người".into(),
        plan_item_id: item.id,
        org_unit_id: user.org_unit_id,
        agency_id: user.agency_id,
        start_date: day,
        end_date: day,
        ..Default::default()
    };
    service::create(&app.db, &ctx, input, false, None, None)
        .await
        .unwrap()
        .id
}

/// A commune officer of Hòa Thịnh, a neighbouring commune of the same district.
async fn other_commune_officer(app: &TestApp) -> TestApp {
    let agency = agency::Entity::find()
        .filter(agency::Column::Code.eq("TH-HOATHINH-UBND"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    kehoach::auth::users::create(
        &app.db,
        None,
        kehoach::auth::users::NewUser {
            email: "hoathinh@kehoach.demo".into(),
            display_name: "Cán bộ xã Hòa Thịnh".into(),
            role: Role::Commune,
            agency_id: agency.id,
            locale: Locale::Vi,
            password: DEMO_PASSWORD.into(),
        },
        app.clock.now(),
    )
    .await
    .unwrap();
    let browser = app.another_browser();
    let r = browser.login("hoathinh@kehoach.demo", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    browser
}

// ---------------------------------------------------------------------------------------------
// Test files

pub(crate) fn plain_jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .unwrap();
    out
}

/// An EXIF block as a phone writes it: a description, the orientation if given, and a GPS
/// position (latitude reference and latitude).
fn exif_with_gps(orientation: Option<u16>) -> Vec<u8> {
    fn entry(t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32) {
        t.extend(tag.to_le_bytes());
        t.extend(kind.to_le_bytes());
        t.extend(count.to_le_bytes());
        t.extend(value.to_le_bytes());
    }
    let description: Vec<u8> = [SECRET, b"\0"].concat();
    let n0: u16 = if orientation.is_some() { 3 } else { 2 };
    let gps_at = 8 + 2 + 12 * u32::from(n0) + 4;
    let description_at = gps_at + 2 + 12 * 2 + 4;
    let latitude_at = description_at + description.len() as u32;
    let mut t = b"II\x2A\x00".to_vec();
    t.extend(8u32.to_le_bytes());
    t.extend(n0.to_le_bytes());
    entry(&mut t, 0x010E, 2, description.len() as u32, description_at);
    if let Some(o) = orientation {
        entry(&mut t, 0x0112, 3, 1, u32::from(o));
    }
    entry(&mut t, 0x8825, 4, 1, gps_at);
    t.extend(0u32.to_le_bytes());
    t.extend(2u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0"));
    entry(&mut t, 0x0002, 5, 3, latitude_at);
    t.extend(0u32.to_le_bytes());
    t.extend(&description);
    for (num, den) in [(13u32, 1u32), (3, 1), (4, 1)] {
        t.extend(num.to_le_bytes());
        t.extend(den.to_le_bytes());
    }
    t
}

/// A phone photo: EXIF with GPS, an XMP packet and a comment carrying the position too, and a
/// second image with its own EXIF appended after the end of the first (as MPF previews are).
fn phone_photo(orientation: Option<u16>) -> Vec<u8> {
    let mut jpeg = Jpeg::from_bytes(plain_jpeg(640, 480).into()).unwrap();
    jpeg.set_exif(Some(exif_with_gps(orientation).into()));
    let xmp = [
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>".as_slice(),
        SECRET,
        b"</exif:GPSLatitude></x:xmpmeta>",
    ]
    .concat();
    jpeg.segments_mut().insert(
        1,
        JpegSegment::new_with_contents(markers::APP1, Bytes::from(xmp)),
    );
    jpeg.segments_mut().insert(
        1,
        JpegSegment::new_with_contents(markers::COM, Bytes::from(SECRET)),
    );
    let mut bytes = jpeg.encoder().bytes().to_vec();
    let mut appended = Jpeg::from_bytes(plain_jpeg(16, 16).into()).unwrap();
    appended.set_exif(Some(exif_with_gps(None).into()));
    bytes.extend_from_slice(&appended.encoder().bytes());
    bytes
}

fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    bytes.resize(size.saturating_sub(6), b' ');
    bytes.extend_from_slice(b"%%EOF\n");
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// HTTP and storage helpers

async fn upload(
    browser: &TestApp,
    activity_id: i64,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
    no_victim: bool,
) -> reqwest::Response {
    let token = browser.csrf().await;
    let part = Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(content_type)
        .unwrap();
    let mut form = Form::new().part("file", part);
    if no_victim {
        form = form.text("no_victim", "on");
    }
    browser
        .client
        .post(browser.url(&format!(
            "/activities/{activity_id}/evidence?csrf_token={token}"
        )))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn upload_photo(
    browser: &TestApp,
    activity_id: i64,
    bytes: Vec<u8>,
) -> reqwest::Response {
    upload(browser, activity_id, "anh.jpg", "image/jpeg", bytes, true).await
}

async fn rows(app: &TestApp, activity_id: i64) -> Vec<evidence_file::Model> {
    kehoach::activities::evidence::files_of(&app.db, activity_id)
        .await
        .unwrap()
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"
    ))
    .await
}

/// Every file under the evidence folder, temporary ones included.
fn stored_files(app: &TestApp) -> Vec<PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.data_dir.join("evidence"), &mut out);
    out
}

fn stored_path(app: &TestApp, sha256: &str) -> PathBuf {
    app.data_dir
        .join("evidence")
        .join(&sha256[..2])
        .join(sha256)
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn file_url(activity_id: i64, file_id: i64) -> String {
    format!("/activities/{activity_id}/evidence/{file_id}")
}

/// Nothing of a refused upload may remain: no row, no audit row, no file.
async fn assert_nothing_written(app: &TestApp, activity_id: i64) {
    assert!(rows(app, activity_id).await.is_empty());
    assert_eq!(audit_count(app, "activity:evidence_add").await, 0);
    assert!(stored_files(app).is_empty(), "{:?}", stored_files(app));
}

// ---------------------------------------------------------------------------------------------
// The tests

db_tests!(
    a_commune_officer_uploads_a_photo_that_is_stored_without_its_metadata,
    a_photo_keeps_its_orientation_and_nothing_else,
    a_disguised_file_is_refused_and_nothing_is_written,
    a_file_over_10_mb_is_refused_with_413_and_one_under_it_is_accepted,
    the_eleventh_file_is_refused,
    a_photo_without_the_no_victim_confirmation_is_refused,
    a_pdf_is_served_as_an_attachment_that_no_browser_sniffs,
    a_path_traversal_name_is_stored_harmlessly_and_shown_sanitized,
    another_communes_officer_can_neither_see_nor_change_the_files,
    a_leader_views_the_files_but_cannot_upload_or_delete,
    deleting_keeps_a_stored_file_another_row_still_uses,
    a_json_client_gets_201_and_json_errors,
);

async fn a_commune_officer_uploads_a_photo_that_is_stored_without_its_metadata(app: TestApp) {
    app.login_as("commune").await;
    let activity_id = activity_of(&app, "commune@kehoach.demo").await;
    let photo = phone_photo(None);
    assert!(contains(&photo, b"Exif\0\0") && contains(&photo, SECRET));

    let r = upload_photo(&app, activity_id, photo).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&r, "location"), format!("/activities/{activity_id}"));

    let files = rows(&app, activity_id).await;
    assert_eq!(files.len(), 1);
    let row = &files[0];
    let officer = current_user(&app, "commune@kehoach.demo").await;
    assert_eq!(row.kind, "photo");
    assert_eq!(row.content_type, "image/jpeg");
    assert!(row.no_victim_confirmed);
    assert_eq!(row.uploaded_by, Some(officer.id));
    assert_eq!(audit_count(&app, "activity:evidence_add").await, 1);

    // Stored by its hash, without any metadata, the pixels untouched.
    let stored = std::fs::read(stored_path(&app, &row.sha256)).unwrap();
    assert_eq!(
        kehoach::activities::evidence::store::sha256_hex(&stored),
        row.sha256
    );
    assert_eq!(row.size, stored.len() as i64);
    assert!(!contains(&stored, b"Exif\0\0"), "an EXIF block survived");
    assert!(!contains(&stored, SECRET), "the position survived");
    assert!(!contains(&stored, b"xmpmeta"), "the XMP packet survived");
    let original = image::load_from_memory(&plain_jpeg(640, 480)).unwrap();
    let kept = image::load_from_memory(&stored).unwrap();
    assert_eq!(kept.to_rgb8(), original.to_rgb8(), "the pixels changed");

    // The file and its thumbnail are served.
    let r = app.get(&file_url(activity_id, row.id)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-type"), "image/jpeg");
    assert!(header(&r, "content-disposition").starts_with("inline;"));
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    assert_eq!(header(&r, "cache-control"), "private");
    assert!(header(&r, "content-security-policy").contains("sandbox"));
    let etag = header(&r, "etag").to_owned();
    assert_eq!(r.bytes().await.unwrap().as_ref(), stored.as_slice());

    let r = app
        .get(&format!("{}/thumb", file_url(activity_id, row.id)))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-type"), "image/jpeg");
    let thumb = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 240));

    // A browser holding the same content is told so, not sent it again.
    let r = app
        .client
        .get(app.url(&file_url(activity_id, row.id)))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
}

async fn a_photo_keeps_its_orientation_and_nothing_else(app: TestApp) {
    app.login_as("commune").await;
    let activity_id = activity_of(&app, "commune@kehoach.demo").await;
    // 6 = "rotate 90°": a portrait photo stored as landscape pixels, as phones do.
    let r = upload_photo(&app, activity_id, phone_photo(Some(6))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let row = rows(&app, activity_id).await.remove(0);
    let stored = std::fs::read(stored_path(&app, &row.sha256)).unwrap();
    assert!(!contains(&stored, SECRET));

    let exif = Jpeg::from_bytes(stored.into())
        .unwrap()
        .exif()
        .expect("the orientation is kept");
    assert_eq!(
        Orientation::from_exif_chunk(&exif),
        Some(Orientation::Rotate90)
    );
    // One IFD entry, the orientation: no GPS pointer (0x8825), no description.
    assert_eq!(exif.len(), 26);
    assert_eq!(&exif[8..12], &[1, 0, 0x12, 0x01]);

    let r = app
        .get(&format!("{}/thumb", file_url(activity_id, row.id)))
        .await;
    let thumb = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (thumb.width(), thumb.height()),
        (240, 320),
        "the thumbnail is upright"
    );
}

async fn a_disguised_file_is_refused_and_nothing_is_written(app: TestApp) {
    app.login_as("commune").await;
    let activity_id = activity_of(&app, "commune@kehoach.demo").await;
    let html = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>";
    let r = upload(
        &app,
        activity_id,
        "photo.jpg",
        "image/jpeg",
        html.to_vec(),
        true,
    )
    .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF"),
        "{body}"
    );
    assert_nothing_written(&app, activity_id).await;

    // A JPEG signature on bytes that are no image gets past the sniffing, not the decoder.
    let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
    fake.extend_from_slice(html);
    let r = upload(&app, activity_id, "photo.jpg", "image/jpeg", fake, true).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Không đọc được ảnh"));
    assert_nothing_written(&app, activity_id).await;

    // So does a form with no file in it.
    let r = upload(
        &app,
        activity_id,
        "",
        "application/octet-stream",
        vec![],
        true,
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Vui lòng chọn một tệp"));
    assert_nothing_written(&app, activity_id).await;
}

async fn a_file_over_10_mb_is_refused_with_413_and_one_under_it_is_accepted(app: TestApp) {
    app.login_as("commune").await;
    let activity_id = activity_of(&app, "commune@kehoach.demo").await;
    let r = upload(
        &app,
        activity_id,
        "danh-sach.pdf",
        "application/pdf",
        pdf(10 * 1024 * 1024 + 1),
        false,
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Tệp quá lớn: mỗi tệp tối đa 10 MB.")
    );
    assert_nothing_written(&app, activity_id).await;

    // Past the app-wide body cap the request never reaches the handler, but the answer is
    // still a page in the user's language.
    let r = upload(
        &app,
        activity_id,
        "danh-sach.pdf",
        "application/pdf",
        pdf(13 * 1024 * 1024),
        false,
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(header(&r, "content-type").starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("quá lớn"));
    assert_nothing_written(&app, activity_id).await;

    // Well above axum's 2 MB default for multipart bodies, within the 10 MB of a file.
    let r = upload(
        &app,
        activity_id,
        "danh-sach.pdf",
        "application/pdf",
        pdf(9 * 1024 * 1024),
        false,
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(rows(&app, activity_id).await[0].size, 9 * 1024 * 1024);
}

async fn the_eleventh_file_is_refused(app: TestApp) {
    app.login_as("commune").await;
    let activity_id = activity_of(&app, "commune@kehoach.demo").await;
    for n in 0..10 {
        // Different bytes each time, so that every file is its own.
        let r = upload(
            &app,
            activity_id,
            &format!("danh-sach-{n}.pdf"),
            "application/pdf",
            pdf(1000 + n),
            false,
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "file {n}");
    }
    let r = upload_photo(&app, activity_id, plain_jpeg(64, 48)).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Mỗi hoạt động có tối đa 10 tệp minh chứng.")
    );
    assert_eq!(rows(&app, activity_id).await.len(), 10);
    assert_eq!(audit_count(&app, "activity:evidence_add").await, 10);
    assert_eq!(stored_files(&app).len(), 10);
}

async fn a_photo_without_the_no_victim_confirmation_is_refused(app: TestApp) {
    app.login_as("commune").await;
    let activity_id = activity_of(&app, "commune@kehoach.demo").await;
    let r = upload(
        &app,
        activity_id,
        "anh.jpg",
        "image/jpeg",
        plain_jpeg(64, 48),
        false,
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Vui lòng xác nhận ảnh không có hình ảnh nạn nhân")
    );
    assert_nothing_written(&app, activity_id).await;

    // An attendance sheet shows no one: it needs no confirmation.
    let r = upload(
        &app,
        activity_id,
        "danh-sach.pdf",
        "application/pdf",
        pdf(2000),
        false,
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!rows(&app, activity_id).await[0].no_victim_confirmed);
}

async fn a_pdf_is_served_as_an_attachment_that_no_browser_sniffs(app: TestApp) {
    app.login_as("commune").await;
    let activity_id = activity_of(&app, "commune@kehoach.demo").await;
    // Declared as HTML: the declaration is ignored, the content decides.
    let r = upload(
        &app,
        activity_id,
        "Danh sách tham dự.pdf",
        "text/html",
        pdf(3000),
        false,
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let row = rows(&app, activity_id).await.remove(0);
    assert_eq!(
        (row.kind.as_str(), row.content_type.as_str()),
        ("attendance", "application/pdf")
    );
    assert_eq!(row.thumb_sha256, None);

    let r = app.get(&file_url(activity_id, row.id)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-type"), "application/pdf");
    assert_eq!(
        header(&r, "content-disposition"),
        "attachment; filename=\"Danh sach tham du.pdf\"; \
         filename*=UTF-8''Danh%20s%C3%A1ch%20tham%20d%E1%BB%B1.pdf"
    );
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    assert_eq!(header(&r, "cache-control"), "private");
    assert_eq!(r.bytes().await.unwrap().as_ref(), pdf(3000).as_slice());

    let r = app
        .get(&format!("{}/thumb", file_url(activity_id, row.id)))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn a_path_traversal_name_is_stored_harmlessly_and_shown_sanitized(app: TestApp) {
    app.login_as("commune").await;
    let activity_id = activity_of(&app, "commune@kehoach.demo").await;
    let r = upload(
        &app,
        activity_id,
        "../../etc/passwd.jpg",
        "image/jpeg",
        plain_jpeg(64, 48),
        true,
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let files = rows(&app, activity_id).await;
    let row = &files[0];
    assert_eq!(row.file_name, "passwd.jpg");
    // The name played no part in where the file went.
    let mut on_disk = stored_files(&app);
    on_disk.sort();
    let mut expected = vec![
        stored_path(&app, &row.sha256),
        stored_path(&app, row.thumb_sha256.as_deref().unwrap()),
    ];
    expected.sort();
    assert_eq!(on_disk, expected);
    assert!(!app.data_dir.join("etc").exists());

    let r = app.get(&file_url(activity_id, row.id)).await;
    assert_eq!(
        header(&r, "content-disposition"),
        "inline; filename=\"passwd.jpg\"; filename*=UTF-8''passwd.jpg"
    );

    // The fragment of the activity page shows the clean name, the thumbnail and the form.
    let activity = kehoach::entities::activity::Entity::find_by_id(activity_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let templates = Templates::new(Arc::new(I18n::load().unwrap()));
    let render = |files: &[evidence_file::Model], can_write: bool| {
        templates
            .render(
                "activities/_evidence.html",
                Locale::Vi,
                minijinja::context! {
                    activity => &activity, files => files, can_write => can_write,
                    csrf_token => "abc123",
                },
            )
            .unwrap()
    };
    let html = render(&files, true);
    assert!(html.contains(">passwd.jpg</a>"), "{html}");
    assert!(!html.contains("../"), "{html}");
    let thumb = format!("/activities/{activity_id}/evidence/{}/thumb", row.id);
    assert!(html.contains(&thumb), "{html}");
    assert!(html.contains(&format!(
        "action=\"/activities/{activity_id}/evidence?csrf_token=abc123\""
    )));
    assert!(html.contains("enctype=\"multipart/form-data\""));
    assert!(html.contains("accept=\"image/jpeg,image/png,image/webp,application/pdf\""));
    assert!(html.contains("name=\"no_victim\""));
    assert!(html.contains("Tôi xác nhận ảnh không có hình ảnh nạn nhân."));
    assert!(html.contains(&format!("{}/delete", file_url(activity_id, row.id))));

    let read_only = render(&files, false);
    assert!(!read_only.contains("<form"), "{read_only}");
    let full: Vec<_> = std::iter::repeat_n(row.clone(), 10).collect();
    let html = render(&full, true);
    assert!(!html.contains("multipart/form-data"));
    assert!(html.contains("Hoạt động đã có đủ 10 tệp."));
}

async fn another_communes_officer_can_neither_see_nor_change_the_files(app: TestApp) {
    app.login_as("commune").await;
    let activity_id = activity_of(&app, "commune@kehoach.demo").await;
    let r = upload_photo(&app, activity_id, plain_jpeg(64, 48)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let row = rows(&app, activity_id).await.remove(0);
    let url = file_url(activity_id, row.id);

    let neighbour = other_commune_officer(&app).await;
    assert_eq!(neighbour.get(&url).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        neighbour.get(&format!("{url}/thumb")).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = upload_photo(&neighbour, activity_id, plain_jpeg(32, 32)).await;
    assert!(
        matches!(r.status(), StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
        "{}",
        r.status()
    );
    let r = neighbour.post_form(&format!("{url}/delete"), &[]).await;
    assert!(
        matches!(r.status(), StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
        "{}",
        r.status()
    );
    assert_eq!(rows(&app, activity_id).await, vec![row.clone()]);
    assert!(stored_path(&app, &row.sha256).exists());

    // A file id of this activity under the neighbour's own activity is not found either.
    let own = activity_of(&neighbour, "hoathinh@kehoach.demo").await;
    assert_eq!(
        neighbour.get(&file_url(own, row.id)).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn a_leader_views_the_files_but_cannot_upload_or_delete(app: TestApp) {
    app.login_as("commune").await;
    let activity_id = activity_of(&app, "commune@kehoach.demo").await;
    let r = upload_photo(&app, activity_id, plain_jpeg(64, 48)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let row = rows(&app, activity_id).await.remove(0);
    let url = file_url(activity_id, row.id);

    let leader = app.another_browser();
    leader.login_as("leader").await;
    assert_eq!(leader.get(&url).await.status(), StatusCode::OK);
    assert_eq!(
        leader.get(&format!("{url}/thumb")).await.status(),
        StatusCode::OK
    );
    let r = upload_photo(&leader, activity_id, plain_jpeg(32, 32)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = leader.post_form(&format!("{url}/delete"), &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(rows(&app, activity_id).await.len(), 1);
}

async fn deleting_keeps_a_stored_file_another_row_still_uses(app: TestApp) {
    app.login_as("commune").await;
    let activity_id = activity_of(&app, "commune@kehoach.demo").await;
    for _ in 0..2 {
        let r = upload_photo(&app, activity_id, plain_jpeg(64, 48)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let files = rows(&app, activity_id).await;
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].sha256, files[1].sha256, "same content, same hash");
    let photo = stored_path(&app, &files[0].sha256);
    let thumb = stored_path(&app, files[0].thumb_sha256.as_deref().unwrap());

    let r = app
        .post_form(
            &format!("{}/delete", file_url(activity_id, files[0].id)),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&r, "location"), format!("/activities/{activity_id}"));
    assert_eq!(rows(&app, activity_id).await, vec![files[1].clone()]);
    assert_eq!(audit_count(&app, "activity:evidence_delete").await, 1);
    assert!(
        photo.exists() && thumb.exists(),
        "still used by the other row"
    );
    assert_eq!(
        app.get(&file_url(activity_id, files[0].id)).await.status(),
        StatusCode::NOT_FOUND
    );

    let r = app
        .post_form(
            &format!("{}/delete", file_url(activity_id, files[1].id)),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(rows(&app, activity_id).await.is_empty());
    assert!(
        !photo.exists() && !thumb.exists(),
        "no row uses them any more"
    );
}

async fn a_json_client_gets_201_and_json_errors(app: TestApp) {
    app.login_as("commune").await;
    let activity_id = activity_of(&app, "commune@kehoach.demo").await;
    let token = app.csrf().await;
    let send = |bytes: Vec<u8>| {
        let part = Part::bytes(bytes).file_name("anh.png");
        let form = Form::new().part("file", part).text("no_victim", "on");
        app.client
            .post(app.url(&format!(
                "/activities/{activity_id}/evidence?csrf_token={token}"
            )))
            .header("accept", "application/json")
            .multipart(form)
            .send()
    };
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(40, 30, image::Rgba([200, 10, 10, 128]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let r = send(png).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["file_name"], "anh.png");
    assert_eq!(body["content_type"], "image/png");

    let r = send(b"GIF89a....".to_vec()).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Chỉ nhận ảnh JPEG")
    );
}
