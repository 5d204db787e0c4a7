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
    date: Format,
    int: Format,
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
        let bold = Format::new().set_bold();
        let head = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_background_color("#DDEBF7");
        for (i, c) in columns.iter().enumerate() {
            let col = u16::try_from(i).unwrap_or(u16::MAX);
            ws.set_column_width(col, c.width)?;
        }
        ws.write_string_with_format(0, 0, neutralise(title).as_ref(), &bold)?;
        for (i, c) in columns.iter().enumerate() {
            let col = u16::try_from(i).unwrap_or(u16::MAX);
            ws.write_string_with_format(1, col, &c.header, &head)?;
        }
        ws.set_freeze_panes(FIRST_DATA_ROW, 0)?;
        Ok(XlsxSheet {
            ws,
            next_row: FIRST_DATA_ROW,
            date: Format::new().set_num_format("dd/mm/yyyy"),
            int: Format::new().set_num_format("#,##0"),
        })
    }

    pub fn row(&mut self, cells: &[Cell]) -> Result<(), XlsxError> {
        let r = self.next_row;
        for (i, c) in cells.iter().enumerate() {
            let col = u16::try_from(i).unwrap_or(u16::MAX);
            match c {
                Cell::Text(s) if !s.is_empty() => {
                    self.ws.write_string(r, col, neutralise(s).as_ref())?;
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
