//! Who is calling: a session cookie or an API token becomes a [`CurrentUser`] in the request
//! extensions, before any handler runs. Role checks happen per route (`enforce_access`), scope
//! checks in the domain code, never in templates.

use crate::auth::permissions::{Access, Capability, Role};
use crate::auth::{session, tokens};
use crate::entities::{agency, api_token, user};
use crate::error::{AppError, AppResult};
use crate::org_units::scope::Scope;
use crate::state::AppState;
use crate::web::cookies;
use crate::web::i18n::Locale;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::OnceCell;

#[derive(Clone, Debug, Serialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub agency_id: i64,
    pub agency_name: String,
    pub org_unit_id: i64,
    pub locale: Locale,
    #[serde(skip)]
    pub auth: AuthMethod,
    /// The scope, looked up once per request however many checks ask for it.
    #[serde(skip)]
    pub scope_cache: Arc<OnceCell<Scope>>,
}

#[derive(Clone, Debug)]
pub enum AuthMethod {
    Session { id: String, csrf_token: String },
    ApiToken,
}

impl CurrentUser {
    pub fn can(&self, cap: Capability) -> bool {
        self.role.can(cap)
    }

    pub fn require(&self, cap: Capability) -> AppResult<()> {
        if self.can(cap) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The org units this user may see: their own unit's subtree, predecessors included
    /// (everything for an administrator).
    pub async fn scope(&self, state: &AppState) -> AppResult<Scope> {
        self.scope_cache
            .get_or_try_init(|| scope_of(&state.db, self.role, self.org_unit_id))
            .await
            .cloned()
    }

    pub fn csrf_token(&self) -> Option<&str> {
        match &self.auth {
            AuthMethod::Session { csrf_token, .. } => Some(csrf_token),
            AuthMethod::ApiToken => None,
        }
    }
}

/// The scope of a user of this role in this unit. Also used where the user is not the caller
/// (a calendar feed is fetched without a session, with its owner's rights).
pub async fn scope_of(
    db: &impl sea_orm::ConnectionTrait,
    role: Role,
    org_unit_id: i64,
) -> AppResult<Scope> {
    if role == Role::Admin {
        return Scope::all(db, org_unit_id).await;
    }
    Scope::of_unit(db, org_unit_id).await
}

/// What the identity middleware found; `None` for anonymous callers.
#[derive(Clone, Debug, Default)]
pub struct Identity(pub Option<CurrentUser>);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Identity>()
            .and_then(|i| i.0.clone())
            .ok_or(AppError::Unauthenticated)
    }
}

pub async fn identify(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let bearer = bearer_token(&req).map(str::to_owned);
    let cookie = cookies::get(req.headers(), session::COOKIE);
    match resolve(&state, bearer, cookie).await {
        Ok(identity) => {
            let identity = Identity(identity);
            req.extensions_mut().insert(identity.clone());
            let mut response = next.run(req).await;
            // The error renderer, outside this layer, needs to know who asked.
            response.extensions_mut().insert(identity);
            response
        }
        Err(err) => axum::response::IntoResponse::into_response(err),
    }
}

async fn resolve(
    state: &AppState,
    bearer: Option<String>,
    cookie: Option<String>,
) -> AppResult<Option<CurrentUser>> {
    let now = state.clock.now();
    if let Some(bearer) = bearer {
        let hash = tokens::sha256_hex(&bearer);
        let token = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(hash))
            .filter(api_token::Column::RevokedAt.is_null())
            .one(&state.db)
            .await?;
        let Some(token) = token else {
            return Err(AppError::Unauthenticated);
        };
        if token
            .last_used_at
            .is_none_or(|t| t + chrono::Duration::minutes(1) <= now)
        {
            let mut active: api_token::ActiveModel = token.clone().into();
            active.last_used_at = Set(Some(now));
            active.update(&state.db).await?;
        }
        return load_user(state, token.user_id, AuthMethod::ApiToken).await;
    }
    let Some(cookie) = cookie else {
        return Ok(None);
    };
    let Some(live) = session::load(&state.db, &cookie, now).await? else {
        return Ok(None);
    };
    let method = AuthMethod::Session {
        id: live.id,
        csrf_token: live.csrf_token,
    };
    load_user(state, live.user_id, method).await
}

fn bearer_token(req: &Request) -> Option<&str> {
    req.headers()
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn load_user(
    state: &AppState,
    user_id: i64,
    auth: AuthMethod,
) -> AppResult<Option<CurrentUser>> {
    let found = user::Entity::find_by_id(user_id)
        .find_also_related(agency::Entity)
        .one(&state.db)
        .await?;
    let Some((u, Some(a))) = found else {
        return Ok(None);
    };
    if !u.active {
        return Ok(None);
    }
    let Some(role) = Role::parse(&u.role) else {
        return Ok(None);
    };
    Ok(Some(CurrentUser {
        id: u.id,
        email: u.email,
        display_name: u.display_name,
        role,
        agency_id: a.id,
        agency_name: a.name,
        org_unit_id: a.org_unit_id,
        locale: Locale::parse(&u.locale).unwrap_or_default(),
        auth,
        scope_cache: Arc::default(),
    }))
}

/// The per-route access check, installed by the router on every route.
pub async fn enforce_access(State(access): State<Access>, req: Request, next: Next) -> Response {
    let role = req
        .extensions()
        .get::<Identity>()
        .and_then(|i| i.0.as_ref())
        .map(|u| u.role);
    if access.allows(role) {
        next.run(req).await
    } else if role.is_none() {
        axum::response::IntoResponse::into_response(AppError::Unauthenticated)
    } else {
        axum::response::IntoResponse::into_response(AppError::Forbidden)
    }
}
