//! The dashboard: its figures are the sums of the rows, within the user's scope, live, and each
//! links to exactly the rows it counts; and `gen-data` is deterministic for a seed.

use crate::db_tests;
use crate::helpers::{TestApp, spawn_app};
use reqwest::StatusCode;
use std::collections::BTreeSet;

db_tests!(
    the_figures_are_the_sums_of_the_held_activities,
    a_commune_sees_only_its_own_and_a_leader_the_district,
    a_newly_held_activity_shows_at_once,
    a_figure_links_to_exactly_the_rows_it_counts,
    gen_data_gives_the_same_rows_for_the_same_seed,
    reporting_completeness_counts_the_open_periods_reports,
    support_statistics_show_small_counts_only_to_the_compiling_office,
    a_long_activity_counts_in_every_period_it_overlaps,
    the_summary_rows_follow_every_kind_of_write,
    writers_in_the_same_month_at_once_keep_the_sums_right,
    a_period_with_ragged_ends_counts_exactly_the_listed_rows,
    the_whole_country_is_the_sum_of_its_units,
);

async fn id_of(app: &TestApp, sql: &str) -> String {
    app.scalar(sql).await.to_string()
}

/// Figures of one held activity: participants, women, ethnic minority, children.
type People = (i64, i64, i64, i64);

/// Records a held activity through the form, as the planner; returns its id.
async fn held(app: &TestApp, unit: &str, date: &str, p: People) -> i64 {
    let item = id_of(
        app,
        "SELECT i.id AS n FROM plan_items i JOIN plan_items p ON p.id = i.parent_id \
         WHERE p.area_code = 'communication' AND i.position = 1",
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
    let agency = id_of(app, "SELECT id AS n FROM agencies WHERE code = 'TH-VHTT'").await;
    let (total, women, em, children) = (
        p.0.to_string(),
        p.1.to_string(),
        p.2.to_string(),
        p.3.to_string(),
    );
    let fields = [
        ("activity_type_id", talk.as_str()),
        ("title", "Nói chuyện chuyên đề phòng, chống mua bán người"),
        ("plan_item_id", &item),
        ("org_unit_id", &unit),
        ("agency_id", &agency),
        ("start_date", date),
        ("end_date", date),
        ("languages", "vi"),
        ("held", "1"),
        ("held_on", date),
        ("actual_participants", &total),
        ("actual_women", &women),
        ("actual_ethnic_minority", &em),
        ("actual_children", &children),
    ];
    let r = app.post_form("/activities", &fields).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    loc.trim_start_matches("/activities/")
        .split(['#', '/', '?'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The number shown with `data-figure="name"`, or None when the page has no such figure.
fn figure(html: &str, name: &str) -> Option<i64> {
    let at = html.find(&format!("data-figure=\"{name}\">"))?;
    let rest = &html[at..];
    let text = &rest[rest.find('>')? + 1..rest.find("</a>")?];
    Some(text.replace('.', "").trim().parse().unwrap())
}

/// The address a figure links to.
fn link(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("\" data-figure=\"{name}\""))
        .expect(name);
    let start = html[..at].rfind("href=\"").unwrap() + 6;
    html[start..at].replace("&amp;", "&")
}

/// The ids of the activities on a list page.
fn listed(html: &str) -> BTreeSet<i64> {
    html.split("href=\"/activities/")
        .skip(1)
        .filter_map(|s| s.split_once('"').and_then(|(id, _)| id.parse().ok()))
        .collect()
}

async fn unit_id(app: &TestApp, code: &str) -> i64 {
    app.scalar(&format!(
        "SELECT id AS n FROM org_units WHERE code = '{code}'"
    ))
    .await
}

/// Four held activities in two communes of Tây Hòa: unit, day, people.
const FOUR_HELD: [(&str, &str, People); 4] = [
    ("PY-TH-HOAPHONG", "2024-03-05", (120, 70, 15, 10)),
    ("PY-TH-HOAPHONG", "2024-05-10", (1250, 640, 120, 35)),
    ("PY-TH-HOABINH1", "2024-06-01", (80, 41, 0, 12)),
    // Held the year before: outside the default period (the current year, 2024).
    ("PY-TH-HOABINH1", "2023-11-20", (500, 250, 50, 50)),
];

async fn the_figures_are_the_sums_of_the_held_activities(app: TestApp) {
    app.login_as("planner").await;
    let rows = FOUR_HELD;
    for (unit, date, p) in rows {
        held(&app, unit, date, p).await;
    }
    let in_year: Vec<People> = rows
        .iter()
        .filter(|r| r.1.starts_with("2024"))
        .map(|r| r.2)
        .collect();
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let (status, html) = leader.get_text("/dashboard").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(figure(&html, "held"), Some(3));
    assert_eq!(
        figure(&html, "participants"),
        Some(in_year.iter().map(|p| p.0).sum())
    );
    assert_eq!(
        figure(&html, "women"),
        Some(in_year.iter().map(|p| p.1).sum())
    );
    assert_eq!(
        figure(&html, "ethnic_minority"),
        Some(in_year.iter().map(|p| p.2).sum())
    );
    assert_eq!(
        figure(&html, "children"),
        Some(in_year.iter().map(|p| p.3).sum())
    );
    let phong = unit_id(&app, "PY-TH-HOAPHONG").await;
    let binh = unit_id(&app, "PY-TH-HOABINH1").await;
    assert_eq!(figure(&html, &format!("unit-{phong}-held")), Some(2));
    assert_eq!(figure(&html, &format!("unit-{binh}-held")), Some(1));
    // The awareness area holds all of them; the other areas none.
    let area = app
        .scalar("SELECT id AS n FROM plan_items WHERE area_code = 'communication'")
        .await;
    assert_eq!(figure(&html, &format!("area-{area}-held")), Some(3));
    // The year before, chosen in the query string.
    let (_, before) = leader
        .get_text("/dashboard?from=2023-01-01&to=2023-12-31")
        .await;
    assert_eq!(figure(&before, "held"), Some(1));
    assert_eq!(figure(&before, "participants"), Some(500));
    // Charts are drawn on the server with a text alternative; no inline style.
    assert!(html.contains("<svg class=\"chart\"") && html.contains("<title id=\"months-title\">"));
    assert!(!html.contains("style="));
}

async fn a_commune_sees_only_its_own_and_a_leader_the_district(app: TestApp) {
    app.login_as("planner").await;
    held(&app, "PY-TH-HOAPHONG", "2024-04-02", (100, 50, 0, 0)).await;
    held(&app, "PY-TH-HOABINH1", "2024-04-03", (30, 10, 0, 0)).await;
    let phong = unit_id(&app, "PY-TH-HOAPHONG").await;
    let binh = unit_id(&app, "PY-TH-HOABINH1").await;
    let commune = app.another_browser();
    commune.login_as("commune").await; // Hòa Phong's officer
    let (_, html) = commune.get_text("/dashboard").await;
    assert_eq!(figure(&html, "participants"), Some(100));
    assert_eq!(figure(&html, &format!("unit-{phong}-held")), Some(1));
    assert_eq!(
        figure(&html, &format!("unit-{binh}-held")),
        None,
        "another commune is not shown"
    );
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let (_, html) = leader.get_text("/dashboard").await;
    assert_eq!(figure(&html, "participants"), Some(130));
    assert_eq!(figure(&html, &format!("unit-{binh}-held")), Some(1));
}

async fn a_newly_held_activity_shows_at_once(app: TestApp) {
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let (_, html) = leader.get_text("/dashboard").await;
    let before = figure(&html, "participants").unwrap();
    let held_before = figure(&html, "held").unwrap();
    app.login_as("planner").await;
    held(&app, "PY-TH-HOAPHONG", "2024-06-19", (77, 40, 3, 2)).await;
    let (_, html) = leader.get_text("/dashboard").await;
    assert_eq!(figure(&html, "participants"), Some(before + 77));
    assert_eq!(figure(&html, "held"), Some(held_before + 1));
}

async fn a_figure_links_to_exactly_the_rows_it_counts(app: TestApp) {
    app.login_as("planner").await;
    let a = held(&app, "PY-TH-HOAPHONG", "2024-02-01", (10, 5, 0, 0)).await;
    let b = held(&app, "PY-TH-HOAPHONG", "2024-06-10", (20, 5, 0, 0)).await;
    held(&app, "PY-TH-HOAPHONG", "2023-12-01", (30, 5, 0, 0)).await; // other year
    held(&app, "PY-TH-HOABINH1", "2024-03-01", (40, 5, 0, 0)).await; // other commune
    let phong = unit_id(&app, "PY-TH-HOAPHONG").await;
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let (_, html) = leader.get_text("/dashboard").await;
    let name = format!("unit-{phong}-held");
    let href = link(&html, &name);
    let (status, list) = leader.get_text(&href).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed(&list), BTreeSet::from([a, b]), "{href}");
    assert_eq!(figure(&html, &name), Some(2));
    // The area figure lists the area's rows: all four held in the year, through `area=`.
    let area = app
        .scalar("SELECT id AS n FROM plan_items WHERE area_code = 'communication'")
        .await;
    let area_href = link(&html, &format!("area-{area}-held"));
    let (_, list) = leader.get_text(&area_href).await;
    assert_eq!(
        listed(&list).len() as i64,
        figure(&html, &format!("area-{area}-held")).unwrap(),
        "{area_href}"
    );
    assert_eq!(listed(&list).len(), 3, "{area_href}");
}

/// A digest of the generated rows: every column of the tables `gen-data` writes.
async fn checksum(app: &TestApp) -> u64 {
    use sea_orm::{FromQueryResult, JsonValue, Statement};
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for table in [
        "org_units",
        "agencies",
        "plan_items",
        "activities",
        "activity_materials",
        "activity_budgets",
        "coordination_tasks",
    ] {
        let stmt = Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT * FROM {table} ORDER BY id"),
        );
        let rows = JsonValue::find_by_statement(stmt)
            .all(&app.db)
            .await
            .unwrap();
        rows.len().hash(&mut h);
        for r in rows {
            r.to_string().hash(&mut h);
        }
    }
    h.finish()
}

async fn gen_data_gives_the_same_rows_for_the_same_seed(app: TestApp) {
    let opts = |seed| kehoach::gen_data::Options {
        provinces: 3,
        units: 30,
        activities: 2_000,
        seed,
    };
    let r = kehoach::gen_data::generate(&app.db, &opts(7))
        .await
        .unwrap();
    assert_eq!((r.units, r.activities), (33, 2_000));
    assert_eq!(app.count("activities").await, 2_000);
    // Communes hang under provinces, which have no parent: a two-level tree.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM org_units c JOIN org_units p ON p.id = c.parent_id \
                    WHERE c.code LIKE 'G7-C%' AND p.kind = 'province' AND p.parent_id IS NULL"
        )
        .await,
        30
    );
    let same = spawn_app(app.backend).await;
    kehoach::gen_data::generate(&same.db, &opts(7))
        .await
        .unwrap();
    let other = spawn_app(app.backend).await;
    kehoach::gen_data::generate(&other.db, &opts(8))
        .await
        .unwrap();
    assert_eq!(checksum(&app).await, checksum(&same).await);
    assert_ne!(checksum(&app).await, checksum(&other).await);
    assert!(
        kehoach::gen_data::generate(&app.db, &opts(7))
            .await
            .is_err(),
        "a second run of a seed is refused"
    );
}

/// The text of the element marked `data-figure="name"` (a number, or `x`).
fn shown(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("data-figure=\"{name}\">"))
        .unwrap_or_else(|| panic!("no figure {name}"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find("</").unwrap();
    rest[start..end].trim().to_owned()
}

/// The figures of one period's row in the reporting section.
fn period_row(html: &str, period: i64) -> String {
    let at = html
        .find(&format!("data-period=\"{period}\""))
        .unwrap_or_else(|| panic!("no row for period {period}"));
    let rest = &html[at..];
    rest[..rest.find("</tr>").unwrap()].to_owned()
}

async fn reporting_completeness_counts_the_open_periods_reports(app: TestApp) {
    app.login_as("compiler").await;
    let period = crate::reports::open_period(&app).await;
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let report = crate::reports::report_of(&app, period, "PY-TH-HOAPHONG").await;
    let r = crate::reports::act(&commune, report, &[("action", "submit")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let expected = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM reports WHERE period_id = {period} AND level = 'unit'"
        ))
        .await;
    let submitted = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM reports WHERE period_id = {period} AND level = 'unit' AND status = 'submitted'"
        ))
        .await;
    assert_eq!(submitted, 1);
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let (_, page) = leader.get_text("/dashboard").await;
    let row = period_row(&page, period);
    assert!(row.contains(&format!(">{expected}<")), "{row}");
    assert_eq!(shown(&row, "on_time"), "1");
    assert_eq!(shown(&row, "late"), "0");
    assert_eq!(shown(&row, "missing"), (expected - 1).to_string());
    assert_eq!(shown(&row, "rate"), format!("{}%", 100 / expected));
    assert!(row.contains(&format!("href=\"/reports/periods/{period}\"")));

    // Returned: it waits. Past the due date, the rest are missing.
    let r = crate::reports::act(
        &app,
        report,
        &[("action", "return"), ("comment", "Bổ sung")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = leader.get_text("/dashboard").await;
    let row = period_row(&page, period);
    assert_eq!(shown(&row, "returned"), "1");
    assert_eq!(shown(&row, "on_time"), "0");
    assert_eq!(shown(&row, "rate"), "0%");

    // A commune's own scope holds no period: nothing of the district's board shows.
    let (_, page) = commune.get_text("/dashboard").await;
    assert!(!page.contains(&format!("data-period=\"{period}\"")));
    assert!(page.contains("Không có kỳ báo cáo nào đang mở."));
}

async fn support_statistics_show_small_counts_only_to_the_compiling_office(app: TestApp) {
    app.login_as("compiler").await;
    let hp = crate::support_stats::unit(&app, "PY-TH-HOAPHONG").await;
    let f = crate::support_stats::fields(
        &app,
        &hp,
        "2024-04",
        &[("female", "18-29", "forced_labour", "self", "abroad", 3)],
        &[("hotline_received", "9")],
    )
    .await;
    crate::support_stats::enter(&app, &f).await;
    let received = app
        .scalar("SELECT COALESCE(SUM(persons), 0) AS n FROM support_stat_received")
        .await;
    assert_eq!(received, 3);

    // The compiling office sees the exact count, with the link to the statistics page.
    let (_, page) = app.get_text("/dashboard").await;
    assert_eq!(shown(&page, "victims-received"), "3");
    assert_eq!(shown(&page, "hotline"), "9");
    assert!(page.contains("href=\"/stats?unit="));
    // A leader sees it hidden, on the dashboard as on the statistics pages.
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let audited = "SELECT COUNT(*) FROM audit_events WHERE action = 'support_stats:view'";
    let before = app.scalar(audited).await;
    let (_, page) = leader.get_text("/dashboard").await;
    assert_eq!(shown(&page, "victims-received"), "x");
    assert!(!page.contains("data-figure=\"victims-received\">3<"));
    // Every read of victim figures is in the audit log.
    assert_eq!(app.scalar(audited).await, before + 1);
    // The administrator sees no victim figures at all.
    let admin = app.another_browser();
    admin.login_as("admin").await;
    let (status, page) = admin.get_text("/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("data-figure=\"victims-received\""));
}

/// Period queries bound `start_date` from below by the longest span stored: a half-year
/// activity (and then a year-long one, after a one-day one had set the bound) still counts on
/// the dashboard, the list, the API and the calendar of a month near its end.
async fn a_long_activity_counts_in_every_period_it_overlaps(app: TestApp) {
    app.login_as("planner").await;
    held(&app, "PY-TH-HOAPHONG", "2024-03-20", (5, 1, 0, 0)).await;
    let phong = unit_id(&app, "PY-TH-HOAPHONG").await;
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let mut expected = 1;
    for (start, end) in [("2023-10-02", "2024-03-30"), ("2023-03-31", "2024-03-31")] {
        let mut f =
            crate::activities::fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", start).await;
        crate::activities::set(&mut f, "end_date", end);
        crate::activities::set(&mut f, "held", "1");
        crate::activities::set(&mut f, "held_on", end);
        crate::activities::set(&mut f, "actual_participants", "30");
        let long = crate::activities::create(&app, &f).await;
        expected += 1;
        let (_, html) = leader
            .get_text("/dashboard?from=2024-03-15&to=2024-03-31")
            .await;
        let name = format!("unit-{phong}-held");
        assert_eq!(figure(&html, &name), Some(expected), "{start}–{end}");
        let (_, list) = leader.get_text(&link(&html, &name)).await;
        assert!(listed(&list).contains(&long), "{start}–{end}: not listed");
        let (_, api) = leader
            .get_text("/api/v1/activities?from=2024-03-15&to=2024-03-31")
            .await;
        assert!(
            api.contains(&format!("\"id\":{long},")),
            "{start}–{end}: not in the API"
        );
        let (_, cal) = leader.get_text("/activities/calendar?month=2024-03").await;
        assert!(
            cal.contains(&format!("/activities/{long}\"")),
            "{start}–{end}: not on the calendar"
        );
    }
    let span = app
        .scalar("SELECT MAX(span_days) AS n FROM activities")
        .await;
    assert_eq!(span, 366);
}

/// Every summary row, as text, in key order.
async fn rollups(app: &TestApp) -> Vec<String> {
    use sea_orm::{FromQueryResult, JsonValue, Statement};
    let mut out = Vec::new();
    for table in [
        "activity_rollups",
        "material_rollups",
        "budget_rollups",
        "coverage_rollups",
        "coverage_years",
    ] {
        let sql = format!("SELECT * FROM {table} ORDER BY 1, 2, 3, 4");
        let stmt = Statement::from_string(app.db.get_database_backend(), sql);
        for row in JsonValue::find_by_statement(stmt)
            .all(&app.db)
            .await
            .unwrap()
        {
            out.push(format!("{table} {row}"));
        }
    }
    out
}

/// The summary rows as the writes left them equal the rows recomputed from scratch.
pub(crate) async fn assert_rollups_exact(app: &TestApp, step: &str) -> Vec<String> {
    let kept = rollups(app).await;
    kehoach::dashboard::rollups::rebuild(&app.db).await.unwrap();
    let rebuilt = rollups(app).await;
    assert_eq!(kept, rebuilt, "after {step}");
    kept
}

async fn post_ok(app: &TestApp, path: &str, fields: &[(&str, &str)]) {
    let r = app.post_form(path, fields).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{path}: {}",
        r.text().await.unwrap()
    );
}

async fn the_summary_rows_follow_every_kind_of_write(app: TestApp) {
    use crate::activities::{create, fields, pairs, set};
    app.login_as("planner").await;
    let phong = unit_id(&app, "PY-TH-HOAPHONG").await;
    let binh = unit_id(&app, "PY-TH-HOABINH1").await;
    let leaflet = app
        .scalar("SELECT id AS n FROM codes WHERE list = 'material_kind' AND code = 'leaflet'")
        .await;
    let source = app
        .scalar("SELECT MIN(id) AS n FROM codes WHERE list = 'funding_source'")
        .await;
    // Scheduled, then held with leaflets and money spent.
    let a = create(
        &app,
        &fields(&app, "PY-TH-HOAPHONG", "TH-VHTT", "2024-05-10").await,
    )
    .await;
    assert_rollups_exact(&app, "a new planned activity").await;
    let (produced, distributed, spent) = (
        format!("material_{leaflet}_produced"),
        format!("material_{leaflet}_distributed"),
        format!("budget_{source}_spent"),
    );
    post_ok(
        &app,
        &format!("/activities/{a}/log"),
        &[
            ("version", "1"),
            ("held_on", "2024-05-10"),
            ("actual_participants", "90"),
            (&produced, "300"),
            (&distributed, "280"),
            (&spent, "1500000"),
        ],
    )
    .await;
    assert_rollups_exact(&app, "logging it held").await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT participants AS n FROM activity_rollups WHERE org_unit_id = {phong} \
             AND status = 'held'"
        ))
        .await,
        90
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT distributed AS n FROM material_rollups WHERE org_unit_id = {phong}"
        ))
        .await,
        280
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT spent AS n FROM budget_rollups WHERE org_unit_id = {phong} AND status = 'held'"
        ))
        .await,
        1_500_000
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activity_rollups WHERE status = 'planned'")
            .await,
        0,
        "the planned row went when it was held"
    );
    // Postponed into the next month: the old month's row goes, the new month's comes.
    let b = create(
        &app,
        &fields(&app, "PY-TH-HOABINH1", "TH-VHTT", "2024-05-28").await,
    )
    .await;
    post_ok(
        &app,
        &format!("/activities/{b}/postpone"),
        &[
            ("version", "1"),
            ("new_start", "2024-06-04"),
            ("reason", "Trùng lịch họp"),
        ],
    )
    .await;
    assert_rollups_exact(&app, "a postponement across months").await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM activity_rollups WHERE org_unit_id = {binh}"
        ))
        .await,
        1,
        "only June is left for Hòa Bình 1"
    );
    // Cancelled: counted as cancelled, its budget no longer.
    post_ok(
        &app,
        &format!("/activities/{b}/cancel"),
        &[("version", "2"), ("reason", "Mưa bão")],
    )
    .await;
    assert_rollups_exact(&app, "a cancellation").await;
    // Edited into another commune and month.
    let c = create(
        &app,
        &fields(&app, "PY-TH-HOAPHONG", "TH-VHTT", "2024-05-20").await,
    )
    .await;
    let mut f = fields(&app, "PY-TH-HOABINH1", "TH-VHTT", "2024-07-01").await;
    set(&mut f, "version", "1");
    post_ok(&app, &format!("/activities/{c}"), &pairs(&f)).await;
    assert_rollups_exact(&app, "an edit to another unit and month").await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM activity_rollups WHERE org_unit_id = {phong} AND status = 'planned'"
        ))
        .await,
        0,
        "the edited activity left Hòa Phong's May"
    );
    // A refused write changes nothing.
    let before = rollups(&app).await;
    let r = app
        .post_form(
            &format!("/activities/{a}/postpone"),
            &[
                ("version", "1"),
                ("new_start", "2024-08-01"),
                ("reason", "x"),
            ],
        )
        .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(rollups(&app).await, before);
}

async fn writers_in_the_same_month_at_once_keep_the_sums_right(app: TestApp) {
    app.login_as("planner").await;
    let phong = unit_id(&app, "PY-TH-HOAPHONG").await;
    let days: Vec<String> = (1..=12).map(|d| format!("2024-04-{d:02}")).collect();
    let mut forms = Vec::new();
    for day in &days {
        forms.push(crate::activities::fields(&app, "PY-TH-HOAPHONG", "TH-VHTT", day).await);
    }
    let bodies: Vec<Vec<(&str, &str)>> =
        forms.iter().map(|f| crate::activities::pairs(f)).collect();
    app.csrf().await;
    let answers =
        futures_util::future::join_all(bodies.iter().map(|b| app.post_form("/activities", b)))
            .await;
    for r in answers {
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(
        app.scalar(&format!(
            "SELECT n FROM activity_rollups WHERE org_unit_id = {phong} AND status = 'planned'"
        ))
        .await,
        12
    );
    assert_rollups_exact(&app, "twelve writers at once").await;
}

async fn a_period_with_ragged_ends_counts_exactly_the_listed_rows(app: TestApp) {
    app.login_as("planner").await;
    let mut inside = BTreeSet::new();
    for (date, counts) in [
        ("2024-01-14", false),
        ("2024-01-15", true),
        ("2024-02-10", true),
        ("2024-02-29", true),
        ("2024-03-20", true),
        ("2024-03-21", false),
    ] {
        let id = held(&app, "PY-TH-HOAPHONG", date, (10, 5, 0, 0)).await;
        if counts {
            inside.insert(id);
        }
    }
    // Two days from the day before the period: it overlaps the period's first day.
    let mut f = crate::activities::fields(&app, "PY-TH-HOAPHONG", "TH-VHTT", "2024-01-14").await;
    crate::activities::set(&mut f, "end_date", "2024-01-15");
    crate::activities::set(&mut f, "held", "1");
    crate::activities::set(&mut f, "held_on", "2024-01-15");
    crate::activities::set(&mut f, "actual_participants", "7");
    inside.insert(crate::activities::create(&app, &f).await);
    let phong = unit_id(&app, "PY-TH-HOAPHONG").await;
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let (_, html) = leader
        .get_text("/dashboard?from=2024-01-15&to=2024-03-20")
        .await;
    let name = format!("unit-{phong}-held");
    assert_eq!(figure(&html, &name), Some(inside.len() as i64));
    assert_eq!(figure(&html, "participants"), Some(4 * 10 + 7));
    let (_, list) = leader.get_text(&link(&html, &name)).await;
    assert_eq!(listed(&list), inside);
    // February alone is one whole month of summary rows.
    let (_, feb) = leader
        .get_text("/dashboard?from=2024-02-01&to=2024-02-29")
        .await;
    assert_eq!(figure(&feb, &name), Some(2));
}

/// The national view reads the country's own summary rows (kept by the difference each write
/// makes): its figures are still the sums of the rows, for whole months and ragged ends alike,
/// and they follow an edit from one month to another.
async fn the_whole_country_is_the_sum_of_its_units(app: TestApp) {
    use crate::activities::{create, fields, pairs, set};
    app.login_as("planner").await;
    let rows = FOUR_HELD;
    let mut ids = Vec::new();
    for (unit, date, p) in rows {
        ids.push(held(&app, unit, date, p).await);
    }
    assert_rollups_exact(&app, "four held activities").await;
    // Item by item, and the totals over all items (item 0).
    for items in ["plan_item_id <> 0", "plan_item_id = 0"] {
        assert_eq!(
            app.scalar(&format!(
                "SELECT CAST(SUM(participants) AS BIGINT) AS n FROM activity_rollups \
                 WHERE org_unit_id = {} AND {items}",
                migration::rollups::COUNTRY
            ))
            .await,
            120 + 1250 + 80 + 500,
            "{items}"
        );
    }
    let phong = unit_id(&app, "PY-TH-HOAPHONG").await;
    let binh = unit_id(&app, "PY-TH-HOABINH1").await;
    let area = app
        .scalar("SELECT id AS n FROM plan_items WHERE area_code = 'communication'")
        .await;
    let admin = app.another_browser();
    admin.login_as("admin").await;
    // (period, held, participants, held in Hòa Phong, held in Hòa Bình 1)
    let cases = [
        ("from=2024-01-01&to=2024-12-31", 3, 1450, 2, 1),
        // Ragged ends: days of March and of June around the whole months April and May.
        ("from=2024-03-05&to=2024-06-01", 3, 1450, 2, 1),
        ("from=2024-03-06&to=2024-05-31", 1, 1250, 1, 0),
        ("from=2023-01-01&to=2024-03-31", 2, 620, 1, 1),
    ];
    for (period, n, people, in_phong, in_binh) in cases {
        let (status, html) = admin.get_text(&format!("/dashboard?{period}")).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert_eq!(figure(&html, "held"), Some(n), "{period}");
        assert_eq!(figure(&html, "participants"), Some(people), "{period}");
        assert_eq!(
            figure(&html, &format!("area-{area}-held")),
            Some(n),
            "{period}"
        );
        assert_eq!(
            figure(&html, &format!("unit-{phong}-held")),
            Some(in_phong),
            "{period}"
        );
        assert_eq!(
            figure(&html, &format!("unit-{binh}-held")),
            Some(in_binh),
            "{period}"
        );
        // What the figure counts is what its link lists.
        let (_, list) = admin.get_text(&link(&html, "held")).await;
        assert_eq!(listed(&list).len() as i64, n, "{period}");
    }
    // The activity of 1 June moved to an item outside the plan in force (a draft plan's): it
    // counts in the totals, under no area of the plan.
    let other = item_of_a_draft_plan(&app).await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!(
            "UPDATE activities SET plan_item_id = {other} WHERE id = {}",
            ids[2]
        ),
    )
    .await
    .unwrap();
    kehoach::dashboard::rollups::rebuild(&app.db).await.unwrap();
    let (_, html) = admin
        .get_text("/dashboard?from=2024-01-01&to=2024-12-31")
        .await;
    assert_eq!(figure(&html, "held"), Some(3));
    assert_eq!(figure(&html, "participants"), Some(1450));
    assert_eq!(figure(&html, &format!("area-{area}-held")), Some(2));
    assert_eq!(figure(&html, &format!("unit-{binh}-held")), Some(1));
    // A year without a plan in force: every item is one of the others.
    let (_, html) = admin
        .get_text("/dashboard?from=2023-01-01&to=2023-12-31")
        .await;
    assert_eq!(figure(&html, "held"), Some(1));
    assert_eq!(figure(&html, "participants"), Some(500));
    assert_eq!(figure(&html, &format!("unit-{binh}-held")), Some(1));
    // A planned activity moved from May to July: the country's May loses it, its July gains it.
    let planned = create(
        &app,
        &fields(&app, "PY-TH-HOAPHONG", "TH-VHTT", "2024-05-20").await,
    )
    .await;
    let scheduled = |html: &str| figure(html, &format!("unit-{phong}-scheduled"));
    let may = "/dashboard?from=2024-05-01&to=2024-05-31";
    let july = "/dashboard?from=2024-07-01&to=2024-07-31";
    assert_eq!(scheduled(&admin.get_text(may).await.1), Some(2));
    let mut f = fields(&app, "PY-TH-HOAPHONG", "TH-VHTT", "2024-07-02").await;
    set(&mut f, "version", "1");
    post_ok(&app, &format!("/activities/{planned}"), &pairs(&f)).await;
    assert_rollups_exact(&app, "an edit into another month").await;
    assert_eq!(scheduled(&admin.get_text(may).await.1), Some(1));
    assert_eq!(scheduled(&admin.get_text(july).await.1), Some(1));
}

/// A copy of the first plan as a draft, with a copy of one of its items; returns the item's id.
async fn item_of_a_draft_plan(app: &TestApp) -> i64 {
    use kehoach::entities::{plan, plan_item};
    use sea_orm::{
        ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, NotSet, QueryFilter, Set,
    };
    let p = plan::Entity::find().one(&app.db).await.unwrap().unwrap();
    let mut draft = p.clone().into_active_model();
    draft.id = NotSet;
    draft.code = Set(format!("{}-NHAP", p.code));
    draft.number = Set(None);
    draft.status = Set("draft".into());
    let draft = draft.insert(&app.db).await.unwrap();
    let item = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(p.id))
        .filter(plan_item::Column::ParentId.is_null())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut copy = item.into_active_model();
    copy.id = NotSet;
    copy.plan_id = Set(draft.id);
    copy.source_item_id = Set(None);
    copy.insert(&app.db).await.unwrap().id
}
