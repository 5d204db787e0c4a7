//! The rules of reporting: opening a period (with a report for every responding unit and one
//! compiled by the requesting unit), the unit's draft → submitted → returned → approved flow,
//! the compiler's composing, the leader's approval with number and date, and the freezing of
//! figures and locking of data that approval brings. Every change is audited in its transaction.

use crate::audit;
use crate::entities::{agency, org_unit, plan, report, reporting_period};
use crate::org_units::scope::Scope;
use crate::reports::figures::{self, Figures};
use crate::reports::narrative::{self, Level, Narrative};
use crate::web::forms::FieldErrors;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;

pub const DRAFT: &str = "draft";
pub const SUBMITTED: &str = "submitted";
pub const RETURNED: &str = "returned";
pub const APPROVED: &str = "approved";
pub const UNIT: &str = "unit";
pub const COMPILED: &str = "compiled";
pub const KINDS: [&str; 3] = ["six_month", "annual", "ad_hoc"];

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("stale version")]
    Conflict,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl ReportError {
    pub fn field(field: &str, key: &str) -> Self {
        let mut e = FieldErrors::default();
        e.add(field, key);
        ReportError::Invalid(e)
    }

    /// The figures could not be read: an unreachable database stays itself (a 503 further
    /// up), anything else becomes an opaque database error.
    fn from_figures(e: crate::error::AppError) -> Self {
        match e {
            crate::error::AppError::Unavailable(d) => ReportError::Db(d),
            other => ReportError::Db(DbErr::Custom(other.to_string())),
        }
    }
}

pub type ReportResult<T> = Result<T, ReportError>;

pub struct Actor {
    pub user_id: i64,
    pub now: DateTime<Utc>,
}

pub struct NewPeriod {
    pub kind: String,
    pub title: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due_date: NaiveDate,
    pub plan_id: i64,
    pub org_unit_id: i64,
    pub responders: Vec<i64>,
    /// Partner agencies asked to answer as well (none by default).
    pub agencies: Vec<i64>,
}

async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    r: &report::Model,
    change: serde_json::Value,
) -> Result<(), DbErr> {
    audit::record(
        db,
        actor.now,
        audit::Event {
            user_id: Some(actor.user_id),
            action,
            object_type: "report",
            object_id: Some(r.id),
            org_unit_id: Some(r.org_unit_id),
            change,
        },
    )
    .await
}

fn new_report(
    period_id: i64,
    unit_id: i64,
    agency_id: Option<i64>,
    level: &str,
    now: DateTime<Utc>,
    signer: (&str, &str, &str),
    recipients: &str,
) -> report::ActiveModel {
    report::ActiveModel {
        period_id: Set(period_id),
        org_unit_id: Set(unit_id),
        agency_id: Set(agency_id),
        level: Set(level.to_owned()),
        status: Set(DRAFT.to_owned()),
        narrative: Set("{}".to_owned()),
        snapshot: Set(None),
        submitted_at: Set(None),
        approved_at: Set(None),
        approved_by: Set(None),
        return_comment: Set(None),
        document_number: Set(None),
        document_date: Set(None),
        signer_authority: Set(signer.0.to_owned()),
        signer_title: Set(signer.1.to_owned()),
        signer_name: Set(signer.2.to_owned()),
        recipients: Set(recipients.to_owned()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

pub async fn open_period(
    db: &DatabaseConnection,
    actor: &Actor,
    scope: &Scope,
    p: NewPeriod,
) -> ReportResult<reporting_period::Model> {
    let mut errors = FieldErrors::default();
    if !KINDS.contains(&p.kind.as_str()) {
        errors.add("kind", "form.choose");
    }
    if p.title.trim().is_empty() {
        errors.add("title", "form.required");
    }
    crate::text::free_text("title", &p.title, crate::text::SHORT_TEXT, &mut errors);
    if p.period_end < p.period_start {
        errors.add("period_end", "plan.error.period");
    }
    if p.due_date < p.period_end {
        errors.add("due_date", "report.error.due");
    }
    let the_plan = plan::Entity::find_by_id(p.plan_id).one(db).await?;
    if the_plan.is_none() {
        errors.add("plan_id", "form.choose");
    }
    if !scope.contains(p.org_unit_id) {
        errors.add("org_unit_id", "form.choose");
    }
    if (p.responders.is_empty() && p.agencies.is_empty())
        || p.responders
            .iter()
            .any(|u| !scope.contains(*u) || *u == p.org_unit_id)
    {
        errors.add("responders", "report.error.responders");
    }
    // A unit closed before the period starts (merged, or its level abolished) has nobody left
    // to answer; one opened after it ends had nothing to do in it.
    let asked_units = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(p.responders.iter().copied()))
        .all(db)
        .await?;
    if asked_units.iter().any(|u| {
        u.valid_to.is_some_and(|t| t < p.period_start)
            || u.valid_from.is_some_and(|f| f > p.period_end)
    }) {
        errors.add("responders", "report.error.closed_unit");
    }
    let mut asked: Vec<i64> = p.agencies.clone();
    asked.sort_unstable();
    asked.dedup();
    let agencies = agency::Entity::find()
        .filter(agency::Column::Id.is_in(asked.iter().copied()))
        .all(db)
        .await?;
    if agencies.len() != asked.len()
        || agencies
            .iter()
            .any(|a| !is_partner_agency(a) || !scope.contains(a.org_unit_id))
    {
        errors.add("agencies", "report.agency.error");
    }
    if !errors.is_empty() {
        return Err(ReportError::Invalid(errors));
    }
    let plan = the_plan.ok_or_else(|| DbErr::RecordNotFound("plan".into()))?;
    // A report answering the period goes to the requesting unit's People's Committee and is
    // filed by its sender: "Nơi nhận" is never empty, and ends with the records line.
    let requester = org_unit::Entity::find_by_id(p.org_unit_id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("org unit".into()))?;
    let answer_to = format!(
        "{}\nLưu: VT.",
        crate::reports::document::committee_of(&requester)
    );
    let txn = db.begin().await?;
    let period = reporting_period::ActiveModel {
        kind: Set(p.kind.clone()),
        title: Set(crate::text::nfc(&p.title)),
        period_start: Set(p.period_start),
        period_end: Set(p.period_end),
        due_date: Set(p.due_date),
        plan_id: Set(p.plan_id),
        org_unit_id: Set(p.org_unit_id),
        status: Set("open".to_owned()),
        created_by: Set(Some(actor.user_id)),
        created_at: Set(actor.now),
        updated_at: Set(actor.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let compiled = new_report(
        period.id,
        p.org_unit_id,
        None,
        COMPILED,
        actor.now,
        (
            &plan.signer_authority,
            &plan.signer_title,
            &plan.signer_name,
        ),
        &plan.recipients,
    )
    .insert(&txn)
    .await?;
    record(
        &txn,
        actor,
        "report:open",
        &compiled,
        json!({ "period": period.title, "responders": p.responders, "agencies": asked }),
    )
    .await?;
    for unit in &p.responders {
        let asked = new_report(
            period.id,
            *unit,
            None,
            UNIT,
            actor.now,
            ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", ""),
            &answer_to,
        )
        .insert(&txn)
        .await?;
        notify_responder(&txn, &asked, &period, REQUESTED_EMAIL, actor.now).await?;
    }
    for a in &agencies {
        let asked = new_report(
            period.id,
            a.org_unit_id,
            Some(a.id),
            UNIT,
            actor.now,
            ("", "THỦ TRƯỞNG CƠ QUAN", ""),
            &answer_to,
        )
        .insert(&txn)
        .await?;
        notify_responder(&txn, &asked, &period, REQUESTED_EMAIL, actor.now).await?;
    }
    txn.commit().await?;
    Ok(period)
}

/// Whether an agency may be asked to answer a reporting period beside the units: an active
/// office, force or organisation, not a People's Committee (those answer as their unit).
pub fn is_partner_agency(a: &agency::Model) -> bool {
    a.active && a.kind != "people_committee"
}

/// The agencies in scope that a period may ask to answer, by name.
pub async fn candidate_agencies(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<Vec<agency::Model>, DbErr> {
    let mut q = agency::Entity::find()
        .filter(agency::Column::Active.eq(true))
        .filter(agency::Column::Kind.ne("people_committee"));
    if !scope.all {
        q = q.filter(agency::Column::OrgUnitId.is_in(scope.ids()));
    }
    q.order_by_asc(agency::Column::Name).all(db).await
}

/// The name of each report's responder (the unit, or the partner agency), by report id.
pub async fn responder_names(
    db: &impl ConnectionTrait,
    reports: &[report::Model],
) -> Result<std::collections::BTreeMap<i64, String>, DbErr> {
    let unit_ids: Vec<i64> = reports.iter().map(|r| r.org_unit_id).collect();
    let agency_ids: Vec<i64> = reports.iter().filter_map(|r| r.agency_id).collect();
    let units: std::collections::HashMap<i64, String> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(unit_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let agencies: std::collections::HashMap<i64, String> = agency::Entity::find()
        .filter(agency::Column::Id.is_in(agency_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    Ok(reports
        .iter()
        .map(|r| {
            let name = match r.agency_id {
                Some(a) => agencies.get(&a),
                None => units.get(&r.org_unit_id),
            };
            (r.id, name.cloned().unwrap_or_default())
        })
        .collect())
}

/// The units whose data a report covers: the unit's subtree, predecessors included.
pub async fn units_of(
    db: &impl ConnectionTrait,
    r: &report::Model,
) -> Result<Vec<i64>, crate::error::AppError> {
    Ok(Scope::of_unit(db, r.org_unit_id).await?.ids())
}

/// The figures of a report: frozen once approved, live until then.
pub async fn figures_of(
    db: &impl ConnectionTrait,
    r: &report::Model,
    period: &reporting_period::Model,
) -> Result<Figures, crate::error::AppError> {
    if let Some(snapshot) = r.snapshot.as_deref()
        && let Ok(f) = serde_json::from_str::<Figures>(snapshot)
    {
        return Ok(f);
    }
    let units = units_of(db, r).await?;
    let mut plan_id = period.plan_id;
    let mut own = None;
    let mut f = if let Some(agency_id) = r.agency_id {
        // The agency's own work anywhere in its unit's subtree, measured against no targets.
        let subject = figures::Subject::Agency {
            id: agency_id,
            units: &units,
        };
        figures::compute_for(db, subject, period.period_start, period.period_end, plan_id).await?
    } else if r.level == COMPILED {
        figures::compute(db, &units, period.period_start, period.period_end, plan_id).await?
    } else {
        // A unit reports under its own plan made from the period's plan (its areas and
        // targets); without one, under the period's plan's areas with no targets of its own.
        own = own_plan(db, r, period).await?;
        let subject = match &own {
            Some(p) => {
                plan_id = p.id;
                figures::Subject::Units(&units)
            }
            None => figures::Subject::UnitsUnderPlan(&units),
        };
        figures::compute_for(db, subject, period.period_start, period.period_end, plan_id).await?
    };
    direction_of(db, r, period, own.as_ref(), &mut f.direction).await?;
    Ok(f)
}

/// A plan as the report cites it.
async fn plan_ref(db: &impl ConnectionTrait, p: &plan::Model) -> Result<figures::PlanRef, DbErr> {
    let unit = org_unit::Entity::find_by_id(p.org_unit_id).one(db).await?;
    Ok(figures::PlanRef {
        number: p.number.clone().filter(|n| !n.trim().is_empty()),
        issued_on: p.issued_on,
        issuer: unit
            .as_ref()
            .map(crate::reports::document::committee_of)
            .unwrap_or_default(),
        title: crate::reports::document::plan_subject(&p.title),
    })
}

/// Fills what the report says about direction: the reporter's kind, the plan (and the superior
/// plan a unit's own plan implements), amendments, the report requested and, for the compiled
/// report, which unit reports came in late or not at all.
async fn direction_of(
    db: &impl ConnectionTrait,
    r: &report::Model,
    period: &reporting_period::Model,
    own: Option<&plan::Model>,
    d: &mut figures::Direction,
) -> Result<(), DbErr> {
    use crate::entities::plan_amendment;
    if r.agency_id.is_none()
        && let Some(unit) = org_unit::Entity::find_by_id(r.org_unit_id).one(db).await?
    {
        d.kind_word = crate::org_units::split_name(&unit.name)
            .0
            .map(str::to_lowercase)
            .unwrap_or_default();
    }
    let period_plan = plan::Entity::find_by_id(period.plan_id).one(db).await?;
    let reported = own.cloned().or(period_plan.clone());
    if let Some(p) = &reported {
        d.plan = Some(plan_ref(db, p).await?);
        let span = std::cmp::max((p.period_end - p.period_start).num_days(), 1);
        let gone = (period.period_end - p.period_start)
            .num_days()
            .clamp(0, span);
        d.time_gone = Some(gone * 100 / span);
        d.amendments = plan_amendment::Entity::find()
            .filter(plan_amendment::Column::PlanId.eq(p.id))
            .filter(plan_amendment::Column::AmendedOn.gte(period.period_start))
            .filter(plan_amendment::Column::AmendedOn.lte(period.period_end))
            .order_by_asc(plan_amendment::Column::AmendedOn)
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.amended_on)
            .collect();
    }
    if let (Some(_), Some(sup)) = (own, &period_plan) {
        d.superior = Some(plan_ref(db, sup).await?);
    }
    d.due_date = Some(period.due_date);
    if r.level == COMPILED {
        d.reports = Some(reports_in(db, period).await?);
    }
    Ok(())
}

/// Which responders' reports came in, late or not at all.
async fn reports_in(
    db: &impl ConnectionTrait,
    period: &reporting_period::Model,
) -> Result<figures::ReportsIn, DbErr> {
    let rows = report::Entity::find()
        .filter(report::Column::PeriodId.eq(period.id))
        .filter(report::Column::Level.ne(COMPILED))
        .all(db)
        .await?;
    let units: std::collections::HashMap<i64, String> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(rows.iter().map(|r| r.org_unit_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let agencies: std::collections::HashMap<i64, String> = agency::Entity::find()
        .filter(agency::Column::Id.is_in(rows.iter().filter_map(|r| r.agency_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let name = |r: &report::Model| {
        r.agency_id
            .and_then(|a| agencies.get(&a).cloned())
            .or_else(|| units.get(&r.org_unit_id).cloned())
            .unwrap_or_default()
    };
    let mut out = figures::ReportsIn {
        expected: rows.len() as i64,
        ..Default::default()
    };
    for r in &rows {
        // A returned report is not in until it is sent again.
        if r.status == SUBMITTED || r.status == APPROVED {
            out.received += 1;
            if r.submitted_at
                .is_some_and(|at| at.date_naive() > period.due_date)
            {
                out.late.push(name(r));
            }
        } else {
            out.missing.push(name(r));
        }
    }
    out.late.sort();
    out.missing.sort();
    Ok(out)
}

/// The plan a unit made from the period's plan, if any: its report follows that plan.
pub async fn own_plan(
    db: &impl ConnectionTrait,
    r: &report::Model,
    period: &reporting_period::Model,
) -> Result<Option<plan::Model>, DbErr> {
    if r.level == COMPILED || r.agency_id.is_some() {
        return Ok(None);
    }
    plan::Entity::find()
        .filter(plan::Column::ParentPlanId.eq(period.plan_id))
        .filter(plan::Column::OrgUnitId.eq(r.org_unit_id))
        .one(db)
        .await
}

pub fn narrative_of(r: &report::Model) -> Narrative {
    serde_json::from_str(&r.narrative).unwrap_or_default()
}

/// Claims the next version of a report, so a stale form cannot overwrite a newer save.
async fn claim(db: &impl ConnectionTrait, id: i64, version: i32) -> ReportResult<()> {
    let res = report::Entity::update_many()
        .col_expr(
            report::Column::Version,
            Expr::col(report::Column::Version).add(1),
        )
        .filter(report::Column::Id.eq(id))
        .filter(report::Column::Version.eq(version))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(ReportError::Conflict);
    }
    Ok(())
}

fn editable(r: &report::Model) -> bool {
    r.status == DRAFT || r.status == RETURNED || (r.level == COMPILED && r.status == SUBMITTED)
}

/// Saves the edited sections (and, for the compiled report, the signer and recipients), after
/// rewriting the drafts from the current figures.
pub async fn save_narrative(
    db: &DatabaseConnection,
    actor: &Actor,
    r: &report::Model,
    period: &reporting_period::Model,
    version: i32,
    texts: Vec<(String, String)>,
    signer: Option<(String, String, String, String)>,
) -> ReportResult<report::Model> {
    if !editable(r) {
        return Err(ReportError::field("status", "report.error.locked"));
    }
    let mut errors = FieldErrors::default();
    crate::activities::input::check_free_text(
        &texts
            .iter()
            .map(|(k, v)| (k.as_str(), Some(v.as_str())))
            .collect::<Vec<_>>(),
        &mut errors,
    );
    if let Some((authority, title, name, recipients)) = &signer {
        use crate::text::{LONG_TEXT, SHORT_TEXT};
        crate::text::check_texts(
            &[
                ("signer_authority", Some(authority.as_str()), SHORT_TEXT),
                ("signer_title", Some(title.as_str()), SHORT_TEXT),
                ("signer_name", Some(name.as_str()), SHORT_TEXT),
                ("recipients", Some(recipients.as_str()), LONG_TEXT),
            ],
            &mut errors,
        );
    }
    if !errors.is_empty() {
        return Err(ReportError::Invalid(errors));
    }
    let f = figures_of(db, r, period)
        .await
        .map_err(ReportError::from_figures)?;
    let mut n = narrative::refresh(&narrative_of(r), &f, Level::of(r));
    for (key, text) in texts {
        if let Some(section) = n.get_mut(&key) {
            let t = crate::text::nfc(&text);
            // A text equal to the draft is no edit: the draft keeps following the figures.
            section.text = (!t.is_empty() && t != section.draft).then_some(t);
        }
    }
    let txn = db.begin().await?;
    claim(&txn, r.id, version).await?;
    let mut row: report::ActiveModel = r.clone().into();
    row.narrative = Set(serde_json::to_string(&n).unwrap_or_else(|_| "{}".to_owned()));
    row.version = Set(version + 1);
    row.updated_at = Set(actor.now);
    if let Some((authority, title, name, recipients)) = signer {
        row.signer_authority = Set(authority);
        row.signer_title = Set(title);
        row.signer_name = Set(name);
        row.recipients = Set(recipients);
    }
    let saved = row.update(&txn).await?;
    record(&txn, actor, "report:edit", &saved, json!({ "sections": n.iter().filter(|(_, s)| s.text.is_some()).map(|(k, _)| k.clone()).collect::<Vec<_>>() })).await?;
    txn.commit().await?;
    Ok(saved)
}

/// What approving or reopening a unit's report does to the unit's monthly statistics.
enum StatsLock {
    None,
    Lock(NaiveDate, NaiveDate),
    Unlock(NaiveDate, NaiveDate),
}

/// Locks (or unlocks) the unit's support-statistics months of the period, in the report's
/// transaction: an approved report and the figures it froze cannot drift apart.
async fn apply_stats_lock(
    db: &impl ConnectionTrait,
    actor: &Actor,
    unit: i64,
    lock: StatsLock,
) -> Result<(), DbErr> {
    use crate::entities::support_stat_month as month;
    use crate::support_stats::period::YearMonth;
    match lock {
        StatsLock::None => Ok(()),
        StatsLock::Lock(from, to) => {
            for m in YearMonth::of(from).through(YearMonth::of(to)) {
                crate::support_stats::service::lock_month(
                    db,
                    unit,
                    m,
                    Some(actor.user_id),
                    actor.now,
                )
                .await?;
            }
            Ok(())
        }
        StatsLock::Unlock(from, to) => {
            let keys: Vec<i32> = YearMonth::of(from)
                .through(YearMonth::of(to))
                .into_iter()
                .map(YearMonth::key)
                .collect();
            let res = month::Entity::update_many()
                .col_expr(
                    month::Column::LockedAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(month::Column::LockedBy, Expr::value(Option::<i64>::None))
                .filter(month::Column::OrgUnitId.eq(unit))
                .filter(month::Column::YearMonth.is_in(keys))
                .filter(month::Column::LockedAt.is_not_null())
                .exec(db)
                .await?;
            if res.rows_affected > 0 {
                audit::record(
                    db,
                    actor.now,
                    audit::Event {
                        user_id: Some(actor.user_id),
                        action: "support_stats:reopen",
                        object_type: "org_unit",
                        object_id: Some(unit),
                        org_unit_id: Some(unit),
                        change: json!({ "from": from, "to": to, "months": res.rows_affected, "by": "report:reopen" }),
                    },
                )
                .await?;
            }
            Ok(())
        }
    }
}

/// Moves a report to a new status under the version guard.
async fn transition(
    db: &DatabaseConnection,
    actor: &Actor,
    r: &report::Model,
    version: i32,
    status: &str,
    action: &str,
    update: impl FnOnce(&mut report::ActiveModel),
) -> ReportResult<report::Model> {
    transition_with(
        db,
        actor,
        r,
        version,
        status,
        action,
        StatsLock::None,
        update,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn transition_with(
    db: &DatabaseConnection,
    actor: &Actor,
    r: &report::Model,
    version: i32,
    status: &str,
    action: &str,
    lock: StatsLock,
    update: impl FnOnce(&mut report::ActiveModel),
) -> ReportResult<report::Model> {
    let txn = db.begin().await?;
    claim(&txn, r.id, version).await?;
    apply_stats_lock(&txn, actor, r.org_unit_id, lock).await?;
    let mut row: report::ActiveModel = r.clone().into();
    row.status = Set(status.to_owned());
    row.version = Set(version + 1);
    row.updated_at = Set(actor.now);
    update(&mut row);
    let saved = row.update(&txn).await?;
    record(
        &txn,
        actor,
        action,
        &saved,
        json!({ "from": r.status, "to": status, "comment": saved.return_comment }),
    )
    .await?;
    notify_unit(&txn, actor, &saved).await?;
    txn.commit().await?;
    Ok(saved)
}

/// A responder's report returned or approved: the commune's users (or the partner agency's)
/// hear of it in the same transaction.
async fn notify_unit(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    r: &report::Model,
) -> Result<(), DbErr> {
    use crate::notifications::outbox;
    let template = match r.status.as_str() {
        RETURNED => outbox::REPORT_RETURNED,
        APPROVED if r.level == UNIT => outbox::REPORT_APPROVED,
        _ => return Ok(()),
    };
    let period = reporting_period::Entity::find_by_id(r.period_id)
        .one(txn)
        .await?;
    let recipients = responders(txn, r).await?;
    let data = json!({
        "period": period.map(|p| p.title).unwrap_or_default(),
        "comment": r.return_comment,
        "path": format!("/reports/{}", r.id),
    });
    // A report may be returned more than once: each version is its own occasion.
    let key = format!("report:{}:{}:v{}", r.id, r.status, r.version);
    outbox::enqueue_for(txn, &recipients, template, &data, &key, actor.now).await
}

/// The people who answer for a unit report: the commune officers of its unit, or the partner
/// users of the agency asked.
pub async fn responders(
    conn: &impl ConnectionTrait,
    r: &report::Model,
) -> Result<Vec<crate::entities::user::Model>, DbErr> {
    use crate::notifications::outbox;
    match r.agency_id {
        Some(agency) => outbox::users_of_agency(conn, agency, &["partner"]).await,
        None => outbox::users_of_unit(conn, r.org_unit_id, &["commune"]).await,
    }
}

/// The occasions on which a responding unit hears about its report's deadline.
pub const REQUESTED_EMAIL: &str = crate::notifications::outbox::REPORT_REQUESTED;
pub const DUE_EMAIL: &str = crate::notifications::outbox::REPORT_DUE;
pub const OVERDUE_EMAIL: &str = crate::notifications::outbox::REPORT_OVERDUE;

/// Writes one deadline email (requested, due soon, overdue) for a unit report, once per
/// report and occasion.
pub async fn notify_responder(
    conn: &impl ConnectionTrait,
    r: &report::Model,
    period: &reporting_period::Model,
    template: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use crate::notifications::outbox;
    let unit = match r.agency_id {
        Some(agency) => crate::entities::agency::Entity::find_by_id(agency)
            .one(conn)
            .await?
            .map(|a| a.name),
        None => org_unit::Entity::find_by_id(r.org_unit_id)
            .one(conn)
            .await?
            .map(|u| u.name),
    }
    .unwrap_or_default();
    let today = crate::state::vn_date(now);
    let data = json!({
        "unit": unit,
        "period": period.title,
        "period_start": period.period_start,
        "period_end": period.period_end,
        "due_date": period.due_date,
        "days": (period.due_date - today).num_days(),
        "path": format!("/reports/{}", r.id),
    });
    let recipients = responders(conn, r).await?;
    let key = format!("report:{}:{template}", r.id);
    outbox::enqueue_for(conn, &recipients, template, &data, &key, now).await
}

pub async fn submit(
    db: &DatabaseConnection,
    actor: &Actor,
    r: &report::Model,
    version: i32,
    doc: Option<(String, NaiveDate)>,
) -> ReportResult<report::Model> {
    if r.level != UNIT || !(r.status == DRAFT || r.status == RETURNED) {
        return Err(ReportError::field("status", "report.error.transition"));
    }
    if let Some((number, _)) = &doc
        && (number.chars().count() > 40 || crate::text::contains_personal_number(number))
    {
        return Err(ReportError::field("document_number", "plan.error.number"));
    }
    let now = actor.now;
    transition(db, actor, r, version, SUBMITTED, "report:submit", |row| {
        row.submitted_at = Set(Some(now));
        if let Some((number, date)) = doc {
            row.document_number = Set(Some(crate::text::nfc(number.trim())));
            row.document_date = Set(Some(date));
        }
    })
    .await
}

pub async fn return_report(
    db: &DatabaseConnection,
    actor: &Actor,
    r: &report::Model,
    version: i32,
    comment: &str,
) -> ReportResult<report::Model> {
    if r.level != UNIT || r.status != SUBMITTED {
        return Err(ReportError::field("status", "report.error.transition"));
    }
    let mut errors = FieldErrors::default();
    if comment.trim().is_empty() {
        errors.add("comment", "report.error.comment");
    }
    crate::activities::input::check_free_text(&[("comment", Some(comment))], &mut errors);
    if !errors.is_empty() {
        return Err(ReportError::Invalid(errors));
    }
    let c = comment.trim().to_owned();
    transition(
        db,
        actor,
        r,
        version,
        RETURNED,
        "report:return",
        move |row| {
            row.return_comment = Set(Some(c));
        },
    )
    .await
}

/// Approval freezes the figures (and, for a unit's report, locks its data for the period);
/// the compiled report also gets its document number and date.
pub async fn approve(
    db: &DatabaseConnection,
    actor: &Actor,
    r: &report::Model,
    period: &reporting_period::Model,
    version: i32,
    document: Option<(String, NaiveDate)>,
) -> ReportResult<report::Model> {
    let ok = match r.level.as_str() {
        UNIT => r.status == SUBMITTED,
        _ => r.status != APPROVED,
    };
    if !ok {
        return Err(ReportError::field("status", "report.error.transition"));
    }
    if r.level == COMPILED && document.as_ref().is_none_or(|(n, _)| n.trim().is_empty()) {
        return Err(ReportError::field("document_number", "plan.error.number"));
    }
    let f = figures_of(db, r, period)
        .await
        .map_err(ReportError::from_figures)?;
    let snapshot = serde_json::to_string(&f).unwrap_or_default();
    let n = narrative::refresh(&narrative_of(r), &f, Level::of(r));
    // A required section never goes out empty: the message names it.
    if let Some(key) = narrative::missing_required(&n, Level::of(r)) {
        return Err(ReportError::field(
            &format!("section_{key}"),
            &format!("report.error.required.{key}"),
        ));
    }
    let now = actor.now;
    let user = actor.user_id;
    // Statistics are entered per unit: an agency's report freezes its activities, not months.
    let lock = if r.level == UNIT && r.agency_id.is_none() {
        StatsLock::Lock(period.period_start, period.period_end)
    } else {
        StatsLock::None
    };
    transition_with(
        db,
        actor,
        r,
        version,
        APPROVED,
        "report:approve",
        lock,
        move |row| {
            row.snapshot = Set(Some(snapshot));
            row.narrative = Set(serde_json::to_string(&n).unwrap_or_else(|_| "{}".to_owned()));
            row.approved_at = Set(Some(now));
            row.approved_by = Set(Some(user));
            if let Some((number, date)) = document {
                row.document_number = Set(Some(number.trim().to_owned()));
                row.document_date = Set(Some(date));
            }
        },
    )
    .await
}

/// Reopens an approved report: the figures thaw and the unit's data unlocks. Audited.
pub async fn reopen(
    db: &DatabaseConnection,
    actor: &Actor,
    r: &report::Model,
    period: &reporting_period::Model,
    version: i32,
    reason: &str,
) -> ReportResult<report::Model> {
    if r.status != APPROVED {
        return Err(ReportError::field("status", "report.error.transition"));
    }
    if reason.trim().is_empty() {
        return Err(ReportError::field("reason", "task.error.reason"));
    }
    let reason = reason.trim().to_owned();
    let back = if r.level == UNIT { SUBMITTED } else { DRAFT };
    let lock = if r.level == UNIT && r.agency_id.is_none() {
        StatsLock::Unlock(period.period_start, period.period_end)
    } else {
        StatsLock::None
    };
    let result = transition_with(db, actor, r, version, back, "report:reopen", lock, |row| {
        row.snapshot = Set(None);
        row.approved_at = Set(None);
        row.return_comment = Set(Some(reason));
    })
    .await?;
    Ok(result)
}

/// Whether an approved responder's report locks an activity of this unit and organising agency
/// on this day: the unit's own report, or the report of the agency when it was asked to answer.
pub async fn is_locked(
    db: &impl ConnectionTrait,
    org_unit_id: i64,
    agency_id: i64,
    day: NaiveDate,
) -> Result<bool, DbErr> {
    let periods: Vec<i64> = reporting_period::Entity::find()
        .filter(reporting_period::Column::PeriodStart.lte(day))
        .filter(reporting_period::Column::PeriodEnd.gte(day))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    if periods.is_empty() {
        return Ok(false);
    }
    Ok(report::Entity::find()
        .filter(report::Column::PeriodId.is_in(periods))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(report::Column::OrgUnitId.eq(org_unit_id))
                        .add(report::Column::AgencyId.is_null()),
                )
                .add(report::Column::AgencyId.eq(agency_id)),
        )
        .filter(report::Column::Level.eq(UNIT))
        .filter(report::Column::Status.eq(APPROVED))
        .count(db)
        .await?
        > 0)
}

/// Units below `unit` that are in force on `day`: the default responders.
/// The units below `unit` that exist on `day` (a period's first day): a period's default
/// responders.
pub async fn default_responders(
    db: &impl ConnectionTrait,
    unit: i64,
    day: NaiveDate,
) -> Result<Vec<org_unit::Model>, DbErr> {
    Ok(org_unit::Entity::find()
        .filter(org_unit::Column::ParentId.eq(unit))
        .all(db)
        .await?
        .into_iter()
        .filter(|u| crate::org_units::repo::is_current(u, day))
        .collect())
}
