//! Reading plans and their item trees.

use crate::entities::{
    agency, code, org_unit, plan, plan_budget, plan_item, plan_item_agency, plan_legal_basis,
    plan_target,
};
use crate::org_units::scope::Scope;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize)]
pub struct PlanSummary {
    pub plan: plan::Model,
    pub unit_name: String,
}

#[derive(Serialize)]
pub struct PlanView {
    pub plan: plan::Model,
    pub unit_name: String,
    pub legal_bases: Vec<plan_legal_basis::Model>,
    pub items: Vec<ItemNode>,
}

#[derive(Serialize)]
pub struct ItemNode {
    pub item: plan_item::Model,
    pub lead: Option<String>,
    pub support: Vec<String>,
    pub targets: Vec<TargetView>,
    pub budgets: Vec<BudgetView>,
    /// Targets of the commune plans made from this plan, summed onto the item they hang under.
    pub rollup: Vec<TargetView>,
    /// Activities held under this item (its sub-items and the commune items made from them
    /// included) and their participants.
    pub held: i64,
    pub participants: i64,
    pub children: Vec<ItemNode>,
}

#[derive(Serialize)]
pub struct TargetView {
    pub id: i64,
    pub indicator: code::Model,
    pub activity_type: Option<code::Model>,
    pub value: i64,
    pub unit: String,
    /// On the plan page: what the held activities under the item reached, where they measure
    /// the indicator, and that as a percentage of the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<i64>,
}

#[derive(Serialize)]
pub struct BudgetView {
    pub source: code::Model,
    pub amount: i64,
}

impl PlanView {
    /// The node of an item anywhere in the tree.
    pub fn find(&self, item_id: i64) -> Option<&ItemNode> {
        let mut stack: Vec<&ItemNode> = self.items.iter().collect();
        while let Some(n) = stack.pop() {
            if n.item.id == item_id {
                return Some(n);
            }
            stack.extend(n.children.iter());
        }
        None
    }
}

/// Sums the targets of the plans made from `plan_id` (cascade) onto the item of `plan_id` they
/// hang under: each derived item points at its source, and an item a commune added counts for
/// the nearest ancestor that has one.
async fn rollup(
    db: &impl ConnectionTrait,
    plan_id: i64,
    codes: &HashMap<i64, code::Model>,
) -> Result<HashMap<i64, Vec<TargetView>>, DbErr> {
    let children: Vec<i64> = plan::Entity::find()
        .filter(plan::Column::ParentPlanId.eq(plan_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let mut out: HashMap<i64, Vec<TargetView>> = HashMap::new();
    if children.is_empty() {
        return Ok(out);
    }
    let items = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.is_in(children))
        .all(db)
        .await?;
    let by_id: HashMap<i64, &plan_item::Model> = items.iter().map(|i| (i.id, i)).collect();
    let anchor = |mut id: i64| -> Option<i64> {
        loop {
            let it = by_id.get(&id)?;
            if let Some(src) = it.source_item_id {
                return Some(src);
            }
            id = it.parent_id?;
        }
    };
    let targets = plan_target::Entity::find()
        .filter(plan_target::Column::PlanItemId.is_in(items.iter().map(|i| i.id)))
        .all(db)
        .await?;
    for t in targets {
        let (Some(target_item), Some(indicator)) =
            (anchor(t.plan_item_id), codes.get(&t.indicator_id))
        else {
            continue;
        };
        let list = out.entry(target_item).or_default();
        match list.iter_mut().find(|v| {
            v.indicator.id == t.indicator_id
                && v.activity_type.as_ref().map(|a| a.id) == t.activity_type_id
                && v.unit == t.unit
        }) {
            Some(v) => v.value = v.value.saturating_add(t.value),
            None => list.push(TargetView {
                id: 0,
                indicator: indicator.clone(),
                activity_type: t.activity_type_id.and_then(|a| codes.get(&a).cloned()),
                value: t.value,
                unit: t.unit,
                result: None,
                percent: None,
            }),
        }
    }
    Ok(out)
}

/// Held activities and participants per item of a plan, counted on the item and every item
/// above it; activities under a commune plan made from this one count for the district item
/// their commune item was made from.
async fn results(
    db: &impl ConnectionTrait,
    plan_id: i64,
    items: &[plan_item::Model],
) -> Result<HashMap<i64, Results>, DbErr> {
    use sea_orm::QuerySelect;
    let derived_plans: Vec<i64> = plan::Entity::find()
        .filter(plan::Column::ParentPlanId.eq(plan_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let derived = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.is_in(derived_plans))
        .all(db)
        .await?;
    let mut ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    ids.extend(derived.iter().map(|i| i.id));
    let sums: Vec<(i64, i64, i64, Option<i64>)> = crate::entities::activity::Entity::find()
        .select_only()
        .column(crate::entities::activity::Column::PlanItemId)
        .column(crate::entities::activity::Column::ActivityTypeId)
        .column_as(crate::entities::activity::Column::Id.count(), "held")
        .column_as(
            // PostgreSQL sums a BIGINT into NUMERIC: cast back so both backends decode an i64.
            // Each figure counts at most the largest count any entry point accepts, so that a
            // figure stored before that limit existed cannot overflow the sum (SQLite raises
            // an error on overflow, PostgreSQL on the cast): millions of rows would be needed.
            sea_orm::sea_query::Expr::cust(
                "CAST(SUM(CASE WHEN participants > 1000000000000 THEN 1000000000000 \
                 WHEN participants < 0 THEN 0 ELSE participants END) AS BIGINT)",
            ),
            "participants",
        )
        .filter(crate::entities::activity::Column::PlanItemId.is_in(ids))
        .filter(crate::entities::activity::Column::Status.eq("held"))
        .group_by(crate::entities::activity::Column::PlanItemId)
        .group_by(crate::entities::activity::Column::ActivityTypeId)
        .into_tuple()
        .all(db)
        .await?;
    let own: HashMap<i64, &plan_item::Model> = items.iter().map(|i| (i.id, i)).collect();
    let other: HashMap<i64, &plan_item::Model> = derived.iter().map(|i| (i.id, i)).collect();
    // The item of this plan an item counts for.
    let anchor = |mut id: i64| -> Option<i64> {
        loop {
            if own.contains_key(&id) {
                return Some(id);
            }
            let it = other.get(&id)?;
            match it.source_item_id {
                Some(src) if own.contains_key(&src) => return Some(src),
                _ => id = it.parent_id?,
            }
        }
    };
    let mut out: HashMap<i64, Results> = HashMap::new();
    for (item, kind, held, participants) in sums {
        let mut cursor = anchor(item);
        while let Some(id) = cursor {
            let e = out.entry(id).or_default();
            e.held = e.held.saturating_add(held);
            e.participants = e.participants.saturating_add(participants.unwrap_or(0));
            let by = e.held_by_type.entry(kind).or_insert(0);
            *by = by.saturating_add(held);
            cursor = own.get(&id).and_then(|i| i.parent_id);
        }
    }
    Ok(out)
}

/// What was held under an item: activities, by activity type, and participants.
#[derive(Default)]
struct Results {
    held: i64,
    participants: i64,
    held_by_type: HashMap<i64, i64>,
}

impl Results {
    /// A target's result where the held activities measure it (sessions, of a type or all,
    /// and participants); `None` for an indicator they do not measure.
    fn of(&self, indicator: &str, activity_type: Option<i64>) -> Option<i64> {
        match (indicator, activity_type) {
            ("sessions", Some(kind)) => Some(self.held_by_type.get(&kind).copied().unwrap_or(0)),
            ("sessions", None) => Some(self.held),
            ("participants", _) => Some(self.participants),
            _ => None,
        }
    }
}

/// The unit whose plan holds this item, if the item exists: what decides whether an activity
/// or a task may name it. One query.
pub async fn unit_of_item(db: &impl ConnectionTrait, item_id: i64) -> Result<Option<i64>, DbErr> {
    let plan_of_item = sea_orm::sea_query::Query::select()
        .column(plan_item::Column::PlanId)
        .from(plan_item::Entity)
        .and_where(plan_item::Column::Id.eq(item_id))
        .to_owned();
    plan::Entity::find()
        .filter(plan::Column::Id.in_subquery(plan_of_item))
        .select_only()
        .column(plan::Column::OrgUnitId)
        .into_tuple()
        .one(db)
        .await
}

/// Units whose plans a user may read: their scope and every unit above their own (a commune
/// works from the district's plan).
pub async fn readable_units(
    db: &impl ConnectionTrait,
    scope: &Scope,
    own_unit: i64,
) -> Result<Vec<i64>, DbErr> {
    let mut ids = scope.ids();
    let mut cursor = org_unit::Entity::find_by_id(own_unit).one(db).await?;
    while let Some(parent) = cursor.and_then(|u| u.parent_id) {
        ids.push(parent);
        cursor = org_unit::Entity::find_by_id(parent).one(db).await?;
    }
    Ok(ids)
}

pub async fn list(db: &impl ConnectionTrait, units: &[i64]) -> Result<Vec<PlanSummary>, DbErr> {
    // A national scope (3,300 units): no statement with a parameter per unit (45–95 ms on
    // PostgreSQL), the plans read whole and kept in Rust.
    let mut q = plan::Entity::find();
    if units.len() <= 300 {
        q = q.filter(plan::Column::OrgUnitId.is_in(units.iter().copied()));
    }
    let wanted: std::collections::HashSet<i64> = units.iter().copied().collect();
    let plans: Vec<plan::Model> = q
        .order_by_desc(plan::Column::PeriodStart)
        .order_by_asc(plan::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|p| wanted.contains(&p.org_unit_id))
        .collect();
    let names = unit_names(db, plans.iter().map(|p| p.org_unit_id)).await?;
    Ok(plans
        .into_iter()
        .map(|p| PlanSummary {
            unit_name: names.get(&p.org_unit_id).cloned().unwrap_or_default(),
            plan: p,
        })
        .collect())
}

/// The names of the given units (those of a page's plans, not every unit of the country).
async fn unit_names(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, String>, DbErr> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// A plan with its whole tree, in four queries whatever its size.
pub async fn load(db: &impl ConnectionTrait, plan_id: i64) -> Result<Option<PlanView>, DbErr> {
    let Some(p) = plan::Entity::find_by_id(plan_id).one(db).await? else {
        return Ok(None);
    };
    let unit_name = org_unit::Entity::find_by_id(p.org_unit_id)
        .one(db)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let legal_bases = plan_legal_basis::Entity::find()
        .filter(plan_legal_basis::Column::PlanId.eq(plan_id))
        .order_by_asc(plan_legal_basis::Column::Position)
        .all(db)
        .await?;
    let items = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(plan_id))
        .order_by_asc(plan_item::Column::Position)
        .order_by_asc(plan_item::Column::Id)
        .all(db)
        .await?;
    let item_ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    let supports = plan_item_agency::Entity::find()
        .filter(plan_item_agency::Column::PlanItemId.is_in(item_ids.clone()))
        .order_by_asc(plan_item_agency::Column::Id)
        .all(db)
        .await?;
    let targets = plan_target::Entity::find()
        .filter(plan_target::Column::PlanItemId.is_in(item_ids.clone()))
        .order_by_asc(plan_target::Column::Id)
        .all(db)
        .await?;
    let budgets = plan_budget::Entity::find()
        .filter(plan_budget::Column::PlanItemId.is_in(item_ids))
        .order_by_asc(plan_budget::Column::Id)
        .all(db)
        .await?;
    let agencies: HashMap<i64, String> = agency::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.short_name))
        .collect();
    let codes: HashMap<i64, code::Model> = code::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();

    let mut rollups = rollup(db, plan_id, &codes).await?;
    let results = results(db, plan_id, &items).await?;
    let mut nodes: HashMap<i64, ItemNode> = HashMap::new();
    let mut order: Vec<(Option<i64>, i64)> = Vec::new();
    for it in items {
        order.push((it.parent_id, it.id));
        nodes.insert(
            it.id,
            ItemNode {
                lead: it.lead_agency_id.and_then(|a| agencies.get(&a).cloned()),
                support: supports
                    .iter()
                    .filter(|s| s.plan_item_id == it.id)
                    .filter_map(|s| agencies.get(&s.agency_id).cloned())
                    .collect(),
                targets: targets
                    .iter()
                    .filter(|t| t.plan_item_id == it.id)
                    .filter_map(|t| {
                        let indicator = codes.get(&t.indicator_id)?.clone();
                        let result = match results.get(&it.id) {
                            Some(r) => r.of(&indicator.code, t.activity_type_id),
                            None => Results::default().of(&indicator.code, t.activity_type_id),
                        };
                        Some(TargetView {
                            id: t.id,
                            activity_type: t.activity_type_id.and_then(|a| codes.get(&a).cloned()),
                            value: t.value,
                            unit: t.unit.clone(),
                            percent: result
                                .filter(|_| t.value > 0)
                                .map(|r| r.saturating_mul(100) / t.value),
                            result,
                            indicator,
                        })
                    })
                    .collect(),
                budgets: budgets
                    .iter()
                    .filter(|b| b.plan_item_id == it.id)
                    .filter_map(|b| {
                        Some(BudgetView {
                            source: codes.get(&b.funding_source_id)?.clone(),
                            amount: b.amount,
                        })
                    })
                    .collect(),
                rollup: rollups.remove(&it.id).unwrap_or_default(),
                held: results.get(&it.id).map_or(0, |r| r.held),
                participants: results.get(&it.id).map_or(0, |r| r.participants),
                item: it,
                children: Vec::new(),
            },
        );
    }
    // Attach children bottom-up: the deepest items first, so every child is complete when moved.
    let depth = |mut id: i64| {
        let mut d = 0;
        while let Some((Some(parent), _)) = order.iter().find(|(_, i)| *i == id) {
            d += 1;
            id = *parent;
        }
        d
    };
    let mut by_depth: Vec<(usize, Option<i64>, i64)> =
        order.iter().map(|(p, id)| (depth(*id), *p, *id)).collect();
    by_depth.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    let mut roots: Vec<i64> = Vec::new();
    for (_, parent, id) in &by_depth {
        match parent {
            Some(parent) => {
                if let Some(node) = nodes.remove(id)
                    && let Some(p) = nodes.get_mut(parent)
                {
                    p.children.push(node);
                }
            }
            None => roots.push(*id),
        }
    }
    for node in nodes.values_mut() {
        node.children.sort_by_key(|c| (c.item.position, c.item.id));
    }
    let mut items: Vec<ItemNode> = roots.iter().filter_map(|id| nodes.remove(id)).collect();
    items.sort_by_key(|c| (c.item.position, c.item.id));
    Ok(Some(PlanView {
        plan: p,
        unit_name,
        legal_bases,
        items,
    }))
}

/// The items of a plan and of the plans made from it (cascade), enough to answer "which items
/// lie under this one": a derived item counts under the item it was made from.
pub struct ItemForest {
    items: Vec<plan_item::Model>,
}

impl ItemForest {
    pub async fn load(db: &impl ConnectionTrait, plan_id: i64) -> Result<ItemForest, DbErr> {
        let mut plan_ids: Vec<i64> = plan::Entity::find()
            .filter(plan::Column::ParentPlanId.eq(plan_id))
            .all(db)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        plan_ids.push(plan_id);
        let items = plan_item::Entity::find()
            .filter(plan_item::Column::PlanId.is_in(plan_ids))
            .order_by_asc(plan_item::Column::Id)
            .all(db)
            .await?;
        Ok(ItemForest { items })
    }

    pub fn items(&self) -> &[plan_item::Model] {
        &self.items
    }

    /// The item and everything under it, derived items included.
    pub fn subtree(&self, root: i64) -> std::collections::BTreeSet<i64> {
        let mut set = std::collections::BTreeSet::from([root]);
        // A fixpoint: items usually come after their parents, so one or two passes suffice.
        loop {
            let before = set.len();
            for it in &self.items {
                let under = it.parent_id.is_some_and(|p| set.contains(&p))
                    || it.source_item_id.is_some_and(|s| set.contains(&s));
                if under {
                    set.insert(it.id);
                }
            }
            if set.len() == before {
                return set;
            }
        }
    }
}

/// The item and everything under it (see [`ItemForest::subtree`]); empty if it does not exist.
pub async fn item_subtree(db: &impl ConnectionTrait, item_id: i64) -> Result<Vec<i64>, DbErr> {
    let Some(item) = plan_item::Entity::find_by_id(item_id).one(db).await? else {
        return Ok(Vec::new());
    };
    let forest = ItemForest::load(db, item.plan_id).await?;
    Ok(forest.subtree(item_id).into_iter().collect())
}
