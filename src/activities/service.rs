//! The rules of scheduling and logging activities. Every write checks its references against
//! the user's scope, runs in one transaction with its audit row, and bumps the version with a
//! guarded UPDATE so that an edit made on a stale version is refused (409), never applied.

use crate::activities::access::may_write;
use crate::activities::input::{self, ActivityInput, BudgetLine, MaterialLine};
use crate::audit;
use crate::auth::CurrentUser;
use crate::dashboard::rollups;
use crate::entities::{
    activity, activity_budget, activity_date_change, activity_material, activity_series,
    activity_target_group, agency, code, org_unit, plan, plan_item,
};
use crate::org_units::scope::Scope;
use crate::text::fold;
use crate::web::forms::FieldErrors;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::{Value, json};

pub const PLANNED: &str = "planned";
pub const HELD: &str = "held";
pub const POSTPONED: &str = "postponed";
pub const CANCELLED: &str = "cancelled";

/// Every activity status, in the order lists show them.
pub const STATUSES: [&str; 4] = [PLANNED, HELD, POSTPONED, CANCELLED];

/// An activity status in words: one wording (the key `activity.status.<status>`) for pages,
/// CSV and XLSX exports, calendar feeds, imports and mail alike.
pub fn status_label(
    i18n: &crate::web::i18n::I18n,
    locale: crate::web::i18n::Locale,
    status: &str,
) -> String {
    i18n.t(locale, &format!("activity.status.{status}"))
        .to_owned()
}

#[derive(Debug, thiserror::Error)]
pub enum ActivityError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// Saved on a stale version; carries the current row.
    #[error("version conflict")]
    Conflict(Box<activity::Model>),
    #[error("not allowed for this user or unit")]
    OutOfScope,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl ActivityError {
    fn field(field: &str, key: &str) -> Self {
        let mut e = FieldErrors::default();
        e.add(field, key);
        ActivityError::Invalid(e)
    }
}

pub type ActivityResult<T> = Result<T, ActivityError>;

/// Who acts, their scope, and the time.
pub struct Ctx<'a> {
    pub user: &'a CurrentUser,
    pub scope: &'a Scope,
    /// Units whose plans the user may read (scope and the units above).
    pub plan_units: &'a [i64],
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
}

/// A plan item with items of its own is a section heading: an activity belongs to one of them.
async fn is_heading(db: &impl ConnectionTrait, item_id: i64) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait;
    Ok(plan_item::Entity::find()
        .filter(plan_item::Column::ParentId.eq(item_id))
        .count(db)
        .await?
        > 0)
}

/// Checks everything the input points at: codes of the right lists, a plan item of a readable
/// plan, a unit and an organising agency the user may write for.
async fn check_refs(
    db: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    input: &ActivityInput,
    errors: &mut FieldErrors,
) -> Result<(), DbErr> {
    if input.activity_type_id != 0
        && crate::codes::in_list(db, input.activity_type_id, "activity_type")
            .await?
            .is_none()
    {
        errors.add("activity_type_id", "form.choose");
    }
    if input.plan_item_id != 0 {
        let plan_unit = crate::plans::repo::unit_of_item(db, input.plan_item_id).await?;
        if plan_unit.is_none_or(|u| !ctx.plan_units.contains(&u)) {
            errors.add("plan_item_id", "form.choose");
        } else if is_heading(db, input.plan_item_id).await? {
            errors.add("plan_item_id", "activity.error.item_heading");
        }
    }
    if input.org_unit_id != 0 {
        let unit = org_unit::Entity::find_by_id(input.org_unit_id)
            .one(db)
            .await?;
        if unit.is_none() || !ctx.scope.contains(input.org_unit_id) {
            errors.add("org_unit_id", "form.choose");
        }
    }
    if input.agency_id != 0 {
        let ag = agency::Entity::find_by_id(input.agency_id).one(db).await?;
        if ag.is_none_or(|a| !ctx.plan_units.contains(&a.org_unit_id) || !a.active) {
            errors.add("agency_id", "form.choose");
        }
    }
    if errors.is_empty() && !may_write(ctx.user, ctx.scope, input.org_unit_id, input.agency_id) {
        errors.add("agency_id", "activity.error.not_yours");
    }
    for tg in &input.target_groups {
        if crate::codes::in_list(db, *tg, "target_group")
            .await?
            .is_none()
        {
            errors.add("target_groups", "form.choose");
        }
    }
    for lang in &input.languages {
        let ok = code::Entity::find()
            .filter(code::Column::List.eq("language"))
            .filter(code::Column::Code.eq(lang))
            .one(db)
            .await?
            .is_some();
        if !ok {
            errors.add("languages", "form.choose");
        }
    }
    for m in &input.materials {
        if crate::codes::in_list(db, m.kind_id, "material_kind")
            .await?
            .is_none()
        {
            errors.add(&format!("material_{}_planned", m.kind_id), "form.choose");
        }
    }
    for b in &input.budgets {
        if crate::codes::in_list(db, b.source_id, "funding_source")
            .await?
            .is_none()
        {
            errors.add(&format!("budget_{}_planned", b.source_id), "form.choose");
        }
    }
    Ok(())
}

async fn validate(
    db: &impl ConnectionTrait,
    ctx: &Ctx<'_>,
    input: &ActivityInput,
    held: bool,
) -> ActivityResult<()> {
    let mut errors = FieldErrors::default();
    input::check(input, ctx.today, &mut errors);
    if held {
        input::check_held(input, &mut errors);
    }
    check_refs(db, ctx, input, &mut errors).await?;
    // An approved report froze its unit's (or agency's) activities of the period: nothing new
    // goes in there, and nothing moves into it, until the compiler reopens the report.
    if errors.is_empty()
        && crate::reports::service::is_locked(
            db,
            input.org_unit_id,
            input.agency_id,
            input.start_date,
        )
        .await?
    {
        errors.add("start_date", "activity.error.locked");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ActivityError::Invalid(errors))
    }
}

fn search_text(input: &ActivityInput) -> String {
    fold(&format!(
        "{} {} {}",
        input.title,
        input.place.as_deref().unwrap_or(""),
        input.notes.as_deref().unwrap_or("")
    ))
}

/// Sets every column a user controls from the input.
/// The span an activity row keeps (`end - start` in days), for the period queries' bound.
pub fn span_days(start: chrono::NaiveDate, end: chrono::NaiveDate) -> i32 {
    i32::try_from((end - start).num_days()).unwrap_or(i32::MAX)
}

fn apply(row: &mut activity::ActiveModel, input: &ActivityInput) {
    row.plan_item_id = Set(input.plan_item_id);
    row.org_unit_id = Set(input.org_unit_id);
    row.agency_id = Set(input.agency_id);
    row.activity_type_id = Set(input.activity_type_id);
    row.title = Set(crate::text::nfc(&input.title));
    row.description = Set(input.description.as_deref().map(crate::text::nfc));
    row.place = Set(input.place.as_deref().map(crate::text::nfc));
    row.start_date = Set(input.start_date);
    row.end_date = Set(input.end_date);
    row.span_days = Set(span_days(input.start_date, input.end_date));
    row.start_time = Set(input.start_time.clone());
    row.end_time = Set(input.end_time.clone());
    row.held_on = Set(input.held_on);
    row.languages = Set(input.languages.join(","));
    row.ethnic_minority_outreach = Set(input.ethnic_minority_outreach);
    row.border_outreach = Set(input.border_outreach);
    row.planned_participants = Set(input.planned.participants);
    row.planned_women = Set(input.planned.women);
    row.planned_ethnic_minority = Set(input.planned.ethnic_minority);
    row.planned_children = Set(input.planned.children);
    row.planned_broadcasts = Set(input.planned.broadcasts);
    row.planned_broadcast_minutes = Set(input.planned.broadcast_minutes);
    row.participants = Set(input.actual.participants);
    row.participants_women = Set(input.actual.women);
    row.participants_ethnic_minority = Set(input.actual.ethnic_minority);
    row.participants_children = Set(input.actual.children);
    row.broadcasts = Set(input.actual.broadcasts);
    row.broadcast_minutes = Set(input.actual.broadcast_minutes);
    row.notes = Set(input.notes.as_deref().map(crate::text::nfc));
    row.search_text = Set(search_text(input));
}

async fn write_details(
    txn: &DatabaseTransaction,
    activity_id: i64,
    input: &ActivityInput,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    activity_target_group::Entity::delete_many()
        .filter(activity_target_group::Column::ActivityId.eq(activity_id))
        .exec(txn)
        .await?;
    let mut groups = input.target_groups.clone();
    groups.sort_unstable();
    groups.dedup();
    for g in groups {
        activity_target_group::ActiveModel {
            activity_id: Set(activity_id),
            target_group_id: Set(g),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    activity_material::Entity::delete_many()
        .filter(activity_material::Column::ActivityId.eq(activity_id))
        .exec(txn)
        .await?;
    for m in &input.materials {
        activity_material::ActiveModel {
            activity_id: Set(activity_id),
            material_kind_id: Set(m.kind_id),
            planned: Set(m.planned),
            produced: Set(m.produced),
            distributed: Set(m.distributed),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    activity_budget::Entity::delete_many()
        .filter(activity_budget::Column::ActivityId.eq(activity_id))
        .exec(txn)
        .await?;
    for b in &input.budgets {
        activity_budget::ActiveModel {
            activity_id: Set(activity_id),
            funding_source_id: Set(b.source_id),
            planned: Set(b.planned),
            spent: Set(b.spent),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// An activity's own lines: target groups, materials and budget, each in code order.
pub struct Lines {
    pub groups: Vec<activity_target_group::Model>,
    pub materials: Vec<activity_material::Model>,
    pub budgets: Vec<activity_budget::Model>,
}

pub async fn lines_of(db: &impl ConnectionTrait, activity_id: i64) -> Result<Lines, DbErr> {
    Ok(Lines {
        groups: activity_target_group::Entity::find()
            .filter(activity_target_group::Column::ActivityId.eq(activity_id))
            .order_by_asc(activity_target_group::Column::TargetGroupId)
            .all(db)
            .await?,
        materials: activity_material::Entity::find()
            .filter(activity_material::Column::ActivityId.eq(activity_id))
            .order_by_asc(activity_material::Column::MaterialKindId)
            .all(db)
            .await?,
        budgets: activity_budget::Entity::find()
            .filter(activity_budget::Column::ActivityId.eq(activity_id))
            .order_by_asc(activity_budget::Column::FundingSourceId)
            .all(db)
            .await?,
    })
}

/// The stored activity as an input, so that partial changes (logging, a status change) go
/// through the same rules as a full edit.
pub async fn current_input(
    db: &impl ConnectionTrait,
    a: &activity::Model,
) -> Result<ActivityInput, DbErr> {
    let Lines {
        groups,
        materials,
        budgets,
    } = lines_of(db, a.id).await?;
    Ok(ActivityInput {
        activity_type_id: a.activity_type_id,
        title: a.title.clone(),
        description: a.description.clone(),
        plan_item_id: a.plan_item_id,
        org_unit_id: a.org_unit_id,
        agency_id: a.agency_id,
        start_date: a.start_date,
        end_date: a.end_date,
        start_time: a.start_time.clone(),
        end_time: a.end_time.clone(),
        place: a.place.clone(),
        target_groups: groups.into_iter().map(|g| g.target_group_id).collect(),
        languages: a
            .languages
            .split(',')
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        ethnic_minority_outreach: a.ethnic_minority_outreach,
        border_outreach: a.border_outreach,
        planned: input::Figures {
            participants: a.planned_participants,
            women: a.planned_women,
            ethnic_minority: a.planned_ethnic_minority,
            children: a.planned_children,
            broadcasts: a.planned_broadcasts,
            broadcast_minutes: a.planned_broadcast_minutes,
        },
        actual: input::Figures {
            participants: a.participants,
            women: a.participants_women,
            ethnic_minority: a.participants_ethnic_minority,
            children: a.participants_children,
            broadcasts: a.broadcasts,
            broadcast_minutes: a.broadcast_minutes,
        },
        held_on: a.held_on,
        materials: materials
            .into_iter()
            .map(|m| MaterialLine {
                kind_id: m.material_kind_id,
                planned: m.planned,
                produced: m.produced,
                distributed: m.distributed,
            })
            .collect(),
        budgets: budgets
            .into_iter()
            .map(|b| BudgetLine {
                source_id: b.funding_source_id,
                planned: b.planned,
                spent: b.spent,
            })
            .collect(),
        notes: a.notes.clone(),
    })
}

/// The audit record of an activity: its status, version and every field a user sets.
fn snapshot(status: &str, version: i32, input: &ActivityInput) -> Value {
    let mut v = serde_json::to_value(input).unwrap_or_else(|_| json!({}));
    v["status"] = json!(status);
    v["version"] = json!(version);
    v
}

async fn audit(
    txn: &DatabaseTransaction,
    ctx: &Ctx<'_>,
    action: &str,
    a: &activity::Model,
    change: Value,
) -> Result<(), DbErr> {
    audit::record(
        txn,
        ctx.now,
        audit::Event {
            user_id: Some(ctx.user.id),
            action,
            object_type: "activity",
            object_id: Some(a.id),
            org_unit_id: Some(a.org_unit_id),
            change,
        },
    )
    .await
}

/// Schedules a planned activity, or records one already held when `held` is set.
pub async fn create(
    db: &DatabaseConnection,
    ctx: &Ctx<'_>,
    input: ActivityInput,
    held: bool,
    series_id: Option<i64>,
    source_activity_id: Option<i64>,
) -> ActivityResult<activity::Model> {
    validate(db, ctx, &input, held).await?;
    let txn = db.begin().await?;
    let created = insert(&txn, ctx, &input, held, series_id, source_activity_id).await?;
    rollups::refresh(&txn, [(created.org_unit_id, created.start_date)]).await?;
    txn.commit().await?;
    Ok(created)
}

/// Writes one new activity with its lines and audit row; the caller then runs
/// `dashboard::rollups::refresh` for everything it inserted, before committing.
pub(crate) async fn insert(
    txn: &DatabaseTransaction,
    ctx: &Ctx<'_>,
    input: &ActivityInput,
    held: bool,
    series_id: Option<i64>,
    source_activity_id: Option<i64>,
) -> ActivityResult<activity::Model> {
    let status = if held { HELD } else { PLANNED };
    let mut row = activity::ActiveModel {
        status: Set(status.to_owned()),
        cancel_reason: Set(None),
        series_id: Set(series_id),
        source_activity_id: Set(source_activity_id),
        version: Set(1),
        created_by: Set(Some(ctx.user.id)),
        updated_by: Set(Some(ctx.user.id)),
        created_at: Set(ctx.now),
        updated_at: Set(ctx.now),
        ..Default::default()
    };
    apply(&mut row, input);
    let created = row.insert(txn).await?;
    write_details(txn, created.id, input, ctx.now).await?;
    audit(
        txn,
        ctx,
        if held {
            "activity:log"
        } else {
            "activity:create"
        },
        &created,
        json!({ "after": snapshot(status, 1, input) }),
    )
    .await?;
    Ok(created)
}

/// Claims the next version of a row: the UPDATE matches only if nobody saved since `expected`,
/// and holds the row until the transaction ends.
async fn claim(
    txn: &DatabaseTransaction,
    id: i64,
    expected: i32,
) -> ActivityResult<activity::Model> {
    let res = activity::Entity::update_many()
        .col_expr(
            activity::Column::Version,
            Expr::col(activity::Column::Version).add(1),
        )
        .filter(activity::Column::Id.eq(id))
        .filter(activity::Column::Version.eq(expected))
        .exec(txn)
        .await?;
    let current = activity::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("activity {id}")))?;
    if res.rows_affected == 0 {
        return Err(ActivityError::Conflict(Box::new(current)));
    }
    Ok(current)
}

/// What a status change adds to the saved row: the reason, kept in the audit record (and as
/// the cancel reason), and for a postponement the old dates for the date history.
struct Change<'a> {
    reason: Option<&'a str>,
    postponed_from: Option<(NaiveDate, NaiveDate)>,
}

const NO_CHANGE: Change<'static> = Change {
    reason: None,
    postponed_from: None,
};

/// Saves a changed activity (a full edit, a log, a correction, a status change) under the
/// version guard, with its audit row and date history, in one transaction.
#[allow(clippy::too_many_arguments)]
async fn save(
    db: &DatabaseConnection,
    ctx: &Ctx<'_>,
    id: i64,
    version: i32,
    input: &ActivityInput,
    status: &str,
    action: &str,
    change_info: Change<'_>,
) -> ActivityResult<activity::Model> {
    let current = activity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("activity {id}")))?;
    if crate::reports::service::is_locked(
        db,
        current.org_unit_id,
        current.agency_id,
        current.start_date,
    )
    .await?
    {
        return Err(ActivityError::field("start_date", "activity.error.locked"));
    }
    let txn = db.begin().await?;
    let claimed = claim(&txn, id, version).await?;
    let before = current_input(&txn, &claimed).await?;
    let before_status = claimed.status.clone();
    let before_key = (claimed.org_unit_id, claimed.start_date);
    let mut row: activity::ActiveModel = claimed.into();
    apply(&mut row, input);
    row.status = Set(status.to_owned());
    row.updated_by = Set(Some(ctx.user.id));
    row.updated_at = Set(ctx.now);
    if status == CANCELLED {
        row.cancel_reason = Set(change_info.reason.map(|r| r.trim().to_owned()));
    }
    let saved = row.update(&txn).await?;
    write_details(&txn, id, input, ctx.now).await?;
    if let Some((old_start, old_end)) = change_info.postponed_from {
        activity_date_change::ActiveModel {
            activity_id: Set(id),
            old_start: Set(old_start),
            old_end: Set(old_end),
            new_start: Set(input.start_date),
            new_end: Set(input.end_date),
            reason: Set(change_info.reason.unwrap_or("").trim().to_owned()),
            changed_by: Set(Some(ctx.user.id)),
            created_at: Set(ctx.now),
            updated_at: Set(ctx.now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let mut change = json!({
        "before": snapshot(&before_status, version, &before),
        "after": snapshot(status, version + 1, input),
    });
    if let Some(reason) = change_info.reason {
        change["reason"] = json!(reason.trim());
    }
    audit(&txn, ctx, action, &saved, change).await?;
    rollups::refresh(&txn, [before_key, (saved.org_unit_id, saved.start_date)]).await?;
    txn.commit().await?;
    Ok(saved)
}

/// A full edit: everything but the status. A held activity stays held and must still satisfy
/// what logging requires (a correction).
pub async fn update(
    db: &DatabaseConnection,
    ctx: &Ctx<'_>,
    current: &activity::Model,
    version: i32,
    input: ActivityInput,
) -> ActivityResult<activity::Model> {
    if current.status == CANCELLED {
        return Err(ActivityError::field("status", "activity.error.cancelled"));
    }
    let held = current.status == HELD;
    validate(db, ctx, &input, held).await?;
    let action = if held {
        "activity:correct"
    } else {
        "activity:update"
    };
    save(
        db,
        ctx,
        current.id,
        version,
        &input,
        &current.status,
        action,
        NO_CHANGE,
    )
    .await
}

/// Logs a planned or postponed activity as held.
pub async fn log_held(
    db: &DatabaseConnection,
    ctx: &Ctx<'_>,
    current: &activity::Model,
    version: i32,
    input: ActivityInput,
) -> ActivityResult<activity::Model> {
    if current.status != PLANNED && current.status != POSTPONED && current.status != HELD {
        return Err(ActivityError::field("status", "activity.error.transition"));
    }
    validate(db, ctx, &input, true).await?;
    let action = if current.status == HELD {
        "activity:correct"
    } else {
        "activity:log"
    };
    save(
        db, ctx, current.id, version, &input, HELD, action, NO_CHANGE,
    )
    .await
}

/// Moves a planned activity to new dates; the old ones are kept in the date history.
pub async fn postpone(
    db: &DatabaseConnection,
    ctx: &Ctx<'_>,
    current: &activity::Model,
    version: i32,
    new_start: NaiveDate,
    new_end: NaiveDate,
    reason: &str,
) -> ActivityResult<activity::Model> {
    if current.status != PLANNED && current.status != POSTPONED {
        return Err(ActivityError::field("status", "activity.error.transition"));
    }
    let mut errors = FieldErrors::default();
    if new_end < new_start {
        errors.add("new_end", "activity.error.end_before_start");
    }
    input::check_free_text(&[("reason", Some(reason))], &mut errors);
    if !errors.is_empty() {
        return Err(ActivityError::Invalid(errors));
    }
    let mut input = current_input(db, current).await?;
    input.start_date = new_start;
    input.end_date = new_end;
    let change = Change {
        reason: Some(reason),
        postponed_from: Some((current.start_date, current.end_date)),
    };
    save(
        db,
        ctx,
        current.id,
        version,
        &input,
        POSTPONED,
        "activity:postpone",
        change,
    )
    .await
}

/// Cancels a planned or postponed activity, with its reason.
pub async fn cancel(
    db: &DatabaseConnection,
    ctx: &Ctx<'_>,
    current: &activity::Model,
    version: i32,
    reason: &str,
) -> ActivityResult<activity::Model> {
    if current.status != PLANNED && current.status != POSTPONED {
        return Err(ActivityError::field("status", "activity.error.transition"));
    }
    if reason.trim().is_empty() {
        return Err(ActivityError::field("reason", "activity.error.reason"));
    }
    let mut errors = FieldErrors::default();
    input::check_free_text(&[("reason", Some(reason))], &mut errors);
    if !errors.is_empty() {
        return Err(ActivityError::Invalid(errors));
    }
    let input = current_input(db, current).await?;
    let change = Change {
        reason: Some(reason),
        postponed_from: None,
    };
    save(
        db,
        ctx,
        current.id,
        version,
        &input,
        CANCELLED,
        "activity:cancel",
        change,
    )
    .await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frequency {
    Weekly,
    Monthly,
}

/// A series: `occurrences` planned activities, one a week or one a month from the input's
/// dates, each logged on its own.
pub async fn create_series(
    db: &DatabaseConnection,
    ctx: &Ctx<'_>,
    input: ActivityInput,
    frequency: Frequency,
    occurrences: u32,
) -> ActivityResult<Vec<activity::Model>> {
    if !(2..=53).contains(&occurrences) {
        return Err(ActivityError::field(
            "occurrences",
            "activity.error.occurrences",
        ));
    }
    validate(db, ctx, &input, false).await?;
    let txn = db.begin().await?;
    let series = activity_series::ActiveModel {
        title: Set(input.title.clone()),
        frequency: Set(match frequency {
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
        }
        .to_owned()),
        occurrences: Set(i32::try_from(occurrences).unwrap_or(i32::MAX)),
        created_by: Set(Some(ctx.user.id)),
        created_at: Set(ctx.now),
        updated_at: Set(ctx.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let length = input.end_date - input.start_date;
    let mut out = Vec::new();
    for n in 0..occurrences {
        let start = match frequency {
            Frequency::Weekly => input.start_date + Duration::weeks(i64::from(n)),
            Frequency::Monthly => input
                .start_date
                .checked_add_months(Months::new(n))
                .unwrap_or(input.start_date),
        };
        let mut one = input.clone();
        one.start_date = start;
        one.end_date = start + length;
        out.push(insert(&txn, ctx, &one, false, Some(series.id), None).await?);
    }
    rollups::refresh(&txn, out.iter().map(|a| (a.org_unit_id, a.start_date))).await?;
    txn.commit().await?;
    Ok(out)
}

/// Shifts a date by whole years (29 February becomes 28) and then by days.
pub fn shift(d: NaiveDate, years: i32, days: i64) -> NaiveDate {
    let moved = d
        .with_year(d.year() + years)
        .or_else(|| NaiveDate::from_ymd_opt(d.year() + years, d.month(), 28))
        .unwrap_or(d);
    moved + Duration::days(days)
}

/// Where each item of a plan sits: the positions from the root, which a cloned plan keeps.
async fn item_paths(
    db: &impl ConnectionTrait,
    plan_id: i64,
) -> Result<Vec<(i64, Vec<i32>)>, DbErr> {
    let items = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(plan_id))
        .all(db)
        .await?;
    Ok(items
        .iter()
        .map(|i| {
            let mut path = vec![i.position];
            let mut parent = i.parent_id;
            while let Some(p) = parent.and_then(|p| items.iter().find(|x| x.id == p)) {
                path.push(p.position);
                parent = p.parent_id;
            }
            path.reverse();
            (i.id, path)
        })
        .collect())
}

/// Clones activities into a new period as planned ones: dates shifted, actual figures left
/// out. With a target plan, each activity moves to the item at the same place in that plan
/// (a plan cloned from the source keeps its shape).
pub async fn clone_activities(
    db: &DatabaseConnection,
    ctx: &Ctx<'_>,
    sources: &[activity::Model],
    years: i32,
    days: i64,
    target_plan: Option<i64>,
) -> ActivityResult<Vec<activity::Model>> {
    if sources.is_empty() {
        return Err(ActivityError::field(
            "selection",
            "activity.error.nothing_to_clone",
        ));
    }
    let mut mapping: Vec<(i64, i64)> = Vec::new();
    if let Some(target) = target_plan {
        let target_paths = item_paths(db, target).await?;
        let mut source_plans: Vec<i64> = Vec::new();
        for s in sources {
            if let Some(i) = plan_item::Entity::find_by_id(s.plan_item_id)
                .one(db)
                .await?
                && !source_plans.contains(&i.plan_id)
            {
                source_plans.push(i.plan_id);
            }
        }
        for sp in source_plans {
            for (old, path) in item_paths(db, sp).await? {
                if let Some((new, _)) = target_paths.iter().find(|(_, p)| *p == path) {
                    mapping.push((old, *new));
                }
            }
        }
    }
    let mut prepared = Vec::new();
    for s in sources {
        if !may_write(ctx.user, ctx.scope, s.org_unit_id, s.agency_id) {
            return Err(ActivityError::OutOfScope);
        }
        let mut input = current_input(db, s).await?;
        input.start_date = shift(s.start_date, years, days);
        input.end_date = shift(s.end_date, years, days);
        input.actual = input::Figures::default();
        input.held_on = None;
        for m in &mut input.materials {
            m.produced = None;
            m.distributed = None;
        }
        for b in &mut input.budgets {
            b.spent = None;
        }
        input.budgets.retain(|b| b.planned.is_some());
        input.materials.retain(|m| m.planned.is_some());
        if target_plan.is_some() {
            match mapping.iter().find(|(old, _)| *old == s.plan_item_id) {
                Some((_, new)) => input.plan_item_id = *new,
                None => {
                    return Err(ActivityError::field(
                        "target_plan_id",
                        "activity.error.no_matching_item",
                    ));
                }
            }
        }
        validate(db, ctx, &input, false).await?;
        prepared.push((s.id, input));
    }
    let txn = db.begin().await?;
    let mut out = Vec::new();
    for (source_id, input) in &prepared {
        out.push(insert(&txn, ctx, input, false, None, Some(*source_id)).await?);
    }
    rollups::refresh(&txn, out.iter().map(|a| (a.org_unit_id, a.start_date))).await?;
    txn.commit().await?;
    Ok(out)
}

/// The plans whose items an activity may name, readable by the user.
pub async fn plan_items_for(
    db: &impl ConnectionTrait,
    plan_units: &[i64],
) -> Result<Vec<(plan::Model, Vec<plan_item::Model>)>, DbErr> {
    let plans = plan::Entity::find()
        .filter(plan::Column::OrgUnitId.is_in(plan_units.iter().copied()))
        .order_by_desc(plan::Column::PeriodStart)
        .order_by_asc(plan::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for p in plans {
        let items = plan_item::Entity::find()
            .filter(plan_item::Column::PlanId.eq(p.id))
            .order_by_asc(plan_item::Column::Id)
            .all(db)
            .await?;
        out.push((p, items));
    }
    Ok(out)
}
