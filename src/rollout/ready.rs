//! `/rollout/ready`: who is ready — per unit of a province (or any unit in scope), whether it
//! has the agencies its templates give, its people by role, whether they have signed in at
//! least once, and a plan; each gap with the link that fixes it. Computed from a handful of
//! grouped reads whatever the number of units, filtered and paged (keyset on name and id)
//! in memory.

use super::templates;
use crate::auth::{CurrentUser, Role};
use crate::entities::{agency, org_unit, plan, user, user_sign_in};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::Page;
use crate::web::query::{Query, QueryField};
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use minijinja::context;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

const PAGE: usize = 50;

/// Notes a successful sign-in: the first one stays, the last one moves.
pub async fn record_sign_in(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = user_sign_in::ActiveModel {
        user_id: Set(user_id),
        first_at: Set(now),
        last_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    user_sign_in::Entity::insert(row)
        .on_conflict(
            OnConflict::column(user_sign_in::Column::UserId)
                .update_columns([
                    user_sign_in::Column::LastAt,
                    user_sign_in::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A person of a unit, as the checklist shows them.
#[derive(Clone, Debug, Serialize)]
pub struct Person {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub signed_in: bool,
}

/// One unit's line of the checklist.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub agencies: usize,
    pub expected: usize,
    pub people: usize,
    pub roles: BTreeMap<String, usize>,
    pub signed_in: usize,
    pub pending: usize,
    pub plan: bool,
    pub ready: bool,
}

/// The checklist of the units (in their order).
pub async fn lines(
    db: &impl ConnectionTrait,
    units: &[org_unit::Model],
) -> AppResult<(Vec<Line>, HashMap<i64, Vec<Person>>)> {
    let ids: HashSet<i64> = units.iter().map(|u| u.id).collect();
    let tpl = templates::all(db).await?;
    let agencies: Vec<(i64, String, i64, bool)> = agency::Entity::find()
        .select_only()
        .columns([
            agency::Column::Id,
            agency::Column::Code,
            agency::Column::OrgUnitId,
            agency::Column::Active,
        ])
        .into_tuple()
        .all(db)
        .await?;
    let codes: HashSet<&str> = agencies.iter().map(|a| a.1.as_str()).collect();
    let unit_of: HashMap<i64, i64> = agencies.iter().map(|a| (a.0, a.2)).collect();
    let signed: HashSet<i64> = user_sign_in::Entity::find()
        .select_only()
        .column(user_sign_in::Column::UserId)
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut people: HashMap<i64, Vec<Person>> = HashMap::new();
    for u in user::Entity::find()
        .filter(user::Column::Active.eq(true))
        .all(db)
        .await?
    {
        let Some(unit) = unit_of.get(&u.agency_id).filter(|id| ids.contains(id)) else {
            continue;
        };
        people.entry(*unit).or_default().push(Person {
            id: u.id,
            signed_in: signed.contains(&u.id),
            email: u.email,
            name: u.display_name,
            role: u.role,
        });
    }
    let planned: HashSet<i64> = plan::Entity::find()
        .select_only()
        .column(plan::Column::OrgUnitId)
        .distinct()
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let lines = units
        .iter()
        .map(|u| {
            let standard = templates::standard_for(u, &tpl);
            let present = standard
                .iter()
                .filter(|s| codes.contains(s.code.as_str()))
                .count();
            let mine = people.get(&u.id).map_or(&[][..], Vec::as_slice);
            let mut roles = BTreeMap::new();
            for p in mine {
                *roles.entry(p.role.clone()).or_insert(0) += 1;
            }
            let signed_in = mine.iter().filter(|p| p.signed_in).count();
            let plan = planned.contains(&u.id);
            Line {
                id: u.id,
                code: u.code.clone(),
                name: u.name.clone(),
                agencies: present,
                expected: standard.len(),
                people: mine.len(),
                roles,
                signed_in,
                pending: mine.len() - signed_in,
                plan,
                ready: present == standard.len() && !mine.is_empty() && signed_in > 0 && plan,
            }
        })
        .collect();
    Ok((lines, people))
}

#[derive(Deserialize, Default)]
pub struct ReadyQuery {
    #[serde(default)]
    unit: Option<String>,
    /// `gaps`: only the units not ready yet.
    #[serde(default, deserialize_with = "show_text")]
    show: Option<String>,
    #[serde(default, deserialize_with = "after_id")]
    after: Option<String>,
}

// A value the page cannot read names its field (`crate::web::query`); empty is no filter.
fn show_text<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| {
        crate::web::query::check_one_of(v, "show", &["gaps"])
    })
}

fn after_id<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| crate::web::query::check_id(v, "after"))
}

#[derive(Serialize, Default)]
struct Totals {
    units: usize,
    ready: usize,
    agencies: usize,
    people: usize,
    signed_in: usize,
    plan: usize,
}

/// `GET /rollout/ready[?unit=…&show=gaps&after=…]`.
pub async fn get_ready(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Query(q): Query<ReadyQuery>,
) -> AppResult<Response> {
    let roots = super::roots(&state, &user).await?;
    let scope = super::scope(&state, &user).await?;
    let root = match q.unit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => {
            let id = raw
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| QueryField::new("unit", "rollout.ready.error.unit"))?;
            if !scope.contains(id) {
                return Err(AppError::OutOfScope);
            }
            Some(id)
        }
        None if user.role == Role::Admin => roots.first().map(|u| u.id),
        None => Some(user.org_unit_id),
    };
    let gaps = q.show.as_deref() == Some("gaps");
    let (mut shown, mut totals, mut people_of, mut root_unit) =
        (Vec::new(), Totals::default(), Vec::new(), None);
    let mut next = None;
    if let Some(root) = root {
        let units: Vec<org_unit::Model> = super::units_under(&state.db, root, &scope)
            .await?
            .into_iter()
            .filter(|u| templates::level_of(&u.kind).is_some())
            .collect();
        root_unit = units.iter().find(|u| u.id == root).cloned();
        let (all, mut people) = lines(&state.db, &units).await?;
        totals.units = all.len();
        for l in &all {
            totals.ready += usize::from(l.ready);
            totals.agencies += usize::from(l.agencies < l.expected);
            totals.people += usize::from(l.people == 0);
            totals.signed_in += usize::from(l.signed_in == 0);
            totals.plan += usize::from(!l.plan);
        }
        // The root itself first, then the rest by name (the order of `units`).
        let mut ordered: Vec<Line> = all.into_iter().filter(|l| !gaps || !l.ready).collect();
        ordered.sort_by_key(|l| l.id != root);
        let start = match q.after.as_deref().and_then(|a| a.parse::<i64>().ok()) {
            Some(after) => ordered
                .iter()
                .position(|l| l.id == after)
                .map_or(0, |i| i + 1),
            None => 0,
        };
        shown = ordered.into_iter().skip(start).take(PAGE + 1).collect();
        if shown.len() > PAGE {
            shown.truncate(PAGE);
            next = shown.last().map(|l| l.id);
        }
        if units.len() == 1 {
            people_of = people.remove(&root).unwrap_or_default();
        }
    }
    let role_codes: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
    page.render(
        &state,
        "rollout/ready.html",
        context! {
            roots => roots, root => root, root_unit => root_unit, lines => shown, totals => totals,
            gaps => gaps, next => next, people => people_of, role_codes => role_codes,
            first_page => q.after.is_none(),
        },
    )
}
