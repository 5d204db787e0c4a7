//! The seeded 2024 plan and the plan pages.

use crate::db_tests;
use crate::helpers::{TestApp, start_time};
use kehoach::entities::{agency, plan, plan_item, plan_item_agency, plan_legal_basis};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

db_tests!(
    seeding_twice_changes_nothing,
    the_seeded_plan_has_the_seven_content_areas_with_their_text_and_agencies,
    everyone_reads_the_district_plan_but_not_an_unknown_one,
);

async fn seeding_twice_changes_nothing(app: TestApp) {
    let tables = [
        "org_units",
        "agencies",
        "codes",
        "plans",
        "plan_items",
        "plan_item_agencies",
        "plan_legal_bases",
        "users",
    ];
    let mut before = Vec::new();
    for t in tables {
        before.push(app.count(t).await);
    }
    let again = kehoach::seed::reference(&app.db, start_time())
        .await
        .unwrap();
    assert_eq!(again, kehoach::seed::SeedReport::default());
    let demo = kehoach::seed::demo(&app.db, start_time()).await.unwrap();
    assert_eq!(demo.users, 0);
    for (t, n) in tables.iter().zip(before) {
        assert_eq!(app.count(t).await, n, "{t} changed on a second seed");
    }
    assert_eq!(app.count("org_units").await, 13);
    assert!(app.count("codes").await >= 90);
}

async fn the_seeded_plan_has_the_seven_content_areas_with_their_text_and_agencies(app: TestApp) {
    let p = plan::Entity::find()
        .filter(plan::Column::Code.eq("PY-TH-2024-HTNN"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the 2024 plan");
    assert_eq!(p.signer_name, "Phan Công Trình");
    assert_eq!(p.signer_authority, "KT. CHỦ TỊCH");
    let bases = plan_legal_basis::Entity::find()
        .filter(plan_legal_basis::Column::PlanId.eq(p.id))
        .order_by_asc(plan_legal_basis::Column::Position)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(bases.len(), 2);
    assert!(
        bases[0]
            .text
            .starts_with("Kế hoạch số 41/KH-SLĐTBXH ngày 16/4/2024")
    );
    assert!(
        bases[1]
            .text
            .starts_with("Kế hoạch số 136/KH-UBND ngày 13/7/2021")
    );

    let items = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(p.id))
        .all(&app.db)
        .await
        .unwrap();
    let mut sections: Vec<_> = items.iter().filter(|i| i.parent_id.is_none()).collect();
    sections.sort_by_key(|s| s.position);
    let labels: Vec<&str> = sections.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["I", "II", "III", "IV"]);
    let two = sections.iter().find(|s| s.label == "II").unwrap();
    assert_eq!(two.heading, "NỘI DUNG THỰC HIỆN");
    let mut areas: Vec<_> = items
        .iter()
        .filter(|i| i.parent_id == Some(two.id))
        .collect();
    areas.sort_by_key(|a| a.position);
    assert_eq!(areas.len(), 7);
    let expected_areas = [
        (
            "awareness",
            "Công tác truyền thông, nâng cao nhận thức",
            "TH-VHTT",
            3,
        ),
        (
            "policy",
            "Thực hiện các chính sách, pháp luật",
            "TH-LDTBXH",
            2,
        ),
        (
            "services",
            "Củng cố, phát triển các cơ sở hỗ trợ",
            "TH-LDTBXH",
            2,
        ),
        (
            "capacity",
            "Nâng cao năng lực đội ngũ cán bộ",
            "TH-LDTBXH",
            2,
        ),
        (
            "integration",
            "Lồng ghép nội dung phòng, chống mua bán người",
            "TH-LDTBXH",
            3,
        ),
        ("inspection", "Công tác kiểm tra, giám sát", "TH-LDTBXH", 2),
        ("coordination", "Công tác phối hợp", "TH-LDTBXH", 3),
    ];
    for (area, (code, heading, lead, bullets)) in areas.iter().zip(expected_areas) {
        assert_eq!(area.area_code.as_deref(), Some(code));
        assert!(area.heading.starts_with(heading), "{}", area.heading);
        let lead_code = agency::Entity::find_by_id(area.lead_agency_id.unwrap())
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .code;
        assert_eq!(lead_code, lead);
        let children = items
            .iter()
            .filter(|i| i.parent_id == Some(area.id))
            .count();
        assert_eq!(children, bullets, "bullets of {code}");
        let support = plan_item_agency::Entity::find()
            .filter(plan_item_agency::Column::PlanItemId.eq(area.id))
            .all(&app.db)
            .await
            .unwrap();
        assert!(!support.is_empty(), "supporting agencies of {code}");
    }
    // The full text is there, word for word.
    assert!(
        items.iter().any(|i| i.body.as_deref().is_some_and(|b| {
            b.contains(
        "Tổ chức các hoạt động hưởng ứng “Ngày toàn dân phòng, chống mua bán người” (30/7) hàng năm"
    )
        }))
    );
    assert!(items.iter().any(|i| {
        i.body
            .as_deref()
            .is_some_and(|b| b.contains("Tổng đài điện thoại quốc gia bảo vệ trẻ em 111"))
    }));
}

async fn everyone_reads_the_district_plan_but_not_an_unknown_one(app: TestApp) {
    let p = plan::Entity::find().one(&app.db).await.unwrap().unwrap();
    app.login_as("commune").await;
    let (status, html) = app.get_text(&format!("/plans/{}", p.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Thực hiện công tác hỗ trợ nạn nhân bị mua bán người năm 2024"));
    assert!(html.contains("Phòng VH-TT"));
    assert!(html.contains("NỘI DUNG THỰC HIỆN"));
    let (status, html) = app.get_text("/plans/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Không tìm thấy"));
    let (status, _) = app.get_text("/plans/not-a-number").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
