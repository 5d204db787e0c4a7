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
            (None, false) => String::new(),
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
        n => format!(
            "; đã nhận {}/{} báo cáo.",
            number(n),
            number(r.expected)
        ),
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
        0 => "; chưa nhiệm vụ nào hoàn thành.".to_owned(),
        d if d >= assigned => ", tất cả đã hoàn thành.".to_owned(),
        d => format!("; đã hoàn thành {} nhiệm vụ.", number(d)),
    });
    Some(s)
}

/// The totals of a unit's period: "Trong kỳ, trên địa bàn xã đã tổ chức 12 hoạt động…".
pub fn totals(kind_word: &str, held: i64, participants: i64) -> String {
    let place = on_territory(kind_word);
    match (held, participants) {
        (0, _) => format!("Trong kỳ, {place} chưa tổ chức hoạt động phòng, chống mua bán người nào."),
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
            && !(first.starts_with("trong đó") || first.starts_with("cả") || first.starts_with("là "))
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
        format!("Đạt và vượt cả {} chỉ tiêu kế hoạch: {}.", met.len(), met.join("; "))
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

/// Units with no activity, by name.
pub fn units_without_activity(names: &[String], units: i64, kinds: &str) -> Option<String> {
    match names.len() {
        0 => None,
        n if n as i64 >= units => Some(format!(
            "Chưa {kinds} nào tổ chức hoạt động trong kỳ."
        )),
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
            "Nội dung \"{}\" chưa có kết quả được ghi nhận trong kỳ.",
            headings[0]
        )),
        _ => Some(format!(
            "Các nội dung chưa có kết quả được ghi nhận trong kỳ: {}.",
            headings
                .iter()
                .map(|h| format!("\"{h}\""))
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
            if w[..n] == w[n..] && w[..n].iter().all(|x| !x.chars().all(|c| c.is_ascii_digit()))
            {
                return Some(w[..n].join(" "));
            }
        }
    }
    None
}
