//! `/admin/agencies`: list, create, rename and (de)activate agencies.

use crate::audit;
use crate::auth::CurrentUser;
use crate::entities::{agency, org_unit};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{FieldErrors, FormValues, RawForm, non_empty};
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;

pub const KINDS: &[&str] = &[
    "people_committee",
    "office",
    "department",
    "police",
    "centre",
    "mass_organisation",
    "bank",
    "other",
];

async fn show(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    values: minijinja::Value,
    errors: FieldErrors,
) -> AppResult<Response> {
    let rows = crate::agencies::list(&state.db).await?;
    let units = org_unit::Entity::find()
        .order_by_asc(org_unit::Column::Name)
        .all(&state.db)
        .await?;
    page.render_status(
        state,
        status,
        "admin/agencies.html",
        context! { rows => rows, units => units, kinds => KINDS, values => values, errors => errors },
    )
}

pub async fn get_agencies(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    show(
        &state,
        &page,
        StatusCode::OK,
        FormValues::empty(),
        FieldErrors::default(),
    )
    .await
}

pub async fn post_agency(
    State(state): State<AppState>,
    page: Page,
    admin: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let code = non_empty(form.get("code"));
    let name = non_empty(form.get("name"));
    let short_name = non_empty(form.get("short_name"));
    let kind = form.get("kind");
    if code.is_none() {
        errors.add("code", "form.required");
    }
    if name.is_none() {
        errors.add("name", "form.required");
    }
    if !KINDS.contains(&kind) {
        errors.add("kind", "form.choose");
    }
    let unit = match form.get("org_unit_id").parse::<i64>() {
        Ok(id) => org_unit::Entity::find_by_id(id).one(&state.db).await?,
        Err(_) => None,
    };
    if unit.is_none() {
        errors.add("org_unit_id", "form.choose");
    }
    if let Some(c) = &code {
        let taken = agency::Entity::find()
            .filter(agency::Column::Code.eq(c))
            .one(&state.db)
            .await?
            .is_some();
        if taken {
            errors.add("code", "form.taken");
        }
    }
    let values = FormValues::of(&form);
    let (Some(code), Some(name), Some(unit), true) = (code, name, unit, errors.is_empty()) else {
        return show(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            values,
            errors,
        )
        .await;
    };
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let created = agency::ActiveModel {
        code: Set(code),
        org_unit_id: Set(unit.id),
        short_name: Set(short_name.unwrap_or_else(|| name.clone())),
        name: Set(name),
        kind: Set(kind.to_owned()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(admin.id),
            action: "agency:create",
            object_type: "agency",
            object_id: Some(created.id),
            org_unit_id: Some(unit.id),
            change: json!({ "code": created.code, "name": created.name }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        "/admin/agencies",
        "flash.saved",
    ))
}

/// Renames an agency or changes whether it is active.
pub async fn post_agency_update(
    State(state): State<AppState>,
    admin: CurrentUser,
    Path(agency_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let found = agency::Entity::find_by_id(agency_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let before =
        json!({ "name": found.name, "short_name": found.short_name, "active": found.active });
    let mut row: agency::ActiveModel = found.clone().into();
    if let Some(name) = non_empty(form.get("name")) {
        row.name = Set(name);
    }
    if let Some(short) = non_empty(form.get("short_name")) {
        row.short_name = Set(short);
    }
    row.active = Set(form.checked("active"));
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(admin.id),
            action: "agency:update",
            object_type: "agency",
            object_id: Some(agency_id),
            org_unit_id: Some(updated.org_unit_id),
            change: json!({ "before": before, "after": { "name": updated.name, "short_name": updated.short_name, "active": updated.active } }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        "/admin/agencies",
        "flash.saved",
    ))
}
