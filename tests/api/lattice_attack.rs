//! The knowing attacker at HTTP level (issue 22): generated small worlds of communes, months and
//! counts are entered through the app; every reader without exact access (a leader, a planner,
//! a partner agency, a commune officer) then asks for every unit and every period the interface
//! accepts; the answers are combined — tables and their margins, units against their district,
//! periods against the quarters and halves they hold, zeros, totals — by the interval attacker
//! of `suppress::attack`, which knows that hidden cells are never zero. The test fails on any
//! hidden count of 1–4 narrowed below the protection range, on any bound that is false (a bug
//! in the test itself), and on any loan amount an attacker can pin down.

use crate::db_tests;
use crate::helpers::TestApp;
use crate::support_stats::{enter, fields};
use kehoach::support_stats::suppress::{MIN_RANGE, THRESHOLD, attack};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

db_tests!(a_knowing_attacker_learns_no_small_count_over_units_and_periods);

/// One commune's month: persons received (men 18–29, women 16–17), loans, hotline tips.
#[derive(Clone, Debug)]
struct Entry {
    commune: usize,
    month: u32,
    men: i64,
    women: i64,
    loans: i64,
    tips: i64,
}

fn world() -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec(
        (0usize..3, 1u32..=12, 0i64..7, 0i64..5, 0i64..3, 0i64..6).prop_map(
            |(commune, month, men, women, loans, tips)| Entry {
                commune,
                month,
                men,
                women,
                loans: loans.min(men + women),
                tips,
            },
        ),
        3..8,
    )
    .prop_map(|v| {
        let mut seen = BTreeSet::new();
        v.into_iter()
            .filter(|e| seen.insert((e.commune, e.month)))
            .collect()
    })
}

/// The lattice of a year as `(from, to)` months.
const PERIODS: [(u32, u32); 7] = [(1, 3), (4, 6), (7, 9), (10, 12), (1, 6), (7, 12), (1, 12)];
/// Which periods add up to which: (whole, parts), indexes into `PERIODS`.
const GROUPS: [(usize, &[usize]); 4] =
    [(6, &[0, 1, 2, 3]), (6, &[4, 5]), (4, &[0, 1]), (5, &[2, 3])];

/// A figure's identity as the attacker names it: measure, unit, period, then dimension values.
type Key = String;

fn key(measure: &str, unit: &str, period: usize, dims: &[(&str, &str)]) -> Key {
    let mut k = format!("{measure}|{unit}|{period}");
    let mut dims = dims.to_vec();
    dims.sort();
    for (d, v) in dims {
        k.push_str(&format!("|{d}={v}"));
    }
    k
}

/// What the attacker reads, as grids with margins and the key of every cell.
#[derive(Default)]
struct Published {
    grids: Vec<Vec<Vec<Option<i64>>>>,
    keys: Vec<Vec<Vec<Key>>>,
}

fn figure(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if s == "x" => None,
        other => panic!("a figure is a number or \"x\", not {other}"),
    }
}

impl Published {
    fn push(&mut self, grid: Vec<Vec<Option<i64>>>, keys: Vec<Vec<Key>>) {
        self.grids.push(grid);
        self.keys.push(keys);
    }

    /// A table of the API answer: `row_dim`/`col_dim` name its dimensions; a unit row is
    /// keyed by that unit (the row of `own_code`, the unit's own figures, as `own`).
    fn table(&mut self, t: &Value, unit: &str, own_code: &str, period: usize, dims: (&str, &str)) {
        let (row_dim, col_dim) = dims;
        let cols: Vec<String> = t["cols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_str().unwrap().to_owned())
            .collect();
        let cell = |r: Option<&str>, c: Option<&str>| {
            let mut dims = Vec::new();
            let mut u = unit.to_owned();
            if let Some(r) = r {
                if row_dim == "unit" {
                    u = if r == own_code {
                        "own".into()
                    } else {
                        r.into()
                    };
                } else {
                    dims.push((row_dim, r));
                }
            }
            if let Some(c) = c {
                dims.push((col_dim, c));
            }
            key("received", &u, period, &dims)
        };
        let mut grid = Vec::new();
        let mut keys = Vec::new();
        for row in t["rows"].as_array().unwrap() {
            let code = row["code"].as_str().unwrap();
            let mut g: Vec<Option<i64>> = row["cells"]
                .as_array()
                .unwrap()
                .iter()
                .map(figure)
                .collect();
            let mut k: Vec<Key> = cols.iter().map(|c| cell(Some(code), Some(c))).collect();
            g.push(figure(&row["total"]));
            k.push(cell(Some(code), None));
            grid.push(g);
            keys.push(k);
        }
        let mut g: Vec<Option<i64>> = t["col_totals"]
            .as_array()
            .unwrap()
            .iter()
            .map(figure)
            .collect();
        let mut k: Vec<Key> = cols.iter().map(|c| cell(None, Some(c))).collect();
        g.push(figure(&t["total"]));
        k.push(cell(None, None));
        grid.push(g);
        keys.push(k);
        self.push(grid, keys);
    }

    fn single(&mut self, v: Option<i64>, k: Key) {
        self.push(vec![vec![v]], vec![vec![k]]);
    }

    /// An equation the attacker knows: the parts add up to the whole (never published itself).
    fn sum(&mut self, parts: Vec<Key>, whole: Key) {
        let grid = vec![vec![None, None]; parts.len() + 1];
        let mut keys: Vec<Vec<Key>> = parts.into_iter().map(|p| vec![p.clone(), p]).collect();
        keys.push(vec![whole.clone(), whole]);
        self.push(grid, keys);
    }
}

/// The true value of a figure in the world.
fn truth(world: &[Entry], communes: &[String], k: &str) -> i64 {
    let mut parts = k.split('|');
    let measure = parts.next().unwrap();
    let unit = parts.next().unwrap();
    let period: usize = parts.next().unwrap().parse().unwrap();
    let dims: BTreeMap<&str, &str> = parts.map(|d| d.split_once('=').unwrap()).collect();
    let (from, to) = PERIODS[period];
    world
        .iter()
        .filter(|e| (from..=to).contains(&e.month))
        .filter(|e| unit == "district" || communes[e.commune] == unit)
        .map(|e| {
            if unit == "own" {
                return 0;
            }
            match measure {
                "loans" => e.loans,
                "tips" => e.tips,
                _ => {
                    let men = dims.get("sex").is_none_or(|s| *s == "male")
                        && dims.get("age").is_none_or(|a| *a == "18-29")
                        && dims.get("purpose").is_none_or(|p| *p == "forced_labour")
                        && dims.get("manner").is_none_or(|m| *m == "self");
                    let women = dims.get("sex").is_none_or(|s| *s == "female")
                        && dims.get("age").is_none_or(|a| *a == "16-17")
                        && dims.get("purpose").is_none_or(|p| *p == "sexual")
                        && dims.get("manner").is_none_or(|m| *m == "rescued");
                    let place = dims.get("where").is_none_or(|w| *w == "abroad");
                    i64::from(place) * (i64::from(men) * e.men + i64::from(women) * e.women)
                }
            }
        })
        .sum()
}

async fn read(app: &TestApp, unit: &str, year: i32, (from, to): (u32, u32)) -> Value {
    let r = app
        .get(&format!(
            "/api/v1/support-stats?unit={unit}&from={year}-{from:02}&to={year}-{to:02}"
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn a_knowing_attacker_learns_no_small_count_over_units_and_periods(app: TestApp) {
    let district = crate::support_stats::unit(&app, "PY-TH-HOAPHONG").await;
    let district = app
        .scalar(&format!(
            "SELECT parent_id AS n FROM org_units WHERE id = {district}"
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
    // The officer's commune and the two communes after it: the attacker's world.
    let mut communes = vec![officer_unit.clone()];
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
    let readers = ["leader", "planner", "partner", "commune"];
    let mut browsers = Vec::new();
    for r in readers {
        let b = app.another_browser();
        b.login_as(r).await;
        browsers.push(b);
    }
    app.login_as("compiler").await;
    // Each world in a year of its own, so that the worlds do not mix (two cases keep CI short).
    for (case, year) in [2023, 2022].into_iter().enumerate() {
        let world = world().new_tree(&mut runner).unwrap().current();
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
            let month = format!("{year}-{:02}", e.month);
            let f = fields(&app, &communes[e.commune], &month, &lines, &other).await;
            enter(&app, &f).await;
        }

        // Every unit and period each reader may ask for; the answers of every reader agree.
        let mut answers: BTreeMap<(String, usize), Value> = BTreeMap::new();
        let units: Vec<String> = std::iter::once(district.clone())
            .chain(communes.clone())
            .collect();
        for unit in &units {
            for (p, period) in PERIODS.iter().enumerate() {
                let leader = read(&browsers[0], unit, year, *period).await;
                assert_eq!(leader["exact"], false);
                assert!(
                    leader["summary"]["loans_amount"].is_null(),
                    "no exact amount"
                );
                // The others read a sample (their own commune all year, for the officer): the
                // figures do not depend on who reads them, only on whether they may.
                let sampled = (*unit == district && p == 6) || (*unit == communes[0] && p == 0);
                let readers = if sampled {
                    &browsers[1..]
                } else {
                    &browsers[3..]
                };
                for b in readers {
                    let r = b
                        .get(&format!(
                            "/api/v1/support-stats?unit={unit}&from={year}-{:02}&to={year}-{:02}",
                            period.0, period.1
                        ))
                        .await;
                    if r.status() == StatusCode::NOT_FOUND {
                        continue; // outside this reader's scope
                    }
                    assert_eq!(r.status(), StatusCode::OK);
                    let v: Value = r.json().await.unwrap();
                    assert_eq!(v, leader, "every protected reader gets the same figures");
                }
                answers.insert((unit.clone(), p), leader);
            }
            if *unit != district && *unit != communes[0] {
                continue;
            }
            // A month or a range off the lattice is answered with the lattice period holding it.
            let snapped = read(&browsers[0], unit, year, (2, 2)).await;
            assert_eq!(
                snapped["requested"],
                serde_json::json!([format!("{year}-02"), format!("{year}-02")])
            );
            assert_eq!(snapped["received"], answers[&(unit.clone(), 0)]["received"]);
            let snapped = read(&browsers[0], unit, year, (2, 5)).await;
            assert_eq!(snapped["summary"], answers[&(unit.clone(), 4)]["summary"]);
        }
        // The commune officer reads another commune: 404, as if it did not exist.
        let other = browsers[3]
            .get(&format!(
                "/api/v1/support-stats?unit={}&from={year}-01&to={year}-12",
                communes[1]
            ))
            .await;
        assert_eq!(other.status(), StatusCode::NOT_FOUND);
        // Periods across two years are refused, naming the field.
        let across = browsers[0]
            .get(&format!(
                "/api/v1/support-stats?unit={district}&from={year}-11&to={}-02",
                year + 1
            ))
            .await;
        assert_eq!(across.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = across.json().await.unwrap();
        assert!(body["error"]["fields"]["from"].is_string(), "{body}");

        // The attacker's system.
        let mut pubd = Published::default();
        let name = |u: &str| {
            if *u == district {
                "district".to_owned()
            } else {
                u.to_owned()
            }
        };
        for ((unit, p), a) in &answers {
            let u = name(unit);
            let dims = [
                ("age_sex", "age", "sex"),
                ("purpose_manner", "purpose", "manner"),
                ("where_manner", "where", "manner"),
            ];
            for t in a["received"].as_array().unwrap() {
                let (_, r, c) = dims.iter().find(|d| d.0 == t["id"]).unwrap();
                pubd.table(t, &u, unit, *p, (r, c));
            }
            if a["by_unit"].is_object() {
                pubd.table(&a["by_unit"], &u, unit, *p, ("unit", "sex"));
            }
            pubd.single(
                figure(&a["summary"]["received"]),
                key("received", &u, *p, &[]),
            );
            pubd.single(
                figure(&a["summary"]["loans_count"]),
                key("loans", &u, *p, &[]),
            );
            pubd.single(
                figure(&a["summary"]["hotline"]["received"]),
                key("tips", &u, *p, &[]),
            );
        }
        // Every figure of every period is the sum of its parts; the district's, of its communes'.
        let all_keys: BTreeSet<Key> = pubd.keys.iter().flatten().flatten().cloned().collect();
        for k in &all_keys {
            let mut parts = k.splitn(4, '|');
            let (m, u, p) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let rest = parts.next().map(|r| format!("|{r}")).unwrap_or_default();
            let p: usize = p.parse().unwrap();
            for (whole, members) in GROUPS {
                if whole == p {
                    let ks: Vec<Key> = members
                        .iter()
                        .map(|q| format!("{m}|{u}|{q}{rest}"))
                        .collect();
                    if ks.iter().all(|x| all_keys.contains(x)) {
                        pubd.sum(ks, k.clone());
                    }
                }
            }
            if u == "district" {
                let ks: Vec<Key> = communes
                    .iter()
                    .map(|c| format!("{m}|{c}|{p}{rest}"))
                    .collect();
                if ks.iter().all(|x| all_keys.contains(x)) {
                    pubd.sum(ks, k.clone());
                }
            }
        }
        let ids: BTreeMap<Key, usize> = all_keys
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, k)| (k, i))
            .collect();
        let links: Vec<Vec<Vec<usize>>> = pubd
            .keys
            .iter()
            .map(|g| {
                g.iter()
                    .map(|r| r.iter().map(|k| ids[k]).collect())
                    .collect()
            })
            .collect();
        // The figures published anywhere are known everywhere they stand.
        let mut known: BTreeMap<&Key, i64> = BTreeMap::new();
        for (g, ks) in pubd.grids.iter().zip(&pubd.keys) {
            for (row, krow) in g.iter().zip(ks) {
                for (v, k) in row.iter().zip(krow) {
                    if let Some(v) = v {
                        assert_eq!(*v, truth(&world, &communes, k), "published {k}");
                        known.insert(k, *v);
                    }
                }
            }
        }
        let grids: Vec<Vec<Vec<Option<i64>>>> = pubd
            .keys
            .iter()
            .map(|g| {
                g.iter()
                    .map(|r| r.iter().map(|k| known.get(k).copied()).collect())
                    .collect()
            })
            .collect();
        let ranges = attack(&grids, &links);
        let mut hidden_small = 0;
        for (rg, ks) in ranges.iter().zip(&pubd.keys) {
            for (rrow, krow) in rg.iter().zip(ks) {
                for ((lo, hi), k) in rrow.iter().zip(krow) {
                    if known.contains_key(k) {
                        continue;
                    }
                    let v = i128::from(truth(&world, &communes, k));
                    assert!(
                        *lo <= v && v <= *hi,
                        "case {case}: false bound on {k}: {v} not in [{lo}, {hi}]"
                    );
                    if (1..i128::from(THRESHOLD)).contains(&v) {
                        hidden_small += 1;
                        assert!(
                            hi - lo >= i128::from(MIN_RANGE),
                            "case {case}, world {world:?}: {k} = {v} narrowed to [{lo}, {hi}]"
                        );
                    }
                }
            }
        }
        // Loans: a commune's amount is published only as a band, and only with its count.
        for ((unit, p), a) in &answers {
            let s = &a["summary"];
            if s["loans_count"] == "x" {
                assert!(
                    s["loans_amount_band"].is_null(),
                    "{unit} {p}: a band with a hidden count"
                );
            } else if let Some(band) = s["loans_amount_band"].as_array() {
                let (lo, hi) = (band[0].as_i64().unwrap(), band[1].as_i64().unwrap());
                assert_eq!(hi - lo, kehoach::support_stats::lattice::AMOUNT_BAND);
            }
        }
        eprintln!(
            "case {case}: {} entries, {hidden_small} hidden small counts attacked",
            world.len()
        );
    }
}
