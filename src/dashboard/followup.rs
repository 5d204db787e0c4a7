//! The two dashboard sections that come from other modules' rules: reporting completeness
//! (the reports' own counting, for the open periods the user's unit requested) and victim-support
//! statistics (the statistics' own figures and suppression for the user, the read audited).

use crate::auth::CurrentUser;
use crate::dashboard::data::Period;
use crate::dashboard::sections::Section;
use crate::entities::{report, reporting_period};
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

#[derive(Serialize)]
struct PeriodRow {
    id: i64,
    title: String,
    due_date: NaiveDate,
    figures: Completeness,
}

/// Every open reporting period requested by a unit in scope: who has answered, on time or late,
/// who has not, whose report waits after a return.
pub async fn reporting(
    db: &impl ConnectionTrait,
    scope: &Scope,
    today: NaiveDate,
) -> Result<Section, DbErr> {
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
    let mut rows = Vec::new();
    for period in periods {
        let theirs = reports.remove(&period.id).unwrap_or_default();
        let (figures, _) = completeness(&theirs, &period, today);
        rows.push(PeriodRow {
            id: period.id,
            title: period.title,
            due_date: period.due_date,
            figures,
        });
    }
    Ok(Section::new("reporting", rows))
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
