//! Victim-support statistics over real HTTP: entry and its rules, the legal-basis switch on
//! 1 July 2025, suppression for every role on screen, in the API and in the export (the
//! subtraction attack included), scope, locks, the audit log and the schema guard.

use crate::db_tests;
use crate::helpers::{Backend, TestApp};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;

db_tests!(
    a_commune_officer_enters_a_month_and_finds_it_again,
    invalid_figures_answer_422_with_their_messages_and_write_nothing,
    the_support_types_follow_the_law_in_force_for_the_month,
    small_counts_are_exact_for_the_compiler_and_hidden_for_everyone_else,
    the_subtraction_attack_finds_nothing_on_screen_in_the_api_or_in_the_export,
    a_commune_officer_cannot_see_or_write_another_communes_figures,
    views_and_exports_are_written_to_the_audit_log,
    the_schema_holds_no_text_about_anyone,
    a_locked_month_refuses_writes_until_the_compiler_reopens_it,
    the_demo_figures_load_once_and_satisfy_the_rules,
);

const READERS: [&str; 4] = ["leader", "planner", "partner", "commune"];

async fn code(app: &TestApp, list: &str, code: &str) -> String {
    app.scalar(&format!(
        "SELECT id AS n FROM codes WHERE list = '{list}' AND code = '{code}'"
    ))
    .await
    .to_string()
}

pub(crate) async fn unit(app: &TestApp, code: &str) -> String {
    app.scalar(&format!(
        "SELECT id AS n FROM org_units WHERE code = '{code}'"
    ))
    .await
    .to_string()
}

async fn user_id(app: &TestApp, role: &str) -> i64 {
    app.scalar(&format!(
        "SELECT id AS n FROM users WHERE email = '{role}@kehoach.demo'"
    ))
    .await
}

/// A group of persons received: (sex, age band, purpose, manner, where, persons).
type Line<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, i64);

/// The form fields of a month: received lines, then any other field as given.
pub(crate) async fn fields(
    app: &TestApp,
    unit_id: &str,
    month: &str,
    lines: &[Line<'_>],
    other: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = vec![
        ("unit".into(), unit_id.into()),
        ("month".into(), month.into()),
        ("lines".into(), lines.len().to_string()),
    ];
    for (i, (sex, age, purpose, manner, place, n)) in lines.iter().enumerate() {
        for (name, list, c) in [
            ("sex", "sex", sex),
            ("age", "age_band", age),
            ("purpose", "trafficking_purpose", purpose),
            ("manner", "return_manner", manner),
            ("where", "trafficked_to", place),
        ] {
            f.push((format!("r{i}_{name}"), code(app, list, c).await));
        }
        f.push((format!("r{i}_persons"), n.to_string()));
    }
    for (k, v) in other {
        f.push(((*k).into(), (*v).into()));
    }
    f
}

async fn post(app: &TestApp, path: &str, f: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post_form(path, &pairs).await
}

/// Enters a month as the signed-in user and insists it was saved.
pub(crate) async fn enter(app: &TestApp, f: &[(String, String)]) {
    let r = post(app, "/stats/entry", f).await;
    let status = r.status();
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
}

async fn api(app: &TestApp, query: &str) -> (StatusCode, Value) {
    let r = app.get(&format!("/api/v1/support-stats?{query}")).await;
    let status = r.status();
    (status, r.json().await.unwrap())
}

/// A figure as a reader sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cell {
    N(i64),
    Hidden,
}

fn cell_of_json(v: &Value) -> Cell {
    match v {
        Value::Number(n) => Cell::N(n.as_i64().unwrap()),
        Value::String(s) if s == "x" => Cell::Hidden,
        other => panic!("a figure is a number or \"x\", not {other}"),
    }
}

fn cell_of_text(s: &str) -> Cell {
    let s = s.trim();
    if s.contains("class=\"hidden-cell\">x<") || s == "x" {
        Cell::Hidden
    } else {
        Cell::N(
            s.replace('.', "")
                .parse()
                .unwrap_or_else(|_| panic!("figure {s:?}")),
        )
    }
}

/// A table as a grid with its totals: rows (each with its total unless a list), then the
/// total row.
fn grid_of_json(t: &Value) -> Vec<Vec<Cell>> {
    let list = t["list"].as_bool().unwrap();
    let mut g: Vec<Vec<Cell>> = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut row: Vec<Cell> = r["cells"]
                .as_array()
                .unwrap()
                .iter()
                .map(cell_of_json)
                .collect();
            if !list {
                row.push(cell_of_json(&r["total"]));
            }
            row
        })
        .collect();
    let mut last: Vec<Cell> = t["col_totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(cell_of_json)
        .collect();
    if !list {
        last.push(cell_of_json(&t["total"]));
    }
    g.push(last);
    g
}

/// The numeric cells of an HTML table, row by row (body and total row).
fn grid_of_html(html: &str, id: &str) -> Vec<Vec<Cell>> {
    let start = html
        .find(&format!("id=\"t-{id}\""))
        .unwrap_or_else(|| panic!("table {id} on the page"));
    let end = start + html[start..].find("</table>").unwrap();
    html[start..end]
        .split("<tr>")
        .skip(1)
        .map(|tr| {
            tr.split("<td class=\"num\">")
                .skip(1)
                .map(|td| {
                    let inner = &td[..td.find("</td>").unwrap()];
                    let text = inner
                        .replace("<span class=\"hidden-cell\">", "")
                        .replace("</span>", "");
                    cell_of_text(&text)
                })
                .collect::<Vec<Cell>>()
        })
        .filter(|row| !row.is_empty())
        .collect()
}

/// The rule every protected table satisfies: no count from 1 to 4 in sight, and no line (a row
/// with its total, a column with its total) with exactly one hidden figure, which a total minus
/// the visible cells would give away.
fn assert_protected(grid: &[Vec<Cell>], what: &str) {
    for row in grid {
        for c in row {
            if let Cell::N(n) = c {
                assert!(!(1..5).contains(n), "{what}: {n} is shown in {grid:?}");
            }
        }
        if row.len() > 1 {
            let hidden = row.iter().filter(|c| **c == Cell::Hidden).count();
            assert_ne!(
                hidden, 1,
                "{what}: a row gives its hidden cell away: {grid:?}"
            );
        }
    }
    let width = grid.iter().map(Vec::len).max().unwrap_or(0);
    for j in 0..width {
        let col: Vec<Cell> = grid.iter().filter_map(|r| r.get(j).copied()).collect();
        let hidden = col.iter().filter(|c| **c == Cell::Hidden).count();
        assert_ne!(
            hidden, 1,
            "{what}: column {j} gives its hidden cell away: {grid:?}"
        );
    }
}

/// Every table of an API report.
fn tables_of(report: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for key in ["received", "support"] {
        for t in report[key].as_array().unwrap() {
            out.push((t["id"].as_str().unwrap().to_owned(), t));
        }
    }
    out.push(("referrals".into(), &report["referrals"]));
    if !report["by_unit"].is_null() {
        out.push(("by_unit".into(), &report["by_unit"]));
    }
    out
}

/// One table of a CSV export: its rows and columns in the order they appear, and its figures.
#[derive(Default)]
struct CsvTable {
    name: String,
    rows: Vec<String>,
    cols: Vec<String>,
    cells: Vec<(String, String, Cell)>,
}

/// A CSV export read back as one grid per table.
fn grids_of_csv(csv: &str) -> Vec<(String, Vec<Vec<Cell>>)> {
    let mut tables: Vec<CsvTable> = Vec::new();
    for line in csv.trim_start_matches('\u{feff}').lines().skip(1) {
        let fields = split_csv(line);
        let [table, row, col, value] = &fields[..] else {
            panic!("CSV line {line}")
        };
        if col.is_empty() {
            continue; // the summary
        }
        if !tables.iter().any(|t| &t.name == table) {
            tables.push(CsvTable {
                name: table.clone(),
                ..Default::default()
            });
        }
        let t = tables.iter_mut().find(|t| &t.name == table).unwrap();
        if !t.rows.contains(row) {
            t.rows.push(row.clone());
        }
        if !t.cols.contains(col) {
            t.cols.push(col.clone());
        }
        t.cells
            .push((row.clone(), col.clone(), cell_of_text(value)));
    }
    tables
        .into_iter()
        .map(|t| {
            let grid = t
                .rows
                .iter()
                .map(|r| {
                    t.cols
                        .iter()
                        .filter_map(|c| {
                            t.cells
                                .iter()
                                .find(|(a, b, _)| a == r && b == c)
                                .map(|x| x.2)
                        })
                        .collect()
                })
                .collect();
            (t.name, grid)
        })
        .collect()
}

fn split_csv(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    out
}

async fn a_commune_officer_enters_a_month_and_finds_it_again(app: TestApp) {
    app.login_as("commune").await;
    let hp = unit(&app, "PY-TH-HOAPHONG").await;
    let (status, form) = app.get_text("/stats/entry?month=2024-05").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Xã Hòa Phong"));
    assert!(form.contains("inputmode=\"numeric\""));
    assert!(form.contains("name=\"carried_over\" type=\"text\" inputmode=\"numeric\" autocomplete=\"off\" value=\"0\""), "zeros by default");
    assert!(form.contains("/static/running-totals.js"));
    assert!(
        !form.contains("<table"),
        "stacked fields, no table to scroll on a phone"
    );
    let essential = code(&app, "support_type", "2011_essential").await;
    let shelter = code(&app, "referral_destination", "social_protection").await;
    let support_field = format!("support_{essential}");
    let referral_field = format!("referral_{shelter}");
    let f = fields(
        &app,
        &hp,
        "2024-05",
        &[("female", "18-29", "marriage", "handed_over", "abroad", 2)],
        &[
            ("carried_over", "1"),
            (&support_field, "3"),
            (&referral_field, "2"),
            ("hotline_received", "4"),
            ("hotline_handled", "3"),
            ("hotline_referred", "1"),
            ("loans_count", "1"),
            ("loans_amount", "30.000.000"),
        ],
    )
    .await;
    enter(&app, &f).await;
    assert_eq!(
        app.scalar("SELECT persons AS n FROM support_stat_received")
            .await,
        2
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM support_stat_months WHERE org_unit_id = {hp} AND year_month = 202405 \
             AND carried_over = 1 AND loans_amount = 30000000 AND hotline_handled = 3"
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT persons AS n FROM support_stat_support WHERE support_type_id = {essential}"
        ))
        .await,
        3
    );
    let commune = user_id(&app, "commune").await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'support_stats:save' AND user_id = {commune}"
        ))
        .await,
        1
    );
    let (_, again) = app.get_text("/stats/entry?month=2024-05").await;
    assert!(again.contains("Đã lưu."));
    assert!(again.contains("value=\"30000000\""));
    assert!(again.contains(&format!("name=\"{support_field}\" type=\"text\" inputmode=\"numeric\" autocomplete=\"off\" value=\"3\"")));
    // Saving again replaces the month, it does not add to it.
    let f = fields(
        &app,
        &hp,
        "2024-05",
        &[("male", "30-49", "forced_labour", "self", "abroad", 6)],
        &[],
    )
    .await;
    enter(&app, &f).await;
    assert_eq!(app.count("support_stat_received").await, 1);
    assert_eq!(app.count("support_stat_support").await, 0);
    assert_eq!(
        app.scalar("SELECT persons AS n FROM support_stat_received")
            .await,
        6
    );
    assert_eq!(
        app.scalar("SELECT loans_amount AS n FROM support_stat_months")
            .await,
        0
    );
}

async fn invalid_figures_answer_422_with_their_messages_and_write_nothing(app: TestApp) {
    app.login_as("commune").await;
    let hp = unit(&app, "PY-TH-HOAPHONG").await;
    let essential = code(&app, "support_type", "2011_essential").await;
    let shelter = code(&app, "referral_destination", "social_protection").await;
    let support_field = format!("support_{essential}");
    let referral_field = format!("referral_{shelter}");
    let mut f = fields(
        &app,
        &hp,
        "2024-05",
        &[("female", "18-29", "marriage", "handed_over", "abroad", 2)],
        &[
            (&support_field, "5"),
            (&referral_field, "-1"),
            ("hotline_received", "ba"),
            ("loans_amount", "5.000.000"),
        ],
    )
    .await;
    // A second line with persons but no sex.
    f.retain(|(k, _)| k != "lines");
    f.push(("lines".into(), "2".into()));
    f.push(("r1_persons".into(), "1".into()));
    f.push(("r1_sex".into(), String::new()));
    for name in ["age", "purpose", "manner", "where"] {
        let (_, v) = f
            .iter()
            .find(|(k, _)| *k == format!("r0_{name}"))
            .unwrap()
            .clone();
        f.push((format!("r1_{name}"), v));
    }
    let r = post(&app, "/stats/entry", &f).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    for message in [
        "Không được lớn hơn số người được tiếp nhận cộng số người đang hỗ trợ từ trước.",
        "Số không được âm.",
        "Vui lòng nhập một số nguyên.",
        "Có số tiền vay thì phải có số người được vay.",
        "Dòng có số người thì phải chọn đủ các tiêu chí.",
    ] {
        assert!(page.contains(message), "{message}");
    }
    // What was typed is shown again, next to its message.
    assert!(page.contains("value=\"ba\""));
    assert!(page.contains("value=\"-1\""));
    assert!(page.contains("value=\"5.000.000\""));
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"e-r1_sex\""));
    for table in [
        "support_stat_months",
        "support_stat_received",
        "support_stat_support",
    ] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'support_stats:save'")
            .await,
        0
    );
    // A month that has not started cannot be entered.
    let f = fields(&app, &hp, "2024-07", &[], &[("hotline_received", "1")]).await;
    let r = post(&app, "/stats/entry", &f).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Tháng này chưa bắt đầu"));
    assert_eq!(app.count("support_stat_months").await, 0);
}

async fn the_support_types_follow_the_law_in_force_for_the_month(app: TestApp) {
    // Move the clock past the change of law: 10 August 2025.
    app.clock.advance(chrono::Duration::days(416));
    app.login_as("compiler").await;
    let hp = unit(&app, "PY-TH-HOAPHONG").await;
    let old: Vec<String> = support_type_ids(&app, "2011_").await;
    let new: Vec<String> = support_type_ids(&app, "2024_").await;
    assert_eq!((old.len(), new.len()), (6, 10));
    let (_, june) = app
        .get_text(&format!("/stats/entry?unit={hp}&month=2025-06"))
        .await;
    let (_, july) = app
        .get_text(&format!("/stats/entry?unit={hp}&month=2025-07"))
        .await;
    for id in &old {
        assert!(june.contains(&format!("name=\"support_{id}\"")));
        assert!(!july.contains(&format!("name=\"support_{id}\"")));
    }
    for id in &new {
        assert!(july.contains(&format!("name=\"support_{id}\"")));
        assert!(!june.contains(&format!("name=\"support_{id}\"")));
    }
    assert!(june.contains("Luật Phòng, chống mua bán người 2011, Điều 32"));
    assert!(july.contains("Luật Phòng, chống mua bán người số 53/2024/QH15, Điều 37"));
    // A 2024-law type in a June 2025 month is refused.
    let line = [("female", "18-29", "sexual", "rescued", "abroad", 2)];
    let new_field = format!("support_{}", new[0]);
    let f = fields(&app, &hp, "2025-06", &line, &[(&new_field, "1")]).await;
    let r = post(&app, "/stats/entry", &f).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Loại hỗ trợ này không thuộc luật áp dụng cho tháng đang nhập.")
    );
    assert_eq!(app.count("support_stat_months").await, 0);
    // Each month with its own law; a period across both shows them apart.
    let old_field = format!("support_{}", old[0]);
    let f = fields(&app, &hp, "2025-06", &line, &[(&old_field, "2")]).await;
    enter(&app, &f).await;
    let f = fields(&app, &hp, "2025-07", &line, &[(&new_field, "2")]).await;
    enter(&app, &f).await;
    let (_, page) = app
        .get_text(&format!("/stats?unit={hp}&from=2025-06&to=2025-07"))
        .await;
    assert!(page.contains("Kỳ này gồm các tháng thuộc hai luật khác nhau"));
    assert!(page.contains("id=\"t-support_0\"") && page.contains("id=\"t-support_1\""));
    assert!(page.contains("(áp dụng đến 30/06/2025)"));
    assert!(page.contains("(áp dụng từ 01/07/2025)"));
    let (_, report) = api(&app, &format!("unit={hp}&from=2025-06&to=2025-07")).await;
    assert_eq!(report["laws_split"], true);
    let support = report["support"].as_array().unwrap();
    assert_eq!(support.len(), 2);
    assert_eq!(support[0]["rows"].as_array().unwrap().len(), 6);
    assert_eq!(support[1]["rows"].as_array().unwrap().len(), 10);
    assert_eq!(
        (support[0]["total"].clone(), support[1]["total"].clone()),
        (2.into(), 2.into())
    );
    // A period within one law shows one list.
    let (_, report) = api(&app, &format!("unit={hp}&from=2025-07&to=2025-07")).await;
    assert_eq!(report["laws_split"], false);
}

/// The ids of the support types whose code starts with `prefix`.
async fn support_type_ids(app: &TestApp, prefix: &str) -> Vec<String> {
    let stmt = Statement::from_string(
        app.db.get_database_backend(),
        format!(
            "SELECT id FROM codes WHERE list = 'support_type' AND code LIKE '{prefix}%' ORDER BY position"
        ),
    );
    app.db
        .query_all_raw(stmt)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<i64>("", "id").unwrap().to_string())
        .collect()
}

/// Hòa Phong, May 2024: a 16–17-year-old girl, then larger groups; hotline figures large
/// enough that any 1–4 in an export can only be a leak.
pub async fn enter_small_and_large(app: &TestApp) -> String {
    app.login_as("compiler").await;
    let hp = unit(app, "PY-TH-HOAPHONG").await;
    let f = fields(
        app,
        &hp,
        "2024-05",
        &[
            ("female", "16-17", "sexual", "rescued", "abroad", 2),
            ("male", "18-29", "forced_labour", "self", "abroad", 30),
            ("female", "18-29", "forced_labour", "self", "abroad", 25),
        ],
        &[
            ("hotline_received", "7"),
            ("hotline_handled", "6"),
            ("hotline_referred", "5"),
        ],
    )
    .await;
    enter(app, &f).await;
    hp
}

async fn small_counts_are_exact_for_the_compiler_and_hidden_for_everyone_else(app: TestApp) {
    let hp = enter_small_and_large(&app).await;
    let q = format!("unit={hp}&month=2024-05");
    // The compiling office sees the 2 and the fully crossed detail.
    let (_, page) = app.get_text(&format!("/stats?{q}")).await;
    let grid = grid_of_html(&page, "age_sex");
    assert_eq!(grid[2][1], Cell::N(2), "16–17, female");
    assert!(!page.contains("class=\"hidden-cell\""));
    assert!(page.contains("id=\"t-detail\""));
    let (_, report) = api(&app, &q).await;
    assert_eq!(report["exact"], true);
    assert_eq!(report["received"][0]["rows"][2]["cells"][1], 2);
    assert!(report["detail"].is_array());
    for role in READERS {
        let browser = app.another_browser();
        browser.login_as(role).await;
        let (status, page) = browser.get_text(&format!("/stats?{q}")).await;
        assert_eq!(status, StatusCode::OK, "{role}");
        assert!(page.contains("class=\"hidden-cell\">x<"), "{role} sees x");
        assert!(
            !page.contains("id=\"t-detail\""),
            "{role} sees no crossed detail"
        );
        let grid = grid_of_html(&page, "age_sex");
        assert_eq!(grid[2][1], Cell::Hidden, "{role}");
        assert_protected(&grid, role);
        let (status, report) = api(&browser, &q).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(report["exact"], false, "{role}");
        assert_eq!(report["received"][0]["rows"][2]["cells"][1], "x", "{role}");
        assert!(report["detail"].is_null());
        let r = browser.get(&format!("/stats/export?{q}")).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let csv = r.text().await.unwrap();
        assert!(csv.contains(",x"), "{role}: the export hides too");
        for line in csv.lines().skip(1) {
            let value = split_csv(line).pop().unwrap();
            if let Ok(n) = value.parse::<i64>() {
                assert!(!(1..5).contains(&n), "{role}: {line}");
            }
        }
    }
    // The administrator has no business reading victim figures.
    let admin = app.another_browser();
    admin.login_as("admin").await;
    assert_eq!(
        admin.get(&format!("/stats?{q}")).await.status(),
        StatusCode::FORBIDDEN
    );
    let (status, _) = api(&admin, &q).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn the_subtraction_attack_finds_nothing_on_screen_in_the_api_or_in_the_export(app: TestApp) {
    app.login_as("compiler").await;
    let hp = unit(&app, "PY-TH-HOAPHONG").await;
    let ht = unit(&app, "PY-TH-HOATHINH").await;
    let district = unit(&app, "PY-TH").await;
    let essential = code(&app, "support_type", "2011_essential").await;
    let medical = code(&app, "support_type", "2011_medical").await;
    let (ess, med) = (format!("support_{essential}"), format!("support_{medical}"));
    // One row with a 2 among large figures: the naive rule would hide the 2 and show 40 and
    // the row total 42, and 42 − 40 = 2. The support list has the same shape.
    let f = fields(
        &app,
        &hp,
        "2024-05",
        &[
            ("female", "18-29", "marriage", "handed_over", "abroad", 2),
            ("male", "18-29", "forced_labour", "self", "abroad", 40),
            ("male", "30-49", "forced_labour", "rescued", "abroad", 35),
            ("female", "30-49", "forced_labour", "rescued", "abroad", 20),
        ],
        &[(&ess, "3"), (&med, "60"), ("hotline_received", "9")],
    )
    .await;
    enter(&app, &f).await;
    let f = fields(
        &app,
        &ht,
        "2024-05",
        &[("male", "30-49", "forced_labour", "self", "domestic", 12)],
        &[],
    )
    .await;
    enter(&app, &f).await;
    let leader = app.another_browser();
    leader.login_as("leader").await;
    for u in [&hp, &district] {
        let q = format!("unit={u}&month=2024-05");
        let (_, report) = api(&leader, &q).await;
        let tables = tables_of(&report);
        assert!(tables.len() >= 5);
        for (id, t) in &tables {
            assert_protected(&grid_of_json(t), &format!("API {id}"));
        }
        let (_, page) = leader.get_text(&format!("/stats?{q}")).await;
        for (id, _) in &tables {
            assert_protected(&grid_of_html(&page, id), &format!("page {id}"));
        }
        let csv = leader
            .get(&format!("/stats/export?{q}"))
            .await
            .text()
            .await
            .unwrap();
        let grids = grids_of_csv(&csv);
        assert_eq!(grids.len(), tables.len());
        for (name, g) in &grids {
            assert_protected(g, &format!("CSV {name}"));
        }
        // The attack itself, on the 18–29 row: its total minus its visible cells.
        let row = &grid_of_json(tables[0].1)[3];
        let hidden = row.iter().filter(|c| **c == Cell::Hidden).count();
        assert!(hidden >= 2, "{row:?}");
    }
    // The district view has a row per commune and keeps the commune's 2 out of reach too.
    let (_, report) = api(&leader, &format!("unit={district}&month=2024-05")).await;
    assert!(report["by_unit"]["rows"].as_array().unwrap().len() >= 2);
    // The compiling office still sees every figure as it is.
    let (_, exact) = api(&app, &format!("unit={hp}&month=2024-05")).await;
    assert_eq!(
        exact["received"][0]["rows"][3]["cells"],
        serde_json::json!([40, 2, 0])
    );
}

async fn a_commune_officer_cannot_see_or_write_another_communes_figures(app: TestApp) {
    app.login_as("compiler").await;
    let ht = unit(&app, "PY-TH-HOATHINH").await;
    let district = unit(&app, "PY-TH").await;
    let line = [("male", "30-49", "forced_labour", "self", "domestic", 12)];
    let f = fields(&app, &ht, "2024-05", &line, &[]).await;
    enter(&app, &f).await;
    let commune = app.another_browser();
    commune.login_as("commune").await;
    for path in [
        format!("/stats?unit={ht}&month=2024-05"),
        format!("/stats/trend?unit={ht}"),
        format!("/stats/export?unit={ht}&month=2024-05"),
        format!("/stats/entry?unit={ht}&month=2024-05"),
        format!("/stats?unit={district}"),
    ] {
        assert_eq!(
            commune.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let (status, body) = api(&commune, &format!("unit={ht}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"]["message"].is_string());
    let before = app
        .scalar("SELECT persons AS n FROM support_stat_received")
        .await;
    for target in [&ht, &district] {
        let f = fields(
            &commune,
            target,
            "2024-05",
            &[("female", "18-29", "sexual", "self", "abroad", 1)],
            &[],
        )
        .await;
        let r = post(&commune, "/stats/entry", &f).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(app.count("support_stat_received").await, 1);
    assert_eq!(
        app.scalar("SELECT persons AS n FROM support_stat_received")
            .await,
        before
    );
    assert_eq!(app.count("support_stat_months").await, 1);
    // A planner reads but does not enter.
    let planner = app.another_browser();
    planner.login_as("planner").await;
    assert_eq!(
        planner.get("/stats/entry").await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn views_and_exports_are_written_to_the_audit_log(app: TestApp) {
    let hp = enter_small_and_large(&app).await;
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let q = format!("unit={hp}&from=2024-01&to=2024-06");
    let r = leader.get(&format!("/stats?{q}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["cache-control"],
        "no-store",
        "not kept in caches"
    );
    assert_eq!(
        leader.get(&format!("/stats/trend?{q}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(api(&leader, &q).await.0, StatusCode::OK);
    assert_eq!(
        leader.get(&format!("/stats/export?{q}")).await.status(),
        StatusCode::OK
    );
    let id = user_id(&app, "leader").await;
    let count = |action: &str| {
        format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = '{action}' AND user_id = {id} AND org_unit_id = {hp}"
        )
    };
    assert_eq!(app.scalar(&count("support_stats:view")).await, 3);
    assert_eq!(app.scalar(&count("support_stats:export")).await, 1);
    let stmt = Statement::from_string(
        app.db.get_database_backend(),
        format!(
            "SELECT change FROM audit_events WHERE action = 'support_stats:export' AND user_id = {id}"
        ),
    );
    let row = app.db.query_one_raw(stmt).await.unwrap().unwrap();
    let change: Value =
        serde_json::from_str(&row.try_get::<String>("", "change").unwrap()).unwrap();
    assert_eq!(change["exact"], false);
    assert_eq!(change["from"], "2024-01");
    // A refused request is not a view: the API answers 422 in its error shape, nothing logged.
    let (status, body) = api(&leader, "from=2024-13&to=2024-02").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"]["fields"]["from"],
        "Tháng không hợp lệ (mm/yyyy)."
    );
    let (status, body) = api(&leader, "from=2024-06&to=2024-02").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["to"].is_string());
    assert_eq!(app.scalar(&count("support_stats:view")).await, 3);
    // The page shows the same mistake next to the field.
    let (status, page) = leader.get_text("/stats?from=2024-13").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Tháng không hợp lệ (mm/yyyy)."));
}

/// Why a column may not be in a victim-statistics table, if it may not.
fn refusal(name: &str, kind: &str) -> Option<String> {
    const NAMES: [&str; 16] = [
        "name",
        "birth",
        "dob",
        "address",
        "phone",
        "mobile",
        "email",
        "id_number",
        "identity",
        "cccd",
        "cmnd",
        "passport",
        "note",
        "comment",
        "description",
        "text",
    ];
    if let Some(bad) = NAMES.iter().find(|n| name.contains(*n)) {
        return Some(format!("{name}: named like personal data ({bad})"));
    }
    let kind = kind.to_lowercase();
    let integer = kind.contains("int");
    // The only non-integers: when a row was written, and when the month was locked.
    let timestamp = (kind.contains("timestamp") || kind.contains("datetime"))
        && ["created_at", "updated_at", "locked_at"].contains(&name);
    (!integer && !timestamp).then(|| format!("{name}: type {kind} can hold text"))
}

async fn the_schema_holds_no_text_about_anyone(app: TestApp) {
    // The guard itself refuses what it must.
    assert!(refusal("victim_name", "bigint").is_some());
    assert!(refusal("id_number", "bigint").is_some());
    assert!(refusal("notes", "text").is_some());
    assert!(refusal("case_summary", "varchar").is_some());
    assert!(refusal("born_on", "date").is_some());
    assert!(refusal("persons", "bigint").is_none());
    let backend = app.db.get_database_backend();
    let rows = |sql: String| {
        let db = app.db.clone();
        async move {
            db.query_all_raw(Statement::from_string(backend, sql))
                .await
                .unwrap()
        }
    };
    let tables: Vec<String> = match app.backend {
        Backend::Sqlite => rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'support_stat%'".into()).await,
        Backend::Postgres => rows("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'support_stat%'".into()).await,
    }
    .iter()
    .map(|r| r.try_get::<String>("", "name").unwrap())
    .collect();
    for expected in [
        "support_stat_months",
        "support_stat_received",
        "support_stat_support",
        "support_stat_referrals",
    ] {
        assert!(
            tables.contains(&expected.to_owned()),
            "{expected} in {tables:?}"
        );
    }
    let mut problems = Vec::new();
    for t in &tables {
        let (columns, foreign): (Vec<(String, String)>, Vec<String>) = match app.backend {
            Backend::Sqlite => (
                rows(format!("SELECT name, type FROM pragma_table_info('{t}')")).await
                    .iter()
                    .map(|r| (r.try_get("", "name").unwrap(), r.try_get("", "type").unwrap()))
                    .collect(),
                rows(format!("SELECT \"from\" AS name FROM pragma_foreign_key_list('{t}')")).await
                    .iter()
                    .map(|r| r.try_get("", "name").unwrap())
                    .collect(),
            ),
            Backend::Postgres => (
                rows(format!("SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{t}'")).await
                    .iter()
                    .map(|r| (r.try_get("", "name").unwrap(), r.try_get("", "type").unwrap()))
                    .collect(),
                rows(format!("SELECT k.column_name AS name FROM information_schema.table_constraints c JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema WHERE c.constraint_type = 'FOREIGN KEY' AND c.table_schema = current_schema() AND c.table_name = '{t}'")).await
                    .iter()
                    .map(|r| r.try_get("", "name").unwrap())
                    .collect(),
            ),
        };
        assert!(columns.len() > 3, "{t}: {columns:?}");
        for (name, kind) in &columns {
            if let Some(p) = refusal(name, kind) {
                problems.push(format!("{t}.{p}"));
            }
            // An integer that is not a count must point somewhere: an id column that is not a
            // foreign key could hold an ID-card number.
            let reference = name.ends_with("_id") || name.ends_with("_by");
            if reference && !foreign.contains(name) {
                problems.push(format!("{t}.{name}: not a foreign key"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

async fn a_locked_month_refuses_writes_until_the_compiler_reopens_it(app: TestApp) {
    app.login_as("commune").await;
    let hp = unit(&app, "PY-TH-HOAPHONG").await;
    let line = [("female", "18-29", "marriage", "handed_over", "abroad", 2)];
    let f = fields(&app, &hp, "2024-04", &line, &[]).await;
    enter(&app, &f).await;
    // The report covering April is approved: the reporting feature will call this.
    let april = kehoach::support_stats::period::YearMonth::new(2024, 4).unwrap();
    kehoach::support_stats::service::lock_month(
        &app.db,
        hp.parse().unwrap(),
        april,
        None,
        app.clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'support_stats:lock'")
            .await,
        1
    );
    let changed = fields(
        &app,
        &hp,
        "2024-04",
        &[("male", "30-49", "forced_labour", "self", "abroad", 9)],
        &[],
    )
    .await;
    let r = post(&app, "/stats/entry", &changed).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("Tháng này đã khóa"));
    assert_eq!(
        app.scalar("SELECT persons AS n FROM support_stat_received")
            .await,
        2
    );
    let (_, form) = app.get_text("/stats/entry?month=2024-04").await;
    assert!(form.contains("Tháng này đã khóa từ"));
    assert!(
        !form.contains("action=\"/stats/reopen\""),
        "only the compiling office reopens"
    );
    let r = app
        .post_form(
            "/stats/reopen",
            &[("unit", &hp), ("month", "2024-04"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let compiler = app.another_browser();
    compiler.login_as("compiler").await;
    let (_, form) = compiler
        .get_text(&format!("/stats/entry?unit={hp}&month=2024-04"))
        .await;
    assert!(form.contains("action=\"/stats/reopen\""));
    let r = compiler
        .post_form(
            "/stats/reopen",
            &[("unit", &hp), ("month", "2024-04"), ("reason", " ")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Vui lòng ghi lý do mở lại.")
    );
    let reason = "Xã báo cáo nhầm nhóm tuổi, cần sửa lại";
    let r = compiler
        .post_form(
            "/stats/reopen",
            &[("unit", &hp), ("month", "2024-04"), ("reason", reason)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM support_stat_months WHERE locked_at IS NOT NULL")
            .await,
        0
    );
    let compiler_id = user_id(&app, "compiler").await;
    let stmt = Statement::from_string(
        app.db.get_database_backend(),
        format!(
            "SELECT change FROM audit_events WHERE action = 'support_stats:reopen' AND user_id = {compiler_id}"
        ),
    );
    let row = app
        .db
        .query_one_raw(stmt)
        .await
        .unwrap()
        .expect("the reopening is audited");
    let change: Value =
        serde_json::from_str(&row.try_get::<String>("", "change").unwrap()).unwrap();
    assert_eq!(change["reason"], reason);
    assert_eq!(change["month"], "2024-04");
    enter(&app, &changed).await;
    assert_eq!(
        app.scalar("SELECT persons AS n FROM support_stat_received")
            .await,
        9
    );
}

async fn the_demo_figures_load_once_and_satisfy_the_rules(app: TestApp) {
    let now = app.clock.now();
    let months = kehoach::support_stats::demo_support_stats(&app.db, now)
        .await
        .unwrap();
    assert!(months > 12);
    assert_eq!(
        kehoach::support_stats::demo_support_stats(&app.db, now)
            .await
            .unwrap(),
        0
    );
    assert!(
        app.scalar("SELECT SUM(persons) AS n FROM support_stat_received")
            .await
            > 10
    );
    // Every demo month passes the rules an officer's entry must pass.
    use kehoach::entities::support_stat_month;
    use sea_orm::EntityTrait;
    for row in support_stat_month::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
    {
        let input = kehoach::support_stats::service::load(&app.db, &row)
            .await
            .unwrap();
        let mut errors = kehoach::web::forms::FieldErrors::default();
        kehoach::support_stats::input::check(&input, &mut errors);
        assert!(
            errors.is_empty(),
            "{} {}: {:?}",
            row.org_unit_id,
            row.year_month,
            errors
        );
    }
    app.login_as("leader").await;
    let district = unit(&app, "PY-TH").await;
    let (status, page) = app
        .get_text(&format!("/stats?unit={district}&from=2024-01&to=2024-12"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Xã Hòa Phong"));
    let (status, _) = app
        .get_text(&format!(
            "/stats/trend?unit={district}&from=2024-01&to=2024-12"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
}
