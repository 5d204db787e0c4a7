//! "Cần chú ý", the band at the top of the dashboard: what is late or at risk, by name, each with
//! its link — reports missing, returned or late; tasks overdue or not acknowledged; activities
//! past and not logged; communes with nothing held in the period; targets trailing the time
//! elapsed. The default period (the plan in force up to today) and the plan progress the
//! planner's home shows come from here too.

use crate::auth::{CurrentUser, Role};
use crate::dashboard::data::{Links, Period, Rows, plan_in_force};
use crate::dashboard::execution::{self, TargetProgress};
use crate::dashboard::followup::{PeriodRow, Responder};
use crate::dashboard::sections::{BaseUnit, Ctx};
use crate::entities::{code, coordination_task, plan, plan_target};
use crate::error::AppResult;
use crate::org_units::scope::Scope;
use crate::state::AppState;
use crate::tasks::service::{self as tasks, Lateness};
use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;
use std::collections::HashMap;

/// How many names a line of the band shows before "and N more".
pub const NAMES: usize = 8;

/// The period the dashboard opens on: the plan in force from its first day up to today (its
/// last day once it has ended); the calendar year when no plan is in force.
pub async fn default_period(
    db: &impl ConnectionTrait,
    scope: &Scope,
    own_unit: i64,
    today: NaiveDate,
) -> Result<Period, DbErr> {
    let now = Period {
        from: today,
        to: today,
    };
    Ok(match plan_in_force(db, scope, own_unit, &now).await? {
        Some(p) => Period {
            from: p.period_start,
            to: today.min(p.period_end).max(p.period_start),
        },
        None => Period::parse(&Default::default(), today),
    })
}

#[derive(Serialize)]
pub struct LateTask {
    pub id: i64,
    pub title: String,
    pub late: Lateness,
    pub days: i64,
}

/// Open tasks past their acknowledgement or due date among `visible`, most overdue first.
pub async fn late_tasks(
    db: &impl ConnectionTrait,
    visible: Condition,
    today: NaiveDate,
    limit: u64,
) -> Result<(Vec<LateTask>, u64), DbErr> {
    let q = coordination_task::Entity::find()
        .filter(visible)
        .filter(coordination_task::Column::Status.is_in([
            tasks::REQUESTED,
            tasks::ACKNOWLEDGED,
            tasks::IN_PROGRESS,
        ]))
        .filter(
            Condition::any()
                .add(coordination_task::Column::DueDate.lt(today))
                .add(
                    Condition::all()
                        .add(coordination_task::Column::Status.eq(tasks::REQUESTED))
                        .add(coordination_task::Column::AckDueDate.lt(today)),
                ),
        );
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_asc(coordination_task::Column::DueDate)
        .order_by_asc(coordination_task::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let out = rows
        .into_iter()
        .filter_map(|t| {
            let late = tasks::lateness(&t, today)?;
            let since = match late {
                Lateness::NotAcknowledged => t.ack_due_date,
                Lateness::Overdue => t.due_date,
            };
            Some(LateTask {
                id: t.id,
                title: t.title,
                late,
                days: (today - since).num_days(),
            })
        })
        .collect();
    Ok((out, total))
}

#[derive(Serialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// The band's contents.
#[derive(Serialize)]
pub struct Attention {
    pub reports: Vec<Responder>,
    pub reports_more: usize,
    pub tasks: Vec<LateTask>,
    pub tasks_more: u64,
    pub to_log: u64,
    pub to_log_capped: bool,
    pub to_log_link: String,
    pub idle: Vec<Named>,
    pub idle_more: usize,
    pub idle_link: String,
    pub at_risk: Vec<TargetProgress>,
    pub empty: bool,
}

/// What the band is computed from.
pub struct Inputs<'a> {
    pub reporting: &'a [PeriodRow],
    pub units: &'a [BaseUnit],
    pub targets: Vec<TargetProgress>,
    pub period: &'a Period,
}

pub async fn attention(
    state: &AppState,
    user: &CurrentUser,
    scope: &Scope,
    c: &Ctx<'_>,
    inputs: Inputs<'_>,
) -> AppResult<Attention> {
    let db = &state.db;
    let today = state.clock.today();
    let mut reports: Vec<Responder> = inputs
        .reporting
        .iter()
        .flat_map(|p| p.responders.iter().filter(|r| r.needs_attention()).cloned())
        .collect();
    let reports_more = reports.len().saturating_sub(NAMES);
    reports.truncate(NAMES);
    let visible = crate::tasks::views::visible(state, user, scope).await?;
    let (tasks, total) = late_tasks(db, visible, today, NAMES as u64).await?;
    let partner = (user.role == Role::Partner).then_some(user.agency_id);
    let q = crate::activities::repo::home_queries(scope, partner, today, 0, 1);
    let to_log = q.to_log_count.count(db).await?;
    let held_in: HashMap<i64, i64> = c.rows.units.iter().fold(HashMap::new(), |mut m, r| {
        *m.entry(r.unit).or_default() += r.held;
        m
    });
    let mut idle: Vec<Named> = inputs
        .units
        .iter()
        .filter(|u| held_in.get(&u.id).copied().unwrap_or(0) == 0)
        .map(|u| Named {
            id: u.id,
            name: u.name.clone(),
        })
        .collect();
    let idle_more = idle.len().saturating_sub(NAMES);
    idle.truncate(NAMES);
    let at_risk: Vec<TargetProgress> = inputs.targets.into_iter().filter(|t| t.at_risk).collect();
    let empty = reports.is_empty()
        && tasks.is_empty()
        && to_log == 0
        && idle.is_empty()
        && at_risk.is_empty();
    Ok(Attention {
        reports,
        reports_more,
        tasks_more: total.saturating_sub(tasks.len() as u64),
        tasks,
        to_log,
        to_log_capped: to_log >= crate::activities::repo::TO_LOG_CAP,
        to_log_link: format!(
            "/activities?status=planned&to={}",
            today.pred_opt().unwrap_or(today)
        ),
        idle,
        idle_more,
        idle_link: format!("/dashboard?{}#h-coverage", inputs.period.query()),
        at_risk,
        empty,
    })
}

/// The plan in force for the user today and its targets measured from its first day: the
/// planner's home shows them.
#[derive(Serialize)]
pub struct Progress {
    pub plan: plan::Model,
    pub elapsed: i64,
    pub targets: Vec<TargetProgress>,
}

pub async fn plan_progress(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    scope: Scope,
    today: NaiveDate,
) -> Result<Option<Progress>, DbErr> {
    let period = default_period(db, &scope, user.org_unit_id, today).await?;
    let Some((p, forest)) =
        crate::dashboard::views::plan_and_items(db, &scope, user, &period).await?
    else {
        return Ok(None);
    };
    let own: Vec<i64> = forest
        .items()
        .iter()
        .filter(|i| i.plan_id == p.id)
        .map(|i| i.id)
        .collect();
    let targets = plan_target::Entity::find()
        .filter(plan_target::Column::PlanItemId.is_in(own))
        .order_by_asc(plan_target::Column::Id)
        .all(db)
        .await?;
    let plan_pair = (p, forest);
    let f =
        crate::dashboard::views::frame(db, user, scope, &period, today, Some(&plan_pair)).await?;
    let rows = Rows::fetch(db, &f).await?;
    let codes: HashMap<i64, code::Model> = code::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let links = Links::new(&period);
    let c = Ctx {
        rows: &rows,
        links: &links,
        period: &period,
        codes: &codes,
        locale: user.locale,
    };
    let (p, forest) = plan_pair;
    let targets = execution::target_progress(&c, &p, &forest, &targets, today);
    Ok(Some(Progress {
        elapsed: execution::elapsed(&p, today),
        plan: p,
        targets,
    }))
}
