//! The parts of the main text: header block, document type and subject, body blocks,
//! closing block.

use docx_rs::{
    AlignmentType, Table, TableCell, TableCellMargins, TableLayoutType, TableRow, VAlignType,
    WidthType,
};

use super::*;

impl Writer {
    pub(super) fn main_part(&mut self, doc: &OfficialDocument) -> Vec<Part> {
        let mut parts = Vec::new();
        // A document without its registry number is a draft, and says so above everything.
        if doc.number.serial.is_none() {
            parts.push(
                self.line("DỰ THẢO", Font::bold(PT14), AlignmentType::Right)
                    .into(),
            );
        }
        parts.push(self.header_block(doc).into());

        let title = Font::bold(PT14);
        parts.push(
            self.centred(doc.kind.name(), title)
                .line_spacing(spacing(360, 0, SINGLE_LINE))
                .keep_next(true)
                .into(),
        );
        parts.push(self.centred(&doc.subject, title).keep_next(true).into());
        let subject_width = text_width(&nfc(&doc.subject), PT14 as u32, true).min(TEXT_WIDTH);
        parts.push(self.rule(TEXT_WIDTH, short_rule(subject_width), 360).into());

        // The closing paragraph stays on the page of "Nơi nhận" and the signature; headings
        // keep the keep-with-next `block` gave them (a heading is never left alone at the foot
        // of a page).
        let last = doc.body.len().saturating_sub(1);
        for (i, block) in doc.body.iter().enumerate() {
            let p = self.block(block);
            parts.push(if i == last { p.keep_next(true) } else { p }.into());
        }
        parts.push(self.closing_block(doc).into());
        parts
    }

    /// Issuer and number on the left, national title, motto and date on the right. Number and
    /// date share the second row so that they stand on one line whatever the issuer's length.
    fn header_block(&mut self, doc: &OfficialDocument) -> Table {
        let mut issuer = TableCell::new();
        let mut widest = 0;
        for line in &doc.issuer {
            let text = upper(&line.text);
            let font = Font::regular(PT13).weight(line.bold);
            widest = widest.max(text_width(&text, PT13 as u32, line.bold));
            issuer = issuer.add_paragraph(self.centred(&text, font));
        }
        let issuer_rule = short_rule(widest.min(HEADER_LEFT));
        issuer = issuer.add_paragraph(self.rule(HEADER_LEFT, issuer_rule, 0));

        let motto_width = text_width(MOTTO, PT14 as u32, true);
        let nation = TableCell::new()
            .add_paragraph(self.centred(NATIONAL_TITLE, Font::bold(PT13)))
            .add_paragraph(self.centred(MOTTO, Font::bold(PT14)))
            .add_paragraph(self.rule(HEADER_RIGHT, motto_width, 0));

        let second_row = spacing(160, 0, SINGLE_LINE);
        let number = self
            .centred(&doc.number.line(), Font::regular(PT13))
            .line_spacing(second_row.clone());
        let date_line = vn_date_line(&doc.place, doc.date.date(), doc.date.year());
        let date = self
            .centred(&date_line, Font::regular(PT14).italic())
            .line_spacing(second_row);

        borderless(
            &[HEADER_LEFT, HEADER_RIGHT],
            vec![
                vec![issuer, nation],
                vec![
                    TableCell::new().add_paragraph(number),
                    TableCell::new().add_paragraph(date),
                ],
            ],
        )
    }

    fn block(&mut self, block: &Block) -> Paragraph {
        let regular = Font::regular(PT14);
        let bold = Font::bold(PT14);
        match block {
            Block::Section { number, title } => self
                .body()
                .keep_next(true)
                .add_run(run(&format!("{}. {}", roman(*number), upper(title)), bold)),
            Block::Item {
                number,
                title,
                text,
            } => {
                // "1. Mục đích: text" — or "1. text" when the item has no title of its own.
                let head = if title.is_empty() {
                    format!("{number}.")
                } else {
                    format!("{number}. {title}")
                };
                let p = self.body().add_run(run(&head, bold));
                match text {
                    Some(text) => p.add_run(run(&format!(" {text}"), regular)),
                    None => p.keep_next(true),
                }
            }
            Block::Paragraph(text) => self.body().add_run(run(text, regular)),
            Block::Bullet(text) => self.body().add_run(run(&format!("- {text}"), regular)),
            Block::Point { label, text } => self
                .body()
                .add_run(run(&format!("{label}) {text}"), regular)),
        }
    }

    /// Recipients on the left, signature on the right.
    fn closing_block(&mut self, doc: &OfficialDocument) -> Table {
        let first = spacing(240, 0, SINGLE_LINE);
        let mut recipients = TableCell::new().add_paragraph(
            self.line("Nơi nhận:", Font::bold(PT12).italic(), AlignmentType::Left)
                .line_spacing(first.clone()),
        );
        let count = doc.recipients.len();
        for (i, name) in doc.recipients.iter().enumerate() {
            let name = name.trim().trim_end_matches([';', '.', ',']).trim_end();
            let end = if i + 1 == count { '.' } else { ';' };
            recipients = recipients.add_paragraph(self.line(
                &format!("- {name}{end}"),
                Font::regular(PT11),
                AlignmentType::Left,
            ));
        }

        let sig = &doc.signature;
        let bold = Font::bold(PT14);
        let mut signer = TableCell::new();
        // Authority lines as entered, one per line ("TM. ỦY BAN NHÂN DÂN" over "KT. CHỦ TỊCH").
        let mut lines: Vec<String> = sig
            .authority
            .iter()
            .flat_map(|a| a.lines())
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(upper)
            .collect();
        lines.push(upper(&sig.title));
        for (i, line) in lines.iter().enumerate() {
            let mut p = self.centred(line, bold);
            if i == 0 {
                p = p.line_spacing(first.clone());
            }
            signer = signer.add_paragraph(p);
        }
        signer = signer.add_paragraph(self.centred(&sig.name, bold).line_spacing(spacing(
            SIGNATURE_SPACE,
            0,
            SINGLE_LINE,
        )));

        borderless(
            &[CLOSING_LEFT, CLOSING_RIGHT],
            vec![vec![recipients, signer]],
        )
    }
}

/// A table without borders and without cell padding, so that the rule widths computed for
/// a column are exact.
fn borderless(widths: &[u32], rows: Vec<Vec<TableCell>>) -> Table {
    let rows = rows
        .into_iter()
        .map(|cells| {
            let cells = cells
                .into_iter()
                .zip(widths)
                .map(|(cell, w)| {
                    cell.width(*w as usize, WidthType::Dxa)
                        .vertical_align(VAlignType::Top)
                })
                .collect();
            TableRow::new(cells).cant_split()
        })
        .collect();
    Table::without_borders(rows)
        .set_grid(widths.iter().map(|w| *w as usize).collect())
        .width(widths.iter().sum::<u32>() as usize, WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
        .margins(TableCellMargins::new().margin(0, 0, 0, 0))
}
