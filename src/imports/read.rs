//! Reading an uploaded file into rows of cells, whatever it is: an XLSX workbook (its first
//! sheet, read cell by cell so that a sheet claiming a million rows costs nothing) or a CSV file
//! (UTF-8, with or without a byte-order mark, separated by commas, semicolons or tabs). Then
//! finding the header row and the columns the import knows, by their header in Vietnamese or
//! English, accents and case ignored. Nothing here panics on any input: every failure is a
//! [`FileError`] with a message for the user.

use crate::text::fold;
use calamine::{DataRef, Reader, Xlsx};
use chrono::NaiveDate;
use std::io::Cursor;

/// Largest file accepted.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Most data rows one file may carry.
pub const MAX_ROWS: usize = 10_000;
/// An XLSX file is a zip: the most its parts may unpack to (a small zip can unpack to
/// gigabytes, and the reader would hold it all).
const MAX_UNPACKED: u64 = 100 * 1024 * 1024;
/// Columns read; anything to the right is ignored.
const MAX_COLUMNS: usize = 64;
/// The header row is looked for among the first rows (a title row may come first).
const HEADER_SEARCH: usize = 10;
/// Longest text kept from one cell.
const MAX_CELL_CHARS: usize = 4000;

/// Why a file cannot be read at all. Each has a message key under `import.error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileError {
    Empty,
    TooLarge,
    /// Neither XLSX nor CSV (an image, a PDF, a Word file...).
    Type,
    /// An old binary Excel file (.xls): to be saved as .xlsx.
    OldExcel,
    /// Looks like XLSX but cannot be read.
    Corrupt,
    /// CSV that is not UTF-8.
    Encoding,
    TooManyRows,
    /// No row carries the headers of the template.
    NoHeader,
    /// The header row lacks required columns (their translation keys).
    MissingColumns(Vec<String>),
    /// A header row, but no data under it.
    NoRows,
}

impl FileError {
    pub fn message_key(&self) -> &'static str {
        match self {
            FileError::Empty => "import.error.empty",
            FileError::TooLarge => "import.error.too_large",
            FileError::Type => "import.error.type",
            FileError::OldExcel => "import.error.old_excel",
            FileError::Corrupt => "import.error.corrupt",
            FileError::Encoding => "import.error.encoding",
            FileError::TooManyRows => "import.error.too_many_rows",
            FileError::NoHeader => "import.error.no_header",
            FileError::MissingColumns(_) => "import.error.missing_columns",
            FileError::NoRows => "import.error.no_rows",
        }
    }
}

/// One cell as read.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

impl Value {
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(s) => s.trim().is_empty(),
            Value::Number(_) | Value::Date(_) => false,
        }
    }

    /// The cell as text, the way the user would see it.
    pub fn text(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(s) => s.trim().to_owned(),
            Value::Number(n) => number_text(*n),
            Value::Date(d) => crate::web::format::date(*d),
        }
    }
}

fn number_text(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        // Whole and far below 2^53: exact as an integer.
        #[allow(clippy::cast_possible_truncation)]
        let i = n as i64;
        i.to_string()
    } else {
        n.to_string()
    }
}

/// Rows of cells, each with its row number in the file (1-based, as Excel shows it).
#[derive(Clone, Debug, Default)]
pub struct Grid {
    pub rows: Vec<(usize, Vec<Value>)>,
}

/// Reads a file into a grid; the type is decided by the bytes, never by the file name.
pub fn grid(bytes: &[u8]) -> Result<Grid, FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(FileError::TooLarge);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        // calamine trusts some numbers in the file (a cell reference of twenty letters
        // overflows its column arithmetic: a panic in a debug build). A file it cannot survive
        // is a corrupt file, not a crashed request.
        std::panic::catch_unwind(|| xlsx(bytes)).unwrap_or(Err(FileError::Corrupt))
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Err(FileError::OldExcel)
    } else {
        csv(bytes)
    }
}

/// The row limit while reading: data rows, plus room for a title, the header and blank rows.
const READ_LIMIT: usize = MAX_ROWS + HEADER_SEARCH + 100;

fn put(grid: &mut Vec<Vec<Value>>, row: usize, col: usize, v: Value) -> Result<(), FileError> {
    if col >= MAX_COLUMNS || v.is_empty() {
        return Ok(());
    }
    if row >= READ_LIMIT {
        return Err(FileError::TooManyRows);
    }
    if grid.len() <= row {
        grid.resize(row + 1, Vec::new());
    }
    if let Some(r) = grid.get_mut(row) {
        if r.len() <= col {
            r.resize(col + 1, Value::Empty);
        }
        if let Some(c) = r.get_mut(col) {
            *c = v;
        }
    }
    Ok(())
}

fn finish(cells: Vec<Vec<Value>>) -> Grid {
    Grid {
        rows: cells
            .into_iter()
            .enumerate()
            .filter(|(_, r)| r.iter().any(|c| !c.is_empty()))
            .map(|(i, r)| (i + 1, r))
            .collect(),
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() > MAX_CELL_CHARS {
        s.chars().take(MAX_CELL_CHARS).collect()
    } else {
        s.to_owned()
    }
}

fn xlsx(bytes: &[u8]) -> Result<Grid, FileError> {
    // What the parts say they unpack to (the central directory's sizes), before anything is
    // unpacked.
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| FileError::Corrupt)?;
    let mut unpacked: u64 = 0;
    for i in 0..zip.len() {
        let size = zip.by_index_raw(i).map_err(|_| FileError::Corrupt)?.size();
        unpacked = unpacked.saturating_add(size);
    }
    if unpacked > MAX_UNPACKED {
        return Err(FileError::TooLarge);
    }
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| FileError::Corrupt)?;
    let first = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or(FileError::Corrupt)?;
    let mut reader = book
        .worksheet_cells_reader(&first)
        .map_err(|_| FileError::Corrupt)?;
    let mut cells: Vec<Vec<Value>> = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(|_| FileError::Corrupt)? {
        let (row, col) = cell.get_position();
        let value = match cell.get_value() {
            DataRef::Int(i) => {
                #[allow(clippy::cast_precision_loss)]
                let f = *i as f64;
                Value::Number(f)
            }
            DataRef::Float(f) => Value::Number(*f),
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
                Value::Text(clip(s))
            }
            DataRef::SharedString(s) => Value::Text(clip(s)),
            DataRef::Bool(b) => Value::Text(b.to_string()),
            DataRef::DateTime(d) if d.is_datetime() => {
                // Through calamine's conversion, which knows the workbook's 1900 or 1904
                // system; only within the range of real dates.
                let v = d.as_f64();
                let date = excel_date(v).and_then(|_| {
                    let (y, m, day, ..) = d.to_ymd_hms_milli();
                    NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(day))
                });
                date.map_or(Value::Number(v), Value::Date)
            }
            DataRef::DateTime(d) => Value::Number(d.as_f64()),
            DataRef::Error(_) => Value::Text("#ERROR".into()),
            DataRef::Empty => Value::Empty,
        };
        let row = usize::try_from(row).unwrap_or(usize::MAX);
        let col = usize::try_from(col).unwrap_or(usize::MAX);
        put(&mut cells, row, col, value)?;
    }
    Ok(finish(cells))
}

/// An Excel serial date (days since 30 December 1899, the 1900 system) as a date. Only days
/// between 1900 and 9999 are dates; anything else is not.
pub fn excel_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    let days = serial.floor() as i64;
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::days(days))
}

fn csv(bytes: &[u8]) -> Result<Grid, FileError> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        // Bytes that no text file holds: some other kind of file.
        if bytes.iter().take(8192).any(|b| *b == 0) {
            FileError::Type
        } else {
            FileError::Encoding
        }
    })?;
    if text.contains('\0') {
        return Err(FileError::Type);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first_line.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut cells: Vec<Vec<Value>> = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|_| FileError::Corrupt)?;
        for (col, field) in record.iter().enumerate() {
            put(&mut cells, row, col, Value::Text(clip(field)))?;
        }
    }
    Ok(finish(cells))
}

/// A column the import reads: its key, and whether a file without it is refused.
#[derive(Clone, Copy, Debug)]
pub struct ColumnSpec {
    pub key: &'static str,
    pub required: bool,
}

impl ColumnSpec {
    /// A column a file must have.
    pub const fn required(key: &'static str) -> ColumnSpec {
        ColumnSpec {
            key,
            required: true,
        }
    }

    pub const fn optional(key: &'static str) -> ColumnSpec {
        ColumnSpec {
            key,
            required: false,
        }
    }
}

/// The data rows of a file, their cells in the order of the import's columns.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// (row number in the file, one value per column of the spec)
    pub rows: Vec<(usize, Vec<Value>)>,
}

/// Finds the header row (the first of the first rows that names a required column) and maps
/// each column of the spec to its place in the file. `headers(key)` gives every header a
/// column may carry (its translations), compared folded.
pub fn table(
    grid: Grid,
    spec: &[ColumnSpec],
    headers: impl Fn(&str) -> Vec<String>,
) -> Result<Table, FileError> {
    let names: Vec<Vec<String>> = spec
        .iter()
        .map(|c| {
            let mut n: Vec<String> = headers(c.key).iter().map(|h| fold(h)).collect();
            n.push(fold(c.key));
            n
        })
        .collect();
    let place = |row: &[Value]| -> Vec<Option<usize>> {
        names
            .iter()
            .map(|wanted| {
                row.iter()
                    .position(|cell| wanted.contains(&fold(&cell.text())))
            })
            .collect()
    };
    let mut found: Option<(usize, Vec<Option<usize>>)> = None;
    for (i, (_, row)) in grid.rows.iter().enumerate().take(HEADER_SEARCH) {
        let places = place(row);
        let required_found = spec
            .iter()
            .zip(&places)
            .filter(|(c, p)| c.required && p.is_some())
            .count();
        if required_found > 0 {
            found = Some((i, places));
            break;
        }
    }
    let Some((header_index, places)) = found else {
        return Err(FileError::NoHeader);
    };
    let missing: Vec<String> = spec
        .iter()
        .zip(&places)
        .filter(|(c, p)| c.required && p.is_none())
        .map(|(c, _)| c.key.to_owned())
        .collect();
    if !missing.is_empty() {
        return Err(FileError::MissingColumns(missing));
    }
    let rows: Vec<(usize, Vec<Value>)> = grid
        .rows
        .into_iter()
        .skip(header_index + 1)
        .map(|(number, row)| {
            let cells = places
                .iter()
                .map(|p| p.and_then(|i| row.get(i).cloned()).unwrap_or(Value::Empty))
                .collect();
            (number, cells)
        })
        .filter(|(_, cells): &(usize, Vec<Value>)| cells.iter().any(|c| !c.is_empty()))
        .collect();
    if rows.is_empty() {
        return Err(FileError::NoRows);
    }
    if rows.len() > MAX_ROWS {
        return Err(FileError::TooManyRows);
    }
    Ok(Table { rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &[ColumnSpec] = &[
        ColumnSpec {
            key: "title",
            required: true,
        },
        ColumnSpec {
            key: "start_date",
            required: true,
        },
        ColumnSpec {
            key: "notes",
            required: false,
        },
    ];

    fn headers(key: &str) -> Vec<String> {
        match key {
            "title" => vec!["Tên hoạt động".into(), "Title".into()],
            "start_date" => vec!["Từ ngày".into()],
            _ => vec![],
        }
    }

    #[test]
    fn a_csv_with_a_title_row_semicolons_and_old_style_accents_is_read() {
        let csv = "\u{feff}Danh sách;;\r\nTừ ngày;TÊN HOẠT ĐỘNG;Ghi chú\r\n30/07/2024;Nói chuyện;x\r\n;;\r\n01/08/2024;Hoà;\r\n";
        let t = table(grid(csv.as_bytes()).unwrap(), SPEC, headers).unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].0, 3);
        assert_eq!(t.rows[0].1[0], Value::Text("Nói chuyện".into()));
        assert_eq!(t.rows[0].1[1], Value::Text("30/07/2024".into()));
        assert_eq!(t.rows[1].0, 5, "blank rows keep the numbering");
        assert_eq!(t.rows[1].1[2], Value::Empty);
    }

    /// A workbook whose sheet claims a column twenty letters wide: calamine's arithmetic
    /// overflows (a panic in debug builds); the upload is refused as corrupt all the same.
    #[test]
    fn a_workbook_calamine_cannot_survive_is_corrupt() {
        use std::io::Write;
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let files = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
            (
                "xl/worksheets/sheet1.xml",
                r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:ZZZZZZZZZZZZZZZZZZZZ9"/><sheetData><row r="1"><c r="ZZZZZZZZZZZZZZZZZZZZ1" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>"#,
            ),
        ];
        for (name, text) in files {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        assert_eq!(grid(&out.into_inner()).unwrap_err(), FileError::Corrupt);
    }

    #[test]
    fn bad_files_are_refused_with_their_reason() {
        assert_eq!(grid(b"").unwrap_err(), FileError::Empty);
        assert_eq!(grid(b"PK\x03\x04garbage").unwrap_err(), FileError::Corrupt);
        assert_eq!(
            grid(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0]).unwrap_err(),
            FileError::OldExcel
        );
        assert_eq!(
            grid(&[0x89, b'P', b'N', b'G', 0, 0]).unwrap_err(),
            FileError::Type
        );
        assert_eq!(grid(&[b'a', 0xFF, b'b']).unwrap_err(), FileError::Encoding);
        let only_header = grid("Tên hoạt động,Từ ngày\n".as_bytes()).unwrap();
        assert_eq!(
            table(only_header, SPEC, headers).unwrap_err(),
            FileError::NoRows
        );
        let missing = grid("Tên hoạt động,Ghi chú\nx,y\n".as_bytes()).unwrap();
        assert_eq!(
            table(missing, SPEC, headers).unwrap_err(),
            FileError::MissingColumns(vec!["start_date".into()])
        );
        let none = grid("a,b\nc,d\n".as_bytes()).unwrap();
        assert_eq!(table(none, SPEC, headers).unwrap_err(), FileError::NoHeader);
    }

    #[test]
    fn excel_serial_dates_become_dates() {
        assert_eq!(excel_date(45453.0), NaiveDate::from_ymd_opt(2024, 6, 10));
        assert_eq!(excel_date(45453.75), NaiveDate::from_ymd_opt(2024, 6, 10));
        assert_eq!(excel_date(-1.0), None);
        assert_eq!(excel_date(f64::NAN), None);
        assert_eq!(excel_date(1e300), None);
    }
}
