//! Writing plans: the header, the item tree, targets and budgets. Each handler checks the role
//! (router) and the plan's scope and status (`access`), parses its form (`forms`) and calls the
//! service; a form with errors is shown again with a 422 and what was typed.

use crate::auth::CurrentUser;
use crate::entities::{plan, plan_item, plan_item_agency};
use crate::error::{AppError, AppResult};
use crate::plans::service::{self, Actor, Move, PlanError};
use crate::plans::{access, forms, handlers};
use crate::state::AppState;
use crate::web::forms::{FieldErrors, FormValues, RawForm};
use crate::web::query::Query;
use crate::web::search::{self, Choice, Picker};
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn actor(state: &AppState, user: &CurrentUser) -> Actor {
    Actor {
        user_id: user.id,
        now: state.clock.now(),
    }
}

/// Field errors for a form, or the error page for anything else.
pub fn form_errors(e: PlanError) -> AppResult<FieldErrors> {
    match e {
        PlanError::Invalid(errors) => Ok(errors),
        PlanError::Closed => Err(AppError::BadRequest("plan.error.closed")),
        PlanError::NotFound => Err(AppError::NotFound),
        PlanError::Db(e) => Err(e.into()),
    }
}

async fn header_form(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    status: StatusCode,
    existing: Option<&plan::Model>,
    values: Value,
    errors: FieldErrors,
) -> AppResult<Response> {
    let (units, agencies) = header_choices(state, user, existing).await?;
    let unit = Picker::new(units, &search::held(&values, "org_unit_id"));
    let agency = Picker::new(agencies, &search::held(&values, "drafting_agency_id"));
    page.render_status(
        state,
        status,
        "plans/form.html",
        context! { plan => existing, unit => unit, agency => agency, values => values, errors => errors, today => state.clock.today() },
    )
}

/// The choices of the plan header: the current units of the user's scope (the issuing unit of
/// a new plan) and the active agencies the user's forms offer (the drafting agency), with the
/// plan's own drafting agency kept if it has been deactivated since.
async fn header_choices(
    state: &AppState,
    user: &CurrentUser,
    existing: Option<&plan::Model>,
) -> AppResult<(Vec<Choice>, Vec<Choice>)> {
    let scope = user.scope(state).await?;
    let units = crate::org_units::listing::unit_choices(
        &state.db,
        Some(&scope),
        state.clock.today(),
        |r| r.current,
    )
    .await?;
    let mut agencies = crate::agencies::choices(crate::agencies::for_user(state, user).await?);
    if let Some(id) = existing.and_then(|p| p.drafting_agency_id)
        && !agencies.iter().any(|c| c.id == id)
        && let Some(a) = crate::entities::agency::Entity::find_by_id(id)
            .one(&state.db)
            .await?
    {
        agencies.push(Choice::new(a.id, a.name.clone(), &a.code));
    }
    Ok((units, agencies))
}

/// The plan form with its pickers' typed words replaced by the ids they name (the issuing
/// unit only for a new plan), each word that names none or several marked at its field.
async fn resolve_header(
    state: &AppState,
    user: &CurrentUser,
    existing: Option<&plan::Model>,
    form: &RawForm,
    errors: &mut FieldErrors,
) -> AppResult<RawForm> {
    let (units, agencies) = header_choices(state, user, existing).await?;
    let mut resolved = RawForm(form.0.clone());
    if existing.is_none() {
        let unit = search::resolve_field(
            &units,
            form.get("org_unit_id"),
            "org_unit_id",
            false,
            errors,
        );
        resolved = resolved.with(
            "org_unit_id",
            &unit.map(|u| u.to_string()).unwrap_or_default(),
        );
    }
    let agency = search::resolve_field(
        &agencies,
        form.get("drafting_agency_id"),
        "drafting_agency_id",
        true,
        errors,
    );
    Ok(resolved.with(
        "drafting_agency_id",
        &agency.map(|a| a.to_string()).unwrap_or_default(),
    ))
}

fn header_values(p: &plan::Model, bases: &[String]) -> Value {
    let mut v = BTreeMap::new();
    let fields = [
        ("title", p.title.clone()),
        ("org_unit_id", p.org_unit_id.to_string()),
        (
            "drafting_agency_id",
            p.drafting_agency_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
        ),
        ("period_start", p.period_start.to_string()),
        ("period_end", p.period_end.to_string()),
        ("place", p.place.clone()),
        ("preamble", p.preamble.clone()),
        ("legal_bases", bases.join("\n")),
        ("signer_authority", p.signer_authority.clone()),
        ("signer_title", p.signer_title.clone()),
        ("signer_name", p.signer_name.clone()),
        ("recipients", p.recipients.clone()),
    ];
    for (k, val) in fields {
        v.insert(k.to_owned(), val);
    }
    Value::from_object(FormValues(v))
}

pub async fn get_new_plan(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
) -> AppResult<Response> {
    let mut v = BTreeMap::new();
    let year = chrono::Datelike::year(&state.clock.today()) + 1;
    v.insert("period_start".to_owned(), format!("{year}-01-01"));
    v.insert("period_end".to_owned(), format!("{year}-12-31"));
    v.insert("org_unit_id".to_owned(), user.org_unit_id.to_string());
    v.insert("signer_authority".to_owned(), "KT. CHỦ TỊCH".to_owned());
    v.insert("signer_title".to_owned(), "PHÓ CHỦ TỊCH".to_owned());
    let values = Value::from_object(FormValues(v));
    header_form(
        &state,
        &page,
        &user,
        StatusCode::OK,
        None,
        values,
        FieldErrors::default(),
    )
    .await
}

pub async fn post_plan(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let resolved = resolve_header(&state, &user, None, &form, &mut errors).await?;
    let header = forms::header(&resolved, None, &mut errors);
    if let Some(h) = &header
        && !user.scope(&state).await?.contains(h.org_unit_id)
    {
        errors.add("org_unit_id", "form.choose");
    }
    let result = match header {
        Some(h) if errors.is_empty() => {
            service::create_plan(&state.db, actor(&state, &user), h).await
        }
        _ => Err(PlanError::Invalid(errors)),
    };
    match result {
        Ok(p) => Ok(flash::redirect(
            &state.config,
            &format!("/plans/{}", p.id),
            "flash.saved",
        )),
        Err(e) => {
            let errors = form_errors(e)?;
            header_form(
                &state,
                &page,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                FormValues::of(&form),
                errors,
            )
            .await
        }
    }
}

pub async fn get_edit_plan(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
) -> AppResult<Response> {
    let p = access::editable(&state, &user, plan_id).await?;
    let view = crate::plans::repo::load(&state.db, plan_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let bases: Vec<String> = view.legal_bases.iter().map(|b| b.text.clone()).collect();
    header_form(
        &state,
        &page,
        &user,
        StatusCode::OK,
        Some(&p),
        header_values(&p, &bases),
        FieldErrors::default(),
    )
    .await
}

pub async fn post_plan_update(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let p = access::editable(&state, &user, plan_id).await?;
    let mut errors = FieldErrors::default();
    let resolved = resolve_header(&state, &user, Some(&p), &form, &mut errors).await?;
    // The issuing unit of an existing plan does not change.
    let header = forms::header(&resolved, Some(p.org_unit_id), &mut errors);
    let amendment = forms::amendment(&form, state.clock.today());
    let result = match header {
        Some(h) if errors.is_empty() => {
            service::update_header(&state.db, actor(&state, &user), plan_id, h, amendment).await
        }
        _ => Err(PlanError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(flash::redirect(
            &state.config,
            &format!("/plans/{plan_id}"),
            "flash.saved",
        )),
        Err(e) => {
            let errors = form_errors(e)?;
            header_form(
                &state,
                &page,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&p),
                FormValues::of(&form),
                errors,
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ParentQuery {
    #[serde(default)]
    parent: Option<i64>,
}

/// The item page: the item's own form, and for an existing item its targets and budget. What
/// the user typed (`typed`, after a failed post) is laid over the stored values.
#[allow(clippy::too_many_arguments)]
async fn item_form(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    p: &plan::Model,
    item: Option<&plan_item::Model>,
    parent: Option<i64>,
    typed: Option<&RawForm>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let agencies = item_agencies(state, p).await?;
    let view = crate::plans::repo::load(&state.db, p.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let node = item.and_then(|i| view.find(i.id));
    let mut fields = match item {
        Some(i) => item_fields(i),
        None => BTreeMap::from([("label".to_owned(), "-".to_owned())]),
    };
    if let Some(n) = node {
        for b in &n.budgets {
            fields.insert(format!("budget_{}", b.source.id), b.amount.to_string());
        }
    }
    if let Some(form) = typed {
        fields.extend(form.values());
    }
    let values = Value::from_object(FormValues(fields));
    let indicators = crate::codes::list(&state.db, "indicator").await?;
    let activity_types = crate::codes::list(&state.db, "activity_type").await?;
    let sources = crate::codes::list_on(&state.db, "funding_source", p.period_start).await?;
    let supports: Vec<i64> = match item {
        Some(i) => plan_item_agency::Entity::find()
            .filter(plan_item_agency::Column::PlanItemId.eq(i.id))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|s| s.agency_id)
            .collect(),
        None => Vec::new(),
    };
    let choices = lead_choices(&agencies, item);
    let lead = Picker::new(choices.clone(), &search::held(&values, "lead_agency_id"));
    // Past sixty agencies the cooperating ones are the item's, kept or unticked, and one more
    // is added through a search box.
    let support_add = Picker::new(choices, &search::held(&values, "support_add"));
    let agencies: Vec<crate::agencies::AgencyRow> = if support_add.select {
        agencies
    } else {
        agencies
            .into_iter()
            .filter(|a| supports.contains(&a.agency.id))
            .collect()
    };
    page.render_status(
        state,
        status,
        "plans/item_form.html",
        context! {
            plan => p, item => item, node => node, parent => parent, agencies => agencies,
            lead => lead, support_add => support_add,
            supports => supports, indicators => indicators, activity_types => activity_types,
            sources => sources, values => values, errors => errors, today => state.clock.today(),
            area_kinds => crate::plans::areas::AreaKind::ALL.map(|k| k.code()),
        },
    )
}

/// The agencies a plan item can name: those of the plan's unit, of the units below it and of
/// the units above it, of the units that exist during the plan's period (not the communes a
/// merge closed before).
async fn item_agencies(
    state: &AppState,
    p: &plan::Model,
) -> AppResult<Vec<crate::agencies::AgencyRow>> {
    let scope = crate::org_units::scope::Scope::of_unit(&state.db, p.org_unit_id).await?;
    let units = crate::plans::repo::readable_units(&state.db, &scope, p.org_unit_id).await?;
    let units: Vec<i64> = crate::entities::org_unit::Entity::find()
        .filter(crate::entities::org_unit::Column::Id.is_in(units))
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|u| {
            u.valid_to.is_none_or(|t| t >= p.period_start)
                && u.valid_from.is_none_or(|f| f <= p.period_end)
        })
        .map(|u| u.id)
        .collect();
    Ok(crate::agencies::list_in(&state.db, Some(&units)).await?)
}

/// The agencies an item's pickers offer: the active ones, and the item's own lead even if it
/// has been deactivated since; labelled as `/agencies/search.json` labels them, so that a
/// suggestion chosen there is read back here.
fn lead_choices(
    agencies: &[crate::agencies::AgencyRow],
    item: Option<&plan_item::Model>,
) -> Vec<Choice> {
    let kept = item.and_then(|i| i.lead_agency_id);
    agencies
        .iter()
        .filter(|a| a.agency.active || Some(a.agency.id) == kept)
        .map(|a| {
            Choice::new(
                a.agency.id,
                format!("{} — {}", a.agency.name, a.unit_name),
                &a.agency.code,
            )
        })
        .collect()
}

/// The item form with its lead picker's words replaced by the id they name, and the agency
/// typed in the "add a cooperating agency" box added to the ticked ones.
async fn resolve_item(
    state: &AppState,
    p: &plan::Model,
    item: Option<&plan_item::Model>,
    form: &RawForm,
    errors: &mut FieldErrors,
) -> AppResult<RawForm> {
    let choices = lead_choices(&item_agencies(state, p).await?, item);
    let lead = search::resolve_field(
        &choices,
        form.get("lead_agency_id"),
        "lead_agency_id",
        true,
        errors,
    );
    let mut resolved = form.with(
        "lead_agency_id",
        &lead.map(|a| a.to_string()).unwrap_or_default(),
    );
    if let Some(added) = search::resolve_field(
        &choices,
        form.get("support_add"),
        "support_add",
        true,
        errors,
    ) {
        resolved.0.push(("support".to_owned(), added.to_string()));
    }
    Ok(resolved)
}

fn item_fields(i: &plan_item::Model) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    v.insert("label".to_owned(), i.label.clone());
    v.insert("heading".to_owned(), i.heading.clone());
    v.insert("body".to_owned(), i.body.clone().unwrap_or_default());
    v.insert(
        "lead_agency_id".to_owned(),
        i.lead_agency_id.map(|a| a.to_string()).unwrap_or_default(),
    );
    v.insert(
        "area_kind".to_owned(),
        i.area_kind.clone().unwrap_or_default(),
    );
    v
}

pub async fn get_new_item(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
    Query(q): Query<ParentQuery>,
) -> AppResult<Response> {
    let p = access::editable(&state, &user, plan_id).await?;
    item_form(
        &state,
        &page,
        StatusCode::OK,
        &p,
        None,
        q.parent,
        None,
        FieldErrors::default(),
    )
    .await
}

pub async fn post_item(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(plan_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let p = access::editable(&state, &user, plan_id).await?;
    let parent = form.get("parent_id").parse::<i64>().ok();
    let mut errors = FieldErrors::default();
    let resolved = resolve_item(&state, &p, None, &form, &mut errors).await?;
    let input = forms::item(&resolved, &mut errors);
    let amendment = forms::amendment(&form, state.clock.today());
    let result = if errors.is_empty() {
        service::add_item(
            &state.db,
            actor(&state, &user),
            plan_id,
            parent,
            input,
            amendment,
        )
        .await
    } else {
        Err(PlanError::Invalid(errors))
    };
    match result {
        Ok(item) => Ok(flash::redirect(
            &state.config,
            &format!("/plans/{plan_id}?edit=1#item-{}", item.id),
            "flash.saved",
        )),
        Err(e) => {
            let errors = form_errors(e)?;
            item_form(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &p,
                None,
                parent,
                Some(&form),
                errors,
            )
            .await
        }
    }
}

async fn item_in_plan(state: &AppState, plan_id: i64, item_id: i64) -> AppResult<plan_item::Model> {
    plan_item::Entity::find_by_id(item_id)
        .one(&state.db)
        .await?
        .filter(|i| i.plan_id == plan_id)
        .ok_or(AppError::NotFound)
}

pub async fn get_edit_item(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path((plan_id, item_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let p = access::editable(&state, &user, plan_id).await?;
    let item = item_in_plan(&state, plan_id, item_id).await?;
    item_form(
        &state,
        &page,
        StatusCode::OK,
        &p,
        Some(&item),
        item.parent_id,
        None,
        FieldErrors::default(),
    )
    .await
}

/// Runs a change to an item and answers: back to the item page, or the page again with errors.
async fn item_change(
    state: &AppState,
    page: &Page,
    p: &plan::Model,
    item: &plan_item::Model,
    form: &RawForm,
    result: Result<(), PlanError>,
) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(flash::redirect(
            &state.config,
            &format!("/plans/{}/items/{}/edit", p.id, item.id),
            "flash.saved",
        )),
        Err(e) => {
            let errors = form_errors(e)?;
            item_form(
                state,
                page,
                StatusCode::UNPROCESSABLE_ENTITY,
                p,
                Some(item),
                item.parent_id,
                Some(form),
                errors,
            )
            .await
        }
    }
}

pub async fn post_item_update(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path((plan_id, item_id)): Path<(i64, i64)>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let p = access::editable(&state, &user, plan_id).await?;
    let item = item_in_plan(&state, plan_id, item_id).await?;
    let mut errors = FieldErrors::default();
    let resolved = resolve_item(&state, &p, Some(&item), &form, &mut errors).await?;
    let input = forms::item(&resolved, &mut errors);
    let amendment = forms::amendment(&form, state.clock.today());
    let result = if errors.is_empty() {
        service::update_item(
            &state.db,
            actor(&state, &user),
            plan_id,
            item_id,
            input,
            amendment,
        )
        .await
        .map(|_| ())
    } else {
        Err(PlanError::Invalid(errors))
    };
    item_change(&state, &page, &p, &item, &form, result).await
}

pub async fn post_item_move(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path((plan_id, item_id)): Path<(i64, i64)>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let p = access::editable(&state, &user, plan_id).await?;
    item_in_plan(&state, plan_id, item_id).await?;
    let direction = match form.get("direction") {
        "up" => Move::Up,
        "down" => Move::Down,
        "indent" => Move::Indent,
        "outdent" => Move::Outdent,
        _ => return Err(AppError::BadRequest("error.bad_request")),
    };
    let amendment = forms::amendment(&form, state.clock.today());
    let result = service::move_item(
        &state.db,
        actor(&state, &user),
        plan_id,
        item_id,
        direction,
        amendment,
    )
    .await;
    handlers::after_plan_action(&state, &page, &user, &p, result, |_| {
        (
            format!("/plans/{plan_id}?edit=1#item-{item_id}"),
            "flash.saved",
        )
    })
    .await
}

pub async fn post_item_delete(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path((plan_id, item_id)): Path<(i64, i64)>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let p = access::editable(&state, &user, plan_id).await?;
    item_in_plan(&state, plan_id, item_id).await?;
    let amendment = forms::amendment(&form, state.clock.today());
    let result =
        service::delete_item(&state.db, actor(&state, &user), plan_id, item_id, amendment).await;
    handlers::after_plan_action(&state, &page, &user, &p, result, |_| {
        (format!("/plans/{plan_id}"), "flash.deleted")
    })
    .await
}

pub async fn post_target(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path((plan_id, item_id)): Path<(i64, i64)>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let p = access::editable(&state, &user, plan_id).await?;
    let item = item_in_plan(&state, plan_id, item_id).await?;
    let mut errors = FieldErrors::default();
    let input = forms::target(&form, &mut errors);
    let amendment = forms::amendment(&form, state.clock.today());
    let result = match input {
        Some(t) if errors.is_empty() => {
            service::add_target(
                &state.db,
                actor(&state, &user),
                plan_id,
                item_id,
                t,
                amendment,
            )
            .await
        }
        _ => Err(PlanError::Invalid(errors)),
    };
    item_change(&state, &page, &p, &item, &form, result).await
}

pub async fn post_target_delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((plan_id, target_id)): Path<(i64, i64)>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    access::editable(&state, &user, plan_id).await?;
    let amendment = forms::amendment(&form, state.clock.today());
    service::delete_target(
        &state.db,
        actor(&state, &user),
        plan_id,
        target_id,
        amendment,
    )
    .await
    .map_err(|e| match form_errors(e) {
        Ok(_) => AppError::BadRequest("plan.error.amendment_reason"),
        Err(e) => e,
    })?;
    let back = form.get("back");
    let to = if back.starts_with(&format!("/plans/{plan_id}/")) {
        back.to_owned()
    } else {
        format!("/plans/{plan_id}")
    };
    Ok(flash::redirect(&state.config, &to, "flash.deleted"))
}

pub async fn post_budgets(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path((plan_id, item_id)): Path<(i64, i64)>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let p = access::editable(&state, &user, plan_id).await?;
    let item = item_in_plan(&state, plan_id, item_id).await?;
    let mut errors = FieldErrors::default();
    let amounts = forms::budgets(&form, &mut errors);
    let amendment = forms::amendment(&form, state.clock.today());
    let result = if errors.is_empty() {
        service::set_budgets(
            &state.db,
            actor(&state, &user),
            plan_id,
            item_id,
            amounts,
            amendment,
        )
        .await
    } else {
        Err(PlanError::Invalid(errors))
    };
    item_change(&state, &page, &p, &item, &form, result).await
}
