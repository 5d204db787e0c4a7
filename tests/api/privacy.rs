//! Issue 22: the phone/ID guard at every entry point, and one rulebook for the JSON API (the
//! forms' limits, unknown fields refused, every unreadable field named, no 500 from stored
//! figures). Every test runs on SQLite and, ignored by default, on PostgreSQL.

use crate::activities::{create, fields, pairs, set};
use crate::crash::token_for;
use crate::db_tests;
use crate::helpers::TestApp;
use proptest::strategy::{Strategy, ValueTree};
use reqwest::StatusCode;
use serde_json::{Value, json};

db_tests!(
    the_guard_refuses_every_spelling_at_every_entry_point,
    ordinary_texts_pass_the_guard,
    the_api_applies_the_forms_rules_and_names_the_field,
    extreme_accepted_and_stored_figures_never_break_the_plan_page,
    every_api_endpoint_answers_arbitrary_json_with_a_named_field_never_a_5xx,
    report_victim_figures_are_exact_only_for_those_entitled,
    small_counts_read_x_everywhere_and_the_hotline_is_protected_too,
    a_units_own_view_cannot_be_subtracted_from_its_parents,
    query_strings_name_the_field_they_cannot_read,
);

/// The spellings from the issue (and a few more) that must be refused wherever free text goes.
const REFUSED: &[&str] = &[
    "gọi ０９０５１２３４５６",
    "gọi ٠٩٠٥١٢٣٤٥٦",
    "gọi (+84) 905 123 456",
    "gọi (0905) 123 456",
    "CCCD 079 123 456 789",
    "CCCD 0791 2345 6789",
    "gọi 0905\u{200B}123456",
    "gọi 0905/123/456",
    "gọi 0905  123  456",
    "tổ 5 0905123456",
    "gọi 0905.123.456",
    "CMND 123456789",
];

/// Ordinary texts that must pass.
const PASSED: &[&str] = &[
    "1.250 người",
    "Nói chuyện ngày 30/7/2024",
    "Theo Quyết định 1234/QĐ-UBND",
    "Tổ 5",
    "Kinh phí 30.000.000 đồng",
];

async fn id(app: &TestApp, sql: &str) -> i64 {
    app.scalar(sql).await
}

/// The awareness item the demo's commune logs its activities under, and its plan.
async fn item_and_plan(app: &TestApp) -> (i64, i64) {
    let item = id(
        app,
        "SELECT i.id AS n FROM plan_items i JOIN plan_items p ON p.id = i.parent_id \
         WHERE p.area_code = 'communication' AND i.position = 2",
    )
    .await;
    let plan = id(
        app,
        &format!("SELECT plan_id AS n FROM plan_items WHERE id = {item}"),
    )
    .await;
    (item, plan)
}

struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    fn new(app: &TestApp) -> Api {
        Api {
            client: crate::helpers::new_client(),
            base: app.address.clone(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .header("if-match", "1")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, token, &body.to_string())
            .await
    }
}

/// The counts of every table free text goes into.
async fn written(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for t in [
        "activities",
        "coordination_tasks",
        "task_comments",
        "plans",
        "plan_items",
        "plan_targets",
        "plan_legal_bases",
    ] {
        out.push(app.count(t).await);
    }
    out
}

fn named(body: &Value, field: &str) -> bool {
    body["error"]["fields"][field]
        .as_str()
        .is_some_and(|m| !m.is_empty())
}

async fn the_guard_refuses_every_spelling_at_every_entry_point(app: TestApp) {
    let commune = token_for(&app, "commune@kehoach.demo").await;
    let planner = token_for(&app, "planner@kehoach.demo").await;
    let compiler = token_for(&app, "compiler@kehoach.demo").await;
    let api = Api::new(&app);
    let (item, plan) = item_and_plan(&app).await;
    let partner = id(
        &app,
        "SELECT id AS n FROM agencies WHERE code = 'TH-HOAPHONG-UBND'",
    )
    .await;
    let before = written(&app).await;
    for (i, bad) in REFUSED.iter().enumerate() {
        // The JSON API, each free-text field of each body in turn.
        for field in ["title", "description", "place", "notes"] {
            let mut body = json!({ "type": "talk", "title": "Nói chuyện chuyên đề", "plan_item_id": item,
                "start_date": "2024-07-30" });
            body[field] = json!(bad);
            let (status, answer) = api.post("/api/v1/activities", &commune, &body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {bad}");
            assert!(named(&answer, field), "{field}: {bad}: {answer}");
        }
        for field in ["title", "note"] {
            let mut body = json!({ "kind": "information_exchange", "title": "Chia sẻ thông tin",
                "plan_item_id": item, "partner_agency_id": partner, "ack_due_date": "2024-06-21",
                "due_date": "2024-07-01" });
            body[field] = json!(bad);
            let (status, answer) = api.post("/api/v1/tasks", &compiler, &body).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "task {field}: {bad}"
            );
            assert!(named(&answer, field), "task {field}: {bad}: {answer}");
        }
        for (field, value) in [
            ("title", json!(bad)),
            ("place", json!(bad)),
            ("preamble", json!(bad)),
            ("signer_name", json!(bad)),
            ("legal_bases", json!([bad])),
            ("recipients", json!(["UBND huyện", bad])),
        ] {
            let mut body = json!({ "title": "Kế hoạch năm 2025", "period_start": "2025-01-01",
                "period_end": "2025-12-31", "place": "Tây Hòa" });
            body[field] = value;
            let (status, answer) = api.post("/api/v1/plans", &planner, &body).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "plan {field}: {bad}"
            );
            assert!(named(&answer, field), "plan {field}: {bad}: {answer}");
        }
        let field = ["heading", "body"][i % 2];
        let mut body = json!({ "label": "9", "heading": "Truyền thông", "body": "Nội dung" });
        body[field] = json!(bad);
        let (status, answer) = api
            .post(&format!("/api/v1/plans/{plan}/items"), &planner, &body)
            .await;
        assert!(status.is_client_error(), "item {field}: {bad}: {status}");
        assert!(named(&answer, field), "item {field}: {bad}: {answer}");
        let body = json!({ "label": "9", "heading": "Truyền thông",
            "targets": [{ "indicator": "sessions", "value": 3, "unit": bad }] });
        let (status, answer) = api
            .post(&format!("/api/v1/plans/{plan}/items"), &planner, &body)
            .await;
        assert!(status.is_client_error(), "target unit: {bad}: {status}");
        assert!(named(&answer, "targets[0].unit"), "{bad}: {answer}");
    }
    // The forms: an activity's title and notes, a task comment.
    app.login_as("commune").await;
    let good = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-07-30").await;
    for bad in REFUSED {
        for field in ["title", "notes"] {
            let mut f = good.clone();
            set(&mut f, field, bad);
            let r = app.post_form("/activities", &pairs(&f)).await;
            assert_eq!(
                r.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "form {field}: {bad}"
            );
        }
    }
    assert_eq!(written(&app).await, before, "nothing was written");
    let app = app.another_browser();
    app.login_as("compiler").await;
    let task = crate::tasks::request(
        &app,
        "TH-HOAPHONG-UBND",
        "2024-06-25",
        "2024-07-20",
        "Trợ giúp pháp lý",
    )
    .await;
    let comments = app.count("task_comments").await;
    for bad in REFUSED {
        let r = crate::tasks::act(&app, task, &[("action", "comment"), ("body", bad)]).await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "comment: {bad}"
        );
    }
    assert_eq!(app.count("task_comments").await, comments);
}

async fn ordinary_texts_pass_the_guard(app: TestApp) {
    let commune = token_for(&app, "commune@kehoach.demo").await;
    let planner = token_for(&app, "planner@kehoach.demo").await;
    let api = Api::new(&app);
    let (item, _) = item_and_plan(&app).await;
    for ok in PASSED {
        let body = json!({ "type": "talk", "title": ok, "notes": ok, "place": ok,
            "plan_item_id": item, "start_date": "2024-07-30" });
        let (status, answer) = api.post("/api/v1/activities", &commune, &body).await;
        assert_eq!(status, StatusCode::CREATED, "{ok}: {answer}");
        let body = json!({ "title": format!("Kế hoạch: {ok}"), "period_start": "2025-01-01",
            "period_end": "2025-12-31", "place": "Tây Hòa", "recipients": [ok], "legal_bases": [ok] });
        let (status, answer) = api.post("/api/v1/plans", &planner, &body).await;
        assert_eq!(status, StatusCode::CREATED, "{ok}: {answer}");
    }
    app.login_as("commune").await;
    let mut f = fields(&app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-07-30").await;
    set(&mut f, "notes", PASSED.join("; ").as_str());
    create(&app, &f).await;
}

async fn the_api_applies_the_forms_rules_and_names_the_field(app: TestApp) {
    let commune = token_for(&app, "commune@kehoach.demo").await;
    let planner = token_for(&app, "planner@kehoach.demo").await;
    let api = Api::new(&app);
    let (item, plan) = item_and_plan(&app).await;
    let valid = json!({ "type": "talk", "title": "Nói chuyện chuyên đề", "plan_item_id": item,
        "start_date": "2024-07-30" });
    let with = |field: &str, value: Value| {
        let mut b = valid.clone();
        b[field] = value;
        b
    };
    let before = written(&app).await;
    // Unknown fields, wrong types and formats: a 400 naming the field, in Vietnamese.
    for (body, field, message) in [
        (
            with("status", json!("held")),
            "status",
            "Trường này không được hỗ trợ",
        ),
        (
            with("planned_participants", json!("nhiều")),
            "planned_participants",
            "không đúng kiểu",
        ),
        (
            with("planned_participants", json!(1.5)),
            "planned_participants",
            "không đúng kiểu",
        ),
        (
            with("start_date", json!("2024-13-45")),
            "start_date",
            "không đúng kiểu",
        ),
        (
            with("target_groups", json!("public")),
            "target_groups",
            "không đúng kiểu",
        ),
        (
            with("planned_participants", json!(9_223_372_036_854_775_808_u64)),
            "planned_participants",
            "không đúng kiểu",
        ),
    ] {
        let (status, answer) = api.post("/api/v1/activities", &commune, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {answer}");
        let m = answer["error"]["fields"][field]
            .as_str()
            .unwrap_or_default();
        assert!(m.contains(message), "{field}: {answer}");
    }
    let (status, answer) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/activities",
            &commune,
            "{\"title\": ",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(named(&answer, "body"), "{answer}");
    let (status, answer) = api
        .post(
            &format!("/api/v1/plans/{plan}/items"),
            &planner,
            &json!({ "label": "9", "heading": "A", "targets": [{ "indicator": "sessions", "value": 1, "colour": "red" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(named(&answer, "targets[0].colour"), "{answer}");
    // The forms' limits: counts, times, lengths.
    for (body, field) in [
        (
            with("planned_participants", json!(i64::MAX)),
            "planned_participants",
        ),
        (with("planned_women", json!(-1)), "planned_women"),
        (with("start_time", json!("25:99")), "start_time"),
        (with("end_time", json!("8h")), "end_time"),
        (with("title", json!("a".repeat(10_000))), "title"),
        (with("notes", json!("a".repeat(10_000))), "notes"),
        (with("start_date", json!("+12345-01-01")), "start_date"),
    ] {
        let (status, answer) = api.post("/api/v1/activities", &commune, &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {answer}"
        );
        assert!(named(&answer, field), "{field}: {answer}");
    }
    let partner = id(
        &app,
        "SELECT id AS n FROM agencies WHERE code = 'TH-HOAPHONG-UBND'",
    )
    .await;
    let compiler = token_for(&app, "compiler@kehoach.demo").await;
    let (status, answer) = api
        .post(
            "/api/v1/tasks",
            &compiler,
            &json!({ "kind": "information_exchange", "title": "a".repeat(10_000), "plan_item_id": item,
                "partner_agency_id": partner, "ack_due_date": "2024-06-21", "due_date": "2024-07-01" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(named(&answer, "title"), "{answer}");
    let (status, answer) = api
        .post(
            &format!("/api/v1/plans/{plan}/items"),
            &planner,
            &json!({ "label": "9", "heading": "A", "targets": [{ "indicator": "sessions", "value": i64::MAX }] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(named(&answer, "targets[0].value"), "{answer}");
    assert_eq!(written(&app).await, before, "nothing was written");

    // An update changes only the fields sent; a flag can be set back to false.
    let (status, a) = api
        .post(
            "/api/v1/activities",
            &commune,
            &with("ethnic_minority_outreach", json!(true)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let aid = a["id"].as_i64().unwrap();
    let (status, a) = api
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/activities/{aid}"),
            &commune,
            &json!({ "place": "Nhà văn hóa thôn", "ethnic_minority_outreach": false }).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["title"], "Nói chuyện chuyên đề");
    assert_eq!(a["place"], "Nhà văn hóa thôn");
    assert_eq!(a["ethnic_minority_outreach"], false);
    assert_eq!(a["start_date"], "2024-07-30");
    // PATCH on a plan: only the title changes.
    let (status, p) = api
        .post(
            "/api/v1/plans",
            &planner,
            &json!({ "title": "Kế hoạch năm 2025", "period_start": "2025-01-01",
                "period_end": "2025-12-31", "place": "Tây Hòa", "recipients": ["UBND huyện"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let pid = p["id"].as_i64().unwrap();
    let (status, p) = api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/plans/{pid}"),
            &planner,
            &json!({ "title": "Kế hoạch năm 2025 (sửa)" }).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let (_, p) = api
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/plans/{pid}"),
            &planner,
            "",
        )
        .await;
    assert_eq!(p["title"], "Kế hoạch năm 2025 (sửa)");
    assert_eq!(p["place"], "Tây Hòa");
    assert_eq!(p["period_end"], "2025-12-31");
}

async fn extreme_accepted_and_stored_figures_never_break_the_plan_page(app: TestApp) {
    let commune = token_for(&app, "commune@kehoach.demo").await;
    let api = Api::new(&app);
    let (item, plan) = item_and_plan(&app).await;
    let max = kehoach::activities::input::MAX_COUNT;
    for _ in 0..2 {
        let (status, a) = api
            .post(
                "/api/v1/activities",
                &commune,
                &json!({ "type": "talk", "title": "Nói chuyện", "plan_item_id": item,
                    "start_date": "2024-06-10", "planned_participants": max }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        let aid = a["id"].as_i64().unwrap();
        let (status, a) = api
            .post(
                &format!("/api/v1/activities/{aid}/status"),
                &commune,
                &json!({ "status": "held", "version": 1, "held_on": "2024-06-10",
                    "participants_total": max, "participants_women": max, "broadcasts": max }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{a}");
    }
    app.login_as("leader").await;
    for path in [format!("/plans/{plan}"), format!("/plans/{plan}/docx")] {
        assert_eq!(app.get(&path).await.status(), StatusCode::OK, "{path}");
    }
    // Figures stored before the limits existed: the largest an i64 holds, twice.
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        "UPDATE activities SET participants = 9223372036854775807, \
         planned_participants = 9223372036854775807 WHERE status = 'held'",
    )
    .await
    .unwrap();
    for path in [
        format!("/plans/{plan}"),
        format!("/plans/{plan}/docx"),
        "/dashboard?from=2024-01-01&to=2024-12-31".to_owned(),
        "/activities?status=held".to_owned(),
        "/activities/export.csv?status=held".to_owned(),
        "/activities/export.xlsx?status=held".to_owned(),
    ] {
        assert_eq!(app.get(&path).await.status(), StatusCode::OK, "{path}");
    }
    // The half-year report that counts them, as the compiling office drafts it.
    app.login_as("compiler").await;
    let period = crate::reports::open_period(&app).await;
    let compiled = app
        .scalar(&format!(
            "SELECT id AS n FROM reports WHERE period_id = {period} AND level = 'compiled'"
        ))
        .await;
    for path in [
        format!("/reports/{compiled}"),
        format!("/reports/{compiled}/docx"),
        format!("/reports/{compiled}/xlsx"),
        format!("/reports/{compiled}/print"),
    ] {
        assert_eq!(app.get(&path).await.status(), StatusCode::OK, "{path}");
    }
}

/// Arbitrary JSON: scalars of every kind (huge and negative numbers, odd strings), arrays and
/// objects nested a few levels, with keys both real and made up.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    use proptest::prelude::*;
    let keys = prop_oneof![
        Just("title".to_owned()),
        Just("type".to_owned()),
        Just("status".to_owned()),
        Just("version".to_owned()),
        Just("start_date".to_owned()),
        Just("start_time".to_owned()),
        Just("planned_participants".to_owned()),
        Just("participants_total".to_owned()),
        Just("targets".to_owned()),
        Just("outcomes".to_owned()),
        Just("label".to_owned()),
        Just("heading".to_owned()),
        Just("kind".to_owned()),
        Just("due_date".to_owned()),
        Just("loans_count".to_owned()),
        Just("amendment".to_owned()),
        "[a-z_]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        Just(json!(i64::MAX)),
        Just(json!(-1)),
        Just(json!("2024-07-30")),
        Just(json!("+99999-01-01")),
        Just(json!("25:99")),
        Just(json!("held")),
        Just(json!("talk")),
        Just(json!("０９０５１２３４５６")),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(keys.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid body with one field replaced by arbitrary JSON, or an unknown field added.
fn mutated(valid: Value) -> impl Strategy<Value = Value> {
    use proptest::prelude::*;
    let fields: Vec<String> = valid
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    (
        proptest::sample::select(fields),
        arbitrary_json(),
        any::<bool>(),
    )
        .prop_map(move |(field, value, extra)| {
            let mut b = valid.clone();
            if extra {
                b["surplus"] = value;
            } else {
                b[field.as_str()] = value;
            }
            b
        })
}

async fn every_api_endpoint_answers_arbitrary_json_with_a_named_field_never_a_5xx(app: TestApp) {
    let commune = token_for(&app, "commune@kehoach.demo").await;
    let planner = token_for(&app, "planner@kehoach.demo").await;
    let compiler = token_for(&app, "compiler@kehoach.demo").await;
    let police = token_for(&app, "partner@kehoach.demo").await;
    let api = Api::new(&app);
    let (item, plan) = item_and_plan(&app).await;
    let partner = id(&app, "SELECT id AS n FROM agencies WHERE code = 'TH-CA'").await;
    let (status, a) = api
        .post(
            "/api/v1/activities",
            &commune,
            &json!({ "type": "talk", "title": "Nói chuyện", "plan_item_id": item, "start_date": "2024-06-10" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let aid = a["id"].as_i64().unwrap();
    let (status, t) = api
        .post(
            "/api/v1/tasks",
            &compiler,
            &json!({ "kind": "information_exchange", "title": "Chia sẻ", "plan_item_id": item,
                "partner_agency_id": partner, "ack_due_date": "2024-06-21", "due_date": "2024-07-01" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let tid = t["id"].as_i64().unwrap();
    let endpoints: Vec<(reqwest::Method, String, &str, Value)> = vec![
        (
            reqwest::Method::POST,
            "/api/v1/activities".into(),
            &commune,
            json!({ "type": "talk", "title": "Nói chuyện", "plan_item_id": item, "start_date": "2024-07-30",
                "start_time": "08:00", "planned_participants": 10, "target_groups": ["public"] }),
        ),
        (
            reqwest::Method::PUT,
            format!("/api/v1/activities/{aid}"),
            &commune,
            json!({ "title": "Nói chuyện", "place": "Thôn 1", "version": 1 }),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/activities/{aid}/status"),
            &commune,
            json!({ "status": "held", "held_on": "2024-06-10", "participants_total": 10, "version": 1 }),
        ),
        (
            reqwest::Method::POST,
            "/api/v1/tasks".into(),
            &compiler,
            json!({ "kind": "information_exchange", "title": "Chia sẻ", "plan_item_id": item,
                "partner_agency_id": partner, "ack_due_date": "2024-06-21", "due_date": "2024-07-01" }),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/tasks/{tid}/status"),
            &police,
            json!({ "status": "acknowledged", "version": 1, "loans_count": 1, "outcomes": [] }),
        ),
        (
            reqwest::Method::POST,
            "/api/v1/plans".into(),
            &planner,
            json!({ "title": "Kế hoạch", "period_start": "2025-01-01", "period_end": "2025-12-31", "place": "Tây Hòa" }),
        ),
        (
            reqwest::Method::PATCH,
            format!("/api/v1/plans/{plan}"),
            &planner,
            json!({ "title": "Kế hoạch", "recipients": ["UBND"], "amendment": { "on": "2024-06-20", "reason": "Bổ sung" } }),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/plans/{plan}/items"),
            &planner,
            json!({ "label": "9", "heading": "Truyền thông", "targets": [{ "indicator": "sessions", "value": 2 }],
                "amendment": { "on": "2024-06-20", "reason": "Bổ sung" } }),
        ),
        (
            reqwest::Method::PATCH,
            format!("/api/v1/plans/{plan}/items/{item}"),
            &planner,
            json!({ "area": "communication", "amendment": { "on": "2024-06-20", "reason": "Bổ sung" } }),
        ),
    ];
    // Every write route of the API is in the list: a new one cannot be left out.
    let shape = |path: &str| {
        path.split('/')
            .map(|seg| {
                if seg.starts_with('{') || seg.parse::<i64>().is_ok() {
                    "{}"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    let covered: Vec<(String, String)> = endpoints
        .iter()
        .map(|(m, p, _, _)| (m.to_string(), shape(p)))
        .collect();
    let routes = kehoach::router::routes();
    let writes: Vec<_> = routes
        .specs()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/") && r.method != "GET")
        .collect();
    assert!(writes.len() >= 9, "{} API write routes", writes.len());
    for r in writes {
        assert!(
            covered.contains(&(r.method.to_owned(), shape(r.path))),
            "{} {} is not fed arbitrary JSON",
            r.method,
            r.path
        );
    }
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for (method, path, token, valid) in &endpoints {
        let strategy = proptest::prop_oneof![arbitrary_json(), mutated(valid.clone())];
        for _ in 0..40 {
            let body = strategy.new_tree(&mut runner).unwrap().current();
            let text = body.to_string();
            let (status, answer) = api.send(method.clone(), path, token, &text).await;
            assert!(
                !status.is_server_error(),
                "{method} {path} answered {status} to {text}"
            );
            if matches!(
                status,
                StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
            ) {
                let fields = answer["error"]["fields"].as_object();
                assert!(
                    fields.is_some_and(|f| !f.is_empty()
                        && f.values()
                            .all(|m| m.as_str().is_some_and(|s| !s.is_empty()))),
                    "{method} {path} answered {status} without naming a field to {text}: {answer}"
                );
            }
        }
    }
    // The district plan page and its DOCX still answer.
    app.login_as("leader").await;
    for path in [format!("/plans/{plan}"), format!("/plans/{plan}/docx")] {
        assert_eq!(app.get(&path).await.status(), StatusCode::OK, "{path}");
    }
}

/// A compiled report carrying 57 persons received (25 + 30 + a hidden-size 2 in one commune):
/// the compiling office reads them exactly, with the read audited; a planner gets them
/// withheld on the page, the print view, the DOCX and the XLSX.
async fn report_victim_figures_are_exact_only_for_those_entitled(app: TestApp) {
    crate::support_stats::enter_small_and_large(&app).await;
    let period = crate::reports::open_period(&app).await;
    let compiled = app
        .scalar(&format!(
            "SELECT id AS n FROM reports WHERE period_id = {period} AND level = 'compiled'"
        ))
        .await;
    let exact = "Tiếp nhận 57 nạn nhân";
    let withheld = "Số liệu về nạn nhân được bảo vệ";
    let (status, page) = app.get_text(&format!("/reports/{compiled}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("data-figure=\"victims_received\">57<"),
        "{page}"
    );
    assert!(page.contains(exact));
    let docx = app
        .get(&format!("/reports/{compiled}/docx"))
        .await
        .bytes()
        .await
        .unwrap();
    assert!(crate::reports::part(&docx, "word/document.xml").contains(exact));
    assert!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'report:victims_exact'")
            .await
            >= 2,
        "every exact read is audited"
    );
    let planner = app.another_browser();
    planner.login_as("planner").await;
    let (status, page) = planner.get_text(&format!("/reports/{compiled}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("data-figure=\"victims_received\""));
    assert!(!page.contains(exact), "the drafted sentence is withheld");
    assert!(page.contains(withheld));
    let (status, print) = planner
        .get_text(&format!("/reports/{compiled}/print"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!print.contains(exact) && print.contains(withheld));
    let docx = planner
        .get(&format!("/reports/{compiled}/docx"))
        .await
        .bytes()
        .await
        .unwrap();
    let xml = crate::reports::part(&docx, "word/document.xml");
    assert!(!xml.contains(exact) && xml.contains(withheld));
    assert!(xml.contains("x — ẩn để bảo vệ nạn nhân."));
    let r = planner.get(&format!("/reports/{compiled}/xlsx")).await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// Hidden figures read the one neutral mark "x" with its legend (never "<5", which a
/// complementary cell of 5 or more would contradict), and hotline-111 tips are protected like
/// persons: the compiling office reads 3, every other reader "x", in the page, API and CSV.
async fn small_counts_read_x_everywhere_and_the_hotline_is_protected_too(app: TestApp) {
    app.login_as("compiler").await;
    let hp = crate::support_stats::unit(&app, "PY-TH-HOAPHONG").await;
    let f = crate::support_stats::fields(
        &app,
        &hp,
        "2024-05",
        &[
            ("female", "16-17", "sexual", "rescued", "abroad", 2),
            ("male", "18-29", "forced_labour", "self", "abroad", 30),
        ],
        &[
            ("hotline_received", "3"),
            ("hotline_handled", "3"),
            ("hotline_referred", "2"),
        ],
    )
    .await;
    crate::support_stats::enter(&app, &f).await;
    let q = format!("unit={hp}&month=2024-05");
    let report: Value = app
        .get(&format!("/api/v1/support-stats?{q}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["summary"]["hotline"]["received"], 3);
    assert_eq!(report["summary"]["hotline"]["referred"], 2);
    for role in ["leader", "planner", "commune"] {
        let browser = app.another_browser();
        browser.login_as(role).await;
        let report: Value = browser
            .get(&format!("/api/v1/support-stats?{q}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(report["exact"], false, "{role}");
        for k in ["received", "handled", "referred"] {
            assert_eq!(report["summary"]["hotline"][k], "x", "{role}: hotline {k}");
        }
        let text = report.to_string();
        assert!(!text.contains("<5"), "{role}: no cell reads <5");
        let (status, page) = browser.get_text(&format!("/stats?{q}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("x — ẩn để bảo vệ nạn nhân"),
            "{role}: the legend"
        );
        assert!(!page.contains("&lt;5"), "{role}");
        let csv = browser
            .get(&format!("/stats/export?{q}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(!csv.contains("<5"), "{role}");
        let (status, trend) = browser.get_text(&format!("/stats/trend?{q}")).await;
        assert_eq!(status, StatusCode::OK, "{role}");
        assert!(!trend.contains("&lt;5"), "{role}");
    }
}

/// The differencing of units: the district's total 25, the communes shown (10, 7) and a
/// neighbour's own total (6) gave the hidden commune's 2; the district's 6 loans minus a
/// commune's 5 gave the other's single loan. Every view of the family is now protected at once:
/// a commune hidden in the district's table is hidden in its own view too, and loans are never
/// left with exactly one commune hidden.
async fn a_units_own_view_cannot_be_subtracted_from_its_parents(app: TestApp) {
    use kehoach::entities::org_unit;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    app.login_as("compiler").await;
    let hp = org_unit::Entity::find()
        .filter(org_unit::Column::Code.eq("PY-TH-HOAPHONG"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let communes = org_unit::Entity::find()
        .filter(org_unit::Column::ParentId.eq(hp.parent_id.unwrap()))
        .order_by_asc(org_unit::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert!(communes.len() >= 4);
    let figures = [(10, 5), (7, 0), (2, 1), (6, 0)];
    for (c, (persons, loans)) in communes.iter().zip(figures) {
        let loans = loans.to_string();
        let amount = (loans.parse::<i64>().unwrap() * 30_000_000).to_string();
        let f = crate::support_stats::fields(
            &app,
            &c.id.to_string(),
            "2024-05",
            &[("male", "18-29", "forced_labour", "self", "abroad", persons)],
            &[
                ("loans_count", loans.as_str()),
                ("loans_amount", amount.as_str()),
            ],
        )
        .await;
        crate::support_stats::enter(&app, &f).await;
    }
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let read = |unit: i64| {
        let leader = &leader;
        async move {
            let r = leader
                .get(&format!("/api/v1/support-stats?unit={unit}&month=2024-05"))
                .await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    let district = read(hp.parent_id.unwrap()).await;
    assert_eq!(district["exact"], false);
    assert_eq!(district["summary"]["received"], 25);
    let by_unit = &district["by_unit"]["rows"];
    let mut hidden_received = 0;
    let mut hidden_loans = 0;
    for c in &communes[..4] {
        let code = c.id.to_string();
        let row = by_unit
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"].as_str() == Some(code.as_str()))
            .unwrap();
        let own = read(c.id).await;
        if row["total"] == "x" {
            hidden_received += 1;
            assert_eq!(
                own["summary"]["received"], "x",
                "{}: hidden in the district's table, so hidden in its own view",
                c.name
            );
        } else {
            assert_eq!(own["summary"]["received"], row["total"], "{}", c.name);
        }
        if own["summary"]["loans_count"] == "x" {
            hidden_loans += 1;
            assert!(own["summary"]["loans_amount"].is_null());
        }
    }
    assert_ne!(
        hidden_received, 1,
        "one hidden commune is the total minus the others"
    );
    if district["summary"]["loans_count"] != "x" {
        assert_ne!(
            hidden_loans, 1,
            "one hidden loan count is the total minus the others"
        );
    }
    assert!(hidden_received >= 2, "the 2 is hidden, with a complement");
}

/// A query-string value that cannot be read is a 400 naming its field: in the API's error shape
/// with the message in the caller's language, and on pages in words. Readable values pass.
async fn query_strings_name_the_field_they_cannot_read(app: TestApp) {
    let commune = token_for(&app, "commune@kehoach.demo").await;
    let api = Api::new(&app);
    let get = |path: &'static str| api.send(reqwest::Method::GET, path, &commune, "");
    for (path, field) in [
        ("/api/v1/activities?from=2024-13-45", "from"),
        ("/api/v1/activities?to=30/02/2024", "to"),
        ("/api/v1/activities?status=bogus", "status"),
        ("/api/v1/activities?limit=abc", "limit"),
        ("/api/v1/activities?from=2024-07-01&limit=-1", "limit"),
    ] {
        let (status, body) = get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(
            body["error"]["fields"][field], "Giá trị không đúng kiểu hoặc định dạng.",
            "{path}: {body}"
        );
        assert_eq!(
            body["error"]["fields"].as_object().unwrap().len(),
            1,
            "{body}"
        );
    }
    for path in [
        "/api/v1/activities?from=2024-01-01&to=31/12/2024&status=held&limit=5",
        "/api/v1/activities?from=&to=&status=",
    ] {
        let (status, body) = get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }

    app.login_as("leader").await;
    for (path, field) in [
        ("/activities?from=x", "from"),
        ("/activities?status=bogus", "status"),
        ("/activities/calendar?to=2024-02-30", "to"),
        ("/activities/export.csv?from=2024-13-45", "from"),
        ("/tasks?from=yesterday", "from"),
        ("/dashboard?to=31-12-2024x", "to"),
    ] {
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            html.contains(&format!("Trường “{field}” trong địa chỉ")),
            "{path}: {html}"
        );
    }
    for path in [
        "/activities?from=2024-01-01&to=31/12/2024&status=planned",
        "/activities?from=&status=",
        "/tasks?from=2024-01-01",
        "/dashboard?from=2024-01-01&to=2024-12-31",
    ] {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "{path}");
    }
    let r = app
        .post_form("/lang", &[("locale", "en"), ("next", "/activities")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = app.get_text("/activities?status=bogus").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Field “status” in the address"), "{html}");
}
