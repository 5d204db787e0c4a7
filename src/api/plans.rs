//! `/api/v1/plans`: list, get (with the item tree and targets), create and update the header,
//! and add items, for scripts and integrations. Same rules as the pages: the service validates,
//! `plans::access` decides who may read and change what.

use crate::api::{invalid, list};
use crate::auth::CurrentUser;
use crate::entities::code;
use crate::error::{AppError, AppResult};
use crate::plans::repo::{self, ItemNode};
use crate::plans::service::{self, Amendment, ItemInput, PlanError, PlanHeader, TargetInput};
use crate::plans::{access, edit};
use crate::state::AppState;
use crate::web::forms::FieldErrors;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::{Value, json};

fn plan_json(p: &crate::entities::plan::Model) -> Value {
    json!({
        "id": p.id,
        "code": p.code,
        "number": p.number,
        "title": p.title,
        "org_unit_id": p.org_unit_id,
        "status": p.status,
        "period_start": p.period_start,
        "period_end": p.period_end,
        "issued_on": p.issued_on,
        "parent_plan_id": p.parent_plan_id,
    })
}

fn item_json(n: &ItemNode) -> Value {
    json!({
        "id": n.item.id,
        "label": n.item.label,
        "heading": n.item.heading,
        "body": n.item.body,
        "area": n.item.area_kind,
        "lead_agency_id": n.item.lead_agency_id,
        "source_item_id": n.item.source_item_id,
        "targets": n.targets.iter().map(|t| json!({
            "id": t.id,
            "indicator": t.indicator.code,
            "activity_type": t.activity_type.as_ref().map(|a| a.code.clone()),
            "value": t.value,
            "unit": t.unit,
        })).collect::<Vec<_>>(),
        "budgets": n.budgets.iter().map(|b| json!({ "funding_source": b.source.code, "amount": b.amount })).collect::<Vec<_>>(),
        "children": n.children.iter().map(item_json).collect::<Vec<_>>(),
    })
}

pub async fn get_api_plans(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Json<Value>> {
    let scope = user.scope(&state).await?;
    let units = repo::readable_units(&state.db, &scope, user.org_unit_id).await?;
    let plans = repo::list(&state.db, &units).await?;
    // A unit has a handful of plans: one page is the whole list.
    Ok(list(
        plans.iter().map(|p| plan_json(&p.plan)).collect(),
        None,
    ))
}

pub async fn get_api_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
) -> AppResult<Json<Value>> {
    access::readable(&state, &user, plan_id).await?;
    let view = repo::load(&state.db, plan_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut out = plan_json(&view.plan);
    out["legal_bases"] = json!(
        view.legal_bases
            .iter()
            .map(|b| b.text.clone())
            .collect::<Vec<_>>()
    );
    out["place"] = json!(view.plan.place);
    out["signer"] = json!({ "authority": view.plan.signer_authority, "title": view.plan.signer_title, "name": view.plan.signer_name });
    out["items"] = json!(view.items.iter().map(item_json).collect::<Vec<_>>());
    Ok(Json(out))
}

#[derive(Deserialize)]
pub struct PlanInput {
    title: String,
    org_unit_id: Option<i64>,
    drafting_agency_id: Option<i64>,
    period_start: NaiveDate,
    period_end: NaiveDate,
    place: String,
    #[serde(default)]
    preamble: String,
    #[serde(default)]
    legal_bases: Vec<String>,
    #[serde(default)]
    signer_authority: String,
    #[serde(default)]
    signer_title: String,
    #[serde(default)]
    signer_name: String,
    #[serde(default)]
    recipients: Vec<String>,
    /// Required when changing an issued plan.
    amendment: Option<AmendmentInput>,
}

#[derive(Deserialize)]
pub struct AmendmentInput {
    on: NaiveDate,
    reason: String,
}

impl PlanInput {
    fn header(self, org_unit_id: i64) -> (PlanHeader, Option<Amendment>) {
        let amendment = self.amendment.map(|a| Amendment {
            on: a.on,
            reason: a.reason,
        });
        (
            PlanHeader {
                title: self.title,
                org_unit_id,
                drafting_agency_id: self.drafting_agency_id,
                period_start: self.period_start,
                period_end: self.period_end,
                place: self.place,
                preamble: self.preamble,
                legal_bases: self.legal_bases,
                signer_authority: self.signer_authority,
                signer_title: self.signer_title,
                signer_name: self.signer_name,
                recipients: self.recipients,
            },
            amendment,
        )
    }
}

fn respond(state: &AppState, user: &CurrentUser, e: PlanError) -> AppResult<Response> {
    match edit::form_errors(e) {
        Ok(errors) => Ok(invalid(state, user, &errors)),
        Err(e) => Err(e),
    }
}

pub async fn post_api_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(input): Json<PlanInput>,
) -> AppResult<Response> {
    let unit = input.org_unit_id.unwrap_or(user.org_unit_id);
    if !user.scope(&state).await?.contains(unit) {
        let mut errors = FieldErrors::default();
        errors.add("org_unit_id", "error.out_of_scope");
        return Ok(invalid(&state, &user, &errors));
    }
    let (header, _) = input.header(unit);
    match service::create_plan(&state.db, edit::actor(&state, &user), header).await {
        Ok(p) => Ok((StatusCode::CREATED, Json(plan_json(&p))).into_response()),
        Err(e) => respond(&state, &user, e),
    }
}

pub async fn patch_api_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
    Json(input): Json<PlanInput>,
) -> AppResult<Response> {
    let p = access::editable(&state, &user, plan_id).await?;
    let (header, amendment) = input.header(p.org_unit_id);
    match service::update_header(
        &state.db,
        edit::actor(&state, &user),
        plan_id,
        header,
        amendment,
    )
    .await
    {
        Ok(p) => Ok(Json(plan_json(&p)).into_response()),
        Err(e) => respond(&state, &user, e),
    }
}

#[derive(Deserialize)]
pub struct ItemPayload {
    parent_id: Option<i64>,
    label: String,
    #[serde(default)]
    heading: String,
    body: Option<String>,
    lead_agency_id: Option<i64>,
    #[serde(default)]
    support_agency_ids: Vec<i64>,
    #[serde(default)]
    targets: Vec<TargetPayload>,
    /// What the item reports when it is a content area: `communication`, `victim_support`,
    /// `training`, `inspection`, `coordination` or `other`.
    area: Option<String>,
    amendment: Option<AmendmentInput>,
}

#[derive(Deserialize)]
pub struct TargetPayload {
    /// Indicator code, e.g. `sessions`.
    indicator: String,
    /// Activity-type code, e.g. `talk`.
    activity_type: Option<String>,
    value: i64,
    #[serde(default)]
    unit: String,
}

async fn code_id(state: &AppState, list: &str, code_value: &str) -> AppResult<Option<i64>> {
    Ok(code::Entity::find()
        .filter(code::Column::List.eq(list))
        .filter(code::Column::Code.eq(code_value))
        .one(&state.db)
        .await?
        .map(|c| c.id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    /// `null` unmarks the item; a kind marks it as a content area.
    area: Option<String>,
    amendment: Option<AmendmentInput>,
}

/// Changes what an item reports as a content area (the only field this PATCH changes).
pub async fn patch_api_item(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((plan_id, item_id)): Path<(i64, i64)>,
    Json(input): Json<ItemPatch>,
) -> AppResult<Response> {
    access::editable(&state, &user, plan_id).await?;
    let amendment = input.amendment.map(|a| Amendment {
        on: a.on,
        reason: a.reason,
    });
    let actor = edit::actor(&state, &user);
    if let Err(e) =
        service::set_item_area(&state.db, actor, plan_id, item_id, input.area, amendment).await
    {
        return respond(&state, &user, e);
    }
    let view = repo::load(&state.db, plan_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let node = view.find(item_id).ok_or(AppError::NotFound)?;
    Ok(Json(item_json(node)).into_response())
}

/// Adds an item with its targets. Targets are checked before anything is written.
pub async fn post_api_item(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
    Json(input): Json<ItemPayload>,
) -> AppResult<Response> {
    access::editable(&state, &user, plan_id).await?;
    let mut errors = FieldErrors::default();
    let mut targets = Vec::new();
    for (i, t) in input.targets.iter().enumerate() {
        let indicator = code_id(&state, "indicator", &t.indicator).await?;
        let activity_type = match &t.activity_type {
            Some(a) => match code_id(&state, "activity_type", a).await? {
                Some(id) => Some(id),
                None => {
                    errors.add(&format!("targets[{i}].activity_type"), "form.choose");
                    None
                }
            },
            None => None,
        };
        match indicator {
            None => errors.add(&format!("targets[{i}].indicator"), "form.choose"),
            Some(_) if t.value <= 0 => {
                errors.add(&format!("targets[{i}].value"), "plan.error.target_value")
            }
            Some(indicator_id) => targets.push(TargetInput {
                indicator_id,
                activity_type_id: activity_type,
                value: t.value,
                unit: t.unit.clone(),
            }),
        }
    }
    if !errors.is_empty() {
        return Ok(invalid(&state, &user, &errors));
    }
    let amendment = input.amendment.map(|a| Amendment {
        on: a.on,
        reason: a.reason,
    });
    let item = ItemInput {
        label: input.label,
        heading: input.heading,
        body: input.body,
        lead_agency_id: input.lead_agency_id,
        support_agency_ids: input.support_agency_ids,
        area_kind: input.area,
    };
    let actor = edit::actor(&state, &user);
    let created = match service::add_item(
        &state.db,
        actor,
        plan_id,
        input.parent_id,
        item,
        amendment.clone(),
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return respond(&state, &user, e),
    };
    for t in targets {
        if let Err(e) =
            service::add_target(&state.db, actor, plan_id, created.id, t, amendment.clone()).await
        {
            return respond(&state, &user, e);
        }
    }
    let view = repo::load(&state.db, plan_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let node = view.find(created.id).ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(item_json(node))).into_response())
}
