//! The home page, one per office: what this role has to do next, late things first.
//!
//! - planner: activities not yet logged, coming activities, the plan's progress;
//! - commune officer: what to log, tasks to acknowledge (overdue first), reports due;
//! - compiler: reports to review, units yet to report, victim-support months not entered;
//! - partner agency: its task inbox, its own reports in every state;
//! - leader: the dashboard (redirected);
//! - administrator: failed emails, locked accounts, recent changes.

mod office;

use crate::activities::repo;
use crate::auth::{Capability, CurrentUser, Role};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::Page;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

/// How far ahead the home page looks for coming activities.
pub(crate) const UPCOMING_DAYS: i64 = 30;
const HOME_ROWS: u64 = 20;

pub async fn get_home(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
) -> AppResult<Response> {
    let parts = match user.role {
        Role::Leader => return Ok(Redirect::to("/dashboard").into_response()),
        Role::Planner => {
            let progress = crate::dashboard::attention::plan_progress(
                &state.db,
                &user,
                user.scope(&state).await?,
                state.clock.today(),
            )
            .await?;
            vec![activities(&state, &user).await?, context! { progress }]
        }
        Role::Commune => vec![
            activities(&state, &user).await?,
            office::tasks_to_acknowledge(&state, &user).await?,
            context! { reports => crate::reports::views::waiting_for(&state, &user).await? },
        ],
        Role::Compiler => vec![
            office::reports_to_review(&state, &user).await?,
            office::stats_not_entered(&state, &user).await?,
        ],
        Role::Partner => vec![
            office::task_inbox(&state, &user).await?,
            office::own_reports(&state, &user).await?,
            activities(&state, &user).await?,
        ],
        Role::Admin => vec![office::admin(&state).await?],
    };
    let base = context! {
        can_write => user.can(Capability::WriteActivities), today => state.clock.today(),
        office => user.role.code(),
    };
    let ctx = minijinja::value::merge_maps(parts.into_iter().chain([base]));
    page.render(&state, "home.html", ctx)
}

/// Activities past and not logged, and those coming in the next days, of the user's scope (a
/// partner agency's own).
async fn activities(state: &AppState, user: &CurrentUser) -> AppResult<Value> {
    let scope = user.scope(state).await?;
    let today = state.clock.today();
    let partner = (user.role == Role::Partner).then_some(user.agency_id);
    let q = repo::home_queries(&scope, partner, today, UPCOMING_DAYS, HOME_ROWS);
    let upcoming = repo::fetch(&state.db, q.upcoming).await?;
    let to_log = repo::fetch(&state.db, q.to_log).await?;
    let to_log_total = sea_orm::PaginatorTrait::count(q.to_log_count, &state.db).await?;
    let mut all = upcoming.clone();
    all.extend(to_log.iter().cloned());
    let names = repo::names_for(&state.db, &all).await?;
    let plan_units =
        crate::plans::repo::readable_units(&state.db, &scope, user.org_unit_id).await?;
    // "Plans in force": a plan whose period has ended (the district's 2024 plan in 2026) is
    // history, reached from the plans page, not work of today.
    let plans: Vec<_> = crate::plans::repo::list(&state.db, &plan_units)
        .await?
        .into_iter()
        .filter(|p| p.plan.period_start <= today && today <= p.plan.period_end)
        .collect();
    Ok(context! {
        plans => plans, upcoming => upcoming, to_log => to_log, to_log_total => to_log_total, names => names,
        to_log_more => to_log_total >= repo::TO_LOG_CAP, show_activities => true,
    })
}
