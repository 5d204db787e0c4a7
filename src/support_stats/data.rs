//! The stored rows behind a selection — a unit with everything below it (through the tree and
//! the lineage), over a range of months — and whether its readers may see them exactly.

use crate::auth::{Capability, CurrentUser};
use crate::entities::{
    code, org_unit, support_stat_month as month, support_stat_received as received,
    support_stat_referral as referral, support_stat_support as support,
};
use crate::error::AppResult;
use crate::org_units::scope::Scope;
use crate::support_stats::period::YearMonth;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeSet, HashMap};

/// Org-unit kinds at the compiling level (the district's social-affairs office, or the province
/// after districts were abolished). Figures of every other kind are "below" it.
pub const COMPILING_KINDS: &[&str] = &["province", "district"];

/// What is asked for.
pub struct Selection {
    pub unit: org_unit::Model,
    pub from: YearMonth,
    pub to: YearMonth,
}

/// The stored rows a selection is built from.
#[derive(Clone)]
pub struct Data {
    pub units: Vec<org_unit::Model>,
    pub months: Vec<month::Model>,
    pub received: Vec<received::Model>,
    pub support: Vec<support::Model>,
    pub referrals: Vec<referral::Model>,
    pub codes: HashMap<i64, code::Model>,
}

/// Chunks of ids for `IN (...)`, under every backend's parameter limit.
pub(crate) const CHUNK: usize = 900;

pub async fn load(db: &impl ConnectionTrait, sel: &Selection) -> AppResult<Data> {
    let subtree = Scope::of_unit(db, sel.unit.id).await?;
    load_subtree(db, sel, &subtree).await
}

/// As `load`, given the subtree of the selection's unit (`Scope::of_unit`) already looked up.
pub async fn load_subtree(
    db: &impl ConnectionTrait,
    sel: &Selection,
    subtree: &Scope,
) -> AppResult<Data> {
    let ids = subtree.ids();
    let mut units = Vec::new();
    let mut months = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        units.extend(
            org_unit::Entity::find()
                .filter(org_unit::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
        months.extend(
            month::Entity::find()
                .filter(month::Column::OrgUnitId.is_in(chunk.iter().copied()))
                .filter(month::Column::YearMonth.between(sel.from.key(), sel.to.key()))
                .order_by_asc(month::Column::YearMonth)
                .all(db)
                .await?,
        );
    }
    let month_ids: Vec<i64> = months.iter().map(|m| m.id).collect();
    let (mut rec, mut sup, mut refs) = (Vec::new(), Vec::new(), Vec::new());
    for chunk in month_ids.chunks(CHUNK) {
        let c = || chunk.iter().copied();
        rec.extend(
            received::Entity::find()
                .filter(received::Column::MonthId.is_in(c()))
                .all(db)
                .await?,
        );
        sup.extend(
            support::Entity::find()
                .filter(support::Column::MonthId.is_in(c()))
                .all(db)
                .await?,
        );
        refs.extend(
            referral::Entity::find()
                .filter(referral::Column::MonthId.is_in(c()))
                .all(db)
                .await?,
        );
    }
    let codes = crate::codes::all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(Data {
        units,
        months,
        received: rec,
        support: sup,
        referrals: refs,
        codes,
    })
}

impl Data {
    /// Whether readers without the sensitive capability get these figures exactly: only when
    /// no unit below the compiling level feeds them. A district's total is built from its
    /// communes, so it is protected too: shown exactly next to commune zeros it would give a
    /// commune's small count away.
    pub fn exact_for(&self, user: &CurrentUser) -> bool {
        user.can(Capability::SensitiveStats)
            || self
                .units
                .iter()
                .all(|u| COMPILING_KINDS.contains(&u.kind.as_str()))
    }

    /// A code list's codes: current ones, and retired ones only where figures use them.
    pub fn list(&self, list: &str, used: &BTreeSet<i64>) -> Vec<code::Model> {
        let mut v: Vec<code::Model> = self
            .codes
            .values()
            .filter(|c| c.list == list && (c.retired_at.is_none() || used.contains(&c.id)))
            .cloned()
            .collect();
        v.sort_by_key(|c| (c.position, c.id));
        v
    }
}
