//! The publication lattice: the only periods a reader without exact access gets victim figures
//! for — the four quarters, the two halves and the whole of one calendar year — so that the
//! figures of every period such a reader can ask for are protected together, as one system
//! (`figures::report_for`), and no two of them can be subtracted to give a hidden count.
//!
//! A period asked for within one year is snapped to the smallest period of the lattice that
//! holds it (January alone reads as the first quarter, February–May as the first half); a period
//! across two years is refused, since a year's lattice is protected on its own (see
//! `docs/privacy.md`, section 6).

use crate::support_stats::data::Data;
use crate::support_stats::period::YearMonth;
use std::collections::HashSet;

/// A period of the lattice: a quarter, a half or a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub from: YearMonth,
    pub to: YearMonth,
}

/// Which parts make up which whole: the year is its quarters and its halves, each half its two
/// quarters. Indexes into [`year_periods`].
pub const GROUPS: [(usize, &[usize]); 4] =
    [(6, &[0, 1, 2, 3]), (6, &[4, 5]), (4, &[0, 1]), (5, &[2, 3])];

fn month(year: i32, m: u32) -> Option<YearMonth> {
    YearMonth::new(year, m)
}

/// The seven periods of a year: quarters I–IV, the two halves, the year.
pub fn year_periods(year: i32) -> Vec<Period> {
    [(1, 3), (4, 6), (7, 9), (10, 12), (1, 6), (7, 12), (1, 12)]
        .into_iter()
        .filter_map(|(a, b)| {
            Some(Period {
                from: month(year, a)?,
                to: month(year, b)?,
            })
        })
        .collect()
}

/// The quarters of a year, in order.
pub fn quarters(year: i32) -> Vec<Period> {
    year_periods(year).into_iter().take(4).collect()
}

impl Period {
    /// The smallest period of the lattice holding `from`–`to`; none across two years.
    pub fn snap(from: YearMonth, to: YearMonth) -> Option<Period> {
        if from.year() != to.year() || from > to {
            return None;
        }
        year_periods(from.year())
            .into_iter()
            .find(|p| p.from <= from && to <= p.to)
    }

    /// Whether `from`–`to` is a period of the lattice itself.
    pub fn is_on_lattice(from: YearMonth, to: YearMonth) -> bool {
        Period::snap(from, to).is_some_and(|p| p.from == from && p.to == to)
    }

    /// The period's value in the `period` dimension of the protected tables.
    pub fn key(self) -> i64 {
        i64::from(self.from.key()) * 1_000_000 + i64::from(self.to.key())
    }

    /// Which of the lattice's periods this is, for its name: `q1`–`q4`, `h1`, `h2` or `year`.
    pub fn kind(self) -> &'static str {
        match self.from.span(self.to) {
            3 => ["q1", "q2", "q3", "q4"]
                .get(usize::try_from(self.from.key() % 100 / 3).unwrap_or(0))
                .copied()
                .unwrap_or("q1"),
            6 if self.from.key() % 100 == 1 => "h1",
            6 => "h2",
            _ => "year",
        }
    }
}

/// The rows of `data` within a period of its months.
pub fn within(data: &Data, p: Period) -> Data {
    let (a, b) = (p.from.key(), p.to.key());
    let months: Vec<_> = data
        .months
        .iter()
        .filter(|m| (a..=b).contains(&m.year_month))
        .cloned()
        .collect();
    let ids: HashSet<i64> = months.iter().map(|m| m.id).collect();
    Data {
        units: data.units.clone(),
        months,
        received: data
            .received
            .iter()
            .filter(|r| ids.contains(&r.month_id))
            .cloned()
            .collect(),
        support: data
            .support
            .iter()
            .filter(|r| ids.contains(&r.month_id))
            .cloned()
            .collect(),
        referrals: data
            .referrals
            .iter()
            .filter(|r| ids.contains(&r.month_id))
            .cloned()
            .collect(),
        codes: data.codes.clone(),
    }
}

/// Loan amounts as readers without exact access get them: the band of [`AMOUNT_BAND`] đồng
/// holding the total, never the total itself (see `docs/privacy.md`, section 6).
pub const AMOUNT_BAND: i64 = 100_000_000;

/// The band `[low, high)` holding an amount.
pub fn amount_band(amount: i64) -> [i64; 2] {
    let low = amount.max(0) / AMOUNT_BAND * AMOUNT_BAND;
    [low, low.saturating_add(AMOUNT_BAND)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(y: i32, m: u32) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }

    #[test]
    fn periods_snap_to_the_smallest_lattice_period_holding_them() {
        let snap = |a, b| Period::snap(ym(2024, a), ym(2024, b)).map(|p| p.kind());
        assert_eq!(snap(1, 1), Some("q1"));
        assert_eq!(snap(1, 3), Some("q1"));
        assert_eq!(snap(2, 2), Some("q1"));
        assert_eq!(snap(5, 5), Some("q2"));
        assert_eq!(snap(12, 12), Some("q4"));
        assert_eq!(snap(2, 5), Some("h1"));
        assert_eq!(snap(7, 11), Some("h2"));
        assert_eq!(snap(3, 7), Some("year"));
        assert_eq!(Period::snap(ym(2024, 12), ym(2025, 1)), None);
        assert!(Period::is_on_lattice(ym(2024, 4), ym(2024, 6)));
        assert!(!Period::is_on_lattice(ym(2024, 1), ym(2024, 2)));
        let keys: HashSet<i64> = year_periods(2024).iter().map(|p| p.key()).collect();
        assert_eq!(keys.len(), 7);
    }

    #[test]
    fn amounts_read_as_bands() {
        assert_eq!(amount_band(30_000_000), [0, 100_000_000]);
        assert_eq!(amount_band(130_000_000), [100_000_000, 200_000_000]);
        assert_eq!(amount_band(100_000_000), [100_000_000, 200_000_000]);
    }
}
