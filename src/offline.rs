//! Working without a connection, for the commune officer in a village with no signal.
//!
//! Two routes serve the browser side (`static/offline.js` and the service worker): `/sw.js`,
//! the service worker at the root of the site so that it may answer for every page, and
//! `/offline/state`, the signed-in user's list of pages to keep on the phone with a fresh CSRF
//! token for sending what was queued. The writes themselves go through the ordinary routes with
//! an idempotency key (`web::idempotency`), so a queued entry sent twice is stored once.
//! `docs/offline.md` describes the whole design.

use crate::auth::{Capability, CurrentUser, Role};
use crate::entities::activity;
use crate::error::AppResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

/// The activities kept on the phone: those starting in the next 60 days...
pub const AHEAD_DAYS: i64 = 60;
/// ...and those of the last 90 days not yet logged.
pub const BEHIND_DAYS: i64 = 90;
/// At most this many activities (two pages each) are kept.
pub const MAX_ACTIVITIES: u64 = 100;

const SW_SOURCE: &str = include_str!("../static/sw.js");

/// The texts the service worker shows itself (a page never saved for offline use), in both
/// languages: it runs outside any page and does not know the user's.
const SW_TEXTS: [&str; 2] = ["offline_mode.no_copy", "offline_mode.back_home"];

/// The service worker, served from the root so that its scope is the whole app. It carries the
/// release (its cache names change with it) and its own texts.
pub async fn get_service_worker(State(state): State<AppState>) -> Response {
    let mut texts = serde_json::Map::new();
    for locale in crate::web::i18n::Locale::ALL {
        let mut one = serde_json::Map::new();
        for key in SW_TEXTS {
            one.insert(key.to_owned(), state.i18n.t(locale, key).into());
        }
        texts.insert(locale.code().to_owned(), one.into());
    }
    let body = SW_SOURCE
        .replace(
            "\"__VERSION__\"",
            &json!(env!("CARGO_PKG_VERSION")).to_string(),
        )
        .replace(
            "{} /*__TEXTS__*/",
            &serde_json::Value::Object(texts).to_string(),
        );
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // A new release must reach phones at their next visit.
            (CACHE_CONTROL, "no-cache"),
            (
                axum::http::HeaderName::from_static("service-worker-allowed"),
                "/",
            ),
        ],
        body,
    )
        .into_response()
}

/// What the phone should keep for this user, and a CSRF token to send its queue with.
pub async fn get_offline_state(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Response> {
    let today = state.clock.today();
    let mut pages = vec!["/".to_owned()];
    if user.can(Capability::WriteActivities) && user.role != Role::Leader {
        let from = today - Duration::days(BEHIND_DAYS);
        let to = today + Duration::days(AHEAD_DAYS);
        pages.push(format!("/activities?status=planned&from={from}&to={to}"));
        pages.push("/activities/new?held=1".to_owned());
        let scope = user.scope(&state).await?;
        let mut q = activity::Entity::find()
            .filter(activity::Column::Status.is_in([
                crate::activities::service::PLANNED,
                crate::activities::service::POSTPONED,
            ]))
            .filter(activity::Column::StartDate.gte(from))
            .filter(activity::Column::StartDate.lte(to));
        if !scope.all {
            q = q.filter(activity::Column::OrgUnitId.is_in(scope.ids()));
        }
        if user.role == Role::Partner {
            q = q.filter(activity::Column::AgencyId.eq(user.agency_id));
        }
        // Latest first, should a unit ever have more than the limit.
        let ids: Vec<i64> = q
            .order_by_desc(activity::Column::StartDate)
            .order_by_desc(activity::Column::Id)
            .limit(MAX_ACTIVITIES)
            .all(&state.db)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect();
        for id in ids {
            pages.push(format!("/activities/{id}"));
            pages.push(format!("/activities/{id}/log"));
        }
    }
    if user.can(Capability::EnterStats) {
        pages.push("/stats/entry".to_owned());
    }
    Ok((
        [(CACHE_CONTROL, "no-store")],
        Json(json!({
            "user_id": user.id,
            "csrf_token": user.csrf_token(),
            "updated_at": state.clock.now().to_rfc3339(),
            "pages": pages,
        })),
    )
        .into_response())
}
