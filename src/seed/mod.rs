//! Reference data and demo data, read from the readable files under `seed/` (embedded in the
//! binary) and loaded idempotently by natural key: running it twice changes nothing, and rows an
//! administrator has since edited are left alone.

use crate::auth::permissions::Role;
use crate::auth::users::{self, NewUser};
use crate::entities::{
    agency, code, org_unit, plan, plan_item, plan_item_agency, plan_legal_basis, user,
};
use crate::web::i18n::Locale;
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::Deserialize;
use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;

pub const DEMO_PASSWORD: &str = "kehoach-demo";

const ORG_UNITS: &str = include_str!("../../seed/org_units.toml");
const AGENCIES: &str = include_str!("../../seed/agencies.toml");
const CODES: &str = include_str!("../../seed/codes.toml");
const PLAN_2024: &str = include_str!("../../seed/plan-2024-tay-hoa.toml");
const DEMO: &str = include_str!("../../seed/demo.toml");

pub mod reform;

#[derive(Deserialize)]
struct UnitsFile {
    unit: Vec<UnitSeed>,
}

#[derive(Deserialize)]
struct UnitSeed {
    code: String,
    gso_code: Option<String>,
    name: String,
    kind: String,
    parent: Option<String>,
}

#[derive(Deserialize)]
struct AgenciesFile {
    agency: Vec<AgencySeed>,
}

#[derive(Deserialize)]
struct AgencySeed {
    code: String,
    unit: String,
    name: String,
    short_name: String,
    kind: String,
}

#[derive(Deserialize)]
struct CodesFile {
    code: Vec<CodeSeed>,
}

#[derive(Deserialize)]
struct CodeSeed {
    list: String,
    code: String,
    vi: String,
    en: String,
    legal_basis: Option<String>,
    valid_from: Option<toml::value::Datetime>,
    valid_to: Option<toml::value::Datetime>,
}

#[derive(Deserialize)]
struct PlanSeed {
    code: String,
    title: String,
    org_unit: String,
    drafting_agency: String,
    period_start: toml::value::Datetime,
    period_end: toml::value::Datetime,
    status: String,
    place: String,
    preamble: String,
    signer_authority: String,
    signer_title: String,
    signer_name: String,
    legal_bases: Vec<String>,
    recipients: Vec<String>,
    item: Vec<ItemSeed>,
}

#[derive(Deserialize)]
struct ItemSeed {
    label: String,
    heading: String,
    body: Option<String>,
    area: Option<String>,
    lead: Option<String>,
    #[serde(default)]
    support: Vec<String>,
    #[serde(default)]
    children: Vec<ItemSeed>,
}

#[derive(Deserialize)]
struct DemoFile {
    user: Vec<DemoUser>,
}

#[derive(Deserialize)]
struct DemoUser {
    email: String,
    display_name: String,
    role: String,
    agency: String,
}

/// Vietnamese text is stored in NFC, whatever the editor of the seed file produced.
fn nfc(s: &str) -> String {
    s.nfc().collect()
}

fn toml_date(d: &toml::value::Datetime) -> anyhow::Result<NaiveDate> {
    let date = d.date.context("a date is required")?;
    NaiveDate::from_ymd_opt(
        i32::from(date.year),
        u32::from(date.month),
        u32::from(date.day),
    )
    .context("invalid date")
}

/// What a seed run added.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub org_units: usize,
    pub agencies: usize,
    pub codes: usize,
    pub plans: usize,
    pub users: usize,
    pub activities: usize,
}

/// Loads the national reference data — the code lists — in one transaction. No unit, agency or
/// plan: those are the deployment's own (`crate::setup`), or the demo's.
pub async fn reference(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<SeedReport> {
    let mut report = SeedReport::default();
    let txn = db.begin().await?;
    codes(&txn, now, &mut report).await?;
    crate::rollout::templates::seed_defaults(&txn, now).await?;
    txn.commit().await?;
    Ok(report)
}

/// The demo's place as it stood in 2024: the units and agencies of Tây Hòa district (Phú Yên)
/// and its 2024 plan, in one transaction.
pub async fn demo_reference(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> anyhow::Result<SeedReport> {
    let mut report = SeedReport::default();
    let txn = db.begin().await?;
    let units: UnitsFile = toml::from_str(ORG_UNITS).context("seed/org_units.toml")?;
    let mut unit_ids: HashMap<String, i64> = HashMap::new();
    for u in units.unit {
        let existing = org_unit::Entity::find()
            .filter(org_unit::Column::Code.eq(&u.code))
            .one(&txn)
            .await?;
        let id = match existing {
            Some(row) => row.id,
            None => {
                let parent_id = match &u.parent {
                    Some(p) => Some(*unit_ids.get(p).context("parent listed after child")?),
                    None => None,
                };
                report.org_units += 1;
                org_unit::ActiveModel {
                    code: Set(u.code.clone()),
                    gso_code: Set(u.gso_code.clone()),
                    name: Set(nfc(&u.name)),
                    kind: Set(u.kind.clone()),
                    parent_id: Set(parent_id),
                    valid_from: Set(None),
                    valid_to: Set(None),
                    ethnic_minority: Set(false),
                    border_area: Set(false),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
                .id
            }
        };
        unit_ids.insert(u.code, id);
    }

    let agencies: AgenciesFile = toml::from_str(AGENCIES).context("seed/agencies.toml")?;
    for a in agencies.agency {
        let exists = agency::Entity::find()
            .filter(agency::Column::Code.eq(&a.code))
            .one(&txn)
            .await?
            .is_some();
        if exists {
            continue;
        }
        let org_unit_id = match unit_ids.get(&a.unit) {
            Some(id) => *id,
            None => unit_id_by_code(&txn, &a.unit).await?,
        };
        report.agencies += 1;
        agency::ActiveModel {
            code: Set(a.code),
            org_unit_id: Set(org_unit_id),
            name: Set(nfc(&a.name)),
            short_name: Set(nfc(&a.short_name)),
            kind: Set(a.kind),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let p: PlanSeed = toml::from_str(PLAN_2024).context("seed/plan-2024-tay-hoa.toml")?;
    report.plans += load_plan(&txn, p, now).await?;
    txn.commit().await?;
    Ok(report)
}

async fn codes(
    txn: &sea_orm::DatabaseTransaction,
    now: DateTime<Utc>,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let codes: CodesFile = toml::from_str(CODES).context("seed/codes.toml")?;
    let mut position: HashMap<String, i32> = HashMap::new();
    for c in codes.code {
        let pos = position.entry(c.list.clone()).or_insert(0);
        *pos += 1;
        let exists = code::Entity::find()
            .filter(code::Column::List.eq(&c.list))
            .filter(code::Column::Code.eq(&c.code))
            .one(txn)
            .await?
            .is_some();
        if exists {
            continue;
        }
        report.codes += 1;
        code::ActiveModel {
            list: Set(c.list),
            code: Set(c.code),
            name_vi: Set(nfc(&c.vi)),
            name_en: Set(c.en),
            legal_basis: Set(c.legal_basis.as_deref().map(nfc)),
            valid_from: Set(c.valid_from.as_ref().map(toml_date).transpose()?),
            valid_to: Set(c.valid_to.as_ref().map(toml_date).transpose()?),
            position: Set(*pos),
            retired_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

async fn unit_id_by_code(db: &impl ConnectionTrait, code: &str) -> anyhow::Result<i64> {
    Ok(org_unit::Entity::find()
        .filter(org_unit::Column::Code.eq(code))
        .one(db)
        .await?
        .with_context(|| format!("unknown org unit {code}"))?
        .id)
}

async fn agency_id_by_code(db: &impl ConnectionTrait, code: &str) -> anyhow::Result<i64> {
    Ok(agency::Entity::find()
        .filter(agency::Column::Code.eq(code))
        .one(db)
        .await?
        .with_context(|| format!("unknown agency {code}"))?
        .id)
}

async fn load_plan(
    db: &impl ConnectionTrait,
    p: PlanSeed,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let exists = plan::Entity::find()
        .filter(plan::Column::Code.eq(&p.code))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(0);
    }
    let created = plan::ActiveModel {
        code: Set(p.code),
        number: Set(None),
        title: Set(nfc(&p.title)),
        org_unit_id: Set(unit_id_by_code(db, &p.org_unit).await?),
        drafting_agency_id: Set(Some(agency_id_by_code(db, &p.drafting_agency).await?)),
        period_start: Set(toml_date(&p.period_start)?),
        period_end: Set(toml_date(&p.period_end)?),
        status: Set(p.status),
        issued_on: Set(None),
        place: Set(nfc(&p.place)),
        preamble: Set(nfc(&p.preamble)),
        signer_authority: Set(nfc(&p.signer_authority)),
        signer_title: Set(nfc(&p.signer_title)),
        signer_name: Set(nfc(&p.signer_name)),
        recipients: Set(nfc(&p.recipients.join("\n"))),
        parent_plan_id: Set(None),
        source_plan_id: Set(None),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for (i, text) in p.legal_bases.iter().enumerate() {
        plan_legal_basis::ActiveModel {
            plan_id: Set(created.id),
            position: Set(i32::try_from(i)? + 1),
            text: Set(nfc(text)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    // Depth-first, iteratively: (parent id, items at that level).
    let mut stack: Vec<(Option<i64>, Vec<ItemSeed>)> = vec![(None, p.item)];
    while let Some((parent_id, items)) = stack.pop() {
        for (i, it) in items.into_iter().enumerate() {
            let lead = match &it.lead {
                Some(code) => Some(agency_id_by_code(db, code).await?),
                None => None,
            };
            let row = plan_item::ActiveModel {
                plan_id: Set(created.id),
                parent_id: Set(parent_id),
                position: Set(i32::try_from(i)? + 1),
                label: Set(it.label),
                heading: Set(nfc(&it.heading)),
                body: Set(it.body.as_deref().map(nfc)),
                area_kind: Set(it.area),
                lead_agency_id: Set(lead),
                source_item_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
            for code in &it.support {
                plan_item_agency::ActiveModel {
                    plan_item_id: Set(row.id),
                    agency_id: Set(agency_id_by_code(db, code).await?),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
            if !it.children.is_empty() {
                stack.push((Some(row.id), it.children));
            }
        }
    }
    Ok(1)
}

/// The whole demo as `serve --demo` loads it: the 2024 district, its users, activities,
/// statistics and reports; then, seeded on or after 1 July 2025, the reform and the current
/// year ([`reform`]); the tasks around today. Returns what was added and the statistics months.
pub async fn demo_all(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> anyhow::Result<(SeedReport, usize)> {
    let mut d = demo(db, now).await?;
    d.activities = demo_activities(db, now).await?;
    let months = crate::support_stats::demo_support_stats(db, now).await?;
    crate::reports::demo::demo_reports(db, now).await?;
    // The reform brings tasks of its own; before it, the 2024 district's.
    d.activities += reform::demo_today(db, now).await?;
    demo_tasks(db, now).await?;
    Ok((d, months))
}

/// Demo users, one per role, all with [`DEMO_PASSWORD`]. The demo activities are loaded
/// separately ([`demo_activities`]) so that tests can have the users without the data.
pub async fn demo(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<SeedReport> {
    let mut report = demo_reference(db, now).await?;
    let file: DemoFile = toml::from_str(DEMO).context("seed/demo.toml")?;
    for u in file.user {
        let exists = user::Entity::find()
            .filter(user::Column::Email.eq(&u.email))
            .one(db)
            .await?
            .is_some();
        if exists {
            continue;
        }
        let role = Role::parse(&u.role).with_context(|| format!("unknown role {}", u.role))?;
        let new = NewUser {
            email: u.email,
            display_name: nfc(&u.display_name),
            role,
            agency_id: agency_id_by_code(db, &u.agency).await?,
            locale: Locale::Vi,
            password: DEMO_PASSWORD.to_owned(),
        };
        users::create(db, None, new, now)
            .await
            .map_err(|e| anyhow::anyhow!("demo user: {e}"))?;
        report.users += 1;
    }
    Ok(report)
}

/// One demo activity, before it is written: held or planned by its date (`insert_activities`).
pub(crate) struct Demo {
    pub unit: i64,
    pub agency: i64,
    pub item: i64,
    pub kind: i64,
    pub title: String,
    pub place: String,
    pub date: NaiveDate,
    pub time: Option<&'static str>,
    pub people: i64,
    pub broadcasts: Option<(i64, i64)>,
    pub leaflets: Option<(i64, i64)>,
    pub groups: Vec<i64>,
}

/// A believable year of activities for the demo: monthly loudspeaker broadcasts and a talk per
/// quarter in every commune, the 30/7 campaign (district rally, commune talks, leaflets), a law
/// contest and a training course. Everything before `now` is held, except a few left for the
/// commune officers to log; a handful more are scheduled in the coming weeks. Deterministic, and
/// loaded only into a database that has no activities yet.
pub async fn demo_activities(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<usize> {
    use crate::entities::activity;
    use sea_orm::PaginatorTrait;
    if activity::Entity::find().count(db).await? > 0 {
        return Ok(0);
    }
    let today = crate::state::vn_date(now);
    let plan = plan::Entity::find()
        .filter(plan::Column::Code.eq("PY-TH-2024-HTNN"))
        .one(db)
        .await?
        .context("the 2024 plan is not seeded")?;
    let items = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(plan.id))
        .all(db)
        .await?;
    // The bullet points of an area, by the area's kind (the nth area of that kind) and position.
    let bullet_of = |area: &str, nth: usize, position: i32| -> anyhow::Result<i64> {
        let mut areas: Vec<&plan_item::Model> = items
            .iter()
            .filter(|i| i.area_kind.as_deref() == Some(area))
            .collect();
        areas.sort_by_key(|i| i.position);
        let parent = areas
            .get(nth)
            .with_context(|| format!("area {area} #{nth}"))?;
        Ok(items
            .iter()
            .find(|i| i.parent_id == Some(parent.id) && i.position == position)
            .with_context(|| format!("bullet {position} of {area}"))?
            .id)
    };
    let bullet = |area: &str, position: i32| bullet_of(area, 0, position);
    let media = bullet("communication", 1)?;
    let day_30_7 = bullet("communication", 2)?;
    let materials_item = bullet("communication", 3)?;
    let training_item = bullet("training", 1)?;
    // The second "other" area of the 2024 plan is integration into other programmes.
    let integrated_item = bullet_of("other", 1, 1)?;
    let code_id = |list: &'static str, c: &'static str| async move {
        code::Entity::find()
            .filter(code::Column::List.eq(list))
            .filter(code::Column::Code.eq(c))
            .one(db)
            .await?
            .map(|m| m.id)
            .with_context(|| format!("code {list}/{c}"))
    };
    let (loudspeaker, talk, rally, leaflet_type, contest, training, integrated) = (
        code_id("activity_type", "loudspeaker").await?,
        code_id("activity_type", "talk").await?,
        code_id("activity_type", "rally").await?,
        code_id("activity_type", "leaflet").await?,
        code_id("activity_type", "contest").await?,
        code_id("activity_type", "training").await?,
        code_id("activity_type", "integrated").await?,
    );
    let (public, women_group, pupils, officials) = (
        code_id("target_group", "public").await?,
        code_id("target_group", "women").await?,
        code_id("target_group", "pupils").await?,
        code_id("target_group", "officials").await?,
    );
    let leaflets = code_id("material_kind", "leaflet").await?;
    let units = org_unit::Entity::find()
        .filter(org_unit::Column::Kind.is_in(["commune", "town", "special_zone"]))
        .order_by_asc(org_unit::Column::Code)
        .all(db)
        .await?;
    let district = unit_id_by_code(db, "PY-TH").await?;
    let vhtt = agency_id_by_code(db, "TH-VHTT").await?;
    let ldtbxh = agency_id_by_code(db, "TH-LDTBXH").await?;

    let mut all: Vec<Demo> = Vec::new();
    let year = 2024;
    for (n, u) in units.iter().enumerate() {
        let agency = agency_id_by_code(
            db,
            &format!("TH-{}-UBND", u.code.trim_start_matches("PY-TH-")),
        )
        .await?;
        let short = u
            .name
            .trim_start_matches("Xã ")
            .trim_start_matches("Thị trấn ");
        let n = i64::try_from(n).unwrap_or(0);
        for month in 1..=12u32 {
            all.push(Demo {
                unit: u.id,
                agency,
                item: media,
                kind: loudspeaker,
                title: format!("Phát thanh tuyên truyền phòng, chống mua bán người tháng {month}"),
                place: format!("Đài truyền thanh {}", lower_first(&u.name)),
                date: NaiveDate::from_ymd_opt(year, month, 5 + u32::try_from(n % 5).unwrap_or(0))
                    .context("date")?,
                time: None,
                people: 0,
                broadcasts: Some((4, 60)),
                leaflets: None,
                groups: vec![public],
            });
        }
        for quarter in 0..4u32 {
            all.push(Demo {
                unit: u.id,
                agency,
                item: if quarter % 2 == 0 {
                    materials_item
                } else {
                    integrated_item
                },
                kind: if quarter % 2 == 0 { talk } else { integrated },
                title: if quarter % 2 == 0 {
                    format!("Nói chuyện chuyên đề về phòng, chống mua bán người tại {short}")
                } else {
                    "Lồng ghép tuyên truyền trong sinh hoạt chi hội phụ nữ".to_owned()
                },
                place: format!("Nhà văn hóa thôn {}", quarter + 1),
                date: NaiveDate::from_ymd_opt(
                    year,
                    quarter * 3 + 2,
                    12 + u32::try_from(n).unwrap_or(0),
                )
                .context("date")?,
                time: Some("08:00"),
                people: 60 + (n * 7 + i64::from(quarter) * 11) % 50,
                broadcasts: None,
                leaflets: None,
                groups: vec![women_group, public],
            });
        }
        all.push(Demo {
            unit: u.id,
            agency,
            item: day_30_7,
            kind: leaflet_type,
            title: "Cấp phát tờ rơi hưởng ứng Ngày toàn dân phòng, chống mua bán người 30/7"
                .to_owned(),
            place: "Chợ và các thôn".to_owned(),
            date: NaiveDate::from_ymd_opt(year, 7, 25).context("date")?,
            time: None,
            people: 0,
            broadcasts: None,
            leaflets: Some((500, 450 + (n * 13) % 50)),
            groups: vec![public],
        });
    }
    all.push(Demo {
        unit: district,
        agency: vhtt,
        item: day_30_7,
        kind: rally,
        title: "Lễ mít tinh hưởng ứng Ngày toàn dân phòng, chống mua bán người 30/7/2024"
            .to_owned(),
        place: "Hội trường UBND huyện Tây Hòa".to_owned(),
        date: NaiveDate::from_ymd_opt(year, 7, 30).context("date")?,
        time: Some("07:30"),
        people: 450,
        broadcasts: None,
        leaflets: Some((1000, 900)),
        groups: vec![public, officials],
    });
    all.push(Demo {
        unit: district,
        agency: vhtt,
        item: materials_item,
        kind: contest,
        title: "Cuộc thi tìm hiểu pháp luật về phòng, chống mua bán người".to_owned(),
        place: "Các trường THCS trên địa bàn huyện".to_owned(),
        date: NaiveDate::from_ymd_opt(year, 9, 20).context("date")?,
        time: None,
        people: 820,
        broadcasts: None,
        leaflets: None,
        groups: vec![pupils],
    });
    all.push(Demo {
        unit: district,
        agency: ldtbxh,
        item: training_item,
        kind: training,
        title: "Tập huấn kỹ năng hỗ trợ nạn nhân bị mua bán người cho cán bộ cấp xã".to_owned(),
        place: "Hội trường UBND huyện Tây Hòa".to_owned(),
        date: NaiveDate::from_ymd_opt(year, 10, 15).context("date")?,
        time: Some("08:00"),
        people: 55,
        broadcasts: None,
        leaflets: None,
        groups: vec![officials],
    });
    // A few around today, so the home pages have something to show — while these communes
    // exist: after the 2025 reform the demo's present is its successors' (`reform`).
    let first = units.first().filter(|_| today < reform::EFFECTIVE);
    if let Some(first) = first {
        let agency = agency_id_by_code(
            db,
            &format!("TH-{}-UBND", first.code.trim_start_matches("PY-TH-")),
        )
        .await?;
        let hoa_phong = units
            .iter()
            .find(|u| u.code == "PY-TH-HOAPHONG")
            .unwrap_or(first);
        let hp_agency = agency_id_by_code(db, "TH-HOAPHONG-UBND").await?;
        for (unit, ag, offset, title) in [
            (
                hoa_phong.id,
                hp_agency,
                -3i64,
                "Nói chuyện chuyên đề cho học sinh THCS Hòa Phong",
            ),
            (
                hoa_phong.id,
                hp_agency,
                -10,
                "Tuyên truyền lưu động tại chợ Hòa Phong",
            ),
            (
                hoa_phong.id,
                hp_agency,
                4,
                "Sinh hoạt chuyên đề với Đoàn Thanh niên xã",
            ),
            (
                first.id,
                agency,
                9,
                "Nói chuyện chuyên đề tại nhà văn hóa thôn",
            ),
        ] {
            all.push(Demo {
                unit,
                agency: ag,
                item: materials_item,
                kind: talk,
                title: title.to_owned(),
                place: "Nhà văn hóa".to_owned(),
                date: today + chrono::Duration::days(offset),
                time: Some("14:00"),
                people: 70,
                broadcasts: None,
                leaflets: None,
                groups: vec![public],
            });
        }
    }
    // Seeded after the reform, 2024 is closed history: everything in it was logged.
    let backlog = today < reform::EFFECTIVE;
    insert_activities(db, all, today, leaflets, backlog, now).await
}

/// Writes demo activities in one transaction with their summary rows. With `backlog`, every
/// ninth past activity, and the last fortnight's, are left for the commune to log; the rest of
/// the past is held with figures, the future planned.
pub(crate) async fn insert_activities(
    db: &DatabaseConnection,
    all: Vec<Demo>,
    today: NaiveDate,
    leaflets: i64,
    backlog: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    use crate::entities::{activity, activity_material, activity_target_group};
    let count = all.len();
    let keys: Vec<(i64, NaiveDate)> = all.iter().map(|d| (d.unit, d.date)).collect();
    let txn = db.begin().await?;
    for (i, d) in all.into_iter().enumerate() {
        // Every ninth past activity, and the last fortnight's, are left for the commune to log.
        let held = if backlog {
            d.date < today - chrono::Duration::days(14) && i % 9 != 4
        } else {
            d.date < today
        };
        let people = (held && d.people > 0).then_some(d.people);
        let women = people.map(|p| p * 55 / 100);
        let row = activity::ActiveModel {
            plan_item_id: Set(d.item),
            org_unit_id: Set(d.unit),
            agency_id: Set(d.agency),
            activity_type_id: Set(d.kind),
            search_text: Set(crate::text::fold(&format!("{} {}", d.title, d.place))),
            title: Set(d.title),
            description: Set(None),
            place: Set(Some(d.place)),
            start_date: Set(d.date),
            end_date: Set(d.date),
            span_days: Set(0),
            start_time: Set(d.time.map(str::to_owned)),
            end_time: Set(None),
            status: Set(if held { "held" } else { "planned" }.to_owned()),
            held_on: Set(held.then_some(d.date)),
            cancel_reason: Set(None),
            languages: Set("vi".to_owned()),
            ethnic_minority_outreach: Set(false),
            border_outreach: Set(false),
            planned_participants: Set((d.people > 0).then_some(d.people)),
            planned_women: Set(None),
            planned_ethnic_minority: Set(None),
            planned_children: Set(None),
            participants: Set(people),
            participants_women: Set(women),
            participants_ethnic_minority: Set(people.map(|p| p / 10)),
            participants_children: Set(people.map(|p| p / 8)),
            planned_broadcasts: Set(d.broadcasts.map(|b| b.0)),
            planned_broadcast_minutes: Set(d.broadcasts.map(|b| b.1)),
            broadcasts: Set(d.broadcasts.filter(|_| held).map(|b| b.0)),
            broadcast_minutes: Set(d.broadcasts.filter(|_| held).map(|b| b.1)),
            notes: Set(None),
            series_id: Set(None),
            source_activity_id: Set(None),
            version: Set(1),
            created_by: Set(None),
            updated_by: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for g in d.groups {
            activity_target_group::ActiveModel {
                activity_id: Set(row.id),
                target_group_id: Set(g),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        if let Some((produced, distributed)) = d.leaflets {
            activity_material::ActiveModel {
                activity_id: Set(row.id),
                material_kind_id: Set(leaflets),
                planned: Set(Some(produced)),
                produced: Set(held.then_some(produced)),
                distributed: Set(held.then_some(distributed)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    crate::dashboard::rollups::refresh(&txn, keys).await?;
    txn.commit().await?;
    Ok(count)
}

/// "Xã Hòa Phong" → "xã Hòa Phong", as it reads inside a sentence.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A handful of coordination tasks in every state, one of them escalated (its
/// acknowledgement deadline passed), relative to `now`. Loaded only when there are none.
pub async fn demo_tasks(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let item = plan_item::Entity::find()
        .filter(plan_item::Column::AreaKind.eq("victim_support"))
        .one(db)
        .await?
        .context("the services area of the 2024 plan")?;
    let cast = TaskCast {
        item: item.id,
        lead: agency_id_by_code(db, "TH-LDTBXH").await?,
        commune: agency_id_by_code(db, "TH-HOAPHONG-UBND").await?,
        bank: agency_id_by_code(db, "TH-NHCSXH").await?,
        police: agency_id_by_code(db, "TH-CA").await?,
        trainer: agency_id_by_code(db, "TH-HOATHINH-UBND").await?,
        note: "Đề nghị phối hợp thực hiện theo Kế hoạch năm 2024 của UBND huyện.",
    };
    insert_tasks(db, now, cast).await
}

/// Who takes part in the demo's coordination tasks, and under which plan item.
pub(crate) struct TaskCast {
    pub item: i64,
    /// The requesting office.
    pub lead: i64,
    pub commune: i64,
    pub bank: i64,
    pub police: i64,
    /// The agency that arranges vocational training.
    pub trainer: i64,
    /// The first comment on every task.
    pub note: &'static str,
}

/// Five coordination tasks around today, one in each state; nothing if tasks exist.
pub(crate) async fn insert_tasks(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    cast: TaskCast,
) -> anyhow::Result<usize> {
    use crate::entities::{coordination_task, task_comment, task_outcome};
    use sea_orm::PaginatorTrait;
    if coordination_task::Entity::find().count(db).await? > 0 {
        return Ok(0);
    }
    let today = crate::state::vn_date(now);
    let days = chrono::Duration::days;
    let kind = |c: &'static str| async move {
        code::Entity::find()
            .filter(code::Column::List.eq("task_kind"))
            .filter(code::Column::Code.eq(c))
            .one(db)
            .await?
            .map(|m| m.id)
            .with_context(|| format!("task kind {c}"))
    };
    let (ldtbxh, hoa_phong) = (cast.lead, cast.commune);
    let tasks = [
        (
            "referral_111",
            "Xác minh thông tin Tổng đài 111 chuyển về xã",
            ldtbxh,
            hoa_phong,
            -10,
            -3,
            20,
            "requested",
            None,
        ),
        (
            "loan",
            "Hướng dẫn hồ sơ vay vốn cho người trở về",
            ldtbxh,
            cast.bank,
            -6,
            -2,
            20,
            "acknowledged",
            None,
        ),
        (
            "broker_inspection",
            "Kiểm tra cơ sở tư vấn đưa người lao động đi làm việc ở nước ngoài",
            ldtbxh,
            cast.police,
            -20,
            -15,
            10,
            "in_progress",
            None,
        ),
        (
            "vocational_training",
            "Bố trí học nghề may công nghiệp",
            ldtbxh,
            cast.trainer,
            -40,
            -35,
            -5,
            "done",
            None,
        ),
        (
            "information_exchange",
            "Trao đổi thông tin về tình hình lao động đi làm ăn xa",
            hoa_phong,
            cast.police,
            -8,
            -5,
            15,
            "declined",
            Some("Đã trao đổi tại hội nghị giao ban tháng này"),
        ),
    ];
    // Vocational support under the law in force today (the 2024 law from 1 July 2025).
    let support = code::Entity::find()
        .filter(code::Column::List.eq("support_type"))
        .filter(code::Column::Code.is_in(["2024_vocational", "2011_education"]))
        .all(db)
        .await?
        .into_iter()
        .find(|c| c.valid_from.is_none_or(|f| f <= today) && c.valid_to.is_none_or(|t| t >= today))
        .map(|c| c.id);
    // Look everything up before the transaction: SQLite runs on one pooled connection.
    let mut kinds = Vec::new();
    for t in &tasks {
        kinds.push(kind(t.0).await?);
    }
    let txn = db.begin().await?;
    for ((_, title, lead, partner, requested, ack, due, status, reason), kind_id) in
        tasks.into_iter().zip(kinds)
    {
        let t = coordination_task::ActiveModel {
            kind_id: Set(kind_id),
            title: Set(title.to_owned()),
            plan_item_id: Set(cast.item),
            lead_agency_id: Set(lead),
            partner_agency_id: Set(partner),
            requested_by: Set(None),
            requested_on: Set(today + days(requested)),
            ack_due_date: Set(today + days(ack)),
            due_date: Set(today + days(due)),
            status: Set(status.to_owned()),
            decline_reason: Set(reason.map(str::to_owned)),
            acknowledged_at: Set((status != "requested").then_some(now)),
            done_at: Set((status == "done").then_some(now)),
            loans_count: Set(None),
            loans_amount: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        task_comment::ActiveModel {
            task_id: Set(t.id),
            user_id: Set(None),
            body: Set(cast.note.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if let (true, Some(s)) = (status == "done", support) {
            task_outcome::ActiveModel {
                task_id: Set(t.id),
                support_type_id: Set(s),
                persons: Set(2),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(5)
}
