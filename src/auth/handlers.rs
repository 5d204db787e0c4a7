//! Login, logout, the account page (own password and language) and the language switch.

use crate::auth::identity::{AuthMethod, CurrentUser, Identity};
use crate::auth::users::{self, UserError};
use crate::auth::{password, session, throttle};
use crate::entities::user;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{FieldErrors, safe_next};
use crate::web::i18n::Locale;
use crate::web::page::LANG_COOKIE;
use crate::web::query::Query;
use crate::web::{Page, cookies, flash};
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

pub async fn get_login(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    if page.user.is_some() {
        return Ok(redirect(&safe_next(q.next.as_deref())));
    }
    page.render(
        &state,
        "auth/login.html",
        context! { email => "", next => safe_next(q.next.as_deref()), errors => FieldErrors::default(), message => None::<String> },
    )
}

#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn post_login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    page: Page,
    identity: axum::Extension<Identity>,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let email = users::normalize_email(&form.email);
    let ip = peer.ip().to_string();
    let next = safe_next(form.next.as_deref());
    let show = |status: StatusCode, message: &str| {
        page.render_status(
            &state,
            status,
            "auth/login.html",
            context! { email => &form.email, next => &next, errors => FieldErrors::default(), message => message },
        )
    };
    if throttle::is_blocked(&state.db, &email, &ip, now).await? {
        return show(StatusCode::TOO_MANY_REQUESTS, "auth.throttled");
    }
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .filter(user::Column::Active.eq(true))
        .one(&state.db)
        .await?;
    // Verify against a dummy hash when there is no such user: same message, same time.
    let stored = found
        .as_ref()
        .map_or(password::dummy_hash(), |u| u.password_hash.as_str())
        .to_owned();
    let attempt = form.password.clone();
    let ok = tokio::task::spawn_blocking(move || password::verify(&attempt, &stored))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let user = match found {
        Some(u) if ok => u,
        _ => {
            throttle::record(&state.db, &email, &ip, false, now).await?;
            return show(StatusCode::UNPROCESSABLE_ENTITY, "auth.invalid");
        }
    };
    throttle::record(&state.db, &email, &ip, true, now).await?;
    crate::rollout::ready::record_sign_in(&state.db, user.id, now).await?;
    // Rotate: whatever session the browser had is ended, a fresh one is made.
    if let Some(CurrentUser {
        auth: AuthMethod::Session { id, .. },
        ..
    }) = identity.0.0.as_ref()
    {
        session::destroy(&state.db, id).await?;
    }
    let new = session::create(&state.db, user.id, now).await?;
    let secure = state.config.secure_cookies();
    let mut response = redirect(&next);
    let headers = response.headers_mut();
    append_cookie(
        headers,
        &cookies::set(session::COOKIE, &new.token, None, secure),
    );
    append_cookie(
        headers,
        &cookies::set(LANG_COOKIE, &user.locale, Some(31_536_000), secure),
    );
    Ok(response)
}

pub async fn post_logout(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    if let AuthMethod::Session { id, .. } = &user.auth {
        session::destroy(&state.db, id).await?;
    }
    let mut response = flash::redirect(&state.config, "/login", "flash.logged_out");
    append_cookie(
        response.headers_mut(),
        &cookies::clear(session::COOKIE, state.config.secure_cookies()),
    );
    Ok(response)
}

pub async fn get_account(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
) -> AppResult<Response> {
    let prefs = email_preferences(&state, user.id).await?;
    page.render(
        &state,
        "auth/account.html",
        context! { errors => FieldErrors::default(), prefs => prefs },
    )
}

/// The user's email choices, for the account page.
async fn email_preferences(state: &AppState, user_id: i64) -> AppResult<minijinja::Value> {
    let u = user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(context! { digest => u.email_digest, reminders => u.email_reminders })
}

#[derive(Deserialize, Default)]
pub struct EmailForm {
    /// Checkboxes: present when ticked.
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    reminders: Option<String>,
}

/// Turns the non-essential emails on or off. Deadlines and escalations have no switch.
pub async fn post_account_email(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<EmailForm>,
) -> AppResult<Response> {
    let found = user::Entity::find_by_id(user.id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut active: user::ActiveModel = found.into();
    active.email_digest = Set(form.digest.is_some());
    active.email_reminders = Set(form.reminders.is_some());
    active.updated_at = Set(state.clock.now());
    active.update(&state.db).await?;
    Ok(flash::redirect(&state.config, "/account", "flash.saved"))
}

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn post_account_password(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let stored = user::Entity::find_by_id(user.id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?
        .password_hash;
    let current = form.current.clone();
    let ok = tokio::task::spawn_blocking(move || password::verify(&current, &stored))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if !ok {
        errors.add("current", "account.error.current_wrong");
    }
    if form.new.chars().count() < password::MIN_LENGTH {
        errors.add("new", "account.error.password_short");
    } else if form.new != form.confirm {
        errors.add("confirm", "account.error.password_mismatch");
    }
    if !errors.is_empty() {
        return page.render_status(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "auth/account.html",
            context! { errors => errors, prefs => email_preferences(&state, user.id).await? },
        );
    }
    match users::set_password(
        &state.db,
        Some(user.id),
        user.id,
        &form.new,
        state.clock.now(),
    )
    .await
    {
        Ok(()) => {}
        Err(UserError::Other(e)) => return Err(e.into()),
        Err(e) => {
            if let Some((field, key)) = e.field_message() {
                errors.add(field, key);
            }
            return page.render_status(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "auth/account.html",
                context! { errors => errors, prefs => email_preferences(&state, user.id).await? },
            );
        }
    }
    // Changing the password ended every session, this one included: sign in again.
    Ok(flash::redirect(
        &state.config,
        "/login",
        "flash.password_changed",
    ))
}

#[derive(Deserialize, Default)]
pub struct LangForm {
    #[serde(default)]
    locale: String,
    #[serde(default)]
    next: Option<String>,
}

/// Switches the language and returns to the same page. For a signed-in user the choice is
/// stored on the account (emails follow it too).
pub async fn post_lang(
    State(state): State<AppState>,
    identity: axum::Extension<Identity>,
    Form(form): Form<LangForm>,
) -> AppResult<Response> {
    let locale = Locale::parse(&form.locale).ok_or(AppError::BadRequest("error.bad_request"))?;
    if let Some(u) = identity.0.0.as_ref() {
        let found = user::Entity::find_by_id(u.id)
            .one(&state.db)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut active: user::ActiveModel = found.into();
        active.locale = Set(locale.code().to_owned());
        active.updated_at = Set(state.clock.now());
        active.update(&state.db).await?;
    }
    let mut response = redirect(&safe_next(form.next.as_deref()));
    append_cookie(
        response.headers_mut(),
        &cookies::set(
            LANG_COOKIE,
            locale.code(),
            Some(31_536_000),
            state.config.secure_cookies(),
        ),
    );
    Ok(response)
}

pub fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

fn append_cookie(headers: &mut axum::http::HeaderMap, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        headers.append(SET_COOKIE, v);
    }
}
