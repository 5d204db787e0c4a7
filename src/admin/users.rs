//! `/admin/users`: list, create, deactivate and reactivate users, reset a password.

use crate::audit;
use crate::auth::users::{self, NewUser, UserError};
use crate::auth::{CurrentUser, Role, password, session};
use crate::entities::{agency, user};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{FieldErrors, FormValues, RawForm};
use crate::web::i18n::Locale;
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set, TransactionTrait};
use serde::Serialize;
use serde_json::json;

#[derive(Serialize)]
struct UserRow {
    user: user::Model,
    agency: String,
}

pub async fn get_users(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    let rows = user::Entity::find()
        .find_also_related(agency::Entity)
        .order_by_asc(user::Column::Email)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|(u, a)| UserRow {
            user: u,
            agency: a.map(|a| a.name).unwrap_or_default(),
        })
        .collect::<Vec<_>>();
    page.render(&state, "admin/users.html", context! { rows => rows })
}

async fn new_user_form(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    values: minijinja::Value,
    errors: FieldErrors,
) -> AppResult<Response> {
    let agencies = crate::agencies::list(&state.db).await?;
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
    page.render_status(
        state,
        status,
        "admin/user_new.html",
        context! { agencies => agencies, roles => roles, values => values, errors => errors },
    )
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
    let agency_id = form.get("agency_id").parse::<i64>().ok();
    if agency_id.is_none() {
        errors.add("agency_id", "account.error.agency_unknown");
    }
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
