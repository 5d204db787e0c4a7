//! Demo figures: a plausible small year (2024) of victim support in four communes of Tây Hòa —
//! a handful of persons received, the support they got, hotline tips every month, two loans.
//! The first half of the year is locked, as if its report had been approved. Deterministic,
//! and loaded only into a database without any figures yet.

use crate::entities::{org_unit, support_stat_month as month};
use crate::support_stats::input::{Group, MonthInput};
use crate::support_stats::period::YearMonth;
use crate::support_stats::service;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};
use std::collections::BTreeMap;

const UNITS: [&str; 4] = [
    "PY-TH-HOAPHONG",
    "PY-TH-SONTHANHTAY",
    "PY-TH-HOATHINH",
    "PY-TH-PHUTHU",
];

/// (unit, month, sex, age band, purpose, manner of return, where, persons).
type Reception = (
    usize,
    u32,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
);

const RECEIVED: [Reception; 9] = [
    (0, 3, "female", "16-17", "sexual", "rescued", "abroad", 1),
    (
        0,
        3,
        "female",
        "18-29",
        "marriage",
        "handed_over",
        "abroad",
        1,
    ),
    (0, 8, "male", "18-29", "forced_labour", "self", "abroad", 3),
    (
        1,
        5,
        "female",
        "18-29",
        "marriage",
        "handed_over",
        "abroad",
        2,
    ),
    (1, 9, "female", "12-15", "sexual", "rescued", "domestic", 1),
    (
        2,
        7,
        "male",
        "30-49",
        "forced_labour",
        "rescued",
        "abroad",
        4,
    ),
    (
        2,
        7,
        "female",
        "30-49",
        "forced_labour",
        "rescued",
        "abroad",
        2,
    ),
    (2, 11, "female", "18-29", "sexual", "self", "domestic", 1),
    (
        3,
        10,
        "female",
        "18-29",
        "forced_labour",
        "self",
        "domestic",
        1,
    ),
];

/// (unit, month, loans, amount in đồng).
const LOANS: [(usize, u32, i64, i64); 2] = [(1, 6, 1, 30_000_000), (2, 9, 2, 80_000_000)];

pub async fn demo_support_stats(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    if month::Entity::find().count(db).await? > 0 {
        return Ok(0);
    }
    let codes = crate::codes::all(db).await?;
    let id = |list: &str, c: &str| -> anyhow::Result<i64> {
        codes
            .iter()
            .find(|x| x.list == list && x.code == c)
            .map(|x| x.id)
            .with_context(|| format!("code {list}/{c}"))
    };
    let mut units = Vec::new();
    for u in UNITS {
        let found = org_unit::Entity::find()
            .filter(org_unit::Column::Code.eq(u))
            .one(db)
            .await?
            .with_context(|| format!("org unit {u}"))?;
        units.push(found.id);
    }
    let mut months: BTreeMap<(usize, u32), MonthInput> = BTreeMap::new();
    for (u, m, sex, age, purpose, manner, place, n) in RECEIVED {
        let g = Group {
            sex: id("sex", sex)?,
            age_band: id("age_band", age)?,
            purpose: id("trafficking_purpose", purpose)?,
            manner: id("return_manner", manner)?,
            trafficked_to: id("trafficked_to", place)?,
        };
        *months
            .entry((u, m))
            .or_default()
            .received
            .entry(g)
            .or_insert(0) += n;
    }
    // Support in the month of reception, then two months of follow-up for those carried over.
    let support = |c: &str| id("support_type", &format!("2011_{c}"));
    let receptions: Vec<((usize, u32), i64)> = months
        .iter()
        .map(|(k, v)| (*k, v.received_total()))
        .collect();
    for ((u, m), r) in receptions {
        let first = months.entry((u, m)).or_default();
        for (c, n) in [
            ("essential", r),
            ("medical", r),
            ("psychological", r),
            ("legal_aid", r / 2),
            ("allowance", r),
        ] {
            if n > 0 {
                first.support.insert(support(c)?, n);
            }
        }
        first
            .referrals
            .insert(id("referral_destination", "social_protection")?, r);
        for later in [m + 1, m + 2].into_iter().filter(|x| *x <= 12) {
            let f = months.entry((u, later)).or_default();
            f.carried_over += r;
            *f.support.entry(support("psychological")?).or_insert(0) += r;
            *f.support.entry(support("education")?).or_insert(0) += (r + 1) / 2;
            *f.referrals
                .entry(id("referral_destination", "vocational")?)
                .or_insert(0) += (r + 1) / 2;
        }
    }
    for (u, m, count, amount) in LOANS {
        let f = months.entry((u, m)).or_default();
        f.loans_count = count;
        f.loans_amount = amount;
        f.referrals
            .insert(id("referral_destination", "bank")?, count);
    }
    // Hotline-111 tips reach every demo commune most months.
    for (ui, _) in UNITS.iter().enumerate() {
        for m in 1..=12u32 {
            let tips = i64::from((m + u32::try_from(ui).unwrap_or(0)) % 3);
            let f = months.entry((ui, m)).or_default();
            f.hotline_received = tips;
            f.hotline_handled = tips;
            f.hotline_referred = tips / 2;
        }
    }
    let txn = db.begin().await?;
    let count = months.len();
    for ((ui, m), figures) in &months {
        let unit = *units.get(*ui).context("demo unit")?;
        let ym = YearMonth::new(2024, *m).context("demo month")?;
        service::write_month(&txn, unit, ym, figures, None, now).await?;
    }
    for unit in &units {
        for m in 1..=6 {
            let ym = YearMonth::new(2024, m).context("demo month")?;
            service::lock_month(&txn, *unit, ym, None, now).await?;
        }
    }
    txn.commit().await?;
    Ok(count)
}
