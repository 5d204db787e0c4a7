//! Property tests of the activity form: arbitrary text in every field (and fields the form
//! does not have) never panics; the answer is either an input that keeps every rule, or errors
//! keyed by the form's own fields with messages the catalogues translate; and a saved input
//! shown again in the edit form reads back as the same input.

use super::*;
use crate::activities::edit::values_of;
use proptest::prelude::*;

const TEXT_FIELDS: [&str; 4] = ["title", "description", "place", "notes"];
const ID_FIELDS: [&str; 4] = [
    "activity_type_id",
    "plan_item_id",
    "org_unit_id",
    "agency_id",
];
const DATE_FIELDS: [&str; 3] = ["start_date", "end_date", "held_on"];
const TIME_FIELDS: [&str; 2] = ["start_time", "end_time"];
const FIGURES: [&str; 6] = [
    "participants",
    "women",
    "ethnic_minority",
    "children",
    "broadcasts",
    "broadcast_minutes",
];

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 8, 1).unwrap()
}

/// What people (and scripts) type into a count.
fn count_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (0i64..5_000).prop_map(|n| n.to_string()),
        (0i64..2_000_000_000_000).prop_map(crate::web::format::number),
        "-?[0-9., ]{0,25}",
        Just(String::new()),
        any::<String>(),
    ]
}

fn date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (2023i32..2026, 1u32..13, 1u32..32).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        (2023i32..2026, 1u32..13, 1u32..32).prop_map(|(y, m, d)| format!("{d:02}/{m:02}/{y}")),
        // Two-digit years and signed ones, which chrono alone would read as dates.
        (1u32..29, 1u32..13, 0u32..100).prop_map(|(d, m, y)| format!("{d}/{m}/{y}")),
        "[+-]?[0-9]{1,5}-0[1-9]-1[0-9]",
        "[0-9/ +-]{0,14}",
        Just(String::new()),
        any::<String>(),
    ]
}

fn time_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..30, 0u32..70).prop_map(|(h, m)| format!("{h}:{m:02}")),
        "[0-9: ]{0,6}",
        any::<String>(),
    ]
}

fn free_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ \t]{0,2}[A-Za-zÀ-ỹ ,.]{0,40}[ \t\n]{0,2}",
        "Liên hệ 0912[ .]345[ .]678",
        "[a-z]{0,10}".prop_map(|s| s.repeat(35)),
        any::<String>(),
    ]
}

fn pair<K: Strategy<Value = String>, V: Strategy<Value = String>>(
    k: K,
    v: V,
) -> impl Strategy<Value = (String, String)> {
    (k, v)
}

fn one_of(names: &[&'static str]) -> impl Strategy<Value = String> + use<> {
    prop::sample::select(names.to_vec()).prop_map(str::to_owned)
}

/// A form of known fields (each possibly twice) and unknown ones, every value arbitrary or
/// nearly right; or a few such fields followed by a valid activity, whose fields they override
/// (a form's first value of a field is the one read), so that valid inputs are common.
fn form() -> impl Strategy<Value = RawForm> {
    let figure =
        (one_of(&["planned_", "actual_"]), one_of(&FIGURES)).prop_map(|(p, f)| p + f.as_str());
    let known = prop_oneof![
        pair(one_of(&TEXT_FIELDS), free_text()),
        pair(
            one_of(&ID_FIELDS),
            prop_oneof!["[0-9]{1,4}", any::<String>()]
        ),
        pair(one_of(&DATE_FIELDS), date_text()),
        pair(one_of(&TIME_FIELDS), time_text()),
        pair(figure, count_text()),
    ];
    let line = (
        one_of(&["material_", "budget_"]),
        prop_oneof!["-?[0-9]{1,3}", "[+0-9a-z]{0,4}"],
        one_of(&["planned", "produced", "distributed", "spent", "x"]),
        count_text(),
    )
        .prop_map(|(p, id, what, v)| (format!("{p}{id}_{what}"), v));
    let flags = pair(
        one_of(&[
            "ethnic_minority_outreach",
            "border_outreach",
            "target_groups",
            "languages",
        ]),
        prop_oneof![Just("on".to_owned()), "[0-9]{1,3}", any::<String>()],
    );
    let other = (any::<String>(), any::<String>());
    let field = prop_oneof![6 => known, 2 => line, 1 => flags, 1 => other];
    let fields = prop_oneof![
        prop::collection::vec(field.clone(), 0..40).prop_map(|f| (f, false)),
        prop::collection::vec(field, 0..6).prop_map(|f| (f, true)),
    ];
    fields.prop_map(|(mut pairs, base)| {
        if base {
            pairs.extend(
                [
                    ("title", "Nói chuyện chuyên đề"),
                    ("activity_type_id", "1"),
                    ("plan_item_id", "2"),
                    ("org_unit_id", "3"),
                    ("agency_id", "4"),
                    ("start_date", "2024-07-30"),
                    ("held_on", "2024-07-30"),
                    ("actual_participants", "40"),
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
            );
        }
        RawForm(pairs)
    })
}

/// Whether `field` is a field of the activity form.
fn known_field(field: &str) -> bool {
    let line = |prefix: &str, parts: &[&str]| {
        field.strip_prefix(prefix).is_some_and(|rest| {
            rest.split_once('_').is_some_and(|(id, what)| {
                id.parse::<i64>().is_ok_and(|n| n.to_string() == id) && parts.contains(&what)
            })
        })
    };
    TEXT_FIELDS
        .iter()
        .chain(&ID_FIELDS)
        .chain(&DATE_FIELDS)
        .chain(&TIME_FIELDS)
        .any(|f| *f == field)
        || ["planned_", "actual_"]
            .iter()
            .any(|p| field.strip_prefix(p).is_some_and(|f| FIGURES.contains(&f)))
        || line("material_", &["planned", "produced", "distributed"])
        || line("budget_", &["planned", "spent"])
}

/// Every rule of `check` and `check_held`, on an input that passed them.
fn assert_valid(i: &ActivityInput, held: bool) {
    // Dates that every export writes: four-digit years.
    for d in [Some(i.start_date), Some(i.end_date), i.held_on]
        .into_iter()
        .flatten()
    {
        assert!(crate::web::format::four_digit_year(d), "{d}");
    }
    assert!(i.start_date <= i.end_date);
    assert!((i.end_date - i.start_date).num_days() <= MAX_DAYS);
    assert!(!i.title.is_empty() && i.title.chars().count() <= 300);
    assert_eq!(i.title, i.title.trim());
    for t in [&i.description, &i.place, &i.notes].into_iter().flatten() {
        assert!(!t.is_empty());
        assert_eq!(t, t.trim());
        assert!(!crate::text::contains_personal_number(t));
    }
    assert!(!crate::text::contains_personal_number(&i.title));
    for t in [&i.start_time, &i.end_time].into_iter().flatten() {
        assert_eq!(t.len(), 5);
        assert!(chrono::NaiveTime::parse_from_str(t, "%H:%M").is_ok());
    }
    if let (Some(s), Some(e)) = (&i.start_time, &i.end_time)
        && i.start_date == i.end_date
    {
        assert!(s <= e);
    }
    for f in [&i.planned, &i.actual] {
        for part in [f.women, f.ethnic_minority, f.children]
            .into_iter()
            .flatten()
        {
            assert!(part == 0 || f.participants.is_some_and(|t| part <= t));
        }
    }
    for m in &i.materials {
        if let (Some(d), Some(p)) = (m.distributed, m.produced) {
            assert!(d <= p);
        }
    }
    assert!(i.held_on.is_none_or(|h| h <= today()));
    if held {
        assert!(i.held_on.is_some());
        let material = i
            .materials
            .iter()
            .any(|m| m.distributed.is_some() || m.produced.is_some());
        assert!(!i.actual.is_empty() || material);
    }
}

/// Every figure read, valid or not, is a whole number from 0 to 10¹².
fn assert_counts(i: &ActivityInput) {
    let figures = [&i.planned, &i.actual].into_iter().flat_map(|f| {
        [
            f.participants,
            f.women,
            f.ethnic_minority,
            f.children,
            f.broadcasts,
            f.broadcast_minutes,
        ]
    });
    let lines = i
        .materials
        .iter()
        .flat_map(|m| [m.planned, m.produced, m.distributed])
        .chain(i.budgets.iter().flat_map(|b| [b.planned, b.spent]));
    for n in figures.chain(lines).flatten() {
        assert!((0..=1_000_000_000_000).contains(&n), "{n}");
    }
}

/// The translations, read once: every message an error names must be in both.
fn catalogues() -> &'static crate::web::i18n::I18n {
    static I18N: std::sync::LazyLock<crate::web::i18n::I18n> =
        std::sync::LazyLock::new(|| crate::web::i18n::I18n::load().unwrap());
    &I18N
}

proptest! {
    #[test]
    fn any_form_gives_a_valid_input_or_errors_on_its_fields(form in form(), held in any::<bool>()) {
        let mut errors = FieldErrors::default();
        let input = from_form(&form, &mut errors);
        check(&input, today(), &mut errors);
        if held {
            check_held(&input, &mut errors);
        }
        assert_counts(&input);
        let i18n = catalogues();
        for (field, message) in &errors.0 {
            prop_assert!(known_field(field), "error on unknown field {:?}", field);
            for locale in crate::web::i18n::Locale::ALL {
                prop_assert!(i18n.table(locale).contains_key(message), "untranslated {}", message);
            }
        }
        if form.get("start_date").trim().is_empty() {
            prop_assert!(errors.0.contains_key("start_date"));
        }
        if errors.is_empty() {
            assert_valid(&input, held);
            // Shown again in the edit form (with its check boxes), it reads back the same.
            let mut pairs: Vec<(String, String)> = values_of(&input).into_iter().collect();
            pairs.extend(input.target_groups.iter().map(|g| ("target_groups".to_owned(), g.to_string())));
            pairs.extend(input.languages.iter().map(|l| ("languages".to_owned(), l.clone())));
            let mut again = FieldErrors::default();
            let back = from_form(&RawForm(pairs), &mut again);
            prop_assert!(again.is_empty(), "{:?}", again);
            prop_assert_eq!(
                serde_json::to_value(&back).unwrap(),
                serde_json::to_value(&input).unwrap()
            );
        }
    }
}

proptest! {
    /// An input as the JSON API reads it, dates from anywhere in chrono's range: it passes the
    /// rules only with four-digit years in order, at most `MAX_DAYS` apart.
    #[test]
    fn any_dates_pass_only_in_order_and_with_four_digit_years(
        start in prop_oneof![-3_000_000i32..4_000_000, 738_000i32..740_000],
        length in -5i64..400,
        held in prop::option::of(-5i64..400),
    ) {
        let start = NaiveDate::from_num_days_from_ce_opt(start).unwrap();
        let input = ActivityInput {
            title: "Nói chuyện chuyên đề".into(),
            start_date: start,
            end_date: start + chrono::Duration::days(length),
            held_on: held.map(|h| start + chrono::Duration::days(h)),
            ..Default::default()
        };
        let mut errors = FieldErrors::default();
        check(&input, today(), &mut errors);
        if errors.is_empty() {
            assert_valid(&input, false);
        }
    }
}

/// The fields the edit form fills in are the fields errors may name (but the check boxes).
#[test]
fn the_known_fields_are_the_forms() {
    let mut input = ActivityInput::default();
    input.materials.push(MaterialLine {
        kind_id: 7,
        planned: Some(1),
        produced: None,
        distributed: None,
    });
    input.budgets.push(BudgetLine {
        source_id: 8,
        planned: None,
        spent: Some(1),
    });
    for name in values_of(&input).keys() {
        let flag = matches!(
            name.as_str(),
            "ethnic_minority_outreach" | "border_outreach"
        );
        assert_eq!(known_field(name), !flag, "{name}");
    }
}
