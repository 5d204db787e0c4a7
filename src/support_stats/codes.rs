//! The codes a month's figures use, and the legal basis of its support types: a month follows the
//! law in force on its first day, read from the code list's validity dates (seed data), never
//! from a date written in the code.

use crate::entities::code;
use crate::support_stats::input::{Choices, MonthInput};
use crate::support_stats::period::YearMonth;
use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;

/// Whether a code applies to a month: in force on the month's first day. The law that governs
/// a month is the one in force when it began; the dates live in the code list, not here.
pub fn in_force(c: &code::Model, m: YearMonth) -> bool {
    let day = m.first_day();
    c.valid_from.is_none_or(|f| f <= day) && c.valid_to.is_none_or(|t| t >= day)
}

/// The codes of the entry form of one month.
#[derive(Clone, Debug, Serialize)]
pub struct FormCodes {
    pub sexes: Vec<code::Model>,
    pub age_bands: Vec<code::Model>,
    pub purposes: Vec<code::Model>,
    pub manners: Vec<code::Model>,
    pub trafficked_to: Vec<code::Model>,
    pub support_types: Vec<code::Model>,
    pub destinations: Vec<code::Model>,
}

impl FormCodes {
    pub fn choices(&self) -> Choices {
        let ids = |v: &[code::Model]| v.iter().map(|c| c.id).collect();
        Choices {
            sexes: ids(&self.sexes),
            age_bands: ids(&self.age_bands),
            purposes: ids(&self.purposes),
            manners: ids(&self.manners),
            trafficked_to: ids(&self.trafficked_to),
            support_types: ids(&self.support_types),
            destinations: ids(&self.destinations),
        }
    }

    /// The legal bases of the month's support types (one, unless an administrator set
    /// overlapping dates).
    pub fn legal_bases(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.support_types {
            if let Some(b) = &c.legal_basis
                && !out.contains(b)
            {
                out.push(b.clone());
            }
        }
        out
    }
}

/// A code list without its retired codes, except those the month already uses.
async fn usable(
    db: &impl ConnectionTrait,
    list: &str,
    keep: &[i64],
) -> Result<Vec<code::Model>, DbErr> {
    Ok(crate::codes::list(db, list)
        .await?
        .into_iter()
        .filter(|c| c.retired_at.is_none() || keep.contains(&c.id))
        .collect())
}

pub async fn form_codes(
    db: &impl ConnectionTrait,
    m: YearMonth,
    stored: &MonthInput,
) -> Result<FormCodes, DbErr> {
    let mut keep: Vec<i64> = stored.support.keys().copied().collect();
    keep.extend(stored.referrals.keys().copied());
    for g in stored.received.keys() {
        keep.extend([g.sex, g.age_band, g.purpose, g.manner, g.trafficked_to]);
    }
    let support_types = usable(db, "support_type", &keep)
        .await?
        .into_iter()
        .filter(|c| in_force(c, m))
        .collect();
    Ok(FormCodes {
        sexes: usable(db, "sex", &keep).await?,
        age_bands: usable(db, "age_band", &keep).await?,
        purposes: usable(db, "trafficking_purpose", &keep).await?,
        manners: usable(db, "return_manner", &keep).await?,
        trafficked_to: usable(db, "trafficked_to", &keep).await?,
        support_types,
        destinations: usable(db, "referral_destination", &keep).await?,
    })
}
