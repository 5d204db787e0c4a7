//! The org-unit tree and the 2025 merges: history stays with the old units.

use crate::db_tests;
use crate::helpers::TestApp;
use kehoach::entities::{org_lineage, org_unit};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

db_tests!(
    a_merge_closes_the_old_units_opens_the_new_one_and_keeps_history,
    a_bad_merge_is_refused_with_messages_and_writes_nothing,
);

async fn unit(app: &TestApp, code: &str) -> org_unit::Model {
    org_unit::Entity::find()
        .filter(org_unit::Column::Code.eq(code))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn a_merge_closes_the_old_units_opens_the_new_one_and_keeps_history(app: TestApp) {
    app.login_as("admin").await;
    let members = [
        "PY-TH-PHUTHU",
        "PY-TH-HOAPHONG",
        "PY-TH-HOATANTAY",
        "PY-TH-HOABINH1",
    ];
    let mut ids = Vec::new();
    for m in members {
        ids.push(unit(&app, m).await.id.to_string());
    }
    let province = unit(&app, "PY").await;
    let mut fields: Vec<(&str, &str)> = ids.iter().map(|i| ("predecessors", i.as_str())).collect();
    let province_id = province.id.to_string();
    fields.extend([
        ("merge_kind", "merge"),
        ("effective_date", "2025-07-01"),
        (
            "legal_basis",
            "Nghị quyết số 1662/NQ-UBTVQH15 (chưa kiểm chứng)",
        ),
        ("successor_code", "DL-TAYHOA"),
        ("successor_name", "Xã Tây Hòa"),
        ("successor_kind", "commune"),
        ("successor_parent", &province_id),
    ]);
    let r = app.post_form("/admin/org-units/merge", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let successor = unit(&app, "DL-TAYHOA").await;
    assert_eq!(
        successor.valid_from,
        chrono::NaiveDate::from_ymd_opt(2025, 7, 1)
    );
    for m in members {
        let old = unit(&app, m).await;
        // Closed the day before, still under the old district: nothing re-attributed.
        assert_eq!(old.valid_to, chrono::NaiveDate::from_ymd_opt(2025, 6, 30));
        assert_eq!(old.parent_id, Some(unit(&app, "PY-TH").await.id));
    }
    let lineage = org_lineage::Entity::find()
        .filter(org_lineage::Column::SuccessorId.eq(successor.id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(lineage.len(), 4);
    assert!(lineage.iter().all(|l| l.kind == "merge"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'org_unit:merge'")
            .await,
        1
    );
    // The successor's scope rolls up the old units; they keep their own records.
    let scope = kehoach::org_units::scope::Scope::of_unit(&app.db, successor.id)
        .await
        .unwrap();
    for m in members {
        assert!(
            scope.contains(unit(&app, m).await.id),
            "{m} in the successor's scope"
        );
    }
    assert!(!scope.contains(unit(&app, "PY-TH-HOATHINH").await.id));
    let (_, html) = app.get_text("/org-units").await;
    assert!(html.contains("Xã Tây Hòa"));
    assert!(html.contains("Sáp nhập"));
    assert!(html.contains("30/06/2025"), "{html}");
}

async fn a_bad_merge_is_refused_with_messages_and_writes_nothing(app: TestApp) {
    app.login_as("admin").await;
    let one = unit(&app, "PY-TH-HOAPHU").await.id.to_string();
    let units_before = app.count("org_units").await;
    let r = app
        .post_form(
            "/admin/org-units/merge",
            &[
                ("predecessors", &one),
                ("merge_kind", "merge"),
                ("effective_date", "31/02/2025"),
                ("successor_code", "PY"),
                ("successor_name", "Xã Sơn Thành"),
                ("successor_kind", "commune"),
                ("legal_basis", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Sáp nhập: chọn ít nhất hai đơn vị."));
    assert!(html.contains("Ngày không hợp lệ"));
    assert!(html.contains("Mã này đã được dùng."));
    assert!(html.contains("Vui lòng nhập thông tin này."));
    // What was typed is kept.
    assert!(html.contains("value=\"Xã Sơn Thành\""));
    assert_eq!(app.count("org_units").await, units_before);
    assert_eq!(app.count("org_lineage").await, 0);
}
