//! The figures of a report, computed from the rows: activities held in the period (by content
//! area of the plan, by type, by commune), materials, broadcasts, training, coordination tasks,
//! budget, coverage of ethnic-minority and border communes, and the same period a year before.
//! Deterministic (sorted) so that a frozen snapshot serialises to the same bytes every time.

use crate::entities::{
    activity, activity_budget, activity_material, code, coordination_task, org_unit, plan,
    plan_item, plan_target, task_outcome,
};
use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TypeCount {
    pub code: String,
    pub name: String,
    pub sessions: i64,
    pub participants: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct MaterialCount {
    pub code: String,
    pub name: String,
    pub produced: i64,
    pub distributed: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TargetLine {
    pub indicator: String,
    pub name: String,
    pub target: i64,
    pub result: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AreaFigures {
    /// What the area reports (`plans::areas::AreaKind` code).
    pub area: String,
    /// The area's item in the plan reported on.
    #[serde(default)]
    pub item_id: i64,
    pub number: usize,
    pub heading: String,
    pub sessions: i64,
    pub participants: i64,
    pub women: i64,
    pub ethnic_minority: i64,
    pub children: i64,
    pub broadcasts: i64,
    pub broadcast_minutes: i64,
    pub trainings: i64,
    pub trainees: i64,
    pub inspections: i64,
    pub by_type: Vec<TypeCount>,
    pub materials: Vec<MaterialCount>,
    pub tasks_done: i64,
    pub tasks_open: i64,
    pub persons_supported: i64,
    /// Money spent on the area's activities held in the period (đồng).
    #[serde(default)]
    pub budget_spent: i64,
    pub targets: Vec<TargetLine>,
    /// Sessions held in the same period a year earlier.
    pub previous_sessions: i64,
    pub previous_participants: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct UnitRow {
    pub unit_id: i64,
    pub name: String,
    pub ethnic_minority: bool,
    pub border_area: bool,
    pub sessions: i64,
    pub participants: i64,
    pub women: i64,
    pub ethnic: i64,
    pub children: i64,
    pub distributed: i64,
    pub broadcasts: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct BudgetRow {
    pub code: String,
    pub name: String,
    pub planned: i64,
    pub spent: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Coverage {
    pub units: i64,
    pub units_reached: i64,
    pub ethnic_units: i64,
    pub ethnic_reached: i64,
    pub border_units: i64,
    pub border_reached: i64,
}

/// Victim-support figures of the period, exact: the report to the level above is the official
/// channel for them (docs/privacy.md); pages show them only to the compiling office.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Victims {
    pub received: i64,
    pub received_women: i64,
    pub received_children: i64,
    pub supported: Vec<SupportLine>,
    pub hotline_received: i64,
    pub hotline_handled: i64,
    pub hotline_referred: i64,
    pub loans_count: i64,
    pub loans_amount: i64,
    /// Set when the reader may not see these figures (`reports::privacy`): every count above
    /// is then zero and the documents print the mark "x" instead.
    #[serde(default)]
    pub withheld: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SupportLine {
    pub code: String,
    pub name: String,
    pub legal_basis: String,
    pub persons: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Figures {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub activities_held: i64,
    pub activities_planned: i64,
    pub participants: i64,
    pub women: i64,
    pub ethnic_minority: i64,
    pub children: i64,
    pub areas: Vec<AreaFigures>,
    pub units: Vec<UnitRow>,
    pub budget: Vec<BudgetRow>,
    pub coverage: Coverage,
    pub training: Vec<TrainingRow>,
    pub victims: Victims,
    /// What the report says about direction, assessment and the next period.
    #[serde(default)]
    pub direction: Direction,
}

/// A plan as a report cites it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlanRef {
    pub number: Option<String>,
    pub issued_on: Option<NaiveDate>,
    /// "UBND huyện Tây Hòa".
    pub issuer: String,
    /// Its subject, without the word "Kế hoạch".
    pub title: String,
}

/// The unit reports of a period, for the compiled report.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReportsIn {
    pub expected: i64,
    pub received: i64,
    /// Responders who sent theirs after the due date.
    pub late: Vec<String>,
    /// Responders who have not sent theirs.
    pub missing: Vec<String>,
}

/// The rows behind II.1 (direction), III (assessment) and IV (next period), besides the
/// activity figures: the plan issued and the plan it implements, its amendments, the report
/// requested, the tasks assigned, and the plan items with activities scheduled next period.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Direction {
    /// The reporter's kind word in lower case ("thị trấn", "huyện"); empty for an agency.
    pub kind_word: String,
    pub plan: Option<PlanRef>,
    /// The superior plan a unit's own plan implements.
    pub superior: Option<PlanRef>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due_date: Option<NaiveDate>,
    /// The percentage of the plan's time gone at the period's end (100 once the plan ended).
    pub time_gone: Option<i64>,
    pub amendments: Vec<NaiveDate>,
    pub tasks_assigned: i64,
    pub tasks_assigned_done: i64,
    pub tasks_overdue: i64,
    pub reports: Option<ReportsIn>,
    /// "1.2. Tuyên truyền tại cộng đồng" and its activities scheduled in the next period.
    pub next_items: Vec<(String, i64)>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TrainingRow {
    pub activity_id: i64,
    pub title: String,
    pub date: NaiveDate,
    pub unit: String,
    pub trainees: i64,
}

/// Whose work a report counts: the activities held in some units, or only those a partner
/// agency organised there (with the coordination tasks it leads or partners in).
#[derive(Clone, Copy, Debug)]
pub enum Subject<'a> {
    Units(&'a [i64]),
    /// Units reported under the areas of a plan that is not theirs (a commune without a plan of
    /// its own answering its province's): the plan's targets are not theirs to measure.
    UnitsUnderPlan(&'a [i64]),
    Agency {
        id: i64,
        units: &'a [i64],
    },
}

impl<'a> Subject<'a> {
    fn units(self) -> &'a [i64] {
        match self {
            Subject::Units(u) | Subject::UnitsUnderPlan(u) | Subject::Agency { units: u, .. } => u,
        }
    }

    /// The activities of the subject, any date or status.
    fn activities(self) -> Condition {
        let c =
            Condition::all().add(activity::Column::OrgUnitId.is_in(self.units().iter().copied()));
        match self {
            Subject::Units(_) | Subject::UnitsUnderPlan(_) => c,
            Subject::Agency { id, .. } => c.add(activity::Column::AgencyId.eq(id)),
        }
    }
}

/// The content areas of the plan reported on, and how any item of it, of the plans made from it
/// or of the plan it was made from maps onto them.
pub struct PlanAreas {
    pub areas: Vec<crate::plans::areas::Area>,
    map: crate::plans::areas::AreaMap,
}

impl PlanAreas {
    pub async fn load(db: &impl ConnectionTrait, plan_id: i64) -> Result<PlanAreas, DbErr> {
        use crate::plans::areas;
        let the_plan = plan::Entity::find_by_id(plan_id).one(db).await?;
        let mut plan_ids: Vec<i64> = plan::Entity::find()
            .filter(plan::Column::ParentPlanId.eq(plan_id))
            .all(db)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        plan_ids.push(plan_id);
        plan_ids.extend(the_plan.and_then(|p| p.parent_plan_id));
        let items = plan_item::Entity::find()
            .filter(plan_item::Column::PlanId.is_in(plan_ids))
            .all(db)
            .await?;
        let own: Vec<plan_item::Model> = items
            .iter()
            .filter(|i| i.plan_id == plan_id)
            .cloned()
            .collect();
        let targeted: std::collections::HashSet<i64> = plan_target::Entity::find()
            .filter(plan_target::Column::PlanItemId.is_in(own.iter().map(|i| i.id)))
            .all(db)
            .await?
            .into_iter()
            .map(|t| t.plan_item_id)
            .chain(
                own.iter()
                    .filter(|i| i.lead_agency_id.is_some())
                    .map(|i| i.id),
            )
            .collect();
        let areas = areas::of_plan(&own, &targeted);
        let map = areas::AreaMap::new(&areas, &items);
        Ok(PlanAreas { areas, map })
    }

    /// The area an item counts under, or where rows of that kind go when it sits under none.
    /// The area an item sits under, if any.
    pub fn map_area(&self, item_id: i64) -> Option<usize> {
        self.map.area(item_id)
    }

    pub fn area_or(&self, item_id: i64, kind: crate::plans::areas::AreaKind) -> Option<usize> {
        self.map
            .area(item_id)
            .or_else(|| crate::plans::areas::first_of(&self.areas, kind))
    }
}

/// Where an activity of a type counts when its item sits under no area.
fn kind_of_type(code: &str) -> crate::plans::areas::AreaKind {
    use crate::plans::areas::AreaKind;
    match code {
        "training" => AreaKind::Training,
        "inspection" => AreaKind::Inspection,
        _ => AreaKind::Communication,
    }
}

impl AreaFigures {
    /// The area's figures as the inputs of a target's indicator.
    pub fn tally(&self) -> crate::plans::areas::Tally {
        crate::plans::areas::Tally {
            sessions: self.sessions,
            sessions_by_type: self
                .by_type
                .iter()
                .map(|t| (t.code.clone(), t.sessions))
                .collect(),
            participants: self.participants,
            women: self.women,
            ethnic_minority: self.ethnic_minority,
            children: self.children,
            broadcasts: self.broadcasts,
            broadcast_minutes: self.broadcast_minutes,
            trainings: self.trainings,
            trainees: self.trainees,
            inspections: self.inspections,
            materials_distributed: self.materials.iter().map(|m| m.distributed).sum(),
            budget_spent: self.budget_spent,
            tasks_done: self.tasks_done,
            persons_supported: self.persons_supported,
        }
    }
}

struct Held {
    sessions: i64,
    participants: i64,
}

fn shift_year(d: NaiveDate, years: i32) -> NaiveDate {
    d.with_year(d.year() + years)
        .or_else(|| NaiveDate::from_ymd_opt(d.year() + years, d.month(), 28))
        .unwrap_or(d)
}

async fn held_by_area(
    db: &impl ConnectionTrait,
    subject: Subject<'_>,
    from: NaiveDate,
    to: NaiveDate,
    areas: &PlanAreas,
    type_code: &(dyn Fn(i64) -> String + Sync),
) -> Result<HashMap<usize, Held>, DbErr> {
    let rows = activity::Entity::find()
        .filter(subject.activities())
        .filter(activity::Column::Status.eq("held"))
        .filter(activity::Column::StartDate.gte(from))
        .filter(activity::Column::StartDate.lte(to))
        .all(db)
        .await?
        .into_iter()
        .map(crate::activities::input::bounded)
        .collect::<Vec<_>>();
    let mut out: HashMap<usize, Held> = HashMap::new();
    for a in rows {
        let kind = kind_of_type(&type_code(a.activity_type_id));
        let Some(area) = areas.area_or(a.plan_item_id, kind) else {
            continue;
        };
        let e = out.entry(area).or_insert(Held {
            sessions: 0,
            participants: 0,
        });
        e.sessions += 1;
        e.participants = e.participants.saturating_add(a.participants.unwrap_or(0));
    }
    Ok(out)
}

/// Everything a report shows, for the units (a scope) over a period, measured against the
/// targets of `plan_id` and the plans made from it.
pub async fn compute(
    db: &impl ConnectionTrait,
    units: &[i64],
    from: NaiveDate,
    to: NaiveDate,
    plan_id: i64,
) -> Result<Figures, DbErr> {
    compute_for(db, Subject::Units(units), from, to, plan_id).await
}

/// The figures of a subject. A partner agency's report counts only what that agency organised
/// and the tasks it takes part in; it carries no targets (the plan's targets belong to units)
/// and no victim-support statistics, which are entered per unit by the compiling office.
pub async fn compute_for(
    db: &impl ConnectionTrait,
    subject: Subject<'_>,
    from: NaiveDate,
    to: NaiveDate,
    plan_id: i64,
) -> Result<Figures, DbErr> {
    let units = subject.units();
    let codes: HashMap<i64, code::Model> = code::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let in_period: Vec<activity::Model> = activity::Entity::find()
        .filter(subject.activities())
        .filter(activity::Column::StartDate.gte(from))
        .filter(activity::Column::StartDate.lte(to))
        .all(db)
        .await?
        .into_iter()
        .map(crate::activities::input::bounded)
        .collect();
    let planned = in_period
        .iter()
        .filter(|a| a.status == "planned" || a.status == "postponed")
        .count();
    let held: Vec<&activity::Model> = in_period.iter().filter(|a| a.status == "held").collect();
    let plan_areas = PlanAreas::load(db, plan_id).await?;
    // The activities of the period as a subquery, not a list of ids: a district-year can hold
    // more ids than a statement may carry parameters.
    let period_ids = || {
        sea_orm::sea_query::Query::select()
            .column(activity::Column::Id)
            .from(activity::Entity)
            .cond_where(subject.activities())
            .and_where(activity::Column::StartDate.gte(from))
            .and_where(activity::Column::StartDate.lte(to))
            .to_owned()
    };
    let materials = activity_material::Entity::find()
        .filter(activity_material::Column::ActivityId.in_subquery(period_ids()))
        .all(db)
        .await?;
    // Grouped once: looking them up per activity would be quadratic at a district-year's size.
    let mut materials_of: HashMap<i64, Vec<&activity_material::Model>> = HashMap::new();
    for m in &materials {
        materials_of.entry(m.activity_id).or_default().push(m);
    }
    let budgets = activity_budget::Entity::find()
        .filter(activity_budget::Column::ActivityId.in_subquery(period_ids()))
        .all(db)
        .await?;
    let unit_rows = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(units.iter().copied()))
        .all(db)
        .await?;
    let code_of = |id: i64| codes.get(&id).map(|c| c.code.clone()).unwrap_or_default();
    let name_of = |id: i64| {
        codes
            .get(&id)
            .map(|c| c.name_vi.clone())
            .unwrap_or_default()
    };

    // One row per content area of the plan reported on, in the plan's order.
    let mut area_rows: Vec<AreaFigures> = plan_areas
        .areas
        .iter()
        .enumerate()
        .map(|(n, a)| AreaFigures {
            area: a.kind.code().to_owned(),
            item_id: a.item_id,
            number: n + 1,
            heading: a.heading.clone(),
            ..Default::default()
        })
        .collect();
    let budget_of: HashMap<i64, i64> = budgets.iter().fold(HashMap::new(), |mut m, b| {
        let e = m.entry(b.activity_id).or_insert(0i64);
        *e = e.saturating_add(b.spent.unwrap_or(0));
        m
    });
    for a in &held {
        let kind = code_of(a.activity_type_id);
        let Some(f) = plan_areas
            .area_or(a.plan_item_id, kind_of_type(&kind))
            .and_then(|n| area_rows.get_mut(n))
        else {
            continue;
        };
        f.budget_spent = f
            .budget_spent
            .saturating_add(budget_of.get(&a.id).copied().unwrap_or(0));
        f.sessions += 1;
        f.participants += a.participants.unwrap_or(0);
        f.women += a.participants_women.unwrap_or(0);
        f.ethnic_minority += a.participants_ethnic_minority.unwrap_or(0);
        f.children += a.participants_children.unwrap_or(0);
        f.broadcasts += a.broadcasts.unwrap_or(0);
        f.broadcast_minutes += a.broadcast_minutes.unwrap_or(0);
        if kind == "training" {
            f.trainings += 1;
            f.trainees += a.participants.unwrap_or(0);
        }
        if kind == "inspection" {
            f.inspections += 1;
        }
        match f.by_type.iter_mut().find(|t| t.code == kind) {
            Some(t) => {
                t.sessions += 1;
                t.participants += a.participants.unwrap_or(0);
            }
            None => f.by_type.push(TypeCount {
                code: kind.clone(),
                name: name_of(a.activity_type_id),
                sessions: 1,
                participants: a.participants.unwrap_or(0),
            }),
        }
        for m in materials_of.get(&a.id).into_iter().flatten() {
            let mk = code_of(m.material_kind_id);
            match f.materials.iter_mut().find(|x| x.code == mk) {
                Some(x) => {
                    x.produced += m.produced.unwrap_or(0);
                    x.distributed += m.distributed.unwrap_or(0);
                }
                None => f.materials.push(MaterialCount {
                    code: mk,
                    name: name_of(m.material_kind_id),
                    produced: m.produced.unwrap_or(0),
                    distributed: m.distributed.unwrap_or(0),
                }),
            }
        }
    }
    // Coordination tasks of the units' agencies (or the partner agency's, as lead or partner),
    // by the area of their plan item.
    let involved = match subject {
        Subject::Units(_) | Subject::UnitsUnderPlan(_) => {
            let agency_ids: Vec<i64> = crate::entities::agency::Entity::find()
                .filter(crate::entities::agency::Column::OrgUnitId.is_in(units.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|a| a.id)
                .collect();
            Condition::all().add(coordination_task::Column::LeadAgencyId.is_in(agency_ids))
        }
        Subject::Agency { id, .. } => Condition::any()
            .add(coordination_task::Column::LeadAgencyId.eq(id))
            .add(coordination_task::Column::PartnerAgencyId.eq(id)),
    };
    let tasks = coordination_task::Entity::find()
        .filter(involved)
        .filter(coordination_task::Column::RequestedOn.lte(to))
        .filter(coordination_task::Column::DueDate.gte(from))
        .all(db)
        .await?;
    let outcomes = task_outcome::Entity::find()
        .filter(task_outcome::Column::TaskId.is_in(tasks.iter().map(|t| t.id)))
        .all(db)
        .await?;
    for t in &tasks {
        let Some(f) = plan_areas
            .area_or(t.plan_item_id, crate::plans::areas::AreaKind::Coordination)
            .and_then(|n| area_rows.get_mut(n))
        else {
            continue;
        };
        if t.status == "done" {
            f.tasks_done += 1;
            f.persons_supported += outcomes
                .iter()
                .filter(|o| o.task_id == t.id)
                .map(|o| o.persons)
                .sum::<i64>();
        } else if crate::tasks::service::is_open(&t.status) {
            f.tasks_open += 1;
        }
    }
    let mut direction = Direction {
        period_start: from,
        period_end: to,
        ..Direction::default()
    };
    let assigned: Vec<&coordination_task::Model> =
        tasks.iter().filter(|t| t.requested_on >= from).collect();
    direction.tasks_assigned = assigned.len() as i64;
    direction.tasks_assigned_done = assigned.iter().filter(|t| t.status == "done").count() as i64;
    direction.tasks_overdue = tasks
        .iter()
        .filter(|t| crate::tasks::service::is_open(&t.status) && t.due_date < to)
        .count() as i64;
    direction.next_items = next_items(db, subject, to, to + (to - from)).await?;
    // Targets of the plan and of the plans made from it (communes), by area.
    let mut plan_ids = Vec::new();
    if let Subject::Units(_) = subject {
        plan_ids.push(plan_id);
        plan_ids.extend(
            plan::Entity::find()
                .filter(plan::Column::ParentPlanId.eq(plan_id))
                .all(db)
                .await?
                .into_iter()
                .map(|p| p.id),
        );
    }
    let all_items = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.is_in(plan_ids))
        .all(db)
        .await?;
    let targets = plan_target::Entity::find()
        .filter(plan_target::Column::PlanItemId.is_in(all_items.iter().map(|i| i.id)))
        .all(db)
        .await?;
    for t in targets {
        let Some(f) = plan_areas
            .map_area(t.plan_item_id)
            .and_then(|n| area_rows.get_mut(n))
        else {
            continue;
        };
        let indicator = code_of(t.indicator_id);
        let type_code = t.activity_type_id.map(code_of);
        let result =
            crate::plans::areas::result(&indicator, type_code.as_deref(), &f.tally()).unwrap_or(0);
        let name = match t.activity_type_id {
            Some(a) => format!(
                "{} ({})",
                name_of(t.indicator_id),
                name_of(a).to_lowercase()
            ),
            None => name_of(t.indicator_id),
        };
        match f.targets.iter_mut().find(|x| x.name == name) {
            Some(x) => x.target += t.value,
            None => f.targets.push(TargetLine {
                indicator,
                name,
                target: t.value,
                result,
            }),
        }
    }
    // The same period a year earlier.
    let previous = held_by_area(
        db,
        subject,
        shift_year(from, -1),
        shift_year(to, -1),
        &plan_areas,
        &code_of,
    )
    .await?;
    for (area, h) in previous {
        if let Some(f) = area_rows.get_mut(area) {
            f.previous_sessions = h.sessions;
            f.previous_participants = h.participants;
        }
    }
    // By commune, for the annex and coverage.
    let mut per_unit: Vec<UnitRow> = unit_rows
        .iter()
        .filter(|u| {
            matches!(
                u.kind.as_str(),
                "commune" | "town" | "ward" | "special_zone"
            )
        })
        // A unit counts (and is a coverage denominator) only for periods it existed in.
        .filter(|u| u.valid_to.is_none_or(|t| t >= from) && u.valid_from.is_none_or(|f| f <= to))
        .map(|u| UnitRow {
            unit_id: u.id,
            name: u.name.clone(),
            ethnic_minority: u.ethnic_minority,
            border_area: u.border_area,
            ..Default::default()
        })
        .collect();
    for a in &held {
        if let Some(r) = per_unit.iter_mut().find(|r| r.unit_id == a.org_unit_id) {
            r.sessions += 1;
            r.participants += a.participants.unwrap_or(0);
            r.women += a.participants_women.unwrap_or(0);
            r.ethnic += a.participants_ethnic_minority.unwrap_or(0);
            r.children += a.participants_children.unwrap_or(0);
            r.broadcasts += a.broadcasts.unwrap_or(0);
            r.distributed += materials
                .iter()
                .filter(|m| m.activity_id == a.id)
                .filter_map(|m| m.distributed)
                .sum::<i64>();
        }
    }
    per_unit.sort_by(|a, b| a.name.cmp(&b.name));
    let reached = |r: &&UnitRow| r.sessions > 0;
    let coverage = Coverage {
        units: per_unit.len() as i64,
        units_reached: per_unit.iter().filter(reached).count() as i64,
        ethnic_units: per_unit.iter().filter(|r| r.ethnic_minority).count() as i64,
        ethnic_reached: per_unit
            .iter()
            .filter(|r| r.ethnic_minority)
            .filter(reached)
            .count() as i64,
        border_units: per_unit.iter().filter(|r| r.border_area).count() as i64,
        border_reached: per_unit
            .iter()
            .filter(|r| r.border_area)
            .filter(reached)
            .count() as i64,
    };
    let mut budget: Vec<BudgetRow> = Vec::new();
    for b in &budgets {
        let c = code_of(b.funding_source_id);
        match budget.iter_mut().find(|x| x.code == c) {
            Some(x) => {
                x.planned += b.planned.unwrap_or(0);
                x.spent += b.spent.unwrap_or(0);
            }
            None => budget.push(BudgetRow {
                code: c,
                name: name_of(b.funding_source_id),
                planned: b.planned.unwrap_or(0),
                spent: b.spent.unwrap_or(0),
            }),
        }
    }
    budget.sort_by(|a, b| a.code.cmp(&b.code));
    let mut training: Vec<TrainingRow> = held
        .iter()
        .filter(|a| code_of(a.activity_type_id) == "training")
        .map(|a| TrainingRow {
            activity_id: a.id,
            title: a.title.clone(),
            date: a.start_date,
            unit: unit_rows
                .iter()
                .find(|u| u.id == a.org_unit_id)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            trainees: a.participants.unwrap_or(0),
        })
        .collect();
    training.sort_by_key(|t| (t.date, t.activity_id));
    let victims = match subject {
        Subject::Units(_) | Subject::UnitsUnderPlan(_) => {
            victims(db, units, from, to, &codes).await?
        }
        Subject::Agency { .. } => Victims::default(),
    };
    let mut areas = area_rows;
    for a in &mut areas {
        a.by_type
            .sort_by(|x, y| y.sessions.cmp(&x.sessions).then(x.code.cmp(&y.code)));
        a.materials.sort_by(|x, y| x.code.cmp(&y.code));
        a.targets.sort_by(|x, y| x.name.cmp(&y.name));
    }
    Ok(Figures {
        period_start: from,
        period_end: to,
        activities_held: held.len() as i64,
        activities_planned: planned as i64,
        participants: held.iter().filter_map(|a| a.participants).sum(),
        women: held.iter().filter_map(|a| a.participants_women).sum(),
        ethnic_minority: held
            .iter()
            .filter_map(|a| a.participants_ethnic_minority)
            .sum(),
        children: held.iter().filter_map(|a| a.participants_children).sum(),
        areas,
        units: per_unit,
        budget,
        coverage,
        training,
        victims,
        direction,
    })
}

/// The plan items with activities scheduled in the next period, as "label heading" with how
/// many, in the plan's order.
async fn next_items(
    db: &impl ConnectionTrait,
    subject: Subject<'_>,
    after: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<(String, i64)>, DbErr> {
    let planned = activity::Entity::find()
        .filter(subject.activities())
        .filter(activity::Column::Status.eq("planned"))
        .filter(activity::Column::StartDate.gt(after))
        .filter(activity::Column::StartDate.lte(until))
        .all(db)
        .await?;
    let mut count: HashMap<i64, i64> = HashMap::new();
    for a in &planned {
        *count.entry(a.plan_item_id).or_default() += 1;
    }
    let mut items = plan_item::Entity::find()
        .filter(plan_item::Column::Id.is_in(count.keys().copied()))
        .all(db)
        .await?;
    items.sort_by_key(|i| (i.plan_id, i.position, i.id));
    // The same item copied into several communes' plans is one line, its counts added.
    let mut out: Vec<(String, i64)> = Vec::new();
    let lines = items.into_iter().map(|i| {
        let label = i.label.trim().trim_end_matches('.');
        let name = if label.is_empty() || label == "-" || label == "+" {
            i.heading.trim().to_owned()
        } else {
            format!("{label}. {}", i.heading.trim())
        };
        (name, count.get(&i.id).copied().unwrap_or(0))
    });
    for (name, n) in lines {
        match out.iter_mut().find(|(x, _)| *x == name) {
            Some(line) => line.1 += n,
            None => out.push((name, n)),
        }
    }
    Ok(out)
}

/// Sums the monthly support statistics of the units over the months of the period.
async fn victims(
    db: &impl ConnectionTrait,
    units: &[i64],
    from: NaiveDate,
    to: NaiveDate,
    codes: &HashMap<i64, code::Model>,
) -> Result<Victims, DbErr> {
    use crate::entities::{support_stat_month, support_stat_received, support_stat_support};
    use crate::support_stats::period::YearMonth;
    let keys: Vec<i32> = YearMonth::of(from)
        .through(YearMonth::of(to))
        .into_iter()
        .map(YearMonth::key)
        .collect();
    let months = support_stat_month::Entity::find()
        .filter(support_stat_month::Column::OrgUnitId.is_in(units.iter().copied()))
        .filter(support_stat_month::Column::YearMonth.is_in(keys))
        .all(db)
        .await?;
    let ids: Vec<i64> = months.iter().map(|m| m.id).collect();
    let received = support_stat_received::Entity::find()
        .filter(support_stat_received::Column::MonthId.is_in(ids.clone()))
        .all(db)
        .await?;
    let support = support_stat_support::Entity::find()
        .filter(support_stat_support::Column::MonthId.is_in(ids))
        .all(db)
        .await?;
    let code_is =
        |id: i64, c: &[&str]| codes.get(&id).is_some_and(|x| c.contains(&x.code.as_str()));
    let mut v = Victims {
        received: received.iter().map(|r| r.persons).sum(),
        received_women: received
            .iter()
            .filter(|r| code_is(r.sex_id, &["female"]))
            .map(|r| r.persons)
            .sum(),
        received_children: received
            .iter()
            .filter(|r| code_is(r.age_band_id, &["0-11", "12-15"]))
            .map(|r| r.persons)
            .sum(),
        hotline_received: months.iter().map(|m| m.hotline_received).sum(),
        hotline_handled: months.iter().map(|m| m.hotline_handled).sum(),
        hotline_referred: months.iter().map(|m| m.hotline_referred).sum(),
        loans_count: months.iter().map(|m| m.loans_count).sum(),
        loans_amount: months.iter().map(|m| m.loans_amount).sum(),
        supported: Vec::new(),
        withheld: false,
    };
    for s in support {
        let Some(c) = codes.get(&s.support_type_id) else {
            continue;
        };
        match v.supported.iter_mut().find(|l| l.code == c.code) {
            Some(l) => l.persons += s.persons,
            None => v.supported.push(SupportLine {
                code: c.code.clone(),
                name: c.name_vi.clone(),
                legal_basis: c.legal_basis.clone().unwrap_or_default(),
                persons: s.persons,
            }),
        }
    }
    // Grouped by legal basis (2011 law before 2024 law), then in code order.
    v.supported.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(v)
}
