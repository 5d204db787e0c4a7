//! How numbers and dates are written for Vietnamese readers: `1.234.567`, `05/12/2024`.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// Groups thousands with dots: 1250 → "1.250", -1234567 → "-1.234.567".
pub fn number(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// An instant as Vietnamese local time.
pub fn datetime(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::state::VN_OFFSET)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// Parses `dd/mm/yyyy` (what people type) or `yyyy-mm-dd` (what date inputs send), with a
/// four-digit year: chrono alone reads `30/07/24` as the year 24 and `-2024-07-30` as a year
/// BC, dates no one means and that calendar feeds and spreadsheets cannot write.
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let s = input.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
        .filter(|d| four_digit_year(*d))
}

/// Whether a date's year has four digits and no sign, as every date written out must.
pub fn four_digit_year(d: NaiveDate) -> bool {
    (1000..=9999).contains(&d.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_dots_between_thousands() {
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(1250), "1.250");
        assert_eq!(number(1_234_567), "1.234.567");
        assert_eq!(number(-1_234_567), "-1.234.567");
    }

    #[test]
    fn dates_read_both_ways() {
        let d = NaiveDate::from_ymd_opt(2024, 12, 5);
        assert_eq!(parse_date("05/12/2024"), d);
        assert_eq!(parse_date("2024-12-05"), d);
        assert_eq!(parse_date("31/02/2024"), None);
        // Only four-digit years, without a sign.
        for typo in [
            "30/07/24",
            "-2024-07-30",
            "+12345-07-30",
            "30/07/-5",
            "0024-07-30",
        ] {
            assert_eq!(parse_date(typo), None, "{typo}");
        }
        assert_eq!(d.map(date).as_deref(), Some("05/12/2024"));
    }
}
