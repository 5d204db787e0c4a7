//! `/admin/codes`: add, rename, retire and restore codes. There is no delete: a code that rows
//! refer to keeps its meaning, and a retired one is only hidden from new choices.

use crate::audit;
use crate::auth::CurrentUser;
use crate::codes::LISTS;
use crate::entities::code;
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
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;

#[derive(Serialize)]
struct ListView {
    list: &'static str,
    codes: Vec<code::Model>,
}

async fn show(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    values: minijinja::Value,
    errors: FieldErrors,
) -> AppResult<Response> {
    let all = crate::codes::all(&state.db).await?;
    let lists: Vec<ListView> = LISTS
        .iter()
        .map(|l| ListView {
            list: l,
            codes: all.iter().filter(|c| c.list == *l).cloned().collect(),
        })
        .collect();
    page.render_status(
        state,
        status,
        "admin/codes.html",
        context! { lists => lists, values => values, errors => errors },
    )
}

pub async fn get_codes(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    show(
        &state,
        &page,
        StatusCode::OK,
        FormValues::empty(),
        FieldErrors::default(),
    )
    .await
}

fn valid_code(c: &str) -> bool {
    !c.is_empty()
        && c.len() <= 40
        && c.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "_-+".contains(ch))
}

pub async fn post_code(
    State(state): State<AppState>,
    page: Page,
    admin: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let list = LISTS.iter().find(|l| **l == form.get("list")).copied();
    if list.is_none() {
        errors.add("list", "form.choose");
    }
    let code_value = form.get("code").trim().to_owned();
    if !valid_code(&code_value) {
        errors.add("code", "admin.codes.error.code");
    }
    let name_vi = non_empty(form.get("name_vi"));
    let name_en = non_empty(form.get("name_en"));
    if name_vi.is_none() {
        errors.add("name_vi", "form.required");
    }
    if name_en.is_none() {
        errors.add("name_en", "form.required");
    }
    if let Some(l) = list {
        let taken = code::Entity::find()
            .filter(code::Column::List.eq(l))
            .filter(code::Column::Code.eq(&code_value))
            .count(&state.db)
            .await?
            > 0;
        if taken {
            errors.add("code", "form.taken");
        }
    }
    let values = FormValues::of(&form);
    let (Some(list), Some(name_vi), Some(name_en), true) =
        (list, name_vi, name_en, errors.is_empty())
    else {
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
    let position = i32::try_from(
        code::Entity::find()
            .filter(code::Column::List.eq(list))
            .count(&state.db)
            .await?,
    )
    .unwrap_or(i32::MAX)
    .saturating_add(1);
    let txn = state.db.begin().await?;
    let created = code::ActiveModel {
        list: Set(list.to_owned()),
        code: Set(code_value),
        name_vi: Set(name_vi),
        name_en: Set(name_en),
        legal_basis: Set(non_empty(form.get("legal_basis"))),
        valid_from: Set(None),
        valid_to: Set(None),
        position: Set(position),
        retired_at: Set(None),
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
            action: "code:create",
            object_type: "code",
            object_id: Some(created.id),
            org_unit_id: None,
            change: json!({ "list": created.list, "code": created.code }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        "/admin/codes",
        "flash.saved",
    ))
}

/// `action` = rename (with `name_vi`, `name_en`), retire or restore.
pub async fn post_code_update(
    State(state): State<AppState>,
    admin: CurrentUser,
    Path(code_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let found = code::Entity::find_by_id(code_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let before = json!({ "name_vi": found.name_vi, "name_en": found.name_en, "retired": found.retired_at.is_some() });
    let mut row: code::ActiveModel = found.into();
    let action = form.get("action");
    match action {
        "rename" => {
            let (Some(vi), Some(en)) = (
                non_empty(form.get("name_vi")),
                non_empty(form.get("name_en")),
            ) else {
                return Err(AppError::BadRequest("admin.codes.error.names"));
            };
            row.name_vi = Set(vi);
            row.name_en = Set(en);
        }
        "retire" => row.retired_at = Set(Some(now)),
        "restore" => row.retired_at = Set(None),
        _ => return Err(AppError::BadRequest("error.bad_request")),
    }
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(admin.id),
            action: "code:update",
            object_type: "code",
            object_id: Some(code_id),
            org_unit_id: None,
            change: json!({ "action": action, "before": before, "after": { "name_vi": updated.name_vi, "name_en": updated.name_en, "retired": updated.retired_at.is_some() } }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        "/admin/codes",
        "flash.saved",
    ))
}
