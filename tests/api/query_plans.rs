//! Issue 24: a small unit's pages never walk other units' rows. The database is filled with a
//! few hundred thousand activities of a thousand other units (bulk `INSERT … SELECT`, not the
//! app's writer), then each list query of a commune and of a district is explained: on
//! PostgreSQL `EXPLAIN (ANALYZE, FORMAT JSON)` must show no sequential scan of `activities` and
//! at most a few hundred rows read from it (kept or removed by filter); on SQLite
//! `EXPLAIN QUERY PLAN` must show every read of `activities` as a search on `org_unit_id`.
//! Plans, not timings: these fail if an index or a query shape regresses, however fast the
//! machine. The pages themselves are then read over HTTP, and must list the unit's own rows
//! in order, page after page.

use crate::helpers::{Backend, TestApp};
use chrono::NaiveDate;
use kehoach::activities::repo::{self, Filter};
use kehoach::org_units::scope::Scope;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, FromQueryResult, Statement};

/// Rows of other units, and how many units share them.
const OTHERS: i64 = 200_000;
const OTHER_UNITS: i64 = 1_000;
/// The commune's own rows, all older than anyone else's: a walk by date meets them last.
const OWN: i64 = 120;
/// What a query of the small units may read from `activities`, at most.
const MAX_READ: f64 = 400.0;

async fn id(app: &TestApp, sql: &str) -> i64 {
    app.scalar(sql).await
}

async fn exec(app: &TestApp, sql: &str) {
    app.db
        .execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

/// `n` from 0 to `count - 1`: a recursive CTE on SQLite, `generate_series` on PostgreSQL.
fn series(backend: Backend, count: i64) -> (String, String) {
    match backend {
        Backend::Sqlite => (
            format!(
                "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < {}) ",
                count - 1
            ),
            "s".into(),
        ),
        Backend::Postgres => (
            String::new(),
            format!("generate_series(0, {}) AS s(n)", count - 1),
        ),
    }
}

/// A date `days_expr` days after `base`, on either backend.
fn date_plus(backend: Backend, base: &str, days_expr: &str) -> String {
    match backend {
        Backend::Sqlite => format!("date('{base}', '+' || ({days_expr}) || ' days')"),
        Backend::Postgres => format!("(DATE '{base}' + CAST({days_expr} AS INTEGER))"),
    }
}

/// Inserts `count` activities numbered by `n`: unit `unit_expr`, starting `days_expr` days
/// after `base`, one in eight planned, the rest held.
async fn bulk_activities(app: &TestApp, count: i64, unit_expr: &str, base: &str, days_expr: &str) {
    let b = app.backend;
    let item = id(app, "SELECT MIN(id) AS n FROM plan_items").await;
    let agency = id(app, "SELECT MIN(id) AS n FROM agencies").await;
    let kind = id(
        app,
        "SELECT MIN(id) AS n FROM codes WHERE list = 'activity_type'",
    )
    .await;
    let (with, from) = series(b, count);
    let day = date_plus(b, base, days_expr);
    let sql = format!(
        "{with}INSERT INTO activities (plan_item_id, org_unit_id, agency_id, activity_type_id, \
         title, start_date, end_date, span_days, status, languages, ethnic_minority_outreach, \
         border_outreach, search_text, version, created_at, updated_at) \
         SELECT {item}, {unit_expr}, {agency}, {kind}, 'Tuyên truyền ' || CAST(n AS TEXT), \
         {day}, {day}, 0, CASE WHEN n % 8 = 0 THEN 'planned' ELSE 'held' END, 'vi', \
         FALSE, FALSE, 'tuyen truyen', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM {from}"
    );
    exec(app, &sql).await;
}

/// A thousand units outside Tây Hòa with 200 recent activities each, and the commune's own
/// 120 old ones.
async fn fill(app: &TestApp) -> i64 {
    let b = app.backend;
    let (with, from) = series(b, OTHER_UNITS);
    exec(
        app,
        &format!(
            "{with}INSERT INTO org_units (code, name, kind, ethnic_minority, border_area, \
             created_at, updated_at) SELECT 'OTHER-' || CAST(n AS TEXT), \
             'Xã khác ' || CAST(n AS TEXT), 'commune', FALSE, FALSE, CURRENT_TIMESTAMP, \
             CURRENT_TIMESTAMP FROM {from}"
        ),
    )
    .await;
    let first = id(
        app,
        "SELECT MIN(id) AS n FROM org_units WHERE code LIKE 'OTHER-%'",
    )
    .await;
    bulk_activities(
        app,
        OTHERS,
        &format!("{first} + n % {OTHER_UNITS}"),
        "2022-01-01",
        "n % 900",
    )
    .await;
    let commune = id(
        app,
        "SELECT id AS n FROM org_units WHERE code = 'PY-TH-HOAPHONG'",
    )
    .await;
    bulk_activities(app, OWN, &commune.to_string(), "2020-01-01", "n * 3").await;
    if matches!(b, Backend::Postgres) {
        exec(app, "ANALYZE").await;
    }
    commune
}

#[derive(FromQueryResult)]
struct Detail {
    detail: String,
}

/// Rows each read of `activities` in a PostgreSQL plan took from the table, kept or removed.
fn pg_reads(node: &serde_json::Value, out: &mut Vec<(String, f64)>) {
    let n = |k: &str| node.get(k).and_then(|v| v.as_f64()).unwrap_or(0.0);
    let kind = node["Node Type"].as_str().unwrap_or_default().to_string();
    if node["Relation Name"] == "activities" {
        let read =
            (n("Actual Rows") + n("Rows Removed by Filter") + n("Rows Removed by Index Recheck"))
                * n("Actual Loops").max(1.0);
        out.push((kind, read));
    }
    for child in node["Plans"].as_array().into_iter().flatten() {
        pg_reads(child, out);
    }
}

/// Explains `stmt` and checks that it reads only the small units' rows.
async fn assert_isolated(app: &TestApp, what: &str, stmt: Statement) {
    match app.backend {
        Backend::Sqlite => {
            let plan = Detail::find_by_statement(Statement::from_sql_and_values(
                stmt.db_backend,
                format!("EXPLAIN QUERY PLAN {}", stmt.sql),
                stmt.values.clone().map(|v| v.0).unwrap_or_default(),
            ))
            .all(&app.db)
            .await
            .unwrap();
            let lines: Vec<&str> = plan.iter().map(|d| d.detail.as_str()).collect();
            let reads: Vec<&&str> = lines.iter().filter(|l| l.contains("activities")).collect();
            assert!(
                !reads.is_empty(),
                "{what}: no read of activities in {lines:?}"
            );
            for l in reads {
                assert!(
                    l.starts_with("SEARCH activities USING") && l.contains("(org_unit_id=?"),
                    "{what}: a read of activities not bounded by the unit: {l} (plan {lines:?})"
                );
            }
        }
        Backend::Postgres => {
            // EXPLAIN cannot be a subquery: run it as a statement and read its one JSON row.
            let rows = app
                .db
                .query_all_raw(Statement::from_sql_and_values(
                    stmt.db_backend,
                    format!("EXPLAIN (ANALYZE, FORMAT JSON) {}", stmt.sql),
                    stmt.values.clone().map(|v| v.0).unwrap_or_default(),
                ))
                .await
                .unwrap();
            let json: serde_json::Value = rows[0].try_get_by_index(0).unwrap();
            let mut reads = Vec::new();
            pg_reads(&json[0]["Plan"], &mut reads);
            assert!(!reads.is_empty(), "{what}: no read of activities in {json}");
            let total: f64 = reads.iter().map(|(_, r)| r).sum();
            assert!(
                reads.iter().all(|(k, _)| k != "Seq Scan"),
                "{what}: a sequential scan of activities: {json}"
            );
            assert!(
                total <= MAX_READ,
                "{what}: {total} rows of activities read (at most {MAX_READ}): {json}"
            );
        }
    }
}

async fn query_plans_of_small_units(app: TestApp) {
    let commune = fill(&app).await;
    let others = app
        .scalar("SELECT COUNT(*) FROM activities a JOIN org_units u ON u.id = a.org_unit_id WHERE u.code LIKE 'OTHER-%'")
        .await;
    assert_eq!(others, OTHERS);
    let district = id(&app, "SELECT id AS n FROM org_units WHERE code = 'PY-TH'").await;
    let b = app.db.get_database_backend();
    let longest = repo::longest_span(&app.db).await.unwrap();
    let june = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let july = NaiveDate::from_ymd_opt(2024, 7, 7).unwrap();
    for (who, root) in [("commune", commune), ("district", district)] {
        let scope = Scope::of_unit(&app.db, root).await.unwrap();
        assert!(scope.units.len() < 40, "{who}: {} units", scope.units.len());
        let base = Filter {
            longest_span: Some(longest),
            ..Default::default()
        };
        let filters = [
            ("list", base.clone()),
            (
                "list of a year",
                Filter {
                    from: Some("2020-01-01".into()),
                    to: Some("2020-12-31".into()),
                    ..base.clone()
                },
            ),
            (
                "list of held",
                Filter {
                    status: Some("held".into()),
                    ..base.clone()
                },
            ),
            (
                "list after a cursor",
                Filter {
                    after: Some(format!("2020-06-01_{}", i64::MAX)),
                    ..base.clone()
                },
            ),
            (
                "list of a unit",
                Filter {
                    unit: Some(commune.to_string()),
                    unit_ids: Some(vec![commune]),
                    ..base.clone()
                },
            ),
        ];
        for (what, f) in filters {
            let stmt = b.build(&repo::list_query(&scope, &f, repo::PAGE_SIZE));
            assert_isolated(&app, &format!("{who}: {what}"), stmt).await;
        }
        let cal = b.build(&repo::calendar_query(
            &scope,
            &base,
            june,
            july,
            kehoach::activities::views::CALENDAR_LIMIT,
        ));
        assert_isolated(&app, &format!("{who}: calendar"), cal).await;
        // The home page: the coming month (none of the commune's rows: a walk would be long)
        // and what is left to log.
        let home = repo::home_queries(
            &scope,
            None,
            NaiveDate::from_ymd_opt(2024, 6, 20).unwrap(),
            30,
            20,
        );
        assert_isolated(
            &app,
            &format!("{who}: home, upcoming"),
            b.build(&home.upcoming),
        )
        .await;
        assert_isolated(&app, &format!("{who}: home, to log"), b.build(&home.to_log)).await;
    }

    // Over HTTP: the commune's list is its own rows, newest first, page after page, each
    // once, and nobody else's.
    app.login_as("commune").await;
    let mut seen = Vec::new();
    let mut path = "/activities".to_string();
    for _ in 0..10 {
        let (status, html) = app.get_text(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!html.contains("Xã khác"), "no other unit's row on {path}");
        // The cards (the desktop table shows the same rows again).
        let cards = html.find("class=\"act-list\"").map_or("", |at| &html[at..]);
        let mut rest = cards;
        while let Some(at) = rest.find("Tuyên truyền ") {
            rest = &rest[at + "Tuyên truyền ".len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse::<i64>() {
                seen.push(n);
            }
        }
        // The next page's button (the language links repeat the current page's cursor).
        const NEXT: &str = "href=\"/activities?after=";
        match html.find(NEXT) {
            Some(at) => {
                let cursor: String = html[at + NEXT.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                path = format!("/activities?after={cursor}");
            }
            None => break,
        }
    }
    let expected: Vec<i64> = (0..OWN).rev().collect();
    assert_eq!(
        seen, expected,
        "the commune's own rows, newest first, once each"
    );

    // The national dashboard's "Cần chú ý" counts what is left to log up to a cap (25,000
    // planned rows are over here), instead of counting the whole country's.
    let admin = app.another_browser();
    admin.login_as("admin").await;
    let (status, html) = admin.get_text("/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("{}+ ", repo::TO_LOG_CAP)),
        "the capped count on the dashboard"
    );
}

crate::db_tests!(query_plans_of_small_units);
