//! The rules of plan authoring: drafts are edited freely; an issued plan's structure is frozen
//! and every later change is an amendment with a date and reason; a closed plan does not change.
//! Also clone (next year's plan from this year's) and cascade (a commune's plan from the
//! district's issued plan). Every write runs in one transaction with its audit row.

use crate::audit;
use crate::entities::{
    agency, code, org_unit, plan, plan_amendment, plan_budget, plan_item, plan_item_agency,
    plan_legal_basis, plan_target,
};
use crate::web::forms::FieldErrors;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::{Value, json};
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("the plan is closed")]
    Closed,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl PlanError {
    fn field(field: &str, key: &str) -> Self {
        let mut e = FieldErrors::default();
        e.add(field, key);
        PlanError::Invalid(e)
    }
}

pub type PlanResult<T> = Result<T, PlanError>;

pub const DRAFT: &str = "draft";
pub const ISSUED: &str = "issued";
pub const CLOSED: &str = "closed";

/// Who acts, and when.
#[derive(Clone, Copy)]
pub struct Actor {
    pub user_id: i64,
    pub now: DateTime<Utc>,
}

/// The date and reason of a change to an issued plan.
#[derive(Clone, Debug)]
pub struct Amendment {
    pub on: NaiveDate,
    pub reason: String,
}

/// The header of a plan: everything but its items.
#[derive(Clone, Debug)]
pub struct PlanHeader {
    pub title: String,
    pub org_unit_id: i64,
    pub drafting_agency_id: Option<i64>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub place: String,
    pub preamble: String,
    pub legal_bases: Vec<String>,
    pub signer_authority: String,
    pub signer_title: String,
    pub signer_name: String,
    pub recipients: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ItemInput {
    pub label: String,
    pub heading: String,
    pub body: Option<String>,
    pub lead_agency_id: Option<i64>,
    pub support_agency_ids: Vec<i64>,
    /// Set when the item is a content area of its plan: what it reports (`plans::areas`).
    pub area_kind: Option<String>,
}

#[derive(Clone, Debug)]
pub struct TargetInput {
    pub indicator_id: i64,
    pub activity_type_id: Option<i64>,
    pub value: i64,
    pub unit: String,
}

/// What a change to a plan must satisfy given its status: drafts change freely, issued plans
/// only through an amendment, closed plans not at all.
fn check_changeable(p: &plan::Model, amendment: Option<&Amendment>) -> PlanResult<()> {
    match p.status.as_str() {
        DRAFT => Ok(()),
        ISSUED => match amendment {
            Some(a) if !a.reason.trim().is_empty() => {
                match crate::text::FreeText::new(&a.reason, crate::text::LONG_TEXT) {
                    Ok(_) => Ok(()),
                    Err(why) => Err(PlanError::field("reason", why.key())),
                }
            }
            _ => Err(PlanError::field("reason", "plan.error.amendment_reason")),
        },
        _ => Err(PlanError::Closed),
    }
}

async fn record(
    txn: &DatabaseTransaction,
    actor: Actor,
    p: &plan::Model,
    action: &str,
    amendment: Option<&Amendment>,
    change: Value,
) -> PlanResult<()> {
    if p.status == ISSUED
        && let Some(a) = amendment
    {
        plan_amendment::ActiveModel {
            plan_id: Set(p.id),
            amended_on: Set(a.on),
            reason: Set(a.reason.trim().to_owned()),
            change: Set(json!({ "action": action, "change": change }).to_string()),
            created_by: Set(Some(actor.user_id)),
            created_at: Set(actor.now),
            updated_at: Set(actor.now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    audit::record(
        txn,
        actor.now,
        audit::Event {
            user_id: Some(actor.user_id),
            action,
            object_type: "plan",
            object_id: Some(p.id),
            org_unit_id: Some(p.org_unit_id),
            change,
        },
    )
    .await?;
    Ok(())
}

pub fn validate_header(h: &PlanHeader, errors: &mut FieldErrors) {
    if h.title.trim().is_empty() {
        errors.add("title", "form.required");
    }
    if h.place.trim().is_empty() {
        errors.add("place", "form.required");
    }
    if h.period_end < h.period_start {
        errors.add("period_end", "plan.error.period");
    }
    use crate::text::{LONG_TEXT, SHORT_TEXT};
    crate::text::check_texts(
        &[
            ("title", Some(h.title.as_str()), SHORT_TEXT),
            ("place", Some(h.place.as_str()), SHORT_TEXT),
            ("preamble", Some(h.preamble.as_str()), LONG_TEXT),
            (
                "signer_authority",
                Some(h.signer_authority.as_str()),
                SHORT_TEXT,
            ),
            ("signer_title", Some(h.signer_title.as_str()), SHORT_TEXT),
            ("signer_name", Some(h.signer_name.as_str()), SHORT_TEXT),
        ],
        errors,
    );
    for (field, list) in [
        ("legal_bases", &h.legal_bases),
        ("recipients", &h.recipients),
    ] {
        for line in list.iter() {
            crate::text::free_text(field, line, LONG_TEXT, errors);
        }
    }
}

async fn unique_code(db: &impl ConnectionTrait, unit_id: i64, year: i32) -> PlanResult<String> {
    let unit = org_unit::Entity::find_by_id(unit_id)
        .one(db)
        .await?
        .ok_or(PlanError::NotFound)?;
    let taken = plan::Entity::find()
        .filter(plan::Column::OrgUnitId.eq(unit_id))
        .count(db)
        .await?;
    let mut n = taken + 1;
    loop {
        let code = format!("{}-{year}-{n}", unit.code);
        let exists = plan::Entity::find()
            .filter(plan::Column::Code.eq(&code))
            .count(db)
            .await?
            > 0;
        if !exists {
            return Ok(code);
        }
        n += 1;
    }
}

async fn insert_legal_bases(
    txn: &DatabaseTransaction,
    plan_id: i64,
    bases: &[String],
    now: DateTime<Utc>,
) -> PlanResult<()> {
    for (i, text) in bases.iter().filter(|b| !b.trim().is_empty()).enumerate() {
        plan_legal_basis::ActiveModel {
            plan_id: Set(plan_id),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX) + 1),
            text: Set(text.trim().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

pub async fn create_plan(
    db: &DatabaseConnection,
    actor: Actor,
    h: PlanHeader,
) -> PlanResult<plan::Model> {
    let mut errors = FieldErrors::default();
    validate_header(&h, &mut errors);
    if !errors.is_empty() {
        return Err(PlanError::Invalid(errors));
    }
    let txn = db.begin().await?;
    let code = unique_code(&txn, h.org_unit_id, h.period_start.year()).await?;
    let created = plan::ActiveModel {
        code: Set(code),
        number: Set(None),
        title: Set(h.title.trim().to_owned()),
        org_unit_id: Set(h.org_unit_id),
        drafting_agency_id: Set(h.drafting_agency_id),
        period_start: Set(h.period_start),
        period_end: Set(h.period_end),
        status: Set(DRAFT.to_owned()),
        issued_on: Set(None),
        place: Set(h.place.trim().to_owned()),
        preamble: Set(h.preamble.trim().to_owned()),
        signer_authority: Set(h.signer_authority.trim().to_owned()),
        signer_title: Set(h.signer_title.trim().to_owned()),
        signer_name: Set(h.signer_name.trim().to_owned()),
        recipients: Set(h.recipients.join("\n")),
        parent_plan_id: Set(None),
        source_plan_id: Set(None),
        created_by: Set(Some(actor.user_id)),
        created_at: Set(actor.now),
        updated_at: Set(actor.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    insert_legal_bases(&txn, created.id, &h.legal_bases, actor.now).await?;
    record(
        &txn,
        actor,
        &created,
        "plan:create",
        None,
        json!({ "title": created.title }),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_header(
    db: &DatabaseConnection,
    actor: Actor,
    plan_id: i64,
    h: PlanHeader,
    amendment: Option<Amendment>,
) -> PlanResult<plan::Model> {
    let mut errors = FieldErrors::default();
    validate_header(&h, &mut errors);
    if !errors.is_empty() {
        return Err(PlanError::Invalid(errors));
    }
    let txn = db.begin().await?;
    let p = load_for_update(&txn, plan_id).await?;
    check_changeable(&p, amendment.as_ref())?;
    let before = json!({ "title": p.title, "period_start": p.period_start, "period_end": p.period_end, "signer_name": p.signer_name });
    let mut row: plan::ActiveModel = p.clone().into();
    row.title = Set(h.title.trim().to_owned());
    row.drafting_agency_id = Set(h.drafting_agency_id);
    row.period_start = Set(h.period_start);
    row.period_end = Set(h.period_end);
    row.place = Set(h.place.trim().to_owned());
    row.preamble = Set(h.preamble.trim().to_owned());
    row.signer_authority = Set(h.signer_authority.trim().to_owned());
    row.signer_title = Set(h.signer_title.trim().to_owned());
    row.signer_name = Set(h.signer_name.trim().to_owned());
    row.recipients = Set(h.recipients.join("\n"));
    row.updated_at = Set(actor.now);
    let updated = row.update(&txn).await?;
    plan_legal_basis::Entity::delete_many()
        .filter(plan_legal_basis::Column::PlanId.eq(plan_id))
        .exec(&txn)
        .await?;
    insert_legal_bases(&txn, plan_id, &h.legal_bases, actor.now).await?;
    let change = json!({ "before": before, "after": { "title": updated.title, "period_start": updated.period_start, "period_end": updated.period_end, "signer_name": updated.signer_name } });
    record(&txn, actor, &p, "plan:update", amendment.as_ref(), change).await?;
    txn.commit().await?;
    Ok(updated)
}

async fn load_for_update(txn: &DatabaseTransaction, plan_id: i64) -> PlanResult<plan::Model> {
    plan::Entity::find_by_id(plan_id)
        .one(txn)
        .await?
        .ok_or(PlanError::NotFound)
}

async fn item_of(
    txn: &DatabaseTransaction,
    plan_id: i64,
    item_id: i64,
) -> PlanResult<plan_item::Model> {
    plan_item::Entity::find_by_id(item_id)
        .one(txn)
        .await?
        .filter(|i| i.plan_id == plan_id)
        .ok_or(PlanError::NotFound)
}

async fn validate_item(db: &impl ConnectionTrait, input: &ItemInput) -> PlanResult<()> {
    let mut errors = FieldErrors::default();
    if input.heading.trim().is_empty() && input.body.as_deref().is_none_or(|b| b.trim().is_empty())
    {
        errors.add("heading", "plan.error.item_text");
    }
    if input.label.trim().is_empty() || input.label.chars().count() > 10 {
        errors.add("label", "plan.error.label");
    }
    if input
        .area_kind
        .as_deref()
        .is_some_and(|k| crate::plans::areas::AreaKind::parse(k).is_none())
    {
        errors.add("area_kind", "plan.error.area_kind");
    }
    use crate::text::{LONG_TEXT, SHORT_TEXT};
    crate::text::check_texts(
        &[
            ("label", Some(input.label.as_str()), SHORT_TEXT),
            ("heading", Some(input.heading.as_str()), LONG_TEXT),
            ("body", input.body.as_deref(), LONG_TEXT),
        ],
        &mut errors,
    );
    let mut ids: Vec<i64> = input.support_agency_ids.clone();
    ids.extend(input.lead_agency_id);
    for id in ids {
        if agency::Entity::find_by_id(id).one(db).await?.is_none() {
            errors.add("lead_agency_id", "account.error.agency_unknown");
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(PlanError::Invalid(errors))
    }
}

async fn set_supports(
    txn: &DatabaseTransaction,
    item_id: i64,
    ids: &[i64],
    now: DateTime<Utc>,
) -> PlanResult<()> {
    plan_item_agency::Entity::delete_many()
        .filter(plan_item_agency::Column::PlanItemId.eq(item_id))
        .exec(txn)
        .await?;
    let mut seen = Vec::new();
    for id in ids {
        if seen.contains(id) {
            continue;
        }
        seen.push(*id);
        plan_item_agency::ActiveModel {
            plan_item_id: Set(item_id),
            agency_id: Set(*id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Marks an item as a content area of its plan (with what it reports), or unmarks it.
pub async fn set_item_area(
    db: &DatabaseConnection,
    actor: Actor,
    plan_id: i64,
    item_id: i64,
    area_kind: Option<String>,
    amendment: Option<Amendment>,
) -> PlanResult<plan_item::Model> {
    if area_kind
        .as_deref()
        .is_some_and(|k| crate::plans::areas::AreaKind::parse(k).is_none())
    {
        let mut errors = FieldErrors::default();
        errors.add("area", "plan.error.area_kind");
        return Err(PlanError::Invalid(errors));
    }
    let txn = db.begin().await?;
    let p = load_for_update(&txn, plan_id).await?;
    check_changeable(&p, amendment.as_ref())?;
    let item = item_of(&txn, plan_id, item_id).await?;
    if area_kind.is_some() {
        check_area_nesting(&txn, plan_id, item.parent_id, Some(item.id)).await?;
    }
    let before = item.area_kind.clone();
    let mut row: plan_item::ActiveModel = item.into();
    row.area_kind = Set(area_kind.clone());
    row.updated_at = Set(actor.now);
    let updated = row.update(&txn).await?;
    let change = json!({ "item_id": item_id, "before": { "area_kind": before }, "after": { "area_kind": area_kind } });
    record(
        &txn,
        actor,
        &p,
        "plan:item_update",
        amendment.as_ref(),
        change,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Content areas do not nest: an item under an area, or above one, cannot be an area itself.
async fn check_area_nesting(
    txn: &DatabaseTransaction,
    plan_id: i64,
    parent_id: Option<i64>,
    item_id: Option<i64>,
) -> PlanResult<()> {
    let items = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(plan_id))
        .all(txn)
        .await?;
    let by_id: HashMap<i64, &plan_item::Model> = items.iter().map(|i| (i.id, i)).collect();
    let mut cursor = parent_id;
    let mut nested = false;
    while let Some(p) = cursor.and_then(|id| by_id.get(&id)) {
        nested |= p.area_kind.is_some();
        cursor = p.parent_id;
    }
    if let Some(id) = item_id {
        // Anything below the item that is an area already.
        let mut frontier = vec![id];
        while let Some(f) = frontier.pop() {
            for c in items.iter().filter(|i| i.parent_id == Some(f)) {
                nested |= c.area_kind.is_some();
                frontier.push(c.id);
            }
        }
    }
    if nested {
        let mut errors = FieldErrors::default();
        errors.add("area_kind", "plan.error.area_nested");
        return Err(PlanError::Invalid(errors));
    }
    Ok(())
}

async fn next_position(
    txn: &DatabaseTransaction,
    plan_id: i64,
    parent: Option<i64>,
) -> PlanResult<i32> {
    let siblings = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(plan_id))
        .filter(match parent {
            Some(p) => plan_item::Column::ParentId.eq(p),
            None => plan_item::Column::ParentId.is_null(),
        })
        .all(txn)
        .await?;
    Ok(siblings.iter().map(|s| s.position).max().unwrap_or(0) + 1)
}

pub async fn add_item(
    db: &DatabaseConnection,
    actor: Actor,
    plan_id: i64,
    parent_id: Option<i64>,
    input: ItemInput,
    amendment: Option<Amendment>,
) -> PlanResult<plan_item::Model> {
    validate_item(db, &input).await?;
    let txn = db.begin().await?;
    let p = load_for_update(&txn, plan_id).await?;
    check_changeable(&p, amendment.as_ref())?;
    if let Some(parent) = parent_id {
        item_of(&txn, plan_id, parent).await?;
    }
    if input.area_kind.is_some() {
        check_area_nesting(&txn, plan_id, parent_id, None).await?;
    }
    let position = next_position(&txn, plan_id, parent_id).await?;
    let created = plan_item::ActiveModel {
        plan_id: Set(plan_id),
        parent_id: Set(parent_id),
        position: Set(position),
        label: Set(input.label.trim().to_owned()),
        heading: Set(input.heading.trim().to_owned()),
        body: Set(input.body.clone()),
        area_kind: Set(input.area_kind.clone()),
        lead_agency_id: Set(input.lead_agency_id),
        source_item_id: Set(None),
        created_at: Set(actor.now),
        updated_at: Set(actor.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    set_supports(&txn, created.id, &input.support_agency_ids, actor.now).await?;
    record(
        &txn,
        actor,
        &p,
        "plan:item_add",
        amendment.as_ref(),
        json!({ "item_id": created.id, "heading": created.heading, "parent_id": parent_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_item(
    db: &DatabaseConnection,
    actor: Actor,
    plan_id: i64,
    item_id: i64,
    input: ItemInput,
    amendment: Option<Amendment>,
) -> PlanResult<plan_item::Model> {
    validate_item(db, &input).await?;
    let txn = db.begin().await?;
    let p = load_for_update(&txn, plan_id).await?;
    check_changeable(&p, amendment.as_ref())?;
    let item = item_of(&txn, plan_id, item_id).await?;
    if input.area_kind.is_some() {
        check_area_nesting(&txn, plan_id, item.parent_id, Some(item.id)).await?;
    }
    let before = json!({ "label": item.label, "heading": item.heading, "body": item.body, "lead_agency_id": item.lead_agency_id, "area_kind": item.area_kind });
    let mut row: plan_item::ActiveModel = item.into();
    row.label = Set(input.label.trim().to_owned());
    row.heading = Set(input.heading.trim().to_owned());
    row.body = Set(input.body.clone());
    row.lead_agency_id = Set(input.lead_agency_id);
    row.area_kind = Set(input.area_kind.clone());
    row.updated_at = Set(actor.now);
    let updated = row.update(&txn).await?;
    set_supports(&txn, item_id, &input.support_agency_ids, actor.now).await?;
    let change = json!({ "item_id": item_id, "before": before, "after": { "label": updated.label, "heading": updated.heading, "body": updated.body, "lead_agency_id": updated.lead_agency_id, "area_kind": updated.area_kind, "support": input.support_agency_ids } });
    record(
        &txn,
        actor,
        &p,
        "plan:item_update",
        amendment.as_ref(),
        change,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    /// Becomes the last child of its previous sibling.
    Indent,
    /// Becomes the next sibling of its parent.
    Outdent,
}

pub async fn move_item(
    db: &DatabaseConnection,
    actor: Actor,
    plan_id: i64,
    item_id: i64,
    direction: Move,
    amendment: Option<Amendment>,
) -> PlanResult<()> {
    let txn = db.begin().await?;
    let p = load_for_update(&txn, plan_id).await?;
    check_changeable(&p, amendment.as_ref())?;
    let item = item_of(&txn, plan_id, item_id).await?;
    let siblings = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(plan_id))
        .filter(match item.parent_id {
            Some(pid) => plan_item::Column::ParentId.eq(pid),
            None => plan_item::Column::ParentId.is_null(),
        })
        .order_by_asc(plan_item::Column::Position)
        .order_by_asc(plan_item::Column::Id)
        .all(&txn)
        .await?;
    let index = siblings.iter().position(|s| s.id == item_id).unwrap_or(0);
    let before = json!({ "parent_id": item.parent_id, "position": item.position });
    match direction {
        Move::Up | Move::Down => {
            let other = if direction == Move::Up {
                index.checked_sub(1).and_then(|i| siblings.get(i))
            } else {
                siblings.get(index + 1)
            };
            let Some(other) = other else {
                return Err(PlanError::field("move", "plan.error.cannot_move"));
            };
            // Renumber all siblings densely, swapping the two: positions stay unique.
            let mut order: Vec<i64> = siblings.iter().map(|s| s.id).collect();
            let j = order.iter().position(|id| *id == other.id).unwrap_or(index);
            order.swap(index, j);
            renumber(&txn, &order, actor.now).await?;
        }
        Move::Indent => {
            let Some(new_parent) = index.checked_sub(1).and_then(|i| siblings.get(i)) else {
                return Err(PlanError::field("move", "plan.error.cannot_move"));
            };
            let position = next_position(&txn, plan_id, Some(new_parent.id)).await?;
            reparent(&txn, &item, Some(new_parent.id), position, actor.now).await?;
        }
        Move::Outdent => {
            let Some(parent_id) = item.parent_id else {
                return Err(PlanError::field("move", "plan.error.cannot_move"));
            };
            let parent = item_of(&txn, plan_id, parent_id).await?;
            let uncles = plan_item::Entity::find()
                .filter(plan_item::Column::PlanId.eq(plan_id))
                .filter(match parent.parent_id {
                    Some(g) => plan_item::Column::ParentId.eq(g),
                    None => plan_item::Column::ParentId.is_null(),
                })
                .order_by_asc(plan_item::Column::Position)
                .order_by_asc(plan_item::Column::Id)
                .all(&txn)
                .await?;
            let mut order: Vec<i64> = uncles.iter().map(|u| u.id).collect();
            let at = order
                .iter()
                .position(|id| *id == parent.id)
                .map_or(order.len(), |i| i + 1);
            order.insert(at, item.id);
            reparent(&txn, &item, parent.parent_id, 0, actor.now).await?;
            renumber(&txn, &order, actor.now).await?;
        }
    }
    record(
        &txn,
        actor,
        &p,
        "plan:item_move",
        amendment.as_ref(),
        json!({ "item_id": item_id, "direction": format!("{direction:?}"), "before": before }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn renumber(txn: &DatabaseTransaction, order: &[i64], now: DateTime<Utc>) -> PlanResult<()> {
    for (i, id) in order.iter().enumerate() {
        if let Some(row) = plan_item::Entity::find_by_id(*id).one(txn).await? {
            let mut row: plan_item::ActiveModel = row.into();
            row.position = Set(i32::try_from(i).unwrap_or(i32::MAX) + 1);
            row.updated_at = Set(now);
            row.update(txn).await?;
        }
    }
    Ok(())
}

async fn reparent(
    txn: &DatabaseTransaction,
    item: &plan_item::Model,
    parent: Option<i64>,
    position: i32,
    now: DateTime<Utc>,
) -> PlanResult<()> {
    let mut row: plan_item::ActiveModel = item.clone().into();
    row.parent_id = Set(parent);
    row.position = Set(position);
    row.updated_at = Set(now);
    row.update(txn).await?;
    Ok(())
}

/// What still points at an item and so prevents its removal.
pub async fn links_to_item(db: &impl ConnectionTrait, item_id: i64) -> Result<u64, DbErr> {
    let children = plan_item::Entity::find()
        .filter(plan_item::Column::ParentId.eq(item_id))
        .count(db)
        .await?;
    let derived = plan_item::Entity::find()
        .filter(plan_item::Column::SourceItemId.eq(item_id))
        .count(db)
        .await?;
    let activities = crate::entities::activity::Entity::find()
        .filter(crate::entities::activity::Column::PlanItemId.eq(item_id))
        .count(db)
        .await?;
    Ok(children + derived + activities)
}

pub async fn delete_item(
    db: &DatabaseConnection,
    actor: Actor,
    plan_id: i64,
    item_id: i64,
    amendment: Option<Amendment>,
) -> PlanResult<()> {
    let txn = db.begin().await?;
    let p = load_for_update(&txn, plan_id).await?;
    check_changeable(&p, amendment.as_ref())?;
    let item = item_of(&txn, plan_id, item_id).await?;
    if links_to_item(&txn, item_id).await? > 0 {
        return Err(PlanError::field("delete", "plan.error.in_use"));
    }
    plan_item::Entity::delete_by_id(item_id).exec(&txn).await?;
    record(
        &txn,
        actor,
        &p,
        "plan:item_delete",
        amendment.as_ref(),
        json!({ "item_id": item_id, "heading": item.heading, "body": item.body }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn add_target(
    db: &DatabaseConnection,
    actor: Actor,
    plan_id: i64,
    item_id: i64,
    t: TargetInput,
    amendment: Option<Amendment>,
) -> PlanResult<()> {
    let mut errors = FieldErrors::default();
    let indicator = code::Entity::find_by_id(t.indicator_id).one(db).await?;
    if indicator
        .as_ref()
        .is_none_or(|c| c.list != "indicator" || c.retired_at.is_some())
    {
        errors.add("indicator_id", "form.choose");
    }
    if let Some(at) = t.activity_type_id {
        let ok = crate::codes::in_list(db, at, "activity_type")
            .await?
            .is_some();
        if !ok {
            errors.add("activity_type_id", "form.choose");
        }
    }
    if t.value <= 0 || t.value > crate::activities::input::MAX_COUNT {
        errors.add("value", "plan.error.target_value");
    }
    crate::text::free_text("unit", &t.unit, crate::text::SHORT_TEXT, &mut errors);
    if !errors.is_empty() {
        return Err(PlanError::Invalid(errors));
    }
    let txn = db.begin().await?;
    let p = load_for_update(&txn, plan_id).await?;
    check_changeable(&p, amendment.as_ref())?;
    item_of(&txn, plan_id, item_id).await?;
    let created = plan_target::ActiveModel {
        plan_item_id: Set(item_id),
        indicator_id: Set(t.indicator_id),
        activity_type_id: Set(t.activity_type_id),
        value: Set(t.value),
        unit: Set(match (t.unit.trim(), &indicator) {
            ("", Some(ind)) => default_unit(ind).to_owned(),
            (u, _) => u.to_owned(),
        }),
        created_at: Set(actor.now),
        updated_at: Set(actor.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record(&txn, actor, &p, "plan:target_add", amendment.as_ref(), json!({ "item_id": item_id, "target_id": created.id, "indicator_id": t.indicator_id, "value": t.value })).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn delete_target(
    db: &DatabaseConnection,
    actor: Actor,
    plan_id: i64,
    target_id: i64,
    amendment: Option<Amendment>,
) -> PlanResult<()> {
    let txn = db.begin().await?;
    let p = load_for_update(&txn, plan_id).await?;
    check_changeable(&p, amendment.as_ref())?;
    let target = plan_target::Entity::find_by_id(target_id)
        .one(&txn)
        .await?
        .ok_or(PlanError::NotFound)?;
    item_of(&txn, plan_id, target.plan_item_id).await?;
    plan_target::Entity::delete_by_id(target_id)
        .exec(&txn)
        .await?;
    record(
        &txn,
        actor,
        &p,
        "plan:target_delete",
        amendment.as_ref(),
        json!({ "target_id": target_id, "value": target.value }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Sets the planned budget of an item per funding source (0 removes the line).
pub async fn set_budgets(
    db: &DatabaseConnection,
    actor: Actor,
    plan_id: i64,
    item_id: i64,
    amounts: Vec<(i64, i64)>,
    amendment: Option<Amendment>,
) -> PlanResult<()> {
    let mut errors = FieldErrors::default();
    for (source, amount) in &amounts {
        let ok = crate::codes::in_list(db, *source, "funding_source")
            .await?
            .is_some();
        if !ok || *amount < 0 || *amount > 1_000_000_000_000 {
            errors.add(&format!("budget_{source}"), "plan.error.budget");
        }
    }
    if !errors.is_empty() {
        return Err(PlanError::Invalid(errors));
    }
    let txn = db.begin().await?;
    let p = load_for_update(&txn, plan_id).await?;
    check_changeable(&p, amendment.as_ref())?;
    item_of(&txn, plan_id, item_id).await?;
    plan_budget::Entity::delete_many()
        .filter(plan_budget::Column::PlanItemId.eq(item_id))
        .exec(&txn)
        .await?;
    for (source, amount) in amounts.iter().filter(|(_, a)| *a > 0) {
        plan_budget::ActiveModel {
            plan_item_id: Set(item_id),
            funding_source_id: Set(*source),
            amount: Set(*amount),
            created_at: Set(actor.now),
            updated_at: Set(actor.now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    record(
        &txn,
        actor,
        &p,
        "plan:budget_set",
        amendment.as_ref(),
        json!({ "item_id": item_id, "amounts": amounts }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Issues a draft: it gets its number and date, and its structure freezes.
pub async fn issue(
    db: &DatabaseConnection,
    actor: Actor,
    plan_id: i64,
    number: String,
    issued_on: NaiveDate,
) -> PlanResult<plan::Model> {
    let number = number.trim().to_owned();
    if number.is_empty() || number.chars().count() > 40 {
        return Err(PlanError::field("number", "plan.error.number"));
    }
    let txn = db.begin().await?;
    let p = load_for_update(&txn, plan_id).await?;
    if p.status != DRAFT {
        return Err(PlanError::field("number", "plan.error.not_draft"));
    }
    let mut row: plan::ActiveModel = p.clone().into();
    row.status = Set(ISSUED.to_owned());
    row.number = Set(Some(number.clone()));
    row.issued_on = Set(Some(issued_on));
    row.updated_at = Set(actor.now);
    let updated = row.update(&txn).await?;
    record(
        &txn,
        actor,
        &p,
        "plan:issue",
        None,
        json!({ "number": number, "issued_on": issued_on }),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Closes an issued plan once its period has ended.
pub async fn close(
    db: &DatabaseConnection,
    actor: Actor,
    plan_id: i64,
    today: NaiveDate,
) -> PlanResult<()> {
    let txn = db.begin().await?;
    let p = load_for_update(&txn, plan_id).await?;
    if p.status != ISSUED {
        return Err(PlanError::field("close", "plan.error.not_issued"));
    }
    if p.period_end >= today {
        return Err(PlanError::field("close", "plan.error.period_not_over"));
    }
    let mut row: plan::ActiveModel = p.clone().into();
    row.status = Set(CLOSED.to_owned());
    row.updated_at = Set(actor.now);
    row.update(&txn).await?;
    record(&txn, actor, &p, "plan:close", None, json!({})).await?;
    txn.commit().await?;
    Ok(())
}

/// Options of a clone.
pub struct CloneOptions {
    pub years: i32,
    /// Targets are multiplied by this percentage (100 = unchanged), rounded.
    pub target_percent: i64,
    pub copy_budget: bool,
}

fn shift_year(d: NaiveDate, years: i32) -> NaiveDate {
    d.with_year(d.year() + years)
        .or_else(|| NaiveDate::from_ymd_opt(d.year() + years, d.month(), 28))
        .unwrap_or(d)
}

/// Replaces the plan's year in a text ("năm 2024" → "năm 2025").
fn shift_year_in_text(text: &str, from: i32, to: i32) -> String {
    text.replace(&from.to_string(), &to.to_string())
}

/// Next year's plan from this one, as a draft: same tree, agencies and (scaled) targets.
pub async fn clone_plan(
    db: &DatabaseConnection,
    actor: Actor,
    plan_id: i64,
    opts: CloneOptions,
) -> PlanResult<plan::Model> {
    if !(1..=1000).contains(&opts.target_percent) {
        return Err(PlanError::field("target_percent", "plan.error.percent"));
    }
    if !(1..=10).contains(&opts.years) {
        return Err(PlanError::field("years", "plan.error.years"));
    }
    let txn = db.begin().await?;
    let src = load_for_update(&txn, plan_id).await?;
    let (from, to) = (
        src.period_start.year(),
        src.period_start.year() + opts.years,
    );
    let code = unique_code(&txn, src.org_unit_id, to).await?;
    let created = plan::ActiveModel {
        code: Set(code),
        number: Set(None),
        title: Set(shift_year_in_text(&src.title, from, to)),
        org_unit_id: Set(src.org_unit_id),
        drafting_agency_id: Set(src.drafting_agency_id),
        period_start: Set(shift_year(src.period_start, opts.years)),
        period_end: Set(shift_year(src.period_end, opts.years)),
        status: Set(DRAFT.to_owned()),
        issued_on: Set(None),
        place: Set(src.place.clone()),
        preamble: Set(src.preamble.clone()),
        signer_authority: Set(src.signer_authority.clone()),
        signer_title: Set(src.signer_title.clone()),
        signer_name: Set(src.signer_name.clone()),
        recipients: Set(src.recipients.clone()),
        parent_plan_id: Set(src.parent_plan_id),
        source_plan_id: Set(Some(src.id)),
        created_by: Set(Some(actor.user_id)),
        created_at: Set(actor.now),
        updated_at: Set(actor.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let bases: Vec<String> = plan_legal_basis::Entity::find()
        .filter(plan_legal_basis::Column::PlanId.eq(src.id))
        .order_by_asc(plan_legal_basis::Column::Position)
        .all(&txn)
        .await?
        .into_iter()
        .map(|b| b.text)
        .collect();
    insert_legal_bases(&txn, created.id, &bases, actor.now).await?;
    copy_items(&txn, src.id, created.id, CopyMode::Clone(&opts), actor.now).await?;
    record(&txn, actor, &created, "plan:clone", None, json!({ "from_plan": src.id, "years": opts.years, "target_percent": opts.target_percent, "copy_budget": opts.copy_budget })).await?;
    txn.commit().await?;
    Ok(created)
}

enum CopyMode<'a> {
    Clone(&'a CloneOptions),
    /// A commune's plan from the district's: items point back at their source, targets and
    /// budgets stay with the district.
    Cascade,
}

async fn copy_items(
    txn: &DatabaseTransaction,
    from_plan: i64,
    to_plan: i64,
    mode: CopyMode<'_>,
    now: DateTime<Utc>,
) -> PlanResult<()> {
    let items = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(from_plan))
        .order_by_asc(plan_item::Column::Id)
        .all(txn)
        .await?;
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    let supports = plan_item_agency::Entity::find()
        .filter(plan_item_agency::Column::PlanItemId.is_in(ids.clone()))
        .all(txn)
        .await?;
    let targets = plan_target::Entity::find()
        .filter(plan_target::Column::PlanItemId.is_in(ids.clone()))
        .all(txn)
        .await?;
    let budgets = plan_budget::Entity::find()
        .filter(plan_budget::Column::PlanItemId.is_in(ids))
        .all(txn)
        .await?;
    let mut new_ids: HashMap<i64, i64> = HashMap::new();
    // Parents before children: repeat until every item is placed.
    let mut pending: Vec<&plan_item::Model> = items.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for it in pending {
            let parent = match it.parent_id {
                None => None,
                Some(p) => match new_ids.get(&p) {
                    Some(np) => Some(*np),
                    None => {
                        rest.push(it);
                        continue;
                    }
                },
            };
            let created = plan_item::ActiveModel {
                plan_id: Set(to_plan),
                parent_id: Set(parent),
                position: Set(it.position),
                label: Set(it.label.clone()),
                heading: Set(it.heading.clone()),
                body: Set(it.body.clone()),
                area_kind: Set(it.area_kind.clone()),
                lead_agency_id: Set(it.lead_agency_id),
                source_item_id: Set(match mode {
                    CopyMode::Cascade => Some(it.id),
                    CopyMode::Clone(_) => None,
                }),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            new_ids.insert(it.id, created.id);
        }
        if rest.len() == before {
            break;
        }
        pending = rest;
    }
    for s in supports {
        if let Some(new_item) = new_ids.get(&s.plan_item_id) {
            plan_item_agency::ActiveModel {
                plan_item_id: Set(*new_item),
                agency_id: Set(s.agency_id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
    }
    let CopyMode::Clone(opts) = mode else {
        return Ok(());
    };
    for t in targets {
        if let Some(new_item) = new_ids.get(&t.plan_item_id) {
            let scaled = (t.value * opts.target_percent + 50) / 100;
            plan_target::ActiveModel {
                plan_item_id: Set(*new_item),
                indicator_id: Set(t.indicator_id),
                activity_type_id: Set(t.activity_type_id),
                value: Set(scaled.max(1)),
                unit: Set(t.unit.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
    }
    if opts.copy_budget {
        for b in budgets {
            if let Some(new_item) = new_ids.get(&b.plan_item_id) {
                plan_budget::ActiveModel {
                    plan_item_id: Set(*new_item),
                    funding_source_id: Set(b.funding_source_id),
                    amount: Set(b.amount),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
            }
        }
    }
    Ok(())
}

/// A commune's own plan from the district's issued plan. It inherits the district's items
/// (each pointing back at its source, so the commune's targets and results roll up to it) and
/// starts as a draft of the commune.
pub async fn cascade(
    db: &DatabaseConnection,
    actor: Actor,
    district_plan_id: i64,
    commune_unit_id: i64,
) -> PlanResult<plan::Model> {
    let txn = db.begin().await?;
    let src = load_for_update(&txn, district_plan_id).await?;
    if src.status != ISSUED {
        return Err(PlanError::field("cascade", "plan.error.not_issued"));
    }
    let unit = org_unit::Entity::find_by_id(commune_unit_id)
        .one(&txn)
        .await?
        .ok_or(PlanError::NotFound)?;
    if unit.parent_id != Some(src.org_unit_id) {
        return Err(PlanError::field("cascade", "plan.error.not_below"));
    }
    let existing = plan::Entity::find()
        .filter(plan::Column::ParentPlanId.eq(src.id))
        .filter(plan::Column::OrgUnitId.eq(commune_unit_id))
        .count(&txn)
        .await?;
    if existing > 0 {
        return Err(PlanError::field("cascade", "plan.error.already_cascaded"));
    }
    let code = unique_code(&txn, commune_unit_id, src.period_start.year()).await?;
    let unit_place = unit
        .name
        .trim_start_matches("Thị trấn ")
        .trim_start_matches("Xã ")
        .trim_start_matches("Phường ")
        .to_owned();
    let created = plan::ActiveModel {
        code: Set(code),
        number: Set(None),
        title: Set(format!("{} — {}", src.title, unit.name)),
        org_unit_id: Set(commune_unit_id),
        drafting_agency_id: Set(None),
        period_start: Set(src.period_start),
        period_end: Set(src.period_end),
        status: Set(DRAFT.to_owned()),
        issued_on: Set(None),
        place: Set(unit_place),
        preamble: Set(String::new()),
        signer_authority: Set("TM. ỦY BAN NHÂN DÂN".to_owned()),
        signer_title: Set("CHỦ TỊCH".to_owned()),
        signer_name: Set(String::new()),
        recipients: Set(String::new()),
        parent_plan_id: Set(Some(src.id)),
        source_plan_id: Set(Some(src.id)),
        created_by: Set(Some(actor.user_id)),
        created_at: Set(actor.now),
        updated_at: Set(actor.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let basis = format!(
        "Kế hoạch {} của {}",
        src.number
            .as_deref()
            .map_or_else(|| src.title.clone(), |n| format!("số {n}")),
        org_unit::Entity::find_by_id(src.org_unit_id)
            .one(&txn)
            .await?
            .map(|u| u.name)
            .unwrap_or_default()
    );
    insert_legal_bases(&txn, created.id, &[basis], actor.now).await?;
    copy_items(&txn, src.id, created.id, CopyMode::Cascade, actor.now).await?;
    record(
        &txn,
        actor,
        &created,
        "plan:cascade",
        None,
        json!({ "from_plan": src.id, "org_unit_id": commune_unit_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The usual unit of an indicator, used when a target is given without one.
pub fn default_unit(indicator: &code::Model) -> &'static str {
    match indicator.code.as_str() {
        "sessions" => "buổi",
        "participants"
        | "participants_women"
        | "participants_ethnic"
        | "participants_children"
        | "trainees"
        | "persons_supported" => "lượt người",
        "materials" => "bản",
        "broadcasts" => "lần",
        "broadcast_minutes" => "phút",
        "trainings" => "lớp",
        "tasks_done" => "nhiệm vụ",
        "inspections" => "cuộc",
        "budget" => "đồng",
        _ => "",
    }
}
