//! The plan-execution section: per content area of the plan in force, targets against results
//! computed from the rows, and the items with and without any activity.

use crate::activities::repo::item_title;
use crate::dashboard::chart;
use crate::dashboard::sections::{Ctx, Figure, Section, fig};
use crate::entities::{plan, plan_target};
use crate::plans::areas::{self, Tally};
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

/// The rows under a set of items, as the inputs of a target's indicator.
fn tally(c: &Ctx, s: &BTreeSet<i64>) -> Tally {
    let mut t = Tally::default();
    for r in c.rows.held(Some(s)) {
        let code = c.code_of(r.kind);
        t.sessions += r.n;
        *t.sessions_by_type.entry(code.to_owned()).or_default() += r.n;
        t.participants += r.participants;
        t.women += r.women;
        t.ethnic_minority += r.ethnic;
        t.children += r.children;
        t.broadcasts += r.broadcasts;
        t.broadcast_minutes += r.minutes;
        if code == "training" {
            t.trainings += r.n;
            t.trainees += r.participants;
        }
        if code == "inspection" {
            t.inspections += r.n;
        }
    }
    t.materials_distributed = c
        .rows
        .materials
        .iter()
        .filter(|m| s.contains(&m.item))
        .map(|m| m.distributed)
        .sum();
    t.budget_spent = c
        .rows
        .budgets
        .iter()
        .filter(|b| b.status == "held" && s.contains(&b.item))
        .map(|b| b.spent)
        .sum();
    t.tasks_done = c
        .rows
        .tasks
        .iter()
        .filter(|r| s.contains(&r.item))
        .map(|r| r.done)
        .sum();
    t
}

/// What a target's indicator measures, computed from the rows under its item by the same
/// function the report uses, with the link to the rows behind it.
fn result(c: &Ctx, t: &plan_target::Model, indicator: &str, s: &BTreeSet<i64>) -> Option<Figure> {
    // Persons supported come from task outcomes, which this page does not read: no figure
    // rather than a wrong one.
    if indicator == "persons_supported" {
        return None;
    }
    let type_code = t.activity_type_id.map(|k| c.code_of(k).to_owned());
    let value = areas::result(indicator, type_code.as_deref(), &tally(c, s))?;
    // The item filter of the list takes the item, its sub-items and the communes' copies.
    let area = ("item", t.plan_item_id.to_string());
    let type_id = |code: &str| {
        c.codes
            .values()
            .find(|k| k.list == "activity_type" && k.code == code)
            .map(|k| k.id)
    };
    let link = match indicator {
        "sessions" => {
            let mut extra = vec![area];
            if let Some(k) = t.activity_type_id {
                extra.push(("type", k.to_string()));
            }
            c.links.held(&extra)
        }
        "trainings" | "trainees" => match type_id("training") {
            Some(id) => c.links.held(&[area, ("type", id.to_string())]),
            None => c.links.held(&[area]),
        },
        "inspections" => match type_id("inspection") {
            Some(id) => c.links.held(&[area, ("type", id.to_string())]),
            None => c.links.held(&[area]),
        },
        "tasks_done" => c.links.tasks(),
        _ => c.links.held(&[area]),
    };
    Some(fig(value, link))
}

/// Plan execution per content area of the plan in force.
pub fn execution(
    c: &Ctx,
    plan: &plan::Model,
    forest: &ItemForest,
    targets: &[plan_target::Model],
) -> Section {
    let own: Vec<crate::entities::plan_item::Model> = forest
        .items()
        .iter()
        .filter(|i| i.plan_id == plan.id)
        .cloned()
        .collect();
    let weighted: std::collections::HashSet<i64> = targets
        .iter()
        .map(|t| t.plan_item_id)
        .chain(
            own.iter()
                .filter(|i| i.lead_agency_id.is_some())
                .map(|i| i.id),
        )
        .collect();
    let plan_areas = areas::of_plan(&own, &weighted);
    let areas: Vec<&crate::entities::plan_item::Model> = plan_areas
        .iter()
        .filter_map(|a| own.iter().find(|i| i.id == a.item_id))
        .collect();
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

/// A target of the plan measured against the share of the plan's time that has passed.
#[derive(Clone, Debug, Serialize)]
pub struct TargetProgress {
    pub indicator: String,
    pub activity_type: Option<String>,
    pub target: i64,
    pub unit: String,
    pub result: i64,
    pub link: String,
    pub percent: i64,
    /// The share of the plan's days gone by on `today`, in per cent.
    pub expected: i64,
    pub at_risk: bool,
}

/// How far behind the time elapsed a result may lag, in points, before its target is at risk.
pub const RISK_MARGIN: i64 = 10;

/// The share of a plan's days gone by on `today`, 0–100.
pub fn elapsed(plan: &plan::Model, today: chrono::NaiveDate) -> i64 {
    let all = (plan.period_end - plan.period_start).num_days() + 1;
    let gone = (today - plan.period_start).num_days() + 1;
    (gone.clamp(0, all) * 100).checked_div(all).unwrap_or(0)
}

/// Every target of the plan's own items with its result over the rows of `c`: at risk when the
/// result, in per cent of the target, trails the time elapsed by more than [`RISK_MARGIN`].
pub fn target_progress(
    c: &Ctx,
    plan: &plan::Model,
    forest: &ItemForest,
    targets: &[plan_target::Model],
    today: chrono::NaiveDate,
) -> Vec<TargetProgress> {
    let expected = elapsed(plan, today);
    targets
        .iter()
        .filter_map(|t| {
            let indicator = c.code_of(t.indicator_id).to_owned();
            let r = result(c, t, &indicator, &forest.subtree(t.plan_item_id))?;
            let percent = chart::percent(r.value, t.value)?;
            Some(TargetProgress {
                indicator: c.name(t.indicator_id),
                activity_type: t.activity_type_id.map(|k| c.name(k)),
                target: t.value,
                unit: t.unit.clone(),
                result: r.value,
                link: r.link,
                percent,
                expected,
                at_risk: percent + RISK_MARGIN < expected,
            })
        })
        .collect()
}
