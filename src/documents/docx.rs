//! Rendering an [`OfficialDocument`] to DOCX bytes with docx-rs, following the layout table of
//! docs/domain.md (Decree 30/2020/NĐ-CP, Annex I).

mod annex;
mod blocks;

use std::io::Cursor;

use docx_rs::{
    AlignmentType, BorderType, Docx, FieldCharType, Header, InstrPAGE, InstrText, LineSpacing,
    LineSpacingType, PageMargin, PageOrientationType, PageSize, Paragraph, ParagraphBorder,
    ParagraphBorderPosition, ParagraphBorders, Run, RunFonts, SectionProperty, SpecialIndentType,
    Table,
};
use unicode_normalization::UnicodeNormalization;

use super::metrics::text_width;
use super::{Block, DocumentError, OfficialDocument, roman, vn_date_line};

/// Millimetres to twips (1/1440 inch), rounded to the nearest twip.
const fn mm(mm: u32) -> u32 {
    (mm * 14_400 + 127) / 254
}

pub(super) const PAGE_WIDTH: u32 = 11_906;
pub(super) const PAGE_HEIGHT: u32 = 16_838;
pub(super) const MARGIN_TOP: u32 = mm(20);
pub(super) const MARGIN_BOTTOM: u32 = mm(20);
pub(super) const MARGIN_LEFT: u32 = mm(30);
pub(super) const MARGIN_RIGHT: u32 = mm(15);
/// The page number sits in the top margin, this far from the edge of the paper.
const HEADER_DISTANCE: u32 = mm(10);
const TEXT_WIDTH: u32 = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
const LANDSCAPE_TEXT_WIDTH: u32 = PAGE_HEIGHT - MARGIN_LEFT - MARGIN_RIGHT;

pub(super) const FONT: &str = "Times New Roman";
const BLACK: &str = "000000";

// Font sizes in half-points, Word's unit.
const PT11: usize = 22;
const PT12: usize = 24;
const PT13: usize = 26;
const PT14: usize = 28;

/// 1.27 cm, the upper end of the Decree's 1–1.27 cm.
pub(super) const FIRST_LINE_INDENT: i32 = 720;
/// 6 pt, the Decree's minimum between paragraphs.
const PARAGRAPH_AFTER: u32 = 120;
/// Line spacing in 240ths of a line: 1.2, between the Decree's single and 1.5.
const BODY_LINE: i32 = 288;
const SINGLE_LINE: i32 = 240;
/// Room for the handwritten signature and the seal above the signer's name.
pub(super) const SIGNATURE_SPACE: u32 = mm(28);

/// The header block's columns: issuer and number on the left (longer issuer lines wrap), and
/// on the right room for the national title on one line (about 96 mm at 13 pt bold).
const HEADER_LEFT: u32 = mm(62);
pub(super) const HEADER_RIGHT: u32 = TEXT_WIDTH - HEADER_LEFT;
const CLOSING_LEFT: u32 = TEXT_WIDTH / 2;
const CLOSING_RIGHT: u32 = TEXT_WIDTH - CLOSING_LEFT;

/// Height of the empty paragraph carrying a rule, in twips: the gap between text and rule.
const RULE_HEIGHT: i32 = 60;
/// Rule thickness in eighths of a point.
const RULE_WEIGHT: usize = 6;

pub const NATIONAL_TITLE: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
pub const MOTTO: &str = "Độc lập - Tự do - Hạnh phúc";

/// Renders the document to the bytes of a .docx file.
///
/// Deterministic: docx-rs writes fixed dates in `docProps/core.xml`, the ZIP entries carry the
/// DOS epoch as long as zip's `time` feature stays off, and paragraph ids are numbered here
/// instead of by docx-rs's thread-local counter.
pub fn render_docx(doc: &OfficialDocument) -> Result<Vec<u8>, DocumentError> {
    let mut w = Writer::default();
    let main = w.main_part(doc);
    let annexes = doc
        .annexes
        .iter()
        .enumerate()
        .map(|(i, annex)| w.annex(i + 1, annex))
        .collect::<Result<Vec<_>, _>>()?;

    // Both headers are registered on the body's (last) section so that docx-rs packs them and
    // writes their relationships; each section then references them itself. docx-rs's own
    // `Section` cannot carry a default and a first-page header at once (the second is lost).
    let mut docx = Docx::new()
        .default_fonts(fonts())
        .default_size(PT14)
        .header(Header::new().add_paragraph(w.page_number()))
        // An empty first-page header: the first page carries no number.
        .first_header(Header::new().add_paragraph(w.paragraph()));
    let every_page = docx.document.section_property.header_reference.clone();
    let first_page = docx
        .document
        .section_property
        .first_header_reference
        .clone();

    // In DOCX the last section's properties belong to the body; each earlier section ends in
    // a paragraph carrying its own.
    let landscape = doc.annexes.iter().map(|a| a.landscape);
    let sections: Vec<(Vec<Part>, bool)> = std::iter::once((main, false))
        .chain(annexes.into_iter().zip(landscape))
        .collect();
    let last = sections.len() - 1;
    for (i, (parts, landscape)) in sections.into_iter().enumerate() {
        for part in parts {
            docx = match part {
                Part::Paragraph(p) => docx.add_paragraph(*p),
                Part::Table(t) => docx.add_table(*t),
            };
        }
        let (size, margin) = page_setup(landscape);
        // Only the first page of the document goes without a number.
        let title_page = i == 0;
        let mut props = if i == last {
            std::mem::take(&mut docx.document.section_property)
        } else {
            SectionProperty::new()
        };
        props.page_size = size;
        props.page_margin = margin;
        props.title_pg = title_page;
        props.header_reference = every_page.clone();
        props.first_header_reference = if title_page { first_page.clone() } else { None };
        // A section must not end in a table (Word then adds a paragraph of its own), and the
        // properties of all but the last section travel in a paragraph: a tiny empty one.
        let end = w.paragraph().size(2).line_spacing(
            LineSpacing::new()
                .before(0)
                .after(0)
                .line(RULE_HEIGHT)
                .line_rule(LineSpacingType::Exact),
        );
        if i == last {
            docx.document.section_property = props;
            docx = docx.add_paragraph(end);
        } else {
            docx = docx.add_paragraph(end.section_property(props));
        }
    }

    // The document's properties: its date (not docx-rs's epoch) and its issuing body.
    let dated = document_date(&doc.date);
    let issuer = issuer_name(doc);
    docx = docx
        .created_at(&dated)
        .updated_at(&dated)
        // docx-rs writes a custom property's text as given: escaped here.
        .custom_property("Issuer", xml_escape(&issuer));
    let mut buf = Cursor::new(Vec::new());
    docx.pack(&mut buf).map_err(docx_rs::DocxError::from)?;
    with_creator(&buf.into_inner(), &issuer)
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "2026-12-03T00:00:00Z": the document's date, or the first day of its year while undated.
fn document_date(date: &super::IssueDate) -> String {
    match date {
        super::IssueDate::On(d) => format!("{}T00:00:00Z", d.format("%Y-%m-%d")),
        super::IssueDate::Undated { year } => format!("{year:04}-01-01T00:00:00Z"),
    }
}

/// "Ủy ban nhân dân tỉnh Đắk Lắk": the issuing body's lines as one name.
fn issuer_name(doc: &OfficialDocument) -> String {
    let lines: Vec<String> = doc
        .issuer
        .iter()
        .map(|l| nfc(&l.text).trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    match lines.split_first() {
        Some((first, rest)) if !rest.is_empty() => {
            let rest: Vec<String> = rest
                .iter()
                .map(|l| match crate::org_units::split_name(l) {
                    (Some(w), name) => format!("{} {name}", w.to_lowercase()),
                    (None, name) => name.to_owned(),
                })
                .collect();
            format!("{first} {}", rest.join(" "))
        }
        _ => lines.join(" "),
    }
}

/// docx-rs 0.4 cannot set the creator (it writes "unknown"): the packed file is rewritten with
/// the issuing body in `docProps/core.xml`, every other entry copied as it is. Deterministic:
/// entries keep their order and the fixed DOS-epoch time.
fn with_creator(packed: &[u8], creator: &str) -> Result<Vec<u8>, DocumentError> {
    use std::io::{Read, Write};
    let zip_err = |e: zip::result::ZipError| DocumentError::Package(e.to_string());
    let io_err = |e: std::io::Error| DocumentError::Package(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(packed)).map_err(zip_err)?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let escaped = xml_escape(creator);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(zip_err)?;
        let name = entry.name().to_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(io_err)?;
        if name == "docProps/core.xml" {
            let xml = String::from_utf8_lossy(&bytes).replace(
                "<dc:creator>unknown</dc:creator>",
                &format!("<dc:creator>{escaped}</dc:creator>"),
            );
            bytes = xml.into_bytes();
        }
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(entry.compression())
            .last_modified_time(zip::DateTime::default());
        out.start_file(name, options).map_err(zip_err)?;
        out.write_all(&bytes).map_err(io_err)?;
    }
    Ok(out.finish().map_err(zip_err)?.into_inner())
}

/// What a section holds, in order.
enum Part {
    Paragraph(Box<Paragraph>),
    Table(Box<Table>),
}

impl From<Paragraph> for Part {
    fn from(p: Paragraph) -> Self {
        Self::Paragraph(Box::new(p))
    }
}

impl From<Table> for Part {
    fn from(t: Table) -> Self {
        Self::Table(Box::new(t))
    }
}

fn page_setup(landscape: bool) -> (PageSize, PageMargin) {
    let size = if landscape {
        PageSize::new()
            .size(PAGE_HEIGHT, PAGE_WIDTH)
            .orient(PageOrientationType::Landscape)
    } else {
        PageSize::new().size(PAGE_WIDTH, PAGE_HEIGHT)
    };
    let margin = PageMargin::new()
        .top(twips(MARGIN_TOP))
        .bottom(twips(MARGIN_BOTTOM))
        .left(twips(MARGIN_LEFT))
        .right(twips(MARGIN_RIGHT))
        .header(twips(HEADER_DISTANCE))
        .footer(twips(HEADER_DISTANCE))
        .gutter(0);
    (size, margin)
}

/// Geometry constants are a few thousand twips: they always fit.
fn twips(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Text as it goes into a run: composed (NFC), each line break (CRLF, CR or LF) a space, and
/// without the other characters XML 1.0 does not allow (C0 controls but tab, U+FFFE, U+FFFF).
/// docx-rs writes those raw, and a single one pasted into a report makes Word refuse the whole
/// file; it drops line breaks, gluing the words on either side together. Both go before
/// composing, so that what remains is NFC.
fn nfc(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\r' | '\n' => Some(' '),
            '\t' => Some(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => None,
            _ => Some(c),
        })
        .nfc()
        .collect()
}

fn upper(text: &str) -> String {
    nfc(text).to_uppercase()
}

fn fonts() -> RunFonts {
    RunFonts::new()
        .ascii(FONT)
        .hi_ansi(FONT)
        .cs(FONT)
        .east_asia(FONT)
}

#[derive(Clone, Copy)]
struct Font {
    size: usize,
    bold: bool,
    italic: bool,
}

impl Font {
    const fn regular(size: usize) -> Self {
        Self {
            size,
            bold: false,
            italic: false,
        }
    }

    const fn bold(size: usize) -> Self {
        Self {
            size,
            bold: true,
            italic: false,
        }
    }

    const fn italic(self) -> Self {
        Self {
            italic: true,
            ..self
        }
    }

    const fn weight(self, bold: bool) -> Self {
        Self { bold, ..self }
    }
}

/// A formatted run. Font and colour go on every run, not only in the defaults, so that
/// pasting a passage elsewhere keeps the official look.
fn run(text: &str, font: Font) -> Run {
    format(Run::new().add_text(nfc(text)), font)
}

fn format(run: Run, font: Font) -> Run {
    let mut run = run.size(font.size).fonts(fonts()).color(BLACK);
    if font.bold {
        run = run.bold();
    }
    if font.italic {
        run = run.italic();
    }
    run
}

fn spacing(before: u32, after: u32, line: i32) -> LineSpacing {
    LineSpacing::new()
        .before(before)
        .after(after)
        .line(line)
        .line_rule(LineSpacingType::Auto)
}

/// The short length Decree 30 asks for under the issuing body and the subject: between a
/// third and a half of the text above; two fifths sits in the middle.
fn short_rule(text_width: u32) -> u32 {
    text_width * 2 / 5
}

/// Builds the paragraphs, numbering their ids itself (see [`render_docx`]). The numbers start
/// high so that they never meet the ids docx-rs generates while packing (from 1 upwards).
struct Writer {
    next_id: u32,
}

impl Default for Writer {
    fn default() -> Self {
        Self {
            next_id: 0x0001_0000,
        }
    }
}

impl Writer {
    fn paragraph(&mut self) -> Paragraph {
        let id = format!("{:08X}", self.next_id);
        self.next_id += 1;
        Paragraph::new().id(id)
    }

    /// A single-spaced paragraph of one run, as used in the header and closing blocks.
    fn line(&mut self, text: &str, font: Font, align: AlignmentType) -> Paragraph {
        self.paragraph()
            .align(align)
            .line_spacing(spacing(0, 0, SINGLE_LINE))
            .size(font.size)
            .fonts(fonts())
            .add_run(run(text, font))
    }

    fn centred(&mut self, text: &str, font: Font) -> Paragraph {
        self.line(text, font, AlignmentType::Center)
    }

    /// A horizontal rule `length` long, centred in a column `column` wide: an empty paragraph
    /// a few points high with a bottom border, narrowed by equal indents. Word and LibreOffice
    /// both draw paragraph borders the same way, unlike floating shapes.
    fn rule(&mut self, column: u32, length: u32, after: u32) -> Paragraph {
        let side = twips(column.saturating_sub(length) / 2);
        let mut p = self
            .paragraph()
            .indent(Some(side), None, Some(side), None)
            .line_spacing(
                LineSpacing::new()
                    .before(0)
                    .after(after)
                    .line(RULE_HEIGHT)
                    .line_rule(LineSpacingType::Exact),
            )
            .size(2);
        // Only the bottom: docx-rs's default border set boxes the paragraph in.
        p.property = p.property.set_borders(
            ParagraphBorders::with_empty().set(
                ParagraphBorder::new(ParagraphBorderPosition::Bottom)
                    .val(BorderType::Single)
                    .size(RULE_WEIGHT)
                    .space(0)
                    .color(BLACK),
            ),
        );
        p
    }

    fn body(&mut self) -> Paragraph {
        self.paragraph()
            .align(AlignmentType::Both)
            .indent(
                None,
                Some(SpecialIndentType::FirstLine(FIRST_LINE_INDENT)),
                None,
                None,
            )
            .line_spacing(spacing(0, PARAGRAPH_AFTER, BODY_LINE))
            .size(PT14)
            .fonts(fonts())
    }

    /// The centred page number of the header: a PAGE field, one run per field part as Word
    /// writes it.
    fn page_number(&mut self) -> Paragraph {
        let font = Font::regular(PT14);
        self.paragraph()
            .align(AlignmentType::Center)
            .line_spacing(spacing(0, 0, SINGLE_LINE))
            .add_run(format(
                Run::new().add_field_char(FieldCharType::Begin, false),
                font,
            ))
            .add_run(format(
                Run::new().add_instr_text(InstrText::PAGE(InstrPAGE::new())),
                font,
            ))
            .add_run(format(
                Run::new().add_field_char(FieldCharType::Separate, false),
                font,
            ))
            .add_run(run("2", font))
            .add_run(format(
                Run::new().add_field_char(FieldCharType::End, false),
                font,
            ))
    }
}
