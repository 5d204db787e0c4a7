//! `/admin/users`: list (searched, filtered, paged), create, deactivate and reactivate users
//! (one or many at once), change many users' role, reset a password.

use crate::audit;
use crate::auth::users::{self, NewUser, UserError};
use crate::auth::{CurrentUser, Role, password, session};
use crate::entities::{agency, org_unit, user, user_sign_in};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{FieldErrors, FormValues, RawForm};
use crate::web::i18n::Locale;
use crate::web::query::Query;
use crate::web::search::Unresolved;
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};

#[derive(Serialize)]
struct UserRow {
    user: user::Model,
    agency: String,
    unit: String,
    signed_in: bool,
}

/// Users listed per page.
const PAGE: usize = 50;

#[derive(Deserialize, Default)]
pub struct UsersQuery {
    /// Text in the email, name, agency or unit (accents and case ignored).
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    role: Option<String>,
    /// `active`, `inactive`, or `invited` (active, never signed in).
    #[serde(default)]
    status: Option<String>,
    /// The email of the last user of the previous page (keyset paging).
    #[serde(default)]
    after: Option<String>,
}

/// `GET /admin/users[?q=…&role=…&status=…&after=…]`: searched, filtered and paged by email.
pub async fn get_users(
    State(state): State<AppState>,
    page: Page,
    Query(query): Query<UsersQuery>,
) -> AppResult<Response> {
    // A role or status the list does not offer is refused, naming it; empty is no filter.
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
    crate::web::query::check_one_of(query.role.as_deref(), "role", &roles)?;
    crate::web::query::check_one_of(
        query.status.as_deref(),
        "status",
        &["active", "inactive", "invited"],
    )?;
    let q = query.q.clone().unwrap_or_default();
    let needle = crate::text::fold(q.trim());
    let role = query
        .role
        .as_deref()
        .map(str::trim)
        .filter(|r| Role::parse(r).is_some())
        .map(str::to_owned);
    let status = query.status.as_deref().map_or("", str::trim).to_owned();
    let signed: HashSet<i64> = user_sign_in::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| s.user_id)
        .collect();
    let mut find = user::Entity::find().order_by_asc(user::Column::Email);
    if let Some(r) = &role {
        find = find.filter(user::Column::Role.eq(r.as_str()));
    }
    if let Some(after) = query.after.as_deref().filter(|a| !a.is_empty()) {
        find = find.filter(user::Column::Email.gt(after));
    }
    find = match status.as_str() {
        "active" | "invited" => find.filter(user::Column::Active.eq(true)),
        "inactive" => find.filter(user::Column::Active.eq(false)),
        _ => find,
    };
    let users = find.all(&state.db).await?;
    // The agencies and units of the users listed (the search reads their names).
    let agency_ids: HashSet<i64> = users.iter().map(|u| u.agency_id).collect();
    let agencies: HashMap<i64, agency::Model> = agency::Entity::find()
        .filter(agency::Column::Id.is_in(agency_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let unit_ids: HashSet<i64> = agencies.values().map(|a| a.org_unit_id).collect();
    let units: HashMap<i64, String> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(unit_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut rows = Vec::new();
    let mut more = false;
    for u in users {
        if status == "invited" && signed.contains(&u.id) {
            continue;
        }
        let a = agencies.get(&u.agency_id);
        let agency = a.map(|a| a.name.clone()).unwrap_or_default();
        let unit = a
            .and_then(|a| units.get(&a.org_unit_id))
            .cloned()
            .unwrap_or_default();
        if !needle.is_empty()
            && ![&u.email, &u.display_name, &agency, &unit]
                .iter()
                .any(|t| crate::text::fold(t).contains(&needle))
        {
            continue;
        }
        if rows.len() == PAGE {
            more = true;
            break;
        }
        rows.push(UserRow {
            signed_in: signed.contains(&u.id),
            user: u,
            agency,
            unit,
        });
    }
    let role = role.unwrap_or_default();
    // The filters, kept by the pager's links.
    let filters = vec![
        ("q", q.clone()),
        ("role", role.clone()),
        ("status", status.clone()),
    ];
    let href = |after: Option<&str>| {
        let mut pairs = filters.clone();
        if let Some(a) = after {
            pairs.push(("after", a.to_owned()));
        }
        format!(
            "/admin/users?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    };
    let next = more
        .then(|| rows.last().map(|r| href(Some(&r.user.email))))
        .flatten();
    let first = query.after.is_some().then(|| href(None));
    page.render(
        &state,
        "admin/users.html",
        context! {
            rows => rows, roles => roles, q => q, role => role, status => status,
            next => next, first => first,
        },
    )
}

/// `POST /admin/users/bulk` (form: `user_ids`…, `action`: `deactivate`, `activate` or
/// `role:<role>`): every selected account changed in one transaction, each with its audit
/// row. The administrator's own account is never deactivated or demoted this way.
pub async fn post_users_bulk(
    State(state): State<AppState>,
    admin: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let ids: Vec<i64> = form
        .all("user_ids")
        .iter()
        .map(|v| v.parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| AppError::BadRequest("admin.users.bulk.error.none"))?;
    if ids.is_empty() || ids.len() > 1000 {
        return Err(AppError::BadRequest("admin.users.bulk.error.none"));
    }
    if ids.contains(&admin.id) {
        return Err(AppError::BadRequest("admin.users.error.self"));
    }
    let action = form.get("action");
    let (active, role) = match action {
        "deactivate" => (Some(false), None),
        "activate" => (Some(true), None),
        a => match a.strip_prefix("role:").and_then(Role::parse) {
            Some(r) => (None, Some(r)),
            None => return Err(AppError::BadRequest("admin.users.bulk.error.action")),
        },
    };
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let found = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.clone()))
        .all(&txn)
        .await?;
    if found.len() != ids.iter().collect::<HashSet<_>>().len() {
        return Err(AppError::NotFound);
    }
    for u in found {
        let id = u.id;
        let before = u.role.clone();
        let mut row: user::ActiveModel = u.into();
        if let Some(active) = active {
            row.active = Set(active);
        }
        if let Some(r) = role {
            row.role = Set(r.code().to_owned());
        }
        row.updated_at = Set(now);
        row.update(&txn).await?;
        if active == Some(false) || role.is_some() {
            // A new role is new rights: the next request signs in again.
            session::destroy_all_for_user(&txn, id).await?;
        }
        let (verb, change) = match (active, role) {
            (Some(true), _) => ("user:activate", json!({ "active": true, "bulk": true })),
            (Some(false), _) => ("user:deactivate", json!({ "active": false, "bulk": true })),
            (None, r) => (
                "user:change_role",
                json!({ "from": before, "to": r.map(Role::code), "bulk": true }),
            ),
        };
        audit::record(
            &txn,
            now,
            audit::Event {
                user_id: Some(admin.id),
                action: verb,
                object_type: "user",
                object_id: Some(id),
                org_unit_id: None,
                change,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        "/admin/users",
        "flash.saved",
    ))
}

async fn new_user_form(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    values: minijinja::Value,
    errors: FieldErrors,
) -> AppResult<Response> {
    let agency = crate::web::search::Picker::new(
        agency_choices(state).await?,
        &crate::web::search::held(&values, "agency_id"),
    );
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
    page.render_status(
        state,
        status,
        "admin/user_new.html",
        context! { agency => agency, roles => roles, values => values, errors => errors },
    )
}

/// The agencies a new user can belong to: the active agencies of the units in force today (the
/// administrator's scope is the whole country).
async fn agency_choices(state: &AppState) -> AppResult<Vec<crate::web::search::Choice>> {
    let today = state.clock.today();
    let current: Vec<i64> = crate::entities::org_unit::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|u| crate::org_units::repo::is_current(u, today))
        .map(|u| u.id)
        .collect();
    Ok(crate::agencies::choices(
        crate::agencies::list_in(&state.db, Some(&current)).await?,
    ))
}

pub async fn get_new_user(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    new_user_form(
        &state,
        &page,
        StatusCode::OK,
        FormValues::empty(),
        FieldErrors::default(),
    )
    .await
}

pub async fn post_user(
    State(state): State<AppState>,
    page: Page,
    admin: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let role = Role::parse(form.get("role"));
    if role.is_none() {
        errors.add("role", "admin.users.error.role");
    }
    let agency_id =
        match crate::web::search::resolve(&agency_choices(&state).await?, form.get("agency_id")) {
            Ok(id) => Some(id),
            // Nothing chosen, or an id not offered (inactive, closed or unknown): the agency message.
            Err(Unresolved::Empty | Unresolved::NotOffered) => {
                errors.add("agency_id", "account.error.agency_unknown");
                None
            }
            Err(why) => {
                errors.add("agency_id", why.key());
                None
            }
        };
    let locale = Locale::parse(form.get("locale")).unwrap_or_default();
    let typed = form.get("password").to_owned();
    let generated = typed.is_empty();
    let password = if generated {
        password::random()?
    } else {
        typed
    };
    let values = FormValues::of(&form);
    let (Some(role), Some(agency_id), true) = (role, agency_id, errors.is_empty()) else {
        return new_user_form(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            values,
            errors,
        )
        .await;
    };
    let new = NewUser {
        email: form.get("email").to_owned(),
        display_name: form.get("display_name").to_owned(),
        role,
        agency_id,
        locale,
        password: password.clone(),
    };
    match users::create(&state.db, Some(admin.id), new, state.clock.now()).await {
        Ok(created) => page.render(
            &state,
            "admin/user_password.html",
            context! { email => created.email, password => generated.then_some(password) },
        ),
        Err(UserError::Other(e)) => Err(e.into()),
        Err(e) => {
            if let Some((field, key)) = e.field_message() {
                errors.add(field, key);
            }
            new_user_form(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                values,
                errors,
            )
            .await
        }
    }
}

/// Deactivates (ending every session at once) or reactivates a user.
pub async fn post_user_active(
    State(state): State<AppState>,
    admin: CurrentUser,
    Path(user_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let active = form.checked("active");
    if user_id == admin.id && !active {
        return Err(AppError::BadRequest("admin.users.error.self"));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let found = user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut row: user::ActiveModel = found.into();
    row.active = Set(active);
    row.updated_at = Set(now);
    row.update(&txn).await?;
    if !active {
        session::destroy_all_for_user(&txn, user_id).await?;
    }
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(admin.id),
            action: if active {
                "user:activate"
            } else {
                "user:deactivate"
            },
            object_type: "user",
            object_id: Some(user_id),
            org_unit_id: None,
            change: json!({ "active": active }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        "/admin/users",
        "flash.saved",
    ))
}

/// Sets a new random password, shown once to the administrator.
pub async fn post_user_password(
    State(state): State<AppState>,
    page: Page,
    admin: CurrentUser,
    Path(user_id): Path<i64>,
) -> AppResult<Response> {
    let found = user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let password = password::random()?;
    users::set_password(
        &state.db,
        Some(admin.id),
        user_id,
        &password,
        state.clock.now(),
    )
    .await?;
    page.render(
        &state,
        "admin/user_password.html",
        context! { email => found.email, password => Some(password) },
    )
}
