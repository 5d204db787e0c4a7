//! A month's figures as typed, and the rules they must satisfy before anything is written:
//! whole non-negative counts, codes of the right lists (support types of the law in force that
//! month), persons supported not more than persons received plus those carried over, loan
//! amounts that look like đồng. The rules here need no database.

use crate::activities::input::parse_count;
use crate::web::forms::{FieldErrors, RawForm};
use serde::Serialize;
use std::collections::BTreeMap;

/// One group of persons received with the same characteristics (code ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Group {
    pub sex: i64,
    pub age_band: i64,
    pub purpose: i64,
    pub manner: i64,
    pub trafficked_to: i64,
}

/// A month's figures for one unit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MonthInput {
    pub carried_over: i64,
    /// Persons received, by group; only groups with persons.
    pub received: BTreeMap<Group, i64>,
    /// Persons supported, by support type id.
    pub support: BTreeMap<i64, i64>,
    /// Persons referred, by destination id.
    pub referrals: BTreeMap<i64, i64>,
    pub hotline_received: i64,
    pub hotline_handled: i64,
    pub hotline_referred: i64,
    pub loans_count: i64,
    pub loans_amount: i64,
}

impl MonthInput {
    pub fn received_total(&self) -> i64 {
        self.received.values().sum()
    }
}

/// The code ids a month's form may use.
#[derive(Clone, Debug, Default)]
pub struct Choices {
    pub sexes: Vec<i64>,
    pub age_bands: Vec<i64>,
    pub purposes: Vec<i64>,
    pub manners: Vec<i64>,
    pub trafficked_to: Vec<i64>,
    /// Only the support types of the law in force in that month.
    pub support_types: Vec<i64>,
    pub destinations: Vec<i64>,
}

/// How many lines of received persons a form may carry.
pub const MAX_LINES: usize = 200;
/// No figure of one unit in one month comes near this; a larger one is a typing mistake.
pub const MAX_PERSONS: i64 = 10_000;
/// A social-policy bank loan below one million đồng is almost surely typed in thousands.
pub const MIN_LOAN: i64 = 1_000_000;
/// And above 500 million đồng a loan, in millions typed twice or in the wrong field.
pub const MAX_LOAN: i64 = 500_000_000;

/// The five selects of a received line, in the order the form shows them.
pub const LINE_FIELDS: [&str; 5] = ["sex", "age", "purpose", "manner", "where"];

fn count(form: &RawForm, field: &str, errors: &mut FieldErrors) -> i64 {
    parse_count(form.get(field), field, errors).unwrap_or(0)
}

fn code(form: &RawForm, field: &str, allowed: &[i64], errors: &mut FieldErrors) -> Option<i64> {
    let raw = form.get(field).trim();
    if raw.is_empty() {
        errors.add(field, "stats.error.line_incomplete");
        return None;
    }
    match raw.parse::<i64>() {
        Ok(id) if allowed.contains(&id) => Some(id),
        _ => {
            errors.add(field, "form.choose");
            None
        }
    }
}

/// How many received lines the form says it has.
pub fn line_count(form: &RawForm) -> usize {
    form.get("lines")
        .trim()
        .parse::<usize>()
        .unwrap_or(0)
        .min(MAX_LINES)
}

fn lines(form: &RawForm, choices: &Choices, errors: &mut FieldErrors) -> BTreeMap<Group, i64> {
    let mut out: BTreeMap<Group, i64> = BTreeMap::new();
    for i in 0..line_count(form) {
        let persons_field = format!("r{i}_persons");
        let persons = count(form, &persons_field, errors);
        // A line left at zero is an unused line, whatever its selects say.
        if persons == 0 {
            continue;
        }
        let lists: [&[i64]; 5] = [
            &choices.sexes,
            &choices.age_bands,
            &choices.purposes,
            &choices.manners,
            &choices.trafficked_to,
        ];
        let ids: Vec<Option<i64>> = LINE_FIELDS
            .iter()
            .zip(lists)
            .map(|(name, allowed)| code(form, &format!("r{i}_{name}"), allowed, errors))
            .collect();
        if let [
            Some(sex),
            Some(age_band),
            Some(purpose),
            Some(manner),
            Some(trafficked_to),
        ] = ids[..]
        {
            let group = Group {
                sex,
                age_band,
                purpose,
                manner,
                trafficked_to,
            };
            // The same group typed on two lines is one group.
            *out.entry(group).or_insert(0) += persons;
        }
    }
    out
}

/// Fields `<prefix><id>`: counts by code. A code outside `allowed` with a count is refused
/// with `foreign_key`; with zero it is ignored (a form from an older page).
fn by_code(
    form: &RawForm,
    prefix: &str,
    allowed: &[i64],
    foreign_key: &str,
    errors: &mut FieldErrors,
) -> BTreeMap<i64, i64> {
    let mut out = BTreeMap::new();
    for (name, _) in &form.0 {
        let Some(id) = name
            .strip_prefix(prefix)
            .and_then(|r| r.parse::<i64>().ok())
        else {
            continue;
        };
        let n = count(form, name, errors);
        if n == 0 {
            continue;
        }
        if allowed.contains(&id) {
            out.insert(id, n);
        } else {
            errors.add(name, foreign_key);
        }
    }
    out
}

/// Reads the whole entry form. Returns what could be read even when some fields failed, so the
/// rules below can add their messages; `errors` says whether it may be saved.
pub fn from_form(form: &RawForm, choices: &Choices, errors: &mut FieldErrors) -> MonthInput {
    MonthInput {
        carried_over: count(form, "carried_over", errors),
        received: lines(form, choices, errors),
        support: by_code(
            form,
            "support_",
            &choices.support_types,
            "stats.error.support_type_law",
            errors,
        ),
        referrals: by_code(
            form,
            "referral_",
            &choices.destinations,
            "form.choose",
            errors,
        ),
        hotline_received: count(form, "hotline_received", errors),
        hotline_handled: count(form, "hotline_handled", errors),
        hotline_referred: count(form, "hotline_referred", errors),
        loans_count: count(form, "loans_count", errors),
        loans_amount: count(form, "loans_amount", errors),
    }
}

/// The rules every saved month satisfies.
pub fn check(input: &MonthInput, errors: &mut FieldErrors) {
    let mut persons: Vec<(String, i64)> = vec![
        ("carried_over".into(), input.carried_over),
        ("hotline_received".into(), input.hotline_received),
        ("hotline_handled".into(), input.hotline_handled),
        ("hotline_referred".into(), input.hotline_referred),
        ("loans_count".into(), input.loans_count),
    ];
    persons.extend(
        input
            .support
            .iter()
            .map(|(id, n)| (format!("support_{id}"), *n)),
    );
    persons.extend(
        input
            .referrals
            .iter()
            .map(|(id, n)| (format!("referral_{id}"), *n)),
    );
    for (field, n) in &persons {
        if *n > MAX_PERSONS {
            errors.add(field, "stats.error.too_many");
        }
    }
    if input.received_total() > MAX_PERSONS {
        errors.add("received", "stats.error.too_many");
    }
    // Supported, referred or given a loan this month: people received this month or still in
    // support from before. One person may get several kinds of support, so each type is
    // checked on its own.
    let cap = input.received_total() + input.carried_over;
    for (id, n) in &input.support {
        if *n > cap {
            errors.add(&format!("support_{id}"), "stats.error.support_exceeds");
        }
    }
    for (id, n) in &input.referrals {
        if *n > cap {
            errors.add(&format!("referral_{id}"), "stats.error.referral_exceeds");
        }
    }
    if input.loans_count > cap {
        errors.add("loans_count", "stats.error.loans_exceed");
    }
    match (input.loans_count, input.loans_amount) {
        (0, 0) => {}
        (0, _) => errors.add("loans_count", "stats.error.loan_count_missing"),
        (_, 0) => errors.add("loans_amount", "stats.error.loan_amount_missing"),
        (n, amount) if amount < n.saturating_mul(MIN_LOAN) => {
            errors.add("loans_amount", "stats.error.loan_amount_small")
        }
        (n, amount) if amount > n.saturating_mul(MAX_LOAN) => {
            errors.add("loans_amount", "stats.error.loan_amount_large")
        }
        _ => {}
    }
}

/// The figures as form fields, for showing a stored month with `lines` received lines.
pub fn values_of(input: &MonthInput, lines: usize) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    let mut put = |k: String, n: i64| {
        v.insert(k, n.to_string());
    };
    put("carried_over".into(), input.carried_over);
    put("hotline_received".into(), input.hotline_received);
    put("hotline_handled".into(), input.hotline_handled);
    put("hotline_referred".into(), input.hotline_referred);
    put("loans_count".into(), input.loans_count);
    put("loans_amount".into(), input.loans_amount);
    for (id, n) in &input.support {
        put(format!("support_{id}"), *n);
    }
    for (id, n) in &input.referrals {
        put(format!("referral_{id}"), *n);
    }
    for (i, (g, n)) in input.received.iter().enumerate() {
        for (name, id) in
            LINE_FIELDS
                .iter()
                .zip([g.sex, g.age_band, g.purpose, g.manner, g.trafficked_to])
        {
            put(format!("r{i}_{name}"), id);
        }
        put(format!("r{i}_persons"), *n);
    }
    v.insert("lines".into(), lines.to_string());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices() -> Choices {
        Choices {
            sexes: vec![1, 2],
            age_bands: vec![3],
            purposes: vec![4],
            manners: vec![5],
            trafficked_to: vec![6],
            support_types: vec![10, 11],
            destinations: vec![20],
        }
    }

    fn form(pairs: &[(&str, &str)]) -> RawForm {
        RawForm(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn errors_of(pairs: &[(&str, &str)]) -> (MonthInput, Vec<String>) {
        let mut e = FieldErrors::default();
        let input = from_form(&form(pairs), &choices(), &mut e);
        check(&input, &mut e);
        (
            input,
            e.0.into_iter().map(|(k, v)| format!("{k}={v}")).collect(),
        )
    }

    const LINE: [(&str, &str); 7] = [
        ("lines", "2"),
        ("r0_sex", "2"),
        ("r0_age", "3"),
        ("r0_purpose", "4"),
        ("r0_manner", "5"),
        ("r0_where", "6"),
        ("r0_persons", "2"),
    ];

    #[test]
    fn a_valid_month_reads_whole() {
        let mut pairs = LINE.to_vec();
        pairs.extend([
            ("carried_over", "1"),
            ("support_10", "3"),
            ("referral_20", "1"),
            ("loans_count", "1"),
            ("loans_amount", "30.000.000"),
            ("r1_persons", "0"),
        ]);
        let (input, errors) = errors_of(&pairs);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(input.received_total(), 2);
        assert_eq!(input.loans_amount, 30_000_000);
        assert_eq!(input.support.get(&10), Some(&3));
    }

    #[test]
    fn each_rule_names_its_field() {
        let mut pairs = LINE.to_vec();
        pairs.extend([
            ("support_10", "4"),
            ("support_99", "1"),
            ("referral_20", "-1"),
            ("hotline_received", "ba"),
            ("loans_count", "1"),
            ("loans_amount", "30000"),
            ("r1_persons", "1"),
            ("r1_sex", ""),
            ("r1_age", "3"),
            ("r1_purpose", "77"),
            ("r1_manner", "5"),
            ("r1_where", "6"),
        ]);
        let (_, errors) = errors_of(&pairs);
        assert_eq!(
            errors,
            [
                "hotline_received=activity.error.number",
                "loans_amount=stats.error.loan_amount_small",
                "r1_purpose=form.choose",
                "r1_sex=stats.error.line_incomplete",
                "referral_20=activity.error.negative",
                "support_10=stats.error.support_exceeds",
                "support_99=stats.error.support_type_law",
            ]
        );
    }

    #[test]
    fn loans_need_both_figures_and_a_plausible_amount() {
        let (_, e) = errors_of(&[("loans_amount", "50000000")]);
        assert_eq!(e, ["loans_count=stats.error.loan_count_missing"]);
        let (_, e) = errors_of(&[("carried_over", "2"), ("loans_count", "2")]);
        assert_eq!(e, ["loans_amount=stats.error.loan_amount_missing"]);
        let (_, e) = errors_of(&[
            ("carried_over", "1"),
            ("loans_count", "1"),
            ("loans_amount", "900000000"),
        ]);
        assert_eq!(e, ["loans_amount=stats.error.loan_amount_large"]);
        let (_, e) = errors_of(&[("loans_count", "1"), ("loans_amount", "20000000")]);
        assert_eq!(e, ["loans_count=stats.error.loans_exceed"]);
    }

    #[test]
    fn the_same_group_on_two_lines_adds_up_and_round_trips() {
        let mut pairs = LINE.to_vec();
        pairs.extend([
            ("r1_sex", "2"),
            ("r1_age", "3"),
            ("r1_purpose", "4"),
            ("r1_manner", "5"),
            ("r1_where", "6"),
            ("r1_persons", "3"),
        ]);
        let (input, errors) = errors_of(&pairs);
        assert!(errors.is_empty());
        assert_eq!(input.received.len(), 1);
        assert_eq!(input.received_total(), 5);
        let values = values_of(&input, 4);
        let again: Vec<(String, String)> = values.into_iter().collect();
        let mut e = FieldErrors::default();
        let back = from_form(&RawForm(again), &choices(), &mut e);
        assert!(e.is_empty());
        assert_eq!(back, input);
    }
}

#[cfg(test)]
#[path = "input_props.rs"]
mod props;
