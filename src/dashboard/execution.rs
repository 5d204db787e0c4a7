//! The plan-execution section: per content area of the plan in force, targets against results
//! computed from the rows, and the items with and without any activity.

use crate::activities::repo::item_title;
use crate::dashboard::chart;
use crate::dashboard::sections::{Ctx, Figure, Section, fig};
use crate::entities::{plan, plan_target};
use crate::plans::repo::ItemForest;
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Serialize)]
struct TargetRow {
    indicator: String,
    activity_type: Option<String>,
    target: i64,
    unit: String,
    result: Option<Figure>,
    percent: Option<i64>,
    bar: i64,
}

#[derive(Serialize)]
struct ItemRow {
    title: String,
    scheduled: Figure,
    held: Figure,
}

#[derive(Serialize)]
struct AreaRow {
    title: String,
    id: i64,
    scheduled: Figure,
    held: Figure,
    participants: Figure,
    targets: Vec<TargetRow>,
    items: Vec<ItemRow>,
    items_with: usize,
    items_without: usize,
}

/// What a target's indicator measures, computed from the rows under its item.
fn result(c: &Ctx, t: &plan_target::Model, indicator: &str, s: &BTreeSet<i64>) -> Option<Figure> {
    // The item filter of the list takes the item, its sub-items and the communes' copies.
    let area = ("item", t.plan_item_id.to_string());
    let held = || c.rows.held(Some(s));
    let of_type = |code: &str| {
        let id = c
            .codes
            .values()
            .find(|k| k.list == "activity_type" && k.code == code)?
            .id;
        let link = c.links.held(&[area.clone(), ("type", id.to_string())]);
        Some((id, link))
    };
    let sum = |f: fn(&crate::dashboard::data::ItemRow) -> i64| {
        Some(fig(
            held().map(f).sum(),
            c.links.held(std::slice::from_ref(&area)),
        ))
    };
    match indicator {
        "sessions" => {
            let n = held()
                .filter(|r| t.activity_type_id.is_none_or(|k| k == r.kind))
                .map(|r| r.n)
                .sum();
            let mut extra = vec![area.clone()];
            if let Some(k) = t.activity_type_id {
                extra.push(("type", k.to_string()));
            }
            Some(fig(n, c.links.held(&extra)))
        }
        "participants" => sum(|r| r.participants),
        "participants_women" => sum(|r| r.women),
        "participants_ethnic" => sum(|r| r.ethnic),
        "participants_children" => sum(|r| r.children),
        "broadcasts" => sum(|r| r.broadcasts),
        "broadcast_minutes" => sum(|r| r.minutes),
        "trainings" | "trainees" | "inspections" => {
            let code = if indicator == "inspections" {
                "inspection"
            } else {
                "training"
            };
            let (id, link) = of_type(code)?;
            let rows = held().filter(|r| r.kind == id);
            let v = if indicator == "trainees" {
                rows.map(|r| r.participants).sum()
            } else {
                rows.map(|r| r.n).sum()
            };
            Some(fig(v, link))
        }
        "materials" => {
            let v = c
                .rows
                .materials
                .iter()
                .filter(|m| s.contains(&m.item))
                .map(|m| m.distributed)
                .sum();
            Some(fig(v, c.links.held(&[area])))
        }
        "budget" => {
            let v = c
                .rows
                .budgets
                .iter()
                .filter(|b| b.status == "held" && s.contains(&b.item))
                .map(|b| b.spent)
                .sum();
            Some(fig(v, c.links.held(&[area])))
        }
        "tasks_done" => {
            let v = c
                .rows
                .tasks
                .iter()
                .filter(|r| s.contains(&r.item))
                .map(|r| r.done)
                .sum();
            Some(fig(v, c.links.tasks()))
        }
        // Persons supported come from the support statistics, which are not part of this page
        // yet: no figure rather than a wrong one.
        _ => None,
    }
}

/// Plan execution per content area of the plan in force.
pub fn execution(
    c: &Ctx,
    plan: &plan::Model,
    forest: &ItemForest,
    targets: &[plan_target::Model],
) -> Section {
    let mut areas: Vec<_> = forest
        .items()
        .iter()
        .filter(|i| i.plan_id == plan.id && i.area_code.is_some())
        .collect();
    areas.sort_by_key(|i| (i.position, i.id));
    let count = |s: &BTreeSet<i64>, held_only: bool| -> i64 {
        c.rows
            .items
            .iter()
            .filter(|r| s.contains(&r.item) && (!held_only || r.held))
            .map(|r| r.n)
            .sum()
    };
    let rows: Vec<AreaRow> = areas
        .into_iter()
        .map(|area| {
            let s = forest.subtree(area.id);
            let key = ("item", area.id.to_string());
            let items: Vec<ItemRow> = forest
                .items()
                .iter()
                .filter(|i| i.plan_id == plan.id && s.contains(&i.id) && i.id != area.id)
                .map(|i| {
                    let sub = forest.subtree(i.id);
                    let k = ("item", i.id.to_string());
                    ItemRow {
                        title: item_title(i),
                        scheduled: fig(
                            count(&sub, false),
                            c.links.activities(std::slice::from_ref(&k)),
                        ),
                        held: fig(count(&sub, true), c.links.held(&[k])),
                    }
                })
                .collect();
            let items_with = items.iter().filter(|i| i.scheduled.value > 0).count();
            let targets = targets
                .iter()
                .filter(|t| s.contains(&t.plan_item_id))
                .map(|t| {
                    let indicator = c.code_of(t.indicator_id).to_owned();
                    let r = result(c, t, &indicator, &forest.subtree(t.plan_item_id));
                    let percent = r.as_ref().and_then(|r| chart::percent(r.value, t.value));
                    TargetRow {
                        indicator: c.name(t.indicator_id),
                        activity_type: t.activity_type_id.map(|k| c.name(k)),
                        target: t.value,
                        unit: t.unit.clone(),
                        bar: percent.unwrap_or(0).min(100),
                        percent,
                        result: r,
                    }
                })
                .collect();
            AreaRow {
                title: item_title(area),
                id: area.id,
                scheduled: fig(
                    count(&s, false),
                    c.links.activities(std::slice::from_ref(&key)),
                ),
                held: fig(count(&s, true), c.links.held(std::slice::from_ref(&key))),
                participants: fig(
                    c.rows.held(Some(&s)).map(|r| r.participants).sum(),
                    c.links.held(&[key]),
                ),
                items_without: items.len() - items_with,
                items_with,
                targets,
                items,
            }
        })
        .collect();
    Section::new(
        "execution",
        serde_json::json!({ "plan": plan, "areas": rows }),
    )
}
