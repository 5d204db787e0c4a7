//! The pages of coordination tasks: the board by status (late and escalated first), the inbox
//! of an agency, the task page with its thread and history, and the forms.

use crate::auth::{Capability, CurrentUser, Role};
use crate::entities::{
    activity, agency, audit_event, code, coordination_task, org_unit, task_activity, task_comment,
    task_outcome, user,
};
use crate::error::{AppError, AppResult};
use crate::org_units::scope::Scope;
use crate::state::AppState;
use crate::tasks::access;
use crate::tasks::service::{self, Actor, Change, NewTask, TaskError};
use crate::web::format::parse_date;
use crate::web::forms::{FieldErrors, FormValues, RawForm, non_empty};
use crate::web::query::Query;
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use minijinja::{Value, context};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A task as the pages show it.
#[derive(Serialize)]
pub struct TaskRow {
    pub task: coordination_task::Model,
    pub kind: String,
    pub lead: String,
    pub partner: String,
    pub late: Option<service::Lateness>,
}

/// The agencies named by `agency_ids` (the tasks on a page: their leads and partners, not
/// every agency of the country) and the code lists.
async fn names(
    state: &AppState,
    agency_ids: impl IntoIterator<Item = i64>,
) -> AppResult<(HashMap<i64, agency::Model>, HashMap<i64, code::Model>)> {
    let mut ids: Vec<i64> = agency_ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    // Past 300 (a national inbox names thousands), the table read whole: cheaper than a
    // statement with a parameter per agency (90 ms on PostgreSQL at 3,300).
    let mut q = agency::Entity::find();
    if ids.len() <= 300 {
        q = q.filter(agency::Column::Id.is_in(ids.iter().copied()));
    }
    let agencies = q
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|a| ids.binary_search(&a.id).is_ok())
        .map(|a| (a.id, a))
        .collect();
    let codes = code::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok((agencies, codes))
}

pub async fn rows_of(
    state: &AppState,
    user: &CurrentUser,
    tasks: Vec<coordination_task::Model>,
) -> AppResult<Vec<TaskRow>> {
    let (agencies, codes) = names(
        state,
        tasks
            .iter()
            .flat_map(|t| [t.lead_agency_id, t.partner_agency_id]),
    )
    .await?;
    let today = state.clock.today();
    let name = |id: i64| {
        agencies
            .get(&id)
            .map(|a| a.short_name.clone())
            .unwrap_or_default()
    };
    let mut rows: Vec<TaskRow> = tasks
        .into_iter()
        .map(|t| TaskRow {
            kind: codes
                .get(&t.kind_id)
                .map(|c| crate::codes::name(c, user.locale).to_owned())
                .unwrap_or_default(),
            lead: name(t.lead_agency_id),
            partner: name(t.partner_agency_id),
            late: service::lateness(&t, today),
            task: t,
        })
        .collect();
    // Late and escalated first, then by due date.
    rows.sort_by_key(|r| (r.late.is_none(), r.task.due_date, r.task.id));
    Ok(rows)
}

/// The condition that limits tasks to those the user may see (see `access`).
pub async fn visible(state: &AppState, user: &CurrentUser, scope: &Scope) -> AppResult<Condition> {
    let own = Condition::any()
        .add(coordination_task::Column::LeadAgencyId.eq(user.agency_id))
        .add(coordination_task::Column::PartnerAgencyId.eq(user.agency_id));
    if user.role == Role::Partner {
        return Ok(own);
    }
    if scope.all {
        return Ok(Condition::all());
    }
    let agencies_in_scope: Vec<i64> = agency::Entity::find()
        .filter(agency::Column::OrgUnitId.is_in(scope.ids()))
        .select_only()
        .column(agency::Column::Id)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(own.add(coordination_task::Column::LeadAgencyId.is_in(agencies_in_scope)))
}

#[derive(Deserialize, Default, Serialize, Clone)]
pub struct TaskFilter {
    #[serde(default, deserialize_with = "kind_id")]
    kind: Option<String>,
    #[serde(default)]
    agency: Option<String>,
    #[serde(default, deserialize_with = "item_id")]
    item: Option<String>,
    #[serde(default, deserialize_with = "crate::web::query::from_date")]
    from: Option<String>,
    #[serde(default, deserialize_with = "crate::web::query::to_date")]
    to: Option<String>,
    #[serde(default, deserialize_with = "status_text")]
    status: Option<String>,
    /// Words of the title (accents ignored); the board only, not the exports.
    #[serde(default)]
    q: Option<String>,
    /// The board's keyset cursor: the due date and id of the last task shown ("2025-06-30_42").
    #[serde(default, deserialize_with = "cursor_text")]
    after: Option<String>,
}

// A filter that cannot be read names its field (`crate::web::query`); an empty one is no filter.
// The agency is a picker: words naming no agency of the scope are a 422 at the field.
fn kind_id<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| crate::web::query::check_id(v, "kind"))
}

fn item_id<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| crate::web::query::check_id(v, "item"))
}

fn status_text<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| {
        crate::web::query::check_one_of(v, "status", &service::STATUSES)
    })
}

fn cursor_text<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::checked(de, |v| match crate::web::query::given(v) {
        Some(c) if crate::activities::repo::parse_cursor(c).is_none() => {
            Err(crate::web::query::QueryField::wrong("after"))
        }
        _ => Ok(()),
    })
}

impl TaskFilter {
    /// The exports take the agency by id only (the board resolves typed words through its
    /// picker): anything else is refused, naming the field.
    pub fn check_agency_id(&self) -> Result<(), crate::web::query::QueryField> {
        crate::web::query::check_id(self.agency.as_deref(), "agency")
    }

    pub fn condition(&self) -> Condition {
        let id = |v: &Option<String>| v.as_deref().and_then(|s| s.parse::<i64>().ok());
        let mut c = Condition::all();
        if let Some(k) = id(&self.kind) {
            c = c.add(coordination_task::Column::KindId.eq(k));
        }
        if let Some(a) = id(&self.agency) {
            c = c.add(
                Condition::any()
                    .add(coordination_task::Column::LeadAgencyId.eq(a))
                    .add(coordination_task::Column::PartnerAgencyId.eq(a)),
            );
        }
        if let Some(i) = id(&self.item) {
            c = c.add(coordination_task::Column::PlanItemId.eq(i));
        }
        if let Some(f) = self.from.as_deref().and_then(parse_date) {
            c = c.add(coordination_task::Column::DueDate.gte(f));
        }
        if let Some(t) = self.to.as_deref().and_then(parse_date) {
            c = c.add(coordination_task::Column::RequestedOn.lte(t));
        }
        if let Some(s) = self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| service::STATUSES.contains(s))
        {
            c = c.add(coordination_task::Column::Status.eq(s));
        }
        c
    }

    /// Tasks due after the cursor, in the board's order (due date, then id).
    fn after_cursor(&self) -> Condition {
        let Some((date, id)) = self
            .after
            .as_deref()
            .and_then(crate::activities::repo::parse_cursor)
        else {
            return Condition::all();
        };
        Condition::all()
            .add(coordination_task::Column::DueDate.gte(date))
            .add(
                Condition::any()
                    .add(coordination_task::Column::DueDate.gt(date))
                    .add(coordination_task::Column::Id.gt(id)),
            )
    }

    /// The link to the page after `last`, with the same filters.
    fn next_link(&self, last: &coordination_task::Model) -> String {
        let mut next = self.clone();
        next.after = Some(format!("{}_{}", last.due_date, last.id));
        format!(
            "/tasks?{}",
            serde_urlencoded::to_string(&next).unwrap_or_default()
        )
    }
}

/// Tasks on one page of the board.
const BOARD_PAGE: usize = 100;

/// The condition of a late task (`service::lateness`): requested and past its
/// acknowledgement date, or open and past its due date.
fn late_condition(today: chrono::NaiveDate) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(coordination_task::Column::Status.eq(service::REQUESTED))
                .add(coordination_task::Column::AckDueDate.lt(today)),
        )
        .add(
            Condition::all()
                .add(coordination_task::Column::Status.is_in([
                    service::REQUESTED,
                    service::ACKNOWLEDGED,
                    service::IN_PROGRESS,
                ]))
                .add(coordination_task::Column::DueDate.lt(today)),
        )
}

/// A page of the board: the tasks the user sees kept by the filter, in due-date order after
/// the cursor, whether more follow, and how many of all the tasks the filter keeps (on every
/// page, not only this one) are late. Words of the title are matched in Rust (folded, as
/// everywhere): the matching ids are found on a narrow read of id, title and due date, and
/// only the page's tasks are read whole.
async fn board_page(
    state: &AppState,
    user: &CurrentUser,
    scope: &Scope,
    filter: &TaskFilter,
    agency: Option<i64>,
) -> AppResult<(Vec<coordination_task::Model>, bool, u64)> {
    let mut filtered = Condition::all()
        .add(visible(state, user, scope).await?)
        .add(filter.condition());
    if let Some(a) = agency {
        filtered = filtered.add(
            Condition::any()
                .add(coordination_task::Column::LeadAgencyId.eq(a))
                .add(coordination_task::Column::PartnerAgencyId.eq(a)),
        );
    }
    let today = state.clock.today();
    let words = crate::web::search::words(filter.q.as_deref().unwrap_or(""));
    let (mut tasks, late) = if words.is_empty() {
        let ordered = coordination_task::Entity::find()
            .filter(filtered.clone().add(filter.after_cursor()))
            .order_by_asc(coordination_task::Column::DueDate)
            .order_by_asc(coordination_task::Column::Id);
        let late = coordination_task::Entity::find()
            .filter(filtered.add(late_condition(today)))
            .count(&state.db)
            .await?;
        (
            ordered.limit(BOARD_PAGE as u64 + 1).all(&state.db).await?,
            late,
        )
    } else {
        // The titles of every task the filters keep, read once (id, due date, title), folded
        // and matched here; the late ones among the matches are counted, and the page is the
        // matches after the cursor, in the same (due date, id) order.
        let late_ids: std::collections::HashSet<i64> = coordination_task::Entity::find()
            .filter(filtered.clone().add(late_condition(today)))
            .select_only()
            .column(coordination_task::Column::Id)
            .into_tuple::<i64>()
            .all(&state.db)
            .await?
            .into_iter()
            .collect();
        let matching: Vec<(chrono::NaiveDate, i64)> = coordination_task::Entity::find()
            .filter(filtered)
            .order_by_asc(coordination_task::Column::DueDate)
            .order_by_asc(coordination_task::Column::Id)
            .select_only()
            .column(coordination_task::Column::DueDate)
            .column(coordination_task::Column::Id)
            .column(coordination_task::Column::Title)
            .into_tuple::<(chrono::NaiveDate, i64, String)>()
            .all(&state.db)
            .await?
            .into_iter()
            .filter(|(_, _, title)| {
                crate::web::search::matches(&words, &[&crate::text::fold(title)])
            })
            .map(|(due, id, _)| (due, id))
            .collect();
        let late = matching
            .iter()
            .filter(|(_, id)| late_ids.contains(id))
            .count() as u64;
        let after = filter
            .after
            .as_deref()
            .and_then(crate::activities::repo::parse_cursor);
        let ids: Vec<i64> = matching
            .into_iter()
            .filter(|key| after.is_none_or(|cursor| *key > cursor))
            .map(|(_, id)| id)
            .take(BOARD_PAGE + 1)
            .collect();
        let mut found = coordination_task::Entity::find()
            .filter(coordination_task::Column::Id.is_in(ids))
            .all(&state.db)
            .await?;
        found.sort_by_key(|t| (t.due_date, t.id));
        (found, late)
    };
    let more = tasks.len() > BOARD_PAGE;
    tasks.truncate(BOARD_PAGE);
    Ok((tasks, more, late))
}

pub async fn get_tasks(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Query(filter): Query<TaskFilter>,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    let raw_agency = filter.agency.clone().unwrap_or_default();
    // The whole country with the agency filter empty: the picker is a bare search box (more
    // agencies than a select shows) and needs none of the choices, so the 3,300 agencies and
    // their units are not read for nothing. Otherwise every readable agency, to resolve what
    // was typed or to fill the select.
    let agency_choices = if scope.all
        && raw_agency.trim().is_empty()
        && agency::Entity::find()
            .filter(agency::Column::Active.eq(true))
            .count(&state.db)
            .await?
            > crate::web::search::SELECT_MAX as u64
    {
        None
    } else {
        Some(crate::agencies::choices(
            crate::agencies::for_user(&state, &user).await?,
        ))
    };
    let mut errors = FieldErrors::default();
    let agency = match crate::web::search::resolve(
        agency_choices.as_deref().unwrap_or_default(),
        &raw_agency,
    ) {
        Ok(id) => Some(id),
        Err(crate::web::search::Unresolved::Empty) => None,
        // An agency of another scope named by id, or words matching none or several: the
        // board is not filtered by a guess; the field says why.
        Err(why) => {
            errors.add("agency", why.key());
            None
        }
    };
    let mut unfiltered = filter.clone();
    unfiltered.agency = None;
    let (tasks, more, escalated) = if errors.is_empty() {
        board_page(&state, &user, &scope, &unfiltered, agency).await?
    } else {
        (Vec::new(), false, 0)
    };
    let next = more
        .then(|| tasks.last().map(|t| filter.next_link(t)))
        .flatten();
    let first = filter.after.is_some().then(|| {
        let mut from_start = filter.clone();
        from_start.after = None;
        format!(
            "/tasks?{}",
            serde_urlencoded::to_string(&from_start).unwrap_or_default()
        )
    });
    let rows = rows_of(&state, &user, tasks).await?;
    // An agency the picker cannot resolve lists nothing and says why at the field: a 422.
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let columns: Vec<(&str, Vec<&TaskRow>)> = service::STATUSES
        .iter()
        .map(|s| (*s, rows.iter().filter(|r| r.task.status == *s).collect()))
        .collect();
    let kinds = crate::codes::list(&state.db, "task_kind").await?;
    let agencies = match agency_choices {
        Some(choices) => crate::web::search::Picker::new(choices, &raw_agency),
        None => crate::web::search::Picker::search_box(),
    };
    page.render_status(
        &state,
        status,
        "tasks/board.html",
        context! {
            columns => columns, escalated => escalated, filter => filter, kinds => kinds, agencies => agencies,
            statuses => service::STATUSES, errors => errors,
            list => context! { next => next, first => first },
            can_create => user.can(Capability::WriteTasks),
        },
    )
}

/// Escalated tasks listed in an inbox, the longest overdue first; the rest are counted.
pub const INBOX_ESCALATED: usize = 50;

pub async fn get_inbox(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    let open = [
        service::REQUESTED,
        service::ACKNOWLEDGED,
        service::IN_PROGRESS,
    ];
    let asked = coordination_task::Entity::find()
        .filter(coordination_task::Column::PartnerAgencyId.eq(user.agency_id))
        .filter(coordination_task::Column::Status.is_in(open))
        .all(&state.db)
        .await?;
    let requested = coordination_task::Entity::find()
        .filter(coordination_task::Column::LeadAgencyId.eq(user.agency_id))
        .filter(coordination_task::Column::Status.is_in(open))
        .all(&state.db)
        .await?;
    // Escalated tasks of the units below: their lead agency's unit lies strictly under ours.
    // A national inbox holds thousands: the longest overdue are shown (`INBOX_ESCALATED`), the
    // rest counted.
    let today = state.clock.today();
    let late = Condition::all()
        .add(coordination_task::Column::Status.is_in(open))
        .add(
            Condition::any()
                .add(coordination_task::Column::DueDate.lt(today))
                .add(
                    Condition::all()
                        .add(coordination_task::Column::Status.eq(service::REQUESTED))
                        .add(coordination_task::Column::AckDueDate.lt(today)),
                ),
        );
    let (escalated, escalated_total) = if user.role == Role::Partner {
        (Vec::new(), 0)
    } else if scope.all {
        // Every unit but ours, named in SQL: no statement with a parameter per unit or agency
        // (45–95 ms each on PostgreSQL at 3,300), counted and paged in SQL.
        let others = sea_orm::sea_query::Query::select()
            .column(agency::Column::Id)
            .from(agency::Entity)
            .and_where(agency::Column::OrgUnitId.ne(user.org_unit_id))
            .to_owned();
        let q = coordination_task::Entity::find()
            .filter(late)
            .filter(coordination_task::Column::LeadAgencyId.in_subquery(others));
        let total = q.clone().count(&state.db).await?;
        let shown = q
            .order_by_asc(coordination_task::Column::DueDate)
            .order_by_asc(coordination_task::Column::Id)
            .limit(INBOX_ESCALATED as u64)
            .all(&state.db)
            .await?;
        (shown, total)
    } else {
        let below: Vec<i64> = scope
            .ids()
            .into_iter()
            .filter(|u| *u != user.org_unit_id)
            .collect();
        // A scope of many units (a large province): the agencies read whole and the late tasks
        // kept in Rust, rather than a statement with a parameter per unit.
        const MANY: usize = 300;
        let large = below.len() > MANY;
        let below_set: std::collections::HashSet<i64> = below.iter().copied().collect();
        let mut agencies_below = agency::Entity::find();
        if !large {
            agencies_below = agencies_below.filter(agency::Column::OrgUnitId.is_in(below));
        }
        let below_agencies: std::collections::HashSet<i64> = agencies_below
            .select_only()
            .column(agency::Column::Id)
            .column(agency::Column::OrgUnitId)
            .into_tuple::<(i64, i64)>()
            .all(&state.db)
            .await?
            .into_iter()
            .filter(|(_, unit)| below_set.contains(unit))
            .map(|(id, _)| id)
            .collect();
        let mut q = coordination_task::Entity::find().filter(late);
        if !large {
            q = q.filter(
                coordination_task::Column::LeadAgencyId.is_in(below_agencies.iter().copied()),
            );
        }
        let mut found: Vec<coordination_task::Model> = q
            .all(&state.db)
            .await?
            .into_iter()
            .filter(|t| below_agencies.contains(&t.lead_agency_id))
            .collect();
        found.sort_by_key(|t| (t.due_date, t.id));
        let total = found.len() as u64;
        found.truncate(INBOX_ESCALATED);
        (found, total)
    };
    page.render(
        &state,
        "tasks/inbox.html",
        context! {
            asked => rows_of(&state, &user, asked).await?,
            requested => rows_of(&state, &user, requested).await?,
            escalated => rows_of(&state, &user, escalated).await?,
            escalated_total => escalated_total,
            escalated_cap => INBOX_ESCALATED,
        },
    )
}

async fn show_form(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    status: StatusCode,
    values: Value,
    errors: FieldErrors,
) -> AppResult<Response> {
    let scope = user.scope(state).await?;
    let plan_units =
        crate::plans::repo::readable_units(&state.db, &scope, user.org_unit_id).await?;
    let mut plans = Vec::new();
    for (p, items) in crate::activities::service::plan_items_for(&state.db, &plan_units).await? {
        let items: Vec<(i64, String)> = items
            .iter()
            .map(|i| (i.id, crate::activities::repo::item_title(i)))
            .collect();
        plans.push(context! { title => p.title, items => items });
    }
    let (leads, partners) = task_agencies(state, user, &scope).await?;
    let raw = |name: &str| {
        values
            .get_attr(name)
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_none())
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let leads = crate::web::search::Picker::new(leads, &raw("lead_agency_id"));
    let partners = crate::web::search::Picker::new(partners, &raw("partner_agency_id"));
    page.render_status(
        state,
        status,
        "tasks/form.html",
        context! {
            kinds => crate::codes::list(&state.db, "task_kind").await?, plans => plans,
            leads => leads, partners => partners,
            values => values, errors => errors,
        },
    )
}

/// The agencies a task form offers as lead (the user's own, or for a planner or compiler those
/// of their scope) and as partner (the active agencies of the scope and the units above it).
async fn task_agencies(
    state: &AppState,
    user: &CurrentUser,
    scope: &Scope,
) -> AppResult<(
    Vec<crate::web::search::Choice>,
    Vec<crate::web::search::Choice>,
)> {
    let plan_units = crate::plans::repo::readable_units(&state.db, scope, user.org_unit_id).await?;
    let all = crate::agencies::list_in(&state.db, Some(&plan_units)).await?;
    let leads = all
        .iter()
        .filter(|a| {
            a.agency.id == user.agency_id
                || (matches!(user.role, Role::Planner | Role::Compiler)
                    && scope.contains(a.agency.org_unit_id))
        })
        .cloned()
        .collect();
    Ok((
        crate::agencies::choices(leads),
        crate::agencies::choices(all),
    ))
}

/// The agencies a task can be handed to: the active agencies of the user's scope and the
/// units above it that are in force today (`check_reach` holds the same line).
async fn reassign_choices(
    state: &AppState,
    user: &CurrentUser,
) -> AppResult<Vec<crate::web::search::Choice>> {
    Ok(crate::agencies::choices(
        crate::agencies::for_user(state, user).await?,
    ))
}

/// An agency picker's value: the id it names among `choices`, or 0 and the message at its field.
fn agency_field(
    form: &RawForm,
    field: &str,
    choices: &[crate::web::search::Choice],
    errors: &mut FieldErrors,
) -> i64 {
    crate::web::search::resolve(choices, form.get(field)).unwrap_or_else(|why| {
        errors.add(field, why.key());
        0
    })
}

pub async fn get_new_task(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
) -> AppResult<Response> {
    let today = state.clock.today();
    let mut v = BTreeMap::new();
    v.insert("lead_agency_id".to_owned(), user.agency_id.to_string());
    v.insert(
        "ack_due_date".to_owned(),
        (today + Duration::days(3)).to_string(),
    );
    v.insert(
        "due_date".to_owned(),
        (today + Duration::days(30)).to_string(),
    );
    show_form(
        &state,
        &page,
        &user,
        StatusCode::OK,
        Value::from_object(FormValues(v)),
        FieldErrors::default(),
    )
    .await
}

fn actor(state: &AppState, user: &CurrentUser) -> Actor {
    Actor {
        user_id: user.id,
        now: state.clock.now(),
        today: state.clock.today(),
    }
}

/// A task names only agencies and plan items of the units in the user's scope and above it:
/// the forms offer no others, and a crafted post must not reach into another district.
async fn check_reach(
    state: &AppState,
    user: &CurrentUser,
    partner_agency_id: i64,
    plan_item_id: Option<i64>,
    errors: &mut FieldErrors,
) -> AppResult<()> {
    let units = crate::agencies::readable_units(state, user).await?;
    let partner_ok = agency::Entity::find_by_id(partner_agency_id)
        .one(&state.db)
        .await?
        .is_some_and(|a| units.contains(&a.org_unit_id));
    if !partner_ok {
        errors.add("partner_agency_id", "form.choose");
    }
    if let Some(item) = plan_item_id {
        let unit = crate::plans::repo::unit_of_item(&state.db, item).await?;
        if unit.is_none_or(|u| !units.contains(&u)) {
            errors.add("plan_item_id", "form.choose");
        }
    }
    Ok(())
}

fn id_field(form: &RawForm, field: &str, errors: &mut FieldErrors) -> i64 {
    form.get(field).trim().parse().unwrap_or_else(|_| {
        errors.add(field, "form.choose");
        0
    })
}

pub async fn post_task(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    let mut errors = FieldErrors::default();
    let (leads, partners) = task_agencies(&state, &user, &scope).await?;
    let lead = agency_field(&form, "lead_agency_id", &leads, &mut errors);
    let lead_ok = match agency::Entity::find_by_id(lead).one(&state.db).await? {
        Some(a) => {
            a.id == user.agency_id
                || (matches!(user.role, Role::Planner | Role::Compiler)
                    && scope.contains(a.org_unit_id))
        }
        None => false,
    };
    if !lead_ok {
        errors.add("lead_agency_id", "form.choose");
    }
    let ack = parse_date(form.get("ack_due_date"));
    let due = parse_date(form.get("due_date"));
    if ack.is_none() {
        errors.add("ack_due_date", "form.date");
    }
    if due.is_none() {
        errors.add("due_date", "form.date");
    }
    let new = NewTask {
        kind_id: id_field(&form, "kind_id", &mut errors),
        title: form.get("title").trim().to_owned(),
        plan_item_id: id_field(&form, "plan_item_id", &mut errors),
        lead_agency_id: lead,
        partner_agency_id: agency_field(&form, "partner_agency_id", &partners, &mut errors),
        ack_due_date: ack.unwrap_or_default(),
        due_date: due.unwrap_or_default(),
        note: non_empty(form.get("note")),
        activity_ids: Vec::new(),
    };
    check_reach(
        &state,
        &user,
        new.partner_agency_id,
        Some(new.plan_item_id),
        &mut errors,
    )
    .await?;
    let result = if errors.is_empty() {
        service::create(&state.db, &actor(&state, &user), new).await
    } else {
        Err(TaskError::Invalid(errors))
    };
    match result {
        Ok(t) => Ok(flash::redirect(
            &state.config,
            &format!("/tasks/{}", t.id),
            "flash.saved",
        )),
        Err(TaskError::Invalid(errors)) => {
            show_form(
                &state,
                &page,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                FormValues::of(&form),
                errors,
            )
            .await
        }
        Err(TaskError::Conflict) => Err(AppError::Conflict),
        Err(TaskError::Db(e)) => Err(e.into()),
    }
}

#[derive(Serialize)]
struct CommentRow {
    comment: task_comment::Model,
    who: String,
}

#[derive(Serialize)]
struct HistoryRow {
    at: chrono::DateTime<chrono::Utc>,
    who: String,
    action: String,
    reason: Option<String>,
}

async fn render_task(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    task_id: i64,
    status: StatusCode,
    errors: FieldErrors,
    typed_partner: &str,
) -> AppResult<Response> {
    let (acc, _) = access::readable(state, user, task_id).await?;
    let t = acc.task.clone();
    let rows = rows_of(state, user, vec![t.clone()]).await?;
    let row = rows.into_iter().next().ok_or(AppError::NotFound)?;
    let comments = task_comment::Entity::find()
        .filter(task_comment::Column::TaskId.eq(task_id))
        .order_by_asc(task_comment::Column::Id)
        .all(&state.db)
        .await?;
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::ObjectType.eq("task"))
        .filter(audit_event::Column::ObjectId.eq(task_id))
        .order_by_desc(audit_event::Column::Id)
        .all(&state.db)
        .await?;
    let users: HashMap<i64, String> = user::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| {
            let name = if u.display_name.trim().is_empty() {
                u.email
            } else {
                u.display_name
            };
            (u.id, name)
        })
        .collect();
    let who = |id: Option<i64>| id.and_then(|i| users.get(&i).cloned()).unwrap_or_default();
    let outcomes = task_outcome::Entity::find()
        .filter(task_outcome::Column::TaskId.eq(task_id))
        .all(&state.db)
        .await?;
    let (_, codes) = names(state, []).await?;
    let outcome_rows: Vec<(String, i64)> = outcomes
        .iter()
        .filter_map(|o| {
            Some((
                crate::codes::name(codes.get(&o.support_type_id)?, user.locale).to_owned(),
                o.persons,
            ))
        })
        .collect();
    let linked_ids: Vec<i64> = task_activity::Entity::find()
        .filter(task_activity::Column::TaskId.eq(task_id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|l| l.activity_id)
        .collect();
    let scope = user.scope(state).await?;
    let linked: Vec<activity::Model> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(linked_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|a| scope.contains(a.org_unit_id))
        .collect();
    let mut recent = activity::Entity::find()
        .order_by_desc(activity::Column::StartDate)
        .limit(30);
    if !scope.all {
        recent = recent.filter(activity::Column::OrgUnitId.is_in(scope.ids()));
    }
    let recent = recent.all(&state.db).await?;
    // Support types of the law in force on the day the task is done.
    let today = state.clock.today();
    let support_types: Vec<code::Model> = crate::codes::list(&state.db, "support_type")
        .await?
        .into_iter()
        .filter(|c| {
            c.valid_from.is_none_or(|f| f <= today) && c.valid_to.is_none_or(|to| to >= today)
        })
        .collect();
    let item = crate::entities::plan_item::Entity::find_by_id(t.plan_item_id)
        .one(&state.db)
        .await?;
    let lead_unit = agency::Entity::find_by_id(t.lead_agency_id)
        .one(&state.db)
        .await?
        .map(|a| a.org_unit_id);
    let lead_unit_name = match lead_unit {
        Some(u) => org_unit::Entity::find_by_id(u)
            .one(&state.db)
            .await?
            .map(|u| u.name),
        None => None,
    };
    // Days the acknowledgement came after its due date (Vietnamese calendar days).
    let ack_late_days = t
        .acknowledged_at
        .map(|at| (crate::state::vn_date(at) - t.ack_due_date).num_days())
        .filter(|d| *d > 0);
    page.render_status(
        state,
        status,
        "tasks/show.html",
        context! {
            ack_late_days => ack_late_days,
            r => row, lead_side => acc.lead, partner_side => acc.partner,
            can_comment => (acc.lead || acc.partner) && user.can(Capability::ActOnTasks),
            comments => comments.into_iter().map(|c| CommentRow { who: who(c.user_id), comment: c }).collect::<Vec<_>>(),
            history => events.into_iter().map(|e| {
                let change: serde_json::Value = serde_json::from_str(&e.change).unwrap_or_default();
                HistoryRow {
                    at: e.created_at, who: who(e.user_id), action: e.action,
                    reason: change.get("extra").and_then(|x| x.get("reason")).and_then(|r| r.as_str()).map(str::to_owned),
                }
            }).collect::<Vec<_>>(),
            outcomes => outcome_rows, linked => linked, recent => recent, support_types => support_types,
            item => item.as_ref().map(crate::activities::repo::item_title), lead_unit => lead_unit_name,
            partner => crate::web::search::Picker::new(reassign_choices(state, user).await?, typed_partner),
            errors => errors, today => today,
        },
    )
}

pub async fn get_task(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(task_id): Path<i64>,
) -> AppResult<Response> {
    render_task(
        &state,
        &page,
        &user,
        task_id,
        StatusCode::OK,
        FieldErrors::default(),
        "",
    )
    .await
}

fn count(form: &RawForm, field: &str, errors: &mut FieldErrors) -> Option<i64> {
    crate::activities::input::parse_count(form.get(field), field, errors)
}

/// One form for every action on a task (`action` = acknowledge, start, decline, complete,
/// reassign, extend, comment, link); the side that may take it is checked here.
pub async fn post_task_action(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(task_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let (acc, scope) = access::readable(&state, &user, task_id).await?;
    let version: i32 = form
        .get("version")
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest("error.bad_request"))?;
    let mut errors = FieldErrors::default();
    let reason = form.get("reason").trim().to_owned();
    let change = match form.get("action") {
        "acknowledge" => Change::Acknowledge,
        "start" => Change::Start,
        "decline" => Change::Decline { reason },
        "complete" => {
            let mut outcomes = Vec::new();
            for (k, _) in &form.0 {
                if let Some(id) = k
                    .strip_prefix("outcome_")
                    .and_then(|s| s.parse::<i64>().ok())
                    && let Some(n) = count(&form, k, &mut errors)
                {
                    outcomes.push((id, n));
                }
            }
            Change::Complete {
                outcomes,
                loans_count: count(&form, "loans_count", &mut errors),
                loans_amount: count(&form, "loans_amount", &mut errors),
                note: non_empty(form.get("note")),
            }
        }
        "reassign" => Change::Reassign {
            partner_agency_id: crate::web::search::resolve_field(
                &reassign_choices(&state, &user).await?,
                form.get("partner_agency_id"),
                "partner_agency_id",
                false,
                &mut errors,
            )
            .unwrap_or(0),
            ack_due_date: parse_date(form.get("ack_due_date")).unwrap_or_else(|| {
                errors.add("ack_due_date", "form.date");
                state.clock.today()
            }),
            reason,
        },
        "extend" => Change::Extend {
            due_date: parse_date(form.get("due_date")).unwrap_or_else(|| {
                errors.add("due_date", "form.date");
                state.clock.today()
            }),
            ack_due_date: parse_date(form.get("ack_due_date")),
            reason,
        },
        "comment" => Change::Comment {
            body: form.get("body").trim().to_owned(),
        },
        "link" => {
            let activity_id = id_field(&form, "activity_id", &mut errors);
            let visible = activity::Entity::find_by_id(activity_id)
                .one(&state.db)
                .await?
                .is_some_and(|a| scope.contains(a.org_unit_id));
            if !visible {
                errors.add("activity_id", "form.choose");
            }
            Change::Link { activity_id }
        }
        _ => return Err(AppError::BadRequest("error.bad_request")),
    };
    if let Change::Reassign {
        partner_agency_id, ..
    } = &change
    {
        check_reach(&state, &user, *partner_agency_id, None, &mut errors).await?;
    }
    let allowed = match change.by_partner() {
        Some(true) => acc.partner,
        Some(false) => acc.lead,
        None => acc.lead || acc.partner,
    };
    if !allowed {
        return Err(AppError::OutOfScope);
    }
    if !errors.is_empty() {
        return render_task(
            &state,
            &page,
            &user,
            task_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            form.get("partner_agency_id"),
        )
        .await;
    }
    match service::apply(&state.db, &actor(&state, &user), task_id, version, change).await {
        Ok(_) => Ok(flash::redirect(
            &state.config,
            &format!("/tasks/{task_id}"),
            "flash.saved",
        )),
        Err(TaskError::Invalid(errors)) => {
            render_task(
                &state,
                &page,
                &user,
                task_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                form.get("partner_agency_id"),
            )
            .await
        }
        Err(TaskError::Conflict) => Err(AppError::Conflict),
        Err(TaskError::Db(e)) => Err(e.into()),
    }
}
