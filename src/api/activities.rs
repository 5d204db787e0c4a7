//! `/api/v1/activities`: list (same filters as the page, keyset cursor), get, create, update
//! (the version in `If-Match` or in the body) and change status. Same permissions and scope as
//! the pages; the same rules, in `activities::input` and `activities::service`.

use crate::activities::access;
use crate::activities::edit::Writer;
use crate::activities::input::parse_time;
use crate::activities::input::{ActivityInput, Figures};
use crate::activities::repo::{self, Filter};
use crate::activities::service::{self, ActivityError};
use crate::api::{check_counts, check_dates, invalid, list, parse_body};
use crate::auth::CurrentUser;
use crate::entities::{activity, activity_target_group, code};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{FieldErrors, non_empty};
use crate::web::query::Query;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Page size of the API list (at most).
const MAX_LIMIT: u64 = 200;

async fn codes_by_id(state: &AppState) -> AppResult<HashMap<i64, code::Model>> {
    Ok(code::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect())
}

fn activity_json(a: &activity::Model, codes: &HashMap<i64, code::Model>, groups: &[i64]) -> Value {
    json!({
        "id": a.id,
        "plan_item_id": a.plan_item_id,
        "org_unit_id": a.org_unit_id,
        "agency_id": a.agency_id,
        "type": codes.get(&a.activity_type_id).map(|c| c.code.clone()),
        "title": a.title,
        "description": a.description,
        "place": a.place,
        "status": a.status,
        "start_date": a.start_date,
        "end_date": a.end_date,
        "start_time": a.start_time,
        "end_time": a.end_time,
        "held_on": a.held_on,
        "cancel_reason": a.cancel_reason,
        "target_groups": groups.iter().filter_map(|g| codes.get(g).map(|c| c.code.clone())).collect::<Vec<_>>(),
        "languages": a.languages.split(',').filter(|l| !l.is_empty()).collect::<Vec<_>>(),
        "ethnic_minority_outreach": a.ethnic_minority_outreach,
        "border_outreach": a.border_outreach,
        "planned_participants": a.planned_participants,
        "participants_total": a.participants,
        "participants_women": a.participants_women,
        "participants_ethnic_minority": a.participants_ethnic_minority,
        "participants_children": a.participants_children,
        "broadcasts": a.broadcasts,
        "broadcast_minutes": a.broadcast_minutes,
        "notes": a.notes,
        "series_id": a.series_id,
        "version": a.version,
        "updated_at": a.updated_at,
    })
}

async fn groups_of(state: &AppState, ids: &[i64]) -> AppResult<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for g in activity_target_group::Entity::find()
        .filter(activity_target_group::Column::ActivityId.is_in(ids.iter().copied()))
        .all(&state.db)
        .await?
    {
        out.entry(g.activity_id)
            .or_default()
            .push(g.target_group_id);
    }
    Ok(out)
}

async fn one_json(state: &AppState, a: &activity::Model) -> AppResult<Value> {
    let codes = codes_by_id(state).await?;
    let groups = groups_of(state, &[a.id]).await?;
    Ok(activity_json(
        a,
        &codes,
        groups.get(&a.id).map_or(&[], Vec::as_slice),
    ))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(flatten)]
    filter: Filter,
    #[serde(default)]
    limit: Option<u64>,
}

pub async fn get_api_activities(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(mut q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let scope = user.scope(&state).await?;
    q.filter.resolve(&state.db, &scope).await?;
    let limit = q.limit.unwrap_or(repo::PAGE_SIZE).clamp(1, MAX_LIMIT);
    let (rows, next) = repo::list(&state.db, &scope, &q.filter, limit).await?;
    let codes = codes_by_id(&state).await?;
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let groups = groups_of(&state, &ids).await?;
    Ok(list(
        rows.iter()
            .map(|a| activity_json(a, &codes, groups.get(&a.id).map_or(&[], Vec::as_slice)))
            .collect(),
        next,
    ))
}

pub async fn get_api_activity(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let (a, _) = access::readable(&state, &user, id).await?;
    Ok(Json(one_json(&state, &a).await?))
}

/// An activity as a JSON body. Codes (type, target groups) are given by their code. On `PUT`
/// only the fields sent change (an empty text clears it); an unknown field is refused.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ActivityBody {
    #[serde(rename = "type")]
    activity_type: Option<String>,
    title: Option<String>,
    description: Option<String>,
    plan_item_id: Option<i64>,
    org_unit_id: Option<i64>,
    agency_id: Option<i64>,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    start_time: Option<String>,
    end_time: Option<String>,
    place: Option<String>,
    target_groups: Option<Vec<String>>,
    languages: Option<Vec<String>>,
    ethnic_minority_outreach: Option<bool>,
    border_outreach: Option<bool>,
    planned_participants: Option<i64>,
    planned_women: Option<i64>,
    planned_ethnic_minority: Option<i64>,
    planned_children: Option<i64>,
    notes: Option<String>,
    version: Option<i32>,
}

async fn code_id(state: &AppState, list: &str, value: &str) -> AppResult<Option<i64>> {
    Ok(code::Entity::find()
        .filter(code::Column::List.eq(list))
        .filter(code::Column::Code.eq(value))
        .one(&state.db)
        .await?
        .map(|c| c.id))
}

/// Turns a body into an input, over `base` (the stored activity, for an update).
async fn to_input(
    state: &AppState,
    user: &CurrentUser,
    body: ActivityBody,
    base: Option<ActivityInput>,
    errors: &mut FieldErrors,
) -> AppResult<ActivityInput> {
    let mut i = base.unwrap_or_else(|| ActivityInput {
        org_unit_id: user.org_unit_id,
        agency_id: user.agency_id,
        ..Default::default()
    });
    if let Some(t) = body.activity_type {
        match code_id(state, "activity_type", &t).await? {
            Some(id) => i.activity_type_id = id,
            None => errors.add("type", "form.choose"),
        }
    } else if i.activity_type_id == 0 {
        errors.add("type", "form.required");
    }
    if let Some(t) = body.title {
        i.title = t.trim().to_owned();
    }
    if let Some(d) = body.description {
        i.description = non_empty(&d);
    }
    if let Some(p) = body.plan_item_id {
        i.plan_item_id = p;
    } else if i.plan_item_id == 0 {
        errors.add("plan_item_id", "form.required");
    }
    i.org_unit_id = body.org_unit_id.unwrap_or(i.org_unit_id);
    i.agency_id = body.agency_id.unwrap_or(i.agency_id);
    match (body.start_date, i.start_date == NaiveDate::default()) {
        (Some(d), _) => i.start_date = d,
        (None, true) => errors.add("start_date", "form.required"),
        (None, false) => {}
    }
    if let Some(e) = body.end_date {
        i.end_date = e;
    } else if i.end_date < i.start_date {
        i.end_date = i.start_date;
    }
    // The same reading of a time as the form: 00:00 to 23:59, empty clears it.
    if let Some(t) = body.start_time {
        i.start_time = parse_time(&t, "start_time", errors);
    }
    if let Some(t) = body.end_time {
        i.end_time = parse_time(&t, "end_time", errors);
    }
    if let Some(p) = body.place {
        i.place = non_empty(&p);
    }
    if let Some(groups) = body.target_groups {
        i.target_groups.clear();
        for g in &groups {
            match code_id(state, "target_group", g).await? {
                Some(id) => i.target_groups.push(id),
                None => errors.add("target_groups", "form.choose"),
            }
        }
    }
    if let Some(languages) = body.languages {
        i.languages = languages;
    }
    i.ethnic_minority_outreach = body
        .ethnic_minority_outreach
        .unwrap_or(i.ethnic_minority_outreach);
    i.border_outreach = body.border_outreach.unwrap_or(i.border_outreach);
    let planned = Figures {
        participants: body.planned_participants.or(i.planned.participants),
        women: body.planned_women.or(i.planned.women),
        ethnic_minority: body.planned_ethnic_minority.or(i.planned.ethnic_minority),
        children: body.planned_children.or(i.planned.children),
        ..i.planned.clone()
    };
    check_counts(
        &[
            ("planned_participants", planned.participants),
            ("planned_women", planned.women),
            ("planned_ethnic_minority", planned.ethnic_minority),
            ("planned_children", planned.children),
        ],
        errors,
    );
    i.planned = planned;
    if let Some(n) = body.notes {
        i.notes = non_empty(&n);
    }
    Ok(i)
}

fn respond_error(state: &AppState, user: &CurrentUser, e: ActivityError) -> AppResult<Response> {
    match e {
        ActivityError::Invalid(errors) => Ok(invalid(state, user, &errors)),
        ActivityError::Conflict(current) => Ok((
            StatusCode::CONFLICT,
            Json(json!({ "error": {
                "message": state.i18n.t(user.locale, "error.conflict"),
                "fields": {},
                "current_version": current.version,
            }})),
        )
            .into_response()),
        ActivityError::OutOfScope => Err(AppError::OutOfScope),
        ActivityError::Db(e) => Err(e.into()),
    }
}

pub async fn post_api_activity(
    State(state): State<AppState>,
    user: CurrentUser,
    bytes: Bytes,
) -> AppResult<Response> {
    let body: ActivityBody = match parse_body(&state, &user, &bytes) {
        Ok(b) => b,
        Err(refused) => return Ok(refused),
    };
    let w = Writer::of(&state, &user).await?;
    let mut errors = FieldErrors::default();
    let input = to_input(&state, &user, body, None, &mut errors).await?;
    if !errors.is_empty() {
        return Ok(invalid(&state, &user, &errors));
    }
    match service::create(&state.db, &w.ctx(&state, &user), input, false, None, None).await {
        Ok(a) => Ok((StatusCode::CREATED, Json(one_json(&state, &a).await?)).into_response()),
        Err(e) => respond_error(&state, &user, e),
    }
}

/// The version a client saw: `If-Match: "3"` (or `3`), or `version` in the body.
fn expected_version(headers: &HeaderMap, body_version: Option<i32>) -> Option<i32> {
    headers
        .get(axum::http::header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .parse()
                .ok()
        })
        .or(body_version)
}

pub async fn put_api_activity(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    bytes: Bytes,
) -> AppResult<Response> {
    let (a, _) = access::writable(&state, &user, id).await?;
    let body: ActivityBody = match parse_body(&state, &user, &bytes) {
        Ok(b) => b,
        Err(refused) => return Ok(refused),
    };
    let Some(version) = expected_version(&headers, body.version) else {
        let mut errors = FieldErrors::default();
        errors.add("version", "api.error.version_required");
        let mut response = invalid(&state, &user, &errors);
        *response.status_mut() = StatusCode::PRECONDITION_REQUIRED;
        return Ok(response);
    };
    let w = Writer::of(&state, &user).await?;
    let base = service::current_input(&state.db, &a).await?;
    let mut errors = FieldErrors::default();
    let input = to_input(&state, &user, body, Some(base), &mut errors).await?;
    if !errors.is_empty() {
        return Ok(invalid(&state, &user, &errors));
    }
    match service::update(&state.db, &w.ctx(&state, &user), &a, version, input).await {
        Ok(saved) => Ok(Json(one_json(&state, &saved).await?).into_response()),
        Err(e) => respond_error(&state, &user, e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: String,
    version: Option<i32>,
    held_on: Option<NaiveDate>,
    participants_total: Option<i64>,
    participants_women: Option<i64>,
    participants_ethnic_minority: Option<i64>,
    participants_children: Option<i64>,
    broadcasts: Option<i64>,
    broadcast_minutes: Option<i64>,
    new_start: Option<NaiveDate>,
    new_end: Option<NaiveDate>,
    reason: Option<String>,
}

pub async fn post_api_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    bytes: Bytes,
) -> AppResult<Response> {
    let (a, _) = access::writable(&state, &user, id).await?;
    let body: StatusBody = match parse_body(&state, &user, &bytes) {
        Ok(b) => b,
        Err(refused) => return Ok(refused),
    };
    let mut errors = FieldErrors::default();
    check_counts(
        &[
            ("participants_total", body.participants_total),
            ("participants_women", body.participants_women),
            (
                "participants_ethnic_minority",
                body.participants_ethnic_minority,
            ),
            ("participants_children", body.participants_children),
            ("broadcasts", body.broadcasts),
            ("broadcast_minutes", body.broadcast_minutes),
        ],
        &mut errors,
    );
    check_dates(
        &[
            ("held_on", body.held_on),
            ("new_start", body.new_start),
            ("new_end", body.new_end),
        ],
        &mut errors,
    );
    if !errors.is_empty() {
        return Ok(invalid(&state, &user, &errors));
    }
    let version = expected_version(&headers, body.version).unwrap_or(a.version);
    let w = Writer::of(&state, &user).await?;
    let ctx = w.ctx(&state, &user);
    let reason = body.reason.clone().unwrap_or_default();
    let result = match body.status.as_str() {
        service::HELD => {
            let mut input = service::current_input(&state.db, &a).await?;
            input.held_on = body.held_on;
            input.actual = Figures {
                participants: body.participants_total,
                women: body.participants_women,
                ethnic_minority: body.participants_ethnic_minority,
                children: body.participants_children,
                broadcasts: body.broadcasts,
                broadcast_minutes: body.broadcast_minutes,
            };
            service::log_held(&state.db, &ctx, &a, version, input).await
        }
        service::POSTPONED => match body.new_start {
            Some(s) => {
                service::postpone(
                    &state.db,
                    &ctx,
                    &a,
                    version,
                    s,
                    body.new_end.unwrap_or(s),
                    &reason,
                )
                .await
            }
            None => {
                let mut errors = FieldErrors::default();
                errors.add("new_start", "form.required");
                Err(ActivityError::Invalid(errors))
            }
        },
        service::CANCELLED => service::cancel(&state.db, &ctx, &a, version, &reason).await,
        _ => {
            let mut errors = FieldErrors::default();
            errors.add("status", "activity.error.transition");
            Err(ActivityError::Invalid(errors))
        }
    };
    match result {
        Ok(saved) => Ok(Json(one_json(&state, &saved).await?).into_response()),
        Err(e) => respond_error(&state, &user, e),
    }
}
