//! The knowing attacker reads every export (issue 22): beside the API answers that
//! `lattice_attack` attacks, a reader without exact access can download the CSV and the XLSX of
//! the same selection and open the trend page. In a generated small world, every protected
//! reader (leader, planner, partner, commune officer) reads every unit in every lattice period
//! through the API, the CSV and the XLSX, and the trend of every unit: every export must carry,
//! cell by cell, exactly the figures and hidden marks of the API answer for the same unit and
//! period — a figure shown in an export that the API hides fails the test, and so does a
//! hidden mark the API does not have. A unit outside the reader's scope is refused by every
//! export as by the API. The dashboard's victim figures of the reader's own unit match the
//! API's for the lattice period its months snap to.

use crate::db_tests;
use crate::helpers::TestApp;
use crate::lattice_attack::{PERIODS, world};
use crate::support_stats::{enter, fields};
use calamine::{Data, Reader, Xlsx};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeMap;

db_tests!(every_export_carries_the_api_s_protected_figures_for_every_reader);

const YEAR: i32 = 2023;
const TOTAL: &str = "Tổng";
/// What an export writes for a loan amount it does not give: the one mark of a hidden cell.
const HIDDEN_AMOUNT: &str = "x";

/// A figure as the API writes it: a number, or `x` when hidden.
fn shown(v: &Value) -> String {
    match v {
        Value::Number(n) => n.as_i64().unwrap().to_string(),
        Value::String(s) if s == "x" => s.clone(),
        other => panic!("a figure is a number or \"x\", not {other}"),
    }
}

/// The lines an export must hold for an API answer: the summary, then every table with its
/// margins (table, row, column, value), in the order the API lists them.
fn expected_lines(a: &Value) -> Vec<[String; 4]> {
    let s = &a["summary"];
    let amount = match (&s["loans_amount"], &s["loans_amount_band"]) {
        (Value::Number(n), _) => n.to_string(),
        (_, Value::Array(b)) => format!("{}–{}", b[0], b[1]),
        // Neither an amount nor a band: the mark of every hidden cell.
        _ => HIDDEN_AMOUNT.to_owned(),
    };
    let mut out: Vec<[String; 4]> = [
        shown(&s["received"]),
        shown(&s["carried_over"]),
        shown(&s["hotline"]["received"]),
        shown(&s["hotline"]["handled"]),
        shown(&s["hotline"]["referred"]),
        shown(&s["loans_count"]),
        amount,
    ]
    .into_iter()
    .map(|v| [String::new(), String::new(), String::new(), v])
    .collect();
    let mut tables: Vec<&Value> = a["received"].as_array().unwrap().iter().collect();
    tables.extend(a["support"].as_array().unwrap());
    tables.push(&a["referrals"]);
    if a["by_unit"].is_object() {
        tables.push(&a["by_unit"]);
    }
    for t in tables {
        let title = match t["note"].as_str() {
            Some(n) => format!("{} — {n}", t["title"].as_str().unwrap()),
            None => t["title"].as_str().unwrap().to_owned(),
        };
        let list = t["list"].as_bool().unwrap();
        let cols: Vec<&str> = t["cols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["label"].as_str().unwrap())
            .collect();
        let mut line = |r: &str, c: &str, v: &Value| {
            out.push([title.clone(), r.to_owned(), c.to_owned(), shown(v)]);
        };
        for row in t["rows"].as_array().unwrap() {
            let label = row["label"].as_str().unwrap();
            for (c, v) in cols.iter().zip(row["cells"].as_array().unwrap()) {
                line(label, c, v);
            }
            if !list {
                line(label, TOTAL, &row["total"]);
            }
        }
        for (c, v) in cols.iter().zip(t["col_totals"].as_array().unwrap()) {
            line(TOTAL, c, v);
        }
        if !list {
            line(TOTAL, TOTAL, &t["total"]);
        }
    }
    out
}

/// Compares an export's lines (header dropped) with the API's, cell by cell; the summary's
/// labels are the export's own, so only its values are compared.
fn compare(what: &str, got: &[[String; 4]], want: &[[String; 4]]) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: {} lines, the API has {} figures\n{got:#?}",
        got.len(),
        want.len()
    );
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if w[0].is_empty() {
            assert_eq!(g[3], w[3], "{what}: summary line {i} {g:?}");
        } else {
            assert_eq!(g, w, "{what}: line {i}");
        }
    }
}

fn csv_lines(body: &str) -> Vec<[String; 4]> {
    let body = body.strip_prefix('\u{feff}').expect("a byte-order mark");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            assert_eq!(r.len(), 4, "{r:?}");
            [0, 1, 2, 3].map(|i| r[i].to_owned())
        })
        .collect()
}

/// The rows of the XLSX after its header row (the one starting like the CSV's header).
fn xlsx_lines(bytes: Vec<u8>, header: &str) -> Vec<[String; 4]> {
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let text = |d: &Data| match d {
        Data::String(s) => s.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Empty => String::new(),
        other => panic!("unexpected cell {other:?}"),
    };
    let mut rows = range.rows().map(|r| r.iter().map(text).collect::<Vec<_>>());
    rows.by_ref()
        .find(|r| r.first().is_some_and(|c| c == header))
        .expect("the header row");
    rows.filter(|r| r.iter().any(|c| !c.is_empty()))
        .map(|r| {
            assert!(r.len() >= 4, "{r:?}");
            [0, 1, 2, 3].map(|i| r[i].clone())
        })
        .collect()
}

/// The rows of the HTML table `id` (`<th>` label, then the cells), body and footer.
fn html_table(html: &str, id: &str) -> Vec<(String, Vec<String>)> {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("table {id}"));
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    let body = &table[table.find("</thead>").unwrap()..];
    body.split("<tr>")
        .skip(1)
        .map(|tr| {
            let label = between(tr, "<th scope=\"row\">", "</th>").to_owned();
            let cells = tr
                .split("<td class=\"num\">")
                .skip(1)
                .map(|td| text_of(&td[..td.find("</td>").unwrap()]).replace('.', ""))
                .collect();
            (label, cells)
        })
        .collect()
}

/// The text of an HTML fragment, its tags dropped.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> &'a str {
    let i = s.find(a).unwrap() + a.len();
    &s[i..i + s[i..].find(b).unwrap()]
}

/// The column labels of the HTML table `id`, its total column excepted.
fn html_cols(html: &str, id: &str) -> Vec<String> {
    let start = html.find(&format!("id=\"{id}\"")).unwrap();
    let head = between(&html[start..], "<thead>", "</thead>");
    let mut cols: Vec<String> = head
        .split("<th scope=\"col\" class=\"num\">")
        .skip(1)
        .map(|th| th[..th.find("</th>").unwrap()].to_owned())
        .collect();
    assert_eq!(cols.pop().as_deref(), Some(TOTAL));
    cols
}

/// What the API's table by age and sex shows for sex `label`: its column total (a sex without
/// anyone received in the period has no column: 0, never hidden).
fn sex_total(a: &Value, label: &str) -> String {
    let t = a["received"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "age_sex")
        .expect("the table by age and sex");
    t["cols"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["label"] == label)
        .map_or("0".to_owned(), |i| shown(&t["col_totals"][i]))
}

/// The trend of `unit` for `reader`, against the API's quarters and year.
fn check_trend(html: &str, answers: &BTreeMap<usize, Value>, what: &str) {
    assert!(html.contains("id=\"by-quarter\""), "{what}: quarters");
    let cols = html_cols(html, "t-trend");
    let rows = html_table(html, "t-trend");
    assert_eq!(rows.len(), 5, "{what}: four quarters and the year");
    for (i, (label, cells)) in rows.iter().enumerate() {
        // Quarter i, then the year (period 6) in the footer.
        let a = &answers[&if i < 4 { i } else { 6 }];
        let mut want: Vec<String> = cols.iter().map(|c| sex_total(a, c)).collect();
        want.push(shown(&a["summary"]["received"]));
        assert_eq!(cells, &want, "{what}: trend row {label}");
    }
    let hotline = html_table(html, "t-hotline");
    assert_eq!(hotline.len(), 4, "{what}: the hotline by quarter");
    for (q, (label, cells)) in hotline.iter().enumerate() {
        let h = &answers[&q]["summary"]["hotline"];
        let want = [
            shown(&h["received"]),
            shown(&h["handled"]),
            shown(&h["referred"]),
        ];
        assert_eq!(cells, &want, "{what}: hotline {label}");
    }
}

async fn every_export_carries_the_api_s_protected_figures_for_every_reader(app: TestApp) {
    let started = std::time::Instant::now();
    let first = crate::support_stats::unit(&app, "PY-TH-HOAPHONG").await;
    let district = app
        .scalar(&format!(
            "SELECT parent_id AS n FROM org_units WHERE id = {first}"
        ))
        .await
        .to_string();
    let officer_unit = app
        .scalar(
            "SELECT a.org_unit_id AS n FROM users u JOIN agencies a ON a.id = u.agency_id \
             WHERE u.email = 'commune@kehoach.demo'",
        )
        .await
        .to_string();
    let mut communes = vec![officer_unit];
    for _ in 0..2 {
        communes.push(
            app.scalar(&format!(
                "SELECT MIN(id) AS n FROM org_units WHERE parent_id = {district} \
                 AND id NOT IN ({})",
                communes.join(",")
            ))
            .await
            .to_string(),
        );
    }
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let world = world(3, 4..9).new_tree(&mut runner).unwrap().current();
    app.login_as("compiler").await;
    for e in &world {
        let mut lines = Vec::new();
        if e.men > 0 {
            lines.push(("male", "18-29", "forced_labour", "self", "abroad", e.men));
        }
        if e.women > 0 {
            lines.push(("female", "16-17", "sexual", "rescued", "abroad", e.women));
        }
        let loans = e.loans.to_string();
        let amount = (e.loans * (20_000_000 + 7_000_000 * i64::from(e.month))).to_string();
        let tips = e.tips.to_string();
        let mut other = vec![
            ("hotline_received", tips.as_str()),
            ("hotline_handled", tips.as_str()),
            ("hotline_referred", "0"),
        ];
        if e.loans > 0 {
            other.push(("loans_count", loans.as_str()));
            other.push(("loans_amount", amount.as_str()));
        }
        let month = format!("{YEAR}-{:02}", e.month);
        let f = fields(&app, &communes[e.commune], &month, &lines, &other).await;
        enter(&app, &f).await;
    }

    let units: Vec<String> = std::iter::once(district.clone())
        .chain(communes.clone())
        .collect();
    let mut hidden = 0;
    let mut dashboards = 0;
    // The leader's answers, unit by unit and period by period.
    let mut leader: BTreeMap<String, BTreeMap<usize, Value>> = BTreeMap::new();
    for (r, role) in ["leader", "planner", "partner", "commune"]
        .into_iter()
        .enumerate()
    {
        let reader = app.another_browser();
        reader.login_as(role).await;
        for (u, unit) in units.iter().enumerate() {
            // What this reader reads of this unit: the leader every period (the XLSX of a
            // quarter and of the year: it is written from the CSV's lines), the others one
            // period each, a different one per unit and reader, with its XLSX; the commune
            // officer every period of their own commune. Every reader opens every trend.
            let own = role == "commune" && *unit == communes[0];
            let sample = (u * 2 + r) % PERIODS.len();
            let mut answers: BTreeMap<usize, Value> = BTreeMap::new();
            for (p, (from, to)) in PERIODS.iter().enumerate() {
                let every = role == "leader" || own;
                if !every && p != sample {
                    continue;
                }
                let with_xlsx = !every || p == u % 4 || p == 6;
                let what = format!("{role}, unit {unit}, {YEAR}-{from:02}–{to:02}");
                let query = format!("unit={unit}&from={YEAR}-{from:02}&to={YEAR}-{to:02}");
                let api = reader.get(&format!("/api/v1/support-stats?{query}")).await;
                let csv = reader.get(&format!("/stats/export?{query}")).await;
                let xlsx = reader.get(&format!("/stats/export.xlsx?{query}")).await;
                if api.status() == StatusCode::NOT_FOUND {
                    // Outside the reader's scope: no export either.
                    for r in [csv, xlsx] {
                        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{what}");
                    }
                    continue;
                }
                assert_eq!(api.status(), StatusCode::OK, "{what}");
                let a: Value = api.json().await.unwrap();
                assert_eq!(a["exact"], false, "{what}: a protected reader");
                let want = expected_lines(&a);
                hidden += want.iter().filter(|l| l[3] == "x").count();
                assert_eq!(csv.status(), StatusCode::OK, "{what}");
                let body = csv.text().await.unwrap();
                let header = body
                    .trim_start_matches('\u{feff}')
                    .split(',')
                    .next()
                    .unwrap()
                    .to_owned();
                compare(&format!("{what}: CSV"), &csv_lines(&body), &want);
                assert_eq!(xlsx.status(), StatusCode::OK, "{what}");
                if with_xlsx {
                    let bytes = xlsx.bytes().await.unwrap().to_vec();
                    compare(&format!("{what}: XLSX"), &xlsx_lines(bytes, &header), &want);
                }
                answers.insert(p, a);
            }
            let trend = format!("/stats/trend?unit={unit}&from={YEAR}-01&to={YEAR}-12");
            let (status, html) = reader.get_text(&trend).await;
            if answers.is_empty() {
                assert_eq!(status, StatusCode::NOT_FOUND, "{role}: {trend}");
                continue;
            }
            assert_eq!(status, StatusCode::OK, "{role}: {trend}");
            // The trend's quarters and year, against the API's answers for them: the
            // leader's, which every protected reader gets (checked on what this one read).
            if role == "leader" {
                leader.insert(unit.clone(), answers.clone());
            }
            let all = &leader[unit];
            for (p, a) in &answers {
                assert_eq!(
                    a, &all[p],
                    "{role}, unit {unit}, period {p}: as the leader's"
                );
            }
            check_trend(&html, all, &format!("{role}, unit {unit}"));
        }
        // The dashboard's victim figures: the reader's own unit, a quarter, a half, the year.
        let own_unit = app
            .scalar(&format!(
                "SELECT a.org_unit_id AS n FROM users u JOIN agencies a ON a.id = u.agency_id \
                 WHERE u.email = '{role}@kehoach.demo'"
            ))
            .await
            .to_string();
        let Some(all) = leader.get(&own_unit) else {
            continue; // a unit above the world's district
        };
        for p in [1, 4, 6] {
            let (from, to) = PERIODS[p];
            let last = match to {
                12 => chrono::NaiveDate::from_ymd_opt(YEAR, 12, 31).unwrap(),
                _ => chrono::NaiveDate::from_ymd_opt(YEAR, to + 1, 1)
                    .unwrap()
                    .pred_opt()
                    .unwrap(),
            };
            let path = format!("/dashboard?from={YEAR}-{from:02}-01&to={last}");
            let (status, html) = reader.get_text(&path).await;
            assert_eq!(status, StatusCode::OK, "{role}: {path}");
            let s = &all[&p]["summary"];
            for (figure, want) in [
                ("victims-received", &s["received"]),
                ("victims-carried", &s["carried_over"]),
                ("hotline", &s["hotline"]["received"]),
                ("loans", &s["loans_count"]),
            ] {
                let got = text_of(between(
                    &html,
                    &format!("data-figure=\"{figure}\">"),
                    "</a>",
                ))
                .replace('.', "");
                assert_eq!(got, shown(want), "{role}: {path}: {figure}");
            }
            dashboards += 1;
        }
    }
    assert!(
        dashboards >= 6,
        "the leader's and the commune officer's dashboards"
    );
    assert!(hidden > 0, "the world hides something: {world:?}");
    eprintln!(
        "{} entries, {hidden} hidden marks compared, {:.1} s",
        world.len(),
        started.elapsed().as_secs_f64()
    );
}
