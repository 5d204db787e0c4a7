//! The rules of writing a month's figures: the rules of `input`, the support types of the law in
//! force that month (`codes`), the lock set when the report covering the month is approved, and
//! the audit row written in the same transaction as every change.

use crate::audit;
use crate::auth::CurrentUser;
use crate::entities::{
    support_stat_month as month, support_stat_received as received,
    support_stat_referral as referral, support_stat_support as support,
};
use crate::support_stats::codes::FormCodes;
use crate::support_stats::input::{self, Group, MonthInput};
use crate::support_stats::period::YearMonth;
use crate::web::forms::FieldErrors;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The month is locked by an approved report.
    #[error("month locked")]
    Locked,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl StatsError {
    pub fn field(field: &str, key: &str) -> Self {
        let mut e = FieldErrors::default();
        e.add(field, key);
        StatsError::Invalid(e)
    }
}

pub async fn month_row(
    db: &impl ConnectionTrait,
    unit_id: i64,
    m: YearMonth,
) -> Result<Option<month::Model>, DbErr> {
    month::Entity::find()
        .filter(month::Column::OrgUnitId.eq(unit_id))
        .filter(month::Column::YearMonth.eq(m.key()))
        .one(db)
        .await
}

/// The stored figures of a month row.
pub async fn load(db: &impl ConnectionTrait, row: &month::Model) -> Result<MonthInput, DbErr> {
    let lines = received::Entity::find()
        .filter(received::Column::MonthId.eq(row.id))
        .order_by_asc(received::Column::Id)
        .all(db)
        .await?;
    let supports = support::Entity::find()
        .filter(support::Column::MonthId.eq(row.id))
        .all(db)
        .await?;
    let referrals = referral::Entity::find()
        .filter(referral::Column::MonthId.eq(row.id))
        .all(db)
        .await?;
    Ok(MonthInput {
        carried_over: row.carried_over,
        received: lines
            .into_iter()
            .map(|l| {
                let g = Group {
                    sex: l.sex_id,
                    age_band: l.age_band_id,
                    purpose: l.purpose_id,
                    manner: l.return_manner_id,
                    trafficked_to: l.trafficked_to_id,
                };
                (g, l.persons)
            })
            .collect(),
        support: supports
            .into_iter()
            .map(|s| (s.support_type_id, s.persons))
            .collect(),
        referrals: referrals
            .into_iter()
            .map(|r| (r.destination_id, r.persons))
            .collect(),
        hotline_received: row.hotline_received,
        hotline_handled: row.hotline_handled,
        hotline_referred: row.hotline_referred,
        loans_count: row.loans_count,
        loans_amount: row.loans_amount,
    })
}

/// The month row of a unit, created empty if there is none yet. Two writers racing to create
/// it both end up with the same row (the unique index decides).
async fn ensure_row(
    db: &impl ConnectionTrait,
    unit_id: i64,
    m: YearMonth,
    now: DateTime<Utc>,
) -> Result<month::Model, DbErr> {
    let blank = month::ActiveModel {
        org_unit_id: Set(unit_id),
        year_month: Set(m.key()),
        carried_over: Set(0),
        hotline_received: Set(0),
        hotline_handled: Set(0),
        hotline_referred: Set(0),
        loans_count: Set(0),
        loans_amount: Set(0),
        locked_at: Set(None),
        locked_by: Set(None),
        updated_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    month::Entity::insert(blank)
        .on_conflict_do_nothing_on([month::Column::OrgUnitId, month::Column::YearMonth])
        .exec_without_returning(db)
        .await?;
    month_row(db, unit_id, m)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("support_stat_months {unit_id} {m:?}")))
}

fn audit_change(unit_id: i64, m: YearMonth) -> serde_json::Value {
    json!({ "unit_id": unit_id, "month": m.iso() })
}

/// Who writes which unit's month, and when.
pub struct Entry<'a> {
    pub user: &'a CurrentUser,
    pub unit_id: i64,
    pub month: YearMonth,
    pub today: chrono::NaiveDate,
    pub now: DateTime<Utc>,
}

/// Replaces a month's figures, in one transaction with its audit row. Refused when the month
/// is locked, also when the lock lands while this save is under way: the update of the month
/// row only matches an unlocked row, and the lock updates the same row.
pub async fn save(
    db: &DatabaseConnection,
    e: &Entry<'_>,
    codes: &FormCodes,
    input: &MonthInput,
) -> Result<month::Model, StatsError> {
    let (user, unit_id, m, today, now) = (e.user, e.unit_id, e.month, e.today, e.now);
    let mut errors = FieldErrors::default();
    input::check(input, &mut errors);
    if m.first_day() > today {
        errors.add("month", "stats.error.future_month");
    }
    let choices = codes.choices();
    for id in input.support.keys() {
        if !choices.support_types.contains(id) {
            errors.add(&format!("support_{id}"), "stats.error.support_type_law");
        }
    }
    if !errors.is_empty() {
        return Err(StatsError::Invalid(errors));
    }
    let txn = db.begin().await?;
    let before = match month_row(&txn, unit_id, m).await? {
        Some(r) => load(&txn, &r).await?,
        None => MonthInput::default(),
    };
    let Some(row) = write_month(&txn, unit_id, m, input, Some(user.id), now).await? else {
        return Err(StatsError::Locked);
    };
    let mut change = audit_change(unit_id, m);
    change["before"] = json!(before_after(&before));
    change["after"] = json!(before_after(input));
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(user.id),
            action: "support_stats:save",
            object_type: "support_stat_month",
            object_id: Some(row.id),
            org_unit_id: Some(unit_id),
            change,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(month_row(db, unit_id, m).await?.unwrap_or(row))
}

/// A month's figures as the audit log keeps them (maps keyed by text, as JSON needs).
pub(crate) fn before_after(i: &MonthInput) -> serde_json::Value {
    json!({
        "carried_over": i.carried_over,
        "received": i.received.iter().map(|(g, n)| json!({ "group": g, "persons": n })).collect::<Vec<_>>(),
        "support": i.support.iter().map(|(k, v)| (k.to_string(), *v)).collect::<std::collections::BTreeMap<_, _>>(),
        "referrals": i.referrals.iter().map(|(k, v)| (k.to_string(), *v)).collect::<std::collections::BTreeMap<_, _>>(),
        "hotline": [i.hotline_received, i.hotline_handled, i.hotline_referred],
        "loans": [i.loans_count, i.loans_amount],
    })
}

/// Writes a month's figures over whatever was there, unless the month is locked (`None`).
/// The caller owns the transaction and the audit row.
pub(crate) async fn write_month(
    db: &impl ConnectionTrait,
    unit_id: i64,
    m: YearMonth,
    input: &MonthInput,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<month::Model>, DbErr> {
    let row = ensure_row(db, unit_id, m, now).await?;
    let res = month::Entity::update_many()
        .set(month::ActiveModel {
            carried_over: Set(input.carried_over),
            hotline_received: Set(input.hotline_received),
            hotline_handled: Set(input.hotline_handled),
            hotline_referred: Set(input.hotline_referred),
            loans_count: Set(input.loans_count),
            loans_amount: Set(input.loans_amount),
            updated_by: Set(by),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(month::Column::Id.eq(row.id))
        .filter(month::Column::LockedAt.is_null())
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Ok(None);
    }
    write_details(db, row.id, input, now).await?;
    Ok(Some(row))
}

async fn write_details(
    db: &impl ConnectionTrait,
    month_id: i64,
    input: &MonthInput,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    received::Entity::delete_many()
        .filter(received::Column::MonthId.eq(month_id))
        .exec(db)
        .await?;
    support::Entity::delete_many()
        .filter(support::Column::MonthId.eq(month_id))
        .exec(db)
        .await?;
    referral::Entity::delete_many()
        .filter(referral::Column::MonthId.eq(month_id))
        .exec(db)
        .await?;
    for (g, n) in input.received.iter().filter(|(_, n)| **n > 0) {
        received::ActiveModel {
            month_id: Set(month_id),
            sex_id: Set(g.sex),
            age_band_id: Set(g.age_band),
            purpose_id: Set(g.purpose),
            return_manner_id: Set(g.manner),
            trafficked_to_id: Set(g.trafficked_to),
            persons: Set(*n),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    for (id, n) in input.support.iter().filter(|(_, n)| **n > 0) {
        support::ActiveModel {
            month_id: Set(month_id),
            support_type_id: Set(*id),
            persons: Set(*n),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    for (id, n) in input.referrals.iter().filter(|(_, n)| **n > 0) {
        referral::ActiveModel {
            month_id: Set(month_id),
            destination_id: Set(*id),
            persons: Set(*n),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Locks a month of a unit: its figures can no longer change. Called when the report that
/// covers the month is approved, inside that approval's transaction (hence any connection).
/// Locking a locked month changes nothing; locking a month without figures locks it empty.
pub async fn lock_month(
    db: &impl ConnectionTrait,
    unit_id: i64,
    m: YearMonth,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = ensure_row(db, unit_id, m, now).await?;
    let res = month::Entity::update_many()
        .set(month::ActiveModel {
            locked_at: Set(Some(now)),
            locked_by: Set(by),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(month::Column::Id.eq(row.id))
        .filter(month::Column::LockedAt.is_null())
        .exec(db)
        .await?;
    if res.rows_affected > 0 {
        audit::record(
            db,
            now,
            audit::Event {
                user_id: by,
                action: "support_stats:lock",
                object_type: "support_stat_month",
                object_id: Some(row.id),
                org_unit_id: Some(unit_id),
                change: audit_change(unit_id, m),
            },
        )
        .await?;
    }
    Ok(())
}

/// Reopens a locked month for corrections, with the reason kept in the audit log (never in the
/// statistics tables, which hold no text).
pub async fn reopen_month(
    db: &DatabaseConnection,
    user: &CurrentUser,
    unit_id: i64,
    m: YearMonth,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StatsError> {
    let reason = crate::text::nfc(reason);
    let mut errors = FieldErrors::default();
    if reason.is_empty() {
        errors.add("reason", "stats.error.reason");
    } else if reason.chars().count() > 500 {
        errors.add("reason", "activity.error.too_long");
    }
    crate::activities::input::check_free_text(&[("reason", Some(reason.as_str()))], &mut errors);
    if !errors.is_empty() {
        return Err(StatsError::Invalid(errors));
    }
    let txn = db.begin().await?;
    let Some(row) = month_row(&txn, unit_id, m).await? else {
        return Err(StatsError::field("reason", "stats.error.not_locked"));
    };
    let res = month::Entity::update_many()
        .set(month::ActiveModel {
            locked_at: Set(None),
            locked_by: Set(None),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(month::Column::Id.eq(row.id))
        .filter(month::Column::LockedAt.is_not_null())
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(StatsError::field("reason", "stats.error.not_locked"));
    }
    let mut change = audit_change(unit_id, m);
    change["reason"] = json!(reason);
    change["locked_at"] = json!(row.locked_at);
    change["locked_by"] = json!(row.locked_by);
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(user.id),
            action: "support_stats:reopen",
            object_type: "support_stat_month",
            object_id: Some(row.id),
            org_unit_id: Some(unit_id),
            change,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
