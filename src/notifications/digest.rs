//! The weekly digest to leaders: the last full week (Monday to Sunday) of their unit's subtree —
//! activities held and people reached, what is scheduled next, what is late, who has not
//! reported — with a link to the dashboard. It goes out on the Monday after the week (or on the
//! Tuesday, after a day of downtime; later it would be stale, and the next one is a week away),
//! once per leader and week, whichever process or tick writes it first.

use super::outbox::{self, WEEKLY_DIGEST};
use crate::activities::service::{HELD, PLANNED};
use crate::entities::{
    activity, agency, coordination_task, org_unit, outbox_email, report, reporting_period, user,
};
use crate::org_units::scope::Scope;
use crate::reports::service::{DRAFT, RETURNED, UNIT};
use crate::tasks::service::{ACKNOWLEDGED, IN_PROGRESS, REQUESTED, lateness};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// At most this many late units are named; the digest is a summary, the dashboard has the rest.
const NAMED_UNITS: usize = 30;
/// Days after Monday on which a missed digest is still written (0 = Monday only).
const LATEST_WEEKDAY: u32 = 1;

/// The Monday and Sunday of the last full week before `today`.
pub fn last_week(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let back = u64::from(today.weekday().num_days_from_monday()) + 7;
    let start = today.checked_sub_days(Days::new(back)).unwrap_or(today);
    (start, start.checked_add_days(Days::new(6)).unwrap_or(start))
}

#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct Held {
    pub count: i64,
    pub participants: i64,
    pub women: i64,
    pub ethnic: i64,
    pub children: i64,
}

#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Digest {
    pub unit: String,
    pub week_start: NaiveDate,
    pub week_end: NaiveDate,
    pub held: Held,
    pub upcoming: u64,
    pub not_logged: u64,
    pub tasks_overdue: usize,
    pub not_reported: Vec<String>,
}

pub async fn weekly_digests(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<(), DbErr> {
    if today.weekday().num_days_from_monday() > LATEST_WEEKDAY {
        return Ok(());
    }
    let (week_start, week_end) = last_week(today);
    let key = format!("digest:{week_start}");
    let leaders = user::Entity::find()
        .filter(user::Column::Role.eq("leader"))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::EmailDigest.eq(true))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?;
    // Most ticks of the week find every digest written already: stop before computing any.
    let keys: Vec<String> = leaders
        .iter()
        .map(|u| format!("{key}:to:{}", u.id))
        .collect();
    let written = outbox_email::Entity::find()
        .filter(outbox_email::Column::DedupeKey.is_in(keys))
        .count(db)
        .await?;
    if written >= leaders.len() as u64 {
        return Ok(());
    }
    let agencies: BTreeMap<i64, i64> = agency::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.org_unit_id))
        .collect();
    let mut by_unit: BTreeMap<i64, Vec<user::Model>> = BTreeMap::new();
    for u in leaders {
        if let Some(unit) = agencies.get(&u.agency_id) {
            by_unit.entry(*unit).or_default().push(u);
        }
    }
    for (unit, recipients) in by_unit {
        let digest = compute(db, unit, week_start, week_end, today).await?;
        let mut data = json!(digest);
        data["path"] = json!("/dashboard");
        outbox::enqueue_for(db, &recipients, WEEKLY_DIGEST, &data, &key, now).await?;
    }
    Ok(())
}

/// The figures of one unit's subtree for the week.
pub async fn compute(
    db: &DatabaseConnection,
    unit: i64,
    week_start: NaiveDate,
    week_end: NaiveDate,
    today: NaiveDate,
) -> Result<Digest, DbErr> {
    let scope = Scope::of_unit(db, unit)
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    let units = scope.ids();
    let name = org_unit::Entity::find_by_id(unit)
        .one(db)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();

    let mut held = Held::default();
    for a in activity::Entity::find()
        .filter(activity::Column::OrgUnitId.is_in(units.clone()))
        .filter(activity::Column::Status.eq(HELD))
        .filter(activity::Column::StartDate.between(week_start, week_end))
        .all(db)
        .await?
    {
        held.count += 1;
        held.participants += a.participants.unwrap_or(0);
        held.women += a.participants_women.unwrap_or(0);
        held.ethnic += a.participants_ethnic_minority.unwrap_or(0);
        held.children += a.participants_children.unwrap_or(0);
    }
    let next_start = week_end.checked_add_days(Days::new(1)).unwrap_or(week_end);
    let next_end = next_start
        .checked_add_days(Days::new(6))
        .unwrap_or(next_start);
    let upcoming = activity::Entity::find()
        .filter(activity::Column::OrgUnitId.is_in(units.clone()))
        .filter(activity::Column::Status.eq(PLANNED))
        .filter(activity::Column::StartDate.between(next_start, next_end))
        .count(db)
        .await?;
    // Passed but not logged: planned activities of this year whose last day is behind us.
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let not_logged = activity::Entity::find()
        .filter(activity::Column::OrgUnitId.is_in(units.clone()))
        .filter(activity::Column::Status.eq(PLANNED))
        .filter(activity::Column::EndDate.gte(year_start))
        .filter(activity::Column::EndDate.lt(today))
        .count(db)
        .await?;

    let lead_agencies: Vec<i64> = agency::Entity::find()
        .filter(agency::Column::OrgUnitId.is_in(units.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let tasks_overdue = coordination_task::Entity::find()
        .filter(coordination_task::Column::LeadAgencyId.is_in(lead_agencies))
        .filter(coordination_task::Column::Status.is_in([REQUESTED, ACKNOWLEDGED, IN_PROGRESS]))
        .all(db)
        .await?
        .iter()
        .filter(|t| lateness(t, today).is_some())
        .count();

    let open_periods: Vec<i64> = reporting_period::Entity::find()
        .filter(reporting_period::Column::Status.eq("open"))
        .filter(reporting_period::Column::DueDate.lt(today))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let late = report::Entity::find()
        .filter(report::Column::PeriodId.is_in(open_periods))
        .filter(report::Column::Level.eq(UNIT))
        .filter(report::Column::Status.is_in([DRAFT, RETURNED]))
        .filter(report::Column::OrgUnitId.is_in(units))
        .all(db)
        .await?;
    // A unit's report is named by the unit, a partner agency's by the agency.
    let late_units = late.iter().filter(|r| r.agency_id.is_none());
    let late_agencies = late.iter().filter_map(|r| r.agency_id);
    let mut not_reported: Vec<String> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(late_units.map(|r| r.org_unit_id)))
        .order_by_asc(org_unit::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.name)
        .collect();
    not_reported.extend(
        agency::Entity::find()
            .filter(agency::Column::Id.is_in(late_agencies))
            .order_by_asc(agency::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.name),
    );
    not_reported.truncate(NAMED_UNITS);

    Ok(Digest {
        unit: name,
        week_start,
        week_end,
        held,
        upcoming,
        not_logged,
        tasks_overdue,
        not_reported,
    })
}
