//! The iCalendar text format (RFC 5545) for the feeds: escaping of TEXT values, folding of
//! content lines at 75 octets without cutting a UTF-8 character, the Vietnam time zone, and one
//! VEVENT per activity.
//!
//! Written here rather than with the `icalendar` crate (0.17.17): its folding lets the last
//! continuation of a long line reach 76 octets (one over the limit), and its TEXT escaping
//! passes a carriage return through raw, which breaks the line structure. Both matter here,
//! where titles are long and Vietnamese (two or three octets per letter).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The time zone of every timed event. Vietnam keeps UTC+7 all year.
pub const TZID: &str = "Asia/Ho_Chi_Minh";

/// RFC 5545 §3.1: a content line is at most 75 octets, line break excluded.
const MAX_OCTETS: usize = 75;

/// When an event happens, in Vietnam's local time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum When {
    /// Whole days; `last` is the last day the event runs (inclusive).
    AllDay { first: NaiveDate, last: NaiveDate },
    /// From `start` to `end` (exclusive), local time in [`TZID`].
    Timed {
        start: NaiveDateTime,
        end: NaiveDateTime,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Confirmed,
    Tentative,
    Cancelled,
}

impl Status {
    fn code(self) -> &'static str {
        match self {
            Status::Confirmed => "CONFIRMED",
            Status::Tentative => "TENTATIVE",
            Status::Cancelled => "CANCELLED",
        }
    }
}

/// One VEVENT.
#[derive(Clone, Debug)]
pub struct Event {
    pub uid: String,
    pub sequence: i32,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub when: When,
    pub summary: String,
    pub location: Option<String>,
    pub description: String,
    pub status: Status,
}

/// A whole calendar: header, the Vietnam time zone and the events.
pub fn calendar(name: &str, events: &[Event]) -> String {
    let mut out = Writer::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line(concat!(
        "PRODID:-//kehoach//kehoach ",
        env!("CARGO_PKG_VERSION"),
        "//VI"
    ));
    out.line("CALSCALE:GREGORIAN");
    out.line("METHOD:PUBLISH");
    out.text("X-WR-CALNAME", name);
    out.line(&format!("X-WR-TIMEZONE:{TZID}"));
    // Hints for subscribing apps; Google ignores them, Apple and Outlook follow them.
    out.line("REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    out.line("X-PUBLISHED-TTL:PT1H");
    timezone(&mut out);
    for e in events {
        event(&mut out, e);
    }
    out.line("END:VCALENDAR");
    out.0
}

/// VTIMEZONE for every TZID used: one standard period at +07:00, no daylight saving. Google
/// Calendar knows the zone by name; Outlook needs the definition.
fn timezone(out: &mut Writer) {
    out.line("BEGIN:VTIMEZONE");
    out.line(&format!("TZID:{TZID}"));
    out.line(&format!("X-LIC-LOCATION:{TZID}"));
    out.line("BEGIN:STANDARD");
    out.line("DTSTART:19700101T000000");
    out.line("TZOFFSETFROM:+0700");
    out.line("TZOFFSETTO:+0700");
    out.line("TZNAME:+07");
    out.line("END:STANDARD");
    out.line("END:VTIMEZONE");
}

fn event(out: &mut Writer, e: &Event) {
    out.line("BEGIN:VEVENT");
    out.text("UID", &e.uid);
    out.line(&format!("SEQUENCE:{}", e.sequence.max(0)));
    out.line(&format!("DTSTAMP:{}", utc(e.modified)));
    out.line(&format!("CREATED:{}", utc(e.created)));
    out.line(&format!("LAST-MODIFIED:{}", utc(e.modified)));
    match &e.when {
        When::AllDay { first, last } => {
            // DTEND of a date is exclusive: the day after the last one.
            let end = last.succ_opt().unwrap_or(*last);
            out.line(&format!("DTSTART;VALUE=DATE:{}", first.format("%Y%m%d")));
            out.line(&format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
        }
        When::Timed { start, end } => {
            out.line(&format!("DTSTART;TZID={TZID}:{}", local(*start)));
            out.line(&format!("DTEND;TZID={TZID}:{}", local(*end)));
        }
    }
    out.text("SUMMARY", &e.summary);
    if let Some(place) = e.location.as_deref().filter(|p| !p.trim().is_empty()) {
        out.text("LOCATION", place);
    }
    out.text("DESCRIPTION", &e.description);
    out.line(&format!("STATUS:{}", e.status.code()));
    // A feed shows the activities of a whole unit, most of which the subscriber does not
    // attend: they must not make the subscriber look busy to people booking meetings.
    out.line("TRANSP:TRANSPARENT");
    out.line("END:VEVENT");
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn local(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

/// Content lines, folded and ended with CRLF.
#[derive(Default)]
struct Writer(String);

impl Writer {
    fn line(&mut self, content: &str) {
        fold_into(&mut self.0, content);
    }

    /// A property whose value is TEXT, escaped.
    fn text(&mut self, name: &str, value: &str) {
        self.line(&format!("{name}:{}", escape_text(value)));
    }
}

/// RFC 5545 §3.3.11: backslash, semicolon and comma are escaped, any line break becomes `\n`,
/// and the other control characters (not allowed in TEXT) become spaces.
pub fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                // CRLF is one line break, a lone CR another.
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded so that no physical line passes 75 octets (the continuation's leading
/// space included), breaking only between characters, then CRLF.
pub fn fold_into(out: &mut String, line: &str) {
    let mut room = MAX_OCTETS;
    for c in line.chars() {
        let size = c.len_utf8();
        if size > room {
            out.push_str("\r\n ");
            room = MAX_OCTETS - 1;
        }
        out.push(c);
        room -= size;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unfold(text: &str) -> String {
        text.replace("\r\n ", "")
    }

    #[test]
    fn text_escapes_the_special_characters_and_line_breaks() {
        assert_eq!(
            escape_text("a,b;c\\d\r\ne\nf\rg\u{7}h"),
            "a\\,b\\;c\\\\d\\ne\\nf\\ng h"
        );
    }

    #[test]
    fn folding_keeps_every_line_within_75_octets_and_whole_characters() {
        let title = "SUMMARY:".to_owned()
            + "Hội nghị tuyên truyền phòng, chống mua bán người tại xã Hòa Phong "
                .repeat(5)
                .as_str();
        for line in [
            title,
            "X:".to_owned() + "a".repeat(148).as_str(),
            "ệ".repeat(100),
        ] {
            let mut out = String::new();
            fold_into(&mut out, &line);
            assert!(out.ends_with("\r\n"));
            for physical in out.trim_end_matches("\r\n").split("\r\n") {
                assert!(
                    physical.len() <= 75,
                    "{} octets: {physical}",
                    physical.len()
                );
            }
            assert_eq!(unfold(&out).trim_end_matches("\r\n"), line);
        }
    }

    #[test]
    fn a_line_of_exactly_75_octets_is_not_folded() {
        let mut out = String::new();
        fold_into(&mut out, &"b".repeat(75));
        assert_eq!(out, format!("{}\r\n", "b".repeat(75)));
    }

    #[test]
    fn all_day_events_end_the_day_after_their_last_day() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let t = DateTime::parse_from_rfc3339("2024-06-20T02:00:00Z")
            .unwrap()
            .to_utc();
        let text = calendar(
            "Xã Hòa Phong",
            &[Event {
                uid: "activity-1@kehoach".into(),
                sequence: 2,
                created: t,
                modified: t,
                when: When::AllDay {
                    first: d("2024-07-30"),
                    last: d("2024-07-31"),
                },
                summary: "Mít tinh".into(),
                location: None,
                description: String::new(),
                status: Status::Cancelled,
            }],
        );
        assert!(text.contains("\r\nDTSTART;VALUE=DATE:20240730\r\n"));
        assert!(text.contains("\r\nDTEND;VALUE=DATE:20240801\r\n"));
        assert!(text.contains("\r\nSTATUS:CANCELLED\r\n"));
        assert!(text.contains("\r\nDTSTAMP:20240620T020000Z\r\n"));
        assert!(!text.contains("\r\nLOCATION"));
    }
}

#[cfg(test)]
#[path = "format_props.rs"]
mod props;
