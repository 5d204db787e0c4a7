//! The unit lists (`/org-units`, `/admin/org-units`) searched, filtered and paged, and the
//! choices of unit pickers (`web::search`).
//!
//! A page reads the unit table once (`Units::read`) and builds the tree once from it, for the
//! list and for the pickers of the same page. Searches match the stored folded names
//! (`org_units.search_name`, filled on every write) and the ASCII codes: nothing is folded per
//! row.

use crate::entities::org_unit;
use crate::org_units::repo::{self, TreeRow};
use crate::org_units::scope::Scope;
use crate::web::search::{self, Choice, ListQuery, Paged};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};
use serde::Serialize;
use std::collections::HashMap;

/// A unit as the lists show it: its place in the tree, its parent and province.
#[derive(Serialize)]
pub struct UnitRow {
    #[serde(flatten)]
    pub row: TreeRow,
    pub parent: Option<String>,
    pub province: Option<i64>,
}

/// A page of the units of `visible` (every unit for `None`) in tree order, and the provinces
/// the filter offers.
pub struct UnitPage {
    pub page: Paged<UnitRow>,
    pub provinces: Vec<Choice>,
}

/// Every unit, read once for a request, in name order (the tree's order among siblings).
pub struct Units {
    pub all: Vec<org_unit::Model>,
}

impl Units {
    pub async fn read(db: &impl ConnectionTrait) -> Result<Units, DbErr> {
        let all = org_unit::Entity::find()
            .order_by_asc(org_unit::Column::Name)
            .order_by_asc(org_unit::Column::Id)
            .all(db)
            .await?;
        Ok(Units { all })
    }

    fn by_id(&self) -> HashMap<i64, &org_unit::Model> {
        self.all.iter().map(|u| (u.id, u)).collect()
    }

    /// The tree of `visible` (every unit for `None`).
    pub fn tree(&self, visible: Option<&Scope>, today: NaiveDate) -> Vec<TreeRow> {
        repo::tree_of(&self.all, visible, today)
    }

    /// The units of `visible` kept by `keep`, as picker choices in tree order; a unit is
    /// shown with its parent ("Xã Hòa Mỹ — Huyện Tây Hòa").
    pub fn choices(&self, tree: &[TreeRow], keep: impl Fn(&TreeRow) -> bool) -> Vec<Choice> {
        let by_id = self.by_id();
        tree.iter()
            .filter(|r| keep(r))
            .map(|r| {
                let u = &r.unit;
                let (label, folded) = match u.parent_id.and_then(|p| by_id.get(&p)) {
                    Some(parent) => (
                        format!("{} — {}", u.name, parent.name),
                        format!("{} — {}", u.search_name, parent.search_name),
                    ),
                    None => (u.name.clone(), u.search_name.clone()),
                };
                Choice::new(u.id, label, &u.code).with_folded(folded)
            })
            .collect()
    }
}

/// A unit's words: its stored folded name, its code and GSO code (ASCII, lowercased).
fn unit_matches(words: &[String], u: &org_unit::Model) -> bool {
    let code = u.code.to_lowercase();
    let gso = u.gso_code.as_deref().unwrap_or("").to_lowercase();
    search::matches(words, &[&u.search_name, &code, &gso])
}

pub async fn unit_page(
    db: &impl ConnectionTrait,
    visible: Option<&Scope>,
    today: NaiveDate,
    query: &ListQuery,
    path: &str,
) -> Result<UnitPage, DbErr> {
    let units = Units::read(db).await?;
    let tree = units.tree(visible, today);
    Ok(unit_page_of(&units, tree, visible, query, path))
}

/// The page of `tree` (built from `units`) that `query` asks for.
pub fn unit_page_of(
    units: &Units,
    tree: Vec<TreeRow>,
    visible: Option<&Scope>,
    query: &ListQuery,
    path: &str,
) -> UnitPage {
    let province_of = repo::provinces_of(&units.all);
    let by_id = units.by_id();
    let provinces: Vec<Choice> = units
        .all
        .iter()
        .filter(|u| u.kind == "province" && visible.is_none_or(|s| s.contains(u.id)))
        .map(|u| Choice::new(u.id, u.name.clone(), &u.code))
        .collect();
    let words = query.words();
    let (province, kind, status) = (query.province_id(), query.kind(), query.status());
    let keep = |r: &TreeRow| {
        let u = &r.unit;
        province.is_none_or(|p| province_of.get(&u.id) == Some(&p))
            && kind.is_none_or(|k| u.kind == k)
            && match status {
                Some("current") => r.current,
                Some("closed") => !r.current,
                _ => true,
            }
            && (words.is_empty() || unit_matches(&words, u))
    };
    // The page is chosen on the tree rows; only its rows get their parent's name.
    let tree_page = search::page(tree, |r| r.unit.id, keep, query, path);
    let page = Paged {
        rows: tree_page
            .rows
            .into_iter()
            .map(|row| UnitRow {
                parent: row
                    .unit
                    .parent_id
                    .and_then(|p| by_id.get(&p))
                    .map(|p| p.name.clone()),
                province: province_of.get(&row.unit.id).copied(),
                row,
            })
            .collect(),
        next: tree_page.next,
        first: tree_page.first,
        matched: tree_page.matched,
    };
    UnitPage { page, provinces }
}

/// The units of `visible` (every unit for `None`) kept by `keep`, as picker choices
/// in tree order; a unit is shown with its parent ("Xã Hòa Mỹ — Huyện Tây Hòa").
pub async fn unit_choices(
    db: &impl ConnectionTrait,
    visible: Option<&Scope>,
    today: NaiveDate,
    keep: impl Fn(&TreeRow) -> bool,
) -> Result<Vec<Choice>, DbErr> {
    let units = Units::read(db).await?;
    let tree = units.tree(visible, today);
    Ok(units.choices(&tree, keep))
}
