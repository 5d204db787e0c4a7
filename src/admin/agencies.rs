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
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
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
/// short name, code or unit (accents ignored: the stored folded names, nothing folded per
/// row) and filtered by province, kind and status. `tree` is the tree of `units`.
async fn agency_page(
    state: &AppState,
    units: &listing::Units,
    tree: &[crate::org_units::repo::TreeRow],
    query: &ListQuery,
) -> AppResult<(Paged<Row>, Vec<search::Choice>)> {
    let province_of = crate::org_units::repo::provinces_of(&units.all);
    let provinces: Vec<search::Choice> = units
        .all
        .iter()
        .filter(|u| u.kind == "province")
        .map(|u| search::Choice::new(u.id, u.name.clone(), &u.code))
        .collect();
    let by_id: HashMap<i64, &org_unit::Model> = units.all.iter().map(|u| (u.id, u)).collect();
    let position: HashMap<i64, usize> = tree
        .iter()
        .enumerate()
        .map(|(i, r)| (r.unit.id, i))
        .collect();
    let mut agencies: Vec<(usize, agency::Model)> = agency::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|a| {
            let at = position.get(&a.org_unit_id).copied().unwrap_or(usize::MAX);
            (at, a)
        })
        .collect();
    // The stored `search_name` is the name folded (`text::fold`): the order is unchanged.
    agencies.sort_by(|x, y| (x.0, &x.1.search_name, x.1.id).cmp(&(y.0, &y.1.search_name, y.1.id)));
    let words = query.words();
    let (province, kind, status) = (query.province_id(), query.kind(), query.status());
    let keep = |a: &agency::Model| {
        province.is_none_or(|p| province_of.get(&a.org_unit_id) == Some(&p))
            && kind.is_none_or(|k| a.kind == k)
            && match status {
                Some("active") => a.active,
                Some("inactive") => !a.active,
                _ => true,
            }
            && (words.is_empty() || {
                let code = a.code.to_lowercase();
                let unit = by_id
                    .get(&a.org_unit_id)
                    .map_or("", |u| u.search_name.as_str());
                search::matches(&words, &[&a.search_name, &a.search_short, &code, unit])
            })
    };
    let page = search::page(
        agencies.into_iter().map(|(_, a)| a).collect(),
        |a| a.id,
        keep,
        query,
        "/admin/agencies",
    );
    // Only the page's rows get their unit's name.
    let page = Paged {
        rows: page
            .rows
            .into_iter()
            .map(|a| Row {
                unit_name: by_id
                    .get(&a.org_unit_id)
                    .map(|u| u.name.clone())
                    .unwrap_or_default(),
                agency: a,
            })
            .collect(),
        next: page.next,
        first: page.first,
        matched: page.matched,
    };
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
    let today = state.clock.today();
    // One read of the units and one tree, for the list's order and the unit picker.
    let all = listing::Units::read(&state.db).await?;
    let tree = all.tree(None, today);
    let (list, provinces) = agency_page(state, &all, &tree, query).await?;
    query.check_province(&provinces)?;
    let units = all.choices(&tree, |r| r.current);
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
