//! One table, two file formats: the columns and cells of an export, written as CSV (UTF-8 with
//! a byte-order mark, so that Excel reads the diacritics) or as an XLSX sheet with a title row,
//! a frozen header row, column widths and real dates and numbers.

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, Worksheet, XlsxError};

/// The byte-order mark every CSV export starts with.
pub const BOM: &str = "\u{feff}";

/// One cell of an exported row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Date(NaiveDate),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn opt_int(n: Option<i64>) -> Cell {
        n.map_or(Cell::Empty, Cell::Int)
    }

    pub fn opt_date(d: Option<NaiveDate>) -> Cell {
        d.map_or(Cell::Empty, Cell::Date)
    }
}

/// A column: its header (already translated) and its width in characters.
pub struct Column {
    pub header: String,
    pub width: f64,
}

/// Text that a spreadsheet would run as a formula is neutralised by a leading apostrophe
/// (OWASP's advice): `=`, `+`, `-`, `@`, tab and carriage return. The apostrophe shows in the
/// cell, which is the point: the user sees the text they typed, never its result.
pub fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// A CSV field: neutralised, then quoted when it must be.
fn csv_field(s: &str) -> String {
    let s = neutralise(s);
    if s.contains([',', '"', '\n', '\r', ';']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// One CSV line, ended by CRLF. Dates as dd/mm/yyyy (how people here write them and how the
/// import reads them back), numbers without separators.
pub fn csv_line(out: &mut String, cells: &[Cell]) {
    let fields: Vec<String> = cells
        .iter()
        .map(|c| match c {
            Cell::Text(s) => csv_field(s),
            Cell::Int(n) => n.to_string(),
            Cell::Date(d) => d.format("%d/%m/%Y").to_string(),
            Cell::Empty => String::new(),
        })
        .collect();
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

/// The header line of a CSV file, after its byte-order mark.
pub fn csv_head(columns: &[Column]) -> String {
    let mut out = String::from(BOM);
    let cells: Vec<Cell> = columns.iter().map(|c| Cell::text(&c.header)).collect();
    csv_line(&mut out, &cells);
    out
}

/// An XLSX sheet being written row by row: row 0 the title, row 1 the headers (frozen),
/// data from row 2.
pub struct XlsxSheet<'a> {
    ws: &'a mut Worksheet,
    next_row: u32,
    text: Format,
    date: Format,
    int: Format,
}

/// The font of every exported sheet, as of the official documents.
pub const FONT: &str = "Times New Roman";

/// Print setup of an exported sheet: A4, landscape when its columns are wider than a portrait
/// page holds (about 90 characters), fitted to the page width, header rows repeated on every page.
pub fn page_setup(ws: &mut Worksheet, width: f64, header_row: u32) -> Result<(), XlsxError> {
    ws.set_paper_size(9);
    if width > 90.0 {
        ws.set_landscape();
    }
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row)?;
    Ok(())
}

/// A header row's height in points, tall enough for its longest wrapped header: one 15-point
/// line per column width of text.
pub fn header_height<'h>(headers: impl Iterator<Item = (&'h str, f64)>) -> f64 {
    let lines = headers
        .map(|(h, width)| {
            let per_line = (width - 1.0).max(4.0);
            (h.chars().count() as f64 / per_line).ceil().max(1.0)
        })
        .fold(1.0, f64::max);
    lines * 15.0 + 4.0
}

/// The first data row of every exported sheet.
pub const FIRST_DATA_ROW: u32 = 2;

impl<'a> XlsxSheet<'a> {
    pub fn start(
        ws: &'a mut Worksheet,
        name: &str,
        title: &str,
        columns: &[Column],
    ) -> Result<Self, XlsxError> {
        ws.set_name(name)?;
        let font = || Format::new().set_font_name(FONT);
        let bold = font().set_bold();
        let head = font()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_background_color("#DDEBF7");
        for (i, c) in columns.iter().enumerate() {
            let col = u16::try_from(i).unwrap_or(u16::MAX);
            ws.set_column_width(col, c.width)?;
        }
        page_setup(ws, columns.iter().map(|c| c.width).sum(), 1)?;
        ws.write_string_with_format(0, 0, neutralise(title).as_ref(), &bold)?;
        ws.set_row_height(
            1,
            header_height(columns.iter().map(|c| (c.header.as_str(), c.width))),
        )?;
        for (i, c) in columns.iter().enumerate() {
            let col = u16::try_from(i).unwrap_or(u16::MAX);
            ws.write_string_with_format(1, col, &c.header, &head)?;
        }
        ws.set_freeze_panes(FIRST_DATA_ROW, 0)?;
        Ok(XlsxSheet {
            ws,
            next_row: FIRST_DATA_ROW,
            text: font(),
            date: font().set_num_format("dd/mm/yyyy"),
            int: font().set_num_format("#,##0"),
        })
    }

    pub fn row(&mut self, cells: &[Cell]) -> Result<(), XlsxError> {
        let r = self.next_row;
        for (i, c) in cells.iter().enumerate() {
            let col = u16::try_from(i).unwrap_or(u16::MAX);
            match c {
                Cell::Text(s) if !s.is_empty() => {
                    self.ws
                        .write_string_with_format(r, col, neutralise(s).as_ref(), &self.text)?;
                }
                Cell::Int(n) => {
                    // Counts stay far below 2^53, where f64 is exact.
                    #[allow(clippy::cast_precision_loss)]
                    let v = *n as f64;
                    self.ws.write_number_with_format(r, col, v, &self.int)?;
                }
                Cell::Date(d) => {
                    self.ws.write_datetime_with_format(r, col, *d, &self.date)?;
                }
                Cell::Text(_) | Cell::Empty => {}
            }
        }
        self.next_row += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_other_text_is_kept() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("-1"), "'-1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("Hòa Phong"), "Hòa Phong");
        let mut out = String::new();
        csv_line(
            &mut out,
            &[
                Cell::text("=1+2"),
                Cell::Int(1250),
                Cell::Date(NaiveDate::from_ymd_opt(2024, 7, 30).unwrap_or_default()),
                Cell::text("a, b"),
                Cell::Empty,
            ],
        );
        assert_eq!(out, "'=1+2,1250,30/07/2024,\"a, b\",\r\n");
    }
}
