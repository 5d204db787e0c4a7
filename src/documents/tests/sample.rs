//! A document resembling the 2024 plan of UBND huyện Tây Hòa (the reference plan of the
//! domain notes, abridged), and a report with an annex.

use chrono::NaiveDate;

use crate::documents::*;

pub(super) fn plan() -> OfficialDocument {
    OfficialDocument {
        issuer: vec![
            IssuerLine::bold("ỦY BAN NHÂN DÂN"),
            IssuerLine::bold("HUYỆN TÂY HÒA"),
        ],
        number: DocumentNumber::draft(DocumentKind::Plan.symbol("UBND")),
        place: "Tây Hòa".into(),
        date: IssueDate::Undated { year: 2024 },
        kind: DocumentKind::Plan,
        subject: "Thực hiện công tác hỗ trợ nạn nhân bị mua bán người năm 2024 trên địa bàn huyện"
            .into(),
        body: vec![
            Block::paragraph(
                "Trên cơ sở Kế hoạch số 41/KH-SLĐTBXH ngày 16/4/2024 của Sở Lao động - Thương \
                 binh và Xã hội về thực hiện công tác tiếp nhận và hỗ trợ nạn nhân bị mua bán \
                 người năm 2024 trên địa bàn tỉnh Phú Yên và Kế hoạch số 136/KH-UBND ngày \
                 13/7/2021 của UBND huyện về thực hiện công tác hỗ trợ nạn nhân bị mua bán người \
                 giai đoạn 2021 - 2025 và định hướng đến năm 2030 trên địa bàn huyện Tây Hoà; \
                 UBND huyện xây dựng kế hoạch thực hiện như sau:",
            ),
            Block::section(1, "Mục đích, yêu cầu"),
            Block::item(
                "1",
                "Mục đích:",
                Some(
                    "Tạo sự chuyển biến mạnh mẽ về nhận thức, nâng cao trách nhiệm các cơ quan, \
                     đơn vị, UBND các xã, thị trấn và toàn xã hội trong công tác hỗ trợ nạn nhân \
                     bị mua bán người; đảm bảo sự bình đẳng và tăng tỷ lệ nạn nhân bị mua bán \
                     người được tiếp cận, sử dụng các dịch vụ hỗ trợ, sớm ổn định cuộc sống và \
                     hòa nhập cộng đồng bền vững.",
                ),
            ),
            Block::item(
                "2",
                "Yêu cầu:",
                Some(
                    "Đảm bảo sự thống nhất, phối hợp chặt chẽ giữa các cơ quan, đơn vị, UBND các \
                     xã, thị trấn trong công tác hỗ trợ nạn nhân bị mua bán người; thực hiện hỗ \
                     trợ dựa trên đặc điểm, nhu cầu của nạn nhân.",
                ),
            ),
            Block::section(2, "Nội dung thực hiện"),
            Block::item(
                "1",
                "Công tác truyền thông, nâng cao nhận thức về phòng, chống mua bán người",
                None,
            ),
            Block::bullet(
                "Đẩy mạnh các hoạt động truyền thông về công tác hỗ trợ nạn nhân bị mua bán \
                 người, nhất là người có nguy cơ cao và nạn nhân bị mua bán người vì mục đích \
                 mại dâm, thương mại; cưỡng bức lao động; chính sách, pháp luật, chế độ hỗ trợ \
                 nạn nhân bị mua bán người trở về; các mô hình hỗ trợ nạn nhân có hiệu quả.",
            ),
            Block::bullet(
                "Tổ chức các hoạt động hưởng ứng “Ngày toàn dân phòng, chống mua bán người” \
                 (30/7) hàng năm, phù hợp với chỉ đạo của Chính phủ và tình hình thực tế của \
                 huyện.",
            ),
            Block::item(
                "6",
                "Công tác kiểm tra, giám sát việc thực hiện chính sách, pháp luật, thống kê số \
                 liệu về hỗ trợ nạn nhân bị mua bán người",
                None,
            ),
            Block::point(
                "a",
                "Tăng cường công tác kiểm tra, thanh tra, giám sát chặt chẽ hoạt động đưa người \
                 lao động trong huyện đi làm việc ở nước ngoài.",
            ),
            Block::point(
                "b",
                "Thực hiện công tác thống kê số liệu nạn nhân bị mua bán người, phân tích số \
                 liệu theo các nhóm: giới tính, độ tuổi, mục đích bị mua bán người, các chế độ, \
                 chính sách đã hỗ trợ...",
            ),
            Block::section(3, "Kinh phí thực hiện"),
            Block::item("1", "Hỗ trợ từ ngân sách nhà nước theo quy định.", None),
            Block::item(
                "2",
                "Huy động sự tham gia, đóng góp của các tổ chức, cơ quan, doanh nghiệp, cá nhân \
                 trong công tác hỗ trợ nạn nhân bị mua bán người.",
                None,
            ),
            Block::section(4, "Tổ chức thực hiện"),
            Block::item(
                "1",
                "Phòng Lao động - Thương binh và Xã hội:",
                Some(
                    "Kiểm tra, đôn đốc, hướng dẫn việc thực hiện các cơ quan, đơn vị liên quan \
                     và UBND xã, thị trấn; tổng hợp, tham mưu UBND huyện báo cáo kết quả thực \
                     hiện gửi Sở Lao động - Thương binh và Xã hội theo quy định.",
                ),
            ),
            Block::item(
                "2",
                "Công an huyện:",
                Some(
                    "Chỉ đạo Công an các xã, thị trấn tăng cường công tác kiểm tra, giám sát \
                     chặt chẽ hoạt động đưa người lao động trong huyện đi làm việc ở nước ngoài.",
                ),
            ),
            Block::item(
                "5",
                "UBND các xã, thị trấn:",
                Some(
                    "Căn cứ nội dung của Kế hoạch này, xây dựng kế hoạch thực hiện; chủ động bố \
                     trí kinh phí hoạt động từ nguồn ngân sách xã, thị trấn và phân công cán bộ, \
                     công chức để theo dõi việc thực hiện. Định kỳ, báo cáo tình hình thực hiện \
                     gửi UBND huyện (qua Phòng Lao động - Thương binh và Xã hội)./.",
                ),
            ),
        ],
        signature: Signature {
            authority: Some("KT. Chủ tịch".into()),
            title: "Phó Chủ tịch".into(),
            name: "Phan Công Trình".into(),
        },
        recipients: [
            "Sở Lao động - TB&XH",
            "Thường trực Huyện ủy (thay b/c)",
            "Thường trực HĐND huyện",
            "Ban Thường trực UBMTTQVN huyện",
            "Chủ tịch, các PCT.UBND huyện",
            "Trang thông tin điện tử của huyện",
            "Các cơ quan, đơn vị huyện có liên quan",
            "UBND các xã, thị trấn",
            "Lưu: VT, LĐTBXH.",
        ]
        .map(String::from)
        .to_vec(),
        annexes: vec![],
    }
}

pub(super) fn communication_annex() -> Annex {
    let commune = |no: i64, name: &str, sessions: i64, people: i64, women: i64| {
        Row::new(vec![
            Cell::number(no),
            Cell::text(name),
            Cell::number(sessions),
            Cell::number(people),
            Cell::number(women),
        ])
    };
    Annex {
        title: "Phụ lục 1".into(),
        subtitle: "KẾT QUẢ TRUYỀN THÔNG THEO XÃ, THỊ TRẤN".into(),
        note: Some(
            "(Kèm theo Báo cáo số 05/BC-UBND ngày 05/12/2024 của UBND huyện Tây Hòa)".into(),
        ),
        landscape: true,
        table: AnnexTable {
            column_widths: vec![2, 10, 5, 5, 5],
            header_rows: vec![
                vec![
                    Cell::text("STT").span(1, 2),
                    Cell::text("Xã, thị trấn").span(1, 2),
                    Cell::text("Số buổi").span(1, 2),
                    Cell::text("Số người tham gia").span(2, 1),
                ],
                vec![Cell::text("Tổng số"), Cell::text("Nữ")],
            ],
            body_rows: vec![
                commune(1, "Thị trấn Phú Thứ", 12, 1250, 640),
                commune(2, "Xã Hòa Bình 1", 8, 730, 402),
                commune(3, "Xã Sơn Thành Tây", 6, 415, 230),
                Row::total(vec![
                    Cell::text("Tổng cộng").span(2, 1),
                    Cell::number(26),
                    Cell::number(2395),
                    Cell::number(1272),
                ]),
            ],
        },
    }
}

pub(super) fn report() -> OfficialDocument {
    let mut doc = plan();
    doc.kind = DocumentKind::Report;
    doc.number = DocumentNumber::new(5, DocumentKind::Report.symbol("UBND"));
    doc.date = IssueDate::On(NaiveDate::from_ymd_opt(2024, 12, 5).expect("a valid date"));
    doc.subject = "Kết quả thực hiện công tác hỗ trợ nạn nhân bị mua bán người năm 2024".into();
    doc.annexes = vec![communication_annex()];
    doc
}
