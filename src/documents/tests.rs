//! Renders a document like the 2024 Tây Hòa plan and reads the DOCX back.

use std::io::Read;

use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

use super::docx::{
    FIRST_LINE_INDENT, FONT, HEADER_RIGHT, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP,
    MOTTO, NATIONAL_TITLE, PAGE_HEIGHT, PAGE_WIDTH, SIGNATURE_SPACE,
};
use super::metrics::text_width;
use super::*;
use sample::{communication_annex, plan, report};

mod sample;

/// The text of one part of the package.
pub(crate) fn part(docx: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a zip archive");
    let mut file = archive.by_name(name).expect("the part exists");
    let mut xml = String::new();
    file.read_to_string(&mut xml).expect("UTF-8 XML");
    xml
}

/// The `<w:p>` element whose text contains `needle`.
fn paragraph_with<'a>(xml: &'a str, needle: &str) -> &'a str {
    let at = xml
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is in the document"));
    let start = xml[..at].rfind("<w:p ").expect("inside a paragraph");
    let end = at + xml[at..].find("</w:p>").expect("the paragraph closes");
    &xml[start..end]
}

/// The `<w:r>` element whose text contains `needle`.
fn run_with<'a>(xml: &'a str, needle: &str) -> &'a str {
    let at = xml
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is in the document"));
    let start = xml[..at].rfind("<w:r>").expect("inside a run");
    let end = at + xml[at..].find("</w:r>").expect("the run closes");
    &xml[start..end]
}

/// The header part a section property references for `kind` ("default" or "first").
fn header_part(docx: &[u8], section: &str, kind: &str) -> String {
    let reference = format!("<w:headerReference w:type=\"{kind}\" r:id=\"");
    let at = section
        .find(&reference)
        .unwrap_or_else(|| panic!("a {kind} header"))
        + reference.len();
    let id = &section[at..at + section[at..].find('"').expect("the id closes")];
    let rels = part(docx, "word/_rels/document.xml.rels");
    let rel = &rels[rels
        .find(&format!("Id=\"{id}\""))
        .expect("the relationship")..];
    let target = &rel[rel.find("Target=\"").expect("a target") + 8..];
    let target = &target[..target.find('"').expect("the target closes")];
    part(docx, &format!("word/{target}"))
}

/// The `<w:sectPr>` elements of the document, in order.
fn sections(xml: &str) -> Vec<&str> {
    xml.match_indices("<w:sectPr>")
        .map(|(at, _)| &xml[at..at + xml[at..].find("</w:sectPr>").expect("closes")])
        .collect()
}

fn attr_value<'a>(xml: &'a str, attribute: &str) -> &'a str {
    let key = format!("{attribute}=\"");
    let at = xml
        .find(&key)
        .unwrap_or_else(|| panic!("{attribute} in {xml}"))
        + key.len();
    &xml[at..at + xml[at..].find('"').expect("the value closes")]
}

#[test]
fn date_line_pads_days_below_ten_and_the_first_two_months() {
    let on = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    assert_eq!(
        vn_date_line("Tây Hòa", on(2024, 12, 5), 2024),
        "Tây Hòa, ngày 05 tháng 12 năm 2024"
    );
    assert_eq!(
        vn_date_line("Tây Hòa", on(2024, 4, 16), 2024),
        "Tây Hòa, ngày 16 tháng 4 năm 2024"
    );
    assert_eq!(
        vn_date_line("Tây Hòa", on(2025, 2, 9), 2025),
        "Tây Hòa, ngày 09 tháng 02 năm 2025"
    );
    assert_eq!(
        vn_date_line("Tây Hòa", on(2025, 1, 31), 2025),
        "Tây Hòa, ngày 31 tháng 01 năm 2025"
    );
    assert_eq!(
        vn_date_line("Tây Hòa", on(2024, 3, 1), 2024),
        "Tây Hòa, ngày 01 tháng 3 năm 2024"
    );
    assert_eq!(
        vn_date_line("Tây Hòa", None, 2024),
        "Tây Hòa, ngày      tháng      năm 2024"
    );
}

#[test]
fn number_line_pads_below_ten_and_leaves_a_blank_in_drafts() {
    assert_eq!(DocumentNumber::new(5, "BC-UBND").line(), "Số: 05/BC-UBND");
    assert_eq!(
        DocumentNumber::new(136, "KH-UBND").line(),
        "Số: 136/KH-UBND"
    );
    assert_eq!(
        DocumentNumber::draft(DocumentKind::Plan.symbol("UBND")).line(),
        "Số:      /KH-UBND"
    );
    assert_eq!(DocumentKind::Report.symbol("UBND"), "BC-UBND");
    assert_eq!(DocumentKind::Report.name(), "BÁO CÁO");
    assert_eq!(format_number(1250), "1.250");
}

#[test]
fn section_numbers_are_roman() {
    let numerals: Vec<String> = [1, 2, 3, 4, 5, 6, 9, 14, 40]
        .into_iter()
        .map(roman)
        .collect();
    assert_eq!(
        numerals,
        ["I", "II", "III", "IV", "V", "VI", "IX", "XIV", "XL"]
    );
}

#[test]
fn measured_widths_agree_with_the_font() {
    // Reference values: advance widths summed from LiberationSerif-Bold.ttf.
    let motto = text_width(MOTTO, 28, true);
    assert!((3390..=3460).contains(&motto), "motto {motto} twips");
    let title = text_width(NATIONAL_TITLE, 26, true);
    assert!(
        (5370..=5480).contains(&title),
        "national title {title} twips"
    );
    assert!(
        title < HEADER_RIGHT,
        "the national title fits its column on one line"
    );
    assert!(text_width("HUYỆN", 26, true) == text_width("HUYEN", 26, true));
    assert!(text_width("Ư", 26, true) > text_width("U", 26, true));
}

#[test]
fn pages_are_a4_portrait_with_the_decree_margins() {
    assert_eq!((PAGE_WIDTH, PAGE_HEIGHT), (11_906, 16_838));
    // 20, 20, 30 and 15 mm.
    assert_eq!(
        (MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT),
        (1134, 1134, 1701, 850)
    );
    let docx = render_docx(&plan()).expect("renders");
    let xml = part(&docx, "word/document.xml");
    let body = sections(&xml);
    assert_eq!(body.len(), 1, "a plan without annexes is one section");
    assert!(
        body[0].contains(r#"<w:pgSz w:w="11906" w:h="16838" />"#),
        "{}",
        body[0]
    );
    assert!(
        body[0].contains(r#"<w:pgMar w:top="1134" w:right="850" w:bottom="1134" w:left="1701""#)
    );
    assert!(!body[0].contains("landscape"));
}

#[test]
fn times_new_roman_in_black_everywhere() {
    let docx = render_docx(&report()).expect("renders");
    let styles = part(&docx, "word/styles.xml");
    let defaults = &styles[styles.find("<w:docDefaults>").expect("defaults")..];
    assert!(defaults.contains(&format!(r#"<w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}""#)));
    let xml = part(&docx, "word/document.xml");
    let runs = xml.matches("<w:r>").count();
    assert!(runs > 50, "{runs} runs");
    for (at, _) in xml.match_indices("<w:r>") {
        let rpr = &xml[at..at + xml[at..].find("</w:rPr>").expect("every run is formatted")];
        assert!(rpr.contains(&format!(r#"w:ascii="{FONT}""#)), "{rpr}");
        assert!(rpr.contains(r#"<w:color w:val="000000" />"#), "{rpr}");
    }
}

#[test]
fn header_block_sizes_weights_and_rules() {
    let docx = render_docx(&plan()).expect("renders");
    let xml = part(&docx, "word/document.xml");
    let header = &xml[..xml.find("</w:tbl>").expect("the header block is a table")];
    assert!(
        header.contains("<w:tblBorders />"),
        "the header table is borderless"
    );

    for (text, size) in [
        ("ỦY BAN NHÂN DÂN", 26),
        ("HUYỆN TÂY HÒA", 26),
        (NATIONAL_TITLE, 26),
        (MOTTO, 28),
    ] {
        let run = run_with(header, &format!(">{text}<"));
        assert!(
            run.contains(&format!(r#"<w:sz w:val="{size}" />"#)),
            "{text}: {run}"
        );
        assert!(run.contains("<w:b />"), "{text} is bold");
        assert!(paragraph_with(header, text).contains(r#"<w:jc w:val="center" />"#));
    }

    let number = run_with(header, ">Số:      /KH-UBND<");
    assert!(number.contains(r#"<w:sz w:val="26" />"#) && !number.contains("<w:b />"));
    let date = run_with(header, ">Tây Hòa, ngày      tháng      năm 2024<");
    assert!(
        date.contains(r#"<w:sz w:val="28" />"#) && date.contains("<w:i />"),
        "{date}"
    );

    // The rule under the motto is as long as the motto, centred in its column.
    let after_motto = &header[header.find(MOTTO).expect("motto")..];
    let rule = &after_motto[after_motto.find("<w:p ").expect("a paragraph follows")..];
    let rule = &rule[..rule.find("</w:p>").expect("closes")];
    assert!(
        rule.contains(r#"<w:pBdr><w:bottom w:val="single""#),
        "{rule}"
    );
    let side: u32 = attr_value(rule, "w:left").parse().expect("a number");
    assert_eq!(side, (HEADER_RIGHT - text_width(MOTTO, 28, true)) / 2);
    assert_eq!(attr_value(rule, "w:right"), attr_value(rule, "w:left"));

    // The rule under the issuer spans a third to a half of the widest issuer line.
    let after_issuer = &header[header.find("HUYỆN TÂY HÒA").expect("issuer")..];
    let rule = &after_issuer[after_issuer.find("<w:p ").expect("a paragraph follows")..];
    assert!(rule[..rule.find("</w:p>").expect("closes")].contains("<w:pBdr><w:bottom"));
    let grid = &header[header.find("<w:gridCol ").expect("a grid")..];
    let column: u32 = attr_value(grid, "w:w").parse().expect("first column width");
    let side: u32 = attr_value(rule, "w:left").parse().expect("a number");
    let length = column - 2 * side;
    let widest = text_width("ỦY BAN NHÂN DÂN", 26, true);
    assert!(
        3 * length >= widest && 2 * length <= widest,
        "{length} against {widest}"
    );
}

#[test]
fn report_header_carries_its_number_and_padded_date() {
    let docx = render_docx(&report()).expect("renders");
    let xml = part(&docx, "word/document.xml");
    assert!(xml.contains(">Số: 05/BC-UBND<"));
    let date = run_with(&xml, ">Tây Hòa, ngày 05 tháng 12 năm 2024<");
    assert!(date.contains("<w:i />") && date.contains(r#"<w:sz w:val="28" />"#));
    let kind = run_with(&xml, ">BÁO CÁO<");
    assert!(kind.contains("<w:b />") && kind.contains(r#"<w:sz w:val="28" />"#));
    assert!(paragraph_with(&xml, ">BÁO CÁO<").contains(r#"<w:jc w:val="center" />"#));
}

#[test]
fn document_type_and_subject_are_bold_centred_14pt() {
    let docx = render_docx(&plan()).expect("renders");
    let xml = part(&docx, "word/document.xml");
    for text in [
        ">KẾ HOẠCH<",
        ">Thực hiện công tác hỗ trợ nạn nhân bị mua bán người năm 2024",
    ] {
        let run = run_with(&xml, text);
        assert!(
            run.contains("<w:b />") && run.contains(r#"<w:sz w:val="28" />"#),
            "{run}"
        );
        assert!(paragraph_with(&xml, text).contains(r#"<w:jc w:val="center" />"#));
    }
}

#[test]
fn page_numbers_are_centred_in_the_header_from_the_second_page() {
    for doc in [plan(), report()] {
        let docx = render_docx(&doc).expect("renders");
        let xml = part(&docx, "word/document.xml");
        let first_section = sections(&xml)[0];
        assert!(
            first_section.contains("<w:titlePg />"),
            "a different first page"
        );

        let numbered = header_part(&docx, first_section, "default");
        assert!(
            numbered.contains("<w:instrText>PAGE</w:instrText>"),
            "{numbered}"
        );
        assert!(numbered.contains(r#"<w:fldChar w:fldCharType="begin""#));
        assert!(numbered.contains(r#"<w:jc w:val="center" />"#));
        assert!(numbered.contains(r#"<w:sz w:val="28" />"#));
        assert!(numbered.contains(&format!(r#"w:ascii="{FONT}""#)));

        let first_page = header_part(&docx, first_section, "first");
        assert!(!first_page.contains("PAGE") && !first_page.contains("<w:t"));
    }
}

#[test]
fn body_paragraphs_are_justified_with_a_first_line_indent() {
    let docx = render_docx(&plan()).expect("renders");
    let xml = part(&docx, "word/document.xml");
    let indent = format!(r#"w:firstLine="{FIRST_LINE_INDENT}""#);
    assert!((567..=720).contains(&FIRST_LINE_INDENT), "1 to 1.27 cm");
    for text in [
        ">Trên cơ sở Kế hoạch số 41/KH-SLĐTBXH",
        ">I. MỤC ĐÍCH, YÊU CẦU<",
        ">II. NỘI DUNG THỰC HIỆN<",
        ">1. Mục đích:<",
        ">- Đẩy mạnh các hoạt động truyền thông",
        ">a) Tăng cường công tác kiểm tra",
        ">b) Thực hiện công tác thống kê",
    ] {
        let p = paragraph_with(&xml, text);
        assert!(
            p.contains(r#"<w:jc w:val="both" />"#),
            "{text} is justified"
        );
        assert!(p.contains(&indent), "{text} is indented");
        let after: u32 = attr_value(p, "w:after").parse().expect("spacing after");
        assert!(after >= 120, "{text}: at least 6 pt after");
        let line: u32 = attr_value(p, "w:line").parse().expect("line spacing");
        assert!((240..=360).contains(&line), "{text}: single to 1.5 lines");
        assert!(run_with(&xml, text).contains(r#"<w:sz w:val="28" />"#));
    }
    assert!(run_with(&xml, ">I. MỤC ĐÍCH, YÊU CẦU<").contains("<w:b />"));
    assert!(!run_with(&xml, ">- Đẩy mạnh").contains("<w:b />"));

    // "1. Mục đích:" in bold, its text run in on the same paragraph in regular weight.
    let item = paragraph_with(&xml, ">1. Mục đích:<");
    assert!(run_with(item, ">1. Mục đích:<").contains("<w:b />"));
    let text = run_with(item, "> Tạo sự chuyển biến");
    assert!(!text.contains("<w:b />"), "{text}");
}

#[test]
fn closing_block_lists_recipients_and_the_signature() {
    let docx = render_docx(&plan()).expect("renders");
    let xml = part(&docx, "word/document.xml");
    let closing = &xml[xml.rfind("<w:tbl>").expect("the closing block is a table")..];
    assert!(closing.contains("<w:tblBorders />"), "borderless");

    let heading = run_with(closing, ">Nơi nhận:<");
    assert!(heading.contains(r#"<w:sz w:val="24" />"#), "12 pt");
    assert!(heading.contains("<w:b />") && heading.contains("<w:i />"));
    for line in [
        ">- Sở Lao động - TB&amp;XH;<",
        ">- Thường trực Huyện ủy (thay b/c);<",
        ">- UBND các xã, thị trấn;<",
        ">- Lưu: VT, LĐTBXH.<",
    ] {
        assert!(
            run_with(closing, line).contains(r#"<w:sz w:val="22" />"#),
            "{line} in 11 pt"
        );
    }
    assert!(!closing.contains("LĐTBXH.;") && !closing.contains("LĐTBXH.."));

    for line in [">KT. CHỦ TỊCH<", ">PHÓ CHỦ TỊCH<", ">Phan Công Trình<"] {
        let run = run_with(closing, line);
        assert!(
            run.contains("<w:b />") && run.contains(r#"<w:sz w:val="28" />"#),
            "{line}"
        );
        assert!(paragraph_with(closing, line).contains(r#"<w:jc w:val="center" />"#));
    }
    let name = paragraph_with(closing, ">Phan Công Trình<");
    assert_eq!(
        attr_value(name, "w:before"),
        SIGNATURE_SPACE.to_string(),
        "room to sign"
    );
    assert!(
        closing.find("PHÓ CHỦ TỊCH") < closing.find("Phan Công Trình")
            && closing.find("Nơi nhận:") < closing.find("KT. CHỦ TỊCH")
    );
}

#[test]
fn annex_has_its_own_landscape_section_with_formatted_numbers() {
    let docx = render_docx(&report()).expect("renders");
    let xml = part(&docx, "word/document.xml");
    let body = sections(&xml);
    assert_eq!(body.len(), 2, "main text, then the annex");
    assert!(body[0].contains(r#"<w:pgSz w:w="11906" w:h="16838" />"#));
    assert!(body[1].contains(r#"<w:pgSz w:w="16838" w:h="11906" w:orient="landscape" />"#));
    assert!(
        body[1].contains(r#"<w:pgMar w:top="1134" w:right="850" w:bottom="1134" w:left="1701""#)
    );
    assert!(
        !body[1].contains("<w:titlePg />"),
        "the annex pages are numbered"
    );
    assert!(body[1].contains(r#"<w:headerReference w:type="default""#));

    let annex = &xml[xml.find("</w:sectPr>").expect("the first section ends")..];
    assert!(
        annex.contains(">Phụ lục 1<") && annex.contains(">KẾT QUẢ TRUYỀN THÔNG THEO XÃ, THỊ TRẤN<")
    );
    let table = &annex[annex.find("<w:tbl>").expect("the annex table")..];
    assert!(
        table.contains(r#"<w:tblW w:w="14287" w:type="dxa" />"#),
        "the landscape text width"
    );
    assert!(table.contains(r#"<w:top w:val="single""#), "a ruled grid");
    for number in [">1.250<", ">2.395<", ">1.272<"] {
        assert!(
            paragraph_with(table, number).contains(r#"<w:jc w:val="center" />"#),
            "{number}"
        );
    }
    assert!(
        run_with(table, ">2.395<").contains("<w:b />"),
        "the total row is bold"
    );
    assert!(run_with(table, ">Số người tham gia<").contains("<w:b />"));
    assert!(table.contains(r#"<w:gridSpan w:val="2" />"#));
    assert_eq!(table.matches(r#"<w:vMerge w:val="restart" />"#).count(), 3);
    assert_eq!(table.matches(r#"<w:vMerge w:val="continue" />"#).count(), 3);
}

#[test]
fn tables_that_do_not_fill_the_grid_are_refused() {
    let broken = |change: fn(&mut AnnexTable)| {
        let mut doc = report();
        change(&mut doc.annexes[0].table);
        render_docx(&doc)
    };
    let cases: [fn(&mut AnnexTable); 5] = [
        |t| t.body_rows[0].cells.push(Cell::number(1)),
        |t| {
            t.body_rows[1].cells.pop();
        },
        |t| t.body_rows[3].cells[0] = Cell::text("Tổng cộng").span(2, 2),
        |t| t.column_widths = vec![],
        |t| t.header_rows[1] = vec![Cell::text("Tổng số").span(2, 1), Cell::text("Nữ")],
    ];
    for change in cases {
        match broken(change) {
            Err(DocumentError::InvalidTable { annex: 1, .. }) => {}
            other => panic!("expected an invalid table, got {other:?}"),
        }
    }
    assert!(broken(|_| {}).is_ok());
}

#[test]
fn text_is_written_in_nfc() {
    let mut doc = plan();
    let decomposed = "Tây Hòa".nfd().collect::<String>();
    assert_ne!(decomposed, "Tây Hòa");
    doc.place = decomposed.clone();
    doc.body
        .push(Block::paragraph(format!("Huyện {decomposed}.")));
    let xml = part(&render_docx(&doc).expect("renders"), "word/document.xml");
    assert!(!xml.contains(&decomposed));
    assert!(xml.contains(">Huyện Tây Hòa.<"));
    assert!(xml.contains(">Tây Hòa, ngày      tháng      năm 2024<"));
}

#[test]
fn characters_xml_forbids_are_dropped_line_breaks_are_spaces_and_markup_is_escaped() {
    let mut doc = plan();
    // A control character pasted from another program, between a letter and its accent.
    doc.body.push(Block::paragraph(
        "Xa\u{0}\u{301} Ho\u{1b}a <b>Phong</b> & \u{fffe}co\u{300}n\r\nhai\ndòng\rba",
    ));
    let xml = part(&render_docx(&doc).expect("renders"), "word/document.xml");
    // A line break inside a run reads as a space (docx-rs would drop it, gluing the words).
    assert!(xml.contains(">Xá Hoa &lt;b&gt;Phong&lt;/b&gt; &amp; còn hai dòng ba<"));
    assert!(!xml.contains(['\u{0}', '\u{1b}', '\u{fffe}', '\r']));
}

#[test]
fn the_same_document_renders_to_the_same_bytes() {
    let doc = report();
    let first = render_docx(&doc).expect("renders");
    // Paragraphs made elsewhere on this thread move docx-rs's own id counter.
    let _unrelated: Vec<docx_rs::Paragraph> = (0..7).map(|_| docx_rs::Paragraph::new()).collect();
    let second = render_docx(&doc).expect("renders");
    let other_thread = std::thread::spawn({
        let doc = doc.clone();
        move || render_docx(&doc).expect("renders")
    })
    .join()
    .expect("the thread finishes");
    assert!(first == second, "two renders on one thread differ");
    assert!(first == other_thread, "renders on two threads differ");

    // Nothing from the clock: the document's own date in its properties, its issuing body as
    // the creator, and DOS-epoch ZIP entries.
    let core = part(&first, "docProps/core.xml");
    let dated = match doc.date {
        IssueDate::On(d) => format!("{}T00:00:00Z", d.format("%Y-%m-%d")),
        IssueDate::Undated { year } => format!("{year}-01-01T00:00:00Z"),
    };
    assert!(core.contains(&dated) && !core.contains("1970"), "{core}");
    assert!(!core.contains("<dc:creator>unknown<"), "{core}");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&first)).expect("a zip archive");
    for i in 0..archive.len() {
        let entry = archive.by_index(i).expect("an entry");
        let stamp = entry.last_modified().expect("a timestamp");
        assert_eq!(
            (stamp.year(), stamp.month(), stamp.day()),
            (1980, 1, 1),
            "{}",
            entry.name()
        );
    }
}

/// Convert and look: `soffice --headless --convert-to pdf --outdir /tmp /tmp/sample-*.docx`,
/// then `pdftoppm -png -r 60 /tmp/sample-kehoach.pdf /tmp/sample-page`.
#[test]
#[ignore = "writes /tmp/sample-kehoach.docx and /tmp/sample-baocao.docx to look at"]
fn write_samples() {
    let mut doc = plan();
    doc.annexes = vec![communication_annex()];
    let plan = render_docx(&doc).expect("renders");
    std::fs::write("/tmp/sample-kehoach.docx", plan).expect("written");
    let report = render_docx(&report()).expect("renders");
    std::fs::write("/tmp/sample-baocao.docx", report).expect("written");
}

#[test]
fn a_draft_says_so_and_a_numbered_document_does_not() {
    let draft = part(&render_docx(&plan()).expect("renders"), "word/document.xml");
    assert!(draft.contains(">DỰ THẢO<"));
    assert!(paragraph_with(&draft, ">DỰ THẢO<").contains(r#"<w:jc w:val="right" />"#));
    let signed = part(
        &render_docx(&report()).expect("renders"),
        "word/document.xml",
    );
    assert!(!signed.contains("DỰ THẢO"));
}

#[test]
fn the_closing_paragraph_keeps_with_the_signature() {
    let mut doc = report();
    doc.body.push(Block::paragraph(
        "Trên đây là báo cáo kết quả thực hiện kế hoạch./.",
    ));
    let xml = part(&render_docx(&doc).expect("renders"), "word/document.xml");
    let closing = paragraph_with(&xml, ">Trên đây là báo cáo");
    assert!(closing.contains("<w:keepNext"), "{closing}");
}

#[test]
fn a_heading_keeps_with_what_follows_it() {
    let mut doc = report();
    doc.body.push(Block::Section {
        number: 2,
        title: "Đánh giá chung".into(),
    });
    doc.body.push(Block::Item {
        number: "1".into(),
        title: "Ưu điểm".into(),
        text: None,
    });
    doc.body
        .push(Block::paragraph("Tất cả 4 xã đều tổ chức hoạt động."));
    doc.body.push(Block::paragraph("Trên đây là báo cáo./."));
    let xml = part(&render_docx(&doc).expect("renders"), "word/document.xml");
    for heading in [">II. ĐÁNH GIÁ CHUNG<", ">1. Ưu điểm<"] {
        let p = paragraph_with(&xml, heading);
        assert!(p.contains("<w:keepNext"), "{heading}: {p}");
    }
    let text = paragraph_with(&xml, ">Tất cả 4 xã");
    assert!(!text.contains("<w:keepNext"), "{text}");
}

#[test]
fn each_line_of_the_signing_authority_is_its_own_line() {
    let mut doc = report();
    doc.signature.authority = Some("TM. Ủy ban nhân dân\nKT. Chủ tịch".to_owned());
    let xml = part(&render_docx(&doc).expect("renders"), "word/document.xml");
    let tm = paragraph_with(&xml, ">TM. ỦY BAN NHÂN DÂN<");
    assert!(!tm.contains("KT."), "two paragraphs, not one: {tm}");
    assert!(xml.contains(">KT. CHỦ TỊCH<"));
}
