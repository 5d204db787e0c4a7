//! Issue 27, "administration that stays light": the lists of units, agencies and tasks are
//! searched without accents, filtered and paged by keyset; the pickers of units and agencies
//! take typed words (resolved on the server, so a phone without JavaScript can use them) and
//! refuse what matches nothing or several units, writing nothing.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use std::collections::BTreeSet;

db_tests!(
    searching_hoa_finds_hoa_with_its_accent_on_every_list,
    a_national_list_pages_by_keyset_and_filters_by_province_kind_and_status,
    a_unit_typed_in_a_picker_is_found_and_an_ambiguous_one_is_refused,
    the_activity_form_takes_a_typed_unit_and_agency_and_refuses_an_ambiguous_one,
    units_renamed_merged_or_created_and_agencies_renamed_are_found_by_their_new_names,
    the_board_counts_every_late_task_the_filters_keep_not_only_the_page,
);

/// The codes a list shows after `prefix` (`<code>G5-`: the code begins after the tag), in page
/// order.
fn codes_in(html: &str, prefix: &str) -> Vec<String> {
    let tag = prefix.rfind('>').map_or(0, |i| i + 1);
    html.match_indices(prefix)
        .map(|(i, _)| {
            html[i + tag..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect()
        })
        .collect()
}

async fn searching_hoa_finds_hoa_with_its_accent_on_every_list(app: TestApp) {
    app.login_as("admin").await;
    for path in ["/admin/org-units?q=hoa", "/org-units?q=hoa"] {
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains("Xã Hòa Phong"), "{path}");
    }
    // A unit whose name lacks the word is not listed (the form's select below still offers it).
    let (_, html) = app.get_text("/admin/org-units?q=hoa").await;
    let listed = codes_in(&html, "<code>PY");
    assert!(listed.contains(&"PY-TH-HOAPHONG".to_owned()), "{listed:?}");
    assert!(!listed.contains(&"PY-TH-PHUTHU".to_owned()), "{listed:?}");
    let (_, html) = app.get_text("/org-units?q=hoa").await;
    assert!(!html.contains("Phú Thứ"));
    // Case and accents ignored both ways: "HÒA PHONG" and "hoa phong" find the same unit.
    let (_, upper) = app.get_text("/admin/org-units?q=H%C3%92A%20PHONG").await;
    assert_eq!(
        codes_in(&upper, "<code>PY"),
        vec!["PY-TH-HOAPHONG".to_owned()]
    );
    let (_, agencies) = app.get_text("/admin/agencies?q=hoa%20phong").await;
    assert!(agencies.contains("TH-HOAPHONG-UBND"));
    assert!(!agencies.contains("TH-HOATHINH-UBND"));
    // The pickers' suggestions: the same folding, as JSON.
    let found: Vec<serde_json::Value> = app
        .get("/org-units/search.json?q=hoa")
        .await
        .json()
        .await
        .unwrap();
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .any(|c| c["text"].as_str().unwrap().starts_with("Xã Hòa Phong"))
    );
    for c in &found {
        let text = kehoach::text::fold(c["text"].as_str().unwrap());
        assert!(text.contains("hoa"), "{text}");
    }
    let agencies: Vec<serde_json::Value> = app
        .get("/agencies/search.json?q=hoa%20phong")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        agencies
            .iter()
            .any(|c| c["text"].as_str().unwrap().contains("(TH-HOAPHONG-UBND)"))
    );
    // A commune officer's suggestions stay in their own scope.
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let own: Vec<serde_json::Value> = commune
        .get("/org-units/search.json?q=hoa")
        .await
        .json()
        .await
        .unwrap();
    assert!(own.len() < found.len(), "{own:?}");
}

async fn a_national_list_pages_by_keyset_and_filters_by_province_kind_and_status(app: TestApp) {
    let r = kehoach::gen_data::generate(
        &app.db,
        &kehoach::gen_data::Options {
            provinces: 2,
            units: 130,
            activities: 400,
            seed: 5,
        },
    )
    .await
    .unwrap();
    assert_eq!(r.units, 132);
    app.login_as("admin").await;
    let province = app
        .scalar("SELECT id AS n FROM org_units WHERE code = 'G5-P01'")
        .await;
    let in_province = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM org_units WHERE id = {province} OR parent_id = {province}"
        ))
        .await;
    assert!(in_province > 60, "{in_province}");
    // Every unit of the province, page after page, each once, nothing from elsewhere.
    let mut seen = Vec::new();
    let mut next = format!("/admin/org-units?province={province}");
    let mut pages = 0;
    loop {
        let (status, html) = app.get_text(&next).await;
        assert_eq!(status, StatusCode::OK, "{next}");
        let codes = codes_in(&html, "<code>G5-");
        assert!(codes.len() <= 50, "{next}: {}", codes.len());
        // The first province's communes are the first 65 (`gen_data` shares them out in order).
        assert!(
            codes
                .iter()
                .all(|c| c == "G5-P01" || c["G5-C".len()..].parse::<u32>().unwrap() <= 65),
            "{codes:?}"
        );
        seen.extend(codes);
        pages += 1;
        match html.split("rel=\"next\"").next().and_then(|before| {
            before.rfind("href=\"").map(|i| {
                before[i + 6..]
                    .split('"')
                    .next()
                    .unwrap()
                    .replace("&amp;", "&")
            })
        }) {
            Some(link) if html.contains("rel=\"next\"") => next = link,
            _ => break,
        }
        assert!(pages < 10, "the pages never end");
    }
    assert!(pages >= 2);
    let distinct: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "a unit on two pages");
    assert_eq!(seen.len() as i64, in_province);
    // Kind and status: the province itself only; closed units only (none yet).
    let (_, html) = app
        .get_text(&format!(
            "/admin/org-units?province={province}&kind=province"
        ))
        .await;
    assert_eq!(codes_in(&html, "<code>G5-"), vec!["G5-P01".to_owned()]);
    let (_, html) = app.get_text("/org-units?status=closed&q=mau").await;
    assert!(codes_in(&html, "<code>G5-").is_empty());
    // Agencies filtered by province and status, paged the same way.
    let (_, html) = app
        .get_text(&format!(
            "/admin/agencies?province={province}&status=active"
        ))
        .await;
    let agencies = codes_in(&html, "<td>G5-");
    assert_eq!(agencies.len(), 50);
    assert!(
        agencies.iter().all(|c| c == "G5-P01-UBND"
            || c["G5-C".len().."G5-C0001".len()].parse::<u32>().unwrap() <= 65)
    );
    assert!(html.contains("rel=\"next\""));
    // The task board: a search of titles without accents, every shown task matching.
    let (status, html) = app.get_text("/tasks?q=phoi%20hop%20xa%20mau%200001").await;
    assert_eq!(status, StatusCode::OK);
    let shown = html.matches("Phối hợp hỗ trợ tại Xã Mẫu").count();
    assert_eq!(
        shown as i64,
        app.scalar("SELECT COUNT(*) FROM coordination_tasks WHERE title LIKE '%Xã Mẫu 0001%'")
            .await
    );
    // The whole country's pages stay small: fifty rows, not every unit.
    let (_, all) = app.get_text("/admin/org-units").await;
    assert!(codes_in(&all, "<code>").len() <= 50);
}

async fn a_unit_typed_in_a_picker_is_found_and_an_ambiguous_one_is_refused(app: TestApp) {
    kehoach::gen_data::generate(
        &app.db,
        &kehoach::gen_data::Options {
            provinces: 1,
            units: 80,
            activities: 100,
            seed: 6,
        },
    )
    .await
    .unwrap();
    app.login_as("admin").await;
    // More units than a select offers: the form shows a search box, no list of every unit.
    let (_, html) = app.get_text("/admin/agencies").await;
    assert!(html.contains("data-suggest=\"/org-units/search.json\""));
    assert!(!html.contains("<option value=\"") || html.matches("<option").count() < 60);
    let before = app.count("agencies").await;
    let create = |unit: &'static str, code: &'static str| {
        let app = &app;
        async move {
            app.post_form(
                "/admin/agencies",
                &[
                    ("code", code),
                    ("name", "Công an xã"),
                    ("short_name", "CA xã"),
                    ("kind", "police"),
                    ("org_unit_id", unit),
                ],
            )
            .await
        }
    };
    // Several units match "mau 007" (0070 to 0079 and 0007): refused at the field, nothing written.
    let r = create("mau 007", "G6-CA-1").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Có nhiều mục khớp"), "{html}");
    // The suggestions come back with the form, for a phone without JavaScript.
    assert!(html.contains("<option value=\"Xã Mẫu 0070"));
    let r = create("xa khong co", "G6-CA-1").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Không tìm thấy mục nào khớp")
    );
    // Another unit's id that does not exist is refused too.
    let r = create("99999999", "G6-CA-1").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("agencies").await, before);
    // Words without accents naming one unit, or a suggestion as chosen: created there.
    let r = create("xa mau 0012", "G6-CA-1").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = create("Xã Mẫu 0013 — Tỉnh Mẫu 01 (G6-C0013)", "G6-CA-2").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for (agency, unit) in [("G6-CA-1", "G6-C0012"), ("G6-CA-2", "G6-C0013")] {
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM agencies a JOIN org_units u ON u.id = a.org_unit_id \
                 WHERE a.code = '{agency}' AND u.code = '{unit}'"
            ))
            .await,
            1
        );
    }
}

async fn the_activity_form_takes_a_typed_unit_and_agency_and_refuses_an_ambiguous_one(
    app: TestApp,
) {
    use crate::activities::{fields, pairs, set};
    app.add_test_communes(70).await;
    app.login_as("planner").await;
    // Past 60 units the form offers search boxes, not a select of every unit.
    let (status, html) = app.get_text("/activities/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("name=\"org_unit_id\" type=\"search\""),
        "{html}"
    );
    assert!(html.contains("data-suggest=\"/org-units/search.json\""));
    assert!(!html.contains("Xã Thử Nghiệm 042"));
    let before = app.count("activities").await;
    let mut f = fields(&app, "PY-TH-HOATHINH", "TH-VHTT", "2024-07-02").await;
    // Words matching several units: refused at the field with the suggestions, nothing written.
    set(&mut f, "org_unit_id", "thu nghiem 04");
    let r = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Có nhiều mục khớp"), "{html}");
    assert!(html.contains("<option value=\"Xã Thử Nghiệm 040 (PY-TH-THU040)\">"));
    // Words matching nothing, for the unit or the agency.
    set(&mut f, "org_unit_id", "xa khong co");
    let r = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Không tìm thấy mục nào khớp")
    );
    set(&mut f, "org_unit_id", "xa hoa thinh");
    set(&mut f, "agency_id", "co quan khong co");
    let r = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-agency_id\""), "{html}");
    assert!(!html.contains("id=\"e-org_unit_id\""), "{html}");
    assert_eq!(app.count("activities").await, before);
    // Words without accents naming one unit, and an agency by its code: saved there.
    set(&mut f, "org_unit_id", "xa hoa thinh");
    set(&mut f, "agency_id", "th-vhtt");
    let r = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM activities a JOIN org_units u ON u.id = a.org_unit_id \
             JOIN agencies g ON g.id = a.agency_id \
             WHERE u.code = 'PY-TH-HOATHINH' AND g.code = 'TH-VHTT'"
        )
        .await,
        1
    );
    // The edit form shows the chosen unit as the search box's text.
    let id = app.scalar("SELECT MAX(id) AS n FROM activities").await;
    let (_, html) = app.get_text(&format!("/activities/{id}/edit")).await;
    assert!(
        html.contains("value=\"Xã Hòa Thịnh (PY-TH-HOATHINH)\""),
        "{html}"
    );
}

/// The ids in a picker's suggestions.
async fn suggested(app: &TestApp, path: &str) -> Vec<i64> {
    let found: Vec<serde_json::Value> = app.get(path).await.json().await.unwrap();
    found.iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

/// Issue 27: searches read a stored folded name (`search_name`), so it must follow every
/// write: a unit created, renamed, merged, an agency created and renamed are each found by
/// their new name typed without accents, and no longer by the old one.
async fn units_renamed_merged_or_created_and_agencies_renamed_are_found_by_their_new_names(
    app: TestApp,
) {
    use kehoach::entities::{agency, org_unit};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    app.login_as("admin").await;
    let unit = |code: &'static str| {
        let db = app.db.clone();
        async move {
            org_unit::Entity::find()
                .filter(org_unit::Column::Code.eq(code))
                .one(&db)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{code}"))
        }
    };
    let province = unit("PY").await.id.to_string();
    // Created through the form.
    let r = app
        .post_form(
            "/admin/org-units",
            &[
                ("code", "PY-DONGGIANG"),
                ("name", "Xã Đồng Giang"),
                ("kind", "commune"),
                ("parent_id", &province),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let created = unit("PY-DONGGIANG").await;
    assert_eq!(created.search_name, "xa dong giang");
    let (_, html) = app.get_text("/admin/org-units?q=dong%20giang").await;
    assert_eq!(codes_in(&html, "<code>PY"), vec!["PY-DONGGIANG".to_owned()]);
    assert_eq!(
        suggested(&app, "/org-units/search.json?q=xa%20dong%20giang").await,
        vec![created.id]
    );

    // Renamed: the successor is found by the new name, the old name finds only the old unit.
    let old = unit("PY-TH-HOAPHONG").await.id.to_string();
    let r = app
        .post_form(
            "/admin/org-units/merge",
            &[
                ("predecessors", old.as_str()),
                ("merge_kind", "rename"),
                ("effective_date", "2024-06-01"),
                ("legal_basis", "Nghị quyết thử"),
                ("successor_code", "PY-PHONGNIEN"),
                ("successor_name", "Xã Phong Niên Đông"),
                ("successor_kind", "commune"),
                ("successor_parent", province.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let renamed = unit("PY-PHONGNIEN").await;
    assert_eq!(renamed.search_name, "xa phong nien dong");
    let (_, html) = app.get_text("/admin/org-units?q=PHONG%20NIEN%20DONG").await;
    assert_eq!(codes_in(&html, "<code>PY"), vec!["PY-PHONGNIEN".to_owned()]);
    let (_, html) = app.get_text("/admin/org-units?q=hoa%20phong").await;
    assert_eq!(
        codes_in(&html, "<code>PY"),
        vec!["PY-TH-HOAPHONG".to_owned()]
    );
    assert_eq!(
        suggested(&app, "/org-units/search.json?q=phong%20nien").await,
        vec![renamed.id]
    );

    // Merged: two units into one of a new name.
    let a = unit("PY-TH-PHUTHU").await.id.to_string();
    let b = unit("PY-DONGGIANG").await.id.to_string();
    let r = app
        .post_form(
            "/admin/org-units/merge",
            &[
                ("predecessors", a.as_str()),
                ("predecessors", b.as_str()),
                ("merge_kind", "merge"),
                ("effective_date", "2024-06-01"),
                ("legal_basis", "Nghị quyết thử"),
                ("successor_code", "PY-SONGCAU"),
                ("successor_name", "Xã Sông Cầu Đức"),
                ("successor_kind", "commune"),
                ("successor_parent", province.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let merged = unit("PY-SONGCAU").await;
    let (_, html) = app.get_text("/org-units?q=song%20cau%20duc").await;
    assert!(
        html.contains("Xã Sông Cầu Đức</td>") || html.contains("Xã Sông Cầu Đức<br>"),
        "{html}"
    );
    assert!(!html.contains("Phú Thứ<"));
    assert_eq!(
        suggested(&app, "/org-units/search.json?q=song%20cau%20duc").await,
        vec![merged.id]
    );

    // An agency created then renamed: found by the new name and short name only.
    let merged_id = merged.id.to_string();
    let r = app
        .post_form(
            "/admin/agencies",
            &[
                ("code", "SCD-UBND"),
                ("name", "Ủy ban nhân dân xã Sông Cầu Đức"),
                ("short_name", "UBND xã SCĐ"),
                ("kind", "people_committee"),
                ("org_unit_id", merged_id.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let created = agency::Entity::find()
        .filter(agency::Column::Code.eq("SCD-UBND"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.search_name, "uy ban nhan dan xa song cau duc");
    assert_eq!(created.search_short, "ubnd xa scd");
    let (_, html) = app.get_text("/admin/agencies?q=ubnd%20scd").await;
    assert!(html.contains("SCD-UBND"));
    let r = app
        .post_form(
            &format!("/admin/agencies/{}", created.id),
            &[
                ("name", "Công an xã Đức Bình"),
                ("short_name", "CA Đức Bình"),
                ("kind", "police"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app
        .get_text("/admin/agencies?q=cong%20an%20duc%20binh")
        .await;
    assert!(html.contains("SCD-UBND"), "{html}");
    let (_, html) = app.get_text("/admin/agencies?q=ca%20duc%20binh").await;
    assert!(html.contains("SCD-UBND"));
    let (_, html) = app
        .get_text("/admin/agencies?q=uy%20ban%20nhan%20dan%20xa%20song")
        .await;
    assert!(!html.contains("SCD-UBND"), "the old name no longer matches");
    // The unit's name still finds its agencies.
    let (_, html) = app.get_text("/admin/agencies?q=song%20cau%20duc").await;
    assert!(html.contains("SCD-UBND"));
    let found: Vec<serde_json::Value> = app
        .get("/agencies/search.json?q=cong%20an%20duc%20binh")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["id"], created.id);
}

/// Issue 27: the board's banner counts the late tasks among all those the filters keep,
/// not only the hundred on the page.
async fn the_board_counts_every_late_task_the_filters_keep_not_only_the_page(app: TestApp) {
    use sea_orm::ConnectionTrait;
    app.login_as("admin").await;
    let lead: i64 = app.scalar("SELECT MIN(id) AS n FROM agencies").await;
    let partner: i64 = app.scalar("SELECT MAX(id) AS n FROM agencies").await;
    let kind: i64 = app
        .scalar("SELECT MIN(id) AS n FROM codes WHERE list = 'task_kind'")
        .await;
    let item: i64 = app.scalar("SELECT MIN(id) AS n FROM plan_items").await;
    let before: i64 = app.scalar("SELECT COUNT(*) FROM coordination_tasks").await;
    assert_eq!(before, 0, "the fixture has no task");
    // 150 tasks, all past their due date and still open: late. The first page shows 100.
    for i in 0..150 {
        app.db
            .execute_unprepared(&format!(
                "INSERT INTO coordination_tasks (title, kind_id, plan_item_id, lead_agency_id, \
                 partner_agency_id, requested_on, ack_due_date, due_date, status, version, \
                 created_at, updated_at) VALUES ('Phối hợp {i}', {kind}, {item}, {lead}, {partner}, \
                 '2020-01-01', '2020-01-05', '2020-02-01', 'in_progress', 1, \
                 '2020-01-01 00:00:00+00:00', '2020-01-01 00:00:00+00:00')"
            ))
            .await
            .unwrap();
    }
    let (status, html) = app.get_text("/tasks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("150 nhiệm vụ quá hạn đang được đôn đốc."),
        "{html}"
    );
    let (_, html) = app.get_text("/tasks?q=phoi%20hop%2012").await;
    // "phoi hop 12" matches 12, 112 and 120–129.
    assert!(
        html.contains("12 nhiệm vụ quá hạn đang được đôn đốc."),
        "{html}"
    );
    // A title search over two pages: 100, then the other 50 after the cursor, none twice.
    let cards = |html: &str| -> Vec<String> {
        html.split("<a href=\"/tasks/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next().map(str::to_owned))
            .filter(|id| id.parse::<i64>().is_ok())
            .collect()
    };
    let (_, first) = app.get_text("/tasks?q=phoi%20hop").await;
    assert!(first.contains("150 nhiệm vụ quá hạn đang được đôn đốc."));
    let next = first
        .split("rel=\"next\"")
        .next()
        .and_then(|head| head.rsplit("href=\"").next())
        .and_then(|link| link.split('"').next())
        .expect("a link to the next page")
        .replace("&amp;", "&");
    let (status, second) = app.get_text(&next).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    let (a, b) = (cards(&first), cards(&second));
    assert_eq!((a.len(), b.len()), (100, 50), "{next}");
    assert!(a.iter().all(|id| !b.contains(id)), "no task on both pages");
    assert!(!second.contains("rel=\"next\""), "the last page");
}
