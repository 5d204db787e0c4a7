//! `kehoach gen-data`: a deterministic synthetic dataset at national scale for benchmarks —
//! provinces and their communes (the two-level tree after the 2025 reform), an agency for each,
//! one five-year plan per province with the seven content areas, activities over five years and
//! coordination tasks in proportion. The same seed gives the same rows: every id is chosen here
//! (not by the database), every value comes from one seeded generator, and no clock is read.

mod rows;

use crate::entities::{agency, code, org_unit, plan, plan_item, plan_target};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, Statement, TransactionTrait,
};

pub struct Options {
    pub provinces: usize,
    /// Communes, shared out among the provinces.
    pub units: usize,
    pub activities: usize,
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            provinces: 34,
            units: 3_300,
            activities: 1_000_000,
            seed: 1,
        }
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub units: usize,
    pub agencies: usize,
    pub plans: usize,
    pub activities: usize,
    pub tasks: usize,
}

/// splitmix64: small, fast, and the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = usize::try_from(self.below(items.len() as u64)).ok()?;
        items.get(i)
    }

    /// True with probability `pct` per cent.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

/// The first day of the generated five years and the day the data is "as of".
pub const FIRST_DAY: (i32, u32, u32) = (2021, 1, 1);
pub const AS_OF: (i32, u32, u32) = (2025, 11, 30);

pub fn day(d: (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.0, d.1, d.2).unwrap_or_default()
}

/// The timestamp every generated row carries, so that reruns give identical rows.
pub fn stamp() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 30, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

#[derive(FromQueryResult)]
struct MaxId {
    n: Option<i64>,
}

/// The next free id of a table: ids are chosen here so that reruns give the same rows.
pub(crate) async fn next_id(db: &impl ConnectionTrait, table: &str) -> anyhow::Result<i64> {
    let stmt = Statement::from_string(
        db.get_database_backend(),
        format!("SELECT CAST(MAX(id) AS BIGINT) AS n FROM {table}"),
    );
    let row = MaxId::find_by_statement(stmt).one(db).await?;
    Ok(row.and_then(|r| r.n).unwrap_or(0) + 1)
}

/// PostgreSQL sequences do not see explicit ids: move them past the generated rows.
async fn bump_sequences(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for t in rows::TABLES {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {t}))"
        ))
        .await?;
    }
    Ok(())
}

/// A commune as the generator needs it.
pub(crate) struct Commune {
    pub id: i64,
    pub name: String,
    pub province: usize,
    pub agency: i64,
    pub ethnic_minority: bool,
    pub border: bool,
}

/// What a province's plan offers to link to.
pub(crate) struct ProvincePlan {
    pub agency: i64,
    /// Bullet items per content area, in the order of `areas()`.
    pub bullets: Vec<Vec<i64>>,
}

pub(crate) struct Codes {
    pub types: Vec<code::Model>,
    pub groups: Vec<i64>,
    pub materials: Vec<i64>,
    pub sources: Vec<i64>,
    pub task_kinds: Vec<i64>,
    pub indicators: Vec<code::Model>,
}

async fn codes(db: &DatabaseConnection) -> anyhow::Result<Codes> {
    let all = code::Entity::find()
        .order_by_asc(code::Column::Id)
        .all(db)
        .await?;
    let ids = |list: &str| -> Vec<i64> {
        all.iter()
            .filter(|c| c.list == list)
            .map(|c| c.id)
            .collect()
    };
    let c = Codes {
        types: all
            .iter()
            .filter(|c| c.list == "activity_type")
            .cloned()
            .collect(),
        groups: ids("target_group"),
        materials: ids("material_kind"),
        sources: ids("funding_source"),
        task_kinds: ids("task_kind"),
        indicators: all
            .iter()
            .filter(|c| c.list == "indicator")
            .cloned()
            .collect(),
    };
    anyhow::ensure!(
        !c.types.is_empty() && !c.task_kinds.is_empty() && !c.sources.is_empty(),
        "the code lists are empty: run `kehoach seed` first"
    );
    Ok(c)
}

/// The content areas of every generated provincial plan: what each reports and its heading.
/// Synthetic data: a real plan's areas are whatever its items say.
fn areas() -> Vec<(String, String)> {
    [
        (
            "communication",
            "Công tác truyền thông, nâng cao nhận thức về phòng, chống mua bán người",
        ),
        (
            "other",
            "Thực hiện chính sách, pháp luật về hỗ trợ nạn nhân",
        ),
        (
            "victim_support",
            "Tiếp nhận, xác minh, bảo vệ và hỗ trợ nạn nhân",
        ),
        ("training", "Tập huấn, nâng cao năng lực cán bộ"),
        ("other", "Lồng ghép với các chương trình kinh tế - xã hội"),
        ("inspection", "Kiểm tra, giám sát, thống kê"),
        ("coordination", "Phối hợp liên ngành"),
    ]
    .into_iter()
    .map(|(k, h)| (k.to_owned(), h.to_owned()))
    .collect()
}

/// Generates the dataset into a migrated, seeded database.
pub async fn generate(db: &DatabaseConnection, o: &Options) -> anyhow::Result<Report> {
    anyhow::ensure!(
        o.provinces > 0 && o.units >= o.provinces,
        "need at least one commune per province"
    );
    let prefix = format!("G{}", o.seed);
    let taken = org_unit::Entity::find()
        .filter(org_unit::Column::Code.eq(format!("{prefix}-P01")))
        .one(db)
        .await?;
    anyhow::ensure!(
        taken.is_none(),
        "data for seed {} is already in this database",
        o.seed
    );
    let codes = codes(db).await.context("reading the code lists")?;
    let areas = areas();
    let mut rng = Rng::new(o.seed);
    let now = stamp();
    let txn = db.begin().await?;
    let mut unit_id = next_id(&txn, "org_units").await?;
    let mut agency_id = next_id(&txn, "agencies").await?;
    let mut plan_id = next_id(&txn, "plans").await?;
    let mut item_id = next_id(&txn, "plan_items").await?;
    let mut target_id = next_id(&txn, "plan_targets").await?;
    let (mut units, mut agencies, mut plans, mut items, mut targets) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut provinces: Vec<ProvincePlan> = Vec::new();
    let mut province_ids: Vec<i64> = Vec::new();
    let per_province = o.units / o.provinces;
    for p in 0..o.provinces {
        let pid = unit_id;
        unit_id += 1;
        province_ids.push(pid);
        units.push(rows::unit(
            pid,
            &format!("{prefix}-P{:02}", p + 1),
            &format!("Tỉnh Mẫu {:02}", p + 1),
            "province",
            None,
            false,
            false,
            now,
        ));
        let aid = agency_id;
        agency_id += 1;
        agencies.push(rows::agency(
            aid,
            pid,
            &format!("{prefix}-P{:02}-UBND", p + 1),
            &format!("Ủy ban nhân dân tỉnh Mẫu {:02}", p + 1),
            "UBND tỉnh",
            now,
        ));
        plans.push(rows::plan(
            plan_id,
            pid,
            aid,
            &format!("{prefix}-P{:02}-KH", p + 1),
            now,
        ));
        let root = item_id;
        item_id += 1;
        items.push(rows::item(
            root,
            plan_id,
            None,
            2,
            "II",
            "NỘI DUNG THỰC HIỆN",
            None,
            now,
        ));
        let mut bullets = Vec::new();
        for (a, (code, heading)) in areas.iter().enumerate() {
            let area = item_id;
            item_id += 1;
            items.push(rows::item(
                area,
                plan_id,
                Some(root),
                i32::try_from(a).unwrap_or(0) + 1,
                &(a + 1).to_string(),
                heading,
                Some(code),
                now,
            ));
            let mut list = Vec::new();
            for b in 0..2 {
                items.push(rows::item(
                    item_id,
                    plan_id,
                    Some(area),
                    b + 1,
                    "-",
                    "",
                    None,
                    now,
                ));
                list.push(item_id);
                item_id += 1;
            }
            bullets.push(list);
            // Targets on the communication area: sessions and participants in proportion.
            if code == "communication" {
                let share = (o.activities / o.provinces) as i64;
                for (ind, value) in [("sessions", share / 2), ("participants", share * 60)] {
                    if let Some(i) = codes.indicators.iter().find(|c| c.code == ind) {
                        targets.push(rows::target(target_id, area, i.id, value, now));
                        target_id += 1;
                    }
                }
            }
        }
        provinces.push(ProvincePlan {
            agency: aid,
            bullets,
        });
        plan_id += 1;
    }
    let mut communes = Vec::new();
    for c in 0..o.units {
        let province = (c / per_province.max(1)).min(o.provinces - 1);
        let (em, border) = (rng.chance(25), rng.chance(8));
        let name = format!("Xã Mẫu {:04}", c + 1);
        units.push(rows::unit(
            unit_id,
            &format!("{prefix}-C{:04}", c + 1),
            &name,
            "commune",
            province_ids.get(province).copied(),
            em,
            border,
            now,
        ));
        communes.push(Commune {
            id: unit_id,
            name,
            province,
            agency: agency_id,
            ethnic_minority: em,
            border,
        });
        agencies.push(rows::agency(
            agency_id,
            unit_id,
            &format!("{prefix}-C{:04}-UBND", c + 1),
            &format!("Ủy ban nhân dân xã Mẫu {:04}", c + 1),
            "UBND xã",
            now,
        ));
        unit_id += 1;
        agency_id += 1;
    }
    let report = Report {
        units: units.len(),
        agencies: agencies.len(),
        plans: plans.len(),
        ..Default::default()
    };
    for chunk in units.chunks(500) {
        org_unit::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    for chunk in agencies.chunks(500) {
        agency::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    plan::Entity::insert_many(plans).exec(&txn).await?;
    for chunk in items.chunks(500) {
        plan_item::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    if !targets.is_empty() {
        plan_target::Entity::insert_many(targets).exec(&txn).await?;
    }
    txn.commit().await?;
    let (activities, tasks) =
        rows::activities_and_tasks(db, o, &mut rng, &codes, &communes, &provinces).await?;
    bump_sequences(db).await?;
    // The rows went in by bulk inserts, past the service that keeps the dashboard's sums.
    crate::dashboard::rollups::rebuild(db).await?;
    Ok(Report {
        activities,
        tasks,
        ..report
    })
}
