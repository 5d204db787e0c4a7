//! `/rollout/agencies`: the standard agencies of many units at once — a province's communes,
//! or the ones named — from the templates. The page previews what would be created (and what
//! exists already, by code), refuses names that would collide with another agency, and commits
//! all or nothing; a second run adds only what is missing.

use super::templates::{self, Standard};
use crate::audit;
use crate::auth::CurrentUser;
use crate::entities::{agency, org_unit};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::text::fold;
use crate::web::forms::RawForm;
use crate::web::query::Query;
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use sea_orm::{ConnectionTrait, EntityTrait, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// New agencies listed on the preview; the rest are counted.
const MAX_LISTED: usize = 300;

/// One agency to create.
#[derive(Clone, Debug, Serialize)]
pub struct NewAgency {
    pub unit_id: i64,
    pub unit: String,
    #[serde(flatten)]
    pub agency: Standard,
}

/// What a run would do, or why it cannot.
#[derive(Debug, Default)]
pub struct Plan {
    pub units: usize,
    pub new: Vec<NewAgency>,
    pub present: usize,
    /// Translation key and arguments: nothing is written while there is one.
    pub problems: Vec<(&'static str, Vec<(&'static str, String)>)>,
}

/// The units of a run: every open unit under `root` (itself included), or only those named in
/// `only` (one per line or comma, by code or name, accents and case ignored).
async fn units_of(
    db: &impl ConnectionTrait,
    root: i64,
    only: &str,
    scope: &crate::org_units::scope::Scope,
    plan: &mut Plan,
) -> AppResult<Vec<org_unit::Model>> {
    let under = super::units_under(db, root, scope).await?;
    let names: Vec<&str> = only
        .split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if names.is_empty() {
        return Ok(under);
    }
    let index = crate::imports::unit_names(&under);
    let mut chosen = Vec::new();
    let mut seen = HashSet::new();
    for name in names {
        match index.find(name) {
            [id] => {
                if seen.insert(*id)
                    && let Some(u) = under.iter().find(|u| u.id == *id)
                {
                    chosen.push(u.clone());
                }
            }
            [] => plan.problems.push((
                "rollout.agencies.error.unit",
                vec![("value", name.to_owned())],
            )),
            _ => plan.problems.push((
                "rollout.agencies.error.unit_ambiguous",
                vec![("value", name.to_owned())],
            )),
        }
    }
    Ok(chosen)
}

/// Compares the templates' agencies of the units with the agencies in the database.
pub async fn plan(
    db: &impl ConnectionTrait,
    root: i64,
    only: &str,
    scope: &crate::org_units::scope::Scope,
) -> AppResult<Plan> {
    let mut plan = Plan::default();
    let units = units_of(db, root, only, scope, &mut plan).await?;
    let templates = templates::all(db).await?;
    let existing = agency::Entity::find().all(db).await?;
    let codes: HashSet<&str> = existing.iter().map(|a| a.code.as_str()).collect();
    let mut names: HashMap<String, String> = existing
        .iter()
        .map(|a| (fold(&a.name), a.name.clone()))
        .collect();
    plan.units = units.len();
    for u in &units {
        for s in templates::standard_for(u, &templates) {
            if codes.contains(s.code.as_str()) {
                plan.present += 1;
                continue;
            }
            if names.insert(fold(&s.name), s.name.clone()).is_some() {
                plan.problems.push((
                    "rollout.agencies.error.collide",
                    vec![("name", s.name.clone()), ("unit", u.name.clone())],
                ));
                continue;
            }
            plan.new.push(NewAgency {
                unit_id: u.id,
                unit: u.name.clone(),
                agency: s,
            });
        }
    }
    Ok(plan)
}

/// Writes the plan's agencies and their audit rows, in the caller's transaction.
pub async fn apply(
    db: &impl ConnectionTrait,
    plan: &Plan,
    actor: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    for chunk in plan.new.chunks(200) {
        let rows = chunk.iter().map(|n| agency::ActiveModel {
            code: Set(n.agency.code.clone()),
            org_unit_id: Set(n.unit_id),
            name: Set(n.agency.name.clone()),
            short_name: Set(n.agency.short_name.clone()),
            kind: Set(n.agency.kind.clone()),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            // A bulk insert runs no `before_save`: the search names are set here.
            search_name: Set(agency::search_names(&n.agency.name, &n.agency.short_name).0),
            search_short: Set(agency::search_names(&n.agency.name, &n.agency.short_name).1),
            ..Default::default()
        });
        agency::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    let mut by_unit: Vec<(i64, Vec<&str>)> = Vec::new();
    for n in &plan.new {
        match by_unit.last_mut() {
            Some((id, codes)) if *id == n.unit_id => codes.push(&n.agency.code),
            _ => by_unit.push((n.unit_id, vec![&n.agency.code])),
        }
    }
    for (unit_id, codes) in by_unit {
        audit::record(
            db,
            now,
            audit::Event {
                user_id: Some(actor),
                action: "agency:create_from_templates",
                object_type: "org_unit",
                object_id: Some(unit_id),
                org_unit_id: Some(unit_id),
                change: json!({ "agencies": codes }),
            },
        )
        .await?;
    }
    Ok(())
}

#[derive(Deserialize, Default)]
pub struct RunQuery {
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    only: Option<String>,
}

/// The root unit a form names, if the user may roll out to it.
async fn root_of(state: &AppState, user: &CurrentUser, raw: &str) -> AppResult<Option<i64>> {
    let Ok(id) = raw.trim().parse::<i64>() else {
        return Ok(None);
    };
    let scope = super::scope(state, user).await?;
    if !scope.contains(id) {
        return Err(AppError::OutOfScope);
    }
    Ok(Some(id))
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    status: StatusCode,
    root: Option<i64>,
    only: &str,
    plan: Option<&Plan>,
    error: Option<&str>,
) -> AppResult<Response> {
    let roots = super::roots(state, user).await?;
    let problems: Vec<String> = plan
        .map(|p| {
            p.problems
                .iter()
                .map(|(key, args)| state.i18n.format(user.locale, key, args))
                .collect()
        })
        .unwrap_or_default();
    let listed: Vec<&NewAgency> = plan
        .map(|p| p.new.iter().take(MAX_LISTED).collect())
        .unwrap_or_default();
    page.render_status(
        state,
        status,
        "rollout/agencies.html",
        context! {
            roots => roots, root => root, only => only, previewed => plan.is_some(),
            units => plan.map_or(0, |p| p.units), present => plan.map_or(0, |p| p.present),
            new_count => plan.map_or(0, |p| p.new.len()),
            more => plan.map_or(0, |p| p.new.len().saturating_sub(MAX_LISTED)),
            new => listed, problems => problems, error => error,
            can_commit => plan.is_some_and(|p| p.problems.is_empty() && !p.new.is_empty()),
        },
    )
}

/// `GET /rollout/agencies[?unit=…&only=…]`: the form, and with a unit the preview.
pub async fn get_agencies(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Query(q): Query<RunQuery>,
) -> AppResult<Response> {
    let only = q.only.unwrap_or_default();
    let raw = q.unit.unwrap_or_default();
    if raw.trim().is_empty() {
        return render(
            &state,
            &page,
            &user,
            StatusCode::OK,
            None,
            &only,
            None,
            None,
        )
        .await;
    }
    // The choice comes from a select of ids: anything else in the address is refused naming
    // the field; an id outside the scope stays refused as such.
    crate::web::query::check_id(Some(&raw), "unit")?;
    let Some(root) = root_of(&state, &user, &raw).await? else {
        return Err(crate::web::query::QueryField::wrong("unit").into());
    };
    let scope = super::scope(&state, &user).await?;
    let p = plan(&state.db, root, &only, &scope).await?;
    let status = if p.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        &state,
        &page,
        &user,
        status,
        Some(root),
        &only,
        Some(&p),
        None,
    )
    .await
}

/// `POST /rollout/agencies` (form: `unit`, `only`): planned again inside the transaction and
/// written all or nothing.
pub async fn post_agencies(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let only = form.get("only").to_owned();
    let Some(root) = root_of(&state, &user, form.get("unit")).await? else {
        return render(
            &state,
            &page,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            &only,
            None,
            Some("rollout.agencies.error.root"),
        )
        .await;
    };
    let scope = super::scope(&state, &user).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let p = plan(&txn, root, &only, &scope).await?;
    if !p.problems.is_empty() {
        drop(txn);
        return render(
            &state,
            &page,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(root),
            &only,
            Some(&p),
            None,
        )
        .await;
    }
    let here = format!("/rollout/agencies?unit={root}");
    if p.new.is_empty() {
        drop(txn);
        return Ok(flash::redirect(
            &state.config,
            &here,
            "rollout.agencies.nothing",
        ));
    }
    apply(&txn, &p, user.id, now).await?;
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        &format!("/rollout/ready?unit={root}"),
        "rollout.agencies.done",
    ))
}
