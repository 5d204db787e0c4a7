//! `/admin/agencies`: list, create, rename and (de)activate agencies.

use crate::audit;
use crate::auth::CurrentUser;
use crate::entities::{agency, org_unit};
use crate::error::{AppError, AppResult};
use crate::org_units::listing;
use crate::state::AppState;
use crate::web::forms::{FieldErrors, FormValues, RawForm, non_empty};
use crate::web::query::Query;
use crate::web::search::{self, ListQuery, Paged, Picker};
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
use std::collections::HashMap;

/// The statuses the agency list filters by.
pub const STATUSES: &[&str] = &["active", "inactive"];

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

/// An agency as the list shows it.
#[derive(serde::Serialize)]
pub struct Row {
    agency: agency::Model,
    unit_name: String,
}

/// A page of the agencies, in the order of the unit tree then by name, searched by name,
/// short name, code or unit (accents ignored) and filtered by province, kind and status.
async fn agency_page(
    state: &AppState,
    query: &ListQuery,
) -> AppResult<(Paged<Row>, Vec<search::Choice>)> {
    let units = org_unit::Entity::find()
        .order_by_asc(org_unit::Column::Name)
        .order_by_asc(org_unit::Column::Id)
        .all(&state.db)
        .await?;
    let province_of = crate::org_units::repo::provinces_of(&units);
    let provinces: Vec<search::Choice> = units
        .iter()
        .filter(|u| u.kind == "province")
        .map(|u| search::Choice::new(u.id, u.name.clone(), &u.code))
        .collect();
    let names: HashMap<i64, String> = units.iter().map(|u| (u.id, u.name.clone())).collect();
    let position: HashMap<i64, usize> =
        crate::org_units::repo::tree_of(units, None, state.clock.today())
            .iter()
            .enumerate()
            .map(|(i, r)| (r.unit.id, i))
            .collect();
    let mut agencies: Vec<(usize, String, agency::Model)> = agency::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|a| {
            let at = position.get(&a.org_unit_id).copied().unwrap_or(usize::MAX);
            (at, crate::text::fold(&a.name), a)
        })
        .collect();
    agencies.sort_by(|x, y| (x.0, &x.1, x.2.id).cmp(&(y.0, &y.1, y.2.id)));
    let words = query.words();
    let (province, kind, status) = (query.province_id(), query.kind(), query.status());
    let rows: Vec<Row> = agencies
        .into_iter()
        .map(|(_, _, a)| Row {
            unit_name: names.get(&a.org_unit_id).cloned().unwrap_or_default(),
            agency: a,
        })
        .collect();
    let keep = |r: &Row| {
        let a = &r.agency;
        province.is_none_or(|p| province_of.get(&a.org_unit_id) == Some(&p))
            && kind.is_none_or(|k| a.kind == k)
            && match status {
                Some("active") => a.active,
                Some("inactive") => !a.active,
                _ => true,
            }
            && (words.is_empty() || {
                let folded = crate::text::fold(&format!(
                    "{} {} {} {}",
                    a.name, a.short_name, a.code, r.unit_name
                ));
                search::matches(&words, &[&folded])
            })
    };
    let page = search::page(rows, |r| r.agency.id, keep, query, "/admin/agencies");
    Ok((page, provinces))
}

async fn show(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    query: &ListQuery,
    values: minijinja::Value,
    errors: FieldErrors,
) -> AppResult<Response> {
    let (list, provinces) = agency_page(state, query).await?;
    let today = state.clock.today();
    let units = listing::unit_choices(&state.db, None, today, |r| r.current).await?;
    let raw = values
        .get_attr("org_unit_id")
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_none())
        .map(|v| v.to_string())
        .unwrap_or_default();
    let unit = Picker::new(units, &raw);
    page.render_status(
        state,
        status,
        "admin/agencies.html",
        context! {
            list => list, provinces => provinces, query => query, unit => unit,
            kinds => KINDS, values => values, errors => errors,
        },
    )
}

pub async fn get_agencies(
    State(state): State<AppState>,
    page: Page,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    query.check(KINDS, STATUSES)?;
    show(
        &state,
        &page,
        StatusCode::OK,
        &query,
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
    let units = listing::unit_choices(&state.db, None, state.clock.today(), |_| true).await?;
    let unit = match search::resolve(&units, form.get("org_unit_id")) {
        Ok(id) => org_unit::Entity::find_by_id(id).one(&state.db).await?,
        Err(why) => {
            errors.add("org_unit_id", why.key());
            None
        }
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
            &ListQuery::default(),
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
