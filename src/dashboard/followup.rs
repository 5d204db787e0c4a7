//! The two dashboard sections that come from other modules' rules: reporting completeness
//! (the reports' own counting, for the open periods the user's unit requested) and victim-support
//! statistics (the statistics' own figures and suppression for the user, the read audited).

use crate::auth::CurrentUser;
use crate::dashboard::data::Period;
use crate::dashboard::sections::Section;
use crate::entities::{agency, org_unit, report, reporting_period};
use crate::error::AppResult;
use crate::org_units::scope::Scope;
use crate::reports::views::{Completeness, completeness};
use crate::state::AppState;
use crate::support_stats::data::{self, Selection};
use crate::support_stats::figures::{self, Summary};
use crate::support_stats::period::YearMonth;
use crate::support_stats::views::{MAX_SPAN, Wanted, audit_read};
use crate::support_stats::views_model::Tr;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize)]
pub struct PeriodRow {
    pub id: i64,
    pub title: String,
    pub due_date: NaiveDate,
    pub figures: Completeness,
    /// Who has not answered well: missing, returned, late (in that order), by name.
    pub responders: Vec<Responder>,
}

/// A unit or partner agency asked for a report, and where its report stands.
#[derive(Clone, Debug, Serialize)]
pub struct Responder {
    pub report_id: i64,
    pub name: String,
    /// missing, returned, late, not_yet, on_time
    pub state: &'static str,
    /// Days past the due date: today for a report not sent, the sending day for a late one.
    pub days_late: i64,
    pub period_title: String,
    /// The unit still exists (not merged away) or the agency is still active: someone can act.
    pub current: bool,
}

impl Responder {
    /// Missing, returned or late, of a unit or agency that still exists: what the dashboard
    /// and the compiler's home name first.
    pub fn needs_attention(&self) -> bool {
        self.current && matches!(self.state, "missing" | "returned" | "late")
    }
}

fn days_late(r: &report::Model, state: &str, due: NaiveDate, today: NaiveDate) -> i64 {
    let until = match state {
        "late" => r.submitted_at.map_or(today, crate::state::vn_date),
        _ => today,
    };
    (until - due).num_days().max(0)
}

/// Names by id, and whether the unit or agency is still there.
type Names = HashMap<i64, (String, bool)>;

/// The names of the units and agencies that answer the reports.
async fn responder_names(
    db: &impl ConnectionTrait,
    reports: &[&report::Model],
    today: NaiveDate,
) -> Result<(Names, Names), DbErr> {
    let units = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(reports.iter().map(|r| r.org_unit_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| {
            let current = crate::org_units::repo::is_current(&u, today);
            (u.id, (u.name, current))
        })
        .collect();
    let agencies = agency::Entity::find()
        .filter(agency::Column::Id.is_in(reports.iter().filter_map(|r| r.agency_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, (a.short_name, a.active)))
        .collect();
    Ok((units, agencies))
}

/// Every open reporting period requested by a unit in scope (the dashboard's "reporting"
/// section): who has answered, on time or late, who has not, whose report waits after a
/// return — with the responders by name.
pub async fn reporting_rows(
    db: &impl ConnectionTrait,
    scope: &Scope,
    today: NaiveDate,
) -> Result<Vec<PeriodRow>, DbErr> {
    let mut q = reporting_period::Entity::find()
        .filter(reporting_period::Column::Status.eq("open"))
        .order_by_asc(reporting_period::Column::DueDate);
    if !scope.all {
        q = q.filter(reporting_period::Column::OrgUnitId.is_in(scope.ids()));
    }
    let periods = q.all(db).await?;
    let mut reports: std::collections::HashMap<i64, Vec<report::Model>> =
        std::collections::HashMap::new();
    for r in report::Entity::find()
        .filter(report::Column::PeriodId.is_in(periods.iter().map(|p| p.id)))
        .all(db)
        .await?
    {
        reports.entry(r.period_id).or_default().push(r);
    }
    let all: Vec<&report::Model> = reports.values().flatten().collect();
    let (units, agencies) = responder_names(db, &all, today).await?;
    let mut rows = Vec::new();
    for period in periods {
        let theirs = reports.remove(&period.id).unwrap_or_default();
        let (figures, states) = completeness(&theirs, &period, today);
        let mut responders: Vec<Responder> = states
            .into_iter()
            .filter_map(|(id, state)| {
                let r = theirs.iter().find(|r| r.id == id)?;
                let name = match r.agency_id {
                    Some(a) => agencies.get(&a),
                    None => units.get(&r.org_unit_id),
                };
                let (name, current) = name.cloned().unwrap_or_default();
                Some(Responder {
                    report_id: id,
                    name,
                    current,
                    state,
                    days_late: days_late(r, state, period.due_date, today),
                    period_title: period.title.clone(),
                })
            })
            .collect();
        let rank = |s: &str| match s {
            "missing" => 0,
            "returned" => 1,
            "late" => 2,
            "not_yet" => 3,
            _ => 4,
        };
        responders.sort_by(|a, b| {
            (rank(a.state), -a.days_late, &a.name).cmp(&(rank(b.state), -b.days_late, &b.name))
        });
        rows.push(PeriodRow {
            id: period.id,
            title: period.title,
            due_date: period.due_date,
            figures,
            responders,
        });
    }
    Ok(rows)
}

#[derive(Serialize)]
struct StatsView {
    summary: Summary,
    exact: bool,
    months_with_figures: usize,
    from: String,
    to: String,
    link: String,
}

/// Victim-support figures of the user's unit and below over the dashboard's months, as the
/// statistics pages show them to this user (small cells hidden unless the user may see them
/// exactly); the read is audited like any other.
pub async fn support(state: &AppState, user: &CurrentUser, period: &Period) -> AppResult<Section> {
    let to = YearMonth::of(period.to);
    // The statistics pages read at most MAX_SPAN months at once; a longer dashboard period shows
    // its last ten years.
    let earliest = YearMonth::from_key(to.key() - (MAX_SPAN / 12) * 100).unwrap_or(to);
    let from = YearMonth::of(period.from).max(earliest);
    // Readers without exact access get the lattice period holding the dashboard's months
    // within the year of its last month (`support_stats::lattice`).
    let (from, to) = if user.can(crate::auth::Capability::SensitiveStats) {
        (from, to)
    } else {
        let from = from.max(YearMonth::new(to.year(), 1).unwrap_or(from));
        crate::support_stats::lattice::Period::snap(from, to).map_or((from, to), |p| (p.from, p.to))
    };
    let (unit, scope) =
        crate::support_stats::access::readable_unit(state, user, user.org_unit_id).await?;
    let sel = Selection { unit, from, to };
    // The user's scope is the subtree of the user's unit but for the administrator.
    let data = if !scope.all && scope.root == sel.unit.id {
        data::load_subtree(&state.db, &sel, &scope).await?
    } else {
        data::load(&state.db, &sel).await?
    };
    let tr = Tr {
        i18n: &state.i18n,
        locale: user.locale,
    };
    let r = figures::report_for(&state.db, &data, &sel, user, &tr).await?;
    let w = Wanted {
        unit_id: sel.unit.id,
        from,
        to,
        requested: None,
    };
    audit_read(
        &state.db,
        user,
        "support_stats:view",
        "dashboard",
        &w,
        r.exact,
        state.clock.now(),
    )
    .await?;
    Ok(Section::new(
        "support",
        StatsView {
            link: format!(
                "/stats?unit={}&from={}&to={}",
                sel.unit.id,
                from.iso(),
                to.iso()
            ),
            from: from.label(),
            to: to.label(),
            summary: r.summary,
            exact: r.exact,
            months_with_figures: r.months_with_figures,
        },
    ))
}
