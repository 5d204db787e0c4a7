//! The narrative of a report: its sections, each with a draft written from the figures in
//! natural Vietnamese and the text the compiler edited. A refresh of the figures rewrites the
//! drafts; an edited text is kept (and marked when its draft has changed since).

use crate::reports::figures::{AreaFigures, Figures};
use crate::reports::phrases;
use crate::web::format::number;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Section {
    /// Written from the figures.
    pub draft: String,
    /// What a person wrote; `None` means the draft stands.
    pub text: Option<String>,
}

impl Section {
    pub fn current(&self) -> &str {
        self.text.as_deref().unwrap_or(&self.draft)
    }
}

pub type Narrative = BTreeMap<String, Section>;

/// Which kind of report a narrative belongs to: it decides the sections and how the drafts read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The requesting unit's report, composed from the whole scope.
    Compiled,
    /// A responding unit's report.
    Unit,
    /// A responding partner agency's report: its own activities and tasks.
    Agency,
}

impl Level {
    pub fn of(r: &crate::entities::report::Model) -> Level {
        if r.level == crate::reports::service::COMPILED {
            Level::Compiled
        } else if r.agency_id.is_some() {
            Level::Agency
        } else {
            Level::Unit
        }
    }

    /// The sections of a report of this level whose plan has the content areas of `f`, in
    /// order: one `area_<n>` per content area of the plan reported on.
    pub fn sections(self, f: &Figures) -> Vec<String> {
        let areas = f.areas.iter().map(|a| format!("area_{}", a.number));
        let keys = |head: &[&str], tail: &[&str]| -> Vec<String> {
            head.iter()
                .map(|k| (*k).to_owned())
                .chain(areas.clone())
                .chain(tail.iter().map(|k| (*k).to_owned()))
                .collect()
        };
        match self {
            Level::Compiled => keys(&["situation", "leadership"], COMPILED_TAIL),
            Level::Unit => keys(&["situation", "results"], UNIT_TAIL),
            Level::Agency => AGENCY.iter().map(|k| (*k).to_owned()).collect(),
        }
    }
}

/// The sections of a compiled report after its content areas, in order.
pub const COMPILED_TAIL: &[&str] = &[
    "funding",
    "strengths",
    "shortcomings",
    "causes",
    "lessons",
    "next_tasks",
    "recommendations",
];

/// The sections of a unit's report after its content areas.
pub const UNIT_TAIL: &[&str] = &["strengths", "shortcomings", "next_tasks", "recommendations"];

/// The sections of a partner agency's report: its own work is not organised by the plan's areas.
pub const AGENCY: &[&str] = &[
    "situation",
    "results",
    "strengths",
    "shortcomings",
    "next_tasks",
    "recommendations",
];

/// The section that must say something before a report of this level is approved: section II's
/// opening (direction for the compiled report, the unit's own results otherwise).
pub fn required(level: Level) -> &'static str {
    match level {
        Level::Compiled => "leadership",
        Level::Unit | Level::Agency => "results",
    }
}

/// The required section left empty, if any.
pub fn missing_required(n: &Narrative, level: Level) -> Option<&'static str> {
    let key = required(level);
    n.get(key)
        .is_none_or(|s| s.current().trim().is_empty())
        .then_some(key)
}

/// The area that carries the victim-support figures: the plan's victim-support area, else its
/// inspection and statistics area.
fn victims_area(f: &Figures) -> Option<usize> {
    ["victim_support", "inspection"]
        .iter()
        .find_map(|k| f.areas.iter().find(|a| a.area == *k))
        .map(|a| a.number)
}

/// What an area's own rows say: activities by type, materials, broadcasts, coordination tasks
/// and what they achieved, money spent, and the year-on-year comparison where the earlier year
/// holds data. Empty when the area has nothing recorded.
pub fn area_draft(a: &AreaFigures) -> String {
    let sentences = [
        phrases::activities(a),
        phrases::materials(a),
        phrases::broadcasts(a.broadcasts, a.broadcast_minutes),
        phrases::tasks(a.tasks_done, a.tasks_open, a.persons_supported),
        phrases::area_budget(a.budget_spent),
        phrases::year_on_year(a.sessions, a.previous_sessions, "hoạt động"),
    ];
    sentences
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The sentence drafted from the victim figures (empty when there are none).
pub fn victims_draft(f: &Figures) -> String {
    phrases::victims(&f.victims).unwrap_or_default()
}

/// "xã, phường, thị trấn": the kinds of the units counted, as their names say.
fn unit_kinds(f: &Figures) -> String {
    let mut kinds: Vec<String> = Vec::new();
    for u in &f.units {
        if let (Some(w), _) = crate::org_units::split_name(&u.name) {
            let w = w.to_lowercase();
            if !kinds.contains(&w) {
                kinds.push(w);
            }
        }
    }
    if kinds.is_empty() {
        "đơn vị".to_owned()
    } else {
        kinds.join(", ")
    }
}

fn targets(f: &Figures) -> Vec<&crate::reports::figures::TargetLine> {
    f.areas.iter().flat_map(|a| &a.targets).collect()
}

fn idle_units(f: &Figures) -> Vec<String> {
    f.units
        .iter()
        .filter(|u| u.sessions == 0)
        .map(|u| u.name.clone())
        .collect()
}

fn lines(parts: impl IntoIterator<Item = Option<String>>) -> String {
    parts.into_iter().flatten().collect::<Vec<_>>().join("\n")
}

/// III.1: what went well, from the data.
fn strengths(f: &Figures, level: Level) -> String {
    let t = targets(f);
    let mut parts = vec![phrases::targets_met(&t)];
    if level == Level::Compiled {
        parts.push(phrases::coverage_reached(
            f.coverage.units_reached,
            f.coverage.units,
            &unit_kinds(f),
        ));
    } else {
        // An area counts when it has results of any kind: the victims' figures drafted in
        // their own area count as that area's results (the same rule as `idle_areas`).
        let active = f.areas.len() - idle_areas(f).len();
        parts.push(phrases::areas_with_results(active, f.areas.len()));
    }
    lines(parts)
}

fn idle_areas(f: &Figures) -> Vec<String> {
    let victims_in = victims_area(f);
    let has_victims = !victims_draft(f).is_empty();
    f.areas
        .iter()
        .filter(|a| area_draft(a).is_empty() && !(has_victims && victims_in == Some(a.number)))
        .map(|a| a.heading.clone())
        .collect()
}

/// III.2: the shortcomings the data shows; their causes are the writer's.
fn shortcomings(f: &Figures, level: Level) -> String {
    let d = &f.direction;
    let mut parts = Vec::new();
    if level == Level::Compiled {
        parts.push(phrases::units_without_activity(
            &idle_units(f),
            f.coverage.units,
            &unit_kinds(f),
        ));
    }
    parts.push(phrases::idle_areas(&idle_areas(f)));
    parts.push(phrases::targets_missed(&targets(f), d.time_gone));
    if let Some(r) = &d.reports {
        parts.extend(
            phrases::reports_behind(&r.late, &r.missing)
                .into_iter()
                .map(Some),
        );
    }
    parts.push(phrases::overdue_tasks(d.tasks_overdue));
    lines(parts)
}

/// IV: the next period's plan items and what the shortcomings ask.
fn next_tasks(f: &Figures, level: Level) -> String {
    let d = &f.direction;
    let idle = if level == Level::Compiled {
        idle_units(f)
    } else {
        Vec::new()
    };
    let missed = targets(f)
        .iter()
        .filter(|t| t.target > 0 && t.result < t.target)
        .count();
    let missed = if phrases::targets_missed(&targets(f), d.time_gone).is_some() {
        missed
    } else {
        0
    };
    let mut parts = vec![phrases::next_items(&d.next_items)];
    // Naming every idle commune twice says nothing new when most are idle.
    let idle = if idle.len() <= 5 { idle } else { Vec::new() };
    parts.extend(
        phrases::remedies(&idle, missed, d.tasks_overdue)
            .into_iter()
            .map(Some),
    );
    lines(parts)
}

/// The drafts written from the figures, section by section.
pub fn drafts(f: &Figures, level: Level) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let d = &f.direction;
    out.insert("situation".to_owned(), String::new());
    match level {
        Level::Agency => {
            let mut results = vec![if f.activities_held > 0 {
                format!(
                    "Trong kỳ, cơ quan đã chủ trì tổ chức {} hoạt động tuyên truyền, thu hút {} lượt người tham dự.",
                    number(f.activities_held),
                    number(f.participants)
                )
            } else {
                "Trong kỳ, cơ quan chưa chủ trì tổ chức hoạt động tuyên truyền nào.".to_owned()
            }];
            // An agency's share of the plan is often coordination work rather than events.
            results.extend(f.areas.iter().map(area_draft).filter(|t| !t.is_empty()));
            out.insert("results".to_owned(), results.join(" "));
        }
        Level::Compiled => {
            let mut lead = phrases::direction(d);
            if lead.is_empty()
                && let Some(p) = &d.plan
            {
                lead.push(format!(
                    "{} triển khai thực hiện Kế hoạch về {}.",
                    p.issuer, p.title
                ));
            }
            out.insert("leadership".to_owned(), lead.join(" "));
            for a in &f.areas {
                out.insert(format!("area_{}", a.number), area_draft(a));
            }
            let spent: Vec<(String, i64)> =
                f.budget.iter().map(|b| (b.name.clone(), b.spent)).collect();
            out.insert(
                "funding".to_owned(),
                phrases::funding(&spent).unwrap_or_default(),
            );
            add_victims(&mut out, f, "leadership");
            for k in ["causes", "lessons"] {
                out.insert(k.to_owned(), String::new());
            }
        }
        Level::Unit => {
            // The unit's own plan made from the superior one; the basis line cites the latter.
            let mut results = if d.superior.is_some() {
                phrases::direction(d)
            } else {
                phrases::amendments(&d.amendments).into_iter().collect()
            };
            results.push(phrases::totals(
                &d.kind_word,
                f.activities_held,
                f.participants,
            ));
            out.insert("results".to_owned(), results.join(" "));
            for a in &f.areas {
                out.insert(format!("area_{}", a.number), area_draft(a));
            }
            add_victims(&mut out, f, "results");
        }
    }
    out.insert("strengths".to_owned(), strengths(f, level));
    out.insert("shortcomings".to_owned(), shortcomings(f, level));
    out.insert("next_tasks".to_owned(), next_tasks(f, level));
    out.insert("recommendations".to_owned(), String::new());
    out
}

/// Adds the victim-support figures to the plan's victim-support area, or to `fallback`.
fn add_victims(out: &mut BTreeMap<String, String>, f: &Figures, fallback: &str) {
    let extra = victims_draft(f);
    if extra.is_empty() {
        return;
    }
    let key = victims_area(f).map_or_else(|| fallback.to_owned(), |n| format!("area_{n}"));
    if let Some(text) = out.get_mut(&key) {
        *text = if text.is_empty() {
            extra
        } else {
            format!("{text} {extra}")
        };
    }
}

/// Rewrites the drafts from new figures, keeping what people wrote.
pub fn refresh(current: &Narrative, f: &Figures, level: Level) -> Narrative {
    let keys = level.sections(f);
    let drafts = drafts(f, level);
    keys.into_iter()
        .map(|k| {
            let old = current.get(&k);
            (
                k.clone(),
                Section {
                    draft: drafts.get(&k).cloned().unwrap_or_default(),
                    text: old.and_then(|s| s.text.clone()),
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::figures::{MaterialCount, TypeCount};

    #[test]
    fn the_draft_reads_like_a_report() {
        let a = AreaFigures {
            sessions: 25,
            participants: 1250,
            women: 640,
            ethnic_minority: 120,
            by_type: vec![TypeCount {
                code: "talk".into(),
                name: "Nói chuyện chuyên đề".into(),
                sessions: 25,
                participants: 1250,
            }],
            materials: vec![MaterialCount {
                code: "leaflet".into(),
                name: "Tờ rơi".into(),
                produced: 600,
                distributed: 500,
            }],
            previous_sessions: 20,
            ..Default::default()
        };
        assert_eq!(
            area_draft(&a),
            "Trong kỳ, đã tổ chức 25 hoạt động nói chuyện chuyên đề với 1.250 lượt người tham dự, \
             trong đó 640 lượt nữ và 120 lượt người dân tộc thiểu số. Cấp phát 500 tờ rơi. \
             So với cùng kỳ năm trước, số hoạt động tăng 5 (từ 20 lên 25)."
        );
        // Nothing recorded: nothing drafted, and the document leaves the area out.
        assert_eq!(area_draft(&AreaFigures::default()), "");
        // An area with only statistics says what they are and nothing about activities.
        let stats_only = Figures {
            areas: vec![AreaFigures {
                number: 1,
                area: "victim_support".into(),
                heading: "Tiếp nhận, hỗ trợ nạn nhân".into(),
                ..Default::default()
            }],
            victims: crate::reports::figures::Victims {
                received: 4,
                received_women: 4,
                ..Default::default()
            },
            ..Default::default()
        };
        let d = drafts(&stats_only, Level::Compiled);
        assert_eq!(
            d["area_1"],
            "Tiếp nhận 4 nạn nhân bị mua bán trở về (cả 4 đều là nữ)."
        );
        assert!(!d["shortcomings"].contains("Tiếp nhận, hỗ trợ nạn nhân"));
    }

    #[test]
    fn an_agency_draft_speaks_of_the_agency_and_its_coordination_work() {
        let tasks_only = Figures {
            areas: vec![AreaFigures {
                number: 3,
                tasks_done: 2,
                persons_supported: 3,
                tasks_open: 1,
                ..Default::default()
            }],
            ..Default::default()
        };
        let d = drafts(&tasks_only, Level::Agency);
        assert_eq!(
            d.get("results").map(String::as_str),
            Some(
                "Trong kỳ, cơ quan chưa chủ trì tổ chức hoạt động tuyên truyền nào. \
                 Hoàn thành 2 nhiệm vụ phối hợp, hỗ trợ 3 người; 1 nhiệm vụ đang thực hiện."
            )
        );
        assert_eq!(
            d.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "next_tasks",
                "recommendations",
                "results",
                "shortcomings",
                "situation",
                "strengths"
            ]
        );
        let held = Figures {
            activities_held: 3,
            participants: 1250,
            ..Default::default()
        };
        assert!(drafts(&held, Level::Agency)["results"].starts_with(
            "Trong kỳ, cơ quan đã chủ trì tổ chức 3 hoạt động tuyên truyền, thu hút 1.250 lượt"
        ));
    }

    #[test]
    fn an_empty_required_section_is_named() {
        let mut n = Narrative::new();
        assert_eq!(missing_required(&n, Level::Unit), Some("results"));
        n.insert(
            "leadership".into(),
            Section {
                draft: "  ".into(),
                text: None,
            },
        );
        assert_eq!(missing_required(&n, Level::Compiled), Some("leadership"));
        n.insert(
            "leadership".into(),
            Section {
                draft: String::new(),
                text: Some("Đã ban hành Kế hoạch.".into()),
            },
        );
        assert_eq!(missing_required(&n, Level::Compiled), None);
        // Drafted from the figures, a unit's results always say something.
        let d = drafts(&Figures::default(), Level::Unit);
        assert!(!d["results"].is_empty());
    }

    #[test]
    fn a_refresh_keeps_what_people_wrote() {
        let f = Figures::default();
        let mut n = refresh(&Narrative::new(), &f, Level::Unit);
        n.insert(
            "results".into(),
            Section {
                draft: "cũ".into(),
                text: Some("Đã sửa".into()),
            },
        );
        let again = refresh(&n, &f, Level::Unit);
        assert_eq!(again.get("results").map(Section::current), Some("Đã sửa"));
        assert_ne!(again.get("results").map(|s| s.draft.as_str()), Some("cũ"));
    }
}
