//! The reporting pages: periods and their completeness board, a report with its figures (each
//! linked to the rows behind it) and its narrative, the review actions, and the exports.

use crate::auth::{Capability, CurrentUser, Role};
use crate::entities::{agency, org_unit, plan, report, reporting_period};
use crate::error::{AppError, AppResult};
use crate::reports::document::{self, ReportDoc};
use crate::reports::narrative::{self, Level};
use crate::reports::service::{self, Actor, COMPILED, NewPeriod, ReportError, UNIT};
use crate::state::AppState;
use crate::web::format::parse_date;
use crate::web::forms::{FieldErrors, FormValues, RawForm, non_empty};
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::BTreeMap;

fn actor(state: &AppState, user: &CurrentUser) -> Actor {
    Actor {
        user_id: user.id,
        now: state.clock.now(),
    }
}

/// A report the user may read, with its period and what they may do to it.
pub struct Access {
    pub report: report::Model,
    pub period: reporting_period::Model,
    pub edit: bool,
    /// Sending a unit's report up: its officer, or its leader who approves it for submission.
    pub submit: bool,
    pub review: bool,
    pub approve: bool,
}

pub async fn access(state: &AppState, user: &CurrentUser, report_id: i64) -> AppResult<Access> {
    let r = report::Entity::find_by_id(report_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let period = reporting_period::Entity::find_by_id(r.period_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = user.scope(state).await?;
    // The requesting unit's people read every report of the period; a responder reads its own.
    let over = user.role != Role::Partner && scope.contains(period.org_unit_id);
    if !(over || is_own(user, &scope, &r)) {
        return Err(AppError::NotFound);
    }
    let edit = match r.level.as_str() {
        UNIT => is_own(user, &scope, &r) && matches!(user.role, Role::Commune | Role::Partner),
        _ => user.can(Capability::ManageReporting) && over,
    };
    let submit = r.level == UNIT
        && is_own(user, &scope, &r)
        && matches!(user.role, Role::Commune | Role::Partner | Role::Leader);
    Ok(Access {
        submit,
        review: user.can(Capability::ManageReporting) && over && r.level == UNIT,
        approve: match r.level.as_str() {
            UNIT => user.can(Capability::ManageReporting) && over,
            _ => user.can(Capability::ApproveReports) && over,
        },
        edit,
        report: r,
        period,
    })
}

/// Whether a responder's report is the user's own to answer. A partner agency's users sit in
/// the district's unit, so their scope says nothing here: they answer only for their agency,
/// and a unit's people never answer for an agency.
fn is_own(user: &CurrentUser, scope: &crate::org_units::scope::Scope, r: &report::Model) -> bool {
    r.level == UNIT
        && match r.agency_id {
            Some(a) => user.role == Role::Partner && a == user.agency_id,
            None => user.role != Role::Partner && scope.contains(r.org_unit_id),
        }
}

/// A responder's report still to send, for the home page.
#[derive(Serialize)]
pub struct Waiting {
    pub report: report::Model,
    pub period: reporting_period::Model,
}

/// The user's own reports in draft or returned: what the commune or partner agency still has
/// to send, most urgent first. Other roles answer no period.
pub async fn waiting_for(state: &AppState, user: &CurrentUser) -> AppResult<Vec<Waiting>> {
    let q = report::Entity::find()
        .filter(report::Column::Level.eq(UNIT))
        .filter(report::Column::Status.is_in([service::DRAFT, service::RETURNED]));
    let q = match user.role {
        Role::Partner => q.filter(report::Column::AgencyId.eq(user.agency_id)),
        Role::Commune => q
            .filter(report::Column::AgencyId.is_null())
            .filter(report::Column::OrgUnitId.is_in(user.scope(state).await?.ids())),
        _ => return Ok(Vec::new()),
    };
    let reports = q.all(&state.db).await?;
    // A unit closed since (merged, its level abolished) has nobody left to answer for it.
    let today = state.clock.today();
    let open: Vec<i64> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(reports.iter().map(|r| r.org_unit_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|u| crate::org_units::repo::is_current(u, today))
        .map(|u| u.id)
        .collect();
    let reports: Vec<report::Model> = reports
        .into_iter()
        .filter(|r| open.contains(&r.org_unit_id))
        .collect();
    let periods: BTreeMap<i64, reporting_period::Model> = reporting_period::Entity::find()
        .filter(reporting_period::Column::Id.is_in(reports.iter().map(|r| r.period_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut out: Vec<Waiting> = reports
        .into_iter()
        .filter_map(|r| {
            let period = periods.get(&r.period_id)?.clone();
            Some(Waiting { report: r, period })
        })
        .collect();
    out.sort_by_key(|w| {
        (
            w.report.status != service::RETURNED,
            w.period.due_date,
            w.report.id,
        )
    });
    Ok(out)
}

#[derive(Serialize)]
struct PeriodRow {
    period: reporting_period::Model,
    unit: String,
    /// The user's own unit report in this period, if they must answer.
    mine: Option<report::Model>,
    compiled: Option<report::Model>,
}

pub async fn get_reports(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    // Only the periods the page can show and their reports, never the whole country's: the
    // periods of the scope's units (not for a partner agency) and those the user answers in.
    let own = report::Entity::find().filter(report::Column::Level.eq(UNIT));
    let own = if user.role == Role::Partner {
        own.filter(report::Column::AgencyId.eq(user.agency_id))
    } else if scope.all {
        own.filter(report::Column::AgencyId.is_null())
    } else {
        own.filter(report::Column::AgencyId.is_null())
            .filter(report::Column::OrgUnitId.is_in(scope.ids()))
    };
    use sea_orm::QuerySelect;
    let answered: Vec<i64> = own
        .select_only()
        .column(report::Column::PeriodId)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut which = sea_orm::Condition::any().add(reporting_period::Column::Id.is_in(answered));
    if user.role != Role::Partner {
        which = which.add(if scope.all {
            sea_orm::Condition::all()
        } else {
            sea_orm::Condition::all().add(reporting_period::Column::OrgUnitId.is_in(scope.ids()))
        });
    }
    let periods = reporting_period::Entity::find()
        .filter(which)
        .order_by_desc(reporting_period::Column::PeriodStart)
        .all(&state.db)
        .await?;
    let reports = report::Entity::find()
        .filter(report::Column::PeriodId.is_in(periods.iter().map(|p| p.id)))
        .all(&state.db)
        .await?;
    let units: BTreeMap<i64, String> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(periods.iter().map(|p| p.org_unit_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let rows: Vec<PeriodRow> = periods
        .into_iter()
        .filter_map(|p| {
            // The user's own unit's (or agency's) report: a district's staff read their
            // communes' reports but none of them is theirs.
            let mine = reports
                .iter()
                .find(|r| {
                    r.period_id == p.id
                        && is_own(&user, &scope, r)
                        && (r.agency_id.is_some() || r.org_unit_id == user.org_unit_id)
                })
                .cloned();
            let over = user.role != Role::Partner && scope.contains(p.org_unit_id);
            (over || mine.is_some()).then(|| PeriodRow {
                unit: units.get(&p.org_unit_id).cloned().unwrap_or_default(),
                compiled: over
                    .then(|| {
                        reports
                            .iter()
                            .find(|r| r.period_id == p.id && r.level == COMPILED)
                            .cloned()
                    })
                    .flatten(),
                mine,
                period: p,
            })
        })
        .collect();
    page.render(
        &state,
        "reports/index.html",
        context! { rows => rows, can_open => user.can(Capability::ManageReporting) },
    )
}

async fn period_form(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    status: StatusCode,
    values: Value,
    asked: Vec<i64>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let scope = user.scope(state).await?;
    let plans = plan::Entity::find()
        .filter(plan::Column::OrgUnitId.eq(user.org_unit_id))
        .order_by_desc(plan::Column::PeriodStart)
        .all(&state.db)
        .await?;
    let units =
        service::default_responders(&state.db, user.org_unit_id, state.clock.today()).await?;
    let units: Vec<_> = units.into_iter().filter(|u| scope.contains(u.id)).collect();
    // The compiling office does not answer its own request.
    let agencies: Vec<_> = service::candidate_agencies(&state.db, &scope)
        .await?
        .into_iter()
        .filter(|a| a.id != user.agency_id)
        .collect();
    page.render_status(state, status, "reports/period_form.html", context! { plans => plans, units => units, agencies => agencies, asked => asked, values => values, errors => errors, kinds => service::KINDS })
}

pub async fn get_new_period(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
) -> AppResult<Response> {
    period_form(
        &state,
        &page,
        &user,
        StatusCode::OK,
        FormValues::empty(),
        Vec::new(),
        FieldErrors::default(),
    )
    .await
}

pub async fn post_period(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    let mut errors = FieldErrors::default();
    let mut date = |f: &str| {
        parse_date(form.get(f)).unwrap_or_else(|| {
            errors.add(f, "form.date");
            chrono::NaiveDate::default()
        })
    };
    let (start, end, due) = (date("period_start"), date("period_end"), date("due_date"));
    let mut responders: Vec<i64> = form
        .all("responders")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    // A value that is no id names no agency: refused with the others, not silently dropped.
    let agencies: Vec<i64> = form
        .all("agencies")
        .iter()
        .map(|v| v.trim().parse().unwrap_or(0))
        .collect();
    // The form lists the units (`responders_listed`), so there an empty choice means none; a
    // request without the list gets the default.
    if responders.is_empty() && form.get("responders_listed").is_empty() {
        // The default: every unit below, in scope.
        responders = service::default_responders(&state.db, user.org_unit_id, start)
            .await?
            .into_iter()
            .filter(|u| scope.contains(u.id))
            .map(|u| u.id)
            .collect();
    }
    let new = NewPeriod {
        kind: form.get("kind").to_owned(),
        title: form.get("title").to_owned(),
        period_start: start,
        period_end: end,
        due_date: due,
        plan_id: form.get("plan_id").parse().unwrap_or(0),
        org_unit_id: user.org_unit_id,
        responders,
        agencies: agencies.clone(),
    };
    let result = if errors.is_empty() {
        service::open_period(&state.db, &actor(&state, &user), &scope, new).await
    } else {
        Err(ReportError::Invalid(errors))
    };
    match result {
        Ok(p) => Ok(flash::redirect(
            &state.config,
            &format!("/reports/periods/{}", p.id),
            "flash.saved",
        )),
        Err(ReportError::Invalid(errors)) => {
            period_form(
                &state,
                &page,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                FormValues::of(&form),
                agencies,
                errors,
            )
            .await
        }
        Err(ReportError::Conflict) => Err(AppError::Conflict),
        Err(ReportError::Db(e)) => Err(e.into()),
    }
}

#[derive(Serialize, Default)]
pub struct Completeness {
    pub expected: usize,
    pub on_time: usize,
    pub late: usize,
    pub missing: usize,
    pub returned: usize,
    pub approved: usize,
    pub rate: i64,
}

#[derive(Serialize)]
struct ResponderRow {
    report: report::Model,
    unit: String,
    /// A partner agency rather than a unit.
    agency: bool,
    /// on_time, late, missing, returned
    state: &'static str,
}

/// Who answered, on time or late, who did not, whose report waits after a return.
pub fn completeness(
    reports: &[report::Model],
    period: &reporting_period::Model,
    today: chrono::NaiveDate,
) -> (Completeness, Vec<(i64, &'static str)>) {
    let mut c = Completeness::default();
    let mut states = Vec::new();
    for r in reports.iter().filter(|r| r.level == UNIT) {
        c.expected += 1;
        let submitted_on = r.submitted_at.map(crate::state::vn_date);
        let state = match (r.status.as_str(), submitted_on) {
            (service::RETURNED, _) => "returned",
            (service::DRAFT, _) => {
                if today > period.due_date {
                    "missing"
                } else {
                    "not_yet"
                }
            }
            (_, Some(d)) if d <= period.due_date => "on_time",
            (_, Some(_)) => "late",
            _ => "missing",
        };
        match state {
            "returned" => c.returned += 1,
            "on_time" => c.on_time += 1,
            "late" => c.late += 1,
            _ => c.missing += 1,
        }
        if r.status == service::APPROVED {
            c.approved += 1;
        }
        states.push((r.id, state));
    }
    c.rate = ((c.on_time + c.late) * 100)
        .checked_div(c.expected)
        .and_then(|r| i64::try_from(r).ok())
        .unwrap_or(0);
    (c, states)
}

pub async fn get_period(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(period_id): Path<i64>,
) -> AppResult<Response> {
    let period = reporting_period::Entity::find_by_id(period_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = user.scope(&state).await?;
    if !scope.contains(period.org_unit_id) || user.role == Role::Partner {
        return Err(AppError::NotFound);
    }
    let reports = report::Entity::find()
        .filter(report::Column::PeriodId.eq(period_id))
        .all(&state.db)
        .await?;
    let names = service::responder_names(&state.db, &reports).await?;
    let (summary, states) = completeness(&reports, &period, state.clock.today());
    let mut rows: Vec<ResponderRow> = reports
        .iter()
        .filter(|r| r.level == UNIT)
        .map(|r| ResponderRow {
            unit: names.get(&r.id).cloned().unwrap_or_default(),
            agency: r.agency_id.is_some(),
            state: states
                .iter()
                .find(|(id, _)| *id == r.id)
                .map_or("missing", |(_, s)| *s),
            report: r.clone(),
        })
        .collect();
    // The units first, then the partner agencies asked.
    rows.sort_by(|a, b| (a.agency, &a.unit).cmp(&(b.agency, &b.unit)));
    let compiled = reports.iter().find(|r| r.level == COMPILED).cloned();
    page.render(
        &state,
        "reports/period.html",
        context! { period => period, rows => rows, summary => summary, compiled => compiled },
    )
}

/// What a report's page and documents are made of, besides the report and its period.
struct Parts {
    plan: plan::Model,
    unit: org_unit::Model,
    plan_unit: Option<org_unit::Model>,
    agency: Option<agency::Model>,
    figures: crate::reports::figures::Figures,
    narrative: narrative::Narrative,
}

impl Parts {
    fn doc<'a>(&'a self, a: &'a Access) -> ReportDoc<'a> {
        ReportDoc {
            report: &a.report,
            period: &a.period,
            plan: &self.plan,
            unit: &self.unit,
            plan_unit: self.plan_unit.as_ref(),
            agency: self.agency.as_ref(),
            figures: &self.figures,
            narrative: &self.narrative,
        }
    }
}

/// The parts of a report as this reader may see them: victim figures exact for those entitled
/// (each such read written to the audit log), withheld for everyone else (`reports::privacy`).
async fn doc_parts(
    state: &AppState,
    user: &CurrentUser,
    a: &Access,
    via: &str,
) -> AppResult<Parts> {
    let plan = plan::Entity::find_by_id(a.period.plan_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let unit = org_unit::Entity::find_by_id(a.report.org_unit_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let agency = match a.report.agency_id {
        Some(id) => Some(
            agency::Entity::find_by_id(id)
                .one(&state.db)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let mut figures = service::figures_of(&state.db, &a.report, &a.period).await?;
    let mut n = if a.report.snapshot.is_some() {
        service::narrative_of(&a.report)
    } else {
        narrative::refresh(
            &service::narrative_of(&a.report),
            &figures,
            Level::of(&a.report),
        )
    };
    let plan_unit = org_unit::Entity::find_by_id(plan.org_unit_id)
        .one(&state.db)
        .await?
        .filter(|u| u.id != unit.id);
    if !crate::reports::privacy::entitled(user, &a.report, a.approve) {
        crate::reports::privacy::withhold(&mut figures, &mut n);
    } else if crate::reports::privacy::has_victims(&figures.victims) {
        crate::audit::record(
            &state.db,
            state.clock.now(),
            crate::audit::Event {
                user_id: Some(user.id),
                action: "report:victims_exact",
                object_type: "report",
                object_id: Some(a.report.id),
                org_unit_id: Some(a.report.org_unit_id),
                change: serde_json::json!({ "via": via }),
            },
        )
        .await?;
    }
    Ok(Parts {
        plan,
        unit,
        plan_unit,
        agency,
        figures,
        narrative: n,
    })
}

/// The narrative's sections in order, each with its key, its number where it depends on the
/// plan's areas ("II.4. "), the title of a content area (from the plan; `None` for the fixed
/// sections, whose titles are translated) and its text.
pub fn labelled_sections(
    f: &crate::reports::figures::Figures,
    level: Level,
    n: &narrative::Narrative,
) -> Vec<(String, String, Option<String>, narrative::Section)> {
    // Numbered as the document numbers them (`document::section_numbers`).
    let numbers = crate::reports::document::section_numbers(f, n, level);
    level
        .sections(f)
        .into_iter()
        .map(|k| {
            let area = f.areas.iter().find(|a| format!("area_{}", a.number) == k);
            let number = numbers.get(&k).cloned().unwrap_or_default();
            let label = area.map(|a| a.heading.clone());
            let section = n.get(&k).cloned().unwrap_or_default();
            (k, number, label, section)
        })
        .collect()
}

async fn render_report(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    a: Access,
    status: StatusCode,
    errors: FieldErrors,
) -> AppResult<Response> {
    let parts = doc_parts(state, user, &a, "page").await?;
    let can_edit = a.edit
        && !matches!(a.report.status.as_str(), service::APPROVED)
        && !(a.report.level == UNIT && a.report.status == service::SUBMITTED);
    // The document beside the editor; nobody else sees it on this page.
    let preview = can_edit.then(|| preview_of(&parts, &a));
    let Parts {
        plan,
        unit,
        agency,
        figures,
        narrative: n,
        ..
    } = parts;
    let sections = labelled_sections(&figures, Level::of(&a.report), &n);
    // The required section still empty: flagged on the page before anyone tries to approve.
    let missing = (a.report.status != service::APPROVED)
        .then(|| narrative::missing_required(&n, Level::of(&a.report)))
        .flatten();
    let responder = agency
        .as_ref()
        .map_or_else(|| unit.name.clone(), |ag| ag.name.clone());
    let scope_unit = a.report.org_unit_id;
    page.render_status(
        state,
        status,
        "reports/show.html",
        context! {
            report => a.report, period => a.period, plan => plan, unit => unit, f => figures, sections => sections,
            responder => responder, agency => agency,
            can_edit => can_edit, can_submit => a.submit, can_review => a.review, can_approve => a.approve, errors => errors,
            scope_unit => scope_unit, today => state.clock.today(),
            can_reopen => user.can(Capability::ManageReporting),
            can_see_victims => !figures.victims.withheld,
            missing => missing, preview => preview,
        },
    )
}

pub async fn get_report(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let a = access(&state, &user, id).await?;
    render_report(
        &state,
        &page,
        &user,
        a,
        StatusCode::OK,
        FieldErrors::default(),
    )
    .await
}

fn version(form: &RawForm) -> AppResult<i32> {
    form.get("version")
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest("error.bad_request"))
}

async fn after(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    id: i64,
    result: Result<report::Model, ReportError>,
    ok: &str,
) -> AppResult<Response> {
    match result {
        Ok(_) => Ok(flash::redirect(
            &state.config,
            &format!("/reports/{id}"),
            ok,
        )),
        Err(ReportError::Invalid(errors)) => {
            let a = access(state, user, id).await?;
            render_report(
                state,
                page,
                user,
                a,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await
        }
        Err(ReportError::Conflict) => Err(AppError::Conflict),
        Err(ReportError::Db(e)) => Err(e.into()),
    }
}

pub async fn post_report(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let a = access(&state, &user, id).await?;
    if !a.edit {
        return Err(AppError::OutOfScope);
    }
    let texts: Vec<(String, String)> = form
        .0
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("section_")
                .map(|s| (s.to_owned(), v.clone()))
        })
        .collect();
    let signer = (a.report.level == COMPILED).then(|| {
        (
            form.get("signer_authority").trim().to_owned(),
            form.get("signer_title").trim().to_owned(),
            form.get("signer_name").trim().to_owned(),
            form.get("recipients").trim().to_owned(),
        )
    });
    let result = service::save_narrative(
        &state.db,
        &actor(&state, &user),
        &a.report,
        &a.period,
        version(&form)?,
        texts,
        signer,
    )
    .await;
    // A section's own save button returns to that section; every box posted is saved, so
    // nothing typed elsewhere on the page is lost.
    let section = form.get("save_section").trim().to_owned();
    match result {
        Ok(_)
            if !section.is_empty()
                && section
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Ok(flash::redirect(
                &state.config,
                &format!("/reports/{id}#s-{section}"),
                "flash.saved",
            ))
        }
        result => after(&state, &page, &user, id, result, "flash.saved").await,
    }
}

pub async fn post_report_action(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let a = access(&state, &user, id).await?;
    let v = version(&form)?;
    let act = actor(&state, &user);
    let (result, ok) = match form.get("action") {
        "submit" if a.submit => {
            // The unit's own document: its number and date, given when its leader approves
            // it for submission (optional: an unnumbered report goes up as a draft).
            let doc = non_empty(form.get("document_number")).map(|n| {
                (
                    n,
                    parse_date(form.get("document_date")).unwrap_or_else(|| state.clock.today()),
                )
            });
            (
                service::submit(&state.db, &act, &a.report, v, doc).await,
                "flash.report_submitted",
            )
        }
        "return" if a.review => (
            service::return_report(&state.db, &act, &a.report, v, form.get("comment")).await,
            "flash.report_returned",
        ),
        "approve" if a.approve => {
            let doc = non_empty(form.get("document_number")).map(|n| {
                (
                    n,
                    parse_date(form.get("document_date")).unwrap_or_else(|| state.clock.today()),
                )
            });
            (
                service::approve(&state.db, &act, &a.report, &a.period, v, doc).await,
                "flash.report_approved",
            )
        }
        "reopen" if a.review || (a.report.level == COMPILED && a.edit) => (
            service::reopen(&state.db, &act, &a.report, &a.period, v, form.get("reason")).await,
            "flash.saved",
        ),
        "submit" | "return" | "approve" | "reopen" => return Err(AppError::OutOfScope),
        _ => return Err(AppError::BadRequest("error.bad_request")),
    };
    after(&state, &page, &user, id, result, ok).await
}

fn file_name(a: &Access, ext: &str) -> String {
    match a.report.agency_id {
        Some(agency) => format!("bao-cao-{}-co-quan-{agency}.{ext}", a.period.id),
        None => format!("bao-cao-{}-{}.{ext}", a.period.id, a.report.org_unit_id),
    }
}

async fn audit_export(
    state: &AppState,
    user: &CurrentUser,
    a: &Access,
    format: &str,
) -> AppResult<()> {
    crate::audit::record(
        &state.db,
        state.clock.now(),
        crate::audit::Event {
            user_id: Some(user.id),
            action: "report:export",
            object_type: "report",
            object_id: Some(a.report.id),
            org_unit_id: Some(a.report.org_unit_id),
            change: serde_json::json!({ "format": format }),
        },
    )
    .await?;
    Ok(())
}

pub async fn get_report_docx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let a = access(&state, &user, id).await?;
    let parts = doc_parts(&state, &user, &a, "docx").await?;
    audit_export(&state, &user, &a, "docx").await?;
    let name = file_name(&a, "docx");
    let bytes = tokio::task::spawn_blocking(move || document::docx(&parts.doc(&a)))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (
                CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                    .to_owned(),
            ),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub async fn get_report_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let a = access(&state, &user, id).await?;
    let parts = doc_parts(&state, &user, &a, "xlsx").await?;
    audit_export(&state, &user, &a, "xlsx").await?;
    let name = file_name(&a, "xlsx");
    let bytes = tokio::task::spawn_blocking(move || document::xlsx(&parts.doc(&a)))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (
                CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub async fn get_report_print(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let a = access(&state, &user, id).await?;
    let parts = doc_parts(&state, &user, &a, "print").await?;
    let preview = preview_of(&parts, &a);
    page.render(
        &state,
        "reports/print.html",
        context! { preview => preview, unit => parts.unit, f => parts.figures },
    )
}

/// The document as the print view lays it out: the same blocks the DOCX is built from, shown
/// on the print page and beside the editor.
fn preview_of(parts: &Parts, a: &Access) -> Value {
    let doc = document::official(&parts.doc(a));
    let blocks: Vec<Value> = doc
        .body
        .iter()
        .map(|b| match b {
            crate::documents::Block::Section { number, title } => context! { kind => "section", label => crate::documents::roman(*number), text => title.to_uppercase() },
            crate::documents::Block::Item { number, title, text } => context! { kind => "item", label => number, title => title, text => text },
            crate::documents::Block::Paragraph(t) => context! { kind => "paragraph", text => t },
            crate::documents::Block::Bullet(t) => context! { kind => "bullet", text => t },
            crate::documents::Block::Point { label, text } => context! { kind => "point", label => label, text => text },
        })
        .collect();
    let issuer: Vec<&str> = doc.issuer.iter().map(|l| l.text.as_str()).collect();
    context! { national_title => crate::documents::NATIONAL_TITLE, motto => crate::documents::MOTTO, doc_number => doc.number.line(), date_line => crate::documents::vn_date_line(&doc.place, a.report.document_date, chrono::Datelike::year(&a.period.period_end)), issuer => issuer, subject => doc.subject, blocks => blocks, report => a.report }
}
