//! Annex tables: the column grid, cells spanning rows and columns, and the checks that a
//! table fills its grid.

use docx_rs::{
    AlignmentType, BorderType, Paragraph, Table, TableBorder, TableBorderPosition, TableBorders,
    TableCell, TableCellMargins, TableLayoutType, TableRow, VAlignType, VMergeType, WidthType,
};

use super::{
    BLACK, Font, LANDSCAPE_TEXT_WIDTH, PT12, PT14, Part, SINGLE_LINE, TEXT_WIDTH, Writer, spacing,
};
use crate::documents::{Annex, AnnexTable, Cell, CellValue, DocumentError, format_number};

/// Table grid thickness in eighths of a point.
const GRID_WEIGHT: usize = 4;

impl Writer {
    /// The heading lines and the table of one annex.
    pub(super) fn annex(
        &mut self,
        index: usize,
        annex: &Annex,
    ) -> Result<Vec<Part>, DocumentError> {
        let width = if annex.landscape {
            LANDSCAPE_TEXT_WIDTH
        } else {
            TEXT_WIDTH
        };
        let bold = Font::bold(PT14);
        let mut heading = vec![
            self.centred(&annex.title, bold),
            self.centred(&annex.subtitle, bold),
        ];
        // One italic line per line of the note ("(Kèm theo …)", then the period).
        for line in annex.note.iter().flat_map(|n| n.lines()) {
            heading.push(self.centred(line, Font::regular(PT14).italic()));
        }
        let mut parts: Vec<Part> = Vec::new();
        let count = heading.len();
        for (i, p) in heading.into_iter().enumerate() {
            let after = if i + 1 == count { 240 } else { 0 };
            parts.push(
                p.line_spacing(spacing(0, after, SINGLE_LINE))
                    .keep_next(true)
                    .into(),
            );
        }
        let table =
            self.grid(&annex.table, width)
                .map_err(|reason| DocumentError::InvalidTable {
                    annex: index,
                    reason,
                })?;
        parts.push(table.into());
        Ok(parts)
    }

    /// Lays the annex cells out on the column grid, adding the continuation cells that DOCX
    /// needs under a cell spanning several rows, and checks that every row fills the grid.
    fn grid(&mut self, table: &AnnexTable, width: u32) -> Result<Table, String> {
        let columns = scale(&table.column_widths, width)?;
        let rows = table
            .header_rows
            .iter()
            .map(|cells| (cells, true, true))
            .chain(
                table
                    .body_rows
                    .iter()
                    .map(|row| (&row.cells, row.bold, false)),
            );

        // For each column where a cell from an earlier row continues: rows left and its span.
        let mut open: Vec<Option<(usize, usize)>> = vec![None; columns.len()];
        let mut out = Vec::new();
        for (r, (cells, bold, heading)) in rows.enumerate() {
            let row_no = r + 1;
            let mut docx_cells = Vec::new();
            let mut cells = cells.iter();
            let mut col = 0;
            while col < columns.len() {
                if let Some((left, span)) = open[col] {
                    docx_cells.push(
                        grid_cell(&columns[col..col + span]).vertical_merge(VMergeType::Continue),
                    );
                    open[col] = (left > 1).then_some((left - 1, span));
                    col += span;
                    continue;
                }
                let Some(cell) = cells.next() else {
                    return Err(format!(
                        "row {row_no} leaves columns {}–{} empty",
                        col + 1,
                        columns.len()
                    ));
                };
                let span = cell.col_span;
                if span == 0 || cell.row_span == 0 {
                    return Err(format!("row {row_no} has a cell spanning nothing"));
                }
                let end = col + span;
                if end > columns.len() || open[col + 1..end].iter().any(Option::is_some) {
                    return Err(format!(
                        "row {row_no} has a cell overlapping column {}",
                        columns.len().min(end)
                    ));
                }
                let mut docx_cell = grid_cell(&columns[col..end])
                    .add_paragraph(self.cell_paragraph(cell, bold, heading));
                if cell.row_span > 1 {
                    open[col] = Some((cell.row_span - 1, span));
                    docx_cell = docx_cell.vertical_merge(VMergeType::Restart);
                }
                docx_cells.push(docx_cell);
                col = end;
            }
            if cells.next().is_some() {
                return Err(format!(
                    "row {row_no} has more cells than the {} columns",
                    columns.len()
                ));
            }
            out.push(TableRow::new(docx_cells).cant_split());
        }
        if open.iter().any(Option::is_some) {
            return Err("a cell spans below the last row".to_owned());
        }

        let border = |position| {
            TableBorder::new(position)
                .border_type(BorderType::Single)
                .size(GRID_WEIGHT)
                .color(BLACK)
        };
        let borders = [
            TableBorderPosition::Top,
            TableBorderPosition::Left,
            TableBorderPosition::Bottom,
            TableBorderPosition::Right,
            TableBorderPosition::InsideH,
            TableBorderPosition::InsideV,
        ]
        .into_iter()
        .fold(TableBorders::new(), |b, p| b.set(border(p)));

        Ok(Table::new(out)
            .set_grid(columns.iter().map(|w| *w as usize).collect())
            .width(width as usize, WidthType::Dxa)
            .layout(TableLayoutType::Fixed)
            .set_borders(borders)
            .margins(TableCellMargins::new().margin(0, 85, 0, 85)))
    }

    fn cell_paragraph(&mut self, cell: &Cell, bold: bool, heading: bool) -> Paragraph {
        let font = Font::regular(PT12).weight(bold || heading);
        let (text, align) = match &cell.value {
            CellValue::Text(t) if heading => (t.clone(), AlignmentType::Center),
            CellValue::Text(t) => (t.clone(), AlignmentType::Left),
            CellValue::Number(n) => (format_number(*n), AlignmentType::Center),
        };
        self.line(&text, font, align)
            .line_spacing(spacing(40, 40, SINGLE_LINE))
    }
}

/// A cell over the given grid columns, vertically centred.
fn grid_cell(columns: &[u32]) -> TableCell {
    let width: u32 = columns.iter().sum();
    let cell = TableCell::new()
        .width(width as usize, WidthType::Dxa)
        .vertical_align(VAlignType::Center);
    if columns.len() > 1 {
        cell.grid_span(columns.len())
    } else {
        cell
    }
}

/// Column weights scaled to `width` twips; the last column takes the rounding remainder.
fn scale(weights: &[u32], width: u32) -> Result<Vec<u32>, String> {
    if weights.is_empty() || weights.contains(&0) {
        return Err("every column needs a width above zero".to_owned());
    }
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    let mut out: Vec<u32> = weights
        .iter()
        .map(|w| u32::try_from(u64::from(*w) * u64::from(width) / total).unwrap_or(0))
        .collect();
    let used: u32 = out.iter().sum();
    if let Some(last) = out.last_mut() {
        *last += width - used;
    }
    Ok(out)
}
