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
    assert_eq!(p.signer_authority, "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH");
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
            "communication",
            "Công tác truyền thông, nâng cao nhận thức",
            "TH-VHTT",
            3,
        ),
        (
            "other",
            "Thực hiện các chính sách, pháp luật",
            "TH-LDTBXH",
            2,
        ),
        (
            "victim_support",
            "Củng cố, phát triển các cơ sở hỗ trợ",
            "TH-LDTBXH",
            2,
        ),
        (
            "training",
            "Nâng cao năng lực đội ngũ cán bộ",
            "TH-LDTBXH",
            2,
        ),
        (
            "other",
            "Lồng ghép nội dung phòng, chống mua bán người",
            "TH-LDTBXH",
            3,
        ),
        ("inspection", "Công tác kiểm tra, giám sát", "TH-LDTBXH", 2),
        ("coordination", "Công tác phối hợp", "TH-LDTBXH", 3),
    ];
    for (area, (code, heading, lead, bullets)) in areas.iter().zip(expected_areas) {
        assert_eq!(area.area_kind.as_deref(), Some(code));
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
    assert!(items.iter().any(|i| i.body.as_deref().is_some_and(|b| {
        b.contains(
        "Tổ chức các hoạt động hưởng ứng “Ngày toàn dân phòng, chống mua bán người” (30/7) hàng năm"
    )
    })));
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

db_tests!(
    a_planner_writes_a_plan_with_items_targets_and_budget,
    a_target_needs_an_indicator_and_a_positive_value,
    an_item_with_sub_items_or_derived_items_cannot_be_removed,
    issuing_freezes_the_structure_and_later_changes_are_amendments,
    cloning_gives_the_same_tree_for_next_year_with_scaled_targets,
    a_commune_plan_rolls_up_into_the_district_plan,
    a_commune_cannot_edit_the_district_plan_or_another_communes,
);

async fn seeded_plan(app: &TestApp) -> plan::Model {
    plan::Entity::find()
        .filter(plan::Column::Code.eq("PY-TH-2024-HTNN"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

pub(crate) async fn code_id(app: &TestApp, list: &str, code: &str) -> String {
    app.scalar(&format!(
        "SELECT id AS n FROM codes WHERE list = '{list}' AND code = '{code}'"
    ))
    .await
    .to_string()
}

fn location_id(r: &reqwest::Response, prefix: &str) -> i64 {
    let loc = r.headers()["location"].to_str().unwrap();
    loc.trim_start_matches(prefix)
        .split(['/', '#'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Creates a draft plan of the planner's district with one content area; returns (plan, item).
pub(crate) async fn draft_with_item(app: &TestApp) -> (i64, i64) {
    let district = app
        .scalar("SELECT id AS n FROM org_units WHERE code = 'PY-TH'")
        .await
        .to_string();
    let r = app
        .post_form(
            "/plans",
            &[
                (
                    "title",
                    "Thực hiện công tác hỗ trợ nạn nhân bị mua bán người năm 2025",
                ),
                ("org_unit_id", &district),
                ("period_start", "01/01/2025"),
                ("period_end", "2025-12-31"),
                ("place", "Tây Hòa"),
                (
                    "legal_bases",
                    "Kế hoạch số 136/KH-UBND ngày 13/7/2021\n\nKế hoạch số 41/KH-SLĐTBXH",
                ),
                ("signer_authority", "KT. CHỦ TỊCH"),
                ("signer_title", "PHÓ CHỦ TỊCH"),
                ("signer_name", "Phan Công Trình"),
                ("recipients", "Sở Lao động - TB&XH;\nLưu: VT, LĐTBXH."),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let plan_id = location_id(&r, "/plans/");
    let lead = app
        .scalar("SELECT id AS n FROM agencies WHERE code = 'TH-VHTT'")
        .await
        .to_string();
    let support = app
        .scalar("SELECT id AS n FROM agencies WHERE code = 'TH-TTVHTT'")
        .await
        .to_string();
    let r = app
        .post_form(
            &format!("/plans/{plan_id}/items"),
            &[
                ("label", "1"),
                ("heading", "Công tác truyền thông, nâng cao nhận thức"),
                ("lead_agency_id", &lead),
                ("support", &support),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let item_id = location_id(&r, &format!("/plans/{plan_id}?edit=1#item-"));
    (plan_id, item_id)
}

async fn a_planner_writes_a_plan_with_items_targets_and_budget(app: TestApp) {
    app.login_as("planner").await;
    let (plan_id, item_id) = draft_with_item(&app).await;
    let r = app
        .post_form(
            &format!("/plans/{plan_id}/items"),
            &[
                ("parent_id", &item_id.to_string()),
                ("label", "-"),
                ("body", "Tổ chức mít tinh hưởng ứng Ngày 30/7."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sessions = code_id(&app, "indicator", "sessions").await;
    let talk = code_id(&app, "activity_type", "talk").await;
    let r = app
        .post_form(
            &format!("/plans/{plan_id}/items/{item_id}/targets"),
            &[
                ("indicator_id", &sessions),
                ("activity_type_id", &talk),
                ("value", "25"),
                ("unit", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let district_budget = code_id(&app, "funding_source", "district_budget").await;
    let r = app
        .post_form(
            &format!("/plans/{plan_id}/items/{item_id}/budgets"),
            &[(&format!("budget_{district_budget}"), "15.000.000")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = app.get_text(&format!("/plans/{plan_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Công tác truyền thông, nâng cao nhận thức"));
    assert!(html.contains("Tổ chức mít tinh hưởng ứng Ngày 30/7."));
    assert!(
        html.contains("<strong>25</strong> buổi"),
        "target with its default unit"
    );
    assert!(html.contains("15.000.000"));
    assert!(html.contains("Trung tâm VH-TT"));
    assert!(html.contains("Dự thảo"));
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM plan_legal_bases WHERE plan_id = {plan_id}"
        ))
        .await,
        2
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT amount AS n FROM plan_budgets WHERE plan_item_id = {item_id}"
        ))
        .await,
        15_000_000
    );
    // Moving the sub-item out puts it after its former parent.
    let child = app
        .scalar(&format!(
            "SELECT id AS n FROM plan_items WHERE parent_id = {item_id}"
        ))
        .await;
    let r = app
        .post_form(
            &format!("/plans/{plan_id}/items/{child}/move"),
            &[("direction", "outdent")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM plan_items WHERE plan_id = {plan_id} AND parent_id IS NULL"
        ))
        .await,
        2
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT position AS n FROM plan_items WHERE id = {child}"
        ))
        .await,
        2
    );
    // A bad header keeps what was typed and writes nothing.
    let plans_before = app.count("plans").await;
    let r = app
        .post_form(
            "/plans",
            &[
                ("title", "Kế hoạch thử"),
                ("period_start", "31/12/2025"),
                ("period_end", "01/01/2025"),
                ("place", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Ngày kết thúc phải sau ngày bắt đầu."));
    assert!(html.contains("value=\"Kế hoạch thử\""));
    assert_eq!(app.count("plans").await, plans_before);
}

async fn a_target_needs_an_indicator_and_a_positive_value(app: TestApp) {
    app.login_as("planner").await;
    let (plan_id, item_id) = draft_with_item(&app).await;
    let r = app
        .post_form(
            &format!("/plans/{plan_id}/items/{item_id}/targets"),
            &[("indicator_id", ""), ("value", "-3"), ("unit", "buổi")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Vui lòng chọn một giá trị trong danh sách."));
    assert!(html.contains("Giá trị chỉ tiêu phải là số nguyên dương."));
    let women = code_id(&app, "indicator", "participants_women").await;
    let r = app
        .post_form(
            &format!("/plans/{plan_id}/items/{item_id}/targets"),
            &[("indicator_id", &women), ("value", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A code from another list is not an indicator.
    let funding = code_id(&app, "funding_source", "commune_budget").await;
    let r = app
        .post_form(
            &format!("/plans/{plan_id}/items/{item_id}/targets"),
            &[("indicator_id", &funding), ("value", "4")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("plan_targets").await, 0);
}

async fn an_item_with_sub_items_or_derived_items_cannot_be_removed(app: TestApp) {
    let p = seeded_plan(&app).await;
    // A commune makes its plan from the district's: the district items now have derived items.
    app.login_as("commune").await;
    let r = app
        .post_form(&format!("/plans/{}/cascade", p.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let commune_plan = location_id(&r, "/plans/");
    let section = app
        .scalar(&format!("SELECT id AS n FROM plan_items WHERE plan_id = {commune_plan} AND label = 'II' AND parent_id IS NULL"))
        .await;
    let items_before = app.count("plan_items").await;
    let r = app
        .post_form(
            &format!("/plans/{commune_plan}/items/{section}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Không thể xóa"));
    assert_eq!(app.count("plan_items").await, items_before);
    // A leaf with nothing pointing at it can go.
    let leaf = app
        .scalar(&format!(
            "SELECT MAX(id) AS n FROM plan_items WHERE plan_id = {commune_plan}"
        ))
        .await;
    let r = app
        .post_form(&format!("/plans/{commune_plan}/items/{leaf}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("plan_items").await, items_before - 1);
}

async fn issuing_freezes_the_structure_and_later_changes_are_amendments(app: TestApp) {
    app.login_as("planner").await;
    let (plan_id, item_id) = draft_with_item(&app).await;
    // Planners cannot issue.
    let r = app
        .post_form(
            &format!("/plans/{plan_id}/issue"),
            &[("number", "12/KH-UBND"), ("issued_on", "2025-01-15")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let r = leader
        .post_form(
            &format!("/plans/{plan_id}/issue"),
            &[("number", ""), ("issued_on", "2025-01-15")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = leader
        .post_form(
            &format!("/plans/{plan_id}/issue"),
            &[("number", "12/KH-UBND"), ("issued_on", "15/01/2025")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = leader.get_text(&format!("/plans/{plan_id}")).await;
    assert!(html.contains("12/KH-UBND"));
    assert!(html.contains("15/01/2025"));

    // Without a reason, the structure does not change.
    let items_before = app.count("plan_items").await;
    let r = app
        .post_form(
            &format!("/plans/{plan_id}/items"),
            &[("label", "2"), ("heading", "Nội dung bổ sung")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("vui lòng ghi lý do sửa đổi")
    );
    let r = app
        .post_form(
            &format!("/plans/{plan_id}/items/{item_id}/move"),
            &[("direction", "down")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("plan_items").await, items_before);
    // With a date and reason it is an amendment.
    let r = app
        .post_form(
            &format!("/plans/{plan_id}/items"),
            &[
                ("label", "2"),
                ("heading", "Nội dung bổ sung"),
                ("amended_on", "2025-03-01"),
                ("reason", "Bổ sung theo chỉ đạo của UBND tỉnh"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("plan_items").await, items_before + 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM plan_amendments WHERE plan_id = {plan_id}"
        ))
        .await,
        1
    );
    let (_, html) = app.get_text(&format!("/plans/{plan_id}")).await;
    assert!(html.contains("Bổ sung theo chỉ đạo của UBND tỉnh"));
    assert!(html.contains("01/03/2025"));
    // Closing waits for the end of the period (the test clock is in June 2024).
    let r = leader
        .post_form(&format!("/plans/{plan_id}/close"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn cloning_gives_the_same_tree_for_next_year_with_scaled_targets(app: TestApp) {
    let p = seeded_plan(&app).await;
    app.login_as("planner").await;
    // Give the 2024 plan a target to scale.
    let area = app
        .scalar(&format!(
            "SELECT id AS n FROM plan_items WHERE plan_id = {} AND area_code = 'communication'",
            p.id
        ))
        .await;
    let sessions = code_id(&app, "indicator", "sessions").await;
    let r = app
        .post_form(
            &format!("/plans/{}/items/{area}/targets", p.id),
            &[
                ("indicator_id", &sessions),
                ("value", "40"),
                ("reason", "Giao chỉ tiêu"),
                ("amended_on", "2024-06-20"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &format!("/plans/{}/clone", p.id),
            &[
                ("years", "1"),
                ("target_percent", "110"),
                ("copy_budget", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let new_id = location_id(&r, "/plans/");
    let copy = plan::Entity::find_by_id(new_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(copy.status, "draft");
    assert_eq!(copy.number, None);
    assert_eq!(
        copy.period_start,
        chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
    );
    assert!(copy.title.contains("năm 2025"), "{}", copy.title);
    assert_eq!(tree(&app, p.id).await, tree(&app, new_id).await);
    assert_eq!(
        app.scalar(&format!(
            "SELECT value AS n FROM plan_targets t JOIN plan_items i ON i.id = t.plan_item_id WHERE i.plan_id = {new_id}"
        ))
        .await,
        44
    );
    let bad = app
        .post_form(
            &format!("/plans/{}/clone", p.id),
            &[("years", "1"), ("target_percent", "0")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// A plan's items as (depth, position, label, heading, body, lead, area), ids left out.
async fn tree(
    app: &TestApp,
    plan_id: i64,
) -> Vec<(
    usize,
    i32,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
)> {
    let items = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(plan_id))
        .all(&app.db)
        .await
        .unwrap();
    let depth = |item: &plan_item::Model| {
        let (mut d, mut parent) = (0, item.parent_id);
        while let Some(p) = parent {
            d += 1;
            parent = items.iter().find(|x| x.id == p).and_then(|x| x.parent_id);
        }
        d
    };
    let mut out: Vec<_> = items
        .iter()
        .map(|i| {
            (
                depth(i),
                i.position,
                i.label.clone(),
                i.heading.clone(),
                i.body.clone(),
                i.lead_agency_id,
                i.area_kind.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

async fn a_commune_plan_rolls_up_into_the_district_plan(app: TestApp) {
    let p = seeded_plan(&app).await;
    app.login_as("commune").await;
    let r = app
        .post_form(&format!("/plans/{}/cascade", p.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let commune_plan = location_id(&r, "/plans/");
    // Twice is refused.
    let again = app
        .post_form(&format!("/plans/{}/cascade", p.id), &[])
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let inherited_area = app
        .scalar(&format!("SELECT id AS n FROM plan_items WHERE plan_id = {commune_plan} AND area_code = 'communication'"))
        .await;
    // The commune adds its own sub-item under the inherited area, with a target.
    let r = app
        .post_form(
            &format!("/plans/{commune_plan}/items"),
            &[
                ("parent_id", &inherited_area.to_string()),
                ("label", "-"),
                ("body", "Phát thanh hằng tháng trên loa truyền thanh xã."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let own_item = location_id(&r, &format!("/plans/{commune_plan}?edit=1#item-"));
    let broadcasts = code_id(&app, "indicator", "broadcasts").await;
    for (item, value) in [(own_item, "12"), (inherited_area, "3")] {
        let r = app
            .post_form(
                &format!("/plans/{commune_plan}/items/{item}/targets"),
                &[("indicator_id", &broadcasts), ("value", value)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    // The district plan shows the sum on the area the commune's items hang under.
    let planner = app.another_browser();
    planner.login_as("planner").await;
    let (_, html) = planner.get_text(&format!("/plans/{}", p.id)).await;
    assert!(html.contains("Chỉ tiêu các xã đăng ký"));
    assert!(
        html.contains("<strong class=\"rollup\">15</strong> lần"),
        "12 + 3 broadcasts rolled up"
    );
    // Results roll up too: an activity held under the commune's own item counts for the
    // district area, and the figure links to exactly that activity.
    let talk = code_id(&app, "activity_type", "talk").await;
    let unit = app
        .scalar("SELECT id AS n FROM org_units WHERE code = 'PY-TH-HOAPHONG'")
        .await
        .to_string();
    let agency = app
        .scalar("SELECT id AS n FROM agencies WHERE code = 'TH-HOAPHONG-UBND'")
        .await
        .to_string();
    let r = app
        .post_form(
            "/activities",
            &[
                ("activity_type_id", &talk),
                ("title", "Phát thanh tháng 6"),
                ("plan_item_id", &own_item.to_string()),
                ("org_unit_id", &unit),
                ("agency_id", &agency),
                ("start_date", "2024-06-10"),
                ("held", "1"),
                ("held_on", "2024-06-10"),
                ("actual_participants", "60"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let area = app
        .scalar(&format!(
            "SELECT id AS n FROM plan_items WHERE plan_id = {} AND area_code = 'communication'",
            p.id
        ))
        .await;
    let (_, html) = planner.get_text(&format!("/plans/{}", p.id)).await;
    assert!(
        html.contains(&format!(
            "data-figure=\"held-{area}\">1 hoạt động đã tổ chức"
        )),
        "{html}"
    );
    let (_, list) = planner
        .get_text(&format!("/activities?item={area}&status=held"))
        .await;
    assert!(list.contains("Phát thanh tháng 6"));
    // And the district sees which communes have a plan: one of eleven.
    let (_, html) = planner.get_text(&format!("/plans/{}/communes", p.id)).await;
    assert!(html.contains("10 trong 11 đơn vị chưa xây dựng kế hoạch."));
    let first_row = html.find("Chưa có kế hoạch").unwrap();
    let made_row = html.find("Xã Hòa Phong").unwrap();
    assert!(first_row < made_row, "communes without a plan come first");
}

async fn a_commune_cannot_edit_the_district_plan_or_another_communes(app: TestApp) {
    let p = seeded_plan(&app).await;
    // Another commune's plan, made by a planner on its behalf.
    let planner = app.another_browser();
    planner.login_as("planner").await;
    let hoa_thinh = app
        .scalar("SELECT id AS n FROM org_units WHERE code = 'PY-TH-HOATHINH'")
        .await
        .to_string();
    let r = planner
        .post_form(
            &format!("/plans/{}/cascade", p.id),
            &[("org_unit_id", &hoa_thinh)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let other = location_id(&r, "/plans/");
    app.login_as("commune").await;
    let items_before = app.count("plan_items").await;
    for plan_id in [p.id, other] {
        let r = app
            .post_form(
                &format!("/plans/{plan_id}/items"),
                &[("label", "9"), ("heading", "Thử"), ("reason", "x")],
            )
            .await;
        assert!(
            r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::NOT_FOUND,
            "{plan_id}: {}",
            r.status()
        );
    }
    let r = app.get(&format!("/plans/{}/edit", p.id)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Another commune's plan is not even readable.
    let (status, html) = app.get_text(&format!("/plans/{other}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("Hòa Thịnh"));
    assert_eq!(app.count("plan_items").await, items_before);
}

db_tests!(the_plans_api_lists_reads_creates_and_validates);

async fn the_plans_api_lists_reads_creates_and_validates(app: TestApp) {
    use kehoach::entities::user;
    let planner = user::Entity::find()
        .filter(user::Column::Email.eq("planner@kehoach.demo"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let token = kehoach::auth::users::issue_api_token(&app.db, planner.id, "test", app.clock.now())
        .await
        .unwrap();
    let client = crate::helpers::new_client();
    let list: serde_json::Value = client
        .get(app.url("/api/v1/plans"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["next_cursor"].is_null());
    let id = list["items"][0]["id"].as_i64().unwrap();
    let one: serde_json::Value = client
        .get(app.url(&format!("/api/v1/plans/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["items"].as_array().unwrap().len(), 4);
    assert_eq!(one["items"][1]["children"].as_array().unwrap().len(), 7);
    assert_eq!(one["signer"]["name"], "Phan Công Trình");

    let bad = client
        .post(app.url("/api/v1/plans"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "title": "", "period_start": "2025-12-31", "period_end": "2025-01-01", "place": "Tây Hòa"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(
        body["error"]["fields"]["title"],
        "Vui lòng nhập thông tin này."
    );
    assert_eq!(
        body["error"]["fields"]["period_end"],
        "Ngày kết thúc phải sau ngày bắt đầu."
    );
    let before = app.count("plans").await;
    let created = client
        .post(app.url("/api/v1/plans"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "title": "Kế hoạch truyền thông năm 2025", "period_start": "2025-01-01",
            "period_end": "2025-12-31", "place": "Tây Hòa"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: serde_json::Value = created.json().await.unwrap();
    assert_eq!(created["status"], "draft");
    assert_eq!(app.count("plans").await, before + 1);
    let new_id = created["id"].as_i64().unwrap();
    let item = client
        .post(app.url(&format!("/api/v1/plans/{new_id}/items")))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "label": "1", "heading": "Truyền thông",
            "targets": [{ "indicator": "sessions", "activity_type": "talk", "value": 10 }, { "indicator": "nope", "value": 0 }]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(item.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM plan_items WHERE plan_id = {new_id}"
        ))
        .await,
        0,
        "nothing half-written"
    );
    let item = client
        .post(app.url(&format!("/api/v1/plans/{new_id}/items")))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "label": "1", "heading": "Truyền thông",
            "targets": [{ "indicator": "sessions", "activity_type": "talk", "value": 10 }]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(item.status(), StatusCode::CREATED);
    let item: serde_json::Value = item.json().await.unwrap();
    assert_eq!(item["targets"][0]["value"], 10);
    assert_eq!(item["targets"][0]["unit"], "buổi");
    // A compiler reads but cannot write.
    let compiler = user::Entity::find()
        .filter(user::Column::Email.eq("compiler@kehoach.demo"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let ctoken =
        kehoach::auth::users::issue_api_token(&app.db, compiler.id, "test", app.clock.now())
            .await
            .unwrap();
    let r = client
        .patch(app.url(&format!("/api/v1/plans/{new_id}")))
        .bearer_auth(&ctoken)
        .json(&serde_json::json!({ "title": "x", "period_start": "2025-01-01", "period_end": "2025-12-31", "place": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

db_tests!(the_seeded_plan_exports_as_an_official_ke_hoach);

fn docx_part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut part = zip.by_name(name).unwrap();
    let mut xml = String::new();
    part.read_to_string(&mut xml).unwrap();
    xml
}

async fn the_seeded_plan_exports_as_an_official_ke_hoach(app: TestApp) {
    let p = seeded_plan(&app).await;
    app.login_as("commune").await;
    let r = app.get(&format!("/plans/{}/docx", p.id)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let bytes = r.bytes().await.unwrap();
    let xml = docx_part(&bytes, "word/document.xml");
    // A4 portrait, margins 20/20/30/15 mm.
    assert!(xml.contains("w:w=\"11906\"") && xml.contains("w:h=\"16838\""));
    for margin in [
        "w:top=\"1134\"",
        "w:bottom=\"1134\"",
        "w:left=\"1701\"",
        "w:right=\"850\"",
    ] {
        assert!(xml.contains(margin), "{margin}");
    }
    assert!(xml.contains("Times New Roman"));
    for text in [
        "ỦY BAN NHÂN DÂN",
        "HUYỆN TÂY HÒA",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "/KH-UBND",
        "KẾ HOẠCH",
        "Thực hiện công tác hỗ trợ nạn nhân bị mua bán người năm 2024 trên địa bàn huyện",
        "MỤC ĐÍCH, YÊU CẦU",
        "NỘI DUNG THỰC HIỆN",
        "KINH PHÍ THỰC HIỆN",
        "TỔ CHỨC THỰC HIỆN",
        "Nơi nhận:",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Phan Công Trình",
        "Lưu: VT, LĐTBXH.",
    ] {
        assert!(xml.contains(text), "{text} missing");
    }
    // All seven content areas of section II, in order.
    let areas = [
        "1. Công tác truyền thông, nâng cao nhận thức",
        "2. Thực hiện các chính sách, pháp luật",
        "3. Củng cố, phát triển các cơ sở hỗ trợ nạn nhân",
        "4. Nâng cao năng lực đội ngũ cán bộ",
        "5. Lồng ghép nội dung phòng, chống mua bán người",
        "6. Công tác kiểm tra, giám sát",
        "7. Công tác phối hợp trong hỗ trợ nạn nhân",
    ];
    let mut last = 0;
    for a in areas {
        let at = xml[last..]
            .find(a)
            .unwrap_or_else(|| panic!("{a} missing or out of order"))
            + last;
        last = at;
    }
    // The body ends with the closing mark.
    assert!(xml.contains("Xã hội)./."));
    // Header-block sizes: 13 pt issuer lines (26 half-points), 14 pt italic date line.
    let issuer = xml.find("ỦY BAN NHÂN DÂN").unwrap();
    let run_start = xml[..issuer].rfind("<w:r>").unwrap();
    assert!(xml[run_start..issuer].contains("<w:sz w:val=\"26\""));
    assert!(xml[run_start..issuer].contains("<w:b"));
    let date = xml.find("Tây Hòa, ngày").unwrap();
    let run_start = xml[..date].rfind("<w:r>").unwrap();
    assert!(xml[run_start..date].contains("<w:i"));
    assert!(xml[run_start..date].contains("<w:sz w:val=\"28\""));
    // Page numbers in a header, not on the first page.
    assert!(xml.contains("<w:titlePg"));
    // The same plan gives the same bytes.
    let again = app
        .get(&format!("/plans/{}/docx", p.id))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes, again);
    // The authority lines, and the document's properties: its issuing body and its date (an
    // undated plan: the first day of its year), never docx-rs's "unknown" of 1970.
    assert!(xml.contains(">TM. ỦY BAN NHÂN DÂN<"));
    let core = docx_part(&bytes, "docProps/core.xml");
    assert!(
        core.contains("<dc:creator>Ủy ban nhân dân huyện Tây Hòa</dc:creator>"),
        "{core}"
    );
    assert!(
        core.contains(">2024-01-01T00:00:00Z<") && !core.contains("1970"),
        "{core}"
    );
    assert!(docx_part(&bytes, "docProps/custom.xml").contains("Ủy ban nhân dân huyện Tây Hòa"));
    // Legal bases: those the preamble already cites are not said twice; another is printed.
    assert_eq!(
        xml.matches("Kế hoạch số 41/KH-SLĐTBXH ngày 16/4/2024")
            .count(),
        1
    );
    use sea_orm::{ActiveModelTrait, Set};
    plan_legal_basis::ActiveModel {
        plan_id: Set(p.id),
        position: Set(0),
        text: Set("Luật Phòng, chống mua bán người ngày 28/11/2024.".to_owned()),
        created_at: Set(chrono::Utc::now()),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let bytes = app
        .get(&format!("/plans/{}/docx", p.id))
        .await
        .bytes()
        .await
        .unwrap();
    let xml = docx_part(&bytes, "word/document.xml");
    assert!(
        xml.contains(">Căn cứ Luật Phòng, chống mua bán người ngày 28/11/2024;<"),
        "the legal basis is printed"
    );
}
