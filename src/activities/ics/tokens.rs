//! `/account/calendar`: a user's calendar feeds — listing, creating and revoking them. The
//! token is shown whole only in the answer to its creation (the database keeps its SHA-256 and
//! a short hint); revoking it stops the feed at the next fetch.

use crate::activities::ics::feed::{KIND_UNIT, KIND_USER};
use crate::audit;
use crate::auth::{CurrentUser, tokens};
use crate::entities::{ics_token, org_unit};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{FieldErrors, FormValues, RawForm};
use crate::web::search::{self, Choice, Picker};
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use minijinja::context;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Serialize;
use serde_json::json;

/// Live feeds one user may hold: enough for every unit they follow, few enough that a leaked
/// session cannot mint tokens without end.
const MAX_LIVE_FEEDS: u64 = 20;
/// Characters of the token kept to tell feeds apart; the other 56 hex digits stay secret.
const HINT_CHARS: usize = 8;

const PAGE: &str = "activities/feeds.html";
const SELF: &str = "/account/calendar";

/// One feed as the page lists it.
#[derive(Serialize)]
struct FeedRow {
    id: i64,
    kind: String,
    unit_name: Option<String>,
    created_at: DateTime<Utc>,
    hint_url: String,
}

fn feed_url(state: &AppState, secret: &str) -> String {
    format!(
        "{}/ics/{secret}.ics",
        state.config.base_url.trim_end_matches('/')
    )
}

/// The units of the user's scope that exist today, in tree order.
async fn unit_choices(state: &AppState, user: &CurrentUser) -> AppResult<Vec<Choice>> {
    let scope = user.scope(state).await?;
    Ok(
        crate::org_units::listing::unit_choices(
            &state.db,
            Some(&scope),
            state.clock.today(),
            |r| r.current,
        )
        .await?,
    )
}

async fn feed_rows(state: &AppState, user: &CurrentUser) -> AppResult<Vec<FeedRow>> {
    let live = ics_token::Entity::find()
        .filter(ics_token::Column::UserId.eq(user.id))
        .filter(ics_token::Column::RevokedAt.is_null())
        .order_by_desc(ics_token::Column::CreatedAt)
        .order_by_desc(ics_token::Column::Id)
        .all(&state.db)
        .await?;
    let unit_ids: Vec<i64> = live.iter().filter_map(|t| t.org_unit_id).collect();
    let units = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(unit_ids))
        .all(&state.db)
        .await?;
    Ok(live
        .into_iter()
        .map(|t| FeedRow {
            id: t.id,
            unit_name: t
                .org_unit_id
                .and_then(|id| units.iter().find(|u| u.id == id))
                .map(|u| u.name.clone()),
            hint_url: feed_url(state, &format!("{}…", t.token_hint.unwrap_or_default())),
            kind: t.kind,
            created_at: t.created_at,
        })
        .collect())
}

async fn show(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    status: StatusCode,
    values: minijinja::Value,
    errors: FieldErrors,
    created_url: Option<String>,
) -> AppResult<Response> {
    let feeds = feed_rows(state, user).await?;
    // The unit picker holds what was typed, else the user's own unit.
    let held = search::held(&values, "org_unit_id");
    let held = if held.trim().is_empty() {
        user.org_unit_id.to_string()
    } else {
        held
    };
    let unit = Picker::new(unit_choices(state, user).await?, &held);
    page.render_status(
        state,
        status,
        PAGE,
        context! {
            feeds => feeds,
            unit => unit,
            values => values,
            errors => errors,
            created_url => created_url,
        },
    )
}

pub async fn get_account_calendar(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
) -> AppResult<Response> {
    show(
        &state,
        &page,
        &user,
        StatusCode::OK,
        FormValues::empty(),
        FieldErrors::default(),
        None,
    )
    .await
}

/// Reads the form: the kind, and for a unit feed a unit of the user's scope that exists today.
async fn parse(
    state: &AppState,
    user: &CurrentUser,
    form: &RawForm,
    errors: &mut FieldErrors,
) -> AppResult<Option<(&'static str, Option<i64>)>> {
    let live = ics_token::Entity::find()
        .filter(ics_token::Column::UserId.eq(user.id))
        .filter(ics_token::Column::RevokedAt.is_null())
        .count(&state.db)
        .await?;
    if live >= MAX_LIVE_FEEDS {
        errors.add("kind", "calendar.error.too_many");
        return Ok(None);
    }
    match form.get("kind") {
        KIND_USER => Ok(Some((KIND_USER, None))),
        KIND_UNIT => {
            let units = unit_choices(state, user).await?;
            Ok(search::resolve_field(
                &units,
                form.get("org_unit_id"),
                "org_unit_id",
                false,
                errors,
            )
            .map(|id| (KIND_UNIT, Some(id))))
        }
        _ => {
            errors.add("kind", "form.choose");
            Ok(None)
        }
    }
}

/// Creates a feed and shows its address in the answer itself: it is the only time the secret
/// exists outside the user's calendar app, so it goes in no redirect, cookie or log.
pub async fn post_account_calendar(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let Some((kind, unit)) = parse(&state, &user, &form, &mut errors).await? else {
        return show(
            &state,
            &page,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            FormValues::of(&form),
            errors,
            None,
        )
        .await;
    };
    let secret = tokens::random_token()?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let created = ics_token::ActiveModel {
        user_id: Set(user.id),
        token_hash: Set(tokens::sha256_hex(&secret)),
        token_hint: Set(secret.get(..HINT_CHARS).map(str::to_owned)),
        kind: Set(kind.to_owned()),
        org_unit_id: Set(unit),
        revoked_at: Set(None),
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
            user_id: Some(user.id),
            action: "ics_token:create",
            object_type: "ics_token",
            object_id: Some(created.id),
            org_unit_id: Some(unit.unwrap_or(user.org_unit_id)),
            change: json!({ "kind": kind, "org_unit_id": unit }),
        },
    )
    .await?;
    txn.commit().await?;
    let mut response = show(
        &state,
        &page,
        &user,
        StatusCode::CREATED,
        FormValues::empty(),
        FieldErrors::default(),
        Some(feed_url(&state, &secret)),
    )
    .await?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Revokes one of the user's own feeds; someone else's is not found.
pub async fn post_account_calendar_revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(token_id): Path<i64>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let token = ics_token::Entity::find_by_id(token_id)
        .filter(ics_token::Column::UserId.eq(user.id))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    // Guarded on "not yet revoked", so a double submit writes one audit row.
    let res = ics_token::Entity::update_many()
        .col_expr(
            ics_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .col_expr(
            ics_token::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(ics_token::Column::Id.eq(token.id))
        .filter(ics_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected == 1 {
        audit::record(
            &txn,
            now,
            audit::Event {
                user_id: Some(user.id),
                action: "ics_token:revoke",
                object_type: "ics_token",
                object_id: Some(token.id),
                org_unit_id: Some(token.org_unit_id.unwrap_or(user.org_unit_id)),
                change: json!({ "kind": token.kind, "org_unit_id": token.org_unit_id }),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(flash::redirect(&state.config, SELF, "flash.feed_revoked"))
}
