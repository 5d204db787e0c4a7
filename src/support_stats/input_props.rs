//! Property tests of the month's entry form: arbitrary text in every field never panics; the
//! answer is either a month that keeps every rule, or errors keyed by the form's own fields
//! with messages the catalogues translate; and a saved month shown again reads back the same.

use super::*;
use proptest::prelude::*;

fn choices() -> Choices {
    Choices {
        sexes: vec![1, 2],
        age_bands: vec![3, 4],
        purposes: vec![5],
        manners: vec![6],
        trafficked_to: vec![7, 8],
        support_types: vec![10, 11, 12],
        destinations: vec![20, 21],
    }
}

const SINGLE: [&str; 6] = [
    "carried_over",
    "hotline_received",
    "hotline_handled",
    "hotline_referred",
    "loans_count",
    "loans_amount",
];

fn count_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0i64..8).prop_map(|n| n.to_string()),
        1 => (0i64..20_000).prop_map(|n| n.to_string()),
        1 => (1_000_000i64..2_000_000_000).prop_map(crate::web::format::number),
        1 => "-?[0-9., ]{0,25}",
        1 => Just(String::new()),
        1 => any::<String>(),
    ]
}

fn code_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0i64..25).prop_map(|n| n.to_string()),
        1 => Just(String::new()),
        1 => any::<String>(),
    ]
}

fn form() -> impl Strategy<Value = RawForm> {
    let single =
        (prop::sample::select(SINGLE.to_vec()), count_text()).prop_map(|(k, v)| (k.to_owned(), v));
    let line = (
        0usize..6,
        prop::sample::select(LINE_FIELDS.to_vec()),
        code_text(),
    )
        .prop_map(|(i, f, v)| (format!("r{i}_{f}"), v));
    let persons = (0usize..6, count_text()).prop_map(|(i, v)| (format!("r{i}_persons"), v));
    let lines = prop_oneof!["[0-9]{1,3}", any::<String>()].prop_map(|v| ("lines".to_owned(), v));
    let by_code = (
        prop::sample::select(vec!["support_", "referral_"]),
        prop_oneof![(0i64..25).prop_map(|n| n.to_string()), "[+-]?[0-9a-z]{0,3}"],
        count_text(),
    )
        .prop_map(|(p, id, v)| (format!("{p}{id}"), v));
    let other = (any::<String>(), any::<String>());
    let field =
        prop_oneof![2 => single, 3 => line, 2 => persons, 1 => lines, 2 => by_code, 1 => other];
    // Arbitrary fields, or a few of them followed by a valid month they override.
    prop_oneof![
        prop::collection::vec(field.clone(), 0..40),
        prop::collection::vec(field, 0..6).prop_map(|mut pairs| {
            pairs.extend(
                [
                    ("lines", "1"),
                    ("r0_sex", "2"),
                    ("r0_age", "3"),
                    ("r0_purpose", "5"),
                    ("r0_manner", "6"),
                    ("r0_where", "7"),
                    ("r0_persons", "6"),
                    ("carried_over", "1"),
                    ("support_10", "4"),
                    ("referral_20", "2"),
                    ("loans_count", "1"),
                    ("loans_amount", "30.000.000"),
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
            );
            pairs
        }),
    ]
    .prop_map(RawForm)
}

/// Whether errors may name `field`: a field of the form, or the received total.
fn known_field(field: &str) -> bool {
    let numbered = |prefix: &str| {
        field
            .strip_prefix(prefix)
            .and_then(|id| id.parse::<i64>().ok())
            .is_some()
    };
    let line = field
        .strip_prefix('r')
        .and_then(|r| r.split_once('_'))
        .is_some_and(|(i, f)| {
            i.parse::<usize>().is_ok_and(|i| i < MAX_LINES)
                && (f == "persons" || LINE_FIELDS.contains(&f))
        });
    SINGLE.contains(&field)
        || field == "received"
        || line
        || numbered("support_")
        || numbered("referral_")
}

/// Every rule of `check`, on a month that passed it.
fn assert_valid(m: &MonthInput, c: &Choices) {
    let cap = m.received_total() + m.carried_over;
    for n in [
        m.carried_over,
        m.hotline_received,
        m.hotline_handled,
        m.hotline_referred,
        m.loans_count,
        m.received_total(),
    ] {
        assert!((0..=MAX_PERSONS).contains(&n), "{n}");
    }
    for (g, n) in &m.received {
        assert!(*n > 0);
        assert!(c.sexes.contains(&g.sex) && c.age_bands.contains(&g.age_band));
        assert!(c.purposes.contains(&g.purpose) && c.manners.contains(&g.manner));
        assert!(c.trafficked_to.contains(&g.trafficked_to));
    }
    for (id, n) in &m.support {
        assert!(c.support_types.contains(id) && (1..=cap.min(MAX_PERSONS)).contains(n));
    }
    for (id, n) in &m.referrals {
        assert!(c.destinations.contains(id) && (1..=cap.min(MAX_PERSONS)).contains(n));
    }
    assert!(m.loans_count <= cap);
    match (m.loans_count, m.loans_amount) {
        (0, a) => assert_eq!(a, 0),
        (n, a) => assert!(n * MIN_LOAN <= a && a <= n * MAX_LOAN),
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
    fn any_form_gives_a_valid_month_or_errors_on_its_fields(form in form()) {
        let c = choices();
        let mut errors = FieldErrors::default();
        let input = from_form(&form, &c, &mut errors);
        check(&input, &mut errors);
        let i18n = catalogues();
        for (field, message) in &errors.0 {
            prop_assert!(known_field(field), "error on unknown field {:?}", field);
            for locale in crate::web::i18n::Locale::ALL {
                prop_assert!(i18n.table(locale).contains_key(message), "untranslated {}", message);
            }
        }
        // Whatever was typed, what was read is never negative.
        let read = [input.carried_over, input.loans_amount, input.hotline_received]
            .into_iter()
            .chain(input.received.values().copied())
            .chain(input.support.values().copied())
            .chain(input.referrals.values().copied());
        for n in read {
            prop_assert!(n >= 0);
        }
        if errors.is_empty() {
            assert_valid(&input, &c);
            let lines = input.received.len();
            let shown: Vec<(String, String)> = values_of(&input, lines).into_iter().collect();
            let mut again = FieldErrors::default();
            let back = from_form(&RawForm(shown), &c, &mut again);
            prop_assert!(again.is_empty(), "{:?}", again);
            prop_assert_eq!(back, input);
        }
    }
}
