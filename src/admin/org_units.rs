//! `/admin/org-units`: create units, edit their flags, and record a merge or rename with its
//! effective date and legal basis. A unit's name is never edited in place: a new name is a
//! rename event, so that history keeps the name it had.

use crate::audit;
use crate::auth::CurrentUser;
use crate::entities::org_unit;
use crate::error::{AppError, AppResult};
use crate::org_units::listing;
use crate::org_units::repo::{self, LineageKind, Merge};
use crate::state::AppState;
use crate::web::format::parse_date;
use crate::web::forms::{FieldErrors, FormValues, RawForm, non_empty};
use crate::web::query::Query;
use crate::web::search::{self, Choice, ListQuery, Picker};
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};
use serde_json::json;

/// The statuses the unit lists filter by.
pub const STATUSES: &[&str] = &["current", "closed"];

pub const KINDS: &[&str] = &[
    "province",
    "district",
    "commune",
    "town",
    "ward",
    "special_zone",
];

async fn show_index(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    query: &ListQuery,
    values: minijinja::Value,
    errors: FieldErrors,
) -> AppResult<Response> {
    let today = state.clock.today();
    // One read of the units and one tree, for the list and the parent picker.
    let units = listing::Units::read(&state.db).await?;
    let tree = units.tree(None, today);
    let parents = units.choices(&tree, |r| r.current);
    let list = listing::unit_page_of(&units, tree, None, query, "/admin/org-units");
    query.check_province(&list.provinces)?;
    let parent = Picker::new(parents, &field(&values, "parent_id"));
    page.render_status(
        state,
        status,
        "admin/org_units.html",
        context! {
            list => list.page, provinces => list.provinces, query => query,
            narrowed => query.narrowed(), parent => parent,
            kinds => KINDS, values => values, errors => errors,
        },
    )
}

/// A submitted form value as text ("" when absent).
fn field(values: &minijinja::Value, name: &str) -> String {
    values
        .get_attr(name)
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_none())
        .map(|v| v.to_string())
        .unwrap_or_default()
}

pub async fn get_admin_org_units(
    State(state): State<AppState>,
    page: Page,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    query.check(KINDS, STATUSES)?;
    show_index(
        &state,
        &page,
        StatusCode::OK,
        &query,
        FormValues::empty(),
        FieldErrors::default(),
    )
    .await
}

/// The unit a picker names among `choices`, or the message at its field; `None` when the
/// field was left empty and may be.
fn picked(
    choices: &[Choice],
    raw: &str,
    optional: bool,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<i64> {
    match search::resolve(choices, raw) {
        Ok(id) => Some(id),
        Err(search::Unresolved::Empty) if optional => None,
        Err(why) => {
            errors.add(field, why.key());
            None
        }
    }
}

/// Checks a unit code: short, ASCII, and not taken.
async fn check_code(
    state: &AppState,
    code: &str,
    errors: &mut FieldErrors,
    field: &str,
) -> AppResult<()> {
    let well_formed = !code.is_empty()
        && code.len() <= 40
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !well_formed {
        errors.add(field, "admin.org_units.error.code");
    } else if repo::by_code(&state.db, code).await?.is_some() {
        errors.add(field, "form.taken");
    }
    Ok(())
}

pub async fn post_org_unit(
    State(state): State<AppState>,
    page: Page,
    admin: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let code = form.get("code").trim().to_uppercase();
    check_code(&state, &code, &mut errors, "code").await?;
    let name = non_empty(form.get("name"));
    if name.is_none() {
        errors.add("name", "form.required");
    }
    let kind = form.get("kind");
    if !KINDS.contains(&kind) {
        errors.add("kind", "form.choose");
    }
    let today = state.clock.today();
    let parents = listing::unit_choices(&state.db, None, today, |_| true).await?;
    let parent = picked(
        &parents,
        form.get("parent_id"),
        true,
        "parent_id",
        &mut errors,
    );
    let valid_from = match form.get("valid_from").trim() {
        "" => None,
        raw => match parse_date(raw) {
            Some(d) => Some(d),
            None => {
                errors.add("valid_from", "form.date");
                None
            }
        },
    };
    let values = FormValues::of(&form);
    let (Some(name), true) = (name, errors.is_empty()) else {
        return show_index(
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
    let created = org_unit::ActiveModel {
        code: Set(code),
        gso_code: Set(non_empty(form.get("gso_code"))),
        name: Set(name),
        kind: Set(kind.to_owned()),
        parent_id: Set(parent),
        valid_from: Set(valid_from),
        valid_to: Set(None),
        ethnic_minority: Set(form.checked("ethnic_minority")),
        border_area: Set(form.checked("border_area")),
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
            action: "org_unit:create",
            object_type: "org_unit",
            object_id: Some(created.id),
            org_unit_id: Some(created.id),
            change: json!({ "code": created.code, "name": created.name, "parent_id": created.parent_id }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        "/admin/org-units",
        "flash.saved",
    ))
}

pub async fn get_edit_org_unit(
    State(state): State<AppState>,
    page: Page,
    Path(unit_id): Path<i64>,
) -> AppResult<Response> {
    let unit = org_unit::Entity::find_by_id(unit_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    page.render(
        &state,
        "admin/org_unit_edit.html",
        context! { unit => unit },
    )
}

/// Edits what is not history: the GSO code and the ethnic-minority and border flags.
pub async fn post_org_unit_update(
    State(state): State<AppState>,
    admin: CurrentUser,
    Path(unit_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let found = org_unit::Entity::find_by_id(unit_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let before = json!({ "gso_code": found.gso_code, "ethnic_minority": found.ethnic_minority, "border_area": found.border_area });
    let mut row: org_unit::ActiveModel = found.into();
    row.gso_code = Set(non_empty(form.get("gso_code")));
    row.ethnic_minority = Set(form.checked("ethnic_minority"));
    row.border_area = Set(form.checked("border_area"));
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(admin.id),
            action: "org_unit:update",
            object_type: "org_unit",
            object_id: Some(unit_id),
            org_unit_id: Some(unit_id),
            change: json!({ "before": before, "after": { "gso_code": updated.gso_code, "ethnic_minority": updated.ethnic_minority, "border_area": updated.border_area } }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        "/admin/org-units",
        "flash.saved",
    ))
}

/// The units a level's abolition may close: current districts and provinces under a parent.
fn abolishable(r: &repo::TreeRow) -> bool {
    r.depth > 0 && ["district", "province"].contains(&r.unit.kind.as_str())
}

async fn show_merge(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    query: &ListQuery,
    values: minijinja::Value,
    selected: Vec<i64>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let today = state.clock.today();
    // One read of the units and one tree, for the three pickers.
    let all = listing::Units::read(&state.db).await?;
    let tree = all.tree(None, today);
    let units = all.choices(&tree, |r| r.current);
    // The predecessors offered: the units chosen so far, then those the search finds (every
    // unit when there are few).
    let words = query.words();
    let few = units.len() <= search::SELECT_MAX;
    let mut candidates: Vec<&Choice> = units.iter().filter(|c| selected.contains(&c.id)).collect();
    candidates.extend(
        units
            .iter()
            .filter(|c| !selected.contains(&c.id))
            .filter(|c| few || (!words.is_empty() && search::matches(&words, &[&*c.folded()])))
            .take(search::PAGE_SIZE),
    );
    let successor_parent = Picker::new(units.clone(), &field(&values, "successor_parent"));
    let abolish = all.choices(&tree, |r| r.current && abolishable(r));
    let abolish = Picker::new(abolish, &field(&values, "abolish_unit"));
    page.render_status(
        state,
        status,
        "admin/merge.html",
        context! {
            candidates => candidates, few => few, query => query,
            successor_parent => successor_parent, abolish => abolish,
            kinds => KINDS, values => values, selected => selected, errors => errors,
        },
    )
}

pub async fn get_merge(
    State(state): State<AppState>,
    page: Page,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    query.check(KINDS, STATUSES)?;
    show_merge(
        &state,
        &page,
        StatusCode::OK,
        &query,
        FormValues::empty(),
        vec![],
        FieldErrors::default(),
    )
    .await
}

pub async fn post_merge(
    State(state): State<AppState>,
    page: Page,
    admin: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let kind = match form.get("merge_kind") {
        "rename" => LineageKind::Rename,
        _ => LineageKind::Merge,
    };
    let selected: Vec<i64> = form
        .all("predecessors")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let effective_date = parse_date(form.get("effective_date"));
    if effective_date.is_none() {
        errors.add("effective_date", "form.date");
    }
    let mut predecessors = Vec::new();
    for id in &selected {
        match org_unit::Entity::find_by_id(*id).one(&state.db).await? {
            Some(u) => predecessors.push(u),
            None => errors.add("predecessors", "form.choose"),
        }
    }
    match (kind, predecessors.len()) {
        (LineageKind::Rename, 1) => {}
        (LineageKind::Rename, _) => errors.add("predecessors", "admin.merge.error.rename_one"),
        (_, n) if n < 2 => errors.add("predecessors", "admin.merge.error.merge_two"),
        _ => {}
    }
    if let Some(day) = effective_date {
        let closed = predecessors.iter().any(|u| !repo::is_current(u, day));
        if closed {
            errors.add("predecessors", "admin.merge.error.not_current");
        }
    }
    let code = form.get("successor_code").trim().to_uppercase();
    check_code(&state, &code, &mut errors, "successor_code").await?;
    let name = non_empty(form.get("successor_name"));
    if name.is_none() {
        errors.add("successor_name", "form.required");
    }
    let successor_kind = form.get("successor_kind");
    if !KINDS.contains(&successor_kind) {
        errors.add("successor_kind", "form.choose");
    }
    let today = state.clock.today();
    let units = listing::unit_choices(&state.db, None, today, |_| true).await?;
    let parent = picked(
        &units,
        form.get("successor_parent"),
        true,
        "successor_parent",
        &mut errors,
    );
    if parent.is_some_and(|p| selected.contains(&p)) {
        errors.add("successor_parent", "form.choose");
    }
    let legal_basis = non_empty(form.get("legal_basis"));
    if legal_basis.is_none() {
        errors.add("legal_basis", "form.required");
    }
    let values = FormValues::of(&form);
    let (Some(effective_date), Some(name), Some(legal_basis), true) =
        (effective_date, name, legal_basis, errors.is_empty())
    else {
        return show_merge(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &ListQuery::default(),
            values,
            selected,
            errors,
        )
        .await;
    };
    let merge = Merge {
        kind,
        predecessors: selected,
        successor_code: code,
        successor_name: name,
        successor_kind: successor_kind.to_owned(),
        successor_parent: parent,
        effective_date,
        legal_basis,
        ethnic_minority: predecessors.iter().any(|u| u.ethnic_minority),
        border_area: predecessors.iter().any(|u| u.border_area),
    };
    repo::record_merge(&state.db, admin.id, merge, state.clock.now()).await?;
    Ok(flash::redirect(&state.config, "/org-units", "flash.merged"))
}

/// `POST /admin/org-units/abolish`: a level abolished (a district on 1 July 2025): the unit
/// closes and the units under it continue under its parent (`repo::abolish`).
pub async fn post_abolish(
    State(state): State<AppState>,
    page: Page,
    admin: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let effective_date = parse_date(form.get("abolish_date"));
    if effective_date.is_none() {
        errors.add("abolish_date", "form.date");
    }
    let choices = listing::unit_choices(&state.db, None, state.clock.today(), |_| true).await?;
    let unit = match search::resolve(&choices, form.get("abolish_unit")) {
        Ok(id) => org_unit::Entity::find_by_id(id).one(&state.db).await?,
        Err(search::Unresolved::Empty) => None,
        Err(why) => {
            errors.add("abolish_unit", why.key());
            None
        }
    };
    match (&unit, effective_date) {
        (None, _) => errors.add("abolish_unit", "form.choose"),
        (Some(u), _) if u.parent_id.is_none() => {
            errors.add("abolish_unit", "admin.abolish.error.top")
        }
        (Some(u), Some(day)) if !repo::is_current(u, day) => {
            errors.add("abolish_unit", "admin.merge.error.not_current")
        }
        _ => {}
    }
    let legal_basis = non_empty(form.get("abolish_legal_basis"));
    if legal_basis.is_none() {
        errors.add("abolish_legal_basis", "form.required");
    }
    let (Some(unit), Some(day), Some(basis), true) =
        (unit, effective_date, legal_basis, errors.is_empty())
    else {
        return show_merge(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &ListQuery::default(),
            FormValues::of(&form),
            Vec::new(),
            errors,
        )
        .await;
    };
    repo::abolish(&state.db, admin.id, unit.id, day, &basis, state.clock.now()).await?;
    Ok(flash::redirect(
        &state.config,
        "/org-units",
        "flash.abolished",
    ))
}
