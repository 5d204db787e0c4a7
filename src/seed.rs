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
    Set, TransactionTrait,
};
use serde::Deserialize;
use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;

pub const DEMO_PASSWORD: &str = "kehoach-demo";

const ORG_UNITS: &str = include_str!("../seed/org_units.toml");
const AGENCIES: &str = include_str!("../seed/agencies.toml");
const CODES: &str = include_str!("../seed/codes.toml");
const PLAN_2024: &str = include_str!("../seed/plan-2024-tay-hoa.toml");
const DEMO: &str = include_str!("../seed/demo.toml");

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
}

/// Loads the reference data (org units, agencies, code lists, the 2024 plan) in one transaction.
pub async fn reference(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<SeedReport> {
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

    let codes: CodesFile = toml::from_str(CODES).context("seed/codes.toml")?;
    let mut position: HashMap<String, i32> = HashMap::new();
    for c in codes.code {
        let pos = position.entry(c.list.clone()).or_insert(0);
        *pos += 1;
        let exists = code::Entity::find()
            .filter(code::Column::List.eq(&c.list))
            .filter(code::Column::Code.eq(&c.code))
            .one(&txn)
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
        .insert(&txn)
        .await?;
    }

    let p: PlanSeed = toml::from_str(PLAN_2024).context("seed/plan-2024-tay-hoa.toml")?;
    report.plans += load_plan(&txn, p, now).await?;
    txn.commit().await?;
    Ok(report)
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
                area_code: Set(it.area),
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

/// Demo users, one per role, all with [`DEMO_PASSWORD`].
pub async fn demo(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<SeedReport> {
    let mut report = SeedReport::default();
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
