//! The demo's reports read as the clerk who signs them: every report of the demo (the 2024
//! district's and the province's of today, compiled and unit alike) is exported as DOCX over
//! HTTP and its text checked against the rules of docs/report-writing.md.

use crate::db_tests;
use crate::helpers::{Backend, TestApp, spawn_fresh_app};
use crate::reports::{open_period, report_of};
use chrono::TimeZone;
use kehoach::entities::{activity, org_unit, report, reporting_period};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

db_tests!(the_editor_has_a_box_per_area_saves_a_section_and_keeps_the_others);

/// The editor: one box per content area labelled from the plan, growing with its text; a
/// section's own button saves and returns to it, keeping what the other sections hold.
async fn the_editor_has_a_box_per_area_saves_a_section_and_keeps_the_others(app: TestApp) {
    let commune = app.another_browser();
    commune.login_as("commune").await;
    app.login_as("compiler").await;
    let period = open_period(&app).await;
    let report = report_of(&app, period, "PY-TH-HOAPHONG").await;
    let (status, page) = commune.get_text(&format!("/reports/{report}")).await;
    assert_eq!(status, StatusCode::OK);
    let areas = app
        .count(&format!(
            "plan_items WHERE plan_id = (SELECT plan_id FROM reporting_periods WHERE id = {period}) AND area_code IS NOT NULL"
        ))
        .await;
    let boxes = page.matches("name=\"section_area_").count() as i64;
    assert!(
        boxes >= 1 && (areas == 0 || boxes == areas),
        "{boxes} boxes, {areas} areas"
    );
    assert_eq!(
        page.matches("data-grow").count(),
        page.matches("name=\"section_").count()
    );
    assert!(page.contains("name=\"save_section\" value=\"situation\""));
    assert!(page.contains(&format!("href=\"/reports/{report}/print\"")));
    assert!(page.contains("Xem trước bản in"));
    let version = |app: &TestApp| {
        let app = app.another_browser();
        async move {
            app.scalar(&format!(
                "SELECT version AS n FROM reports WHERE id = {report}"
            ))
            .await
            .to_string()
        }
    };
    let v = version(&app).await;
    let r = commune
        .post_form(
            &format!("/reports/{report}"),
            &[
                ("version", &v),
                ("section_recommendations", "Đề nghị hỗ trợ tài liệu."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v = version(&app).await;
    let r = commune
        .post_form(
            &format!("/reports/{report}"),
            &[
                ("version", &v),
                ("save_section", "situation"),
                ("section_situation", "Tình hình ổn định."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        to.ends_with(&format!("/reports/{report}#s-situation")),
        "{to}"
    );
    let (_, page) = commune.get_text(&format!("/reports/{report}")).await;
    assert!(page.contains("Tình hình ổn định."));
    assert!(
        page.contains("Đề nghị hỗ trợ tài liệu."),
        "the other section is kept"
    );
    // Beside the editor, the document as it prints, with what was just saved in it.
    let preview = page
        .split("id=\"preview\"")
        .nth(1)
        .and_then(|rest| rest.split("</aside>").next())
        .expect("a preview beside the editor");
    assert!(preview.contains("class=\"print-doc\""), "{preview}");
    assert!(preview.contains("BÁO CÁO"), "{preview}");
    assert!(preview.contains("Tình hình ổn định."), "{preview}");
    assert!(preview.contains("Đề nghị hỗ trợ tài liệu."), "{preview}");
    // The print view still lays the same document out on its own.
    let (status, print) = commune.get_text(&format!("/reports/{report}/print")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(print.contains("class=\"print-doc\"") && print.contains("Tình hình ổn định."));
    for line in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ] {
        assert!(print.contains(line) && preview.contains(line), "{line}");
    }
    // A section name that is not one is no redirect target.
    let v = version(&app).await;
    let r = commune
        .post_form(
            &format!("/reports/{report}"),
            &[("version", &v), ("save_section", "x\"><script>")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!r.headers()["location"].to_str().unwrap().contains("script"));
}

/// The demo seeded on a fixed day, as `serve --demo` seeds it.
async fn demo(backend: Backend) -> TestApp {
    let day = chrono::Utc.with_ymd_and_hms(2026, 3, 15, 2, 0, 0).unwrap();
    let (app, _) = spawn_fresh_app(backend).await;
    kehoach::seed::reference(&app.db, day).await.unwrap();
    kehoach::seed::demo_all(&app.db, day).await.unwrap();
    app
}

/// The paragraphs of a DOCX's body as text (table cells are paragraphs too).
fn paragraphs(docx: &[u8]) -> Vec<String> {
    let xml = crate::reports::part(docx, "word/document.xml");
    xml.split("</w:p>")
        .map(|p| {
            let mut text = String::new();
            let mut in_tag = false;
            for c in p.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text.replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
                .trim()
                .to_owned()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// "II. KẾT QUẢ THỰC HIỆN": a Roman-numbered section heading.
fn is_section(p: &str) -> bool {
    p.split_once(". ").is_some_and(|(n, title)| {
        !n.is_empty()
            && n.chars().all(|c| "IVX".contains(c))
            && title.chars().all(|c| !c.is_lowercase())
    })
}

/// "2. Đẩy mạnh truyền thông…": a numbered item heading.
fn is_item(p: &str) -> bool {
    p.split_once(". ")
        .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// The editor's (or the read-only page's) section labels that carry a number ("II.2. …").
fn numbered_labels(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for open in ["<label for=\"s-", "<h3>"] {
        for (i, _) in html.match_indices(open) {
            let rest = &html[i..];
            let start = rest.find('>').unwrap() + 1;
            let end = rest.find("</").unwrap();
            out.push(
                rest[start..end]
                    .replace("&#x2f;", "/")
                    .replace("&#x27;", "'")
                    .replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&"),
            );
        }
    }
    out.retain(|l| {
        l.split_once(". ").is_some_and(|(n, _)| {
            n.split('.')
                .next()
                .is_some_and(|r| !r.is_empty() && r.chars().all(|c| "IVX".contains(c)))
        })
    });
    out
}

/// Whether the document prints a label of the page: "III. TITLE" as a section heading, "III.2.
/// Title" as the second item under section III.
fn numbered_in(docx: &[String], label: &str) -> bool {
    let (number, title) = label.split_once(". ").unwrap();
    match number.split_once('.') {
        None => docx
            .iter()
            .any(|p| is_section(p) && *p == format!("{number}. {}", title.to_uppercase())),
        Some((roman, k)) => {
            let Some(start) = docx
                .iter()
                .position(|p| is_section(p) && p.starts_with(&format!("{roman}. ")))
            else {
                return false;
            };
            docx[start + 1..]
                .iter()
                .take_while(|p| !is_section(p))
                .any(|p| *p == format!("{k}. {title}"))
        }
    }
}

async fn check_demo_reports(backend: Backend) {
    let app = demo(backend).await;
    let admin = app.another_browser();
    admin.login_as("admin").await;
    let reports = report::Entity::find().all(&app.db).await.unwrap();
    assert!(reports.len() >= 10, "the demo's reports");
    let mut units_with_results = 0;
    for r in &reports {
        let unit = org_unit::Entity::find_by_id(r.org_unit_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let period = reporting_period::Entity::find_by_id(r.period_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let who = format!("report {} of {} ({})", r.id, unit.name, r.status);
        let bytes = admin
            .get(&format!("/reports/{}/docx", r.id))
            .await
            .bytes()
            .await
            .unwrap();
        let text = paragraphs(&bytes);
        let all = text.join("\n");
        // No doubled word anywhere ("báo cáo báo cáo").
        for p in &text {
            assert_eq!(
                kehoach::reports::phrases::doubled_words(p),
                None,
                "{who}: {p}"
            );
        }
        // The page numbers its sections as the document does, empty ones left out.
        let (_, page) = admin.get_text(&format!("/reports/{}", r.id)).await;
        let labels = numbered_labels(&page);
        assert!(!labels.is_empty(), "{who}: numbered sections on the page");
        for label in labels {
            assert!(numbered_in(&text, &label), "{who}: {label} not in the DOCX");
        }
        // DỰ THẢO exactly on the unnumbered drafts.
        let numbered = r
            .document_number
            .as_deref()
            .and_then(|n| n.split_once('/'))
            .is_some_and(|(serial, _)| serial.trim().parse::<u32>().is_ok());
        assert_eq!(all.contains("DỰ THẢO"), !numbered, "{who}");
        // The subject line does not repeat the kind of document.
        let subject = text
            .iter()
            .position(|p| p == "BÁO CÁO")
            .and_then(|i| text.get(i + 1))
            .unwrap();
        assert!(
            !subject.to_lowercase().starts_with("báo cáo"),
            "{who}: {subject}"
        );
        // The authority line over a People's Committee's signature.
        if r.agency_id.is_none() {
            assert!(all.contains("TM. ỦY BAN NHÂN DÂN"), "{who}");
        }
        // Recipients never empty, ending with the records line.
        assert!(
            all.contains("Nơi nhận:") && all.contains("- Lưu: VT"),
            "{who}"
        );
        // A comparison with the year before only when that year holds data.
        if all.contains("cùng kỳ năm trước") {
            let year_before = activity::Entity::find()
                .filter(activity::Column::Status.eq("held"))
                .filter(
                    activity::Column::StartDate
                        .gte(period.period_start - chrono::Duration::days(366)),
                )
                .filter(
                    activity::Column::StartDate
                        .lte(period.period_end - chrono::Duration::days(365)),
                )
                .count(&app.db)
                .await
                .unwrap();
            assert!(year_before > 0, "{who}: a comparison without data");
        }
        // No heading without content; III numbered.
        let closing = text
            .iter()
            .position(|p| p.starts_with("Trên đây là báo cáo"))
            .unwrap_or_else(|| panic!("{who}: no closing"));
        for (i, p) in text[..closing].iter().enumerate() {
            let next = &text[i + 1];
            if is_section(p) {
                assert!(
                    !is_section(next) && !next.starts_with("Trên đây"),
                    "{who}: {p} is empty"
                );
            }
            if is_item(p) && i > 8 {
                assert!(
                    !is_item(next) && !is_section(next) && !next.starts_with("Trên đây"),
                    "{who}: {p} is empty"
                );
            }
            if p.ends_with("ĐÁNH GIÁ CHUNG") {
                assert!(next.starts_with("1. "), "{who}: III is numbered");
            }
        }
        // Every annex headed in capitals and attached to the report, and pointed to.
        for (i, p) in text.iter().enumerate() {
            if p.starts_with("Phụ lục ") && p.len() < 20 {
                assert!(text[i + 1].chars().all(|c| !c.is_lowercase()), "{who}: {p}");
                assert!(
                    text[i + 2].starts_with("(Kèm theo Báo cáo số"),
                    "{who}: {p}"
                );
                let roman = p.trim_start_matches("Phụ lục ");
                let cited = text[..closing]
                    .iter()
                    .any(|b| b.starts_with("Số liệu chi tiết tại Phụ lục") && b.contains(roman));
                assert!(cited, "{who}: {p} is not pointed to");
            }
        }
        assert!(!all.contains("Tổng cộng\n0\n"), "{who}: an empty annex");
        if r.level == "unit" && r.agency_id.is_none() {
            // The unit's own kind of territory, never the whole district's.
            let kind = kehoach::org_units::split_name(&unit.name)
                .0
                .unwrap()
                .to_lowercase();
            assert!(!all.contains("toàn địa bàn"), "{who}");
            for other in ["xã", "phường", "thị trấn", "đặc khu"] {
                if other != kind {
                    assert!(
                        !all.contains(&format!("trên địa bàn {other} ")),
                        "{who}: trên địa bàn {other}"
                    );
                }
            }
            // A unit with activities has a Section II that says so.
            let held = activity::Entity::find()
                .filter(activity::Column::OrgUnitId.eq(unit.id))
                .filter(activity::Column::Status.eq("held"))
                .filter(activity::Column::StartDate.gte(period.period_start))
                .filter(activity::Column::StartDate.lte(period.period_end))
                .count(&app.db)
                .await
                .unwrap();
            if held > 0 {
                let ii = text
                    .iter()
                    .position(|p| is_section(p) && p.ends_with("KẾT QUẢ THỰC HIỆN"))
                    .unwrap_or_else(|| panic!("{who}: no Section II"));
                assert!(
                    text[ii + 1].contains(&format!("đã tổ chức {held} hoạt động")),
                    "{who}: {}",
                    text[ii + 1]
                );
                units_with_results += 1;
            }
            // A submitted report is the unit's own document: numbered, dated and signed.
            if r.status != "draft" {
                assert!(numbered, "{who}: no number");
                assert!(!r.signer_name.trim().is_empty(), "{who}: no signer");
                assert!(all.contains(r.signer_name.trim()), "{who}: no signer");
            }
        }
    }
    assert!(units_with_results >= 5, "{units_with_results}");
    // The province's XLSX annex re-read: sheet names with accents, tall header rows, page
    // setup, and every cell in Times New Roman.
    let province = reports
        .iter()
        .find(|r| {
            r.level == "compiled"
                && r.period_id == reports.iter().map(|r| r.period_id).max().unwrap()
        })
        .unwrap();
    let bytes = admin
        .get(&format!("/reports/{}/xlsx", province.id))
        .await
        .bytes()
        .await
        .unwrap();
    let workbook = crate::reports::part(&bytes, "xl/workbook.xml");
    assert!(workbook.contains("name=\"Phụ lục I\""), "{workbook}");
    let sheet = crate::reports::part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains("<row r=\"4\"") && sheet.contains("customHeight=\"1\""),
        "{sheet}"
    );
    assert!(sheet.contains("paperSize=\"9\"") && sheet.contains("orientation=\"landscape\""));
    assert!(workbook.contains("_xlnm.Print_Titles"));
    // Every written cell carries a style: none falls back to the default font.
    assert!(!sheet.contains("<c r=\"A2\" t=\"s\">"), "{sheet}");
    let styles = crate::reports::part(&bytes, "xl/styles.xml");
    assert!(styles.contains("<name val=\"Times New Roman\"/>"));
}

#[tokio::test]
async fn the_demo_reports_read_as_a_clerk_signs_them_sqlite() {
    check_demo_reports(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set KEHOACH_TEST_PG_URL (.ci/run does)"]
async fn the_demo_reports_read_as_a_clerk_signs_them_postgres() {
    check_demo_reports(Backend::Postgres).await;
}

/// Renders a DOCX to PDF with LibreOffice; returns each page's text and whether it is landscape.
fn render(docx: &[u8], dir: &std::path::Path, name: &str) -> Vec<(String, bool)> {
    use std::process::Command;
    let path = dir.join(format!("{name}.docx"));
    std::fs::write(&path, docx).unwrap();
    let profile = format!("-env:UserInstallation=file://{}/lo-profile", dir.display());
    let status = Command::new("soffice")
        .args([
            profile.as_str(),
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir)
        .arg(&path)
        .status()
        .expect("soffice (libreoffice-writer-nogui)");
    assert!(status.success());
    let pdf = dir.join(format!("{name}.pdf"));
    let text = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    let info = Command::new("pdfinfo")
        .args(["-f", "1", "-l", "999"])
        .arg(&pdf)
        .output()
        .expect("pdfinfo (poppler-utils)");
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    // "Page    3 size: 841.89 x 595.28 pts (A4)"
    let landscape: Vec<bool> = info
        .lines()
        .filter(|l| l.starts_with("Page") && l.contains(" size: "))
        .map(|l| {
            let dims: Vec<f64> = l
                .split(" size: ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            dims[0] > dims[1]
        })
        .collect();
    let pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    landscape
        .into_iter()
        .enumerate()
        .map(|(i, l)| (pages.get(i).cloned().unwrap_or_default(), l))
        .collect()
}

/// The district's report and a commune's, rendered by LibreOffice: the closing paragraph shares
/// its page with the signature, and the wide annex's pages are landscape.
async fn rendered_reports(backend: Backend) {
    let app = demo(backend).await;
    let admin = app.another_browser();
    admin.login_as("admin").await;
    let dir = tempfile::tempdir().unwrap();
    for (code, level) in [("PY-TH", "compiled"), ("PY-TH-PHUTHU", "unit")] {
        let unit = org_unit::Entity::find()
            .filter(org_unit::Column::Code.eq(code))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let r = report::Entity::find()
            .filter(report::Column::OrgUnitId.eq(unit.id))
            .filter(report::Column::Level.eq(level))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let bytes = admin
            .get(&format!("/reports/{}/docx", r.id))
            .await
            .bytes()
            .await
            .unwrap();
        let pages = render(&bytes, dir.path(), code);
        assert!(!pages.is_empty(), "{code}: no page");
        let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let closing = pages
            .iter()
            .position(|(t, _)| squash(t).contains("Trên đây là báo cáo"))
            .unwrap_or_else(|| panic!("{code}: no closing"));
        let signer = r.signer_name.trim();
        assert!(!signer.is_empty(), "{code}: no signer");
        let signed = pages
            .iter()
            .position(|(t, _)| squash(t).contains(signer))
            .unwrap_or_else(|| panic!("{code}: no signature"));
        assert_eq!(
            closing, signed,
            "{code}: the closing and the signature part"
        );
        let mut wide = 0;
        for (text, landscape) in &pages {
            if squash(text).contains("KẾT QUẢ TRUYỀN THÔNG THEO ĐƠN VỊ") {
                assert!(landscape, "{code}: the wide annex is portrait");
                wide += 1;
            }
        }
        assert!(wide > 0, "{code}: the wide annex was not found");
    }
}

#[tokio::test]
#[ignore = "needs LibreOffice"]
async fn the_district_and_a_commune_report_render_with_the_signature_by_the_closing() {
    rendered_reports(Backend::Sqlite).await;
}
