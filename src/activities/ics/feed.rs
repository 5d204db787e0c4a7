//! `GET /ics/{token}.ics`: the calendar feed itself. Calendar apps cannot sign in, so the token
//! in the address is the credential: it is looked up by its SHA-256, and the feed is served with
//! its owner's rights as they are now — a revoked token, a deactivated owner or a unit that has
//! left the owner's scope answers an empty 404 at the next fetch.

use crate::activities::ics::format::{self, Event, Status, When};
use crate::activities::service::{CANCELLED, POSTPONED, status_label};
use crate::auth::identity::scope_of;
use crate::auth::{Role, tokens};
use crate::entities::{activity, agency, code, ics_token, org_unit, user};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::errors::SendAsIs;
use crate::web::i18n::Locale;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Months, NaiveDate, NaiveTime};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

pub const KIND_UNIT: &str = "unit";
pub const KIND_USER: &str = "user";

/// The feed covers activities that end at most this long ago...
const MONTHS_BACK: u32 = 12;
/// ...and start at most this far ahead: last year's work for reference, the plan ahead.
const MONTHS_AHEAD: u32 = 18;

/// The token as it appears in the address: the secret, with or without the `.ics` that some
/// calendar apps need to recognise a feed.
fn secret_of(segment: &str) -> Option<&str> {
    let secret = segment.strip_suffix(".ics").unwrap_or(segment);
    (secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit())).then_some(secret)
}

pub async fn get_ics_feed(
    State(state): State<AppState>,
    Path(segment): Path<String>,
) -> AppResult<Response> {
    let Some(secret) = secret_of(&segment) else {
        return Ok(not_found());
    };
    let Some(feed) = resolve(&state, secret).await? else {
        return Ok(not_found());
    };
    let body = render(&state, &feed).await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-cache"),
        ],
        body,
    )
        .into_response())
}

/// An empty 404: nothing tells a made-up token from a revoked one.
fn not_found() -> Response {
    let mut response = StatusCode::NOT_FOUND.into_response();
    response.extensions_mut().insert(SendAsIs);
    response
}

/// What a valid token gives access to.
struct Feed {
    name: String,
    locale: Locale,
    units: Vec<i64>,
    /// For a user feed: activities organised by this agency or created by this user.
    organiser: Option<(i64, i64)>,
}

/// The feed of a token, if the token, its owner and (for a unit feed) the unit's place in the
/// owner's scope all still hold.
async fn resolve(state: &AppState, secret: &str) -> AppResult<Option<Feed>> {
    let db = &state.db;
    let Some(token) = ics_token::Entity::find()
        .filter(ics_token::Column::TokenHash.eq(tokens::sha256_hex(secret)))
        .filter(ics_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some((owner, Some(owner_agency))) = user::Entity::find_by_id(token.user_id)
        .find_also_related(agency::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(role) = Role::parse(&owner.role).filter(|_| owner.active) else {
        return Ok(None);
    };
    let owner_scope = scope_of(db, role, owner_agency.org_unit_id).await?;
    let locale = Locale::parse(&owner.locale).unwrap_or_default();
    match (token.kind.as_str(), token.org_unit_id) {
        (KIND_UNIT, Some(unit_id)) if owner_scope.contains(unit_id) => {
            let Some(unit) = org_unit::Entity::find_by_id(unit_id).one(db).await? else {
                return Ok(None);
            };
            let units = crate::org_units::scope::Scope::of_unit(db, unit_id).await?;
            Ok(Some(Feed {
                name: unit.name,
                locale,
                units: units.ids(),
                organiser: None,
            }))
        }
        // Also limited to the owner's scope today: someone moved to another unit does not
        // keep following the activities they created in the old one.
        (KIND_USER, _) => Ok(Some(Feed {
            name: format!("{} · {}", owner.display_name, owner_agency.short_name),
            locale,
            units: owner_scope.ids(),
            organiser: Some((owner_agency.id, owner.id)),
        })),
        _ => Ok(None),
    }
}

async fn render(state: &AppState, feed: &Feed) -> AppResult<String> {
    let db = &state.db;
    let today = state.clock.today();
    let from = today
        .checked_sub_months(Months::new(MONTHS_BACK))
        .unwrap_or(today);
    let to = today
        .checked_add_months(Months::new(MONTHS_AHEAD))
        .unwrap_or(today);
    let mut query = activity::Entity::find()
        .filter(activity::Column::OrgUnitId.is_in(feed.units.iter().copied()))
        .filter(activity::Column::EndDate.gte(from))
        .filter(activity::Column::StartDate.lte(to));
    if let Some((agency_id, user_id)) = feed.organiser {
        query = query.filter(
            Condition::any()
                .add(activity::Column::AgencyId.eq(agency_id))
                .add(activity::Column::CreatedBy.eq(user_id)),
        );
    }
    let activities = query
        .order_by_asc(activity::Column::StartDate)
        .order_by_asc(activity::Column::Id)
        .all(db)
        .await?;
    let names = Names::load(state, feed.locale, &activities).await?;
    let events: Vec<Event> = activities.iter().map(|a| names.event(a)).collect();
    Ok(format::calendar(&feed.name, &events))
}

/// The names an event's description shows, read once per feed.
struct Names<'a> {
    state: &'a AppState,
    locale: Locale,
    types: HashMap<i64, String>,
    units: HashMap<i64, String>,
    agencies: HashMap<i64, String>,
}

impl<'a> Names<'a> {
    async fn load(
        state: &'a AppState,
        locale: Locale,
        activities: &[activity::Model],
    ) -> AppResult<Names<'a>> {
        let ids = |f: fn(&activity::Model) -> i64| {
            let mut v: Vec<i64> = activities.iter().map(f).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let types = code::Entity::find()
            .filter(code::Column::List.eq("activity_type"))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|c| {
                let name = match locale {
                    Locale::Vi => c.name_vi,
                    Locale::En => c.name_en,
                };
                (c.id, name)
            })
            .collect();
        let units = org_unit::Entity::find()
            .filter(org_unit::Column::Id.is_in(ids(|a| a.org_unit_id)))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        let agencies = agency::Entity::find()
            .filter(agency::Column::Id.is_in(ids(|a| a.agency_id)))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect();
        Ok(Names {
            state,
            locale,
            types,
            units,
            agencies,
        })
    }

    fn t<'k>(&'k self, key: &'k str) -> &'k str {
        self.state.i18n.t(self.locale, key)
    }

    /// The VEVENT of an activity. The description names the type, the unit, the organiser and
    /// the status only: notes and free-text descriptions stay in the app.
    fn event(&self, a: &activity::Model) -> Event {
        let name = |map: &HashMap<i64, String>, id: i64| map.get(&id).cloned().unwrap_or_default();
        let status = match a.status.as_str() {
            CANCELLED => Status::Cancelled,
            POSTPONED => Status::Tentative,
            _ => Status::Confirmed,
        };
        let description = [
            ("calendar.event.type", name(&self.types, a.activity_type_id)),
            ("calendar.event.unit", name(&self.units, a.org_unit_id)),
            ("calendar.event.agency", name(&self.agencies, a.agency_id)),
            (
                "calendar.event.status",
                status_label(&self.state.i18n, self.locale, &a.status),
            ),
        ]
        .iter()
        .map(|(label, value)| format!("{}: {value}", self.t(label)))
        .collect::<Vec<_>>()
        .join("\n");
        Event {
            uid: format!("activity-{}@kehoach", a.id),
            sequence: a.version,
            created: a.created_at,
            modified: a.updated_at,
            when: when(a),
            summary: a.title.clone(),
            location: a.place.clone(),
            description,
            status,
        }
    }
}

/// All-day unless the activity has a start time. A timed activity without an end time is given
/// one hour on a single day, or runs to the end of its last day when it spans several.
fn when(a: &activity::Model) -> When {
    let time = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
    };
    let Some(start_time) = time(&a.start_time) else {
        return When::AllDay {
            first: a.start_date,
            last: a.end_date.max(a.start_date),
        };
    };
    let start = a.start_date.and_time(start_time);
    let end = match time(&a.end_time) {
        Some(end_time) => a.end_date.and_time(end_time),
        None if a.end_date > a.start_date => day_after(a.end_date).and_time(NaiveTime::MIN),
        None => start + Duration::hours(1),
    };
    // RFC 5545 wants DTEND after DTSTART; a zero-length activity gets the same hour.
    let end = if end > start {
        end
    } else {
        start + Duration::hours(1)
    };
    When::Timed { start, end }
}

fn day_after(d: NaiveDate) -> NaiveDate {
    d.succ_opt().unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_may_come_with_or_without_its_suffix() {
        let t = "ab".repeat(32);
        assert_eq!(secret_of(&format!("{t}.ics")), Some(t.as_str()));
        assert_eq!(secret_of(&t), Some(t.as_str()));
        assert_eq!(secret_of("abc.ics"), None);
        assert_eq!(secret_of(&format!("{}.ics", "zz".repeat(32))), None);
    }
}
