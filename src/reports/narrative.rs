//! The narrative of a report: its sections, each with a draft written from the figures in
//! natural Vietnamese and the text the compiler edited. A refresh of the figures rewrites the
//! drafts; an edited text is kept (and marked when its draft has changed since).

use crate::reports::figures::{AreaFigures, Figures};
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
pub const UNIT_TAIL: &[&str] = &["shortcomings", "next_tasks", "recommendations"];

/// The sections of a partner agency's report: its own work is not organised by the plan's areas.
pub const AGENCY: &[&str] = &[
    "situation",
    "results",
    "shortcomings",
    "next_tasks",
    "recommendations",
];

/// The area that carries the victim-support figures: the plan's victim-support area, else its
/// inspection and statistics area.
fn victims_area(f: &Figures) -> Option<usize> {
    ["victim_support", "inspection"]
        .iter()
        .find_map(|k| f.areas.iter().find(|a| a.area == *k))
        .map(|a| a.number)
}

/// "a, b và c".
fn list(parts: &[String]) -> String {
    match parts.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, first)) => format!("{} và {}", first.join(", "), last),
    }
}

/// "Tổ chức 25 buổi nói chuyện chuyên đề với 1.250 lượt người tham dự, trong đó 640 lượt nữ…"
pub fn area_draft(a: &AreaFigures) -> String {
    if a.sessions == 0 && a.tasks_done == 0 && a.tasks_open == 0 {
        return "Trong kỳ, chưa có hoạt động nào được ghi nhận cho nội dung này.".to_owned();
    }
    let mut sentences = Vec::new();
    if a.sessions > 0 {
        let kinds: Vec<String> = a
            .by_type
            .iter()
            .map(|t| format!("{} hoạt động {}", number(t.sessions), t.name.to_lowercase()))
            .collect();
        let mut s = format!("Trong kỳ, đã tổ chức {}", list(&kinds));
        if a.participants > 0 {
            s.push_str(&format!(
                " với {} lượt người tham dự",
                number(a.participants)
            ));
            let mut of_whom = Vec::new();
            if a.women > 0 {
                of_whom.push(format!("{} lượt nữ", number(a.women)));
            }
            if a.ethnic_minority > 0 {
                of_whom.push(format!(
                    "{} lượt người dân tộc thiểu số",
                    number(a.ethnic_minority)
                ));
            }
            if a.children > 0 {
                of_whom.push(format!("{} lượt trẻ em", number(a.children)));
            }
            if !of_whom.is_empty() {
                s.push_str(&format!(", trong đó {}", list(&of_whom)));
            }
        }
        s.push('.');
        sentences.push(s);
    }
    let distributed: Vec<String> = a
        .materials
        .iter()
        .filter(|m| m.distributed > 0)
        .map(|m| format!("{} {}", number(m.distributed), m.name.to_lowercase()))
        .collect();
    if !distributed.is_empty() {
        sentences.push(format!("Cấp phát {}.", list(&distributed)));
    }
    if a.broadcasts > 0 {
        sentences.push(format!(
            "Phát thanh {} lần với thời lượng {} phút trên hệ thống truyền thanh cơ sở.",
            number(a.broadcasts),
            number(a.broadcast_minutes)
        ));
    }
    if a.trainings > 0 {
        sentences.push(format!(
            "Tổ chức {} lớp tập huấn cho {} lượt cán bộ.",
            number(a.trainings),
            number(a.trainees)
        ));
    }
    if a.tasks_done > 0 || a.tasks_open > 0 {
        let mut s = format!("Phối hợp hoàn thành {} nhiệm vụ", number(a.tasks_done));
        if a.persons_supported > 0 {
            s.push_str(&format!(
                ", hỗ trợ {} lượt người",
                number(a.persons_supported)
            ));
        }
        if a.tasks_open > 0 {
            s.push_str(&format!(
                "; {} nhiệm vụ đang thực hiện",
                number(a.tasks_open)
            ));
        }
        s.push('.');
        sentences.push(s);
    }
    // A comparison only where the same period a year earlier holds data.
    if a.previous_sessions > 0 {
        let diff = a.sessions - a.previous_sessions;
        sentences.push(match diff {
            0 => "Số hoạt động bằng cùng kỳ năm trước.".to_owned(),
            d if d > 0 => format!("So với cùng kỳ năm trước, tăng {} hoạt động.", number(d)),
            d => format!("So với cùng kỳ năm trước, giảm {} hoạt động.", number(-d)),
        });
    }
    sentences.join(" ")
}

fn coverage_draft(f: &Figures) -> String {
    let c = &f.coverage;
    let mut s = format!(
        "{}/{} xã, thị trấn có tổ chức hoạt động tuyên truyền trong kỳ",
        number(c.units_reached),
        number(c.units)
    );
    if c.ethnic_units > 0 {
        s.push_str(&format!(
            "; {}/{} xã có đồng bào dân tộc thiểu số",
            number(c.ethnic_reached),
            number(c.ethnic_units)
        ));
    }
    if c.border_units > 0 {
        s.push_str(&format!(
            "; {}/{} xã vùng giáp ranh",
            number(c.border_reached),
            number(c.border_units)
        ));
    }
    s.push('.');
    s
}

fn funding_draft(f: &Figures) -> String {
    let spent: Vec<String> = f
        .budget
        .iter()
        .filter(|b| b.spent > 0)
        .map(|b| format!("{} {} đồng", b.name.to_lowercase(), number(b.spent)))
        .collect();
    if spent.is_empty() {
        "Trong kỳ, chưa ghi nhận kinh phí đã chi cho các hoạt động.".to_owned()
    } else {
        let total: i64 = f.budget.iter().map(|b| b.spent).sum();
        format!(
            "Tổng kinh phí đã chi {} đồng, gồm: {}.",
            number(total),
            list(&spent)
        )
    }
}

/// The sentence drafted from the victim figures (empty when there are none).
pub fn victims_draft(f: &Figures) -> String {
    let v = &f.victims;
    if v.received == 0 && v.supported.is_empty() && v.hotline_received == 0 {
        return String::new();
    }
    let mut s = format!(
        "Tiếp nhận {} nạn nhân bị mua bán trở về",
        number(v.received)
    );
    let mut of_whom = Vec::new();
    if v.received_women > 0 {
        of_whom.push(format!("{} nữ", number(v.received_women)));
    }
    if v.received_children > 0 {
        of_whom.push(format!(
            "{} trẻ em dưới 16 tuổi",
            number(v.received_children)
        ));
    }
    if !of_whom.is_empty() {
        s.push_str(&format!(" (trong đó {})", list(&of_whom)));
    }
    s.push('.');
    let supported: Vec<String> = v
        .supported
        .iter()
        .filter(|l| l.persons > 0)
        .map(|l| format!("{} {} lượt", l.name.to_lowercase(), number(l.persons)))
        .collect();
    if !supported.is_empty() {
        s.push_str(&format!(" Đã hỗ trợ: {}.", list(&supported)));
    }
    if v.hotline_received > 0 {
        s.push_str(&format!(
            " Tiếp nhận {} thông tin qua Tổng đài 111, xử lý {}, chuyển tuyến {}.",
            number(v.hotline_received),
            number(v.hotline_handled),
            number(v.hotline_referred)
        ));
    }
    if v.loans_count > 0 {
        s.push_str(&format!(
            " Giải ngân {} hồ sơ vay vốn với tổng số tiền {} đồng.",
            number(v.loans_count),
            number(v.loans_amount)
        ));
    }
    s
}

/// The drafts written from the figures, section by section.
pub fn drafts(f: &Figures, level: Level) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let total = format!(
        "Trong kỳ, toàn địa bàn tổ chức {} hoạt động tuyên truyền, thu hút {} lượt người tham dự.",
        number(f.activities_held),
        number(f.participants)
    );
    if level == Level::Agency {
        out.insert("situation".to_owned(), String::new());
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
        results.extend(
            f.areas
                .iter()
                .filter(|a| a.sessions > 0 || a.tasks_done > 0 || a.tasks_open > 0)
                .map(area_draft),
        );
        out.insert("results".to_owned(), results.join(" "));
        for k in ["shortcomings", "next_tasks", "recommendations"] {
            out.insert(k.to_owned(), String::new());
        }
    } else if level == Level::Compiled {
        out.insert("situation".to_owned(), String::new());
        out.insert(
            "leadership".to_owned(),
            format!("{} {}", total, coverage_draft(f)),
        );
        for a in &f.areas {
            out.insert(format!("area_{}", a.number), area_draft(a));
        }
        out.insert("funding".to_owned(), funding_draft(f));
        add_victims(&mut out, f, "leadership");
        for k in [
            "strengths",
            "shortcomings",
            "causes",
            "lessons",
            "next_tasks",
            "recommendations",
        ] {
            out.insert(k.to_owned(), String::new());
        }
    } else {
        out.insert("situation".to_owned(), String::new());
        out.insert("results".to_owned(), total);
        for a in &f.areas {
            out.insert(format!("area_{}", a.number), area_draft(a));
        }
        add_victims(&mut out, f, "results");
        for k in ["shortcomings", "next_tasks", "recommendations"] {
            out.insert(k.to_owned(), String::new());
        }
    }
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
             So với cùng kỳ năm trước, tăng 5 hoạt động."
        );
        assert_eq!(
            area_draft(&AreaFigures::default()),
            "Trong kỳ, chưa có hoạt động nào được ghi nhận cho nội dung này."
        );
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
                 Phối hợp hoàn thành 2 nhiệm vụ, hỗ trợ 3 lượt người; 1 nhiệm vụ đang thực hiện."
            )
        );
        assert_eq!(
            d.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "next_tasks",
                "recommendations",
                "results",
                "shortcomings",
                "situation"
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
