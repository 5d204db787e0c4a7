//! Lighter phone flows and scannable data views (issue 23, items 4 and 5): a form sent twice
//! saves once, error summaries that name and link their fields, the next activity to log, the
//! one-tap month without cases, plan-item pickers without headings, the activity table and
//! the audit log in sentences.

use crate::activities::{create, fields, pairs, set};
use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;

db_tests!(
    a_form_sent_twice_saves_once_and_an_edited_resend_is_new,
    an_error_summary_names_and_links_each_field,
    after_a_log_the_confirmation_offers_the_next_activity_to_log,
    no_case_this_month_is_one_tap_and_audited,
    a_section_heading_is_not_offered_and_refused_as_plan_item,
    the_activity_list_is_a_table_with_a_result_count,
    the_audit_log_reads_as_sentences_with_the_json_behind_a_toggle,
    plan_pages_show_labels_and_an_edit_mode,
);

/// The value of the hidden `idempotency_key` field of a page's form.
fn form_key(html: &str) -> String {
    let marker = "name=\"idempotency_key\" value=\"";
    let start = html.find(marker).expect("a key field") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

async fn a_form_sent_twice_saves_once_and_an_edited_resend_is_new(app: TestApp) {
    app.login_as("commune").await;
    let (_, page) = app.get_text("/activities/new").await;
    let key = form_key(&page);
    assert!(key.starts_with("form-"), "the server made the key: {key}");
    let (_, again) = app.get_text("/activities/new").await;
    assert_ne!(
        form_key(&again),
        key,
        "each showing of the form has its own key"
    );

    let mut f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-07-02").await;
    set(&mut f, "idempotency_key", &key);
    let before = app.count("activities").await;
    // A double tap: both sendings arrive, one activity is saved, both answers lead to it.
    let token = app.csrf().await;
    let send = || {
        let mut body = pairs(&f);
        body.push(("csrf_token", token.as_str()));
        app.client.post(app.url("/activities")).form(&body).send()
    };
    let (a, b) = tokio::join!(send(), send());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.status(),
        StatusCode::SEE_OTHER,
        "{}",
        a.text().await.unwrap()
    );
    assert_eq!(
        b.status(),
        StatusCode::SEE_OTHER,
        "the second waits for the first's answer"
    );
    assert_eq!(a.headers()["location"], b.headers()["location"]);
    assert_eq!(app.count("activities").await, before + 1);
    // Back, and the same page sent again: the stored answer, nothing written.
    let r = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["idempotency-replayed"], "true");
    assert_eq!(app.count("activities").await, before + 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'activity:create' AND object_id IN (SELECT id FROM activities WHERE start_date = '2024-07-02')")
            .await,
        1
    );
    // Back, a field changed, sent again: a new activity, not a refused key.
    set(
        &mut f,
        "title",
        "Nói chuyện chuyên đề tại thôn Mỹ Thạnh, lần hai",
    );
    let r = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert!(r.headers().get("idempotency-replayed").is_none());
    assert_eq!(app.count("activities").await, before + 2);
    // A form without a key (no script, an older page) is handled as before.
    let mut plain = f.clone();
    plain.retain(|(k, _)| k != "idempotency_key");
    set(&mut plain, "idempotency_key", "");
    create(&app, &plain).await;
    assert_eq!(app.count("activities").await, before + 3);
}

async fn an_error_summary_names_and_links_each_field(app: TestApp) {
    app.login_as("commune").await;
    let mut f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-07-02").await;
    set(&mut f, "title", "");
    set(&mut f, "planned_participants", "-5");
    let before = app.count("activities").await;
    let r = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("class=\"alert error-summary\""), "{html}");
    assert!(html.contains("Có thông tin cần sửa"));
    assert!(
        html.contains("<a href=\"#f-planned_participants\">Số lượt người tham dự (dự kiến): Số không được âm.</a>"),
        "the summary names the field and links to it: {html}"
    );
    assert!(
        html.contains("id=\"f-planned_participants\""),
        "the link has its target"
    );
    set(&mut f, "planned_participants", "80");
    let r = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<a href=\"#f-title\">Tên: Vui lòng nhập thông tin này.</a>"),
        "{html}"
    );
    assert!(html.contains("id=\"f-title\""));
    assert_eq!(app.count("activities").await, before);
    // The same summary on another form (the task form), through the shared macro.
    let planner = app.another_browser();
    planner.login_as("planner").await;
    let r = planner.post_form("/tasks", &[("title", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("class=\"alert error-summary\""), "{html}");
    assert!(
        html.contains("<a href=\"#f-due_date\">Hạn hoàn thành: "),
        "{html}"
    );
    assert!(html.contains("id=\"f-due_date\""));
}

async fn after_a_log_the_confirmation_offers_the_next_activity_to_log(app: TestApp) {
    app.login_as("commune").await;
    let first = create(
        &app,
        &fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-06-18").await,
    )
    .await;
    let mut older = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-06-10").await;
    set(&mut older, "title", "Nói chuyện tại thôn Phong Niên");
    let second = create(&app, &older).await;
    let version = app
        .scalar(&format!(
            "SELECT version AS n FROM activities WHERE id = {first}"
        ))
        .await
        .to_string();
    let r = app
        .post_form(
            &format!("/activities/{first}/log"),
            &[
                ("version", version.as_str()),
                ("held_on", "2024-06-18"),
                ("actual_participants", "60"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        to,
        format!("/activities/{first}?logged=1"),
        "no jump down the page"
    );
    let (_, page) = app.get_text(&to).await;
    assert!(page.contains("Đã ghi nhận kết quả."), "the flash");
    assert!(page.contains("Đã lưu kết quả hoạt động."));
    assert!(
        page.contains(&format!(
            "href=\"/activities/{second}/log\" id=\"next-log\">Ghi nhận hoạt động tiếp theo</a>"
        )),
        "{page}"
    );
    assert!(page.contains("Nói chuyện tại thôn Phong Niên"));
    // Without the mark (a later visit) the page is the plain activity page.
    let (_, plain) = app.get_text(&format!("/activities/{first}")).await;
    assert!(!plain.contains("id=\"next-log\""));
}

async fn no_case_this_month_is_one_tap_and_audited(app: TestApp) {
    app.login_as("commune").await;
    let hp = app
        .scalar("SELECT id AS n FROM org_units WHERE code = 'PY-TH-HOAPHONG'")
        .await
        .to_string();
    let (_, page) = app
        .get_text(&format!("/stats/entry?unit={hp}&month=2024-03"))
        .await;
    assert!(
        page.contains("Không có trường hợp nào trong tháng"),
        "{page}"
    );
    assert!(page.contains("id=\"no-case\""));
    let key = form_key(&page);
    let saves = "SELECT COUNT(*) FROM audit_events WHERE action = 'support_stats:save'";
    let before = app.scalar(saves).await;
    let body = [
        ("unit", hp.as_str()),
        ("month", "2024-03"),
        ("no_case", "1"),
        ("idempotency_key", key.as_str()),
    ];
    let r = app.post_form("/stats/entry", &body).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    // A double tap saves once.
    let again = app.post_form("/stats/entry", &body).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(saves).await,
        before + 1,
        "audited once, like a save"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM support_stat_months WHERE org_unit_id = {hp} AND year_month = 202403 \
             AND carried_over = 0 AND hotline_received = 0 AND loans_count = 0 AND loans_amount = 0"
        ))
        .await,
        1,
        "the month is saved with zeros"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM support_stat_received r JOIN support_stat_months m ON m.id = r.month_id \
             WHERE m.org_unit_id = {hp} AND m.year_month = 202403"
        ))
        .await,
        0
    );
    // Entered: the one tap is not offered again over the saved figures.
    let (_, page) = app
        .get_text(&format!("/stats/entry?unit={hp}&month=2024-03"))
        .await;
    assert!(!page.contains("id=\"no-case\""));
}

async fn a_section_heading_is_not_offered_and_refused_as_plan_item(app: TestApp) {
    app.login_as("commune").await;
    let heading = app
        .scalar("SELECT id AS n FROM plan_items WHERE area_code = 'communication'")
        .await;
    assert!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM plan_items WHERE parent_id = {heading}"
        ))
        .await
            > 0,
        "the communication area has items of its own"
    );
    let (_, page) = app.get_text("/activities/new").await;
    let start = page.find("id=\"f-plan_item_id\"").unwrap();
    let form = &page[start..start + page[start..].find("</select>").unwrap()];
    assert!(
        !form.contains(&format!("<option value=\"{heading}\"")),
        "a heading is not offered"
    );
    assert!(!form.contains(">· "), "no depth dots");
    let leaf = app
        .scalar(&format!(
            "SELECT MIN(id) AS n FROM plan_items WHERE parent_id = {heading}"
        ))
        .await;
    assert!(form.contains(&format!("<option value=\"{leaf}\"")));
    let mut f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-07-02").await;
    set(&mut f, "plan_item_id", &heading.to_string());
    let before = app.count("activities").await;
    let r = app.post_form("/activities", &pairs(&f)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(
            "<a href=\"#f-plan_item_id\">Nội dung kế hoạch: Đây là tiêu đề một phần của kế hoạch"
        ),
        "{html}"
    );
    assert_eq!(app.count("activities").await, before);
    // The API refuses it alike, naming the field.
    let token = crate::crash::token_for(&app, "commune@kehoach.demo").await;
    let r = app
        .client
        .post(app.url("/api/v1/activities"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "type": "talk", "title": "Nói chuyện", "plan_item_id": heading,
            "start_date": "2024-07-30", "target_groups": ["public"]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("plan_item_id"));
    assert_eq!(app.count("activities").await, before);
}

async fn the_activity_list_is_a_table_with_a_result_count(app: TestApp) {
    app.login_as("commune").await;
    for (date, title) in [
        ("2024-07-02", "Nói chuyện tại thôn Mỹ Thạnh"),
        ("2024-07-09", "Nói chuyện tại thôn Phong Niên"),
    ] {
        let mut f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", date).await;
        set(&mut f, "title", title);
        create(&app, &f).await;
    }
    let expected = app
        .scalar(
            "SELECT COUNT(*) FROM activities WHERE org_unit_id = (SELECT id FROM org_units WHERE code = 'PY-TH-HOAPHONG')",
        )
        .await;
    let (status, html) = app.get_text("/activities").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!(
            "id=\"result-count\" role=\"status\">{expected} hoạt động</p>"
        )),
        "{html}"
    );
    assert!(html.contains("<table class=\"act-table\" data-sortable>"));
    assert!(html.contains("data-sort=\"date\""));
    assert!(html.contains("aria-sort=\"descending\""));
    assert_eq!(
        html.matches("<tr>").count() as i64,
        expected + 1,
        "a row per activity and the heading row"
    );
    assert!(
        html.contains("class=\"act-list\""),
        "the cards stay for phones"
    );
    // A search narrows the count.
    let (_, found) = app.get_text("/activities?q=phong+nien").await;
    assert!(found.contains(">1 hoạt động</p>"), "{found}");
}

async fn the_audit_log_reads_as_sentences_with_the_json_behind_a_toggle(app: TestApp) {
    app.login_as("commune").await;
    let id = create(
        &app,
        &fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-06-18").await,
    )
    .await;
    let version = app
        .scalar(&format!(
            "SELECT version AS n FROM activities WHERE id = {id}"
        ))
        .await
        .to_string();
    let r = app
        .post_form(
            &format!("/activities/{id}/log"),
            &[
                ("version", version.as_str()),
                ("held_on", "2024-06-18"),
                ("actual_participants", "70"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let admin = app.another_browser();
    admin.login_as("admin").await;
    let (status, html) = admin.get_text("/admin/audit?action=activity:log").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!(
            "<strong>Lê Thị Hồng</strong></a>\n      đã ghi nhận kết quả hoạt động <a href=\"/activities/{id}\">“Nói chuyện chuyên đề phòng, chống mua bán người”</a>"
        )),
        "{html}"
    );
    assert!(html.contains("<details class=\"change\"><summary>Chi tiết kỹ thuật</summary>"));
    assert!(
        html.contains(
            "<option value=\"activity:log\" selected>đã ghi nhận kết quả hoạt động</option>"
        ),
        "the filter offers sentences, not codes"
    );
    // Every action the app records has its phrase in both languages.
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/i18n/vi.toml"))
        .unwrap();
    let en = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/i18n/en.toml"))
        .unwrap();
    for (action, section) in [
        ("log", "[audit.does.activity]"),
        ("save", "[audit.does.support_stats]"),
        ("issue", "[audit.does.plan]"),
    ] {
        for text in [&src, &en] {
            let at = text.find(section).expect(section);
            assert!(
                text[at..].contains(&format!("\n{action} = ")),
                "{section} {action}"
            );
        }
    }
}

async fn plan_pages_show_labels_and_an_edit_mode(app: TestApp) {
    app.login_as("planner").await;
    let (_, list) = app.get_text("/plans").await;
    assert!(!list.contains("plan.status"), "no raw key on /plans");
    assert!(list.contains(">Trạng thái</th>"));
    let plan = app.scalar("SELECT MIN(id) AS n FROM plans").await;
    let (_, page) = app.get_text(&format!("/plans/{plan}")).await;
    assert!(!page.contains("chưa có số"), "no 'number: none' line");
    // A target on the item the commune's talks belong to, then one talk held: the plan page
    // shows how far the target is reached.
    let f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-06-18").await;
    let leaf = f
        .iter()
        .find(|(k, _)| k == "plan_item_id")
        .unwrap()
        .1
        .clone();
    let leaf_plan = app
        .scalar(&format!(
            "SELECT plan_id AS n FROM plan_items WHERE id = {leaf}"
        ))
        .await;
    let code = |list: &str, c: &str| {
        format!("SELECT id AS n FROM codes WHERE list = '{list}' AND code = '{c}'")
    };
    let sessions = app.scalar(&code("indicator", "sessions")).await.to_string();
    let talk = app.scalar(&code("activity_type", "talk")).await.to_string();
    let r = app
        .post_form(
            &format!("/plans/{leaf_plan}/items/{leaf}/targets"),
            &[
                ("indicator_id", sessions.as_str()),
                ("activity_type_id", talk.as_str()),
                ("value", "4"),
                ("unit", ""),
                ("amended_on", "2024-06-20"),
                ("reason", "Bổ sung chỉ tiêu"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let id = create(&commune, &f).await;
    let version = commune
        .scalar(&format!(
            "SELECT version AS n FROM activities WHERE id = {id}"
        ))
        .await
        .to_string();
    let r = commune
        .post_form(
            &format!("/activities/{id}/log"),
            &[
                ("version", version.as_str()),
                ("held_on", "2024-06-18"),
                ("actual_participants", "40"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, progress) = app.get_text(&format!("/plans/{leaf_plan}")).await;
    assert!(
        progress.contains("Đã đạt 1/4 (25%)"),
        "the target's progress: {progress}"
    );
    assert!(progress.contains("<meter min=\"0\" max=\"100\""));
    let edit_links = format!("/plans/{plan}/items/");
    let plain_links = page.matches(&format!("href=\"{edit_links}")).count();
    let (_, editing) = app.get_text(&format!("/plans/{plan}?edit=1")).await;
    assert!(
        page.contains("id=\"edit-mode-on\""),
        "the planner may edit the plan"
    );
    assert_eq!(
        plain_links, 0,
        "no edit link per line outside the edit mode"
    );
    assert!(editing.matches(&format!("href=\"{edit_links}")).count() > 0);
    assert!(editing.contains("id=\"edit-mode-off\""));
    // Someone who may not edit the plan gets no edit mode from the address.
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let (_, read) = leader.get_text(&format!("/plans/{plan}?edit=1")).await;
    assert!(!read.contains("id=\"edit-mode-off\""));
    assert_eq!(read.matches(&format!("href=\"{edit_links}")).count(), 0);
}
