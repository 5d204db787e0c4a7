//! Reading the org-unit tree and recording lineage events.

use crate::audit;
use crate::entities::{org_lineage, org_unit};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;

/// One unit in a tree, with its depth for indentation.
#[derive(Serialize, Clone)]
pub struct TreeRow {
    pub unit: org_unit::Model,
    pub depth: usize,
    pub current: bool,
}

pub fn is_current(unit: &org_unit::Model, on: NaiveDate) -> bool {
    unit.valid_from.is_none_or(|f| f <= on) && unit.valid_to.is_none_or(|t| t >= on)
}

/// All units, depth-first in name order, restricted to `visible` if given.
pub async fn tree(
    db: &impl ConnectionTrait,
    visible: Option<&crate::org_units::scope::Scope>,
    today: NaiveDate,
) -> Result<Vec<TreeRow>, DbErr> {
    let all = org_unit::Entity::find()
        .order_by_asc(org_unit::Column::Name)
        .order_by_asc(org_unit::Column::Id)
        .all(db)
        .await?;
    Ok(tree_of(&all, visible, today))
}

/// The depth-first order of `all` (read in name order): each unit followed by its children.
pub fn tree_of(
    all: &[org_unit::Model],
    visible: Option<&crate::org_units::scope::Scope>,
    today: NaiveDate,
) -> Vec<TreeRow> {
    let shown = |u: &org_unit::Model| visible.is_none_or(|s| s.contains(u.id));
    let ids: std::collections::HashSet<i64> =
        all.iter().filter(|u| shown(u)).map(|u| u.id).collect();
    let mut children: std::collections::HashMap<i64, Vec<&org_unit::Model>> =
        std::collections::HashMap::new();
    // Roots: units without a parent, or whose parent the viewer cannot see.
    let mut roots = Vec::new();
    for u in all.iter().filter(|u| shown(u)) {
        match u.parent_id.filter(|p| ids.contains(p)) {
            Some(p) => children.entry(p).or_default().push(u),
            None => roots.push(u),
        }
    }
    let mut out = Vec::with_capacity(ids.len());
    let mut stack: Vec<(&org_unit::Model, usize)> =
        roots.into_iter().rev().map(|u| (u, 0)).collect();
    while let Some((u, depth)) = stack.pop() {
        out.push(TreeRow {
            unit: u.clone(),
            depth,
            current: is_current(u, today),
        });
        for c in children.get(&u.id).into_iter().flatten().rev() {
            stack.push((c, depth + 1));
        }
    }
    out
}

/// The province of every unit: the nearest province at or above it (none above a root that
/// is not one).
pub fn provinces_of(all: &[org_unit::Model]) -> std::collections::HashMap<i64, i64> {
    let by_id: std::collections::HashMap<i64, &org_unit::Model> =
        all.iter().map(|u| (u.id, u)).collect();
    all.iter()
        .filter_map(|u| {
            let mut at = Some(u);
            // Bounded walk: a cycle in bad data cannot hang the page.
            for _ in 0..16 {
                let here = at?;
                if here.kind == "province" {
                    return Some((u.id, here.id));
                }
                at = here.parent_id.and_then(|p| by_id.get(&p).copied());
            }
            None
        })
        .collect()
}

#[derive(Serialize)]
pub struct LineageRow {
    pub kind: String,
    pub effective_date: NaiveDate,
    pub legal_basis: String,
    pub predecessor: String,
    pub successor: String,
}

pub async fn lineage(db: &impl ConnectionTrait) -> Result<Vec<LineageRow>, DbErr> {
    let rows = org_lineage::Entity::find()
        .order_by_desc(org_lineage::Column::EffectiveDate)
        .order_by_asc(org_lineage::Column::Id)
        .all(db)
        .await?;
    let units = org_unit::Entity::find().all(db).await?;
    let name = |id: i64| {
        units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    Ok(rows
        .into_iter()
        .map(|l| LineageRow {
            predecessor: name(l.predecessor_id),
            successor: name(l.successor_id),
            kind: l.kind,
            effective_date: l.effective_date,
            legal_basis: l.legal_basis,
        })
        .collect())
}

/// A merge (or, with one predecessor, a rename): the predecessors close the day before the
/// effective date, the successor opens on it, and lineage rows link them. Nothing already
/// recorded against the old units is touched: history stays attributed to them.
pub struct Merge {
    pub kind: LineageKind,
    pub predecessors: Vec<i64>,
    pub successor_code: String,
    pub successor_name: String,
    pub successor_kind: String,
    pub successor_parent: Option<i64>,
    pub effective_date: NaiveDate,
    pub legal_basis: String,
    pub ethnic_minority: bool,
    pub border_area: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineageKind {
    Merge,
    Rename,
    Split,
    /// The same unit under a new parent, after the level above it was abolished.
    Reparent,
}

impl LineageKind {
    pub fn code(self) -> &'static str {
        match self {
            LineageKind::Merge => "merge",
            LineageKind::Rename => "rename",
            LineageKind::Split => "split",
            LineageKind::Reparent => "reparent",
        }
    }
}

pub async fn record_merge(
    db: &DatabaseConnection,
    actor: i64,
    m: Merge,
    now: DateTime<Utc>,
) -> Result<org_unit::Model, DbErr> {
    let txn = db.begin().await?;
    let closing = m.effective_date.pred_opt().unwrap_or(m.effective_date);
    let successor = org_unit::ActiveModel {
        code: Set(m.successor_code.clone()),
        gso_code: Set(None),
        name: Set(m.successor_name.clone()),
        kind: Set(m.successor_kind.clone()),
        parent_id: Set(m.successor_parent),
        valid_from: Set(Some(m.effective_date)),
        valid_to: Set(None),
        ethnic_minority: Set(m.ethnic_minority),
        border_area: Set(m.border_area),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for pred in &m.predecessors {
        let Some(unit) = org_unit::Entity::find_by_id(*pred).one(&txn).await? else {
            return Err(DbErr::RecordNotFound(format!("org unit {pred}")));
        };
        let mut active: org_unit::ActiveModel = unit.into();
        active.valid_to = Set(Some(closing));
        active.updated_at = Set(now);
        active.update(&txn).await?;
        org_lineage::ActiveModel {
            kind: Set(m.kind.code().to_owned()),
            predecessor_id: Set(*pred),
            successor_id: Set(successor.id),
            effective_date: Set(m.effective_date),
            legal_basis: Set(m.legal_basis.clone()),
            created_by: Set(Some(actor)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(actor),
            action: "org_unit:merge",
            object_type: "org_unit",
            object_id: Some(successor.id),
            org_unit_id: Some(successor.id),
            change: json!({
                "kind": m.kind.code(),
                "predecessors": m.predecessors,
                "successor": m.successor_name,
                "effective_date": m.effective_date,
                "legal_basis": m.legal_basis,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(successor)
}

pub async fn by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<org_unit::Model>, DbErr> {
    org_unit::Entity::find()
        .filter(org_unit::Column::Code.eq(code))
        .one(db)
        .await
}

/// Abolishing a level: the unit closes the day before the effective date, and each of its units
/// still open on that date continues as a successor of the same name, kind and official code
/// under the abolished unit's parent, linked by a `reparent` lineage row. The agencies of a
/// continuing unit move to its successor so that their people keep working; everything
/// recorded before stays attributed to the old units (a 2024 report still shows them).
pub async fn abolish(
    db: &DatabaseConnection,
    actor: i64,
    unit_id: i64,
    effective_date: NaiveDate,
    legal_basis: &str,
    now: DateTime<Utc>,
) -> Result<Vec<org_unit::Model>, DbErr> {
    use crate::entities::agency;
    let txn = db.begin().await?;
    let closing = effective_date.pred_opt().unwrap_or(effective_date);
    let unit = org_unit::Entity::find_by_id(unit_id)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("org unit {unit_id}")))?;
    let children: Vec<org_unit::Model> = org_unit::Entity::find()
        .filter(org_unit::Column::ParentId.eq(unit_id))
        .order_by_asc(org_unit::Column::Name)
        .all(&txn)
        .await?
        .into_iter()
        .filter(|c| is_current(c, effective_date))
        .collect();
    let mut successors = Vec::new();
    for child in children {
        let successor = org_unit::ActiveModel {
            code: Set(format!("{}-{}", child.code, effective_date.format("%Y"))),
            gso_code: Set(child.gso_code.clone()),
            name: Set(child.name.clone()),
            kind: Set(child.kind.clone()),
            parent_id: Set(unit.parent_id),
            valid_from: Set(Some(effective_date)),
            valid_to: Set(None),
            ethnic_minority: Set(child.ethnic_minority),
            border_area: Set(child.border_area),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        org_lineage::ActiveModel {
            kind: Set(LineageKind::Reparent.code().to_owned()),
            predecessor_id: Set(child.id),
            successor_id: Set(successor.id),
            effective_date: Set(effective_date),
            legal_basis: Set(legal_basis.to_owned()),
            created_by: Set(Some(actor)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        agency::Entity::update_many()
            .col_expr(
                agency::Column::OrgUnitId,
                sea_orm::sea_query::Expr::value(successor.id),
            )
            .filter(agency::Column::OrgUnitId.eq(child.id))
            .exec(&txn)
            .await?;
        let mut closed: org_unit::ActiveModel = child.into();
        closed.valid_to = Set(Some(closing));
        closed.updated_at = Set(now);
        closed.update(&txn).await?;
        successors.push(successor);
    }
    let name = unit.name.clone();
    let mut closed: org_unit::ActiveModel = unit.into();
    closed.valid_to = Set(Some(closing));
    closed.updated_at = Set(now);
    closed.update(&txn).await?;
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(actor),
            action: "org_unit:abolish",
            object_type: "org_unit",
            object_id: Some(unit_id),
            org_unit_id: Some(unit_id),
            change: json!({
                "unit": name,
                "effective_date": effective_date,
                "legal_basis": legal_basis,
                "continuing": successors.iter().map(|s| s.id).collect::<Vec<_>>(),
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(successors)
}
