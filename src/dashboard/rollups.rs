//! Keeping the dashboard's summary rows (`migration::rollups`) current: every write of an
//! activity recomputes, in its own transaction, the rows of the unit and month it was in before
//! and is in after — from the activities themselves, so a row is never off by a missed delta.
//! The dashboard reads whole months from these rows and only the period's ragged edges from the
//! activities (`dashboard::sql`).

use chrono::{Datelike, NaiveDate};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};

/// The first day of the month of `d`.
pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The unit and the first day of the month whose rows an activity counts in.
pub fn key(org_unit_id: i64, start_date: NaiveDate) -> (i64, NaiveDate) {
    (org_unit_id, month_start(start_date))
}

/// The last day of the month starting on `first`.
pub fn month_end(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(first)
}

/// Recomputes the summary rows of the units and months of the given (unit, start date) pairs,
/// and by the difference the units' yearly coverage rows and the country's rows of those
/// months, inside the caller's transaction: every writer of activities runs it once before
/// committing (once for a whole series, campaign or import).
/// On PostgreSQL each (unit, month) and each month of the country is first locked for the rest
/// of the transaction (in key order, the country's months first, so two writers never wait on
/// each other crosswise): two commune officers saving in the same month would otherwise each
/// recompute without seeing the other's row. A unit's year is shared by writers of its different
/// months: each adds its own difference to the row, under the row's lock, in key order too.
/// SQLite has one writer at a time.
pub async fn refresh(
    db: &impl ConnectionTrait,
    written: impl IntoIterator<Item = (i64, NaiveDate)>,
) -> Result<(), DbErr> {
    use migration::rollups::{
        COUNTRY, country_delta, country_tidy, coverage_years_delta, coverage_years_tidy,
    };
    let backend = db.get_database_backend();
    let mut keys: Vec<(i64, NaiveDate)> = written.into_iter().map(|(u, d)| key(u, d)).collect();
    keys.sort();
    keys.dedup();
    if backend == DatabaseBackend::Postgres {
        let mut locks: Vec<(i64, NaiveDate)> = keys.iter().map(|k| (COUNTRY, k.1)).collect();
        locks.extend(keys.iter().copied());
        locks.sort();
        locks.dedup();
        for (unit, month) in locks {
            // Two-key advisory lock: (unit, yyyymm); both fit in an int4.
            let stamp = month.year() * 100 + month.month() as i32;
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "SELECT pg_advisory_xact_lock(CAST($1 AS INTEGER), $2)",
                [unit.into(), stamp.into()],
            ))
            .await?;
        }
    }
    for (unit, month) in keys {
        // Only integers and dates we formatted reach the text.
        let first = format!("'{}'", month.format("%Y-%m-%d"));
        let last = format!("'{}'", month_end(month).format("%Y-%m-%d"));
        let rollups = format!("org_unit_id = {unit} AND month = {first}");
        let activities = format!(
            "a.org_unit_id = {unit} AND a.start_date >= {first} AND a.start_date <= {last}"
        );
        let statements = country_delta(&rollups, -1)
            .into_iter()
            .chain([coverage_years_delta(backend, &rollups, -1)])
            .chain(migration::rollups::refresh(backend, &rollups, &activities))
            .chain(migration::rollups::coverage(&rollups))
            .chain([
                coverage_years_delta(backend, &rollups, 1),
                coverage_years_tidy(&format!("org_unit_id = {unit}")),
            ])
            .chain(country_delta(&rollups, 1))
            .chain(country_tidy(&format!("month = {first}")));
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
    }
    Ok(())
}

/// Recomputes every summary row (after a bulk load that bypassed the service: `gen-data`, the
/// seed).
pub async fn rebuild(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    for sql in migration::rollups::rebuild(db.get_database_backend()) {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}
