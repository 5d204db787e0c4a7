//! Property tests of the report composer: arbitrary figures and texts (markup, ampersands,
//! control characters, decomposed Vietnamese) give drafts that a refresh rewrites while keeping
//! what people wrote, and a DOCX and an XLSX whose XML is well-formed, whose figures are all
//! there as the document writes numbers, and where user text is escaped, never markup.

use crate::documents::format_number;
use crate::documents::tests::part;
use crate::entities::{agency, org_unit, plan, report, reporting_period};
use crate::reports::document::{ReportDoc, docx, xlsx};
use crate::reports::figures::*;
use crate::reports::narrative::{Level, Narrative, Section, drafts, refresh};
use chrono::{DateTime, NaiveDate};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use unicode_normalization::UnicodeNormalization;

// ---------------------------------------------------------------------------------------------
// Generators

/// Text as users and code lists write it, with the characters that break documents.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[A-Za-zÀ-ỹ0-9 .,;:()/-]{0,24}",
        // Decomposed letters: the document composes them (NFC).
        "([aeo][\u{300}\u{301}\u{302}\u{303}\u{309}\u{323}]){1,4}",
        Just("<script>alert('x')</script>".to_owned()),
        Just("Tom & Jerry <b>\"đậm\"</b> &amp; &#x1; ]]>".to_owned()),
        "[\u{0}-\u{1f}\u{7f}\u{85}\u{fffe}\u{ffff}]{1,3}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..4).prop_map(|p| p.concat())
}

/// Several lines, as a section a person wrote.
fn prose() -> impl Strategy<Value = String> {
    prop::collection::vec(text(), 0..4).prop_map(|l| l.join("\n"))
}

fn n() -> impl Strategy<Value = i64> {
    prop_oneof![0i64..10, 0i64..100_000, 0i64..1_000_000_000_000]
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (730_000i32..770_000).prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap())
}

fn area(number: usize) -> impl Strategy<Value = AreaFigures> {
    let by_type = prop::collection::vec(
        (text(), text(), n(), n()).prop_map(|(code, name, sessions, participants)| TypeCount {
            code,
            name,
            sessions,
            participants,
        }),
        0..3,
    );
    let materials = prop::collection::vec(
        (text(), text(), n(), n()).prop_map(|(code, name, produced, distributed)| MaterialCount {
            code,
            name,
            produced,
            distributed,
        }),
        0..3,
    );
    let targets = prop::collection::vec(
        (text(), text(), n(), n()).prop_map(|(indicator, name, target, result)| TargetLine {
            indicator,
            name,
            target,
            result,
        }),
        0..3,
    );
    (
        (text(), n(), n(), n(), n(), n(), n(), n(), n(), n(), n()),
        (n(), n(), n(), n(), n(), n()),
        (by_type, materials, targets),
    )
        .prop_map(move |(a, b, (by_type, materials, targets))| AreaFigures {
            area: crate::plans::areas::AreaKind::ALL
                [number % crate::plans::areas::AreaKind::ALL.len()]
            .code()
            .to_owned(),
            item_id: i64::try_from(number).unwrap_or(0),
            number,
            heading: a.0,
            sessions: a.1,
            participants: a.2,
            women: a.3,
            ethnic_minority: a.4,
            children: a.5,
            broadcasts: a.6,
            broadcast_minutes: a.7,
            trainings: a.8,
            trainees: a.9,
            inspections: a.10,
            by_type,
            materials,
            tasks_done: b.0,
            tasks_open: b.1,
            persons_supported: b.2,
            budget_spent: b.5,
            targets,
            previous_sessions: b.3,
            previous_participants: b.4,
        })
}

fn figures() -> impl Strategy<Value = Figures> {
    let areas = (0usize..=7).prop_flat_map(|k| (1..=k).map(area).collect::<Vec<_>>());
    let unit = (
        text(),
        any::<bool>(),
        any::<bool>(),
        (n(), n(), n(), n(), n(), n(), n()),
        1i64..1000,
    )
        .prop_map(|(name, e, b, v, unit_id)| UnitRow {
            unit_id,
            name,
            ethnic_minority: e,
            border_area: b,
            sessions: v.0,
            participants: v.1,
            women: v.2,
            ethnic: v.3,
            children: v.4,
            distributed: v.5,
            broadcasts: v.6,
        });
    let budget = (text(), text(), n(), n()).prop_map(|(code, name, planned, spent)| BudgetRow {
        code,
        name,
        planned,
        spent,
    });
    let training = (1i64..1000, text(), date(), text(), n()).prop_map(
        |(activity_id, title, date, unit, trainees)| TrainingRow {
            activity_id,
            title,
            date,
            unit,
            trainees,
        },
    );
    let support =
        (text(), text(), text(), n()).prop_map(|(code, name, legal_basis, persons)| SupportLine {
            code,
            name,
            legal_basis,
            persons,
        });
    let victims = (
        (n(), n(), n(), n(), n(), n(), n(), n()),
        prop::collection::vec(support, 0..3),
    )
        .prop_map(|(v, supported)| Victims {
            received: v.0,
            received_women: v.1,
            received_children: v.2,
            supported,
            hotline_received: v.3,
            hotline_handled: v.4,
            hotline_referred: v.5,
            loans_count: v.6,
            loans_amount: v.7,
            withheld: false,
        });
    let coverage = (n(), n(), n(), n(), n(), n()).prop_map(|c| Coverage {
        units: c.0,
        units_reached: c.1,
        ethnic_units: c.2,
        ethnic_reached: c.3,
        border_units: c.4,
        border_reached: c.5,
    });
    (
        (date(), date(), n(), n(), n(), n(), n(), n()),
        areas,
        prop::collection::vec(unit, 0..5),
        prop::collection::vec(budget, 0..4),
        coverage,
        prop::collection::vec(training, 0..4),
        victims,
    )
        .prop_map(
            |(h, areas, units, budget, coverage, training, victims)| Figures {
                period_start: h.0,
                period_end: h.1,
                activities_held: h.2,
                activities_planned: h.3,
                participants: h.4,
                women: h.5,
                ethnic_minority: h.6,
                children: h.7,
                areas,
                units,
                budget,
                coverage,
                training,
                victims,
                direction: Default::default(),
            },
        )
}

fn level() -> impl Strategy<Value = Level> {
    prop_oneof![
        Just(Level::Compiled),
        Just(Level::Unit),
        Just(Level::Agency)
    ]
}

/// What people wrote in some sections (and in a key no level has).
fn written() -> impl Strategy<Value = BTreeMap<String, Option<String>>> {
    let areas: Vec<String> = (1..=7).map(|n| format!("area_{n}")).collect();
    let keys: BTreeSet<&str> = crate::reports::narrative::COMPILED_TAIL
        .iter()
        .chain(crate::reports::narrative::UNIT_TAIL)
        .chain(crate::reports::narrative::AGENCY)
        .copied()
        .chain(["situation", "leadership", "results", "retired_section"])
        .chain(areas.iter().map(String::as_str))
        .collect();
    let keys: Vec<String> = keys.into_iter().map(str::to_owned).collect();
    prop::collection::btree_map(prop::sample::select(keys), prop::option::of(prose()), 0..8)
}

fn narrative_of(written: &BTreeMap<String, Option<String>>, old_draft: &str) -> Narrative {
    written
        .iter()
        .map(|(k, text)| {
            (
                k.clone(),
                Section {
                    draft: old_draft.to_owned(),
                    text: text.clone(),
                },
            )
        })
        .collect()
}

/// The rows a report document is made of, around the figures and the narrative.
#[derive(Debug)]
struct Rows {
    report: report::Model,
    period: reporting_period::Model,
    plan: plan::Model,
    unit: org_unit::Model,
    agency: Option<agency::Model>,
}

fn rows(level: Level) -> impl Strategy<Value = Rows> {
    let at = DateTime::from_timestamp(1_720_000_000, 0).unwrap();
    (
        (text(), text(), text(), prose()),
        (
            prop::option::of(prop_oneof![text(), Just("05/BC-UBND".to_owned())]),
            prop::option::of(date()),
        ),
        (text(), date(), prop::option::of(text()), text()),
        (prop_oneof![Just("Huyện "), Just("Xã "), Just("")], text()),
        (text(), text()),
    )
        .prop_map(
            move |(
                signer,
                (number, document_date),
                (period_title, end, plan_number, plan_title),
                (kind, unit_name),
                (agency_code, agency_name),
            )| {
                let agency_id = (level == Level::Agency).then_some(9);
                Rows {
                    report: report::Model {
                        id: 1,
                        period_id: 2,
                        org_unit_id: 3,
                        agency_id,
                        level: if level == Level::Compiled {
                            "compiled"
                        } else {
                            "unit"
                        }
                        .to_owned(),
                        status: "draft".to_owned(),
                        narrative: String::new(),
                        snapshot: None,
                        submitted_at: None,
                        approved_at: None,
                        approved_by: None,
                        return_comment: None,
                        document_number: number,
                        document_date,
                        signer_authority: signer.0,
                        signer_title: signer.1,
                        signer_name: signer.2,
                        recipients: signer.3,
                        version: 1,
                        created_at: at,
                        updated_at: at,
                    },
                    period: reporting_period::Model {
                        id: 2,
                        kind: "year".to_owned(),
                        title: period_title,
                        period_start: end,
                        period_end: end,
                        due_date: end,
                        plan_id: 4,
                        org_unit_id: 3,
                        status: "open".to_owned(),
                        created_by: None,
                        created_at: at,
                        updated_at: at,
                    },
                    plan: plan::Model {
                        id: 4,
                        code: "kh".to_owned(),
                        number: plan_number,
                        title: plan_title,
                        org_unit_id: 3,
                        drafting_agency_id: None,
                        period_start: end,
                        period_end: end,
                        status: "issued".to_owned(),
                        issued_on: None,
                        place: String::new(),
                        preamble: String::new(),
                        signer_authority: String::new(),
                        signer_title: String::new(),
                        signer_name: String::new(),
                        recipients: String::new(),
                        parent_plan_id: None,
                        source_plan_id: None,
                        created_by: None,
                        created_at: at,
                        updated_at: at,
                    },
                    unit: org_unit::Model {
                        id: 3,
                        code: "u".to_owned(),
                        gso_code: None,
                        name: format!("{kind}{unit_name}"),
                        kind: "district".to_owned(),
                        parent_id: None,
                        valid_from: None,
                        valid_to: None,
                        ethnic_minority: false,
                        border_area: false,
                        created_at: at,
                        updated_at: at,
                        search_name: String::new(),
                    },
                    agency: agency_id.map(|id| agency::Model {
                        id,
                        code: agency_code,
                        org_unit_id: 3,
                        name: agency_name,
                        short_name: String::new(),
                        kind: "police".to_owned(),
                        active: true,
                        created_at: at,
                        updated_at: at,
                        search_name: String::new(),
                        search_short: String::new(),
                    }),
                }
            },
        )
}

// ---------------------------------------------------------------------------------------------
// A small XML reader: enough to tell well-formed XML 1.0 from anything else, and to read text.

/// XML 1.0 §2.2: the characters a document may contain at all.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Character data with its references resolved; an error on a raw `<`, a bare `&`, an unknown
/// entity or a reference to a character XML does not allow.
fn decode(data: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = data;
    while let Some(at) = rest.find(['&', '<']) {
        out.push_str(&rest[..at]);
        if rest[at..].starts_with('<') {
            return Err(format!("raw < in {data:?}"));
        }
        let end = rest[at..]
            .find(';')
            .ok_or_else(|| format!("bare & in {data:?}"))?;
        let entity = &rest[at + 1..at + end];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match entity.strip_prefix("#x") {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => entity
                        .strip_prefix('#')
                        .ok_or_else(|| format!("unknown entity &{entity};"))?
                        .parse(),
                }
                .map_err(|_| format!("bad reference &{entity};"))?;
                char::from_u32(code)
                    .filter(|c| xml_char(*c))
                    .ok_or_else(|| format!("&{entity}; is not an XML character"))?
            }
        };
        out.push(c);
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn name_at(s: &str) -> Result<(&str, &str), String> {
    let end = s
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>' || c == '=')
        .unwrap_or(s.len());
    let name = &s[..end];
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'));
    if ok {
        Ok((name, &s[end..]))
    } else {
        Err(format!("bad name at {:?}", &s[..s.len().min(40)]))
    }
}

/// A well-formed document: its element names and the text of its `w:t` elements (Word's runs).
#[derive(Debug, Default)]
struct Xml {
    elements: BTreeSet<String>,
    runs: Vec<String>,
}

fn parse(xml: &str) -> Result<Xml, String> {
    if let Some(c) = xml.chars().find(|c| !xml_char(*c)) {
        return Err(format!("{c:?} is not an XML character"));
    }
    let mut out = Xml::default();
    let mut open: Vec<&str> = Vec::new();
    let mut roots = 0;
    let mut rest = xml.trim_start_matches('\u{feff}');
    loop {
        let at = rest.find('<').unwrap_or(rest.len());
        if rest[..at].contains("]]>") {
            return Err("]]> in character data".to_owned());
        }
        let data = decode(&rest[..at])?;
        match open.last() {
            None if !data.trim().is_empty() => {
                return Err(format!("text outside the root: {data:?}"));
            }
            Some(&"w:t") => {
                if let Some(run) = out.runs.last_mut() {
                    run.push_str(&data);
                }
            }
            _ => {}
        }
        rest = &rest[at..];
        if rest.is_empty() {
            break;
        }
        if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[r.find("?>").ok_or("unclosed <?")? + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->").ok_or("unclosed comment")? + 3..];
        } else if let Some(r) = rest.strip_prefix("</") {
            let (name, r) = name_at(r)?;
            let r = r.trim_start().strip_prefix('>').ok_or("unclosed end tag")?;
            if open.pop() != Some(name) {
                return Err(format!("</{name}> closes nothing open"));
            }
            rest = r;
        } else {
            let (name, mut r) = name_at(&rest[1..])?;
            if open.is_empty() {
                roots += 1;
            }
            out.elements.insert(name.to_owned());
            let mut attributes = BTreeSet::new();
            let empty = loop {
                r = r.trim_start();
                if let Some(after) = r.strip_prefix("/>") {
                    r = after;
                    break true;
                }
                if let Some(after) = r.strip_prefix('>') {
                    r = after;
                    break false;
                }
                let (attribute, after) = name_at(r)?;
                if !attributes.insert(attribute) {
                    return Err(format!("{attribute} twice on <{name}>"));
                }
                let after = after.trim_start().strip_prefix('=').ok_or("= expected")?;
                let after = after.trim_start();
                let quote = after.chars().next().filter(|q| matches!(q, '"' | '\''));
                let quote = quote.ok_or("quoted value expected")?;
                let value_end = after[1..].find(quote).ok_or("unclosed value")?;
                decode(&after[1..1 + value_end])?;
                r = &after[value_end + 2..];
            };
            if name == "w:t" {
                out.runs.push(String::new());
            }
            if !empty {
                open.push(name);
            }
            rest = r;
        }
    }
    if !open.is_empty() {
        return Err(format!("{open:?} left open"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(out)
}

#[test]
fn the_xml_reader_tells_good_from_bad() {
    let good = parse(
        "<?xml version=\"1.0\"?>\n<w:document a=\"1 &amp; 2\" b='&lt;'><w:p><w:t xml:space=\"preserve\">a &lt;b&gt; &#x1EA1;</w:t></w:p><w:br/></w:document>",
    )
    .unwrap();
    assert_eq!(good.runs, ["a <b> ạ"]);
    for bad in [
        "<a><b></a></b>",
        "<a>x < y</a>",
        "<a>Tom & Jerry</a>",
        "<a>\u{1}</a>",
        "<a>&#x1;</a>",
        "<a b=\"<\"/>",
        "<a/><b/>",
        "<a>",
        "<a x=\"1\" x=\"2\"/>",
        "<a><script>",
        "<a>]]></a>",
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Properties

/// A text as the document writes it: line breaks as spaces, the characters XML forbids
/// dropped, then NFC.
fn in_document(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .map(|c| if matches!(c, '\r' | '\n') { ' ' } else { c })
        .filter(|c| xml_char(*c))
        .nfc()
        .collect()
}

/// The figures of the annex tables, each of which the document must show.
fn annex_figures(f: &Figures) -> Vec<i64> {
    let mut out = Vec::new();
    let units = |g: fn(&UnitRow) -> i64| f.units.iter().map(g).collect::<Vec<_>>();
    let columns: [fn(&UnitRow) -> i64; 7] = [
        |u: &UnitRow| u.sessions,
        |u: &UnitRow| u.participants,
        |u: &UnitRow| u.women,
        |u: &UnitRow| u.ethnic,
        |u: &UnitRow| u.children,
        |u: &UnitRow| u.distributed,
        |u: &UnitRow| u.broadcasts,
    ];
    // An annex with nothing to show is left out of the document, its totals with it.
    if f.units.iter().any(|u| u.sessions > 0) {
        for g in columns {
            let column = units(g);
            out.push(column.iter().sum());
            out.extend(column);
        }
    }
    if !f.training.is_empty() {
        out.extend(f.training.iter().map(|t| t.trainees));
        out.push(f.training.iter().map(|t| t.trainees).sum());
    }
    if !f.budget.is_empty() {
        out.extend(f.budget.iter().flat_map(|b| [b.planned, b.spent]));
        out.push(f.budget.iter().map(|b| b.planned).sum());
        out.push(f.budget.iter().map(|b| b.spent).sum());
    }
    let v = &f.victims;
    let nothing = v.received == 0
        && v.supported.iter().all(|l| l.persons == 0)
        && v.hotline_received == 0
        && v.loans_count == 0;
    if v.withheld || !nothing {
        out.extend([
            v.received,
            v.received_women,
            v.received_children,
            v.hotline_received,
            v.hotline_referred,
            v.loans_count,
            v.loans_amount,
        ]);
        out.extend(v.supported.iter().map(|l| l.persons));
    }
    out
}

/// The texts of the annex tables, as cells.
fn annex_texts(f: &Figures) -> Vec<String> {
    let mut out = Vec::new();
    let units = if f.units.iter().any(|u| u.sessions > 0) {
        &f.units[..]
    } else {
        &[]
    };
    for u in units {
        let mut name = u.name.clone();
        if u.ethnic_minority {
            name.push_str(" (DTTS)");
        }
        if u.border_area {
            name.push_str(" (giáp ranh)");
        }
        out.push(name);
    }
    for t in &f.training {
        out.push(t.title.clone());
        out.push(t.unit.clone());
    }
    out.extend(f.budget.iter().map(|b| b.name.clone()));
    out.extend(
        f.victims
            .supported
            .iter()
            .map(|l| format!("Hỗ trợ: {} ({})", l.name, l.legal_basis)),
    );
    out
}

/// The sections the official document prints for a level.
fn printed_sections(f: &Figures, level: Level) -> Vec<String> {
    match level {
        Level::Compiled => {
            let mut keys = vec!["situation".to_owned(), "leadership".to_owned()];
            keys.extend(f.areas.iter().map(|a| format!("area_{}", a.number)));
            keys.extend(
                [
                    "funding",
                    "strengths",
                    "shortcomings",
                    "causes",
                    "lessons",
                    "next_tasks",
                    "recommendations",
                ]
                .map(str::to_owned),
            );
            keys
        }
        Level::Unit => {
            let mut keys = vec!["situation".to_owned(), "results".to_owned()];
            keys.extend(f.areas.iter().map(|a| format!("area_{}", a.number)));
            keys.extend(
                ["strengths", "shortcomings", "next_tasks", "recommendations"].map(str::to_owned),
            );
            keys
        }
        Level::Agency => [
            "situation",
            "results",
            "strengths",
            "shortcomings",
            "next_tasks",
            "recommendations",
        ]
        .map(str::to_owned)
        .to_vec(),
    }
}

fn zip_parts(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).unwrap();
            (file.name().to_owned(), text)
        })
        .collect()
}

proptest! {
    // Two sets of figures full of text per case: a hundred cases keep it to a few seconds.
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// A refresh gives exactly the level's sections, keeps every text a person wrote (and
    /// only those), and takes every draft from the figures; twice is once.
    #[test]
    fn a_refresh_keeps_what_people_wrote_and_redrafts_the_rest(
        f in figures(),
        g in figures(),
        level in level(),
        written in written(),
    ) {
        let current = narrative_of(&written, "an old draft");
        let once = refresh(&current, &f, level);
        let keys: Vec<&str> = once.keys().map(String::as_str).collect();
        let mut expected = level.sections(&f);
        expected.sort_unstable();
        prop_assert_eq!(keys, expected.iter().map(String::as_str).collect::<Vec<_>>());
        let new = drafts(&f, level);
        for (k, s) in &once {
            prop_assert_eq!(&s.text, &written.get(k).cloned().flatten());
            prop_assert_eq!(&s.draft, &new.get(k).cloned().unwrap_or_default());
        }
        // Every draft written lands in a section of the level.
        for k in new.keys() {
            prop_assert!(level.sections(&f).contains(k), "draft {} is never shown", k);
        }
        prop_assert_eq!(&refresh(&once, &f, level), &once);
        // New figures: the same texts, the new drafts.
        let later = refresh(&once, &g, level);
        let newer = drafts(&g, level);
        for (k, s) in &later {
            // An area the new figures add has nothing written yet.
            prop_assert_eq!(&s.text, &once.get(k).and_then(|o| o.text.clone()));
            prop_assert_eq!(&s.draft, &newer.get(k).cloned().unwrap_or_default());
        }
    }

    /// The drafts cite the figures as the document writes numbers.
    #[test]
    fn drafts_cite_the_figures(f in figures()) {
        let compiled = drafts(&f, Level::Compiled);
        for a in &f.areas {
            let d = &compiled[&format!("area_{}", a.number)];
            if a.previous_sessions == 0 {
                prop_assert!(!d.contains("cùng kỳ"), "{:?}", d);
            }
            if a.sessions > 0 {
                for t in &a.by_type {
                    let what = if t.code == "training" { "lớp tập huấn" } else { "hoạt động" };
                    let cited = format!("{} {what}", format_number(t.sessions));
                    prop_assert!(d.contains(&cited), "{:?} in {:?}", cited, d);
                }
                if a.participants > 0 {
                    let cited = format!("với {} lượt người tham dự", format_number(a.participants));
                    prop_assert!(d.contains(&cited));
                }
            }
        }
        let spent: i64 = f.budget.iter().map(|b| b.spent).sum();
        if f.budget.iter().any(|b| b.spent > 0) {
            let cited = format!("Tổng kinh phí đã chi {} đồng", format_number(spent));
            prop_assert!(compiled["funding"].contains(&cited));
        }
        let unit = drafts(&f, Level::Unit);
        if f.activities_held > 0 {
            let cited = format!("đã tổ chức {} hoạt động", format_number(f.activities_held));
            prop_assert!(unit["results"].contains(&cited));
        } else {
            prop_assert!(unit["results"].contains("chưa tổ chức hoạt động"));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The DOCX: a zip of well-formed XML parts, the same bytes every time, every annex figure
    /// written as `format_number` writes it, every annex text and every written paragraph in
    /// its own run (escaped, composed, without what XML forbids), and no element but Word's.
    #[test]
    fn the_docx_is_well_formed_and_shows_every_figure_and_text(
        (level, rows) in level().prop_flat_map(|l| (Just(l), rows(l))),
        f in figures(),
        written in written(),
    ) {
        let narrative = refresh(&narrative_of(&written, ""), &f, level);
        let doc = ReportDoc {
            report: &rows.report,
            period: &rows.period,
            plan: &rows.plan,
            unit: &rows.unit,
            plan_unit: None,
            agency: rows.agency.as_ref(),
            figures: &f,
            narrative: &narrative,
        };
        let bytes = docx(&doc).unwrap();
        prop_assert!(bytes == docx(&doc).unwrap(), "two renders differ");
        for (name, text) in zip_parts(&bytes) {
            if name.ends_with(".xml") || name.ends_with(".rels") {
                parse(&text).map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
            }
        }
        let xml = part(&bytes, "word/document.xml");
        let read = parse(&xml).unwrap();
        // Word's elements only (all of them namespaced): user text never became markup.
        for e in &read.elements {
            prop_assert!(e.contains(':'), "element <{}> in the document", e);
        }
        let runs: BTreeSet<&str> = read.runs.iter().map(String::as_str).collect();
        for n in annex_figures(&f) {
            prop_assert!(runs.contains(format_number(n).as_str()), "{} is missing", n);
        }
        for t in annex_texts(&f) {
            let t = in_document(&t);
            prop_assert!(runs.contains(t.as_str()), "{:?} is missing", t);
        }
        for key in printed_sections(&f, level) {
            let current = narrative.get(&key).map(Section::current).unwrap_or_default();
            for line in current.trim().split('\n').map(str::trim).filter(|l| !l.is_empty()) {
                let line = in_document(line);
                prop_assert!(runs.contains(line.as_str()), "{}: {:?} is missing", key, line);
            }
        }
        if level == Level::Compiled {
            for t in f.areas.iter().flat_map(|a| &a.targets) {
                let bullet = in_document(&format!(
                    "- {}: kế hoạch {}, thực hiện {}.",
                    t.name,
                    format_number(t.target),
                    format_number(t.result)
                ));
                prop_assert!(runs.contains(bullet.as_str()), "{:?} is missing", bullet);
            }
        }
    }

    /// The XLSX: a zip of well-formed XML parts, with every annex figure a number cell.
    #[test]
    fn the_xlsx_is_well_formed_and_has_every_figure(
        (level, rows) in level().prop_flat_map(|l| (Just(l), rows(l))),
        f in figures(),
    ) {
        let narrative = refresh(&Narrative::new(), &f, level);
        let doc = ReportDoc {
            report: &rows.report,
            period: &rows.period,
            plan: &rows.plan,
            unit: &rows.unit,
            plan_unit: None,
            agency: rows.agency.as_ref(),
            figures: &f,
            narrative: &narrative,
        };
        let bytes = xlsx(&doc).unwrap();
        let mut sheets = String::new();
        for (name, text) in zip_parts(&bytes) {
            if name.ends_with(".xml") || name.ends_with(".rels") {
                parse(&text).map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
                prop_assert!(!text.contains("<script"), "markup in {}", name);
            }
            if name.starts_with("xl/worksheets/") {
                sheets.push_str(&text);
            }
        }
        for n in annex_figures(&f) {
            prop_assert!(sheets.contains(&format!("<v>{n}</v>")), "{} is missing", n);
        }
    }
}
