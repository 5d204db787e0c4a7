//! `/api/v1/tasks`: list, get, create and change the status of coordination tasks, with the
//! same rules and visibility as the pages (`tasks::access`, `tasks::service`).

use crate::api::{check_counts, check_dates, invalid, list, parse_body};
use crate::auth::{CurrentUser, Role};
use crate::entities::{agency, code, coordination_task};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tasks::access;
use crate::tasks::service::{self, Actor, Change, NewTask, TaskError};
use crate::web::forms::FieldErrors;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use serde_json::{Value, json};

async fn task_json(state: &AppState, t: &coordination_task::Model) -> AppResult<Value> {
    let kind = code::Entity::find_by_id(t.kind_id)
        .one(&state.db)
        .await?
        .map(|c| c.code);
    Ok(json!({
        "id": t.id,
        "kind": kind,
        "title": t.title,
        "plan_item_id": t.plan_item_id,
        "lead_agency_id": t.lead_agency_id,
        "partner_agency_id": t.partner_agency_id,
        "requested_on": t.requested_on,
        "ack_due_date": t.ack_due_date,
        "due_date": t.due_date,
        "status": t.status,
        "escalated": service::escalated(t, state.clock.today()),
        "loans_count": t.loans_count,
        "loans_amount": t.loans_amount,
        "version": t.version,
    }))
}

pub async fn get_api_tasks(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Json<Value>> {
    let scope = user.scope(&state).await?;
    let mut q = coordination_task::Entity::find()
        .order_by_asc(coordination_task::Column::DueDate)
        .limit(1000);
    if user.role == Role::Partner {
        q = q.filter(
            sea_orm::Condition::any()
                .add(coordination_task::Column::LeadAgencyId.eq(user.agency_id))
                .add(coordination_task::Column::PartnerAgencyId.eq(user.agency_id)),
        );
    } else if !scope.all {
        let in_scope: Vec<i64> = agency::Entity::find()
            .filter(agency::Column::OrgUnitId.is_in(scope.ids()))
            .select_only()
            .column(agency::Column::Id)
            .into_tuple()
            .all(&state.db)
            .await?;
        q = q.filter(
            sea_orm::Condition::any()
                .add(coordination_task::Column::LeadAgencyId.is_in(in_scope))
                .add(coordination_task::Column::PartnerAgencyId.eq(user.agency_id)),
        );
    }
    let mut items = Vec::new();
    for t in q.all(&state.db).await? {
        items.push(task_json(&state, &t).await?);
    }
    Ok(list(items, None))
}

pub async fn get_api_task(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let (acc, _) = access::readable(&state, &user, id).await?;
    Ok(Json(task_json(&state, &acc.task).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskBody {
    kind: String,
    title: String,
    plan_item_id: i64,
    lead_agency_id: Option<i64>,
    partner_agency_id: i64,
    ack_due_date: NaiveDate,
    due_date: NaiveDate,
    note: Option<String>,
    #[serde(default)]
    activity_ids: Vec<i64>,
}

fn actor(state: &AppState, user: &CurrentUser) -> Actor {
    Actor {
        user_id: user.id,
        now: state.clock.now(),
        today: state.clock.today(),
    }
}

fn respond(state: &AppState, user: &CurrentUser, e: TaskError) -> AppResult<Response> {
    match e {
        TaskError::Invalid(errors) => Ok(invalid(state, user, &errors)),
        TaskError::Conflict => Err(AppError::Conflict),
        TaskError::Db(e) => Err(e.into()),
    }
}

pub async fn post_api_task(
    State(state): State<AppState>,
    user: CurrentUser,
    bytes: Bytes,
) -> AppResult<Response> {
    let body: TaskBody = match parse_body(&state, &user, &bytes) {
        Ok(b) => b,
        Err(refused) => return Ok(refused),
    };
    let scope = user.scope(&state).await?;
    let mut errors = FieldErrors::default();
    check_dates(
        &[
            ("ack_due_date", Some(body.ack_due_date)),
            ("due_date", Some(body.due_date)),
        ],
        &mut errors,
    );
    let lead = body.lead_agency_id.unwrap_or(user.agency_id);
    let lead_ok = agency::Entity::find_by_id(lead)
        .one(&state.db)
        .await?
        .is_some_and(|a| {
            a.id == user.agency_id
                || (matches!(user.role, Role::Planner | Role::Compiler)
                    && scope.contains(a.org_unit_id))
        });
    if !lead_ok {
        errors.add("lead_agency_id", "form.choose");
    }
    let kind = code::Entity::find()
        .filter(code::Column::List.eq("task_kind"))
        .filter(code::Column::Code.eq(&body.kind))
        .one(&state.db)
        .await?;
    if kind.is_none() {
        errors.add("kind", "form.choose");
    }
    if !errors.is_empty() {
        return Ok(invalid(&state, &user, &errors));
    }
    let new = NewTask {
        kind_id: kind.map_or(0, |k| k.id),
        title: body.title,
        plan_item_id: body.plan_item_id,
        lead_agency_id: lead,
        partner_agency_id: body.partner_agency_id,
        ack_due_date: body.ack_due_date,
        due_date: body.due_date,
        note: body.note,
        activity_ids: body.activity_ids,
    };
    match service::create(&state.db, &actor(&state, &user), new).await {
        Ok(t) => Ok((StatusCode::CREATED, Json(task_json(&state, &t).await?)).into_response()),
        Err(e) => respond(&state, &user, e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// acknowledged, in_progress, done or declined.
    status: String,
    version: i32,
    reason: Option<String>,
    #[serde(default)]
    outcomes: Vec<OutcomeBody>,
    loans_count: Option<i64>,
    loans_amount: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    /// Support-type code.
    support_type: String,
    persons: i64,
}

pub async fn post_api_task_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> AppResult<Response> {
    let (acc, _) = access::readable(&state, &user, id).await?;
    if !acc.partner {
        return Err(AppError::OutOfScope);
    }
    let body: StatusBody = match parse_body(&state, &user, &bytes) {
        Ok(b) => b,
        Err(refused) => return Ok(refused),
    };
    let mut errors = FieldErrors::default();
    check_counts(&[("loans_count", body.loans_count)], &mut errors);
    for (i, o) in body.outcomes.iter().enumerate() {
        check_counts(
            &[(&format!("outcomes[{i}].persons"), Some(o.persons))],
            &mut errors,
        );
    }
    let change = match body.status.as_str() {
        service::ACKNOWLEDGED => Change::Acknowledge,
        service::IN_PROGRESS => Change::Start,
        service::DECLINED => Change::Decline {
            reason: body.reason.unwrap_or_default(),
        },
        service::DONE => {
            let mut outcomes = Vec::new();
            for o in &body.outcomes {
                match code::Entity::find()
                    .filter(code::Column::List.eq("support_type"))
                    .filter(code::Column::Code.eq(&o.support_type))
                    .one(&state.db)
                    .await?
                {
                    Some(c) => outcomes.push((c.id, o.persons)),
                    None => errors.add("outcomes", "form.choose"),
                }
            }
            Change::Complete {
                outcomes,
                loans_count: body.loans_count,
                loans_amount: body.loans_amount,
                note: None,
            }
        }
        _ => {
            errors.add("status", "task.error.transition");
            Change::Acknowledge
        }
    };
    if !errors.is_empty() {
        return Ok(invalid(&state, &user, &errors));
    }
    match service::apply(&state.db, &actor(&state, &user), id, body.version, change).await {
        Ok(t) => Ok(Json(task_json(&state, &t).await?).into_response()),
        Err(e) => respond(&state, &user, e),
    }
}
