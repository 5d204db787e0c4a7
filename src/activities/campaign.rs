//! Campaigns: clone a set of activities (last year's 30/7 campaign, one commune's plan) into a
//! new period with the dates shifted, as planned activities.

use crate::activities::edit::Writer;
use crate::activities::repo::{self, Filter};
use crate::activities::service::{self, ActivityError};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{FieldErrors, RawForm};
use crate::web::query::Query;
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;

/// The largest campaign cloned at once.
const MAX_CLONE: u64 = 500;

async fn show(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    status: StatusCode,
    filter: Filter,
    form: Option<&RawForm>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let w = Writer::of(state, user).await?;
    let has_filter = filter.from.is_some() || filter.to.is_some();
    let rows = if has_filter {
        repo::between(
            &state.db,
            &w.scope,
            &filter,
            filter.from_date().unwrap_or_default(),
            filter.to_date().unwrap_or(chrono::NaiveDate::MAX),
            MAX_CLONE + 1,
        )
        .await?
    } else {
        Vec::new()
    };
    let names = repo::names_for(&state.db, &rows).await?;
    let plans = service::plan_items_for(&state.db, &w.plan_units).await?;
    let plans: Vec<crate::entities::plan::Model> = plans.into_iter().map(|(p, _)| p).collect();
    let options = crate::activities::views::filter_options(state, user, &filter).await?;
    let values = crate::web::forms::FormValues::of(form.unwrap_or(&RawForm::default()));
    page.render_status(
        state,
        status,
        "activities/clone.html",
        context! {
            rows => rows, names => names, filter => filter, plans => plans, options => options,
            too_many => false, values => values, errors => errors,
        },
    )
}

pub async fn get_clone(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Query(mut filter): Query<Filter>,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    filter.resolve(&state.db, &scope).await?;
    show(
        &state,
        &page,
        &user,
        StatusCode::OK,
        filter,
        None,
        FieldErrors::default(),
    )
    .await
}

pub async fn post_clone(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let w = Writer::of(&state, &user).await?;
    let mut filter: Filter =
        serde_urlencoded::from_str(&serde_urlencoded::to_string(&form.0).unwrap_or_default())
            .unwrap_or_default();
    filter.after = None;
    filter.resolve(&state.db, &w.scope).await?;
    let mut errors = FieldErrors::default();
    let (Some(from), Some(to)) = (filter.from_date(), filter.to_date()) else {
        errors.add("from", "activity.error.clone_period");
        return show(
            &state,
            &page,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            filter,
            Some(&form),
            errors,
        )
        .await;
    };
    let years: i32 = form.get("shift_years").trim().parse().unwrap_or(0);
    let days: i64 = form.get("shift_days").trim().parse().unwrap_or(0);
    if years == 0 && days == 0 || !(-10..=10).contains(&years) || !(-3660..=3660).contains(&days) {
        errors.add("shift_years", "activity.error.shift");
    }
    let target_plan = form.get("target_plan_id").trim().parse::<i64>().ok();
    let sources = repo::between(&state.db, &w.scope, &filter, from, to, MAX_CLONE + 1).await?;
    if sources.len() as u64 > MAX_CLONE {
        errors.add("from", "activity.error.clone_too_many");
    }
    if !errors.is_empty() {
        return show(
            &state,
            &page,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            filter,
            Some(&form),
            errors,
        )
        .await;
    }
    // Cancelled activities are not carried into a new campaign.
    let sources: Vec<_> = sources
        .into_iter()
        .filter(|a| a.status != service::CANCELLED)
        .collect();
    match service::clone_activities(
        &state.db,
        &w.ctx(&state, &user),
        &sources,
        years,
        days,
        target_plan,
    )
    .await
    {
        Ok(created) => {
            let first = created.iter().map(|a| a.start_date).min().unwrap_or(from);
            let last = created.iter().map(|a| a.end_date).max().unwrap_or(to);
            Ok(flash::redirect(
                &state.config,
                &format!("/activities?from={first}&to={last}&status=planned"),
                "flash.cloned",
            ))
        }
        Err(ActivityError::Invalid(errors)) => {
            show(
                &state,
                &page,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                filter,
                Some(&form),
                errors,
            )
            .await
        }
        Err(ActivityError::OutOfScope) => Err(AppError::OutOfScope),
        Err(ActivityError::Conflict(_)) => Err(AppError::Conflict),
        Err(ActivityError::Db(e)) => Err(e.into()),
    }
}
