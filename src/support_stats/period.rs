//! A calendar month as the statistics count it, and ranges of months. Stored as `yyyymm` in an
//! integer column, written `2024-06` in URLs and the API, shown `06/2024`.

use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// A month between 2000 and 2100: statistics outside that range are typing mistakes.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((2000..=2100).contains(&year) && (1..=12).contains(&month))
            .then_some(YearMonth { year, month })
    }

    pub fn of(date: NaiveDate) -> Self {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// `2024-06` (what a month input sends) or `06/2024` (what people type).
    pub fn parse(input: &str) -> Option<Self> {
        let s = input.trim();
        let (y, m) = match s.split_once('-') {
            Some((y, m)) => (y, m),
            None => {
                let (m, y) = s.split_once('/')?;
                (y, m)
            }
        };
        YearMonth::new(y.trim().parse().ok()?, m.trim().parse().ok()?)
    }

    /// The stored form, `yyyymm`.
    pub fn key(self) -> i32 {
        self.year * 100 + i32::try_from(self.month).unwrap_or(0)
    }

    pub fn from_key(key: i32) -> Option<Self> {
        YearMonth::new(key / 100, u32::try_from(key % 100).ok()?)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            YearMonth::new(self.year + 1, 1).unwrap_or(self)
        } else {
            YearMonth {
                month: self.month + 1,
                ..self
            }
        }
    }

    pub fn prev(self) -> Self {
        if self.month == 1 {
            YearMonth::new(self.year - 1, 12).unwrap_or(self)
        } else {
            YearMonth {
                month: self.month - 1,
                ..self
            }
        }
    }

    /// `2024-06`.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// `06/2024`, as a Vietnamese reader writes a month.
    pub fn label(self) -> String {
        format!("{:02}/{:04}", self.month, self.year)
    }

    /// Every month from `self` to `to`, both included (empty when `to` is earlier).
    pub fn through(self, to: YearMonth) -> Vec<YearMonth> {
        let mut out = Vec::new();
        let mut m = self;
        while m <= to {
            out.push(m);
            let next = m.next();
            if next == m {
                break;
            }
            m = next;
        }
        out
    }

    /// Months from `self` to `to`, both included.
    pub fn span(self, to: YearMonth) -> i32 {
        (to.year - self.year) * 12 + i32::try_from(to.month).unwrap_or(0)
            - i32::try_from(self.month).unwrap_or(0)
            + 1
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.iso())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_read_both_ways_and_step_over_the_year() {
        let june = YearMonth::new(2024, 6).unwrap();
        assert_eq!(YearMonth::parse("2024-06"), Some(june));
        assert_eq!(YearMonth::parse("06/2024"), Some(june));
        assert_eq!(YearMonth::parse("2024-13"), None);
        assert_eq!(YearMonth::parse("juin"), None);
        assert_eq!(june.key(), 202406);
        assert_eq!(YearMonth::from_key(202406), Some(june));
        assert_eq!(june.label(), "06/2024");
        let dec = YearMonth::new(2024, 12).unwrap();
        assert_eq!(dec.next(), YearMonth::new(2025, 1).unwrap());
        assert_eq!(dec.next().prev(), dec);
        assert_eq!(june.through(dec.next()).len(), 8);
        assert_eq!(june.span(dec.next()), 8);
        assert!(dec.through(june).is_empty());
    }
}
