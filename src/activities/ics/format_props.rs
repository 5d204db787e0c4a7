//! Property tests of the iCalendar output: arbitrary event texts (Vietnamese with combining
//! marks, emoji, CR, LF, commas, semicolons, backslashes, control characters, very long) give a
//! calendar whose every physical line is at most 75 octets and ends in CRLF, whose folding is
//! undone by unfolding, whose TEXT values unescape to the text (line breaks as LF, other control
//! characters as spaces), and whose BEGIN/END lines balance.

use super::*;
use chrono::{DateTime, NaiveDate};
use proptest::prelude::*;

/// Pieces that exercise escaping and folding, mixed with arbitrary text.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 ]{0,20}",
        "[àảãáạăằẳẵắặâầẩẫấậđèẻẽéẹêềểễếệìỉĩíịòỏõóọôồổỗốộơờởỡớợùủũúụưừửữứựỳỷỹýỵ ]{0,30}",
        // Decomposed Vietnamese: base letters followed by combining marks.
        "([aeiouy][\u{300}\u{301}\u{303}\u{309}\u{323}\u{302}\u{306}\u{31b}]{1,2}){1,10}",
        "[,;\\\\:\"\r\n\t\u{0}\u{7}\u{1b}\u{7f}\u{85}\u{2028}]{1,6}",
        "(😀|👨‍👩‍👧|🇻🇳|\r\n| ){1,8}",
        Just("Hội nghị tuyên truyền phòng, chống mua bán người; tại xã Hòa Phong\\".repeat(4)),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

fn date() -> impl Strategy<Value = NaiveDate> {
    // Years 1000–9856: four digits each, a year of room after.
    (365_000i32..3_600_000).prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap())
}

fn event() -> impl Strategy<Value = Event> {
    let when = prop_oneof![
        (date(), 0u64..400).prop_map(|(first, days)| When::AllDay {
            first,
            last: first + chrono::Days::new(days),
        }),
        (date(), 0u32..86_400, 0i64..100_000).prop_map(|(d, s, len)| {
            let start = d.and_hms_opt(s / 3600, s / 60 % 60, s % 60).unwrap();
            When::Timed {
                start,
                end: start + chrono::Duration::seconds(len),
            }
        }),
    ];
    let status = prop_oneof![
        Just(Status::Confirmed),
        Just(Status::Tentative),
        Just(Status::Cancelled)
    ];
    (
        (
            text(),
            any::<i32>(),
            0i64..253_402_300_799,
            0i64..253_402_300_799,
        ),
        (when, text(), prop::option::of(text()), text(), status),
    )
        .prop_map(
            |((uid, sequence, c, m), (when, summary, location, description, status))| Event {
                uid,
                sequence,
                created: DateTime::from_timestamp(c, 0).unwrap(),
                modified: DateTime::from_timestamp(m, 0).unwrap(),
                when,
                summary,
                location,
                description,
                status,
            },
        )
}

/// The text as the calendar carries it: CRLF and a lone CR are each one line break (LF), and
/// the control characters TEXT does not allow read as spaces.
fn normalised(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// RFC 5545 §3.3.11 read back strictly: an unknown escape, a lone backslash or a raw comma or
/// semicolon is an error.
fn unescape(value: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\\') => out.push('\\'),
                Some(';') => out.push(';'),
                Some(',') => out.push(','),
                Some('n' | 'N') => out.push('\n'),
                other => return Err(format!("bad escape \\{other:?} in {value:?}")),
            },
            ',' | ';' => return Err(format!("raw {c:?} in {value:?}")),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Checks the physical lines and returns the logical ones (unfolded).
fn lines(ics: &str) -> Vec<String> {
    let body = ics.strip_suffix("\r\n").expect("the calendar ends in CRLF");
    let physical: Vec<&str> = body.split("\r\n").collect();
    let mut logical: Vec<String> = Vec::new();
    for (n, text) in physical.iter().enumerate() {
        assert!(text.len() <= 75, "{} octets at line {n}", text.len());
        assert!(!text.contains(['\r', '\n']), "a bare CR or LF at line {n}");
        match text.strip_prefix(' ') {
            Some(rest) => {
                let last = logical.last_mut().expect("a continuation follows a line");
                // Folded only where the next character would not fit.
                let previous = physical[n - 1].len();
                let next = rest.chars().next().map_or(0, char::len_utf8);
                assert!(previous + next > 75, "folded early at line {n}");
                last.push_str(rest);
            }
            None => logical.push((*text).to_owned()),
        }
    }
    logical
}

/// The value of the first logical line of property `name` (one without parameters).
fn value<'a>(lines: &'a [String], name: &str) -> Option<&'a str> {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
}

proptest! {
    #[test]
    fn escaped_text_unescapes_to_the_normalised_text(t in text()) {
        let escaped = escape_text(&t);
        prop_assert!(!escaped.contains(['\r', '\n']));
        prop_assert_eq!(unescape(&escaped), Ok(normalised(&t)));
    }

    #[test]
    fn a_folded_line_unfolds_to_itself(t in text()) {
        let mut out = String::new();
        fold_into(&mut out, &format!("X:{}", escape_text(&t)));
        let logical = lines(&out);
        prop_assert_eq!(logical, vec![format!("X:{}", escape_text(&t))]);
    }

    #[test]
    fn a_calendar_is_well_formed_and_carries_the_texts(
        name in text(),
        events in prop::collection::vec(event(), 0..4),
    ) {
        let ics = calendar(&name, &events);
        let logical = lines(&ics);
        // Every logical line is a content line: a name, then parameters or the value.
        for l in &logical {
            let name_len = l.find([':', ';']).unwrap_or(0);
            prop_assert!(name_len > 0, "no property name in {:?}", l);
            prop_assert!(l[..name_len].chars().all(|c| c.is_ascii_uppercase() || c == '-'));
        }
        // BEGIN/END balance, VCALENDAR outermost.
        let mut open: Vec<&str> = Vec::new();
        let mut events_seen = 0;
        for l in &logical {
            if let Some(b) = l.strip_prefix("BEGIN:") {
                prop_assert!(!open.is_empty() || b == "VCALENDAR");
                events_seen += usize::from(b == "VEVENT");
                open.push(b);
            } else if let Some(e) = l.strip_prefix("END:") {
                prop_assert_eq!(open.pop(), Some(e));
                prop_assert!(!open.is_empty() || l == logical.last().unwrap());
            }
        }
        prop_assert!(open.is_empty());
        prop_assert_eq!(events_seen, events.len());
        prop_assert_eq!(logical.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
        prop_assert_eq!(
            value(&logical, "X-WR-CALNAME").map(unescape),
            Some(Ok(normalised(&name)))
        );
        // Each VEVENT gives back its texts.
        let blocks: Vec<&[String]> = logical
            .split(|l| l == "BEGIN:VEVENT")
            .skip(1)
            .collect();
        prop_assert_eq!(blocks.len(), events.len());
        for (e, block) in events.iter().zip(blocks) {
            let end = block.iter().position(|l| l == "END:VEVENT").unwrap();
            let block = &block[..end];
            prop_assert_eq!(value(block, "UID").map(unescape), Some(Ok(normalised(&e.uid))));
            prop_assert_eq!(value(block, "SUMMARY").map(unescape), Some(Ok(normalised(&e.summary))));
            prop_assert_eq!(
                value(block, "DESCRIPTION").map(unescape),
                Some(Ok(normalised(&e.description)))
            );
            let place = e.location.as_deref().filter(|p| !p.trim().is_empty());
            prop_assert_eq!(
                value(block, "LOCATION").map(unescape),
                place.map(|p| Ok(normalised(p)))
            );
            prop_assert_eq!(
                value(block, "SEQUENCE").map(str::to_owned),
                Some(e.sequence.max(0).to_string())
            );
            // Dates are eight digits, times fifteen characters: never a sign or a fold.
            let dtstart = block.iter().find(|l| l.starts_with("DTSTART")).unwrap();
            let stamp = &dtstart[dtstart.rfind(':').unwrap() + 1..];
            prop_assert!(stamp.len() == 8 || stamp.len() == 15, "{}", dtstart);
        }
    }
}
