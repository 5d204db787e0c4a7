//! The authorization walk: every route of the router, for every role and for an anonymous
//! caller, checked against the table below. The table is the decision record: a route added to
//! the router without a row here fails `every_route_has_a_decided_access_rule`.

use crate::db_tests;
use crate::helpers::TestApp;
use kehoach::entities::{agency, code, org_unit, plan, plan_item, user};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug)]
enum Who {
    Anyone,
    SignedIn,
    Roles(&'static [&'static str]),
}

const ALL_ROLES: &[&str] = &[
    "admin", "planner", "compiler", "commune", "partner", "leader",
];
const ADMIN: Who = Who::Roles(&["admin"]);
const EDITORS: Who = Who::Roles(&["planner", "commune"]);
/// Everyone reads reports: a partner agency only its own, when a period asks it to answer
/// (an object rule, checked in the handler and in `tests/api/reports.rs`).
const READERS: Who = Who::Roles(ALL_ROLES);
const WRITERS: Who = Who::Roles(&["planner", "commune", "partner"]);
/// Everyone who reads victim-support statistics (small cells hidden): not the administrator.
const STATS_READERS: Who = Who::Roles(&["planner", "compiler", "commune", "partner", "leader"]);
/// The audit log: administrators all of it, leaders their scope's events.
const AUDITORS: Who = Who::Roles(&["admin", "leader"]);
const STATS_ENTRY: Who = Who::Roles(&["compiler", "commune"]);
/// Bulk onboarding and the readiness checklist.
const ROLLOUT: Who = Who::Roles(&["admin", "compiler"]);

/// Who may use each route. Keep in step with `router.rs`.
const EXPECTED: &[(&str, &str, Who)] = &[
    ("GET", "/healthz", Who::Anyone),
    ("GET", "/static/{file}", Who::Anyone),
    ("GET", "/setup/{token}", Who::Anyone),
    ("POST", "/setup/{token}", Who::Anyone),
    ("GET", "/sw.js", Who::Anyone),
    ("GET", "/offline/state", Who::SignedIn),
    ("GET", "/login", Who::Anyone),
    ("POST", "/login", Who::Anyone),
    ("GET", "/password/forgot", Who::Anyone),
    ("POST", "/password/forgot", Who::Anyone),
    ("GET", "/password/reset/{token}", Who::Anyone),
    ("POST", "/password/reset/{token}", Who::Anyone),
    ("GET", "/invite/{token}", Who::Anyone),
    ("POST", "/invite/{token}", Who::Anyone),
    ("POST", "/lang", Who::Anyone),
    ("POST", "/logout", Who::SignedIn),
    ("GET", "/account", Who::SignedIn),
    ("POST", "/account/password", Who::SignedIn),
    ("POST", "/account/email", Who::SignedIn),
    ("GET", "/ics/{token}", Who::Anyone),
    ("GET", "/account/calendar", Who::SignedIn),
    ("POST", "/account/calendar", Who::SignedIn),
    ("POST", "/account/calendar/{token_id}/revoke", Who::SignedIn),
    ("GET", "/account/api-tokens", Who::SignedIn),
    ("POST", "/account/api-tokens", Who::SignedIn),
    (
        "POST",
        "/account/api-tokens/{api_token_id}/revoke",
        Who::SignedIn,
    ),
    ("GET", "/", Who::SignedIn),
    ("GET", "/dashboard", Who::Roles(ALL_ROLES)),
    ("GET", "/plans", Who::Roles(ALL_ROLES)),
    ("GET", "/plans/new", EDITORS),
    ("POST", "/plans", EDITORS),
    ("GET", "/plans/{plan_id}", Who::Roles(ALL_ROLES)),
    ("GET", "/plans/{plan_id}/edit", EDITORS),
    ("POST", "/plans/{plan_id}", EDITORS),
    ("GET", "/plans/{plan_id}/items/new", EDITORS),
    ("POST", "/plans/{plan_id}/items", EDITORS),
    ("GET", "/plans/{plan_id}/items/{item_id}/edit", EDITORS),
    ("POST", "/plans/{plan_id}/items/{item_id}", EDITORS),
    ("POST", "/plans/{plan_id}/items/{item_id}/move", EDITORS),
    ("POST", "/plans/{plan_id}/items/{item_id}/delete", EDITORS),
    ("POST", "/plans/{plan_id}/items/{item_id}/targets", EDITORS),
    ("POST", "/plans/{plan_id}/items/{item_id}/budgets", EDITORS),
    (
        "POST",
        "/plans/{plan_id}/targets/{target_id}/delete",
        EDITORS,
    ),
    ("POST", "/plans/{plan_id}/issue", Who::Roles(&["leader"])),
    ("POST", "/plans/{plan_id}/close", Who::Roles(&["leader"])),
    ("POST", "/plans/{plan_id}/clone", EDITORS),
    ("POST", "/plans/{plan_id}/cascade", EDITORS),
    ("GET", "/plans/{plan_id}/communes", Who::Roles(ALL_ROLES)),
    ("GET", "/plans/{plan_id}/docx", Who::Roles(ALL_ROLES)),
    ("GET", "/activities", Who::Roles(ALL_ROLES)),
    ("GET", "/activities/calendar", Who::Roles(ALL_ROLES)),
    ("GET", "/activities/export.csv", Who::Roles(ALL_ROLES)),
    ("GET", "/activities/export.xlsx", Who::Roles(ALL_ROLES)),
    ("GET", "/activities/import", WRITERS),
    ("POST", "/activities/import", WRITERS),
    ("GET", "/activities/import/template.xlsx", WRITERS),
    ("GET", "/activities/import/{import_id}", WRITERS),
    ("POST", "/activities/import/{import_id}", WRITERS),
    ("GET", "/activities/new", WRITERS),
    ("POST", "/activities", WRITERS),
    ("GET", "/activities/clone", WRITERS),
    ("POST", "/activities/clone", WRITERS),
    ("GET", "/activities/{activity_id}", Who::Roles(ALL_ROLES)),
    ("GET", "/activities/{activity_id}/edit", WRITERS),
    ("POST", "/activities/{activity_id}", WRITERS),
    ("GET", "/activities/{activity_id}/log", WRITERS),
    ("POST", "/activities/{activity_id}/log", WRITERS),
    ("POST", "/activities/{activity_id}/postpone", WRITERS),
    ("POST", "/activities/{activity_id}/cancel", WRITERS),
    ("GET", "/tasks", Who::Roles(ALL_ROLES)),
    ("GET", "/tasks/inbox", Who::Roles(ALL_ROLES)),
    ("GET", "/tasks/export.csv", Who::Roles(ALL_ROLES)),
    ("GET", "/tasks/export.xlsx", Who::Roles(ALL_ROLES)),
    (
        "GET",
        "/tasks/new",
        Who::Roles(&["planner", "compiler", "commune"]),
    ),
    (
        "POST",
        "/tasks",
        Who::Roles(&["planner", "compiler", "commune"]),
    ),
    ("GET", "/tasks/{task_id}", Who::Roles(ALL_ROLES)),
    (
        "POST",
        "/tasks/{task_id}",
        Who::Roles(&["planner", "compiler", "commune", "partner"]),
    ),
    ("POST", "/activities/{activity_id}/evidence", WRITERS),
    (
        "GET",
        "/activities/{activity_id}/evidence/{file_id}",
        Who::Roles(ALL_ROLES),
    ),
    (
        "GET",
        "/activities/{activity_id}/evidence/{file_id}/thumb",
        Who::Roles(ALL_ROLES),
    ),
    (
        "POST",
        "/activities/{activity_id}/evidence/{file_id}/delete",
        WRITERS,
    ),
    ("GET", "/reports", READERS),
    ("GET", "/reports/periods/new", Who::Roles(&["compiler"])),
    ("POST", "/reports/periods", Who::Roles(&["compiler"])),
    ("GET", "/reports/periods/{period_id}", READERS),
    (
        "GET",
        "/reports/periods/{period_id}/completeness.csv",
        READERS,
    ),
    (
        "GET",
        "/reports/periods/{period_id}/completeness.xlsx",
        READERS,
    ),
    ("GET", "/reports/{report_id}", READERS),
    (
        "POST",
        "/reports/{report_id}",
        Who::Roles(&["commune", "compiler", "partner"]),
    ),
    ("POST", "/reports/{report_id}/action", READERS),
    ("GET", "/reports/{report_id}/docx", READERS),
    ("GET", "/reports/{report_id}/xlsx", READERS),
    ("GET", "/reports/{report_id}/print", READERS),
    ("GET", "/stats", STATS_READERS),
    ("GET", "/stats/trend", STATS_READERS),
    ("GET", "/stats/export", STATS_READERS),
    ("GET", "/stats/export.xlsx", STATS_READERS),
    ("GET", "/stats/entry", STATS_ENTRY),
    ("POST", "/stats/entry", STATS_ENTRY),
    ("POST", "/stats/reopen", Who::Roles(&["compiler"])),
    ("GET", "/stats/import", STATS_ENTRY),
    ("POST", "/stats/import", STATS_ENTRY),
    ("GET", "/stats/import/template.xlsx", STATS_ENTRY),
    ("GET", "/stats/import/{import_id}", STATS_ENTRY),
    ("POST", "/stats/import/{import_id}", STATS_ENTRY),
    ("GET", "/org-units", Who::Roles(ALL_ROLES)),
    ("GET", "/org-units/search.json", Who::Roles(ALL_ROLES)),
    ("GET", "/agencies/search.json", Who::Roles(ALL_ROLES)),
    ("GET", "/admin/users", ADMIN),
    ("GET", "/admin/users/new", ADMIN),
    ("POST", "/admin/users", ADMIN),
    ("POST", "/admin/users/{user_id}/active", ADMIN),
    ("POST", "/admin/users/{user_id}/password", ADMIN),
    ("POST", "/admin/users/bulk", ADMIN),
    ("GET", "/admin/agency-templates", ADMIN),
    ("POST", "/admin/agency-templates", ADMIN),
    ("POST", "/admin/agency-templates/{template_id}", ADMIN),
    // Bulk onboarding: the administrator, and a province's compiling office in its province.
    ("GET", "/rollout/agencies", ROLLOUT),
    ("POST", "/rollout/agencies", ROLLOUT),
    ("GET", "/rollout/people", ROLLOUT),
    ("POST", "/rollout/people", ROLLOUT),
    ("GET", "/rollout/people/template.xlsx", ROLLOUT),
    ("GET", "/rollout/people/{import_id}", ROLLOUT),
    ("POST", "/rollout/people/{import_id}", ROLLOUT),
    ("POST", "/rollout/people/{user_id}/invite", ROLLOUT),
    ("GET", "/rollout/ready", ROLLOUT),
    ("GET", "/admin/agencies", ADMIN),
    ("POST", "/admin/agencies", ADMIN),
    ("POST", "/admin/agencies/{agency_id}", ADMIN),
    ("GET", "/admin/audit", AUDITORS),
    ("GET", "/admin/audit/export.csv", AUDITORS),
    ("GET", "/admin/audit/export.xlsx", AUDITORS),
    ("GET", "/admin/outbox", ADMIN),
    ("POST", "/admin/outbox/{email_id}/retry", ADMIN),
    ("GET", "/admin/codes", ADMIN),
    ("POST", "/admin/codes", ADMIN),
    ("POST", "/admin/codes/{code_id}", ADMIN),
    ("GET", "/admin/org-units", ADMIN),
    ("POST", "/admin/org-units", ADMIN),
    ("GET", "/admin/org-units/{unit_id}/edit", ADMIN),
    ("POST", "/admin/org-units/{unit_id}", ADMIN),
    ("GET", "/admin/org-units/merge", ADMIN),
    ("POST", "/admin/org-units/merge", ADMIN),
    ("POST", "/admin/org-units/abolish", ADMIN),
    ("GET", "/admin/org-units/import", ADMIN),
    ("POST", "/admin/org-units/import", ADMIN),
    ("POST", "/admin/org-units/import/official", ADMIN),
    ("GET", "/admin/org-units/import/{import_id}", ADMIN),
    ("POST", "/admin/org-units/import/{import_id}", ADMIN),
    ("GET", "/api/v1/me", Who::SignedIn),
    ("GET", "/api/v1/activities", Who::Roles(ALL_ROLES)),
    ("POST", "/api/v1/activities", WRITERS),
    (
        "GET",
        "/api/v1/activities/{activity_id}",
        Who::Roles(ALL_ROLES),
    ),
    ("PUT", "/api/v1/activities/{activity_id}", WRITERS),
    ("POST", "/api/v1/activities/{activity_id}/status", WRITERS),
    ("GET", "/api/v1/tasks", Who::Roles(ALL_ROLES)),
    (
        "POST",
        "/api/v1/tasks",
        Who::Roles(&["planner", "compiler", "commune"]),
    ),
    ("GET", "/api/v1/tasks/{task_id}", Who::Roles(ALL_ROLES)),
    (
        "POST",
        "/api/v1/tasks/{task_id}/status",
        Who::Roles(&["planner", "compiler", "commune", "partner"]),
    ),
    ("GET", "/api/v1/support-stats", STATS_READERS),
    ("GET", "/api/v1/plans", Who::Roles(ALL_ROLES)),
    ("POST", "/api/v1/plans", EDITORS),
    ("GET", "/api/v1/plans/{plan_id}", Who::Roles(ALL_ROLES)),
    ("PATCH", "/api/v1/plans/{plan_id}", EDITORS),
    ("POST", "/api/v1/plans/{plan_id}/items", EDITORS),
    ("PATCH", "/api/v1/plans/{plan_id}/items/{item_id}", EDITORS),
];

const ROLE_DENIED: &str = "Bạn không có quyền thực hiện thao tác này.";

fn allowed(who: Who, role: Option<&str>) -> bool {
    match (who, role) {
        (Who::Anyone, _) => true,
        (_, None) => false,
        (Who::SignedIn, Some(_)) => true,
        (Who::Roles(roles), Some(r)) => roles.contains(&r),
    }
}

#[test]
fn every_route_has_a_decided_access_rule() {
    let routes = kehoach::router::routes();
    let actual: BTreeSet<(String, String)> = routes
        .specs()
        .iter()
        .map(|s| (s.method.to_owned(), s.path.to_owned()))
        .collect();
    let expected: BTreeSet<(String, String)> = EXPECTED
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let undecided: Vec<_> = actual.difference(&expected).collect();
    let stale: Vec<_> = expected.difference(&actual).collect();
    assert!(
        undecided.is_empty(),
        "routes without a row in EXPECTED: {undecided:?}"
    );
    assert!(
        stale.is_empty(),
        "rows in EXPECTED for routes that do not exist: {stale:?}"
    );
    // And the rule in the router is the one decided here.
    for spec in routes.specs() {
        let (_, _, who) = EXPECTED
            .iter()
            .find(|(m, p, _)| *m == spec.method && *p == spec.path)
            .unwrap();
        for role in ALL_ROLES.iter().map(Some).chain([None]) {
            let parsed = role.and_then(|r| kehoach::auth::Role::parse(r));
            assert_eq!(
                spec.access.allows(parsed),
                allowed(*who, role.copied()),
                "{} {} for {role:?}",
                spec.method,
                spec.path
            );
        }
    }
}

db_tests!(every_route_answers_every_role_as_decided);

async fn sample_path(app: &TestApp, path: &str, throwaway_user: i64) -> String {
    let plan_id = plan::Entity::find().one(&app.db).await.unwrap().unwrap().id;
    let agency_id = agency::Entity::find()
        .filter(agency::Column::Code.eq("TH-NHCSXH"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let code_id = code::Entity::find().one(&app.db).await.unwrap().unwrap().id;
    let item_id = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(plan_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let unit_id = org_unit::Entity::find()
        .filter(org_unit::Column::Code.eq("PY-TH-HOATHINH"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    path.replace("{plan_id}", &plan_id.to_string())
        .replace("{user_id}", &throwaway_user.to_string())
        .replace("{agency_id}", &agency_id.to_string())
        .replace("{code_id}", &code_id.to_string())
        .replace("{item_id}", &item_id.to_string())
        .replace("{target_id}", "999999")
        .replace("{activity_id}", "999999")
        .replace("{task_id}", "999999")
        .replace("{period_id}", "999999")
        .replace("{report_id}", "999999")
        .replace("{file_id}", "999999")
        .replace("{email_id}", "999999")
        .replace("{import_id}", "999999")
        .replace("{unit_id}", &unit_id.to_string())
        .replace("{file}", "app.css")
        .replace("{token}", &format!("{}.ics", "0".repeat(64)))
        .replace("{token_id}", "999999")
        .replace("{api_token_id}", "999999")
        .replace("{template_id}", "999999")
}

async fn every_route_answers_every_role_as_decided(app: TestApp) {
    let agency_id = agency::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let throwaway = kehoach::auth::users::create(
        &app.db,
        None,
        kehoach::auth::users::NewUser {
            email: "throwaway@kehoach.demo".into(),
            display_name: "Throwaway".into(),
            role: kehoach::auth::Role::Partner,
            agency_id,
            locale: kehoach::web::i18n::Locale::Vi,
            password: "throwaway-password".into(),
        },
        app.clock.now(),
    )
    .await
    .unwrap();
    let _ = user::Entity::find_by_id(throwaway.id)
        .one(&app.db)
        .await
        .unwrap();

    let mut failures = Vec::new();
    for role in ALL_ROLES.iter().map(Some).chain([None]) {
        let browser = app.another_browser();
        if let Some(r) = role {
            browser.login_as(r).await;
        }
        // Logging out ends the walk for this role, so it goes last.
        let mut routes: Vec<_> = EXPECTED.to_vec();
        routes.sort_by_key(|(_, p, _)| *p == "/logout");
        for (method, path, who) in routes {
            let url = sample_path(&app, path, throwaway.id).await;
            let response = match method {
                "GET" => browser.get(&url).await,
                "POST" => browser.post_form(&url, &[]).await,
                other => {
                    let token = browser.csrf().await;
                    browser
                        .client
                        .request(other.parse().unwrap(), browser.url(&url))
                        .header("x-csrf-token", token)
                        .json(&serde_json::json!({}))
                        .send()
                        .await
                        .unwrap()
                }
            };
            let status = response.status();
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let body = response.text().await.unwrap_or_default();
            // A role refusal says so; a 403 for an object outside the user's scope says
            // something else and is not a role decision.
            let role_denied = status == StatusCode::FORBIDDEN && body.contains(ROLE_DENIED);
            let ok = if allowed(who, role.copied()) {
                let sent_to_login = role.is_none() && location.starts_with("/login?");
                !(role_denied
                    || status == StatusCode::UNAUTHORIZED
                    || status.is_server_error()
                    || sent_to_login)
            } else if role.is_none() {
                if path.starts_with("/api/") {
                    status == StatusCode::UNAUTHORIZED
                } else {
                    status == StatusCode::SEE_OTHER && location.starts_with("/login?next=")
                }
            } else {
                role_denied
            };
            if !ok {
                failures.push(format!("{role:?} {method} {url} -> {status} {location}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

db_tests!(
    a_commune_officer_reaches_nothing_of_another_commune_through_its_ids,
    nobody_of_another_district_reaches_anything_of_tay_hoa,
);

/// Text that exists only in the other commune's (or the district's) objects: it must appear in
/// no page, no form re-shown with errors, no API answer and no export the commune officer gets.
const MARKERS: [&str; 3] = [
    "Buổi kín của xã Hòa Thịnh",
    "Nhiệm vụ kín của huyện",
    "Tình hình kín của Hòa Thịnh",
];

/// Objects of Tây Hòa that the walks try to reach: an activity of Hòa Thịnh, its evidence file
/// and its report, a task between district agencies, the district's reporting period, a
/// planner's staged import, calendar feed and API key, and the district's plan with an item and
/// a target. `ids` maps each path placeholder to one of them.
struct Objects {
    ids: Vec<(&'static str, i64)>,
}

impl Objects {
    fn id(&self, placeholder: &str) -> i64 {
        self.ids.iter().find(|(p, _)| *p == placeholder).unwrap().1
    }

    /// Every object's whole row, to prove that nothing about them changed.
    async fn rows(&self, app: &TestApp) -> Vec<serde_json::Value> {
        use kehoach::entities::{
            activity, api_token, coordination_task, evidence_file, ics_token, import, plan_target,
            report, reporting_period,
        };
        let db = &app.db;
        vec![
            json_row(
                activity::Entity::find_by_id(self.id("{activity_id}"))
                    .into_json()
                    .one(db)
                    .await,
            ),
            json_row(
                evidence_file::Entity::find_by_id(self.id("{file_id}"))
                    .into_json()
                    .one(db)
                    .await,
            ),
            json_row(
                coordination_task::Entity::find_by_id(self.id("{task_id}"))
                    .into_json()
                    .one(db)
                    .await,
            ),
            json_row(
                report::Entity::find_by_id(self.id("{report_id}"))
                    .into_json()
                    .one(db)
                    .await,
            ),
            json_row(
                reporting_period::Entity::find_by_id(self.id("{period_id}"))
                    .into_json()
                    .one(db)
                    .await,
            ),
            json_row(
                import::Entity::find_by_id(self.id("{import_id}"))
                    .into_json()
                    .one(db)
                    .await,
            ),
            json_row(
                ics_token::Entity::find_by_id(self.id("{token_id}"))
                    .into_json()
                    .one(db)
                    .await,
            ),
            json_row(
                api_token::Entity::find_by_id(self.id("{api_token_id}"))
                    .into_json()
                    .one(db)
                    .await,
            ),
            json_row(
                plan::Entity::find_by_id(self.id("{plan_id}"))
                    .into_json()
                    .one(db)
                    .await,
            ),
            json_row(
                plan_item::Entity::find_by_id(self.id("{item_id}"))
                    .into_json()
                    .one(db)
                    .await,
            ),
            json_row(
                plan_target::Entity::find_by_id(self.id("{target_id}"))
                    .into_json()
                    .one(db)
                    .await,
            ),
        ]
    }
}

fn json_row(found: Result<Option<serde_json::Value>, sea_orm::DbErr>) -> serde_json::Value {
    found.unwrap().expect("the object exists")
}

/// Makes the objects, as the district's planner and compiler.
async fn objects_of_tay_hoa(app: &TestApp) -> Objects {
    let planner = app.another_browser();
    planner.login_as("planner").await;
    let mut f =
        crate::activities::fields(app, "PY-TH-HOATHINH", "TH-HOATHINH-UBND", "2024-06-12").await;
    crate::activities::set(&mut f, "title", MARKERS[0]);
    let activity = crate::activities::create(&planner, &f).await;
    let r = crate::evidence::upload_photo(&planner, activity, crate::evidence::plain_jpeg(64, 48))
        .await;
    assert!(r.status().is_success() || r.status().is_redirection());
    let file = app
        .scalar(&format!(
            "SELECT id AS n FROM evidence_files WHERE activity_id = {activity}"
        ))
        .await;
    let compiler = app.another_browser();
    compiler.login_as("compiler").await;
    let task =
        crate::tasks::request(&compiler, "TH-CA", "2024-06-25", "2024-07-10", MARKERS[1]).await;
    let period = crate::reports::open_period(&compiler).await;
    let report = crate::reports::report_of(app, period, "PY-TH-HOATHINH").await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!(
            "UPDATE reports SET narrative = '{{\"situation\":\"{}\"}}' WHERE id = {report}",
            MARKERS[2]
        ),
    )
    .await
    .unwrap();
    let item = crate::imports::item(app).await;
    let csv = format!(
        "{}\n{},talk,{item},Xã Hòa Thịnh,Phòng VH-TT,01/06/2024,,,,,,,,,,,",
        crate::imports::HEADER,
        MARKERS[0]
    );
    let (import, _) =
        crate::imports::preview(&planner, "/activities/import", "kin.csv", csv.into_bytes()).await;
    let import: i64 = import.rsplit('/').next().unwrap().parse().unwrap();
    let r = planner
        .post_form(
            "/account/calendar",
            &[("kind", "user"), ("org_unit_id", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = app.scalar("SELECT MAX(id) AS n FROM ics_tokens").await;
    let r = planner
        .post_form("/account/api-tokens", &[("name", "Bảng tính của phòng")])
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let api_token = app.scalar("SELECT MAX(id) AS n FROM api_tokens").await;
    // A draft plan of the district, with an item and a target: the one kind planners change.
    let (plan, plan_item) = crate::plans::draft_with_item(&planner).await;
    let women = crate::plans::code_id(app, "indicator", "participants_women").await;
    let r = planner
        .post_form(
            &format!("/plans/{plan}/items/{plan_item}/targets"),
            &[("indicator_id", &women), ("value", "40"), ("unit", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let target = app
        .scalar(&format!(
            "SELECT MAX(id) AS n FROM plan_targets WHERE plan_item_id = {plan_item}"
        ))
        .await;
    Objects {
        ids: vec![
            ("{activity_id}", activity),
            ("{file_id}", file),
            ("{task_id}", task),
            ("{report_id}", report),
            ("{period_id}", period),
            ("{import_id}", import),
            ("{token_id}", token),
            ("{api_token_id}", api_token),
            ("{plan_id}", plan),
            ("{item_id}", plan_item),
            ("{target_id}", target),
        ],
    }
}

/// How a walker signs its requests: the browser's session, or an API key alone.
enum Caller<'a> {
    Browser(&'a TestApp),
    ApiKey(&'a TestApp, &'a str),
}

impl Caller<'_> {
    async fn send(&self, method: &str, url: &str) -> reqwest::Response {
        match *self {
            Caller::Browser(b) => match method {
                "GET" => b.get(url).await,
                "POST" => b.post_form(url, &[("version", "1")]).await,
                other => {
                    let token = b.csrf().await;
                    b.client
                        .request(other.parse().unwrap(), b.url(url))
                        .header("x-csrf-token", token)
                        .json(&serde_json::json!({ "version": 1, "title": "x" }))
                        .send()
                        .await
                        .unwrap()
                }
            },
            Caller::ApiKey(app, key) => reqwest::Client::new()
                .request(method.parse().unwrap(), app.url(url))
                .bearer_auth(key)
                .json(&serde_json::json!({ "version": 1, "title": "x", "status": "held" }))
                .send()
                .await
                .unwrap(),
        }
    }
}

/// Every route with one of the objects' ids in its path (for an API key, the `/api/` ones):
/// each answer is a refusal holding none of the objects' text. Then the lists and exports the
/// caller may read hold none of it either. Returns the number of routes walked.
async fn walk(
    app: &TestApp,
    who: &str,
    caller: &Caller<'_>,
    objects: &Objects,
    markers: &[&str],
) -> usize {
    let api_only = matches!(caller, Caller::ApiKey(..));
    let mut walked = 0;
    for (method, path, _) in EXPECTED {
        if !objects.ids.iter().any(|(p, _)| path.contains(p))
            || (api_only && !path.starts_with("/api/"))
        {
            continue;
        }
        let mut url = (*path).to_owned();
        for (p, id) in &objects.ids {
            url = url.replace(p, &id.to_string());
        }
        let url = sample_path(app, &url, 0).await;
        let response = caller.send(method, &url).await;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert!(
            status.is_client_error(),
            "{who}: {method} {url} answered {status} outside the scope"
        );
        for m in markers {
            assert!(!body.contains(m), "{who}: {method} {url} shows “{m}”");
        }
        walked += 1;
    }
    let hoa_thinh = app
        .scalar("SELECT id AS n FROM org_units WHERE code = 'PY-TH-HOATHINH'")
        .await;
    for path in [
        "/activities?from=2024-01-01&to=2024-12-31".to_owned(),
        format!("/activities?from=2024-01-01&to=2024-12-31&unit={hoa_thinh}"),
        "/activities/export.csv?from=2024-01-01&to=2024-12-31".to_owned(),
        "/activities/calendar?month=2024-06".to_owned(),
        "/tasks".to_owned(),
        "/reports".to_owned(),
        "/plans".to_owned(),
        format!("/dashboard?unit={hoa_thinh}&from=2024-01-01&to=2024-12-31"),
        format!("/stats?unit={hoa_thinh}&from=2024-01&to=2024-12"),
        format!("/stats/export?unit={hoa_thinh}&from=2024-01&to=2024-12"),
        format!("/api/v1/support-stats?unit={hoa_thinh}&from=2024-01&to=2024-12"),
        "/api/v1/activities?from=2024-01-01&to=2024-12-31".to_owned(),
        "/api/v1/tasks".to_owned(),
        "/api/v1/plans".to_owned(),
    ] {
        if api_only && !path.starts_with("/api/") {
            continue;
        }
        let response = caller.send("GET", &path).await;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert!(
            status.is_success() || status.is_client_error(),
            "{who}: {path} answered {status}"
        );
        // Victim-support figures of a unit outside the scope: refused outright.
        if path.contains("stats") {
            assert!(status.is_client_error(), "{who}: {path} answered {status}");
        }
        for m in markers {
            assert!(!body.contains(m), "{who}: {path} shows “{m}”");
        }
    }
    walked
}

/// The commune officer of Hòa Phong, with the ids of objects of Hòa Thịnh and of the district:
/// every answer a refusal, no answer holds any of the objects' text, nothing about them
/// changed. (The district's plan is theirs to read, so it is not walked here.)
async fn a_commune_officer_reaches_nothing_of_another_commune_through_its_ids(app: TestApp) {
    let objects = objects_of_tay_hoa(&app).await;
    let before = objects.rows(&app).await;
    let outside = Objects {
        ids: (objects.ids.iter().copied())
            .filter(|(p, _)| !matches!(*p, "{plan_id}" | "{item_id}" | "{target_id}"))
            .collect(),
    };
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let walked = walk(
        &app,
        "commune",
        &Caller::Browser(&commune),
        &outside,
        &MARKERS,
    )
    .await;
    assert!(walked >= 25, "only {walked} routes walked");
    let key = kehoach::auth::users::issue_api_token(
        &app.db,
        app.scalar("SELECT id AS n FROM users WHERE email = 'commune@kehoach.demo'")
            .await,
        "walk",
        app.clock.now(),
    )
    .await
    .unwrap();
    let walked = walk(
        &app,
        "commune's key",
        &Caller::ApiKey(&app, &key),
        &outside,
        &MARKERS,
    )
    .await;
    assert!(walked >= 5, "only {walked} API routes walked");
    assert_eq!(
        objects.rows(&app).await,
        before,
        "an object outside the scope was changed"
    );
}

/// A neighbouring district, Đông Hòa, with one commune and an agency for every role: its people
/// (browser and API key alike) reach nothing of Tây Hòa through the ids of its objects — not its
/// plan, activities, evidence, tasks, reports, periods, imports, calendar feeds or API keys.
async fn nobody_of_another_district_reaches_anything_of_tay_hoa(app: TestApp) {
    let objects = objects_of_tay_hoa(&app).await;
    let before = objects.rows(&app).await;

    let admin = app.another_browser();
    admin.login_as("admin").await;
    let province = app
        .scalar("SELECT id AS n FROM org_units WHERE code = 'PY'")
        .await;
    let district = add_unit(&admin, "PY-DH", "Thị xã Đông Hòa", "district", province).await;
    let commune = add_unit(
        &admin,
        "PY-DH-HOAVINH",
        "Phường Hòa Vinh",
        "commune",
        district,
    )
    .await;
    let people = [
        (
            "leader",
            "PY-DH-UBND",
            "Ủy ban nhân dân thị xã Đông Hòa",
            "people_committee",
            district,
        ),
        (
            "planner",
            "PY-DH-VHTT",
            "Phòng Văn hóa và Thông tin thị xã Đông Hòa",
            "office",
            district,
        ),
        (
            "compiler",
            "PY-DH-LDTBXH",
            "Phòng Lao động - Thương binh và Xã hội thị xã Đông Hòa",
            "office",
            district,
        ),
        (
            "partner",
            "PY-DH-CA",
            "Công an thị xã Đông Hòa",
            "police",
            district,
        ),
        (
            "commune",
            "PY-DH-HOAVINH-UBND",
            "Ủy ban nhân dân phường Hòa Vinh",
            "people_committee",
            commune,
        ),
    ];
    // Nothing of Tây Hòa at all: not even the names of its units.
    let markers = [&MARKERS[..], &["Tây Hòa", "Hòa Thịnh", "Hòa Phong"]].concat();
    let mut walked = 0;
    for (role, code, name, kind, unit) in people {
        let agency_id = crate::admin::add_agency(&admin, code, (name, name), kind, unit).await;
        let email = format!("{role}@donghoa.demo");
        let user = kehoach::auth::users::create(
            &app.db,
            None,
            kehoach::auth::users::NewUser {
                email: email.clone(),
                display_name: format!("Cán bộ {role} Đông Hòa"),
                role: kehoach::auth::Role::parse(role).unwrap(),
                agency_id,
                locale: kehoach::web::i18n::Locale::Vi,
                password: "dong-hoa-password".into(),
            },
            app.clock.now(),
        )
        .await
        .unwrap();
        let browser = app.another_browser();
        let r = browser.login(&email, "dong-hoa-password").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login as {email}");
        walked += walk(&app, role, &Caller::Browser(&browser), &objects, &markers).await;
        let key = kehoach::auth::users::issue_api_token(&app.db, user.id, "walk", app.clock.now())
            .await
            .unwrap();
        walked += walk(
            &app,
            &format!("{role}'s key"),
            &Caller::ApiKey(&app, &key),
            &objects,
            &markers,
        )
        .await;
    }
    assert!(walked >= 5 * 40, "only {walked} requests walked");
    // Writes that name Tây Hòa's plan items or agencies are refused, and write nothing.
    let tasks = app.count("coordination_tasks").await;
    let activities = app.count("activities").await;
    let compiler = app.another_browser();
    compiler
        .login("compiler@donghoa.demo", "dong-hoa-password")
        .await;
    let kind = app
        .scalar("SELECT id AS n FROM codes WHERE list = 'task_kind' AND code = 'referral_111'")
        .await
        .to_string();
    let lead = app
        .scalar("SELECT id AS n FROM agencies WHERE code = 'PY-DH-LDTBXH'")
        .await
        .to_string();
    let th_police = app
        .scalar("SELECT id AS n FROM agencies WHERE code = 'TH-CA'")
        .await
        .to_string();
    let item = objects.id("{item_id}").to_string();
    let r = compiler
        .post_form(
            "/tasks",
            &[
                ("kind_id", kind.as_str()),
                ("title", "Đề nghị xác minh"),
                ("plan_item_id", &item),
                ("lead_agency_id", &lead),
                ("partner_agency_id", &th_police),
                ("ack_due_date", "2024-06-25"),
                ("due_date", "2024-07-10"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for field in ["plan_item_id", "partner_agency_id"] {
        assert!(
            html.contains(&format!(
                "id=\"e-{field}\">Vui lòng chọn một giá trị trong danh sách."
            )),
            "{field} is not refused"
        );
    }
    assert!(html.contains("Đề nghị xác minh"), "what was typed is kept");
    let planner = app.another_browser();
    planner
        .login("planner@donghoa.demo", "dong-hoa-password")
        .await;
    let mut f =
        crate::activities::fields(&app, "PY-DH-HOAVINH", "PY-DH-HOAVINH-UBND", "2024-06-20").await;
    crate::activities::set(&mut f, "plan_item_id", &item);
    let r = planner
        .post_form("/activities", &crate::activities::pairs(&f))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("coordination_tasks").await, tasks);
    assert_eq!(app.count("activities").await, activities);
    // Nor is Tây Hòa's plan listed to them.
    let title = plan::Entity::find_by_id(objects.id("{plan_id}"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .title;
    let planner = app.another_browser();
    planner
        .login("planner@donghoa.demo", "dong-hoa-password")
        .await;
    for path in ["/plans", "/api/v1/plans"] {
        let (status, body) = planner.get_text(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            !body.contains(&title),
            "{path} lists Tây Hòa's plan to Đông Hòa"
        );
    }
    assert_eq!(
        objects.rows(&app).await,
        before,
        "an object outside the scope was changed"
    );
}

async fn add_unit(admin: &TestApp, code: &str, name: &str, kind: &str, parent: i64) -> i64 {
    let r = admin
        .post_form(
            "/admin/org-units",
            &[
                ("code", code),
                ("name", name),
                ("kind", kind),
                ("parent_id", &parent.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "unit {code}");
    admin
        .scalar(&format!(
            "SELECT id AS n FROM org_units WHERE code = '{code}'"
        ))
        .await
}

db_tests!(the_district_roles_read_the_district_objects_through_their_ids);

/// The other half of the walk: the same objects seen from inside their scope. Every page and API
/// answer with an object id that a district role may use (by the table above) opens for the
/// district's leader, planner, compiler and the administrator — so the refusals above are about
/// scope, not routes that refuse everyone. Staged imports, calendar feeds and API keys belong to
/// the planner who made them, and are checked by their own tests.
async fn the_district_roles_read_the_district_objects_through_their_ids(app: TestApp) {
    let objects = objects_of_tay_hoa(&app).await;
    let mine = ["{import_id}", "{token_id}", "{api_token_id}"];
    let mut opened = 0;
    for role in ["leader", "planner", "compiler", "admin"] {
        let browser = app.another_browser();
        browser.login_as(role).await;
        for (method, path, who) in EXPECTED {
            let has_object = objects.ids.iter().any(|(p, _)| path.contains(p));
            if *method != "GET"
                || !has_object
                || mine.iter().any(|p| path.contains(p))
                || !allowed(*who, Some(role))
            {
                continue;
            }
            let mut url = (*path).to_owned();
            for (p, id) in &objects.ids {
                url = url.replace(p, &id.to_string());
            }
            let url = sample_path(&app, &url, 0).await;
            let status = browser.get(&url).await.status();
            assert!(
                status.is_success(),
                "{role}: GET {url} answered {status} inside the scope"
            );
            opened += 1;
        }
    }
    assert!(opened >= 40, "only {opened} pages opened");
}
