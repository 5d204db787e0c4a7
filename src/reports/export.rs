//! Exports without a browser: `kehoach report export <id|latest> --format docx|xlsx`, for the
//! records clerk's scripts. The same documents as the pages give.

use crate::entities::{agency, org_unit, plan, report, reporting_period};
use crate::reports::document::{self, ReportDoc};
use crate::reports::{narrative, service};
use anyhow::Context;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

/// The report with this id, or the most recently changed compiled report for `latest`.
pub async fn find(db: &DatabaseConnection, which: &str) -> anyhow::Result<report::Model> {
    if which == "latest" {
        let all = report::Entity::find()
            .order_by_desc(report::Column::UpdatedAt)
            .all(db)
            .await?;
        return all
            .into_iter()
            .find(|r| r.level == service::COMPILED)
            .context("there is no compiled report yet");
    }
    let id: i64 = which.parse().context("a report id or `latest`")?;
    report::Entity::find_by_id(id)
        .one(db)
        .await?
        .with_context(|| format!("no report {id}"))
}

pub async fn bytes(
    db: &DatabaseConnection,
    r: &report::Model,
    format: &str,
) -> anyhow::Result<Vec<u8>> {
    let period = reporting_period::Entity::find_by_id(r.period_id)
        .one(db)
        .await?
        .context("period")?;
    let plan = plan::Entity::find_by_id(period.plan_id)
        .one(db)
        .await?
        .context("plan")?;
    let unit = org_unit::Entity::find_by_id(r.org_unit_id)
        .one(db)
        .await?
        .context("unit")?;
    let agency = match r.agency_id {
        Some(id) => Some(
            agency::Entity::find_by_id(id)
                .one(db)
                .await?
                .context("agency")?,
        ),
        None => None,
    };
    let figures = service::figures_of(db, r, &period)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let n = if r.snapshot.is_some() {
        service::narrative_of(r)
    } else {
        narrative::refresh(&service::narrative_of(r), &figures, narrative::Level::of(r))
    };
    let plan_unit = org_unit::Entity::find_by_id(plan.org_unit_id)
        .one(db)
        .await?
        .filter(|u| u.id != unit.id);
    let doc = ReportDoc {
        report: r,
        period: &period,
        plan: &plan,
        unit: &unit,
        plan_unit: plan_unit.as_ref(),
        agency: agency.as_ref(),
        figures: &figures,
        narrative: &n,
    };
    match format {
        "docx" => Ok(document::docx(&doc)?),
        "xlsx" => Ok(document::xlsx(&doc)?),
        other => anyhow::bail!("unknown format {other}: use docx or xlsx"),
    }
}
