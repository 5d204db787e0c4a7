//! Official administrative documents (KẾ HOẠCH plans, BÁO CÁO reports): the model of one
//! document and its rendering to DOCX laid out as Decree 30/2020/NĐ-CP Annex I prescribes.
//!
//! Pure: no database, no HTTP, no clock. The same [`OfficialDocument`] always renders to the
//! same bytes, so an approved report downloads identically every time.
//!
//! ```
//! use kehoach::documents::*;
//!
//! let doc = OfficialDocument {
//!     issuer: vec![IssuerLine::bold("Ủy ban nhân dân"), IssuerLine::bold("Huyện Tây Hòa")],
//!     number: DocumentNumber::draft(DocumentKind::Plan.symbol("UBND")),
//!     place: "Tây Hòa".into(),
//!     date: IssueDate::Undated { year: 2024 },
//!     kind: DocumentKind::Plan,
//!     subject: "Thực hiện công tác hỗ trợ nạn nhân bị mua bán người năm 2024".into(),
//!     body: vec![
//!         Block::section(1, "Mục đích, yêu cầu"),
//!         Block::item("1", "Mục đích:", Some("Tạo sự chuyển biến mạnh mẽ về nhận thức…")),
//!         Block::bullet("Đẩy mạnh các hoạt động truyền thông…"),
//!     ],
//!     signature: Signature {
//!         authority: Some("KT. Chủ tịch".into()),
//!         title: "Phó Chủ tịch".into(),
//!         name: "Phan Công Trình".into(),
//!     },
//!     recipients: vec!["Sở Lao động - TB&XH".into(), "Lưu: VT, LĐTBXH".into()],
//!     annexes: vec![],
//! };
//! let bytes = render_docx(&doc).unwrap();
//! assert_eq!(&bytes[..2], b"PK");
//! ```

mod docx;
mod metrics;
#[cfg(test)]
pub(crate) mod tests;

pub use docx::{MOTTO, NATIONAL_TITLE, render_docx};

use chrono::{Datelike, NaiveDate};

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// An annex table whose cells do not fill its columns exactly.
    #[error("annex {annex}: {reason}")]
    InvalidTable { annex: usize, reason: String },
    /// The DOCX writer failed (in practice only on an I/O error of the in-memory buffer).
    #[error("could not write the DOCX package: {0}")]
    Write(#[from] docx_rs::DocxError),
    /// Rewriting the packed file (its document properties) failed.
    #[error("could not rewrite the DOCX package: {0}")]
    Package(String),
}

/// One official document: header block, title, body, closing block and annexes.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficialDocument {
    /// Top-left lines naming the issuing body, parent first.
    pub issuer: Vec<IssuerLine>,
    pub number: DocumentNumber,
    /// Where the document is issued, as written in the date line ("Tây Hòa").
    pub place: String,
    pub date: IssueDate,
    pub kind: DocumentKind,
    /// The subject line under the document type; long subjects wrap.
    pub subject: String,
    pub body: Vec<Block>,
    pub signature: Signature,
    /// Recipients without the leading dash or the trailing `;`/`.`: the renderer adds them.
    pub recipients: Vec<String>,
    /// Tables after the signature, each in its own section.
    pub annexes: Vec<Annex>,
}

/// A line of the issuing body. The Decree writes the parent body regular and the issuing
/// body bold; a People's Committee writes both of its lines bold.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerLine {
    pub text: String,
    pub bold: bool,
}

impl IssuerLine {
    pub fn bold(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            bold: true,
        }
    }

    pub fn regular(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            bold: false,
        }
    }
}

/// The kinds of document this layer lays out, with their type codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// KẾ HOẠCH, type code KH.
    Plan,
    /// BÁO CÁO, type code BC.
    Report,
}

impl DocumentKind {
    /// The name printed as the document type.
    pub fn name(self) -> &'static str {
        match self {
            Self::Plan => "KẾ HOẠCH",
            Self::Report => "BÁO CÁO",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Plan => "KH",
            Self::Report => "BC",
        }
    }

    /// The number symbol: type code and issuer abbreviation, `KH-UBND`.
    pub fn symbol(self, issuer_abbreviation: &str) -> String {
        format!("{}-{}", self.code(), issuer_abbreviation)
    }
}

/// The registry number. Drafts have none: the records clerk writes it in by hand, so the
/// symbol is printed after a blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentNumber {
    pub serial: Option<u32>,
    /// `KH-UBND`, `BC-UBND`…
    pub symbol: String,
}

impl DocumentNumber {
    pub fn new(serial: u32, symbol: impl Into<String>) -> Self {
        Self {
            serial: Some(serial),
            symbol: symbol.into(),
        }
    }

    pub fn draft(symbol: impl Into<String>) -> Self {
        Self {
            serial: None,
            symbol: symbol.into(),
        }
    }

    /// `Số: 05/BC-UBND`, or `Số:      /KH-UBND` in a draft.
    pub fn line(&self) -> String {
        match self.serial {
            Some(n) => format!("Số: {n:02}/{}", self.symbol),
            None => format!("Số:{BLANK}/{}", self.symbol),
        }
    }
}

/// The issue date: signed documents carry it, drafts leave day and month blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueDate {
    On(NaiveDate),
    Undated { year: i32 },
}

impl IssueDate {
    pub fn date(self) -> Option<NaiveDate> {
        match self {
            Self::On(d) => Some(d),
            Self::Undated { .. } => None,
        }
    }

    pub fn year(self) -> i32 {
        match self {
            Self::On(d) => d.year(),
            Self::Undated { year } => year,
        }
    }
}

/// What goes in the gap a clerk fills in by hand.
const BLANK: &str = "      ";

/// The place-and-date line: `Tây Hòa, ngày 05 tháng 12 năm 2024`. Days below 10 and the
/// months January and February take a leading zero (so that no digit can be added in front
/// by hand); other months do not. Without a date, day and month are left blank and `year`
/// is printed.
pub fn vn_date_line(place: &str, date: Option<NaiveDate>, year: i32) -> String {
    match date {
        Some(d) => {
            let month = if d.month() <= 2 {
                format!("{:02}", d.month())
            } else {
                d.month().to_string()
            };
            format!(
                "{place}, ngày {:02} tháng {month} năm {}",
                d.day(),
                d.year()
            )
        }
        None => format!("{place}, ngày{BLANK}tháng{BLANK}năm {year}"),
    }
}

/// Figures in documents: `1.250`.
pub fn format_number(n: i64) -> String {
    crate::web::format::number(n)
}

/// Roman numerals for section headings (I, II… XX); 0 gives an empty string.
pub fn roman(mut n: u32) -> String {
    const TABLE: [(u32, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, digits) in TABLE {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

/// A block of the body. Every block is a justified paragraph with a first-line indent.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// `I. MỤC ĐÍCH, YÊU CẦU`: Roman numeral, title in capitals, bold.
    Section { number: u32, title: String },
    /// `1. Mục đích:` in bold, optionally followed on the same paragraph by regular text.
    Item {
        number: String,
        title: String,
        text: Option<String>,
    },
    /// A plain paragraph.
    Paragraph(String),
    /// `- …`
    Bullet(String),
    /// `a) …`
    Point { label: String, text: String },
}

impl Block {
    pub fn section(number: u32, title: impl Into<String>) -> Self {
        Self::Section {
            number,
            title: title.into(),
        }
    }

    pub fn item(number: impl Into<String>, title: impl Into<String>, text: Option<&str>) -> Self {
        Self::Item {
            number: number.into(),
            title: title.into(),
            text: text.map(str::to_owned),
        }
    }

    pub fn paragraph(text: impl Into<String>) -> Self {
        Self::Paragraph(text.into())
    }

    pub fn bullet(text: impl Into<String>) -> Self {
        Self::Bullet(text.into())
    }

    pub fn point(label: impl Into<String>, text: impl Into<String>) -> Self {
        Self::Point {
            label: label.into(),
            text: text.into(),
        }
    }
}

/// The signature block: `KT. CHỦ TỊCH` / `PHÓ CHỦ TỊCH`, room for signature and seal, name.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// Signing on behalf of someone (`KT. CHỦ TỊCH`, `TM. ỦY BAN NHÂN DÂN`); printed in capitals.
    pub authority: Option<String>,
    /// The signer's title; printed in capitals.
    pub title: String,
    pub name: String,
}

/// An annex: a table on its own page(s), after the signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Annex {
    /// `Phụ lục 1`, `Biểu số 01`…
    pub title: String,
    /// What the table shows, printed bold under the title.
    pub subtitle: String,
    /// Italic lines such as `(Kèm theo Báo cáo số 05/BC-UBND ngày 05/12/2024 của UBND huyện)`,
    /// one per line of the text.
    pub note: Option<String>,
    /// Wide tables go on landscape pages.
    pub landscape: bool,
    pub table: AnnexTable,
}

/// A grid table. Column widths are relative weights, scaled to the width of the page.
/// Every row's cells, with their spans and the cells spanned from rows above, must fill the
/// columns exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnexTable {
    pub column_widths: Vec<u32>,
    /// Bold, centred heading rows.
    pub header_rows: Vec<Vec<Cell>>,
    pub body_rows: Vec<Row>,
}

/// A body row; `bold` marks totals.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub bold: bool,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Self {
        Self { cells, bold: false }
    }

    pub fn total(cells: Vec<Cell>) -> Self {
        Self { cells, bold: true }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub value: CellValue,
    pub col_span: usize,
    pub row_span: usize,
}

/// Text is left-aligned; numbers are centred and written with `.` between thousands.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    Text(String),
    Number(i64),
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            value: CellValue::Text(text.into()),
            col_span: 1,
            row_span: 1,
        }
    }

    pub fn number(n: i64) -> Self {
        Self {
            value: CellValue::Number(n),
            col_span: 1,
            row_span: 1,
        }
    }

    /// Merges this cell over `cols` columns and `rows` rows.
    pub fn span(mut self, cols: usize, rows: usize) -> Self {
        self.col_span = cols;
        self.row_span = rows;
        self
    }
}
