//! Every sentence the report drafts, in one place: each function is one sentence form of
//! Vietnamese official prose, says only what its figures support, and returns `None` (or an
//! empty list) when there is nothing to say — the caller leaves the sentence out rather than
//! printing "0" or a comparison without data. The rules are written down in
//! docs/report-writing.md; each form has its unit tests below.
//!
//! Counting words: people are "người" (a victim received, a person supported by a task); an
//! attendance or a support act is "lượt" (one person at two talks is two "lượt người"; one
//! victim given two kinds of support is two "lượt hỗ trợ").

use crate::reports::figures::{AreaFigures, Direction, PlanRef, TargetLine, Victims};
use crate::web::format::number;
use chrono::NaiveDate;

/// "a, b và c".
pub fn list(parts: &[String]) -> String {
    match parts.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, first)) => format!("{} và {}", first.join(", "), last),
    }
}

fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// "trên địa bàn thị trấn", "trên địa bàn huyện": the area of the reporting unit by its kind
/// word; "trên địa bàn" alone when the kind is unknown (never "toàn địa bàn" of a commune).
pub fn on_territory(kind_word: &str) -> String {
    match kind_word.trim() {
        "" => "trên địa bàn".to_owned(),
        w => format!("trên địa bàn {}", w.to_lowercase()),
    }
}

/// How many of a group are women, agreeing with the group's size: "cả 4 đều là nữ" when all
/// of several are, "là nữ" for the only one, "trong đó 3 nữ" otherwise, nothing for none.
/// `unit` counts them ("lượt" for attendances, "" for people).
pub fn women_of(women: i64, total: i64, unit: &str) -> Option<String> {
    let counted = |n: i64| {
        if unit.is_empty() {
            number(n)
        } else {
            format!("{} {unit}", number(n))
        }
    };
    match (women, total) {
        (w, _) if w <= 0 => None,
        (1, 1) => Some("là nữ".to_owned()),
        (w, t) if w >= t => Some(format!("cả {} đều là nữ", counted(t))),
        (w, _) => Some(format!("trong đó {} nữ", counted(w))),
    }
}

/// The year-on-year sentence, only when the same period a year earlier holds data.
pub fn year_on_year(current: i64, previous: i64, what: &str) -> Option<String> {
    if previous <= 0 {
        return None;
    }
    let diff = current - previous;
    Some(match diff {
        0 => format!(
            "Số {what} bằng cùng kỳ năm trước ({} {what}).",
            number(previous)
        ),
        d if d > 0 => format!(
            "So với cùng kỳ năm trước, số {what} tăng {} (từ {} lên {}).",
            number(d),
            number(previous),
            number(current)
        ),
        d => format!(
            "So với cùng kỳ năm trước, số {what} giảm {} (từ {} xuống {}).",
            number(-d),
            number(previous),
            number(current)
        ),
    })
}

/// "Kế hoạch số 12/KH-UBND ngày 15/01/2026 của UBND huyện Tây Hòa": a plan as the text cites
/// it, with only what is known of it.
pub fn plan_citation(p: &PlanRef) -> String {
    let mut s = "Kế hoạch".to_owned();
    if let Some(n) = p.number.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        s.push_str(&format!(" số {n}"));
    }
    if let Some(on) = p.issued_on {
        s.push_str(&format!(" ngày {}", date(on)));
    }
    if !p.issuer.is_empty() {
        s.push_str(&format!(" của {}", p.issuer));
    }
    s
}

/// II.1: what the data holds about leadership and direction — the plan issued, the plan it
/// implements, its amendments, the report requested and the tasks assigned.
pub fn direction(d: &Direction) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = &d.plan {
        let issued = p.number.as_deref().is_some_and(|n| !n.trim().is_empty());
        let own = match (&d.superior, issued) {
            (Some(sup), true) => format!(
                "Thực hiện {}, {} đã ban hành Kế hoạch số {}{} để triển khai {}.",
                plan_citation(sup),
                p.issuer,
                p.number.as_deref().unwrap_or_default().trim(),
                p.issued_on
                    .map(|on| format!(" ngày {}", date(on)))
                    .unwrap_or_default(),
                on_territory(&d.kind_word)
            ),
            (None, true) => format!(
                "{} đã ban hành Kế hoạch số {}{} về {}, giao nhiệm vụ cho các cơ quan, đơn vị liên quan.",
                p.issuer,
                p.number.as_deref().unwrap_or_default().trim(),
                p.issued_on
                    .map(|on| format!(" ngày {}", date(on)))
                    .unwrap_or_default(),
                p.title
            ),
            (Some(sup), false) => format!(
                "{} triển khai thực hiện {} {}.",
                p.issuer,
                plan_citation(sup),
                on_territory(&d.kind_word)
            ),
            (None, false) => format!("{} triển khai thực hiện Kế hoạch về {}.", p.issuer, p.title),
        };
        if !own.is_empty() {
            out.push(own);
        }
    }
    if let Some(a) = amendments(&d.amendments) {
        out.push(a);
    }
    if let Some(r) = request(d) {
        out.push(r);
    }
    if let Some(t) = tasks_assigned(d.tasks_assigned, d.tasks_assigned_done) {
        out.push(t);
    }
    out
}

/// "Kế hoạch được điều chỉnh 2 lần (ngày 10/03/2026, ngày 02/05/2026)."
pub fn amendments(on: &[NaiveDate]) -> Option<String> {
    if on.is_empty() {
        return None;
    }
    let dates: Vec<String> = on.iter().map(|d| format!("ngày {}", date(*d))).collect();
    Some(format!(
        "Trong kỳ, Kế hoạch được điều chỉnh {} lần ({}).",
        number(on.len() as i64),
        dates.join(", ")
    ))
}

/// The report requested of the units and how many came in.
pub fn request(d: &Direction) -> Option<String> {
    let r = d.reports.as_ref()?;
    if r.expected == 0 {
        return None;
    }
    let mut s = format!(
        "Đã đề nghị {} đơn vị báo cáo kết quả thực hiện từ ngày {} đến ngày {}",
        number(r.expected),
        date(d.period_start),
        date(d.period_end)
    );
    if let Some(due) = d.due_date {
        s.push_str(&format!(", thời hạn gửi báo cáo ngày {}", date(due)));
    }
    s.push_str(&match r.received {
        0 => "; đến nay chưa nhận được báo cáo nào.".to_owned(),
        n if n == r.expected => format!("; đã nhận đủ {} báo cáo.", number(n)),
        n => format!("; đã nhận {}/{} báo cáo.", number(n), number(r.expected)),
    });
    Some(s)
}

/// "Trong kỳ, đã giao 5 nhiệm vụ phối hợp cho các cơ quan, đơn vị; đã hoàn thành 3 nhiệm vụ."
pub fn tasks_assigned(assigned: i64, done: i64) -> Option<String> {
    if assigned <= 0 {
        return None;
    }
    let mut s = format!(
        "Trong kỳ, đã giao {} nhiệm vụ phối hợp cho các cơ quan, đơn vị",
        number(assigned)
    );
    s.push_str(&match done {
        0 => "; chưa có nhiệm vụ nào hoàn thành.".to_owned(),
        d if d >= assigned => ", tất cả đã hoàn thành.".to_owned(),
        d => format!("; đã hoàn thành {} nhiệm vụ.", number(d)),
    });
    Some(s)
}

/// The totals of a unit's period: "Trong kỳ, trên địa bàn xã đã tổ chức 12 hoạt động…".
pub fn totals(kind_word: &str, held: i64, participants: i64) -> String {
    let place = on_territory(kind_word);
    match (held, participants) {
        (0, _) => {
            format!("Trong kỳ, {place} chưa tổ chức hoạt động phòng, chống mua bán người nào.")
        }
        (h, 0) => format!(
            "Trong kỳ, {place} đã tổ chức {} hoạt động phòng, chống mua bán người.",
            number(h)
        ),
        (h, p) => format!(
            "Trong kỳ, {place} đã tổ chức {} hoạt động phòng, chống mua bán người, thu hút {} lượt người tham dự.",
            number(h),
            number(p)
        ),
    }
}

/// The activities of an area by type, with who attended.
pub fn activities(a: &AreaFigures) -> Option<String> {
    if a.sessions <= 0 {
        return None;
    }
    let kinds: Vec<String> = a
        .by_type
        .iter()
        .map(|t| match t.code.as_str() {
            // A training is a class ("lớp"), attended by officials.
            "training" => format!("{} lớp tập huấn", number(t.sessions)),
            _ => format!("{} hoạt động {}", number(t.sessions), t.name.to_lowercase()),
        })
        .collect();
    let kinds = if kinds.is_empty() {
        format!("{} hoạt động", number(a.sessions))
    } else {
        list(&kinds)
    };
    let mut s = format!("Trong kỳ, đã tổ chức {kinds}");
    if a.participants > 0 {
        s.push_str(&format!(
            " với {} lượt người tham dự",
            number(a.participants)
        ));
        let all_women = a.women >= a.participants;
        let mut of_whom = Vec::new();
        if a.women > 0 && !all_women {
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
        if all_women {
            s.push_str(", toàn bộ là nữ");
        }
        if !of_whom.is_empty() {
            s.push_str(&format!(", trong đó {}", list(&of_whom)));
        }
    }
    s.push('.');
    Some(s)
}

/// "Cấp phát 500 tờ rơi và 20 áp phích."
pub fn materials(a: &AreaFigures) -> Option<String> {
    let distributed: Vec<String> = a
        .materials
        .iter()
        .filter(|m| m.distributed > 0)
        .map(|m| format!("{} {}", number(m.distributed), m.name.to_lowercase()))
        .collect();
    (!distributed.is_empty()).then(|| format!("Cấp phát {}.", list(&distributed)))
}

pub fn broadcasts(count: i64, minutes: i64) -> Option<String> {
    match (count, minutes) {
        (c, _) if c <= 0 => None,
        (c, m) if m <= 0 => Some(format!(
            "Phát thanh {} lần trên hệ thống truyền thanh cơ sở.",
            number(c)
        )),
        (c, m) => Some(format!(
            "Phát thanh {} lần với thời lượng {} phút trên hệ thống truyền thanh cơ sở.",
            number(c),
            number(m)
        )),
    }
}

/// The coordination tasks of an area and the people they supported.
pub fn tasks(done: i64, open: i64, persons: i64) -> Option<String> {
    if done <= 0 && open <= 0 {
        return None;
    }
    let mut parts = Vec::new();
    if done > 0 {
        let mut s = format!("hoàn thành {} nhiệm vụ phối hợp", number(done));
        if persons > 0 {
            s.push_str(&format!(", hỗ trợ {} người", number(persons)));
        }
        parts.push(s);
    }
    if open > 0 {
        parts.push(format!("{} nhiệm vụ đang thực hiện", number(open)));
    }
    let mut s = parts.join("; ");
    if let Some(first) = s.get(..1) {
        s = first.to_uppercase() + &s[1..];
    }
    Some(format!("{s}."))
}

pub fn area_budget(spent: i64) -> Option<String> {
    (spent > 0).then(|| format!("Kinh phí đã chi cho nội dung này {} đồng.", number(spent)))
}

/// The victims received and supported in the period: people received ("người", with how many
/// are women and children), support acts given ("lượt").
pub fn victims(v: &Victims) -> Option<String> {
    if v.withheld {
        return None;
    }
    let mut out = Vec::new();
    if v.received > 0 {
        let mut s = format!(
            "Tiếp nhận {} nạn nhân bị mua bán trở về",
            number(v.received)
        );
        let mut of_whom = Vec::new();
        of_whom.extend(women_of(v.received_women, v.received, ""));
        if v.received_children > 0 {
            let all = v.received_children >= v.received;
            of_whom.push(if all && v.received == 1 {
                "là trẻ em dưới 16 tuổi".to_owned()
            } else if all && of_whom.is_empty() {
                format!("cả {} đều là trẻ em dưới 16 tuổi", number(v.received))
            } else if all {
                "đều là trẻ em dưới 16 tuổi".to_owned()
            } else {
                format!("{} trẻ em dưới 16 tuổi", number(v.received_children))
            });
        }
        // "trong đó" is said once: "(trong đó 3 nữ, 1 trẻ em dưới 16 tuổi)".
        if let Some(first) = of_whom.first_mut()
            && !(first.starts_with("trong đó")
                || first.starts_with("cả")
                || first.starts_with("là "))
        {
            *first = format!("trong đó {first}");
        }
        if !of_whom.is_empty() {
            s.push_str(&format!(" ({})", of_whom.join(", ")));
        }
        s.push('.');
        out.push(s);
    }
    let acts: Vec<(String, i64)> = v
        .supported
        .iter()
        .filter(|l| l.persons > 0)
        .map(|l| (l.name.to_lowercase(), l.persons))
        .collect();
    if !acts.is_empty() {
        let total: i64 = acts.iter().map(|(_, n)| n).sum();
        let parts: Vec<String> = acts
            .iter()
            .map(|(name, n)| format!("{name} {} lượt", number(*n)))
            .collect();
        out.push(format!(
            "Thực hiện {} lượt hỗ trợ nạn nhân, gồm: {}.",
            number(total),
            parts.join("; ")
        ));
    }
    if v.hotline_received > 0 {
        out.push(format!(
            "Tiếp nhận {} cuộc gọi, thông tin qua Tổng đài 111, xử lý {}, chuyển tuyến {}.",
            number(v.hotline_received),
            number(v.hotline_handled),
            number(v.hotline_referred)
        ));
    }
    if v.loans_count > 0 {
        out.push(format!(
            "Giải ngân {} hồ sơ vay vốn với tổng số tiền {} đồng.",
            number(v.loans_count),
            number(v.loans_amount)
        ));
    }
    (!out.is_empty()).then(|| out.join(" "))
}

/// "Đạt và vượt 2/3 chỉ tiêu: …": the targets met.
pub fn targets_met(targets: &[&TargetLine]) -> Option<String> {
    let met: Vec<String> = targets
        .iter()
        .filter(|t| t.target > 0 && t.result >= t.target)
        .map(|t| {
            format!(
                "{} (kế hoạch {}, thực hiện {})",
                lower_first(&t.name),
                number(t.target),
                number(t.result)
            )
        })
        .collect();
    if met.is_empty() {
        return None;
    }
    let all = targets.iter().filter(|t| t.target > 0).count();
    Some(if met.len() == all {
        format!(
            "Đạt và vượt cả {} chỉ tiêu kế hoạch: {}.",
            met.len(),
            met.join("; ")
        )
    } else {
        format!(
            "Đạt và vượt {}/{} chỉ tiêu kế hoạch: {}.",
            met.len(),
            all,
            met.join("; ")
        )
    })
}

/// The targets not met: missed when the plan's period is over, at risk when the share done is
/// below the share of the plan's time gone.
pub fn targets_missed(targets: &[&TargetLine], time_gone: Option<i64>) -> Option<String> {
    let short: Vec<&&TargetLine> = targets
        .iter()
        .filter(|t| t.target > 0 && t.result < t.target)
        .collect();
    let pct = |t: &TargetLine| (t.result * 100) / t.target.max(1);
    let line = |t: &TargetLine| {
        format!(
            "{} (kế hoạch {}, thực hiện {}, đạt {}%)",
            lower_first(&t.name),
            number(t.target),
            number(t.result),
            pct(t)
        )
    };
    match time_gone {
        // The plan's period is over: what is short is missed.
        None | Some(100..) => (!short.is_empty()).then(|| {
            let parts: Vec<String> = short.iter().map(|t| line(t)).collect();
            format!(
                "Còn {} chỉ tiêu chưa đạt: {}.",
                short.len(),
                parts.join("; ")
            )
        }),
        Some(share) => {
            let behind: Vec<String> = short
                .iter()
                .filter(|t| t.result.saturating_mul(100) < t.target.saturating_mul(share))
                .map(|t| line(t))
                .collect();
            (!behind.is_empty()).then(|| {
                format!(
                    "Có {} chỉ tiêu tiến độ thực hiện chậm, có nguy cơ không đạt kế hoạch: {}.",
                    behind.len(),
                    behind.join("; ")
                )
            })
        }
    }
}

/// Coverage as a strength: "12/14 xã, thị trấn đã tổ chức hoạt động trong kỳ".
pub fn coverage_reached(reached: i64, units: i64, kinds: &str) -> Option<String> {
    match (reached, units) {
        (_, 0) | (0, _) => None,
        (r, u) if r >= u => Some(format!(
            "Tất cả {} {kinds} đều tổ chức hoạt động trong kỳ.",
            number(u)
        )),
        (r, u) => Some(format!(
            "{}/{} {kinds} đã tổ chức hoạt động trong kỳ.",
            number(r),
            number(u)
        )),
    }
}

/// A unit's content areas with results, as a strength: "Đã triển khai 2/5 nội dung …".
pub fn areas_with_results(active: usize, total: usize) -> Option<String> {
    match (active, total) {
        (0, _) | (_, 0) => None,
        (a, t) if a >= t => Some(format!(
            "Cả {t} nội dung của Kế hoạch đều có kết quả trong kỳ."
        )),
        (a, t) => Some(format!("Đã triển khai {a}/{t} nội dung của Kế hoạch.")),
    }
}

/// Units with no activity, by name.
pub fn units_without_activity(names: &[String], units: i64, kinds: &str) -> Option<String> {
    match names.len() {
        0 => None,
        n if n as i64 >= units => Some(format!("Chưa {kinds} nào tổ chức hoạt động trong kỳ.")),
        n => Some(format!(
            "Còn {}/{} {kinds} chưa tổ chức hoạt động nào trong kỳ: {}.",
            n,
            number(units),
            names.join(", ")
        )),
    }
}

/// The content areas where nothing was recorded.
pub fn idle_areas(headings: &[String]) -> Option<String> {
    match headings.len() {
        0 => None,
        1 => Some(format!(
            "Nội dung “{}” chưa có kết quả được ghi nhận trong kỳ.",
            headings[0]
        )),
        _ => Some(format!(
            "Các nội dung chưa có kết quả được ghi nhận trong kỳ: {}.",
            headings
                .iter()
                .map(|h| format!("“{h}”"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Reports late or not sent, by responder.
pub fn reports_behind(late: &[String], missing: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    if !missing.is_empty() {
        out.push(format!(
            "Còn {} đơn vị chưa gửi báo cáo: {}.",
            missing.len(),
            missing.join(", ")
        ));
    }
    if !late.is_empty() {
        out.push(format!(
            "{} đơn vị gửi báo cáo chậm so với thời hạn: {}.",
            late.len(),
            late.join(", ")
        ));
    }
    out
}

pub fn overdue_tasks(n: i64) -> Option<String> {
    (n > 0).then(|| {
        format!(
            "Còn {} nhiệm vụ phối hợp quá hạn nhưng chưa hoàn thành.",
            number(n)
        )
    })
}

/// IV: the next period's work from the plan items with activities scheduled after the period.
pub fn next_items(items: &[(String, i64)]) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    let parts: Vec<String> = items
        .iter()
        .map(|(item, n)| format!("{item} ({} hoạt động dự kiến)", number(*n)))
        .collect();
    Some(format!(
        "Tiếp tục triển khai các nội dung của Kế hoạch trong kỳ tới: {}.",
        parts.join("; ")
    ))
}

/// IV: what the shortcomings ask of the next period.
pub fn remedies(idle_units: &[String], missed: usize, overdue: i64) -> Vec<String> {
    let mut out = Vec::new();
    if !idle_units.is_empty() {
        out.push(format!(
            "Đôn đốc, hướng dẫn {} tổ chức hoạt động trong kỳ tới.",
            list(idle_units)
        ));
    }
    if missed > 0 {
        out.push("Tập trung thực hiện các chỉ tiêu chưa đạt hoặc có nguy cơ không đạt.".to_owned());
    }
    if overdue > 0 {
        out.push(format!(
            "Hoàn thành {} nhiệm vụ phối hợp quá hạn.",
            number(overdue)
        ));
    }
    out
}

pub fn funding(spent: &[(String, i64)]) -> Option<String> {
    let spent: Vec<&(String, i64)> = spent.iter().filter(|(_, n)| *n > 0).collect();
    if spent.is_empty() {
        return None;
    }
    let total: i64 = spent.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = spent
        .iter()
        .map(|(name, n)| format!("{} {} đồng", name.to_lowercase(), number(*n)))
        .collect();
    Some(format!(
        "Tổng kinh phí đã chi {} đồng, gồm: {}.",
        number(total),
        list(&parts)
    ))
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The first word repeated right after itself ("báo cáo báo cáo"), if any: no drafted sentence
/// may hold one.
pub fn doubled_words(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || ",.;:()\"".contains(c))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    // One- and two-syllable repeats: "báo cáo báo cáo", "cả cả".
    for n in [2usize, 1] {
        for w in words.windows(2 * n) {
            if w[..n] == w[n..]
                && w[..n]
                    .iter()
                    .all(|x| !x.chars().all(|c| c.is_ascii_digit()))
            {
                return Some(w[..n].join(" "));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn areas_with_results_counts_every_area_that_has_one() {
        assert_eq!(super::areas_with_results(0, 5), None);
        assert_eq!(super::areas_with_results(2, 0), None);
        assert_eq!(
            super::areas_with_results(2, 5).as_deref(),
            Some("Đã triển khai 2/5 nội dung của Kế hoạch.")
        );
        assert_eq!(
            super::areas_with_results(5, 5).as_deref(),
            Some("Cả 5 nội dung của Kế hoạch đều có kết quả trong kỳ.")
        );
    }

    use super::*;
    use crate::reports::figures::{MaterialCount, ReportsIn, SupportLine, TypeCount};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn talks(sessions: i64, participants: i64, women: i64) -> AreaFigures {
        AreaFigures {
            sessions,
            participants,
            women,
            by_type: vec![TypeCount {
                code: "talk".into(),
                name: "Nói chuyện chuyên đề".into(),
                sessions,
                participants,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn women_agree_with_the_group() {
        assert_eq!(women_of(0, 4, ""), None);
        assert_eq!(women_of(1, 1, "").as_deref(), Some("là nữ"));
        assert_eq!(women_of(4, 4, "").as_deref(), Some("cả 4 đều là nữ"));
        assert_eq!(women_of(3, 4, "").as_deref(), Some("trong đó 3 nữ"));
        assert_eq!(
            women_of(640, 1250, "lượt").as_deref(),
            Some("trong đó 640 lượt nữ")
        );
    }

    #[test]
    fn year_on_year_only_with_an_earlier_year() {
        assert_eq!(year_on_year(68, 0, "hoạt động"), None);
        assert_eq!(
            year_on_year(25, 20, "hoạt động").as_deref(),
            Some("So với cùng kỳ năm trước, số hoạt động tăng 5 (từ 20 lên 25).")
        );
        assert_eq!(
            year_on_year(18, 20, "hoạt động").as_deref(),
            Some("So với cùng kỳ năm trước, số hoạt động giảm 2 (từ 20 xuống 18).")
        );
        assert_eq!(
            year_on_year(0, 3, "hoạt động").as_deref(),
            Some("So với cùng kỳ năm trước, số hoạt động giảm 3 (từ 3 xuống 0).")
        );
        assert_eq!(
            year_on_year(7, 7, "hoạt động").as_deref(),
            Some("Số hoạt động bằng cùng kỳ năm trước (7 hoạt động).")
        );
    }

    #[test]
    fn the_territory_follows_the_kind_of_unit() {
        assert_eq!(on_territory("thị trấn"), "trên địa bàn thị trấn");
        assert_eq!(on_territory("Phường"), "trên địa bàn phường");
        assert_eq!(on_territory("đặc khu"), "trên địa bàn đặc khu");
        assert_eq!(on_territory(""), "trên địa bàn");
        assert_eq!(
            totals("thị trấn", 0, 0),
            "Trong kỳ, trên địa bàn thị trấn chưa tổ chức hoạt động phòng, chống mua bán người nào."
        );
        assert_eq!(
            totals("xã", 1, 0),
            "Trong kỳ, trên địa bàn xã đã tổ chức 1 hoạt động phòng, chống mua bán người."
        );
        assert_eq!(
            totals("phường", 12, 1250),
            "Trong kỳ, trên địa bàn phường đã tổ chức 12 hoạt động phòng, chống mua bán người, thu hút 1.250 lượt người tham dự."
        );
    }

    #[test]
    fn activities_count_attendances_as_luot() {
        assert_eq!(activities(&AreaFigures::default()), None);
        assert_eq!(
            activities(&talks(1, 0, 0)).as_deref(),
            Some("Trong kỳ, đã tổ chức 1 hoạt động nói chuyện chuyên đề.")
        );
        let mut a = talks(25, 1250, 640);
        a.ethnic_minority = 120;
        assert_eq!(
            activities(&a).as_deref(),
            Some(
                "Trong kỳ, đã tổ chức 25 hoạt động nói chuyện chuyên đề với 1.250 lượt người \
                 tham dự, trong đó 640 lượt nữ và 120 lượt người dân tộc thiểu số."
            )
        );
        assert_eq!(
            activities(&talks(2, 40, 40)).as_deref(),
            Some(
                "Trong kỳ, đã tổ chức 2 hoạt động nói chuyện chuyên đề với 40 lượt người \
                 tham dự, toàn bộ là nữ."
            )
        );
        let mut classes = talks(3, 90, 0);
        classes.by_type.push(TypeCount {
            code: "training".into(),
            name: "Tập huấn".into(),
            sessions: 1,
            participants: 30,
        });
        assert!(activities(&classes).unwrap().starts_with(
            "Trong kỳ, đã tổ chức 3 hoạt động nói chuyện chuyên đề và 1 lớp tập huấn với"
        ));
    }

    #[test]
    fn materials_broadcasts_tasks_and_money() {
        let mut a = AreaFigures::default();
        assert_eq!(materials(&a), None);
        a.materials = vec![
            MaterialCount {
                code: "leaflet".into(),
                name: "Tờ rơi".into(),
                produced: 600,
                distributed: 500,
            },
            MaterialCount {
                code: "poster".into(),
                name: "Áp phích".into(),
                produced: 10,
                distributed: 0,
            },
        ];
        assert_eq!(materials(&a).as_deref(), Some("Cấp phát 500 tờ rơi."));
        assert_eq!(broadcasts(0, 30), None);
        assert_eq!(
            broadcasts(1, 0).as_deref(),
            Some("Phát thanh 1 lần trên hệ thống truyền thanh cơ sở.")
        );
        assert_eq!(
            broadcasts(12, 180).as_deref(),
            Some("Phát thanh 12 lần với thời lượng 180 phút trên hệ thống truyền thanh cơ sở.")
        );
        assert_eq!(tasks(0, 0, 5), None);
        assert_eq!(
            tasks(2, 1, 3).as_deref(),
            Some("Hoàn thành 2 nhiệm vụ phối hợp, hỗ trợ 3 người; 1 nhiệm vụ đang thực hiện.")
        );
        assert_eq!(
            tasks(0, 2, 0).as_deref(),
            Some("2 nhiệm vụ đang thực hiện.")
        );
        assert_eq!(area_budget(0), None);
        assert_eq!(
            area_budget(15_000_000).as_deref(),
            Some("Kinh phí đã chi cho nội dung này 15.000.000 đồng.")
        );
        assert_eq!(funding(&[("Ngân sách xã".into(), 0)]), None);
        assert_eq!(
            funding(&[
                ("Ngân sách huyện".into(), 2_000_000),
                ("Xã hội hóa".into(), 500_000)
            ])
            .as_deref(),
            Some(
                "Tổng kinh phí đã chi 2.500.000 đồng, gồm: ngân sách huyện 2.000.000 đồng và xã hội hóa 500.000 đồng."
            )
        );
    }

    #[test]
    fn victims_are_people_and_support_is_acts() {
        assert_eq!(victims(&Victims::default()), None);
        let four = Victims {
            received: 4,
            received_women: 4,
            supported: vec![
                SupportLine {
                    code: "a".into(),
                    name: "Hỗ trợ tâm lý".into(),
                    legal_basis: String::new(),
                    persons: 10,
                },
                SupportLine {
                    code: "b".into(),
                    name: "Hỗ trợ y tế".into(),
                    legal_basis: String::new(),
                    persons: 0,
                },
            ],
            ..Default::default()
        };
        assert_eq!(
            victims(&four).as_deref(),
            Some(
                "Tiếp nhận 4 nạn nhân bị mua bán trở về (cả 4 đều là nữ). \
                 Thực hiện 10 lượt hỗ trợ nạn nhân, gồm: hỗ trợ tâm lý 10 lượt."
            )
        );
        let one = Victims {
            received: 1,
            received_women: 1,
            ..Default::default()
        };
        assert_eq!(
            victims(&one).as_deref(),
            Some("Tiếp nhận 1 nạn nhân bị mua bán trở về (là nữ).")
        );
        let some = Victims {
            received: 5,
            received_women: 3,
            received_children: 1,
            ..Default::default()
        };
        assert_eq!(
            victims(&some).as_deref(),
            Some("Tiếp nhận 5 nạn nhân bị mua bán trở về (trong đó 3 nữ, 1 trẻ em dưới 16 tuổi).")
        );
        let children = Victims {
            received: 2,
            received_children: 2,
            ..Default::default()
        };
        assert_eq!(
            victims(&children).as_deref(),
            Some("Tiếp nhận 2 nạn nhân bị mua bán trở về (cả 2 đều là trẻ em dưới 16 tuổi).")
        );
        // Only statistics, nobody received: the support acts alone.
        let acts = Victims {
            supported: four.supported.clone(),
            ..Default::default()
        };
        assert_eq!(
            victims(&acts).as_deref(),
            Some("Thực hiện 10 lượt hỗ trợ nạn nhân, gồm: hỗ trợ tâm lý 10 lượt.")
        );
        let withheld = Victims {
            withheld: true,
            ..four
        };
        assert_eq!(victims(&withheld), None);
    }

    fn plan(number: Option<&str>) -> PlanRef {
        PlanRef {
            number: number.map(str::to_owned),
            issued_on: Some(d(2026, 1, 15)),
            issuer: "UBND huyện Tây Hòa".into(),
            title: "thực hiện công tác phòng, chống mua bán người năm 2026".into(),
        }
    }

    #[test]
    fn direction_says_what_was_issued_amended_requested_and_assigned() {
        assert!(direction(&Direction::default()).is_empty());
        let district = Direction {
            kind_word: "huyện".into(),
            plan: Some(plan(Some("12/KH-UBND"))),
            period_start: d(2026, 1, 1),
            period_end: d(2026, 6, 30),
            due_date: Some(d(2026, 7, 10)),
            amendments: vec![d(2026, 3, 10)],
            tasks_assigned: 5,
            tasks_assigned_done: 3,
            reports: Some(ReportsIn {
                expected: 14,
                received: 12,
                late: vec!["Xã Hòa Mỹ".into()],
                missing: vec!["Xã A".into(), "Xã B".into()],
            }),
            ..Default::default()
        };
        assert_eq!(
            direction(&district),
            [
                "UBND huyện Tây Hòa đã ban hành Kế hoạch số 12/KH-UBND ngày 15/01/2026 về thực hiện công tác phòng, chống mua bán người năm 2026, giao nhiệm vụ cho các cơ quan, đơn vị liên quan.",
                "Trong kỳ, Kế hoạch được điều chỉnh 1 lần (ngày 10/03/2026).",
                "Đã đề nghị 14 đơn vị báo cáo kết quả thực hiện từ ngày 01/01/2026 đến ngày 30/06/2026, thời hạn gửi báo cáo ngày 10/07/2026; đã nhận 12/14 báo cáo.",
                "Trong kỳ, đã giao 5 nhiệm vụ phối hợp cho các cơ quan, đơn vị; đã hoàn thành 3 nhiệm vụ.",
            ]
        );
        let town = Direction {
            kind_word: "thị trấn".into(),
            plan: Some(PlanRef {
                issuer: "UBND thị trấn Phú Thứ".into(),
                number: Some("05/KH-UBND".into()),
                ..plan(None)
            }),
            superior: Some(plan(Some("12/KH-UBND"))),
            ..Default::default()
        };
        assert_eq!(
            direction(&town),
            [
                "Thực hiện Kế hoạch số 12/KH-UBND ngày 15/01/2026 của UBND huyện Tây Hòa, UBND thị trấn Phú Thứ đã ban hành Kế hoạch số 05/KH-UBND ngày 15/01/2026 để triển khai trên địa bàn thị trấn."
            ]
        );
        assert_eq!(tasks_assigned(0, 0), None);
        assert_eq!(
            tasks_assigned(2, 2).as_deref(),
            Some(
                "Trong kỳ, đã giao 2 nhiệm vụ phối hợp cho các cơ quan, đơn vị, tất cả đã hoàn thành."
            )
        );
        let none_in = Direction {
            reports: Some(ReportsIn {
                expected: 3,
                ..Default::default()
            }),
            ..district.clone()
        };
        assert!(
            request(&none_in)
                .unwrap()
                .ends_with("; đến nay chưa nhận được báo cáo nào.")
        );
    }

    fn target(name: &str, target: i64, result: i64) -> TargetLine {
        TargetLine {
            indicator: "x".into(),
            name: name.into(),
            target,
            result,
        }
    }

    #[test]
    fn targets_met_missed_and_at_risk() {
        let met = target("Số buổi tuyên truyền", 10, 12);
        let short = target("Số lượt người tham dự", 1000, 300);
        let close = target("Số lớp tập huấn", 4, 3);
        assert_eq!(targets_met(&[]), None);
        assert_eq!(targets_met(&[&short]), None);
        assert_eq!(
            targets_met(&[&met]).as_deref(),
            Some(
                "Đạt và vượt cả 1 chỉ tiêu kế hoạch: số buổi tuyên truyền (kế hoạch 10, thực hiện 12)."
            )
        );
        assert!(
            targets_met(&[&met, &short])
                .unwrap()
                .starts_with("Đạt và vượt 1/2 chỉ tiêu")
        );
        // Over: what is short is missed.
        assert_eq!(
            targets_missed(&[&met, &short], Some(100)).as_deref(),
            Some(
                "Còn 1 chỉ tiêu chưa đạt: số lượt người tham dự (kế hoạch 1.000, thực hiện 300, đạt 30%)."
            )
        );
        // Half-way: behind the time gone is at risk, ahead of it is not.
        assert_eq!(
            targets_missed(&[&short, &close], Some(50)).as_deref(),
            Some(
                "Có 1 chỉ tiêu tiến độ thực hiện chậm, có nguy cơ không đạt kế hoạch: số lượt người tham dự (kế hoạch 1.000, thực hiện 300, đạt 30%)."
            )
        );
        assert_eq!(targets_missed(&[&met], None), None);
    }

    #[test]
    fn coverage_idle_units_reports_and_overdue_tasks() {
        assert_eq!(coverage_reached(0, 14, "xã"), None);
        assert_eq!(
            coverage_reached(14, 14, "xã, thị trấn").as_deref(),
            Some("Tất cả 14 xã, thị trấn đều tổ chức hoạt động trong kỳ.")
        );
        assert_eq!(
            coverage_reached(12, 14, "xã").as_deref(),
            Some("12/14 xã đã tổ chức hoạt động trong kỳ.")
        );
        assert_eq!(units_without_activity(&[], 14, "xã"), None);
        assert_eq!(
            units_without_activity(&["Xã A".into(), "Xã B".into()], 14, "xã").as_deref(),
            Some("Còn 2/14 xã chưa tổ chức hoạt động nào trong kỳ: Xã A, Xã B.")
        );
        assert_eq!(
            units_without_activity(&["Xã A".into()], 1, "xã").as_deref(),
            Some("Chưa xã nào tổ chức hoạt động trong kỳ.")
        );
        assert!(reports_behind(&[], &[]).is_empty());
        assert_eq!(
            reports_behind(&["Xã C".into()], &["Xã A".into()]),
            [
                "Còn 1 đơn vị chưa gửi báo cáo: Xã A.",
                "1 đơn vị gửi báo cáo chậm so với thời hạn: Xã C."
            ]
        );
        assert_eq!(overdue_tasks(0), None);
        assert_eq!(
            overdue_tasks(2).as_deref(),
            Some("Còn 2 nhiệm vụ phối hợp quá hạn nhưng chưa hoàn thành.")
        );
        assert_eq!(idle_areas(&[]), None);
        assert_eq!(
            idle_areas(&["Kiểm tra, giám sát".into()]).as_deref(),
            Some("Nội dung “Kiểm tra, giám sát” chưa có kết quả được ghi nhận trong kỳ.")
        );
    }

    #[test]
    fn the_next_period_from_plan_items_and_shortcomings() {
        assert_eq!(next_items(&[]), None);
        assert_eq!(
            next_items(&[("1.2. Tuyên truyền tại cộng đồng".into(), 5)]).as_deref(),
            Some(
                "Tiếp tục triển khai các nội dung của Kế hoạch trong kỳ tới: 1.2. Tuyên truyền tại cộng đồng (5 hoạt động dự kiến)."
            )
        );
        assert!(remedies(&[], 0, 0).is_empty());
        assert_eq!(
            remedies(&["Xã A".into(), "Xã B".into()], 1, 2),
            [
                "Đôn đốc, hướng dẫn Xã A và Xã B tổ chức hoạt động trong kỳ tới.",
                "Tập trung thực hiện các chỉ tiêu chưa đạt hoặc có nguy cơ không đạt.",
                "Hoàn thành 2 nhiệm vụ phối hợp quá hạn."
            ]
        );
    }

    #[test]
    fn doubled_words_are_found() {
        assert_eq!(
            doubled_words("Trên đây là báo cáo báo cáo kết quả").as_deref(),
            Some("báo cáo")
        );
        assert_eq!(doubled_words("cả 4 đều là nữ"), None);
        assert_eq!(doubled_words("từ 20 lên 20 hoạt động"), None);
    }
}
