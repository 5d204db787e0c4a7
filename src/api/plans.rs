//! `/api/v1/plans`: list, get (with the item tree and targets), create and update the header,
//! and add items, for scripts and integrations. Same rules as the pages: the service validates,
//! `plans::access` decides who may read and change what.

use crate::api::{check_dates, invalid, list, parse_body};
use crate::auth::CurrentUser;
use crate::entities::code;
use crate::error::{AppError, AppResult};
use crate::plans::repo::{self, ItemNode};
use crate::plans::service::{self, Amendment, ItemInput, PlanError, PlanHeader, TargetInput};
use crate::plans::{access, edit};
use crate::state::AppState;
use crate::web::forms::FieldErrors;
use axum::Json;
use axum::body::Bytes;
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

/// A plan header as a JSON body. On `POST` the title, period and place are required; on
/// `PATCH` only the fields sent change. An unknown field is refused.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    title: Option<String>,
    org_unit_id: Option<i64>,
    drafting_agency_id: Option<i64>,
    period_start: Option<NaiveDate>,
    period_end: Option<NaiveDate>,
    place: Option<String>,
    preamble: Option<String>,
    legal_bases: Option<Vec<String>>,
    signer_authority: Option<String>,
    signer_title: Option<String>,
    signer_name: Option<String>,
    recipients: Option<Vec<String>>,
    /// Required when changing an issued plan.
    amendment: Option<AmendmentInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmendmentInput {
    on: NaiveDate,
    reason: String,
}

impl PlanInput {
    /// The header after the fields sent are laid over `base`; the dates sent are checked.
    fn header(
        self,
        mut base: PlanHeader,
        errors: &mut FieldErrors,
    ) -> (PlanHeader, Option<Amendment>) {
        check_dates(
            &[
                ("period_start", self.period_start),
                ("period_end", self.period_end),
                ("amendment.on", self.amendment.as_ref().map(|a| a.on)),
            ],
            errors,
        );
        let amendment = self.amendment.map(|a| Amendment {
            on: a.on,
            reason: a.reason,
        });
        if let Some(v) = self.title {
            base.title = v;
        }
        if self.drafting_agency_id.is_some() {
            base.drafting_agency_id = self.drafting_agency_id;
        }
        if let Some(v) = self.period_start {
            base.period_start = v;
        }
        if let Some(v) = self.period_end {
            base.period_end = v;
        }
        if let Some(v) = self.place {
            base.place = v;
        }
        if let Some(v) = self.preamble {
            base.preamble = v;
        }
        if let Some(v) = self.legal_bases {
            base.legal_bases = v;
        }
        if let Some(v) = self.signer_authority {
            base.signer_authority = v;
        }
        if let Some(v) = self.signer_title {
            base.signer_title = v;
        }
        if let Some(v) = self.signer_name {
            base.signer_name = v;
        }
        if let Some(v) = self.recipients {
            base.recipients = v;
        }
        (base, amendment)
    }
}

fn respond(state: &AppState, user: &CurrentUser, e: PlanError) -> AppResult<Response> {
    match edit::form_errors(e) {
        Ok(errors) => Ok(invalid(state, user, &errors)),
        Err(e) => Err(e),
    }
}

fn empty_header(org_unit_id: i64) -> PlanHeader {
    PlanHeader {
        title: String::new(),
        org_unit_id,
        drafting_agency_id: None,
        period_start: NaiveDate::default(),
        period_end: NaiveDate::default(),
        place: String::new(),
        preamble: String::new(),
        legal_bases: Vec::new(),
        signer_authority: String::new(),
        signer_title: String::new(),
        signer_name: String::new(),
        recipients: Vec::new(),
    }
}

pub async fn post_api_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    bytes: Bytes,
) -> AppResult<Response> {
    let input: PlanInput = match parse_body(&state, &user, &bytes) {
        Ok(b) => b,
        Err(refused) => return Ok(refused),
    };
    let unit = input.org_unit_id.unwrap_or(user.org_unit_id);
    let mut errors = FieldErrors::default();
    if !user.scope(&state).await?.contains(unit) {
        errors.add("org_unit_id", "error.out_of_scope");
    }
    for (field, missing) in [
        ("period_start", input.period_start.is_none()),
        ("period_end", input.period_end.is_none()),
    ] {
        if missing {
            errors.add(field, "form.required");
        }
    }
    let (header, _) = input.header(empty_header(unit), &mut errors);
    if !errors.is_empty() {
        return Ok(invalid(&state, &user, &errors));
    }
    match service::create_plan(&state.db, edit::actor(&state, &user), header).await {
        Ok(p) => Ok((StatusCode::CREATED, Json(plan_json(&p))).into_response()),
        Err(e) => respond(&state, &user, e),
    }
}

/// Changes the fields sent, and only those.
pub async fn patch_api_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
    bytes: Bytes,
) -> AppResult<Response> {
    let p = access::editable(&state, &user, plan_id).await?;
    let input: PlanInput = match parse_body(&state, &user, &bytes) {
        Ok(b) => b,
        Err(refused) => return Ok(refused),
    };
    let mut errors = FieldErrors::default();
    if input.org_unit_id.is_some_and(|u| u != p.org_unit_id) {
        errors.add("org_unit_id", "api.body.unknown_field");
    }
    let view = repo::load(&state.db, plan_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let base = PlanHeader {
        title: p.title.clone(),
        org_unit_id: p.org_unit_id,
        drafting_agency_id: p.drafting_agency_id,
        period_start: p.period_start,
        period_end: p.period_end,
        place: p.place.clone(),
        preamble: p.preamble.clone(),
        legal_bases: view.legal_bases.iter().map(|b| b.text.clone()).collect(),
        signer_authority: p.signer_authority.clone(),
        signer_title: p.signer_title.clone(),
        signer_name: p.signer_name.clone(),
        recipients: p
            .recipients
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
    };
    let (header, amendment) = input.header(base, &mut errors);
    if !errors.is_empty() {
        return Ok(invalid(&state, &user, &errors));
    }
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
    bytes: Bytes,
) -> AppResult<Response> {
    access::editable(&state, &user, plan_id).await?;
    let input: ItemPatch = match parse_body(&state, &user, &bytes) {
        Ok(b) => b,
        Err(refused) => return Ok(refused),
    };
    let mut errors = FieldErrors::default();
    check_dates(
        &[("amendment.on", input.amendment.as_ref().map(|a| a.on))],
        &mut errors,
    );
    if !errors.is_empty() {
        return Ok(invalid(&state, &user, &errors));
    }
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
    bytes: Bytes,
) -> AppResult<Response> {
    access::editable(&state, &user, plan_id).await?;
    let input: ItemPayload = match parse_body(&state, &user, &bytes) {
        Ok(b) => b,
        Err(refused) => return Ok(refused),
    };
    let mut errors = FieldErrors::default();
    check_dates(
        &[("amendment.on", input.amendment.as_ref().map(|a| a.on))],
        &mut errors,
    );
    let mut targets = Vec::new();
    for (i, t) in input.targets.iter().enumerate() {
        crate::text::free_text(
            &format!("targets[{i}].unit"),
            &t.unit,
            crate::text::SHORT_TEXT,
            &mut errors,
        );
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
            Some(_) if t.value <= 0 || t.value > crate::activities::input::MAX_COUNT => {
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
