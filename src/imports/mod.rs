//! Imports of activities and of monthly support statistics from the spreadsheets communes
//! already keep (XLSX or CSV). An upload is read, staged and previewed — every row as it will be
//! saved, every error by row and column — and committed all or nothing, in one transaction with
//! its audit rows. The commit parses the staged bytes again and checks everything again: nothing
//! the browser sends back is trusted. A file, or the same rows saved again, is imported once.
//!
//! - [`read`] turns bytes into rows of cells and finds the columns by their headers;
//! - [`activities`] and [`stats`] turn rows into the inputs of the activity form and the
//!   statistics entry form, through the same rules, and write them;
//! - [`units`] imports the official list of administrative units, through the same reading,
//!   staging and preview-then-commit;
//! - [`staging`] keeps uploads and fingerprints; [`template`] writes the XLSX templates;
//! - [`check`] reads and checks an upload; [`handlers`] (upload), [`preview`] and [`commit`]
//!   are the pages.

pub mod activities;
pub mod check;
pub mod commit;
pub mod handlers;
pub mod preview;
pub mod read;
pub mod staging;
pub mod stats;
pub mod template;
pub mod units;

use crate::text::fold;
use crate::web::forms::FieldErrors;
use chrono::NaiveDate;
use read::Value;
use serde::Serialize;
use std::collections::HashMap;

/// One problem of a file: where, and what (a translation key, with its arguments).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The row in the file as Excel numbers it.
    pub row: usize,
    /// The column's key, or none when the problem is the whole row.
    pub column: Option<&'static str>,
    pub key: String,
    pub args: Vec<(&'static str, String)>,
}

impl Problem {
    pub fn at(row: usize, column: &'static str, key: &str) -> Problem {
        Problem {
            row,
            column: Some(column),
            key: key.to_owned(),
            args: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Problem {
        self.args.push((name, value.into()));
        self
    }
}

/// Text as imported: trimmed, in NFC, and without the apostrophe that an export puts before
/// text a spreadsheet would run as a formula (so that an export imports back as it was).
pub fn unneutralise(s: &str) -> String {
    let s = s.trim();
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some('\''), Some('=' | '+' | '-' | '@' | '\t' | '\r')) => crate::text::nfc(&s[1..]),
        _ => crate::text::nfc(s),
    }
}

/// A cell as free text.
pub fn text(v: &Value) -> Option<String> {
    let t = unneutralise(&v.text());
    (!t.is_empty()).then_some(t)
}

/// A cell as a whole count, by the rules of the forms (`1.250` is 1250; empty is none).
/// Returns the translation key of the problem, if any.
pub fn count(v: &Value) -> Result<Option<i64>, String> {
    match v {
        Value::Empty => Ok(None),
        Value::Number(n) => {
            if !n.is_finite() || n.fract() != 0.0 {
                Err("activity.error.number".into())
            } else if *n < 0.0 {
                Err("activity.error.negative".into())
            } else if *n > 1e12 {
                Err("activity.error.too_big".into())
            } else {
                // Whole and at most 10^12: exact.
                #[allow(clippy::cast_possible_truncation)]
                let i = *n as i64;
                Ok(Some(i))
            }
        }
        Value::Date(_) => Err("activity.error.number".into()),
        Value::Text(s) => {
            let mut errors = FieldErrors::default();
            let n = crate::activities::input::parse_count(s, "n", &mut errors);
            match errors.0.into_values().next() {
                Some(key) => Err(key),
                None => Ok(n),
            }
        }
    }
}

/// A cell as a date: a real Excel date, or text as the forms read it (dd/mm/yyyy or
/// yyyy-mm-dd). Empty is none.
pub fn date(v: &Value) -> Result<Option<NaiveDate>, String> {
    match v {
        Value::Empty => Ok(None),
        Value::Date(d) => Ok(Some(*d)),
        Value::Number(n) => read::excel_date(*n)
            .map(Some)
            .ok_or_else(|| "form.date".into()),
        Value::Text(s) if s.trim().is_empty() => Ok(None),
        Value::Text(s) => crate::web::format::parse_date(s)
            .map(Some)
            .ok_or_else(|| "form.date".into()),
    }
}

/// Names → ids, folded (accents, case, `đ`, spacing ignored): what a cell may name a code, a
/// unit or an agency by.
#[derive(Clone, Debug, Default)]
pub struct Names(HashMap<String, Vec<i64>>);

impl Names {
    pub fn add(&mut self, name: &str, id: i64) {
        let key = fold(name);
        if key.is_empty() {
            return;
        }
        let ids = self.0.entry(key).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    /// Every id the text may name.
    pub fn find(&self, text: &str) -> &[i64] {
        self.0.get(&fold(text)).map_or(&[], Vec::as_slice)
    }
}

/// The usual prefixes of unit names, so that "Hòa Phong" finds "Xã Hòa Phong".
const UNIT_KINDS: &[&str] = &[
    "xa ",
    "thi tran ",
    "phuong ",
    "huyen ",
    "thi xa ",
    "tinh ",
    "thanh pho ",
    "dac khu ",
];

/// Org units by code, by name, and by name without its kind ("Xã ", "Thị trấn "...).
pub fn unit_names(units: &[crate::entities::org_unit::Model]) -> Names {
    let mut names = Names::default();
    for u in units {
        names.add(&u.code, u.id);
        names.add(&u.name, u.id);
        let folded = fold(&u.name);
        for k in UNIT_KINDS {
            if let Some(rest) = folded.strip_prefix(k) {
                names.add(rest, u.id);
            }
        }
    }
    names
}

/// Codes by code and by both names.
pub fn code_names<'a>(codes: impl IntoIterator<Item = &'a crate::entities::code::Model>) -> Names {
    let mut names = Names::default();
    for c in codes {
        names.add(&c.code, c.id);
        names.add(&c.name_vi, c.id);
        names.add(&c.name_en, c.id);
    }
    names
}

/// A fingerprint: SHA-256 in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_by_the_rules_of_the_forms() {
        assert_eq!(count(&Value::Text("1.250".into())), Ok(Some(1250)));
        assert_eq!(count(&Value::Number(30.0)), Ok(Some(30)));
        assert_eq!(count(&Value::Empty), Ok(None));
        assert_eq!(
            count(&Value::Number(2.5)),
            Err("activity.error.number".into())
        );
        assert_eq!(
            count(&Value::Number(-1.0)),
            Err("activity.error.negative".into())
        );
        assert_eq!(
            count(&Value::Text("ba".into())),
            Err("activity.error.number".into())
        );
        let d = NaiveDate::from_ymd_opt(2024, 7, 30);
        assert_eq!(date(&Value::Text("30/07/2024".into())), Ok(d));
        assert_eq!(date(&Value::Number(45503.0)), Ok(d));
        assert_eq!(
            date(&Value::Text("31/02/2024".into())),
            Err("form.date".into())
        );
    }

    #[test]
    fn names_match_whatever_the_accents_and_the_export_apostrophe() {
        let mut n = Names::default();
        n.add("Xã Hòa Phong", 7);
        assert_eq!(n.find("XÃ HOÀ PHONG"), &[7]);
        assert_eq!(n.find("xa hoa  phong"), &[7]);
        assert!(n.find("Hòa Phú").is_empty());
        assert_eq!(unneutralise("'=1+2"), "=1+2");
        assert_eq!(unneutralise("'bình thường"), "'bình thường");
        assert_eq!(unneutralise("  Hoà  "), "Hoà");
    }
}
