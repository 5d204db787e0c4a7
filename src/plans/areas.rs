//! A plan's content areas: the items that the report's section II and the dashboard's execution
//! section are organised by. They are data — any number, any titles, in the plan's order — and
//! each says what it reports (`AreaKind`), so that victim statistics, coordination tasks and
//! trainings land under the right one. A plan that marks none gets a default: the top-level
//! items of the section that carries the plan's tasks and targets.
//!
//! Also the one function that turns a target's indicator into its result (`result`), shared by
//! the report and the dashboard.

use crate::entities::plan_item;
use std::collections::{HashMap, HashSet};

/// What a content area reports. A closed set: the code compares kinds, never area titles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    Communication,
    VictimSupport,
    Training,
    Inspection,
    Coordination,
    Other,
}

impl AreaKind {
    pub const ALL: [AreaKind; 6] = [
        AreaKind::Communication,
        AreaKind::VictimSupport,
        AreaKind::Training,
        AreaKind::Inspection,
        AreaKind::Coordination,
        AreaKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AreaKind::Communication => "communication",
            AreaKind::VictimSupport => "victim_support",
            AreaKind::Training => "training",
            AreaKind::Inspection => "inspection",
            AreaKind::Coordination => "coordination",
            AreaKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<AreaKind> {
        AreaKind::ALL.into_iter().find(|k| k.code() == s.trim())
    }

    /// A guess from an area's title, for plans that mark no areas (Vietnamese plan wording).
    pub fn guess(heading: &str) -> AreaKind {
        let h = crate::text::fold(heading);
        let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
        if has(&["truyen thong", "tuyen truyen", "nhan thuc"]) {
            AreaKind::Communication
        } else if has(&["tap huan", "dao tao", "nang luc", "boi duong"]) {
            AreaKind::Training
        } else if has(&["kiem tra", "giam sat", "thanh tra"]) {
            AreaKind::Inspection
        } else if has(&["ho tro nan nhan", "nan nhan", "tiep nhan"]) {
            AreaKind::VictimSupport
        } else if has(&["phoi hop", "hop tac"]) {
            AreaKind::Coordination
        } else {
            AreaKind::Other
        }
    }
}

/// One content area of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Area {
    pub item_id: i64,
    pub kind: AreaKind,
    pub heading: String,
}

/// The items of one plan in the plan's order (depth first, by position).
fn in_order(items: &[plan_item::Model]) -> Vec<&plan_item::Model> {
    let mut children: HashMap<Option<i64>, Vec<&plan_item::Model>> = HashMap::new();
    for i in items {
        children.entry(i.parent_id).or_default().push(i);
    }
    for v in children.values_mut() {
        v.sort_by_key(|i| (i.position, i.id));
    }
    let mut out = Vec::with_capacity(items.len());
    let mut stack: Vec<&plan_item::Model> = children.get(&None).cloned().unwrap_or_default();
    stack.reverse();
    while let Some(i) = stack.pop() {
        out.push(i);
        if let Some(c) = children.get(&Some(i.id)) {
            stack.extend(c.iter().rev());
        }
    }
    out
}

fn title(i: &plan_item::Model) -> String {
    if i.heading.trim().is_empty() {
        i.body.clone().unwrap_or_default()
    } else {
        i.heading.clone()
    }
}

/// The content areas of one plan: its marked items in the plan's order, or, when it marks none,
/// the default. `weighted` are the items that carry a target or a lead agency (the plan's tasks).
pub fn of_plan(items: &[plan_item::Model], weighted: &HashSet<i64>) -> Vec<Area> {
    let ordered = in_order(items);
    let marked: Vec<Area> = ordered
        .iter()
        .filter_map(|i| {
            let kind = AreaKind::parse(i.area_kind.as_deref()?)?;
            Some(Area {
                item_id: i.id,
                kind,
                heading: title(i),
            })
        })
        .collect();
    if !marked.is_empty() {
        return marked;
    }
    default_areas(&ordered, weighted)
}

/// The top-level items of the section that carries the plan's tasks and targets, whatever that
/// section is called; a plan of one level has its roots as areas.
fn default_areas(ordered: &[&plan_item::Model], weighted: &HashSet<i64>) -> Vec<Area> {
    let parent: HashMap<i64, Option<i64>> = ordered.iter().map(|i| (i.id, i.parent_id)).collect();
    let root_of = |mut id: i64| {
        while let Some(Some(p)) = parent.get(&id) {
            id = *p;
        }
        id
    };
    let roots: Vec<&&plan_item::Model> = ordered.iter().filter(|i| i.parent_id.is_none()).collect();
    let children_of = |id: i64| -> Vec<&plan_item::Model> {
        ordered
            .iter()
            .copied()
            .filter(|i| i.parent_id == Some(id))
            .collect()
    };
    let mut weight: HashMap<i64, usize> = HashMap::new();
    for i in ordered {
        if weighted.contains(&i.id) {
            *weight.entry(root_of(i.id)).or_default() += 1;
        }
    }
    // Most weight first; then most children; then the earlier section.
    let best = roots
        .iter()
        .filter(|r| !children_of(r.id).is_empty())
        .max_by_key(|r| {
            (
                weight.get(&r.id).copied().unwrap_or(0),
                children_of(r.id).len(),
                std::cmp::Reverse(r.position),
            )
        });
    let chosen: Vec<&plan_item::Model> = match best {
        Some(r) => children_of(r.id),
        None => roots.iter().map(|r| **r).collect(),
    };
    chosen
        .into_iter()
        .map(|i| Area {
            item_id: i.id,
            kind: AreaKind::guess(&title(i)),
            heading: title(i),
        })
        .collect()
}

/// Which area of `areas` (the areas of the plan reported on) each item counts under: the item's
/// own area or its nearest ancestor's, following copies between a plan and the plans made from
/// it in both directions (a commune's copy of a provincial item, or the item a commune copied).
pub struct AreaMap {
    area_of: HashMap<i64, usize>,
}

impl AreaMap {
    /// `items` holds every item that may be asked about, with their plans' other items.
    pub fn new(areas: &[Area], items: &[plan_item::Model]) -> AreaMap {
        let by_id: HashMap<i64, &plan_item::Model> = items.iter().map(|i| (i.id, i)).collect();
        let index: HashMap<i64, usize> = areas
            .iter()
            .enumerate()
            .map(|(n, a)| (a.item_id, n))
            .collect();
        // The copies of each area item in other plans count as the area itself.
        let mut copies: HashMap<i64, usize> = index.clone();
        loop {
            let before = copies.len();
            for i in items {
                if copies.contains_key(&i.id) {
                    continue;
                }
                if let Some(n) = i.source_item_id.and_then(|s| copies.get(&s)).copied() {
                    copies.insert(i.id, n);
                }
            }
            for a in areas {
                let mut cursor = by_id.get(&a.item_id).and_then(|i| i.source_item_id);
                while let Some(s) = cursor {
                    if copies.contains_key(&s) {
                        break;
                    }
                    if let Some(n) = index.get(&a.item_id) {
                        copies.insert(s, *n);
                    }
                    cursor = by_id.get(&s).and_then(|i| i.source_item_id);
                }
            }
            if copies.len() == before {
                break;
            }
        }
        let mut area_of = HashMap::new();
        for i in items {
            let mut cursor = Some(i);
            let mut hops = 0;
            while let Some(c) = cursor {
                if let Some(n) = copies.get(&c.id) {
                    area_of.insert(i.id, *n);
                    break;
                }
                hops += 1;
                if hops > 64 {
                    break;
                }
                cursor = c.parent_id.and_then(|p| by_id.get(&p).copied());
            }
        }
        AreaMap { area_of }
    }

    /// The area an item counts under, if it sits under one.
    pub fn area(&self, item_id: i64) -> Option<usize> {
        self.area_of.get(&item_id).copied()
    }
}

/// The first area of a kind, else the first area: where rows that sit under no area go.
pub fn first_of(areas: &[Area], kind: AreaKind) -> Option<usize> {
    areas
        .iter()
        .position(|a| a.kind == kind)
        .or(if areas.is_empty() { None } else { Some(0) })
}

/// What the rows under a target's item add up to: the inputs of every indicator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub sessions: i64,
    /// Sessions by activity type code.
    pub sessions_by_type: HashMap<String, i64>,
    pub participants: i64,
    pub women: i64,
    pub ethnic_minority: i64,
    pub children: i64,
    pub broadcasts: i64,
    pub broadcast_minutes: i64,
    pub trainings: i64,
    pub trainees: i64,
    pub inspections: i64,
    pub materials_distributed: i64,
    pub budget_spent: i64,
    pub tasks_done: i64,
    pub persons_supported: i64,
}

/// A target's result from the rows: the indicator's code and, for sessions, the activity type's
/// code. `None` for an indicator the rows cannot measure.
pub fn result(indicator: &str, activity_type: Option<&str>, t: &Tally) -> Option<i64> {
    Some(match indicator {
        "sessions" => match activity_type {
            Some(kind) => t.sessions_by_type.get(kind).copied().unwrap_or(0),
            None => t.sessions,
        },
        "participants" => t.participants,
        "participants_women" => t.women,
        "participants_ethnic" => t.ethnic_minority,
        "participants_children" => t.children,
        "materials" => t.materials_distributed,
        "broadcasts" => t.broadcasts,
        "broadcast_minutes" => t.broadcast_minutes,
        "trainings" => t.trainings,
        "trainees" => t.trainees,
        "tasks_done" => t.tasks_done,
        "persons_supported" => t.persons_supported,
        "inspections" => t.inspections,
        "budget" => t.budget_spent,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn item(id: i64, parent: Option<i64>, position: i32, heading: &str) -> plan_item::Model {
        plan_item::Model {
            id,
            plan_id: 1,
            parent_id: parent,
            position,
            label: position.to_string(),
            heading: heading.to_owned(),
            body: None,
            area_kind: None,
            lead_agency_id: None,
            source_item_id: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn marked_items_are_the_areas_in_the_plans_order() {
        let mut items = vec![
            item(1, None, 1, "Mục tiêu"),
            item(2, None, 2, "Nhiệm vụ"),
            item(4, Some(2), 2, "Hỗ trợ nạn nhân"),
            item(3, Some(2), 1, "Tuyên truyền"),
        ];
        items[2].area_kind = Some("victim_support".into());
        items[3].area_kind = Some("communication".into());
        let areas = of_plan(&items, &HashSet::new());
        assert_eq!(
            areas.iter().map(|a| a.item_id).collect::<Vec<_>>(),
            vec![3, 4]
        );
        assert_eq!(areas[1].kind, AreaKind::VictimSupport);
    }

    #[test]
    fn without_marks_the_section_with_the_targets_gives_the_areas() {
        let items = vec![
            item(1, None, 1, "Mục đích, yêu cầu"),
            item(2, Some(1), 1, "Mục đích"),
            item(3, Some(1), 2, "Yêu cầu"),
            item(4, Some(1), 3, "Nguyên tắc"),
            item(5, None, 2, "Nhiệm vụ và giải pháp"),
            item(6, Some(5), 1, "Tập huấn cán bộ"),
            item(7, Some(6), 1, "Mở 2 lớp"),
            item(8, Some(5), 2, "Kiểm tra, giám sát"),
        ];
        let areas = of_plan(&items, &HashSet::from([7]));
        assert_eq!(
            areas.iter().map(|a| a.item_id).collect::<Vec<_>>(),
            vec![6, 8]
        );
        assert_eq!(areas[0].kind, AreaKind::Training);
        assert_eq!(areas[1].kind, AreaKind::Inspection);
    }

    #[test]
    fn a_flat_plan_has_its_items_as_areas() {
        let items = vec![item(1, None, 1, "Tuyên truyền"), item(2, None, 2, "Khác")];
        assert_eq!(of_plan(&items, &HashSet::new()).len(), 2);
    }

    #[test]
    fn items_count_under_their_area_and_copies_under_the_original() {
        let mut items = vec![item(1, None, 1, "II"), item(2, Some(1), 1, "Truyền thông")];
        items[1].area_kind = Some("communication".into());
        items.push(item(3, Some(2), 1, "Tin bài"));
        // A commune's copy of item 2 in plan 9 and a sub-item it added.
        let mut copy = item(10, None, 1, "Truyền thông");
        copy.plan_id = 9;
        copy.source_item_id = Some(2);
        let mut own = item(11, Some(10), 1, "Loa xã");
        own.plan_id = 9;
        items.push(copy);
        items.push(own);
        let areas = of_plan(&items[..3], &HashSet::new());
        let map = AreaMap::new(&areas, &items);
        assert_eq!(map.area(3), Some(0));
        assert_eq!(map.area(11), Some(0));
        assert_eq!(map.area(1), None);
    }

    #[test]
    fn a_budget_target_is_the_money_spent() {
        let t = Tally {
            budget_spent: 5_000_000,
            ..Default::default()
        };
        assert_eq!(result("budget", None, &t), Some(5_000_000));
        assert_eq!(result("unknown", None, &t), None);
    }
}
