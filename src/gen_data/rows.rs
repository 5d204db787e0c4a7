//! The rows `gen-data` writes: constructors for the small tables, and the bulk of activities
//! and tasks written in batches (multi-row INSERTs), one transaction per batch so that a long
//! run neither holds one huge transaction on PostgreSQL nor loses everything on an error.

use super::{AS_OF, Codes, Commune, FIRST_DAY, Options, ProvincePlan, Rng, day, next_id, stamp};
use crate::entities::{
    activity, activity_budget, activity_material, activity_target_group, agency, coordination_task,
    org_unit, plan, plan_item, plan_target,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{DatabaseConnection, EntityTrait, Set, TransactionTrait};

/// The tables whose ids `gen-data` chooses.
pub const TABLES: [&str; 10] = [
    "org_units",
    "agencies",
    "plans",
    "plan_items",
    "plan_targets",
    "activities",
    "activity_target_groups",
    "activity_materials",
    "activity_budgets",
    "coordination_tasks",
];

/// Activities per transaction, and rows per INSERT (SQLite allows 32,766 bound values).
const BATCH: usize = 10_000;
const ROWS_PER_INSERT: usize = 500;
/// One coordination task for this many activities.
const ACTIVITIES_PER_TASK: usize = 40;

#[allow(clippy::too_many_arguments)]
pub fn unit(
    id: i64,
    code: &str,
    name: &str,
    kind: &str,
    parent: Option<i64>,
    em: bool,
    border: bool,
    now: DateTime<Utc>,
) -> org_unit::ActiveModel {
    org_unit::ActiveModel {
        id: Set(id),
        code: Set(code.to_owned()),
        gso_code: Set(None),
        name: Set(name.to_owned()),
        kind: Set(kind.to_owned()),
        parent_id: Set(parent),
        valid_from: Set(None),
        valid_to: Set(None),
        ethnic_minority: Set(em),
        border_area: Set(border),
        created_at: Set(now),
        updated_at: Set(now),
        search_name: Set(org_unit::search_name(name)),
    }
}

pub fn agency(
    id: i64,
    unit: i64,
    code: &str,
    name: &str,
    short: &str,
    now: DateTime<Utc>,
) -> agency::ActiveModel {
    agency::ActiveModel {
        id: Set(id),
        code: Set(code.to_owned()),
        org_unit_id: Set(unit),
        name: Set(name.to_owned()),
        short_name: Set(short.to_owned()),
        kind: Set("people_committee".to_owned()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        search_name: Set(agency::search_names(name, short).0),
        search_short: Set(agency::search_names(name, short).1),
    }
}

pub fn plan(id: i64, unit: i64, agency: i64, code: &str, now: DateTime<Utc>) -> plan::ActiveModel {
    plan::ActiveModel {
        id: Set(id),
        code: Set(code.to_owned()),
        number: Set(None),
        title: Set(
            "Kế hoạch phòng, chống mua bán người giai đoạn 2021 - 2025 (dữ liệu mẫu)".to_owned(),
        ),
        org_unit_id: Set(unit),
        drafting_agency_id: Set(Some(agency)),
        period_start: Set(day(FIRST_DAY)),
        period_end: Set(day((2025, 12, 31))),
        status: Set("issued".to_owned()),
        issued_on: Set(Some(day(FIRST_DAY))),
        place: Set("Mẫu".to_owned()),
        preamble: Set(String::new()),
        signer_authority: Set("KT. CHỦ TỊCH".to_owned()),
        signer_title: Set("PHÓ CHỦ TỊCH".to_owned()),
        signer_name: Set("Nguyễn Văn Mẫu".to_owned()),
        recipients: Set(String::new()),
        parent_plan_id: Set(None),
        source_plan_id: Set(None),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn item(
    id: i64,
    plan: i64,
    parent: Option<i64>,
    position: i32,
    label: &str,
    heading: &str,
    area: Option<&str>,
    now: DateTime<Utc>,
) -> plan_item::ActiveModel {
    plan_item::ActiveModel {
        id: Set(id),
        plan_id: Set(plan),
        parent_id: Set(parent),
        position: Set(position),
        label: Set(label.to_owned()),
        heading: Set(heading.to_owned()),
        body: Set(
            (label == "-").then(|| "Tổ chức các hoạt động theo nội dung kế hoạch.".to_owned())
        ),
        area_kind: Set(area.map(str::to_owned)),
        lead_agency_id: Set(None),
        source_item_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

pub fn target(
    id: i64,
    item: i64,
    indicator: i64,
    value: i64,
    now: DateTime<Utc>,
) -> plan_target::ActiveModel {
    plan_target::ActiveModel {
        id: Set(id),
        plan_item_id: Set(item),
        indicator_id: Set(indicator),
        activity_type_id: Set(None),
        value: Set(value),
        unit: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// One activity's rows: the activity and its target group, material and budget lines.
struct Generated {
    activities: Vec<activity::ActiveModel>,
    groups: Vec<activity_target_group::ActiveModel>,
    materials: Vec<activity_material::ActiveModel>,
    budgets: Vec<activity_budget::ActiveModel>,
}

struct Ids {
    activity: i64,
    group: i64,
    material: i64,
    budget: i64,
}

fn opt(v: i64, on: bool) -> Option<i64> {
    on.then_some(v)
}

#[allow(clippy::too_many_arguments)]
fn one(
    rng: &mut Rng,
    ids: &mut Ids,
    codes: &Codes,
    c: &Commune,
    p: &ProvincePlan,
    start: NaiveDate,
    out: &mut Generated,
    now: DateTime<Utc>,
) {
    let Some(kind) = rng.pick(&codes.types).cloned() else {
        return;
    };
    // Awareness (the first area) carries most of the work, as in the real plans.
    let area = if rng.chance(60) {
        0
    } else {
        1 + usize::try_from(rng.below(6)).unwrap_or(0)
    };
    let Some(&item) = p.bullets.get(area).and_then(|b| rng.pick(b)) else {
        return;
    };
    let end = if rng.chance(10) {
        start + Duration::days(1)
    } else {
        start
    };
    let past = end < day(AS_OF);
    let roll = rng.below(100);
    let status = match (past, roll) {
        (true, 0..=3) => "cancelled",
        (true, 4..=6) => "postponed",
        (true, 7..=11) => "planned",
        (true, _) => "held",
        (false, _) => "planned",
    };
    let held = status == "held";
    let planned = 20 + i64::try_from(rng.below(480)).unwrap_or(0);
    let people = planned * (70 + i64::try_from(rng.below(60)).unwrap_or(0)) / 100;
    let women = people * (35 + i64::try_from(rng.below(30)).unwrap_or(0)) / 100;
    let ethnic = if c.ethnic_minority {
        people * i64::try_from(rng.below(80)).unwrap_or(0) / 100
    } else {
        0
    };
    let children = people * i64::try_from(rng.below(20)).unwrap_or(0) / 100;
    let radio = matches!(kind.code.as_str(), "loudspeaker" | "news");
    let broadcasts = 1 + i64::try_from(rng.below(10)).unwrap_or(0);
    let title = format!(
        "{} về phòng, chống mua bán người tại {}",
        kind.name_vi, c.name
    );
    let place = format!("Hội trường {}", c.name);
    let id = ids.activity;
    ids.activity += 1;
    out.activities.push(activity::ActiveModel {
        id: Set(id),
        plan_item_id: Set(item),
        org_unit_id: Set(c.id),
        agency_id: Set(c.agency),
        activity_type_id: Set(kind.id),
        search_text: Set(crate::text::fold(&format!("{title} {place}"))),
        title: Set(title),
        description: Set(None),
        place: Set(Some(place)),
        start_date: Set(start),
        end_date: Set(end),
        span_days: Set(crate::activities::service::span_days(start, end)),
        start_time: Set(Some("08:00".to_owned())),
        end_time: Set(None),
        status: Set(status.to_owned()),
        held_on: Set(held.then_some(start)),
        cancel_reason: Set((status == "cancelled").then(|| "Thời tiết xấu".to_owned())),
        languages: Set("vi".to_owned()),
        ethnic_minority_outreach: Set(c.ethnic_minority && rng.chance(50)),
        border_outreach: Set(c.border && rng.chance(50)),
        planned_participants: Set(Some(planned)),
        planned_women: Set(None),
        planned_ethnic_minority: Set(None),
        planned_children: Set(None),
        participants: Set(opt(people, held)),
        participants_women: Set(opt(women, held)),
        participants_ethnic_minority: Set(opt(ethnic, held)),
        participants_children: Set(opt(children, held)),
        planned_broadcasts: Set(opt(broadcasts, radio)),
        planned_broadcast_minutes: Set(opt(broadcasts * 15, radio)),
        broadcasts: Set(opt(broadcasts, radio && held)),
        broadcast_minutes: Set(opt(broadcasts * 15, radio && held)),
        notes: Set(None),
        series_id: Set(None),
        source_activity_id: Set(None),
        version: Set(1),
        created_by: Set(None),
        updated_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    });
    if let Some(&g) = rng.pick(&codes.groups) {
        out.groups.push(activity_target_group::ActiveModel {
            id: Set(ids.group),
            activity_id: Set(id),
            target_group_id: Set(g),
            created_at: Set(now),
            updated_at: Set(now),
        });
        ids.group += 1;
    }
    if rng.chance(15)
        && let Some(&m) = rng.pick(&codes.materials)
    {
        let copies = 50 + i64::try_from(rng.below(950)).unwrap_or(0);
        out.materials.push(activity_material::ActiveModel {
            id: Set(ids.material),
            activity_id: Set(id),
            material_kind_id: Set(m),
            planned: Set(Some(copies)),
            produced: Set(opt(copies, held)),
            distributed: Set(opt(copies * 9 / 10, held)),
            created_at: Set(now),
            updated_at: Set(now),
        });
        ids.material += 1;
    }
    if rng.chance(30)
        && let Some(&s) = rng.pick(&codes.sources)
    {
        let amount = 1_000_000 * (1 + i64::try_from(rng.below(20)).unwrap_or(0));
        out.budgets.push(activity_budget::ActiveModel {
            id: Set(ids.budget),
            activity_id: Set(id),
            funding_source_id: Set(s),
            planned: Set(Some(amount)),
            spent: Set(opt(amount * 9 / 10, held)),
            created_at: Set(now),
            updated_at: Set(now),
        });
        ids.budget += 1;
    }
}

async fn insert<E, A>(
    txn: &sea_orm::DatabaseTransaction,
    rows: Vec<A>,
) -> Result<(), sea_orm::DbErr>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Clone + Send,
{
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        E::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

pub(crate) async fn activities_and_tasks(
    db: &DatabaseConnection,
    o: &Options,
    rng: &mut Rng,
    codes: &Codes,
    communes: &[Commune],
    provinces: &[ProvincePlan],
) -> anyhow::Result<(usize, usize)> {
    let now = stamp();
    let span = (day((2025, 12, 31)) - day(FIRST_DAY)).num_days() + 1;
    let mut ids = Ids {
        activity: next_id(db, "activities").await?,
        group: next_id(db, "activity_target_groups").await?,
        material: next_id(db, "activity_materials").await?,
        budget: next_id(db, "activity_budgets").await?,
    };
    let mut task_id = next_id(db, "coordination_tasks").await?;
    let (mut done, mut tasks) = (0, 0);
    while done < o.activities {
        let n = BATCH.min(o.activities - done);
        let mut out = Generated {
            activities: Vec::with_capacity(n),
            groups: Vec::new(),
            materials: Vec::new(),
            budgets: Vec::new(),
        };
        let mut task_rows = Vec::new();
        for _ in 0..n {
            let Some(c) = rng.pick(communes) else { break };
            let Some(p) = provinces.get(c.province) else {
                break;
            };
            let start =
                day(FIRST_DAY) + Duration::days(i64::try_from(rng.below(span as u64)).unwrap_or(0));
            one(rng, &mut ids, codes, c, p, start, &mut out, now);
            if rng.below(ACTIVITIES_PER_TASK as u64) == 0 {
                task_rows.push(task(rng, task_id, codes, c, p, start, now));
                task_id += 1;
            }
        }
        done += n;
        tasks += task_rows.len();
        let txn = db.begin().await?;
        insert(&txn, out.activities).await?;
        insert(&txn, out.groups).await?;
        insert(&txn, out.materials).await?;
        insert(&txn, out.budgets).await?;
        insert(&txn, task_rows).await?;
        txn.commit().await?;
        if done % 100_000 == 0 {
            tracing::info!(done, "activities generated");
        }
    }
    Ok((done, tasks))
}

fn task(
    rng: &mut Rng,
    id: i64,
    codes: &Codes,
    c: &Commune,
    p: &ProvincePlan,
    requested: NaiveDate,
    now: DateTime<Utc>,
) -> coordination_task::ActiveModel {
    let due = requested + Duration::days(30);
    let past = due < day(AS_OF);
    let status = match (past, rng.below(100)) {
        (true, 0..=74) | (false, 0..=19) => "done",
        (_, 75..=79) => "declined",
        (_, 80..=89) => "in_progress",
        (_, 90..=94) => "acknowledged",
        _ => "requested",
    };
    let item = p
        .bullets
        .last()
        .and_then(|b| b.first())
        .copied()
        .unwrap_or_default();
    coordination_task::ActiveModel {
        id: Set(id),
        kind_id: Set(rng.pick(&codes.task_kinds).copied().unwrap_or_default()),
        title: Set(format!("Phối hợp hỗ trợ tại {}", c.name)),
        plan_item_id: Set(item),
        lead_agency_id: Set(c.agency),
        partner_agency_id: Set(p.agency),
        requested_by: Set(None),
        requested_on: Set(requested),
        ack_due_date: Set(requested + Duration::days(3)),
        due_date: Set(due),
        status: Set(status.to_owned()),
        decline_reason: Set((status == "declined").then(|| "Ngoài phạm vi".to_owned())),
        acknowledged_at: Set(None),
        done_at: Set((status == "done").then_some(now)),
        loans_count: Set(None),
        loans_amount: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
}
