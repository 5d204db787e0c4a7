//! Who sees a report's exact victim figures, and what everyone else gets instead: the one place
//! the report page, its print view, the DOCX and the XLSX go through (`views::doc_parts`).
//!
//! Exact figures go to the compiling office (the sensitive-statistics capability; reading the
//! report already requires it in scope), to whoever may approve the report (the leader who signs
//! the document carrying them, for that document) and to the unit that entered them, for its
//! own unit's report. Everyone else gets the figures withheld: the victims annex reads "x" with
//! its legend, and the victims sentence the app drafted into the narrative is replaced. Text a
//! person typed into the narrative is theirs: the guard refuses personal numbers in it, but a
//! count written by hand stays as written (see `docs/privacy.md`).

use crate::auth::{Capability, CurrentUser};
use crate::entities::report;
use crate::reports::figures::{Figures, Victims};
use crate::reports::narrative::{self, Narrative};

/// What replaces the drafted victims sentence for a reader who may not see exact figures.
pub const WITHHELD_SENTENCE: &str = "Số liệu về nạn nhân được bảo vệ: chỉ cơ quan tổng hợp, \
     lãnh đạo phê duyệt báo cáo và đơn vị nhập số liệu được xem số liệu chính xác.";

/// The mark of a withheld figure in the documents, and its legend.
pub const MARK: &str = "x";
pub const LEGEND: &str = "x — ẩn để bảo vệ nạn nhân.";

/// Whether this reader may see this report's exact victim figures.
pub fn entitled(user: &CurrentUser, report: &report::Model, may_approve: bool) -> bool {
    user.can(Capability::SensitiveStats)
        || may_approve
        || (user.can(Capability::EnterStats) && user.org_unit_id == report.org_unit_id)
}

/// Whether the figures carry anything about victims at all.
pub fn has_victims(v: &Victims) -> bool {
    v.received > 0
        || v.supported.iter().any(|l| l.persons > 0)
        || v.hotline_received > 0
        || v.hotline_handled > 0
        || v.hotline_referred > 0
        || v.loans_count > 0
        || v.loans_amount > 0
}

/// Withholds the victim figures: none of them is left in `figures`, and the sentence drafted
/// from them is replaced wherever it stands in the narrative.
pub fn withhold(figures: &mut Figures, n: &mut Narrative) {
    let drafted = narrative::victims_draft(figures);
    figures.victims = Victims {
        withheld: true,
        ..Victims::default()
    };
    if drafted.is_empty() {
        return;
    }
    for section in n.values_mut() {
        section.draft = section.draft.replace(&drafted, WITHHELD_SENTENCE);
        if let Some(text) = section.text.as_mut() {
            *text = text.replace(&drafted, WITHHELD_SENTENCE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::figures::SupportLine;
    use crate::reports::narrative::Section;

    #[test]
    fn withheld_figures_leave_no_count_and_replace_the_drafted_sentence() {
        let mut f = Figures {
            victims: Victims {
                received: 4,
                received_women: 4,
                supported: vec![SupportLine {
                    code: "medical".into(),
                    name: "Hỗ trợ y tế".into(),
                    legal_basis: "Luật 2011".into(),
                    persons: 3,
                }],
                loans_count: 1,
                loans_amount: 30_000_000,
                ..Victims::default()
            },
            ..Figures::default()
        };
        let drafted = narrative::victims_draft(&f);
        assert!(drafted.contains("Tiếp nhận 4 nạn nhân"));
        let mut n = Narrative::new();
        n.insert(
            "area_6".into(),
            Section {
                draft: format!("Phối hợp tiếp nhận. {drafted}"),
                text: Some(format!("Đã làm tốt. {drafted} Tiếp tục.")),
            },
        );
        withhold(&mut f, &mut n);
        assert!(f.victims.withheld);
        assert!(!has_victims(&f.victims));
        let s = &n["area_6"];
        for text in [s.draft.as_str(), s.current()] {
            assert!(!text.contains("Tiếp nhận 4"), "{text}");
            assert!(text.contains(WITHHELD_SENTENCE), "{text}");
        }
    }
}
