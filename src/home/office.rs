//! The blocks of each office's home, each a piece of the page's context.

use crate::auth::CurrentUser;
use crate::entities::{
    agency, audit_event, coordination_task, login_attempt, org_unit, outbox_email, report,
    reporting_period, support_stat_month, user,
};
use crate::error::AppResult;
use crate::reports::service::{SUBMITTED, UNIT};
use crate::state::AppState;
use crate::support_stats::period::YearMonth;
use crate::tasks::service as tasks;
use minijinja::{Value, context};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Rows a block shows before its link to the full list.
const ROWS: u64 = 10;
/// The finished months whose victim-support figures the compiler's home checks.
const STATS_MONTHS: usize = 3;
/// Communes, towns, wards and special zones: the units that enter victim-support figures.
const BASE_KINDS: [&str; 4] = ["commune", "town", "ward", "special_zone"];

/// Tasks asked of the commune's agency and not yet acknowledged, overdue first.
pub async fn tasks_to_acknowledge(state: &AppState, user: &CurrentUser) -> AppResult<Value> {
    let asked = coordination_task::Entity::find()
        .filter(coordination_task::Column::PartnerAgencyId.eq(user.agency_id))
        .filter(coordination_task::Column::Status.eq(tasks::REQUESTED))
        .order_by_asc(coordination_task::Column::AckDueDate)
        .limit(ROWS)
        .all(&state.db)
        .await?;
    let rows = crate::tasks::views::rows_of(state, user, asked).await?;
    Ok(context! { ack_tasks => rows })
}

/// The partner agency's open tasks, late first.
pub async fn task_inbox(state: &AppState, user: &CurrentUser) -> AppResult<Value> {
    let asked = coordination_task::Entity::find()
        .filter(coordination_task::Column::PartnerAgencyId.eq(user.agency_id))
        .filter(coordination_task::Column::Status.is_in([
            tasks::REQUESTED,
            tasks::ACKNOWLEDGED,
            tasks::IN_PROGRESS,
        ]))
        .order_by_asc(coordination_task::Column::DueDate)
        .limit(ROWS)
        .all(&state.db)
        .await?;
    let rows = crate::tasks::views::rows_of(state, user, asked).await?;
    Ok(context! { inbox => rows })
}

#[derive(Serialize)]
struct OwnReport {
    report: report::Model,
    period: reporting_period::Model,
}

/// Every report the partner agency was asked for, in whatever state, the latest period first.
pub async fn own_reports(state: &AppState, user: &CurrentUser) -> AppResult<Value> {
    let reports = report::Entity::find()
        .filter(report::Column::Level.eq(UNIT))
        .filter(report::Column::AgencyId.eq(user.agency_id))
        .all(&state.db)
        .await?;
    let periods: HashMap<i64, reporting_period::Model> = reporting_period::Entity::find()
        .filter(reporting_period::Column::Id.is_in(reports.iter().map(|r| r.period_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut out: Vec<OwnReport> = reports
        .into_iter()
        .filter_map(|r| {
            let period = periods.get(&r.period_id)?.clone();
            Some(OwnReport { report: r, period })
        })
        .collect();
    out.sort_by_key(|o| std::cmp::Reverse((o.period.due_date, o.report.id)));
    Ok(context! { own_reports => out })
}

#[derive(Serialize)]
struct ToReview {
    id: i64,
    name: String,
    period: String,
    submitted_on: Option<chrono::NaiveDate>,
}

/// Unit reports sent in for the periods of the compiler's scope, oldest first; and the units
/// that have not sent theirs (missing, returned, late), by name.
pub async fn reports_to_review(state: &AppState, user: &CurrentUser) -> AppResult<Value> {
    let scope = user.scope(state).await?;
    let mut periods = reporting_period::Entity::find();
    if !scope.all {
        periods = periods.filter(reporting_period::Column::OrgUnitId.is_in(scope.ids()));
    }
    let periods: HashMap<i64, String> = periods
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.title))
        .collect();
    let sent = report::Entity::find()
        .filter(report::Column::Level.eq(UNIT))
        .filter(report::Column::Status.eq(SUBMITTED))
        .filter(report::Column::PeriodId.is_in(periods.keys().copied()))
        .order_by_asc(report::Column::SubmittedAt)
        .limit(ROWS)
        .all(&state.db)
        .await?;
    let units: HashMap<i64, String> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(sent.iter().map(|r| r.org_unit_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let agencies: HashMap<i64, String> = agency::Entity::find()
        .filter(agency::Column::Id.is_in(sent.iter().filter_map(|r| r.agency_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.short_name))
        .collect();
    let review: Vec<ToReview> = sent
        .into_iter()
        .map(|r| ToReview {
            id: r.id,
            name: match r.agency_id {
                Some(a) => agencies.get(&a).cloned(),
                None => units.get(&r.org_unit_id).cloned(),
            }
            .unwrap_or_default(),
            period: periods.get(&r.period_id).cloned().unwrap_or_default(),
            submitted_on: r.submitted_at.map(crate::state::vn_date),
        })
        .collect();
    let today = state.clock.today();
    let missing: Vec<_> = crate::dashboard::followup::reporting_rows(&state.db, &scope, today)
        .await?
        .into_iter()
        .flat_map(|p| p.responders.into_iter().filter(|r| r.needs_attention()))
        .collect();
    Ok(context! { review => review, missing => missing })
}

#[derive(Serialize)]
struct MissingMonth {
    month: String,
    iso: String,
    units: Vec<(i64, String)>,
}

/// The last finished months in which a commune or ward of the compiler's scope has no
/// victim-support figures entered, the latest first.
pub async fn stats_not_entered(state: &AppState, user: &CurrentUser) -> AppResult<Value> {
    let scope = user.scope(state).await?;
    let today = state.clock.today();
    let mut q = org_unit::Entity::find().filter(org_unit::Column::Kind.is_in(BASE_KINDS));
    if !scope.all {
        q = q.filter(org_unit::Column::Id.is_in(scope.ids()));
    }
    let units: Vec<org_unit::Model> = q
        .order_by_asc(org_unit::Column::Name)
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|u| crate::org_units::repo::is_current(u, today))
        .collect();
    let mut months = Vec::new();
    let mut m = YearMonth::of(today).prev();
    for _ in 0..STATS_MONTHS {
        months.push(m);
        m = m.prev();
    }
    let entered: HashSet<(i64, i32)> = support_stat_month::Entity::find()
        .filter(support_stat_month::Column::OrgUnitId.is_in(units.iter().map(|u| u.id)))
        .filter(support_stat_month::Column::YearMonth.is_in(months.iter().map(|m| m.key())))
        .select_only()
        .column(support_stat_month::Column::OrgUnitId)
        .column(support_stat_month::Column::YearMonth)
        .into_tuple()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let missing: Vec<MissingMonth> = months
        .into_iter()
        .map(|m| MissingMonth {
            month: m.label(),
            iso: m.iso(),
            units: units
                .iter()
                .filter(|u| !entered.contains(&(u.id, m.key())))
                .map(|u| (u.id, u.name.clone()))
                .collect(),
        })
        .filter(|m| !m.units.is_empty())
        .collect();
    Ok(context! { stats_missing => missing })
}

#[derive(Serialize)]
struct Locked {
    user: user::Model,
    throttled: bool,
}

#[derive(Serialize)]
struct Change {
    event: audit_event::Model,
    who: Option<String>,
    link: Option<String>,
}

/// Failed emails, accounts locked (throttled after failed logins, or deactivated) and the
/// latest changes of the audit log.
pub async fn admin(state: &AppState) -> AppResult<Value> {
    let db = &state.db;
    let failed = outbox_email::Entity::find()
        .filter(outbox_email::Column::Status.eq(crate::notifications::outbox::FAILED));
    let failed_total = failed.clone().count(db).await?;
    let failed = failed
        .order_by_desc(outbox_email::Column::UpdatedAt)
        .limit(ROWS)
        .all(db)
        .await?;
    let since = state.clock.now() - crate::auth::throttle::WINDOW;
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    for email in login_attempt::Entity::find()
        .filter(login_attempt::Column::Success.eq(false))
        .filter(login_attempt::Column::CreatedAt.gt(since))
        .select_only()
        .column(login_attempt::Column::Email)
        .into_tuple::<String>()
        .all(db)
        .await?
    {
        *failures.entry(email).or_default() += 1;
    }
    let throttled: Vec<String> = failures
        .into_iter()
        .filter(|(_, n)| *n >= crate::auth::throttle::MAX_FAILURES_PER_ACCOUNT)
        .map(|(e, _)| e)
        .collect();
    let locked: Vec<Locked> = user::Entity::find()
        .filter(
            Condition::any()
                .add(user::Column::Active.eq(false))
                .add(user::Column::Email.is_in(throttled.iter().cloned())),
        )
        .order_by_asc(user::Column::DisplayName)
        .limit(ROWS)
        .all(db)
        .await?
        .into_iter()
        .map(|u| Locked {
            throttled: throttled.contains(&u.email),
            user: u,
        })
        .collect();
    // Changes, not the reads and downloads the log also records.
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::Action.not_like("%:view"))
        .filter(audit_event::Column::Action.not_like("%export%"))
        .order_by_desc(audit_event::Column::Id)
        .limit(ROWS)
        .all(db)
        .await?;
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(events.iter().filter_map(|e| e.user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let recent: Vec<Change> = events
        .into_iter()
        .map(|e| Change {
            who: e.user_id.and_then(|id| names.get(&id).cloned()),
            link: e.object_id.and_then(|id| match e.object_type.as_str() {
                "activity" => Some(format!("/activities/{id}")),
                "plan" => Some(format!("/plans/{id}")),
                "task" => Some(format!("/tasks/{id}")),
                "report" => Some(format!("/reports/{id}")),
                _ => None,
            }),
            event: e,
        })
        .collect();
    Ok(context! {
        failed => failed, failed_total => failed_total, locked => locked, recent => recent,
    })
}
