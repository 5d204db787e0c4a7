//! The plan as an official KẾ HOẠCH document (Decree 30/2020 layout), built from the plan tree
//! and handed to the document layer.

use crate::documents::{
    Block, DocumentKind, DocumentNumber, IssueDate, IssuerLine, OfficialDocument, Signature,
    render_docx,
};
use crate::entities::{org_unit, plan};
use crate::plans::repo::{ItemNode, PlanView};
use chrono::Datelike;

/// "12/KH-UBND" → serial 12 and symbol "KH-UBND"; a plan without a number is a draft whose
/// number the records clerk fills in.
pub fn number_of(p: &plan::Model) -> DocumentNumber {
    let default_symbol = DocumentKind::Plan.symbol("UBND");
    match p.number.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => match n.split_once('/') {
            Some((serial, symbol)) => match serial.trim().parse::<u32>() {
                Ok(s) => DocumentNumber::new(s, symbol.trim()),
                Err(_) => DocumentNumber::draft(symbol.trim()),
            },
            None => DocumentNumber::draft(default_symbol),
        },
        _ => DocumentNumber::draft(default_symbol),
    }
}

/// The issuing body of a People's Committee: "ỦY BAN NHÂN DÂN" over the unit's name, both bold.
pub fn issuer_of(unit: &org_unit::Model) -> Vec<IssuerLine> {
    vec![
        IssuerLine::bold("Ủy ban nhân dân"),
        IssuerLine::bold(unit.name.clone()),
    ]
}

fn blocks(nodes: &[ItemNode], depth: usize, out: &mut Vec<Block>) {
    for (i, n) in nodes.iter().enumerate() {
        let it = &n.item;
        let body = it.body.as_deref().filter(|b| !b.trim().is_empty());
        if depth == 0 {
            out.push(Block::section(
                u32::try_from(i + 1).unwrap_or(1),
                it.heading.clone(),
            ));
            if let Some(b) = body {
                out.push(Block::paragraph(b));
            }
        } else if it.label == "-" || it.label == "+" {
            let text = match (it.heading.trim(), body) {
                ("", Some(b)) => b.to_owned(),
                (h, Some(b)) => format!("{h}: {b}"),
                (h, None) => h.to_owned(),
            };
            out.push(Block::bullet(text));
        } else if it.label.chars().all(|c| c.is_ascii_lowercase()) && !it.label.is_empty() {
            let text = match (it.heading.trim(), body) {
                ("", Some(b)) => b.to_owned(),
                (h, Some(b)) => format!("{h}: {b}"),
                (h, None) => h.to_owned(),
            };
            out.push(Block::point(it.label.clone(), text));
        } else {
            let title = match (it.heading.trim(), body) {
                ("", _) => String::new(),
                (h, Some(_)) => format!("{h}:"),
                (h, None) => h.to_owned(),
            };
            out.push(Block::item(it.label.clone(), title, body));
        }
        for t in &n.targets {
            let kind = t
                .activity_type
                .as_ref()
                .map(|a| format!(" ({})", a.name_vi.to_lowercase()))
                .unwrap_or_default();
            out.push(Block::paragraph(format!(
                "Chỉ tiêu: {}{kind}: {} {}.",
                t.indicator.name_vi,
                crate::web::format::number(t.value),
                t.unit
            )));
        }
        if !n.budgets.is_empty() {
            let parts: Vec<String> = n
                .budgets
                .iter()
                .map(|b| {
                    format!(
                        "{}: {} đồng",
                        b.source.name_vi,
                        crate::web::format::number(b.amount)
                    )
                })
                .collect();
            out.push(Block::paragraph(format!(
                "Kinh phí dự kiến: {}.",
                parts.join("; ")
            )));
        }
        blocks(&n.children, depth + 1, out);
    }
}

/// Marks the end of the body the way official documents do: "./.".
fn close_body(body: &mut [Block]) {
    let last_text = body.iter_mut().rev().find_map(|b| match b {
        Block::Paragraph(t) | Block::Bullet(t) => Some(t),
        Block::Item { text: Some(t), .. } => Some(t),
        Block::Point { text, .. } => Some(text),
        _ => None,
    });
    if let Some(t) = last_text {
        let trimmed = t.trim_end().trim_end_matches(['.', ';']).to_owned();
        *t = format!("{trimmed}./.");
    }
}

/// "Căn cứ …;": one paragraph per legal basis of the plan, in its order, unless the preamble
/// already cites it in its own words (a basis is then not said twice).
pub fn legal_bases(view: &PlanView) -> Vec<Block> {
    let preamble = crate::text::fold(&view.plan.preamble);
    let bases: Vec<String> = view
        .legal_bases
        .iter()
        .map(|b| {
            b.text
                .trim()
                .trim_end_matches([';', '.', ','])
                .trim()
                .to_owned()
        })
        .filter(|b| !b.is_empty() && !preamble.contains(&crate::text::fold(b)))
        .collect();
    bases
        .iter()
        .map(|b| Block::paragraph(format!("Căn cứ {};", without_base_word(b).unwrap_or(b))))
        .collect()
}

/// A basis typed with its own "Căn cứ" keeps one.
fn without_base_word(b: &str) -> Option<&str> {
    let lower = b.to_lowercase();
    lower
        .starts_with("căn cứ ")
        .then(|| b["căn cứ ".len()..].trim_start())
}

pub fn official_document(view: &PlanView, unit: &org_unit::Model) -> OfficialDocument {
    let p = &view.plan;
    let mut body = Vec::new();
    body.extend(legal_bases(view));
    if !p.preamble.trim().is_empty() {
        body.push(Block::paragraph(p.preamble.trim()));
    }
    blocks(&view.items, 0, &mut body);
    close_body(&mut body);
    OfficialDocument {
        issuer: issuer_of(unit),
        number: number_of(p),
        place: p.place.clone(),
        date: match p.issued_on {
            Some(d) => IssueDate::On(d),
            None => IssueDate::Undated {
                year: p.period_start.year(),
            },
        },
        kind: DocumentKind::Plan,
        subject: p.title.clone(),
        body,
        signature: Signature {
            authority: Some(p.signer_authority.trim().to_owned()).filter(|a| !a.is_empty()),
            title: p.signer_title.clone(),
            name: p.signer_name.clone(),
        },
        recipients: p
            .recipients
            .lines()
            .map(|l| {
                l.trim()
                    .trim_start_matches('-')
                    .trim()
                    .trim_end_matches([';', '.'])
                    .to_owned()
            })
            .filter(|l| !l.is_empty())
            .collect(),
        annexes: Vec::new(),
    }
}

pub fn render(
    view: &PlanView,
    unit: &org_unit::Model,
) -> Result<Vec<u8>, crate::documents::DocumentError> {
    render_docx(&official_document(view, unit))
}
