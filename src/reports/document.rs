//! The report as documents: the official BÁO CÁO (DOCX, Decree 30/2020 layout, with its annex
//! tables in landscape), the statistical annex as XLSX, all built by pure functions from the
//! report, its period and its figures — so an approved report exports the same bytes every time.

use crate::documents::{
    Annex, AnnexTable, Block, Cell, DocumentKind, DocumentNumber, IssueDate, OfficialDocument, Row,
    Signature, render_docx,
};
use crate::entities::{agency, org_unit, plan, report, reporting_period};
use crate::reports::figures::Figures;
use crate::reports::narrative::Narrative;
use chrono::Datelike;

/// Everything a report document is made of.
pub struct ReportDoc<'a> {
    pub report: &'a report::Model,
    pub period: &'a reporting_period::Model,
    pub plan: &'a plan::Model,
    pub unit: &'a org_unit::Model,
    /// The unit that issued the plan reported on, when it is not `unit` (a commune's report on
    /// its province's plan cites the province's plan).
    pub plan_unit: Option<&'a org_unit::Model>,
    /// The partner agency answering, when the report is an agency's rather than a unit's.
    pub agency: Option<&'a agency::Model>,
    pub figures: &'a Figures,
    pub narrative: &'a Narrative,
}

/// The issuer's abbreviation in the number symbol: "UBND" for a People's Committee, the last
/// part of an agency's code otherwise (TH-CA → BC-CA).
fn number_of(r: &report::Model, agency: Option<&agency::Model>) -> DocumentNumber {
    let abbreviation = agency
        .and_then(|a| a.code.rsplit('-').next())
        .unwrap_or("UBND");
    let symbol = DocumentKind::Report.symbol(abbreviation);
    match r
        .document_number
        .as_deref()
        .map(str::trim)
        .and_then(|n| n.split_once('/'))
    {
        Some((serial, sym)) => match serial.trim().parse::<u32>() {
            Ok(s) => DocumentNumber::new(s, sym.trim()),
            Err(_) => DocumentNumber::draft(sym.trim()),
        },
        None => DocumentNumber::draft(symbol),
    }
}

fn text(n: &Narrative, key: &str) -> String {
    n.get(key)
        .map(|s| s.current().trim().to_owned())
        .unwrap_or_default()
}

/// A section's text as paragraphs, one a line; none for an empty section.
fn section_text(n: &Narrative, key: &str) -> Vec<Block> {
    text(n, key)
        .split('\n')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Block::paragraph)
        .collect()
}

/// The Roman-numbered sections of the body: one with nothing to say is left out and the rest
/// keep consecutive numbers.
#[derive(Default)]
struct Sections {
    blocks: Vec<Block>,
    count: u32,
}

impl Sections {
    fn add(&mut self, title: &str, content: Vec<Block>) {
        if content.is_empty() {
            return;
        }
        self.count += 1;
        self.blocks.push(Block::section(self.count, title));
        self.blocks.extend(content);
    }
}

/// The numbered items of a section ("1.", "2."…), likewise without empty ones.
#[derive(Default)]
struct Items {
    blocks: Vec<Block>,
    count: usize,
}

impl Items {
    fn add(&mut self, title: impl Into<String>, content: Vec<Block>) {
        if content.is_empty() {
            return;
        }
        self.count += 1;
        self.blocks
            .push(Block::item(self.count.to_string(), title.into(), None));
        self.blocks.extend(content);
    }
}

/// The number each printed section carries in the document ("I.", "II.2.", "III.2."), by
/// the rules of [`official`]: a section with nothing to print has no number and the ones after
/// it move up. The editor labels its sections with these, so the page and the DOCX agree.
pub fn section_numbers(
    f: &Figures,
    n: &Narrative,
    level: crate::reports::narrative::Level,
) -> std::collections::HashMap<String, String> {
    use crate::reports::narrative::Level;
    let printed = |key: &str| !text(n, key).is_empty();
    let area = |a: &crate::reports::figures::AreaFigures| {
        let key = format!("area_{}", a.number);
        (printed(&key) || !a.targets.is_empty()).then_some(key)
    };
    let mut out = std::collections::HashMap::new();
    let mut count = 0u32;
    let mut section = |out: &mut std::collections::HashMap<String, String>,
                       head: Option<String>,
                       items: Vec<String>| {
        if head.is_none() && items.is_empty() {
            return;
        }
        count += 1;
        let r = crate::documents::roman(count);
        if let Some(h) = head {
            out.insert(h, format!("{r}. "));
        }
        for (i, key) in items.into_iter().enumerate() {
            out.insert(key, format!("{r}.{}. ", i + 1));
        }
    };
    let own = |key: &str| printed(key).then(|| key.to_owned());
    section(&mut out, own("situation"), Vec::new());
    let (results_head, results) = match level {
        Level::Compiled => {
            let mut items: Vec<String> = own("leadership").into_iter().collect();
            items.extend(f.areas.iter().filter_map(area));
            items.extend(own("funding"));
            (None, items)
        }
        Level::Unit => (own("results"), f.areas.iter().filter_map(area).collect()),
        Level::Agency => (own("results"), Vec::new()),
    };
    section(&mut out, results_head, results);
    let parts: &[&str] = match level {
        Level::Compiled => &["strengths", "shortcomings", "causes", "lessons"],
        _ => &["strengths", "shortcomings"],
    };
    let assessment = parts.iter().filter_map(|k| own(k)).collect();
    section(&mut out, None, assessment);
    section(&mut out, own("next_tasks"), Vec::new());
    section(&mut out, own("recommendations"), Vec::new());
    out
}

/// "UBND tỉnh Đắk Lắk", "UBND thị trấn Phú Thứ": the People's Committee of a unit, as the
/// body text names it.
pub fn committee_of(unit: &org_unit::Model) -> String {
    match crate::org_units::split_name(&unit.name) {
        (Some(word), rest) => format!("UBND {} {rest}", word.to_lowercase()),
        (None, name) => format!("UBND {name}"),
    }
}

/// The place in the date line: the unit's name without its kind word ("Tây Hòa").
fn place_of(unit: &org_unit::Model) -> String {
    crate::org_units::split_name(&unit.name).1.to_owned()
}

/// An area's targets against their results, one bullet each.
fn targets_of(a: &crate::reports::figures::AreaFigures, body: &mut Vec<Block>) {
    for t in &a.targets {
        body.push(Block::bullet(format!(
            "{}: kế hoạch {}, thực hiện {}.",
            t.name,
            crate::web::format::number(t.target),
            crate::web::format::number(t.result)
        )));
    }
}

/// The official BÁO CÁO.
pub fn official(d: &ReportDoc<'_>) -> OfficialDocument {
    let n = d.narrative;
    let f = d.figures;
    let mut body = Vec::new();
    let issuer = committee_of(d.unit);
    let plan_issuer = committee_of(d.plan_unit.unwrap_or(d.unit));
    // An agency answers the plan of its unit's People's Committee.
    let reporter = d.agency.map_or_else(|| issuer.clone(), |a| a.name.clone());
    let attached = annexes(f, &attachment_line(d, &reporter));
    let basis = format!(
        "Thực hiện Kế hoạch{}{} của {plan_issuer} về {}; {reporter} báo cáo kết quả thực hiện như sau:",
        d.plan
            .number
            .as_deref()
            .map(|num| format!(" số {num}"))
            .unwrap_or_default(),
        d.plan
            .issued_on
            .map(|on| format!(" ngày {}", on.format("%d/%m/%Y")))
            .unwrap_or_default(),
        lower_first(without_word(&d.plan.title, "kế hoạch")),
    );
    body.push(Block::paragraph(basis));
    let compiled = d.report.level == crate::reports::service::COMPILED;
    let mut sections = Sections::default();
    sections.add("Đặc điểm tình hình", section_text(n, "situation"));
    let mut results = Vec::new();
    if compiled {
        let mut items = Items::default();
        items.add("Công tác lãnh đạo, chỉ đạo", section_text(n, "leadership"));
        for a in &f.areas {
            let mut content = section_text(n, &format!("area_{}", a.number));
            targets_of(a, &mut content);
            items.add(a.heading.clone(), content);
        }
        items.add("Kinh phí thực hiện", section_text(n, "funding"));
        results.extend(items.blocks);
    } else {
        results.extend(section_text(n, "results"));
        // A unit's own work under its plan's content areas; an agency's is one text.
        if d.agency.is_none() {
            let mut items = Items::default();
            for a in &f.areas {
                let mut content = section_text(n, &format!("area_{}", a.number));
                targets_of(a, &mut content);
                items.add(a.heading.clone(), content);
            }
            results.extend(items.blocks);
        }
    }
    if !results.is_empty() {
        results.extend(annex_reference(&attached));
    }
    sections.add("Kết quả thực hiện", results);
    let mut assessment = Items::default();
    let parts: &[(&str, &str)] = if compiled {
        &[
            ("strengths", "Ưu điểm"),
            ("shortcomings", "Tồn tại, hạn chế"),
            ("causes", "Nguyên nhân"),
            ("lessons", "Bài học kinh nghiệm"),
        ]
    } else {
        &[
            ("strengths", "Ưu điểm"),
            ("shortcomings", "Tồn tại, hạn chế"),
        ]
    };
    for (key, title) in parts {
        assessment.add(*title, section_text(n, key));
    }
    sections.add("Đánh giá chung", assessment.blocks);
    sections.add("Phương hướng, nhiệm vụ", section_text(n, "next_tasks"));
    sections.add("Kiến nghị, đề xuất", section_text(n, "recommendations"));
    body.extend(sections.blocks);
    body.push(Block::paragraph(format!(
        "Trên đây là báo cáo {} của {reporter}./.",
        lower_first(without_kind_word(&d.period.title)),
    )));
    OfficialDocument {
        issuer: match d.agency {
            Some(a) => vec![crate::documents::IssuerLine::bold(a.name.clone())],
            None => crate::plans::document::issuer_of(d.unit),
        },
        number: number_of(d.report, d.agency),
        place: place_of(d.unit),
        date: match d.report.document_date {
            Some(date) => IssueDate::On(date),
            None => IssueDate::Undated {
                year: d.period.period_end.year(),
            },
        },
        kind: DocumentKind::Report,
        subject: capitalised(without_kind_word(&d.period.title)),
        body,
        signature: Signature {
            authority: Some(d.report.signer_authority.trim().to_owned()).filter(|a| !a.is_empty()),
            title: d.report.signer_title.clone(),
            name: d.report.signer_name.clone(),
        },
        recipients: d
            .report
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
        annexes: attached,
    }
}

/// "(Kèm theo Báo cáo số 25/BC-UBND ngày 03/12/2026 của UBND xã Tây Hòa)", with the blanks a
/// draft leaves for the records clerk.
fn attachment_line(d: &ReportDoc<'_>, issuer: &str) -> String {
    let number = number_of(d.report, d.agency).line();
    // A draft keeps the blank before the symbol, for the clerk's hand.
    let number = number.strip_prefix("Số: ").unwrap_or(&number);
    let date = d.report.document_date.map_or_else(
        || "     ".to_owned(),
        |on| on.format("%d/%m/%Y").to_string(),
    );
    format!("(Kèm theo Báo cáo số {number} ngày {date} của {issuer})")
}

/// "Số liệu chi tiết tại Phụ lục I, II và III kèm theo.": the body points to its annexes.
fn annex_reference(annexes: &[Annex]) -> Option<Block> {
    let names: Vec<String> = annexes
        .iter()
        .map(|a| a.title.trim_start_matches("Phụ lục ").to_owned())
        .collect();
    let list = match names.split_last() {
        None => return None,
        Some((last, [])) => last.clone(),
        Some((last, first)) => format!("{} và {last}", first.join(", ")),
    };
    Some(Block::paragraph(format!(
        "Số liệu chi tiết tại Phụ lục {list} kèm theo."
    )))
}

/// The annex tables that hold data — communication by commune, training, victims, budget —
/// numbered I, II… as officials number annexes, each titled in capitals with the line that
/// attaches it to its report. An annex with nothing to show is left out.
pub fn annexes(f: &Figures, attached: &str) -> Vec<Annex> {
    fn t(s: impl Into<String>) -> Cell {
        Cell::text(s)
    }
    let n = Cell::number;
    let mut by_unit = vec![];
    for (i, u) in f.units.iter().enumerate() {
        let mut name = u.name.clone();
        if u.ethnic_minority {
            name.push_str(" (DTTS)");
        }
        if u.border_area {
            name.push_str(" (giáp ranh)");
        }
        by_unit.push(Row::new(vec![
            n(i64::try_from(i + 1).unwrap_or(0)),
            t(name),
            n(u.sessions),
            n(u.participants),
            n(u.women),
            n(u.ethnic),
            n(u.children),
            n(u.distributed),
            n(u.broadcasts),
        ]));
    }
    let sum = |g: fn(&crate::reports::figures::UnitRow) -> i64| f.units.iter().map(g).sum::<i64>();
    by_unit.push(Row::total(vec![
        t("Tổng cộng").span(2, 1),
        n(sum(|u| u.sessions)),
        n(sum(|u| u.participants)),
        n(sum(|u| u.women)),
        n(sum(|u| u.ethnic)),
        n(sum(|u| u.children)),
        n(sum(|u| u.distributed)),
        n(sum(|u| u.broadcasts)),
    ]));
    let mut training = vec![];
    for (i, tr) in f.training.iter().enumerate() {
        training.push(Row::new(vec![
            n(i64::try_from(i + 1).unwrap_or(0)),
            t(tr.title.clone()),
            t(crate::web::format::date(tr.date)),
            t(tr.unit.clone()),
            n(tr.trainees),
        ]));
    }
    training.push(Row::total(vec![
        t("Tổng cộng").span(4, 1),
        n(f.training.iter().map(|x| x.trainees).sum()),
    ]));
    let mut budget = vec![];
    for (i, b) in f.budget.iter().enumerate() {
        budget.push(Row::new(vec![
            n(i64::try_from(i + 1).unwrap_or(0)),
            t(b.name.clone()),
            n(b.planned),
            n(b.spent),
        ]));
    }
    budget.push(Row::total(vec![
        t("Tổng cộng").span(2, 1),
        n(f.budget.iter().map(|b| b.planned).sum()),
        n(f.budget.iter().map(|b| b.spent).sum()),
    ]));
    let period = format!(
        "(Từ ngày {} đến ngày {})",
        crate::web::format::date(f.period_start),
        crate::web::format::date(f.period_end)
    );
    let v = &f.victims;
    // A withheld figure (`reports::privacy`) prints as the mark, never as a zero.
    let fig = |x: i64| {
        if v.withheld {
            t(crate::reports::privacy::MARK)
        } else {
            n(x)
        }
    };
    let mut victims = vec![
        Row::new(vec![n(1), t("Số nạn nhân được tiếp nhận"), fig(v.received)]),
        Row::new(vec![n(2), t("Trong đó: nữ"), fig(v.received_women)]),
        Row::new(vec![
            n(3),
            t("Trong đó: trẻ em dưới 16 tuổi"),
            fig(v.received_children),
        ]),
    ];
    for (i, l) in v.supported.iter().enumerate() {
        victims.push(Row::new(vec![
            n(i64::try_from(i + 4).unwrap_or(0)),
            t(format!("Hỗ trợ: {} ({})", l.name, l.legal_basis)),
            fig(l.persons),
        ]));
    }
    let next = i64::try_from(v.supported.len() + 4).unwrap_or(0);
    victims.push(Row::new(vec![
        n(next),
        t("Thông tin qua Tổng đài 111: tiếp nhận"),
        fig(v.hotline_received),
    ]));
    victims.push(Row::new(vec![
        n(next + 1),
        t("Thông tin qua Tổng đài 111: chuyển tuyến"),
        fig(v.hotline_referred),
    ]));
    victims.push(Row::new(vec![
        n(next + 2),
        t("Hồ sơ vay vốn NHCSXH được giải ngân"),
        fig(v.loans_count),
    ]));
    victims.push(Row::new(vec![
        n(next + 3),
        t("Số tiền vay (đồng)"),
        fig(v.loans_amount),
    ]));
    let v_empty = !v.withheld
        && v.received == 0
        && v.supported.iter().all(|l| l.persons == 0)
        && v.hotline_received == 0
        && v.loans_count == 0;
    let kept = [
        // A table of communes where nothing was held would only print "Tổng cộng 0".
        f.units.iter().any(|u| u.sessions > 0),
        !f.training.is_empty(),
        !v_empty,
        !f.budget.is_empty(),
    ];
    let all = vec![
        Annex {
            title: "Kết quả truyền thông theo đơn vị".to_owned(),
            subtitle: period.clone(),
            note: Some("Số liệu tổng hợp từ các hoạt động đã được ghi nhận kết quả.".to_owned()),
            landscape: true,
            table: AnnexTable {
                column_widths: vec![5, 26, 10, 12, 10, 10, 10, 12, 10],
                header_rows: vec![vec![
                    t("TT"),
                    t("Đơn vị"),
                    t("Số hoạt động"),
                    t("Lượt người tham dự"),
                    t("Trong đó nữ"),
                    t("Người DTTS"),
                    t("Trẻ em"),
                    t("Tài liệu cấp phát"),
                    t("Lần phát thanh"),
                ]],
                body_rows: by_unit,
            },
        },
        Annex {
            title: "Tập huấn, bồi dưỡng cán bộ".to_owned(),
            subtitle: period.clone(),
            note: None,
            landscape: false,
            table: AnnexTable {
                column_widths: vec![5, 40, 14, 22, 12],
                header_rows: vec![vec![
                    t("TT"),
                    t("Lớp tập huấn"),
                    t("Ngày"),
                    t("Đơn vị"),
                    t("Số học viên"),
                ]],
                body_rows: training,
            },
        },
        Annex {
            title: "Nạn nhân được tiếp nhận, hỗ trợ".to_owned(),
            subtitle: period.clone(),
            note: Some(if f.victims.withheld {
                format!(
                    "Số liệu tổng hợp; không có thông tin cá nhân của nạn nhân. {}",
                    crate::reports::privacy::LEGEND
                )
            } else {
                "Số liệu tổng hợp; không có thông tin cá nhân của nạn nhân.".to_owned()
            }),
            landscape: false,
            table: AnnexTable {
                column_widths: vec![5, 60, 15],
                header_rows: vec![vec![t("TT"), t("Chỉ tiêu"), t("Số lượng")]],
                body_rows: victims,
            },
        },
        Annex {
            title: "Kinh phí thực hiện".to_owned(),
            subtitle: period,
            note: Some("Đơn vị tính: đồng.".to_owned()),
            landscape: false,
            table: AnnexTable {
                column_widths: vec![5, 40, 20, 20],
                header_rows: vec![vec![
                    t("TT"),
                    t("Nguồn kinh phí"),
                    t("Dự toán"),
                    t("Đã chi"),
                ]],
                body_rows: budget,
            },
        },
    ];
    all.into_iter()
        .zip(kept)
        .filter(|(_, keep)| *keep)
        .enumerate()
        .map(|(i, (a, _))| {
            // The period and any unit of measure follow the attachment line.
            let detail = match &a.note {
                Some(note) => format!("{} {note}", a.subtitle),
                None => a.subtitle.clone(),
            };
            Annex {
                title: format!(
                    "Phụ lục {}",
                    crate::documents::roman(u32::try_from(i + 1).unwrap_or(1))
                ),
                subtitle: a.title.to_uppercase(),
                note: Some(format!("{attached}\n{detail}")),
                ..a
            }
        })
        .collect()
}

pub fn docx(d: &ReportDoc<'_>) -> Result<Vec<u8>, crate::documents::DocumentError> {
    render_docx(&official(d))
}

/// The statistical annex as a workbook: the same tables, real numbers, Vietnamese headers,
/// print setup. Fixed document properties keep the bytes stable for an approved report.
pub fn xlsx(d: &ReportDoc<'_>) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{
        DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook,
    };
    let mut wb = Workbook::new();
    let created = d
        .report
        .approved_at
        .unwrap_or(d.report.updated_at)
        .naive_utc();
    let when = ExcelDateTime::from_timestamp(created.and_utc().timestamp())?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(&d.period.title)
            .set_author("kehoach")
            .set_creation_datetime(&when),
    );
    let title = Format::new()
        .set_bold()
        .set_font_size(13)
        .set_font_name("Times New Roman");
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_font_name("Times New Roman");
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_font_name("Times New Roman");
    let plain = Format::new().set_font_name("Times New Roman");
    let num = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0")
        .set_font_name("Times New Roman");
    let total = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0")
        .set_font_name("Times New Roman");
    let issuer = d
        .agency
        .map_or_else(|| committee_of(d.unit), |a| a.name.clone());
    for annex in &annexes(d.figures, &attachment_line(d, &issuer)) {
        let ws = wb.add_worksheet();
        // "Phụ lục I": accents kept, within Excel's 31 characters and allowed characters.
        ws.set_name(&annex.title)?;
        let header_row = 3u32;
        ws.set_paper_size(9);
        if annex.landscape {
            ws.set_landscape();
        }
        ws.set_print_fit_to_pages(1, 0);
        ws.set_repeat_rows(header_row, header_row)?;
        ws.write_with_format(0, 0, &annex.title, &title)?;
        ws.write_with_format(1, 0, &annex.subtitle, &plain)?;
        if let Some(note) = &annex.note {
            ws.write_with_format(2, 0, note.replace('\n', " "), &plain)?;
        }
        let headers = annex
            .table
            .header_rows
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(c, h)| {
                let width = annex.table.column_widths.get(c).copied().unwrap_or(10);
                match &h.value {
                    crate::documents::CellValue::Text(s) => {
                        Some((s.as_str(), f64::from(width.max(6)) * 0.9))
                    }
                    crate::documents::CellValue::Number(_) => None,
                }
            });
        ws.set_row_height(
            header_row,
            crate::spreadsheets::sheet::header_height(headers),
        )?;
        for (c, h) in annex.table.header_rows.iter().flatten().enumerate() {
            let col = u16::try_from(c).unwrap_or(0);
            if let crate::documents::CellValue::Text(s) = &h.value {
                ws.write_with_format(header_row, col, s, &head)?;
            }
            let width = annex.table.column_widths.get(c).copied().unwrap_or(10);
            ws.set_column_width(col, f64::from(width.max(6)) * 0.9)?;
        }
        ws.set_freeze_panes(header_row + 1, 0)?;
        for (r, row) in annex.table.body_rows.iter().enumerate() {
            let excel_row = header_row + 1 + u32::try_from(r).unwrap_or(0);
            let mut col = 0u16;
            for c in &row.cells {
                match &c.value {
                    crate::documents::CellValue::Number(v) => {
                        ws.write_with_format(
                            excel_row,
                            col,
                            *v as f64,
                            if row.bold { &total } else { &num },
                        )?;
                    }
                    crate::documents::CellValue::Text(s) => {
                        ws.write_with_format(excel_row, col, s, &cell)?;
                    }
                }
                col += u16::try_from(c.col_span.max(1)).unwrap_or(1);
            }
        }
    }
    wb.save_to_buffer()
}

/// A plan's subject as the text cites it after "về": "Kế hoạch thực hiện …" → "thực hiện …".
pub fn plan_subject(title: &str) -> String {
    lower_first(without_word(title, "kế hoạch"))
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A period's title without a leading "Báo cáo": the document says BÁO CÁO above its subject
/// and "Trên đây là báo cáo …" at its end, and must not say it twice.
fn without_kind_word(title: &str) -> &str {
    without_word(title, "báo cáo")
}

/// `title` without a leading `word` (any case): "Kế hoạch thực hiện …" cited as "về thực hiện …".
fn without_word<'a>(title: &'a str, word: &str) -> &'a str {
    let t = title.trim();
    match t.char_indices().nth(word.chars().count()) {
        Some((i, c)) if c == ' ' && t[..i].to_lowercase() == word => t[i..].trim_start(),
        _ => t,
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod wording_tests {
    use super::*;

    #[test]
    fn the_kind_word_is_said_once() {
        assert_eq!(
            without_kind_word("Báo cáo kết quả thực hiện kế hoạch 6 tháng đầu năm 2026"),
            "kết quả thực hiện kế hoạch 6 tháng đầu năm 2026"
        );
        assert_eq!(without_kind_word("Kết quả 6 tháng"), "Kết quả 6 tháng");
        assert_eq!(
            without_word("Kế hoạch thực hiện công tác năm 2026", "kế hoạch"),
            "thực hiện công tác năm 2026"
        );
        assert_eq!(without_word("Kế hoạchX", "kế hoạch"), "Kế hoạchX");
        assert_eq!(capitalised("kết quả"), "Kết quả");
    }
}
