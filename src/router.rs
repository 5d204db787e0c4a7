//! The whole route table. Every route is added through [`Routes::add`], which demands its
//! [`Access`] rule and installs the check in front of the handler; the list of rules is kept
//! so that a test can walk every route for every role. A route cannot be added without
//! deciding who may use it.

use crate::auth::identity::enforce_access;
use crate::auth::permissions::{Access, Capability::*};
use crate::state::AppState;
use crate::{
    activities, admin, api, auth, dashboard, imports, org_units, plans, reports, spreadsheets,
    support_stats, tasks, web,
};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodRouter, get, post};

/// One route and who may use it.
#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

pub struct Routes {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl Routes {
    fn new() -> Self {
        Routes {
            router: Router::new(),
            specs: Vec::new(),
        }
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.specs.push(RouteSpec {
            method,
            path,
            access,
        });
        let guarded = handler.route_layer(from_fn_with_state(access, enforce_access));
        self.router = self.router.route(path, guarded);
        self
    }

    pub fn get<H, T>(self, path: &'static str, access: Access, h: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add("GET", path, access, get(h))
    }

    pub fn post<H, T>(self, path: &'static str, access: Access, h: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add("POST", path, access, post(h))
    }

    pub fn put<H, T>(self, path: &'static str, access: Access, h: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add("PUT", path, access, axum::routing::put(h))
    }

    pub fn patch<H, T>(self, path: &'static str, access: Access, h: H) -> Self
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add("PATCH", path, access, axum::routing::patch(h))
    }

    pub fn specs(&self) -> &[RouteSpec] {
        &self.specs
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}

use Access::{Can, Public, SignedIn};

/// Every route of the application, one per line so that the table reads as a table.
#[rustfmt::skip]
pub fn routes() -> Routes {
    Routes::new()
        // Plumbing
        .get("/healthz", Public, api::handlers::get_healthz)
        .get("/static/{file}", Public, web::static_files::get_static)
        // Working offline: the service worker (at the root, for its scope) and what to keep.
        .get("/sw.js", Public, crate::offline::get_service_worker)
        .get("/offline/state", SignedIn, crate::offline::get_offline_state)
        // Accounts
        .get("/setup/{token}", Public, crate::setup::get_setup)
        .post("/setup/{token}", Public, crate::setup::post_setup)
        .get("/login", Public, auth::handlers::get_login)
        .post("/login", Public, auth::handlers::post_login)
        .get("/password/forgot", Public, auth::reset::get_forgot)
        .post("/password/forgot", Public, auth::reset::post_forgot)
        .get("/password/reset/{token}", Public, auth::reset::get_reset)
        .post("/password/reset/{token}", Public, auth::reset::post_reset)
        .get("/invite/{token}", Public, crate::rollout::invite::get_invite)
        .post("/invite/{token}", Public, crate::rollout::invite::post_invite)
        .post("/logout", SignedIn, auth::handlers::post_logout)
        .post("/lang", Public, auth::handlers::post_lang)
        .get("/account", SignedIn, auth::handlers::get_account)
        .post("/account/password", SignedIn, auth::handlers::post_account_password)
        .post("/account/email", SignedIn, auth::handlers::post_account_email)
        // Calendar feeds: the token in the address is the credential, checked in the handler.
        .get("/ics/{token}", Public, activities::ics::feed::get_ics_feed)
        .get("/account/calendar", SignedIn, activities::ics::tokens::get_account_calendar)
        .post("/account/calendar", SignedIn, activities::ics::tokens::post_account_calendar)
        .post("/account/calendar/{token_id}/revoke", SignedIn, activities::ics::tokens::post_account_calendar_revoke)
        .get("/account/api-tokens", SignedIn, auth::api_tokens::get_api_tokens)
        .post("/account/api-tokens", SignedIn, auth::api_tokens::post_api_tokens)
        .post("/account/api-tokens/{api_token_id}/revoke", SignedIn, auth::api_tokens::post_api_token_revoke)
        // Home
        .get("/", SignedIn, crate::home::get_home)
        // Dashboard
        .get("/dashboard", Can(ViewDashboard), dashboard::views::get_dashboard)
        // Plans
        .get("/plans", Can(ViewPlans), plans::handlers::get_plans)
        .get("/plans/new", Can(EditPlans), plans::edit::get_new_plan)
        .post("/plans", Can(EditPlans), plans::edit::post_plan)
        .get("/plans/{plan_id}", Can(ViewPlans), plans::handlers::get_plan)
        .get("/plans/{plan_id}/edit", Can(EditPlans), plans::edit::get_edit_plan)
        .post("/plans/{plan_id}", Can(EditPlans), plans::edit::post_plan_update)
        .get("/plans/{plan_id}/items/new", Can(EditPlans), plans::edit::get_new_item)
        .post("/plans/{plan_id}/items", Can(EditPlans), plans::edit::post_item)
        .get("/plans/{plan_id}/items/{item_id}/edit", Can(EditPlans), plans::edit::get_edit_item)
        .post("/plans/{plan_id}/items/{item_id}", Can(EditPlans), plans::edit::post_item_update)
        .post("/plans/{plan_id}/items/{item_id}/move", Can(EditPlans), plans::edit::post_item_move)
        .post("/plans/{plan_id}/items/{item_id}/delete", Can(EditPlans), plans::edit::post_item_delete)
        .post("/plans/{plan_id}/items/{item_id}/targets", Can(EditPlans), plans::edit::post_target)
        .post("/plans/{plan_id}/items/{item_id}/budgets", Can(EditPlans), plans::edit::post_budgets)
        .post("/plans/{plan_id}/targets/{target_id}/delete", Can(EditPlans), plans::edit::post_target_delete)
        .post("/plans/{plan_id}/issue", Can(IssuePlans), plans::lifecycle::post_issue)
        .post("/plans/{plan_id}/close", Can(IssuePlans), plans::lifecycle::post_close)
        .post("/plans/{plan_id}/clone", Can(EditPlans), plans::lifecycle::post_clone)
        .post("/plans/{plan_id}/cascade", Can(EditPlans), plans::lifecycle::post_cascade)
        .get("/plans/{plan_id}/communes", Can(ViewPlans), plans::lifecycle::get_communes)
        .get("/plans/{plan_id}/docx", Can(ViewPlans), plans::handlers::get_plan_docx)
        // Activities
        .get("/activities", Can(ViewActivities), activities::views::get_activities)
        .get("/activities/calendar", Can(ViewActivities), activities::views::get_calendar)
        .get("/activities/export.csv", Can(ViewActivities), spreadsheets::activities::get_activities_csv)
        .get("/activities/export.xlsx", Can(ViewActivities), spreadsheets::activities::get_activities_xlsx)
        .get("/activities/import", Can(WriteActivities), imports::handlers::get_activities_import)
        .post("/activities/import", Can(WriteActivities), imports::handlers::post_activities_import.layer(DefaultBodyLimit::max(crate::startup::MAX_BODY_BYTES)))
        .get("/activities/import/template.xlsx", Can(WriteActivities), imports::handlers::get_activities_template)
        .get("/activities/import/{import_id}", Can(WriteActivities), imports::handlers::get_activities_import_preview)
        .post("/activities/import/{import_id}", Can(WriteActivities), imports::handlers::post_activities_import_commit)
        .get("/activities/new", Can(WriteActivities), activities::edit::get_new_activity)
        .post("/activities", Can(WriteActivities), activities::edit::post_activity)
        .get("/activities/clone", Can(WriteActivities), activities::campaign::get_clone)
        .post("/activities/clone", Can(WriteActivities), activities::campaign::post_clone)
        .get("/activities/{activity_id}", Can(ViewActivities), activities::views::get_activity)
        .get("/activities/{activity_id}/edit", Can(WriteActivities), activities::edit::get_edit_activity)
        .post("/activities/{activity_id}", Can(WriteActivities), activities::edit::post_activity_update)
        .get("/activities/{activity_id}/log", Can(WriteActivities), activities::edit::get_log)
        .post("/activities/{activity_id}/log", Can(WriteActivities), activities::edit::post_log)
        .post("/activities/{activity_id}/postpone", Can(WriteActivities), activities::edit::post_postpone)
        .post("/activities/{activity_id}/cancel", Can(WriteActivities), activities::edit::post_cancel)
        // Coordination tasks
        .get("/tasks", Can(ViewTasks), tasks::views::get_tasks)
        .get("/tasks/inbox", Can(ViewTasks), tasks::views::get_inbox)
        .get("/tasks/export.csv", Can(ViewTasks), spreadsheets::tables::get_tasks_csv)
        .get("/tasks/export.xlsx", Can(ViewTasks), spreadsheets::tables::get_tasks_xlsx)
        .get("/tasks/new", Can(WriteTasks), tasks::views::get_new_task)
        .post("/tasks", Can(WriteTasks), tasks::views::post_task)
        .get("/tasks/{task_id}", Can(ViewTasks), tasks::views::get_task)
        .post("/tasks/{task_id}", Can(ActOnTasks), tasks::views::post_task_action)
        // Activity evidence
        .post("/activities/{activity_id}/evidence", Can(WriteActivities), activities::evidence::post_evidence.layer(DefaultBodyLimit::max(activities::evidence::UPLOAD_BODY_BYTES)))
        .get("/activities/{activity_id}/evidence/{file_id}", Can(ViewActivities), activities::evidence::get_evidence_file)
        .get("/activities/{activity_id}/evidence/{file_id}/thumb", Can(ViewActivities), activities::evidence::get_evidence_thumb)
        .post("/activities/{activity_id}/evidence/{file_id}/delete", Can(WriteActivities), activities::evidence::post_evidence_delete)
        // Reporting
        .get("/reports", Can(ViewReports), reports::views::get_reports)
        .get("/reports/periods/new", Can(ManageReporting), reports::views::get_new_period)
        .post("/reports/periods", Can(ManageReporting), reports::views::post_period)
        .get("/reports/periods/{period_id}", Can(ViewReports), reports::views::get_period)
        .get("/reports/periods/{period_id}/completeness.csv", Can(ViewReports), spreadsheets::tables::get_completeness_csv)
        .get("/reports/periods/{period_id}/completeness.xlsx", Can(ViewReports), spreadsheets::tables::get_completeness_xlsx)
        .get("/reports/{report_id}", Can(ViewReports), reports::views::get_report)
        .post("/reports/{report_id}", Can(EditReports), reports::views::post_report)
        .post("/reports/{report_id}/action", Can(ViewReports), reports::views::post_report_action)
        .get("/reports/{report_id}/docx", Can(ViewReports), reports::views::get_report_docx)
        .get("/reports/{report_id}/xlsx", Can(ViewReports), reports::views::get_report_xlsx)
        .get("/reports/{report_id}/print", Can(ViewReports), reports::views::get_report_print)
        // Victim-support statistics
        .get("/stats", Can(ViewStats), support_stats::views::get_stats)
        .get("/stats/trend", Can(ViewStats), support_stats::views::get_trend)
        .get("/stats/export", Can(ViewStats), support_stats::views::get_export)
        .get("/stats/export.xlsx", Can(ViewStats), spreadsheets::tables::get_stats_xlsx)
        .get("/stats/entry", Can(EnterStats), support_stats::entry::get_entry)
        .post("/stats/entry", Can(EnterStats), support_stats::entry::post_entry)
        .post("/stats/reopen", Can(ReopenStats), support_stats::entry::post_reopen)
        .get("/stats/import", Can(EnterStats), imports::handlers::get_stats_import)
        .post("/stats/import", Can(EnterStats), imports::handlers::post_stats_import.layer(DefaultBodyLimit::max(crate::startup::MAX_BODY_BYTES)))
        .get("/stats/import/template.xlsx", Can(EnterStats), imports::handlers::get_stats_template)
        .get("/stats/import/{import_id}", Can(EnterStats), imports::handlers::get_stats_import_preview)
        .post("/stats/import/{import_id}", Can(EnterStats), imports::handlers::post_stats_import_commit)
        // Org units
        .get("/org-units", Can(ViewOrgUnits), org_units::handlers::get_org_units)
        // The pickers' suggestions: units and agencies of the user's own scope only.
        .get("/org-units/search.json", Can(ViewOrgUnits), org_units::handlers::get_unit_search)
        .get("/agencies/search.json", Can(ViewOrgUnits), org_units::handlers::get_agency_search)
        // Administration
        .get("/admin/users", Can(ManageUsers), admin::users::get_users)
        .get("/admin/users/new", Can(ManageUsers), admin::users::get_new_user)
        .post("/admin/users", Can(ManageUsers), admin::users::post_user)
        .post("/admin/users/{user_id}/active", Can(ManageUsers), admin::users::post_user_active)
        .post("/admin/users/{user_id}/password", Can(ManageUsers), admin::users::post_user_password)
        .post("/admin/users/bulk", Can(ManageUsers), admin::users::post_users_bulk)
        .get("/admin/agency-templates", Can(ManageAgencies), crate::rollout::templates::get_templates)
        .post("/admin/agency-templates", Can(ManageAgencies), crate::rollout::templates::post_template)
        .post("/admin/agency-templates/{template_id}", Can(ManageAgencies), crate::rollout::templates::post_template_update)
        // Bulk onboarding
        .get("/rollout/agencies", Can(RollOut), crate::rollout::agencies::get_agencies)
        .post("/rollout/agencies", Can(RollOut), crate::rollout::agencies::post_agencies)
        .get("/rollout/people", Can(RollOut), crate::rollout::people::get_people)
        .post("/rollout/people", Can(RollOut), crate::rollout::people::post_people.layer(DefaultBodyLimit::max(crate::startup::MAX_BODY_BYTES)))
        .get("/rollout/people/template.xlsx", Can(RollOut), crate::rollout::people::get_people_template)
        .get("/rollout/people/{import_id}", Can(RollOut), crate::rollout::people::get_people_preview)
        .post("/rollout/people/{import_id}", Can(RollOut), crate::rollout::people::post_people_commit)
        .post("/rollout/people/{user_id}/invite", Can(RollOut), crate::rollout::invite::post_resend)
        .get("/rollout/ready", Can(RollOut), crate::rollout::ready::get_ready)
        .get("/admin/agencies", Can(ManageAgencies), admin::agencies::get_agencies)
        .post("/admin/agencies", Can(ManageAgencies), admin::agencies::post_agency)
        .post("/admin/agencies/{agency_id}", Can(ManageAgencies), admin::agencies::post_agency_update)
        .get("/admin/codes", Can(ManageCodes), admin::codes::get_codes)
        .post("/admin/codes", Can(ManageCodes), admin::codes::post_code)
        .post("/admin/codes/{code_id}", Can(ManageCodes), admin::codes::post_code_update)
        .get("/admin/org-units", Can(ManageOrgUnits), admin::org_units::get_admin_org_units)
        .post("/admin/org-units", Can(ManageOrgUnits), admin::org_units::post_org_unit)
        .get("/admin/org-units/{unit_id}/edit", Can(ManageOrgUnits), admin::org_units::get_edit_org_unit)
        .post("/admin/org-units/{unit_id}", Can(ManageOrgUnits), admin::org_units::post_org_unit_update)
        .get("/admin/org-units/merge", Can(ManageOrgUnits), admin::org_units::get_merge)
        .post("/admin/org-units/merge", Can(ManageOrgUnits), admin::org_units::post_merge)
        .post("/admin/org-units/abolish", Can(ManageOrgUnits), admin::org_units::post_abolish)
        .get("/admin/org-units/import", Can(ManageOrgUnits), imports::units::pages::get_units_import)
        .post("/admin/org-units/import", Can(ManageOrgUnits), imports::units::pages::post_units_import.layer(DefaultBodyLimit::max(crate::startup::MAX_BODY_BYTES)))
        .post("/admin/org-units/import/official", Can(ManageOrgUnits), imports::units::pages::post_units_official)
        .get("/admin/org-units/import/{import_id}", Can(ManageOrgUnits), imports::units::pages::get_units_import_preview)
        .post("/admin/org-units/import/{import_id}", Can(ManageOrgUnits), imports::units::pages::post_units_import_commit)
        .get("/admin/audit", Can(ViewAudit), admin::audit::get_audit)
        .get("/admin/audit/export.csv", Can(ViewAudit), admin::audit::get_audit_csv)
        .get("/admin/audit/export.xlsx", Can(ViewAudit), admin::audit::get_audit_xlsx)
        .get("/admin/outbox", Can(ManageOutbox), admin::outbox::get_outbox)
        .post("/admin/outbox/{email_id}/retry", Can(ManageOutbox), admin::outbox::post_retry)
        // JSON API
        .get("/api/v1/me", SignedIn, api::handlers::get_me)
        .get("/api/v1/activities", Can(ViewActivities), api::activities::get_api_activities)
        .post("/api/v1/activities", Can(WriteActivities), api::activities::post_api_activity)
        .get("/api/v1/activities/{activity_id}", Can(ViewActivities), api::activities::get_api_activity)
        .put("/api/v1/activities/{activity_id}", Can(WriteActivities), api::activities::put_api_activity)
        .post("/api/v1/activities/{activity_id}/status", Can(WriteActivities), api::activities::post_api_status)
        .get("/api/v1/tasks", Can(ViewTasks), api::tasks::get_api_tasks)
        .post("/api/v1/tasks", Can(WriteTasks), api::tasks::post_api_task)
        .get("/api/v1/tasks/{task_id}", Can(ViewTasks), api::tasks::get_api_task)
        .post("/api/v1/tasks/{task_id}/status", Can(ActOnTasks), api::tasks::post_api_task_status)
        .get("/api/v1/support-stats", Can(ViewStats), api::support_stats::get_api_support_stats)
        .get("/api/v1/plans", Can(ViewPlans), api::plans::get_api_plans)
        .post("/api/v1/plans", Can(EditPlans), api::plans::post_api_plan)
        .get("/api/v1/plans/{plan_id}", Can(ViewPlans), api::plans::get_api_plan)
        .patch("/api/v1/plans/{plan_id}", Can(EditPlans), api::plans::patch_api_plan)
        .post("/api/v1/plans/{plan_id}/items", Can(EditPlans), api::plans::post_api_item)
        .patch("/api/v1/plans/{plan_id}/items/{item_id}", Can(EditPlans), api::plans::patch_api_item)
}
