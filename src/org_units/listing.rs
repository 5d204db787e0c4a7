//! The unit lists (`/org-units`, `/admin/org-units`) searched, filtered and paged, and the
//! choices of unit pickers (`web::search`).

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

async fn all_units(db: &impl ConnectionTrait) -> Result<Vec<org_unit::Model>, DbErr> {
    org_unit::Entity::find()
        .order_by_asc(org_unit::Column::Name)
        .order_by_asc(org_unit::Column::Id)
        .all(db)
        .await
}

pub async fn unit_page(
    db: &impl ConnectionTrait,
    visible: Option<&Scope>,
    today: NaiveDate,
    query: &ListQuery,
    path: &str,
) -> Result<UnitPage, DbErr> {
    let all = all_units(db).await?;
    let province_of = repo::provinces_of(&all);
    let names: HashMap<i64, String> = all.iter().map(|u| (u.id, u.name.clone())).collect();
    let provinces: Vec<Choice> = all
        .iter()
        .filter(|u| u.kind == "province" && visible.is_none_or(|s| s.contains(u.id)))
        .map(|u| Choice::new(u.id, u.name.clone(), &u.code))
        .collect();
    let rows: Vec<UnitRow> = repo::tree_of(all, visible, today)
        .into_iter()
        .map(|row| UnitRow {
            parent: row.unit.parent_id.and_then(|p| names.get(&p).cloned()),
            province: province_of.get(&row.unit.id).copied(),
            row,
        })
        .collect();
    let words = query.words();
    let (province, kind, status) = (query.province_id(), query.kind(), query.status());
    let keep = |r: &UnitRow| {
        let u = &r.row.unit;
        province.is_none_or(|p| r.province == Some(p))
            && kind.is_none_or(|k| u.kind == k)
            && match status {
                Some("current") => r.row.current,
                Some("closed") => !r.row.current,
                _ => true,
            }
            && (words.is_empty() || {
                let folded = crate::text::fold(&format!(
                    "{} {} {}",
                    u.name,
                    u.code,
                    u.gso_code.as_deref().unwrap_or("")
                ));
                search::matches(&words, &[&folded])
            })
    };
    let page = search::page(rows, |r| r.row.unit.id, keep, query, path);
    Ok(UnitPage { page, provinces })
}

/// The units of `visible` (every unit for `None`) kept by `keep`, as picker choices
/// in tree order; a unit is shown with its parent ("Xã Hòa Mỹ — Huyện Tây Hòa").
pub async fn unit_choices(
    db: &impl ConnectionTrait,
    visible: Option<&Scope>,
    today: NaiveDate,
    keep: impl Fn(&TreeRow) -> bool,
) -> Result<Vec<Choice>, DbErr> {
    let all = all_units(db).await?;
    let names: HashMap<i64, String> = all.iter().map(|u| (u.id, u.name.clone())).collect();
    Ok(repo::tree_of(all, visible, today)
        .into_iter()
        .filter(|r| keep(r))
        .map(|r| {
            let label = match r.unit.parent_id.and_then(|p| names.get(&p)) {
                Some(parent) => format!("{} — {parent}", r.unit.name),
                None => r.unit.name.clone(),
            };
            Choice::new(r.unit.id, label, &r.unit.code)
        })
        .collect())
}
