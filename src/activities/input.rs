//! An activity as typed (a form or a JSON body) and the rules it must satisfy before anything is
//! written: figures that add up, dates in order, a held date not in the future, no phone or ID
//! numbers in free text. The rules here need no database; `service` checks the references.

use crate::web::format::{four_digit_year, parse_date};
use crate::web::forms::{FieldErrors, RawForm, non_empty};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The longest an activity may last (end date minus start date, in days); longer work is a
/// series. It is also the bound a period query falls back on when it has not looked up the
/// longest span actually stored (`activities::repo::longest_span`).
pub const MAX_DAYS: i64 = 366;

/// The earliest start date of an activity that can still overlap a period beginning on `from`,
/// when no activity lasts more than `longest_span` days: an activity that ends on or after
/// `from` started at most that long before it. Queries add it as a lower bound on `start_date`
/// so that the (org_unit_id, start_date) indexes read the period's rows, not every earlier one.
pub fn earliest_start(from: chrono::NaiveDate, longest_span: i64) -> chrono::NaiveDate {
    from.checked_sub_days(chrono::Days::new(
        longest_span.clamp(0, MAX_DAYS).unsigned_abs(),
    ))
    .unwrap_or(from)
}

/// Participants and broadcasts, planned or actual.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub participants: Option<i64>,
    pub women: Option<i64>,
    pub ethnic_minority: Option<i64>,
    pub children: Option<i64>,
    pub broadcasts: Option<i64>,
    pub broadcast_minutes: Option<i64>,
}

impl Figures {
    pub fn is_empty(&self) -> bool {
        *self == Figures::default()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialLine {
    pub kind_id: i64,
    pub planned: Option<i64>,
    pub produced: Option<i64>,
    pub distributed: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetLine {
    pub source_id: i64,
    pub planned: Option<i64>,
    pub spent: Option<i64>,
}

/// Everything about an activity that a user sets, validated.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ActivityInput {
    pub activity_type_id: i64,
    pub title: String,
    pub description: Option<String>,
    pub plan_item_id: i64,
    pub org_unit_id: i64,
    pub agency_id: i64,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub place: Option<String>,
    pub target_groups: Vec<i64>,
    pub languages: Vec<String>,
    pub ethnic_minority_outreach: bool,
    pub border_outreach: bool,
    pub planned: Figures,
    pub actual: Figures,
    pub held_on: Option<NaiveDate>,
    pub materials: Vec<MaterialLine>,
    pub budgets: Vec<BudgetLine>,
    pub notes: Option<String>,
}

/// The largest count or amount any form, import or API call accepts (a trillion: larger than
/// any budget in đồng, small enough that millions of them add up within an `i64`).
pub const MAX_COUNT: i64 = 1_000_000_000_000;

/// An activity as read for totals: every figure within 0 to [`MAX_COUNT`], so that a figure
/// stored before that limit existed cannot overflow a sum (millions of rows would be needed).
pub fn bounded(mut a: crate::entities::activity::Model) -> crate::entities::activity::Model {
    for v in [
        &mut a.planned_participants,
        &mut a.planned_women,
        &mut a.planned_ethnic_minority,
        &mut a.planned_children,
        &mut a.participants,
        &mut a.participants_women,
        &mut a.participants_ethnic_minority,
        &mut a.participants_children,
        &mut a.planned_broadcasts,
        &mut a.planned_broadcast_minutes,
        &mut a.broadcasts,
        &mut a.broadcast_minutes,
    ] {
        *v = v.map(|n| n.clamp(0, MAX_COUNT));
    }
    a
}

/// A whole number typed by a person: "1.250" and "1 250" mean 1250; empty means not given.
pub fn parse_count(raw: &str, field: &str, errors: &mut FieldErrors) -> Option<i64> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, '.' | ' ' | ','))
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    match cleaned.parse::<i64>() {
        Ok(n) if n < 0 => {
            errors.add(field, "activity.error.negative");
            None
        }
        Ok(n) if n > MAX_COUNT => {
            errors.add(field, "activity.error.too_big");
            None
        }
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(field, "activity.error.number");
            None
        }
    }
}

/// A time of day typed as `HH:MM`, 00:00 to 23:59; empty means not given.
pub fn parse_time(raw: &str, field: &str, errors: &mut FieldErrors) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    match chrono::NaiveTime::parse_from_str(t, "%H:%M") {
        Ok(time) => Some(time.format("%H:%M").to_string()),
        Err(_) => {
            errors.add(field, "activity.error.time");
            None
        }
    }
}

fn id(form: &RawForm, field: &str, errors: &mut FieldErrors) -> i64 {
    match form.get(field).trim().parse::<i64>() {
        Ok(v) => v,
        Err(_) => {
            errors.add(field, "form.choose");
            0
        }
    }
}

fn date(form: &RawForm, field: &str, errors: &mut FieldErrors) -> Option<NaiveDate> {
    let raw = form.get(field);
    if raw.trim().is_empty() {
        return None;
    }
    let parsed = parse_date(raw);
    if parsed.is_none() {
        errors.add(field, "form.date");
    }
    parsed
}

pub fn figures(form: &RawForm, prefix: &str, errors: &mut FieldErrors) -> Figures {
    let mut f = |name: &str| {
        parse_count(
            form.get(&format!("{prefix}{name}")),
            &format!("{prefix}{name}"),
            errors,
        )
    };
    Figures {
        participants: f("participants"),
        women: f("women"),
        ethnic_minority: f("ethnic_minority"),
        children: f("children"),
        broadcasts: f("broadcasts"),
        broadcast_minutes: f("broadcast_minutes"),
    }
}

/// Material lines `material_<kind>_<planned|produced|distributed>`.
pub fn materials(form: &RawForm, errors: &mut FieldErrors) -> Vec<MaterialLine> {
    let mut kinds: Vec<i64> = form
        .0
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("material_"))
        .filter_map(|rest| rest.split('_').next())
        .filter_map(|id| id.parse().ok())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
        .into_iter()
        .map(|kind_id| {
            let mut f = |what: &str| {
                let name = format!("material_{kind_id}_{what}");
                parse_count(form.get(&name), &name, errors)
            };
            MaterialLine {
                kind_id,
                planned: f("planned"),
                produced: f("produced"),
                distributed: f("distributed"),
            }
        })
        .filter(|m| m.planned.is_some() || m.produced.is_some() || m.distributed.is_some())
        .collect()
}

/// Budget lines `budget_<source>_<planned|spent>`, in đồng.
pub fn budgets(form: &RawForm, errors: &mut FieldErrors) -> Vec<BudgetLine> {
    let mut sources: Vec<i64> = form
        .0
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("budget_"))
        .filter_map(|rest| rest.split('_').next())
        .filter_map(|id| id.parse().ok())
        .collect();
    sources.sort_unstable();
    sources.dedup();
    sources
        .into_iter()
        .map(|source_id| {
            let mut f = |what: &str| {
                let name = format!("budget_{source_id}_{what}");
                parse_count(form.get(&name), &name, errors)
            };
            BudgetLine {
                source_id,
                planned: f("planned"),
                spent: f("spent"),
            }
        })
        .filter(|b| b.planned.is_some() || b.spent.is_some())
        .collect()
}

/// Reads the full activity form. Returns the input even when some fields failed, so the rules
/// below can add their own messages; `errors` says whether it may be saved.
pub fn from_form(form: &RawForm, errors: &mut FieldErrors) -> ActivityInput {
    let start = date(form, "start_date", errors);
    if start.is_none() && !errors.0.contains_key("start_date") {
        errors.add("start_date", "form.required");
    }
    let end = date(form, "end_date", errors).or(start);
    ActivityInput {
        activity_type_id: id(form, "activity_type_id", errors),
        title: form.get("title").trim().to_owned(),
        description: non_empty(form.get("description")),
        plan_item_id: id(form, "plan_item_id", errors),
        org_unit_id: id(form, "org_unit_id", errors),
        agency_id: id(form, "agency_id", errors),
        start_date: start.unwrap_or_default(),
        end_date: end.unwrap_or_default(),
        start_time: parse_time(form.get("start_time"), "start_time", errors),
        end_time: parse_time(form.get("end_time"), "end_time", errors),
        place: non_empty(form.get("place")),
        target_groups: form
            .all("target_groups")
            .iter()
            .filter_map(|v| v.parse().ok())
            .collect(),
        languages: form
            .all("languages")
            .iter()
            .map(|v| (*v).to_owned())
            .collect(),
        ethnic_minority_outreach: form.checked("ethnic_minority_outreach"),
        border_outreach: form.checked("border_outreach"),
        planned: figures(form, "planned_", errors),
        actual: figures(form, "actual_", errors),
        held_on: date(form, "held_on", errors),
        materials: materials(form, errors),
        budgets: budgets(form, errors),
        notes: non_empty(form.get("notes")),
    }
}

fn part_of(f: &Figures, prefix: &str, errors: &mut FieldErrors) {
    let total = f.participants;
    for (value, name) in [
        (f.women, "women"),
        (f.ethnic_minority, "ethnic_minority"),
        (f.children, "children"),
    ] {
        match (value, total) {
            (Some(v), Some(t)) if v > t => {
                errors.add(&format!("{prefix}{name}"), "activity.error.part_of_total")
            }
            (Some(v), None) if v > 0 => errors.add(
                &format!("{prefix}participants"),
                "activity.error.total_missing",
            ),
            _ => {}
        }
    }
}

/// Free text must not carry phone or ID numbers (docs/domain.md, privacy rules) and is at most
/// [`crate::text::LONG_TEXT`] characters: each must make a [`crate::text::FreeText`].
pub fn check_free_text(fields: &[(&str, Option<&str>)], errors: &mut FieldErrors) {
    for (name, value) in fields {
        if let Some(v) = value {
            crate::text::free_text(name, v, crate::text::LONG_TEXT, errors);
        }
    }
}

/// The rules every saved activity satisfies.
pub fn check(input: &ActivityInput, today: NaiveDate, errors: &mut FieldErrors) {
    if input.title.is_empty() {
        errors.add("title", "form.required");
    }
    if input.title.chars().count() > 300 {
        errors.add("title", "activity.error.too_long");
    }
    // The JSON API reads dates with chrono, which also takes `-2024-07-30` or `+12345-01-01`.
    for (field, date) in [
        ("start_date", Some(input.start_date)),
        ("end_date", Some(input.end_date)),
        ("held_on", input.held_on),
    ] {
        if date.is_some_and(|d| !four_digit_year(d)) {
            errors.add(field, "form.date");
        }
    }
    if input.end_date < input.start_date {
        errors.add("end_date", "activity.error.end_before_start");
    } else if (input.end_date - input.start_date).num_days() > MAX_DAYS {
        errors.add("end_date", "activity.error.too_many_days");
    }
    if let (Some(s), Some(e)) = (&input.start_time, &input.end_time)
        && input.start_date == input.end_date
        && e < s
    {
        errors.add("end_time", "activity.error.end_before_start");
    }
    part_of(&input.planned, "planned_", errors);
    part_of(&input.actual, "actual_", errors);
    for m in &input.materials {
        if let (Some(d), Some(p)) = (m.distributed, m.produced)
            && d > p
        {
            errors.add(
                &format!("material_{}_distributed", m.kind_id),
                "activity.error.distributed",
            );
        }
    }
    if let Some(h) = input.held_on
        && h > today
    {
        errors.add("held_on", "activity.error.held_future");
    }
    check_free_text(
        &[
            ("title", Some(input.title.as_str())),
            ("description", input.description.as_deref()),
            ("place", input.place.as_deref()),
            ("notes", input.notes.as_deref()),
        ],
        errors,
    );
}

/// What logging an activity as held requires: the actual date and at least one actual figure.
pub fn check_held(input: &ActivityInput, errors: &mut FieldErrors) {
    if input.held_on.is_none() {
        errors.add("held_on", "activity.error.held_date");
    }
    let any_material = input
        .materials
        .iter()
        .any(|m| m.distributed.is_some() || m.produced.is_some());
    if input.actual.is_empty() && !any_material {
        errors.add("actual_participants", "activity.error.figures_required");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> ActivityInput {
        ActivityInput {
            title: "Nói chuyện chuyên đề".into(),
            start_date: NaiveDate::from_ymd_opt(2024, 7, 30).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2024, 7, 30).unwrap(),
            ..Default::default()
        }
    }

    fn errors_of(input: &ActivityInput) -> Vec<String> {
        let mut e = FieldErrors::default();
        check(input, NaiveDate::from_ymd_opt(2024, 8, 1).unwrap(), &mut e);
        e.0.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
    }

    #[test]
    fn each_rule_names_its_field() {
        assert!(errors_of(&base()).is_empty());
        let mut i = base();
        i.actual = Figures {
            participants: Some(50),
            women: Some(60),
            children: Some(51),
            ..Default::default()
        };
        assert_eq!(
            errors_of(&i),
            [
                "actual_children=activity.error.part_of_total",
                "actual_women=activity.error.part_of_total"
            ]
        );
        let mut i = base();
        i.end_date = NaiveDate::from_ymd_opt(2024, 7, 29).unwrap();
        i.held_on = NaiveDate::from_ymd_opt(2024, 8, 2);
        i.notes = Some("Liên hệ chị Lan 0912345678".into());
        i.materials = vec![MaterialLine {
            kind_id: 3,
            planned: None,
            produced: Some(100),
            distributed: Some(120),
        }];
        assert_eq!(
            errors_of(&i),
            [
                "end_date=activity.error.end_before_start",
                "held_on=activity.error.held_future",
                "material_3_distributed=activity.error.distributed",
                "notes=activity.error.personal_data",
            ]
        );
    }

    #[test]
    fn an_activity_lasts_at_most_a_year_and_a_period_reads_back_that_far() {
        let mut i = base();
        i.end_date = i.start_date + chrono::Duration::days(MAX_DAYS);
        assert!(errors_of(&i).is_empty());
        i.end_date += chrono::Duration::days(1);
        assert_eq!(errors_of(&i), ["end_date=activity.error.too_many_days"]);
        let from = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert_eq!(
            earliest_start(from, MAX_DAYS),
            NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
        );
        assert_eq!(
            earliest_start(from, 1),
            NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()
        );
        assert_eq!(earliest_start(from, 0), from);
    }

    #[test]
    fn counts_read_the_way_people_write_them() {
        let mut e = FieldErrors::default();
        assert_eq!(parse_count("1.250", "x", &mut e), Some(1250));
        assert_eq!(parse_count(" 1 250 ", "x", &mut e), Some(1250));
        assert_eq!(parse_count("", "x", &mut e), None);
        assert!(e.is_empty());
        assert_eq!(parse_count("-3", "neg", &mut e), None);
        assert_eq!(parse_count("ba mươi", "word", &mut e), None);
        assert_eq!(
            e.0.get("neg").map(String::as_str),
            Some("activity.error.negative")
        );
        assert_eq!(
            e.0.get("word").map(String::as_str),
            Some("activity.error.number")
        );
    }
}

#[cfg(test)]
#[path = "input_props.rs"]
mod props;
