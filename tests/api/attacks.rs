//! Hostile text: a script in every free-text field of an activity and of a report comes out as
//! text wherever it is shown — pages, the list, the calendar, emails, the DOCX, the XLSX, the CSV
//! (a download, never rendered) and the ICS feed (a line break cannot start a property of its
//! own) — and SQL metacharacters are just characters.

use crate::db_tests;
use crate::helpers::TestApp;
use kehoach::entities::outbox_email;
use kehoach::notifications::{render, schedule};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

db_tests!(a_script_in_every_text_field_comes_out_as_text_everywhere);

const SCRIPT: &str = "<script>alert('kh')</script><img src=x onerror=alert(document.cookie)>";
const SQL: &str = "'; DROP TABLE activities; --";

/// No markup of the payload survives: what was typed is shown escaped.
fn assert_escaped(what: &str, body: &str) {
    assert!(!body.contains("<script>alert"), "{what}: a live <script>");
    assert!(!body.contains("<img src=x"), "{what}: a live <img>");
    assert!(
        body.contains("&lt;script&gt;alert") || body.contains("&lt;script&gt;"),
        "{what}: the text is not shown at all"
    );
}

async fn a_script_in_every_text_field_comes_out_as_text_everywhere(app: TestApp) {
    app.login_as("commune").await;
    let mut f =
        crate::activities::fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-06-23").await;
    crate::activities::set(&mut f, "title", &format!("Tọa đàm {SCRIPT}"));
    crate::activities::set(&mut f, "place", &format!("{SQL} {SCRIPT}"));
    crate::activities::set(
        &mut f,
        "notes",
        &format!("{SCRIPT}\r\nATTENDEE:mailto:evil@example.org"),
    );
    let activity = crate::activities::create(&app, &f).await;
    // Stored as typed: the SQL was a value, not a statement.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM activities WHERE id = {activity} AND place LIKE '%DROP TABLE activities%'"
        ))
        .await,
        1
    );

    for path in [
        format!("/activities/{activity}"),
        "/activities?from=2024-06-01&to=2024-06-30".to_owned(),
        "/activities/calendar?month=2024-06".to_owned(),
        "/".to_owned(),
    ] {
        let (status, body) = app.get_text(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_escaped(&path, &body);
    }

    // Exports: the CSV is a download (never rendered), the XLSX holds the text as text.
    let r = app
        .get("/activities/export.csv?from=2024-06-01&to=2024-06-30")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert!(r.text().await.unwrap().contains("Tọa đàm <script>"));
    let r = app
        .get("/activities/export.xlsx?from=2024-06-01&to=2024-06-30")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let xlsx = r.bytes().await.unwrap();
    let strings = crate::reports::part(&xlsx, "xl/worksheets/sheet1.xml");
    assert_escaped("xlsx", &strings);

    // The calendar feed: the line break in the notes does not begin a property of its own.
    let r = app
        .post_form(
            "/account/calendar",
            &[("kind", "user"), ("org_unit_id", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let html = r.text().await.unwrap();
    let at = html.find("data-feed-url").unwrap();
    let start = html[..at].rfind("value=\"").unwrap() + 7;
    let url = &html[start..start + html[start..].find('"').unwrap()];
    let feed = reqwest::get(app.url(url.trim_start_matches("http://127.0.0.1")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(feed.contains("BEGIN:VEVENT"), "{feed}");
    assert!(
        !feed.lines().any(|l| l.starts_with("ATTENDEE")),
        "an injected property: {feed}"
    );

    // The reminder email: its HTML escapes the title; its subject is one line.
    schedule::generate(&app.db, app.clock.now(), app.clock.today())
        .await
        .unwrap();
    let row = outbox_email::Entity::find()
        .filter(outbox_email::Column::Template.eq("activity_upcoming"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a reminder three days before");
    let i18n = std::sync::Arc::new(kehoach::web::i18n::I18n::load().unwrap());
    let templates = kehoach::web::templates::Templates::new(i18n);
    let email = render::render(&templates, &row, "https://kehoach.example").unwrap();
    assert_escaped("email", &email.html);
    assert!(!email.subject.contains('\n'));

    // A report's narrative in the DOCX.
    let compiler = app.another_browser();
    compiler.login_as("compiler").await;
    let period = crate::reports::open_period(&compiler).await;
    let report = crate::reports::report_of(&app, period, "PY-TH-HOAPHONG").await;
    let version = app
        .scalar(&format!(
            "SELECT version AS n FROM reports WHERE id = {report}"
        ))
        .await
        .to_string();
    let r = app
        .post_form(
            &format!("/reports/{report}"),
            &[
                ("version", &version),
                ("section_situation", &format!("Tình hình {SCRIPT}")),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get_text(&format!("/reports/{report}")).await;
    assert_escaped("report page", &page);
    let docx = app
        .get(&format!("/reports/{report}/docx"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_escaped("docx", &crate::reports::part(&docx, "word/document.xml"));
}
