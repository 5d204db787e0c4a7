//! A home and a menu per office, over HTTP: each role's home shows its own items from the demo
//! data (and what a test adds), late things first; the dashboard opens on the plan in force with
//! "Cần chú ý" above everything else; no page shows a translation key.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use std::collections::{BTreeSet, VecDeque};

db_tests!(
    each_office_has_a_home_with_its_own_items,
    the_menu_shows_three_to_five_links_on_a_phone_and_the_rest_under_more,
    the_dashboard_opens_on_the_plan_in_force_with_what_needs_attention_first,
    no_page_of_any_role_shows_a_translation_key,
    my_units_report_is_the_communes_own_and_no_district_user_s,
    the_home_lists_the_plans_in_force_only,
);

/// "Kế hoạch đang thực hiện" on a home: the 2024 plan while 2024 lasts, not once it has ended.
async fn the_home_lists_the_plans_in_force_only(app: TestApp) {
    let title = "Thực hiện công tác hỗ trợ nạn nhân bị mua bán người năm 2024";
    let html = home(&app, "planner").await;
    assert!(html.contains(title), "the 2024 plan in 2024");
    app.clock.advance(chrono::Duration::days(365));
    let html = home(&app, "planner").await;
    assert!(!html.contains(title), "the 2024 plan is history in 2025");
    let planner = app.another_browser();
    planner.login_as("planner").await;
    let (status, plans) = planner.get_text("/plans").await;
    assert_eq!(status, StatusCode::OK);
    assert!(plans.contains(title), "still on the plans page");
}

async fn my_units_report_is_the_communes_own_and_no_district_user_s(app: TestApp) {
    app.login_as("compiler").await;
    let period = crate::reports::open_period(&app).await;
    let own = crate::reports::report_of(&app, period, "PY-TH-HOAPHONG").await;
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let (_, html) = commune.get_text("/reports").await;
    assert!(
        html.contains(&format!("href=\"/reports/{own}\">Báo cáo của đơn vị tôi")),
        "{html}"
    );
    for role in ["planner", "compiler", "leader"] {
        let b = app.another_browser();
        b.login_as(role).await;
        let (status, html) = b.get_text("/reports").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains(&format!("/reports/periods/{period}")),
            "{role} sees the period"
        );
        assert!(
            !html.contains("Báo cáo của đơn vị tôi"),
            "{role}: no commune's report as theirs"
        );
    }
}

/// The part of a page between two markers (the first after `start`).
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in page"));
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

async fn home(app: &TestApp, role: &str) -> String {
    let b = app.another_browser();
    b.login_as(role).await;
    let (status, html) = b.get_text("/").await;
    assert_eq!(status, StatusCode::OK, "{role}");
    assert!(
        html.contains(&format!("data-office=\"{role}\"")),
        "{role}'s own home"
    );
    html
}

async fn each_office_has_a_home_with_its_own_items(app: TestApp) {
    let compiler = app.another_browser();
    compiler.login_as("compiler").await;
    let period = crate::reports::open_period(&compiler).await;
    // A task asked of the commune, its acknowledgement already overdue, and one of the police.
    let late = crate::tasks::request(
        &compiler,
        "TH-HOAPHONG-UBND",
        "2024-06-21",
        "2024-07-10",
        "Xác minh tin báo về thôn 2",
    )
    .await;
    let police = crate::tasks::request(
        &compiler,
        "TH-CA",
        "2024-06-25",
        "2024-07-10",
        "Phối hợp xác minh đối tượng môi giới",
    )
    .await;
    app.clock.advance(chrono::Duration::days(3));

    // The commune: what to log, the task to acknowledge (flagged late), its report to send.
    let html = home(&app, "commune").await;
    let ack = between(&html, "id=\"home-ack\"", "</section>");
    assert!(ack.contains(&format!("href=\"/tasks/{late}\"")), "{ack}");
    assert!(
        ack.contains("class=\"late\""),
        "late acknowledgement flagged"
    );
    assert!(
        !ack.contains(&format!("/tasks/{police}\"")),
        "not the police's task"
    );
    let report = crate::reports::report_of(&app, period, "PY-TH-HOAPHONG").await;
    let reports = between(&html, "id=\"home-reports\"", "</section>");
    assert!(
        reports.contains(&format!("/reports/{report}\"")),
        "{reports}"
    );
    assert!(html.contains("Đã diễn ra, chưa ghi nhận kết quả"));

    // The partner agency: its inbox and its own report (none asked yet), not the commune's task.
    let html = home(&app, "partner").await;
    let inbox = between(&html, "id=\"home-inbox\"", "</section>");
    assert!(inbox.contains(&format!("/tasks/{police}\"")), "{inbox}");
    assert!(!inbox.contains(&format!("/tasks/{late}\"")));
    assert!(html.contains("id=\"home-own-reports\""));

    // The compiler: a submitted report to review, the other communes still to report, and the
    // victim-support months not entered, by name.
    let commune = app.another_browser();
    commune.login_as("commune").await;
    assert_eq!(
        crate::reports::act(&commune, report, &[("action", "submit")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let html = home(&app, "compiler").await;
    let review = between(&html, "id=\"home-review\"", "</section>");
    assert!(review.contains(&format!("/reports/{report}\"")), "{review}");
    assert!(review.contains("Xã Hòa Phong"), "{review}");
    let stats = between(&html, "id=\"home-stats\"", "</section>");
    let without_may: i64 = app
        .scalar(
            "SELECT COUNT(*) FROM org_units u WHERE u.kind IN ('commune', 'town', 'ward') \
             AND u.valid_to IS NULL AND NOT EXISTS (SELECT 1 FROM support_stat_months m \
             WHERE m.org_unit_id = u.id AND m.year_month = 202405)",
        )
        .await;
    if without_may > 0 {
        assert!(stats.contains("month=2024-05"), "{stats}");
    }
    assert!(
        !html.contains("Ghi nhận kết quả</a>"),
        "no wall of log buttons"
    );

    // The planner: the plan's progress against its targets.
    let html = home(&app, "planner").await;
    let progress = between(&html, "id=\"home-progress\"", "</section>");
    let plan = app
        .scalar("SELECT id AS n FROM plans WHERE code = 'PY-TH-2024-HTNN'")
        .await;
    assert!(progress.contains(&format!("/plans/{plan}\"")), "{progress}");

    // The administrator: a failed email, an account locked by failed logins, recent changes.
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        "UPDATE outbox_emails SET status = 'failed', last_error = 'timeout' \
         WHERE id = (SELECT MIN(id) FROM outbox_emails)",
    )
    .await
    .unwrap();
    let failed = app
        .scalar("SELECT COUNT(*) FROM outbox_emails WHERE status = 'failed'")
        .await;
    let stranger = app.another_browser();
    for _ in 0..5 {
        stranger.login("planner@kehoach.demo", "wrong").await;
    }
    let html = home(&app, "admin").await;
    let emails = between(&html, "id=\"home-failed\"", "</section>");
    if failed > 0 {
        assert!(emails.contains("timeout"), "{emails}");
    }
    let locked = between(&html, "id=\"home-locked\"", "</section>");
    assert!(locked.contains("planner@kehoach.demo"), "{locked}");
    let recent = between(&html, "id=\"home-recent\"", "</section>");
    let events = app
        .scalar(
            "SELECT COUNT(*) FROM audit_events WHERE action NOT LIKE '%:view' \
             AND action NOT LIKE '%export%'",
        )
        .await
        .min(10);
    assert!(events > 0);
    assert_eq!(recent.matches("<li>").count() as i64, events, "{recent}");
    // In words, not codes: the phrase of each change, never the raw action.
    assert!(!recent.contains("<code>"), "{recent}");
    assert!(
        !recent.contains("report:") && !recent.contains("activity:"),
        "{recent}"
    );

    // The leader's home is the dashboard.
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let r = leader.get("/").await;
    assert_eq!(r.headers()["location"], "/dashboard");
}

async fn the_menu_shows_three_to_five_links_on_a_phone_and_the_rest_under_more(app: TestApp) {
    for role in [
        "admin", "planner", "compiler", "commune", "partner", "leader",
    ] {
        let b = app.another_browser();
        b.login_as(role).await;
        let (_, html) = b.get_text("/account").await;
        let nav = between(&html, "<nav", "</nav>");
        let wide = nav.matches("<li class=\"wide-only\">").count();
        let more = between(nav, "<details class=\"more\">", "</details>");
        let primary = nav.matches("<li><a href=").count() - more.matches("<li><a href=").count();
        assert!(
            (3..=5).contains(&primary),
            "{role}: {primary} links on a phone"
        );
        assert_eq!(more.matches("<a href=").count(), wide, "{role}: Thêm");
        assert!(more.contains("Thêm"));
        let stats = nav.contains("href=\"/stats\"");
        assert_eq!(stats, role != "admin", "{role}: statistics");
    }
}

async fn the_dashboard_opens_on_the_plan_in_force_with_what_needs_attention_first(app: TestApp) {
    let compiler = app.another_browser();
    compiler.login_as("compiler").await;
    crate::reports::open_period(&compiler).await;
    let task = crate::tasks::request(
        &compiler,
        "TH-CA",
        "2024-06-24",
        "2024-06-24",
        "Rà soát lao động đi làm ăn xa",
    )
    .await;
    app.clock.advance(chrono::Duration::days(20)); // 10/07: the period overdue, the task too
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let (status, html) = leader.get_text("/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    // The plan in force from its first day up to today.
    assert!(html.contains("name=\"from\" value=\"2024-01-01\""), "from");
    assert!(html.contains("name=\"to\" value=\"2024-07-10\""), "to");
    let band = html.find("id=\"attention\"").expect("the band");
    let chart = html.find("class=\"chart\"").expect("a chart");
    let reporting = html.find("id=\"h-reporting\"").expect("completeness");
    assert!(
        band < reporting && reporting < chart,
        "band, completeness, charts"
    );
    let attention = between(&html, "id=\"attention\"", "</section>");
    assert!(
        attention.contains(&format!("/tasks/{task}\"")),
        "{attention}"
    );
    assert!(
        attention.contains("chậm 16 ngày"),
        "task due 24/06: {attention}"
    );
    // The communes missing their report, by name and days late (due 05/07).
    assert!(attention.contains("href=\"/reports/"), "{attention}");
    assert!(attention.contains("chậm 5 ngày"), "{attention}");
    // Completeness next, every commune by name.
    let completeness = between(&html, "id=\"h-reporting\"", "</section>");
    assert!(completeness.contains("Xã Hòa Phong"), "{completeness}");
    // The chart reads its values.
    let svg = between(&html, "<svg class=\"chart\"", "</svg>");
    assert!(svg.contains("class=\"tick-value\""), "axis values");
    assert!(html.contains("class=\"legend"));
    // A period asked for explicitly is kept.
    let (_, html) = leader
        .get_text("/dashboard?from=2024-03-01&to=2024-03-31")
        .await;
    assert!(html.contains("name=\"from\" value=\"2024-03-01\""));
}

/// Every key of the translation files, and their first parts (`plan.status` shown raw is as
/// wrong as `plan.status.issued`).
fn key_prefixes() -> (BTreeSet<String>, BTreeSet<String>) {
    let i18n = kehoach::web::i18n::I18n::load().unwrap();
    let mut keys = BTreeSet::new();
    let mut tops = BTreeSet::new();
    for locale in [
        kehoach::web::i18n::Locale::Vi,
        kehoach::web::i18n::Locale::En,
    ] {
        for k in i18n.table(locale).keys() {
            tops.insert(k.split('.').next().unwrap_or_default().to_owned());
            keys.insert(k.clone());
        }
    }
    (keys, tops)
}

/// The text a reader sees: tags, scripts and styles removed.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        out.push(' ');
        let tail = &rest[lt..];
        let skip_to = if tail.starts_with("<script") {
            tail.find("</script>").map(|i| i + 9)
        } else if tail.starts_with("<style") {
            tail.find("</style>").map(|i| i + 8)
        } else {
            tail.find('>').map(|i| i + 1)
        };
        rest = &tail[skip_to.unwrap_or(tail.len())..];
    }
    out.push_str(rest);
    out
}

/// Words of the text that read as translation keys: `table.key` whose first part is a table
/// of the translation files.
fn keys_in(text: &str, tops: &BTreeSet<String>) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .map(|w| w.trim_matches('.'))
        .filter(|w| {
            let mut parts = w.split('.');
            let first = parts.next().unwrap_or_default();
            w.contains('.')
                && tops.contains(first)
                && parts.all(|p| {
                    !p.is_empty()
                        && p.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                })
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_key_finder_finds_raw_keys_and_nothing_else() {
    let (keys, tops) = key_prefixes();
    assert!(keys.contains("dashboard.title"));
    let text = visible_text(
        "<p title=\"plan.status\">Trạng thái: plan.status.issued. Gửi admin@kehoach.demo 1.5</p>\
         <script>t('home.title')</script>",
    );
    assert_eq!(keys_in(&text, &tops), ["plan.status.issued"]);
}

/// Links worth following: the app's pages, not downloads, feeds or sign-out.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .map(|h| h.split('#').next().unwrap_or_default().to_owned())
        .filter(|h| h.starts_with('/') && !h.starts_with("//") && !h.starts_with("/static"))
        .filter(|h| {
            ![
                ".docx",
                ".xlsx",
                ".csv",
                ".ics",
                "/export",
                "/print",
                "/evidence/",
            ]
            .iter()
            .any(|x| h.contains(x))
        })
        .collect()
}

/// How many pages of each role the walk opens, breadth first from the home page.
const PAGES_PER_ROLE: usize = 60;

async fn no_page_of_any_role_shows_a_translation_key(app: TestApp) {
    let (_, tops) = key_prefixes();
    let compiler = app.another_browser();
    compiler.login_as("compiler").await;
    crate::reports::open_period(&compiler).await;
    let mut found = Vec::new();
    for role in [
        "admin", "planner", "compiler", "commune", "partner", "leader",
    ] {
        let b = app.another_browser();
        b.login_as(role).await;
        let mut seen: BTreeSet<String> = BTreeSet::new();
        // One page per path (a list's filters and pages are the same page).
        let mut paths: BTreeSet<String> = BTreeSet::new();
        let mut queue: VecDeque<String> = VecDeque::from(["/".to_owned()]);
        while let Some(url) = queue.pop_front() {
            if seen.len() >= PAGES_PER_ROLE {
                break;
            }
            let path = url.split('?').next().unwrap_or_default().to_owned();
            // Ids differ, the page is the same: /activities/12 and /activities/13.
            let shape: String = path
                .split('/')
                .map(|p| if p.parse::<i64>().is_ok() { "N" } else { p })
                .collect::<Vec<_>>()
                .join("/");
            if !seen.insert(url.clone()) || !paths.insert(shape) {
                continue;
            }
            let r = b.get(&url).await;
            if r.status().is_redirection() {
                if let Some(to) = r.headers().get("location").and_then(|l| l.to_str().ok()) {
                    queue.push_back(to.to_owned());
                }
                continue;
            }
            if !r.status().is_success() {
                continue;
            }
            let html = r.text().await.unwrap();
            for k in keys_in(&visible_text(&html), &tops) {
                found.push(format!("{role} {url}: {k}"));
            }
            queue.extend(links(&html));
        }
        assert!(seen.len() > 5, "{role}: walked {} pages", seen.len());
    }
    assert!(found.is_empty(), "translation keys shown: {found:#?}");
}
