//! Writing activities in the browser: schedule (or record one already held), edit, the quick
//! log form, postpone and cancel. A save on a stale version shows what changed since (409) and
//! lets the user apply their change again; nothing is overwritten silently.

use crate::activities::access;
use crate::activities::input::{self, ActivityInput};
use crate::activities::service::{self, ActivityError, Ctx, Frequency};
use crate::auth::CurrentUser;
use crate::entities::{activity, agency, org_unit};
use crate::error::{AppError, AppResult};
use crate::org_units::scope::Scope;
use crate::state::AppState;
use crate::web::format::parse_date;
use crate::web::forms::{FieldErrors, FormValues, RawForm};
use crate::web::query::Query;
use crate::web::search::{self, Choice, Picker};
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The context a write needs: who, their scope, the plans they may name.
pub struct Writer {
    pub scope: Scope,
    pub plan_units: Vec<i64>,
}

impl Writer {
    pub async fn of(state: &AppState, user: &CurrentUser) -> AppResult<Writer> {
        let scope = user.scope(state).await?;
        let plan_units =
            crate::plans::repo::readable_units(&state.db, &scope, user.org_unit_id).await?;
        Ok(Writer { scope, plan_units })
    }

    pub fn ctx<'a>(&'a self, state: &AppState, user: &'a CurrentUser) -> Ctx<'a> {
        Ctx {
            user,
            scope: &self.scope,
            plan_units: &self.plan_units,
            now: state.clock.now(),
            today: state.clock.today(),
        }
    }
}

#[derive(Serialize)]
struct ItemChoice {
    id: i64,
    title: String,
}

#[derive(Serialize)]
struct PlanChoice {
    title: String,
    items: Vec<ItemChoice>,
}

/// The units and agencies the activity form offers this user, as picker choices: the current
/// units of the scope, and the active agencies of the open units they may plan for.
async fn unit_agency_choices(
    state: &AppState,
    user: &CurrentUser,
    w: &Writer,
) -> AppResult<(Vec<Choice>, Vec<Choice>)> {
    let today = state.clock.today();
    let mut units = org_unit::Entity::find().order_by_asc(org_unit::Column::Name);
    if !w.scope.all {
        units = units.filter(org_unit::Column::Id.is_in(w.scope.ids()));
    }
    let units: Vec<Choice> = units
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|u| crate::org_units::repo::is_current(u, today))
        .map(|u| Choice::new(u.id, u.name, &u.code))
        .collect();
    // Agencies of units that still exist: a closed district's offices organise nothing new.
    let open_units: Vec<i64> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(w.plan_units.clone()))
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|u| crate::org_units::repo::is_current(u, today))
        .map(|u| u.id)
        .collect();
    let agencies: Vec<Choice> = agency::Entity::find()
        .filter(agency::Column::OrgUnitId.is_in(open_units))
        .filter(agency::Column::Active.eq(true))
        .order_by_asc(agency::Column::Name)
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|a| user.role != crate::auth::Role::Partner || a.id == user.agency_id)
        .map(|a| Choice::new(a.id, a.name, &a.code))
        .collect();
    Ok((units, agencies))
}

/// The form with the unit and agency pickers' typed words replaced by the ids they name; words
/// naming none or several choices leave the field as typed, with the message at the field. Ids
/// pass through as sent: the service checks them against the user's scope.
async fn resolve_pickers(
    state: &AppState,
    user: &CurrentUser,
    w: &Writer,
    form: &RawForm,
    errors: &mut FieldErrors,
) -> AppResult<RawForm> {
    let typed = |f: &str| {
        let v = form.get(f).trim();
        !v.is_empty() && v.parse::<i64>().is_err()
    };
    if !typed("org_unit_id") && !typed("agency_id") {
        return Ok(RawForm(form.0.clone()));
    }
    let (units, agencies) = unit_agency_choices(state, user, w).await?;
    let mut resolved = form.0.clone();
    for (field, choices) in [("org_unit_id", &units), ("agency_id", &agencies)] {
        if !typed(field) {
            continue;
        }
        match search::resolve(choices, form.get(field)) {
            Ok(id) => {
                for (_, v) in resolved.iter_mut().filter(|(k, _)| k == field) {
                    *v = id.to_string();
                }
            }
            Err(why) => errors.add(field, why.key()),
        }
    }
    Ok(RawForm(resolved))
}

/// The choices of the activity form, limited to what this user may pick; the unit and agency
/// pickers hold `values`' unit and agency (an id, or the words typed).
async fn form_choices(
    state: &AppState,
    user: &CurrentUser,
    w: &Writer,
    values: &BTreeMap<String, String>,
) -> AppResult<Value> {
    let (units, agencies) = unit_agency_choices(state, user, w).await?;
    let held = |f: &str| values.get(f).map_or("", String::as_str);
    let units = Picker::new(units, held("org_unit_id"));
    let agencies = Picker::new(agencies, held("agency_id"));
    let mut plans = Vec::new();
    for (p, items) in service::plan_items_for(&state.db, &w.plan_units).await? {
        // Only the items an activity can belong to (no section heading), in the plan's order,
        // each with its whole text: a phone shows the chosen option on lines of its own.
        let mut leaves: Vec<&crate::entities::plan_item::Model> = Vec::new();
        let mut stack: Vec<&crate::entities::plan_item::Model> = {
            let mut roots: Vec<_> = items.iter().filter(|i| i.parent_id.is_none()).collect();
            roots.sort_by_key(|i| std::cmp::Reverse((i.position, i.id)));
            roots
        };
        while let Some(i) = stack.pop() {
            let mut kids: Vec<_> = items.iter().filter(|c| c.parent_id == Some(i.id)).collect();
            if kids.is_empty() {
                leaves.push(i);
            }
            kids.sort_by_key(|c| std::cmp::Reverse((c.position, c.id)));
            stack.extend(kids);
        }
        plans.push(PlanChoice {
            title: p.title.clone(),
            items: leaves
                .into_iter()
                .map(|i| ItemChoice {
                    id: i.id,
                    title: crate::activities::repo::item_full_title(i),
                })
                .collect(),
        });
    }
    Ok(context! {
        units => units, agencies => agencies, plans => plans,
        types => crate::codes::list(&state.db, "activity_type").await?,
        groups => crate::codes::list(&state.db, "target_group").await?,
        languages => crate::codes::list(&state.db, "language").await?,
        material_kinds => crate::codes::list(&state.db, "material_kind").await?,
        sources => crate::codes::list_on(&state.db, "funding_source", state.clock.today()).await?,
    })
}

/// The stored activity as form values, for the edit form.
pub fn values_of(input: &ActivityInput) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    let mut put = |k: &str, val: String| {
        v.insert(k.to_owned(), val);
    };
    let opt = |n: Option<i64>| n.map(|x| x.to_string()).unwrap_or_default();
    put("activity_type_id", input.activity_type_id.to_string());
    put("title", input.title.clone());
    put("description", input.description.clone().unwrap_or_default());
    put("plan_item_id", input.plan_item_id.to_string());
    put("org_unit_id", input.org_unit_id.to_string());
    put("agency_id", input.agency_id.to_string());
    put("start_date", input.start_date.to_string());
    put("end_date", input.end_date.to_string());
    put("start_time", input.start_time.clone().unwrap_or_default());
    put("end_time", input.end_time.clone().unwrap_or_default());
    put("place", input.place.clone().unwrap_or_default());
    put(
        "ethnic_minority_outreach",
        if input.ethnic_minority_outreach {
            "on"
        } else {
            ""
        }
        .into(),
    );
    put(
        "border_outreach",
        if input.border_outreach { "on" } else { "" }.into(),
    );
    for (prefix, f) in [("planned_", &input.planned), ("actual_", &input.actual)] {
        put(&format!("{prefix}participants"), opt(f.participants));
        put(&format!("{prefix}women"), opt(f.women));
        put(&format!("{prefix}ethnic_minority"), opt(f.ethnic_minority));
        put(&format!("{prefix}children"), opt(f.children));
        put(&format!("{prefix}broadcasts"), opt(f.broadcasts));
        put(
            &format!("{prefix}broadcast_minutes"),
            opt(f.broadcast_minutes),
        );
    }
    put(
        "held_on",
        input.held_on.map(|d| d.to_string()).unwrap_or_default(),
    );
    for m in &input.materials {
        put(&format!("material_{}_planned", m.kind_id), opt(m.planned));
        put(&format!("material_{}_produced", m.kind_id), opt(m.produced));
        put(
            &format!("material_{}_distributed", m.kind_id),
            opt(m.distributed),
        );
    }
    for b in &input.budgets {
        put(&format!("budget_{}_planned", b.source_id), opt(b.planned));
        put(&format!("budget_{}_spent", b.source_id), opt(b.spent));
    }
    put("notes", input.notes.clone().unwrap_or_default());
    v
}

#[allow(clippy::too_many_arguments)]
async fn show_form(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    w: &Writer,
    status: StatusCode,
    existing: Option<&activity::Model>,
    values: BTreeMap<String, String>,
    multi: BTreeMap<String, Vec<String>>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let choices = form_choices(state, user, w, &values).await?;
    page.render_status(
        state,
        status,
        "activities/form.html",
        context! {
            activity => existing, choices => choices, values => Value::from_object(FormValues(values)),
            multi => multi, errors => errors, today => state.clock.today(),
        },
    )
}

/// Checkbox lists as typed, for showing the form again.
fn multi_of(form: &RawForm) -> BTreeMap<String, Vec<String>> {
    let mut m = BTreeMap::new();
    for key in ["target_groups", "languages"] {
        m.insert(
            key.to_owned(),
            form.all(key).iter().map(|s| (*s).to_owned()).collect(),
        );
    }
    m
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    org_unit_id: Option<i64>,
    #[serde(default)]
    plan_item_id: Option<i64>,
    #[serde(default, deserialize_with = "date_text")]
    date: Option<String>,
    /// Recording an activity that has already taken place.
    #[serde(default)]
    held: Option<String>,
}

// A date the form cannot start from names its field (`crate::web::query`).
fn date_text<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    crate::web::query::date_text(de, "date")
}

pub async fn get_new_activity(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Query(q): Query<NewQuery>,
) -> AppResult<Response> {
    let w = Writer::of(&state, &user).await?;
    let unit_id = q
        .org_unit_id
        .filter(|u| w.scope.contains(*u))
        .unwrap_or(user.org_unit_id);
    let unit = org_unit::Entity::find_by_id(unit_id).one(&state.db).await?;
    let date = q
        .date
        .as_deref()
        .and_then(parse_date)
        .unwrap_or_else(|| state.clock.today());
    let mut v = BTreeMap::new();
    v.insert("org_unit_id".to_owned(), unit_id.to_string());
    v.insert("agency_id".to_owned(), user.agency_id.to_string());
    v.insert("start_date".to_owned(), date.to_string());
    v.insert("end_date".to_owned(), date.to_string());
    if let Some(i) = q.plan_item_id {
        v.insert("plan_item_id".to_owned(), i.to_string());
    }
    // The outreach flags start from what is known of the unit.
    if unit.as_ref().is_some_and(|u| u.ethnic_minority) {
        v.insert("ethnic_minority_outreach".to_owned(), "on".to_owned());
    }
    if unit.as_ref().is_some_and(|u| u.border_area) {
        v.insert("border_outreach".to_owned(), "on".to_owned());
    }
    if q.held.is_some() {
        v.insert("held".to_owned(), "1".to_owned());
        v.insert("held_on".to_owned(), date.to_string());
    }
    show_form(
        &state,
        &page,
        &user,
        &w,
        StatusCode::OK,
        None,
        v,
        BTreeMap::new(),
        FieldErrors::default(),
    )
    .await
}

/// Turns a service error into the form shown again, a conflict page, or an error page.
#[allow(clippy::too_many_arguments)]
async fn after_error(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    w: &Writer,
    existing: Option<&activity::Model>,
    form: &RawForm,
    typed: &ActivityInput,
    e: ActivityError,
) -> AppResult<Response> {
    match e {
        ActivityError::Invalid(errors) => {
            show_form(
                state,
                page,
                user,
                w,
                StatusCode::UNPROCESSABLE_ENTITY,
                existing,
                form.values(),
                multi_of(form),
                errors,
            )
            .await
        }
        ActivityError::Conflict(current) => conflict_page(state, page, &current, form, typed).await,
        ActivityError::OutOfScope => Err(AppError::OutOfScope),
        ActivityError::Db(e) => Err(e.into()),
    }
}

pub async fn post_activity(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let w = Writer::of(&state, &user).await?;
    let mut errors = FieldErrors::default();
    let resolved = resolve_pickers(&state, &user, &w, &form, &mut errors).await?;
    let typed = input::from_form(&resolved, &mut errors);
    let held = form.get("held") == "1";
    if !errors.is_empty() {
        return after_error(
            &state,
            &page,
            &user,
            &w,
            None,
            &resolved,
            &typed,
            ActivityError::Invalid(errors),
        )
        .await;
    }
    let ctx = w.ctx(&state, &user);
    let repeat = match form.get("repeat") {
        "weekly" => Some(Frequency::Weekly),
        "monthly" => Some(Frequency::Monthly),
        _ => None,
    };
    let result = match repeat {
        Some(freq) if !held => {
            let n = form.get("occurrences").trim().parse::<u32>().unwrap_or(0);
            service::create_series(&state.db, &ctx, typed.clone(), freq, n)
                .await
                .map(|all| all.into_iter().next())
        }
        _ => service::create(&state.db, &ctx, typed.clone(), held, None, None)
            .await
            .map(Some),
    };
    match result {
        Ok(Some(a)) => Ok(flash::redirect(
            &state.config,
            &format!("/activities/{}", a.id),
            "flash.saved",
        )),
        Ok(None) => Ok(flash::redirect(&state.config, "/activities", "flash.saved")),
        Err(e) => after_error(&state, &page, &user, &w, None, &resolved, &typed, e).await,
    }
}

pub async fn get_edit_activity(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(activity_id): Path<i64>,
) -> AppResult<Response> {
    let (a, _) = access::writable(&state, &user, activity_id).await?;
    let w = Writer::of(&state, &user).await?;
    let current = service::current_input(&state.db, &a).await?;
    let mut values = values_of(&current);
    values.insert("version".to_owned(), a.version.to_string());
    let mut multi = BTreeMap::new();
    multi.insert(
        "target_groups".to_owned(),
        current
            .target_groups
            .iter()
            .map(ToString::to_string)
            .collect(),
    );
    multi.insert("languages".to_owned(), current.languages.clone());
    show_form(
        &state,
        &page,
        &user,
        &w,
        StatusCode::OK,
        Some(&a),
        values,
        multi,
        FieldErrors::default(),
    )
    .await
}

fn version_of(form: &RawForm) -> AppResult<i32> {
    form.get("version")
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest("error.bad_request"))
}

pub async fn post_activity_update(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(activity_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let (a, _) = access::writable(&state, &user, activity_id).await?;
    let w = Writer::of(&state, &user).await?;
    let version = version_of(&form)?;
    let mut errors = FieldErrors::default();
    let resolved = resolve_pickers(&state, &user, &w, &form, &mut errors).await?;
    let typed = input::from_form(&resolved, &mut errors);
    let result = if errors.is_empty() {
        service::update(&state.db, &w.ctx(&state, &user), &a, version, typed.clone()).await
    } else {
        Err(ActivityError::Invalid(errors))
    };
    match result {
        Ok(saved) => Ok(flash::redirect(
            &state.config,
            &format!("/activities/{}", saved.id),
            "flash.saved",
        )),
        Err(e) => after_error(&state, &page, &user, &w, Some(&a), &resolved, &typed, e).await,
    }
}

/// The quick form a commune officer uses on a phone after the event.
pub async fn get_log(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(activity_id): Path<i64>,
) -> AppResult<Response> {
    let (a, _) = access::writable(&state, &user, activity_id).await?;
    let current = service::current_input(&state.db, &a).await?;
    let mut values = values_of(&current);
    values.insert("version".to_owned(), a.version.to_string());
    if current.held_on.is_none() {
        let today = state.clock.today();
        let guess = if a.start_date <= today {
            a.start_date
        } else {
            today
        };
        values.insert("held_on".to_owned(), guess.to_string());
    }
    show_log(
        &state,
        &page,
        &a,
        StatusCode::OK,
        values,
        FieldErrors::default(),
    )
    .await
}

async fn show_log(
    state: &AppState,
    page: &Page,
    a: &activity::Model,
    status: StatusCode,
    values: BTreeMap<String, String>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let kinds = crate::codes::list(&state.db, "material_kind").await?;
    let sources = crate::codes::list_on(&state.db, "funding_source", a.start_date).await?;
    let activity_type = crate::entities::code::Entity::find_by_id(a.activity_type_id)
        .one(&state.db)
        .await?;
    let unit = org_unit::Entity::find_by_id(a.org_unit_id)
        .one(&state.db)
        .await?;
    page.render_status(
        state,
        status,
        "activities/log.html",
        context! {
            activity => a, activity_type => activity_type, unit => unit, material_kinds => kinds,
            sources => sources, values => Value::from_object(FormValues(values)), errors => errors,
            today => state.clock.today(),
        },
    )
}

pub async fn post_log(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(activity_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let (a, _) = access::writable(&state, &user, activity_id).await?;
    let w = Writer::of(&state, &user).await?;
    let version = version_of(&form)?;
    let mut errors = FieldErrors::default();
    // Logging changes the actual figures only; everything planned stays as it was.
    let mut typed = service::current_input(&state.db, &a).await?;
    typed.held_on = parse_date(form.get("held_on"));
    if !form.get("held_on").trim().is_empty() && typed.held_on.is_none() {
        errors.add("held_on", "form.date");
    }
    typed.actual = input::figures(&form, "actual_", &mut errors);
    let typed_materials = input::materials(&form, &mut errors);
    for m in &mut typed.materials {
        m.produced = None;
        m.distributed = None;
    }
    for t in typed_materials {
        match typed.materials.iter_mut().find(|m| m.kind_id == t.kind_id) {
            Some(m) => {
                m.produced = t.produced;
                m.distributed = t.distributed;
            }
            None => typed
                .materials
                .push(input::MaterialLine { planned: None, ..t }),
        }
    }
    typed
        .materials
        .retain(|m| m.planned.is_some() || m.produced.is_some() || m.distributed.is_some());
    let typed_budgets = input::budgets(&form, &mut errors);
    for b in &mut typed.budgets {
        b.spent = None;
    }
    for t in typed_budgets {
        match typed
            .budgets
            .iter_mut()
            .find(|b| b.source_id == t.source_id)
        {
            Some(b) => b.spent = t.spent,
            None => typed.budgets.push(input::BudgetLine { planned: None, ..t }),
        }
    }
    typed
        .budgets
        .retain(|b| b.planned.is_some() || b.spent.is_some());
    if !form.get("notes").trim().is_empty() {
        typed.notes = Some(form.get("notes").trim().to_owned());
    }
    let result = if errors.is_empty() {
        service::log_held(&state.db, &w.ctx(&state, &user), &a, version, typed.clone()).await
    } else {
        Err(ActivityError::Invalid(errors))
    };
    match result {
        // The confirmation stays at the top of the page, with the photo upload and the next
        // activity to log one tap away.
        Ok(saved) => Ok(flash::redirect(
            &state.config,
            &format!("/activities/{}?logged=1", saved.id),
            "flash.logged",
        )),
        Err(ActivityError::Invalid(errors)) => {
            show_log(
                &state,
                &page,
                &a,
                StatusCode::UNPROCESSABLE_ENTITY,
                form.values(),
                errors,
            )
            .await
        }
        Err(ActivityError::Conflict(current)) => {
            conflict_page(&state, &page, &current, &form, &typed).await
        }
        Err(ActivityError::OutOfScope) => Err(AppError::OutOfScope),
        Err(ActivityError::Db(e)) => Err(e.into()),
    }
}

async fn status_error(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    a: &activity::Model,
    e: ActivityError,
) -> AppResult<Response> {
    match e {
        ActivityError::Invalid(errors) => {
            let (a, scope) = access::readable(state, user, a.id).await?;
            let can_write = access::may_write(user, &scope, a.org_unit_id, a.agency_id);
            let files = crate::activities::evidence::files_of(&state.db, a.id).await?;
            let detail = crate::activities::repo::detail(&state.db, a).await?;
            let material_kinds = crate::codes::list(&state.db, "material_kind").await?;
            page.render_status(
                state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "activities/show.html",
                context! { d => detail, can_write => can_write, today => state.clock.today(), material_kinds => material_kinds, errors => errors, files => files },
            )
        }
        ActivityError::Conflict(_) => Err(AppError::Conflict),
        ActivityError::OutOfScope => Err(AppError::OutOfScope),
        ActivityError::Db(e) => Err(e.into()),
    }
}

pub async fn post_postpone(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(activity_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let (a, _) = access::writable(&state, &user, activity_id).await?;
    let w = Writer::of(&state, &user).await?;
    let version = version_of(&form)?;
    let start = parse_date(form.get("new_start"));
    let end = parse_date(form.get("new_end")).or(start);
    let result = match (start, end) {
        (Some(s), Some(e)) => {
            service::postpone(
                &state.db,
                &w.ctx(&state, &user),
                &a,
                version,
                s,
                e,
                form.get("reason"),
            )
            .await
        }
        _ => {
            let mut errors = FieldErrors::default();
            errors.add("new_start", "form.date");
            Err(ActivityError::Invalid(errors))
        }
    };
    match result {
        Ok(_) => Ok(flash::redirect(
            &state.config,
            &format!("/activities/{activity_id}"),
            "flash.saved",
        )),
        Err(e) => status_error(&state, &page, &user, &a, e).await,
    }
}

pub async fn post_cancel(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(activity_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let (a, _) = access::writable(&state, &user, activity_id).await?;
    let w = Writer::of(&state, &user).await?;
    let version = version_of(&form)?;
    match service::cancel(
        &state.db,
        &w.ctx(&state, &user),
        &a,
        version,
        form.get("reason"),
    )
    .await
    {
        Ok(_) => Ok(flash::redirect(
            &state.config,
            &format!("/activities/{activity_id}"),
            "flash.saved",
        )),
        Err(e) => status_error(&state, &page, &user, &a, e).await,
    }
}

#[derive(Serialize)]
struct Difference {
    field: String,
    mine: String,
    theirs: String,
}

fn flat(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// 409: someone saved this activity since the form was opened. Shows what they changed
/// against what this user typed, and offers to apply this user's version on top.
async fn conflict_page(
    state: &AppState,
    page: &Page,
    current: &activity::Model,
    form: &RawForm,
    typed: &ActivityInput,
) -> AppResult<Response> {
    let theirs =
        serde_json::to_value(service::current_input(&state.db, current).await?).unwrap_or_default();
    let mine = serde_json::to_value(typed).unwrap_or_default();
    let mut diffs = Vec::new();
    if let (Some(m), Some(t)) = (mine.as_object(), theirs.as_object()) {
        for (k, v) in m {
            let other = t.get(k).cloned().unwrap_or_default();
            if *v != other {
                diffs.push(Difference {
                    field: k.clone(),
                    mine: flat(v),
                    theirs: flat(&other),
                });
            }
        }
    }
    let pairs: Vec<(String, String)> = form
        .0
        .iter()
        .filter(|(k, _)| k != "csrf_token" && k != "version")
        .cloned()
        .collect();
    page.render_status(
        state,
        StatusCode::CONFLICT,
        "activities/conflict.html",
        context! { activity => current, diffs => diffs, pairs => pairs, action => page.path.clone() },
    )
}
