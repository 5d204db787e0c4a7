//! Administration: users, agencies and code lists.

use crate::db_tests;
use crate::helpers::TestApp;
use reqwest::StatusCode;

db_tests!(
    an_admin_creates_a_user_who_can_then_sign_in,
    a_bad_user_form_keeps_what_was_typed_and_writes_nothing,
    codes_are_added_renamed_and_retired_but_never_deleted,
    an_admin_adds_an_agency_and_edits_a_unit,
);

async fn an_admin_creates_a_user_who_can_then_sign_in(app: TestApp) {
    app.login_as("admin").await;
    let agency = app
        .scalar("SELECT id AS n FROM agencies WHERE code = 'TH-HOATHINH-UBND'")
        .await
        .to_string();
    let r = app
        .post_form(
            "/admin/users",
            &[
                ("email", "  Can.Bo@HoaThinh.vn "),
                ("display_name", "Võ Thị Mai"),
                ("role", "commune"),
                ("agency_id", &agency),
                ("locale", "vi"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let start =
        html.find("<code id=\"new-password\">").unwrap() + "<code id=\"new-password\">".len();
    let password = &html[start..start + 16];
    let user = app.another_browser();
    assert_eq!(
        user.login("can.bo@hoathinh.vn", password).await.status(),
        StatusCode::SEE_OTHER
    );
    let me: serde_json::Value = user.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["role"], "commune");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'user:create'")
            .await,
        7
    );
}

async fn a_bad_user_form_keeps_what_was_typed_and_writes_nothing(app: TestApp) {
    app.login_as("admin").await;
    let before = app.count("users").await;
    let r = app
        .post_form(
            "/admin/users",
            &[
                ("email", "not-an-email"),
                ("display_name", "Đặng Văn Hùng"),
                ("role", "emperor"),
                ("agency_id", "x"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Vui lòng chọn vai trò."));
    // "x" is read as words typed in the agency picker: every "xã" matches, so several do.
    assert!(html.contains("id=\"e-agency_id\""));
    assert!(html.contains("Có nhiều mục khớp"));
    assert!(html.contains("value=\"Đặng Văn Hùng\""));
    assert!(html.contains("value=\"not-an-email\""));
    let agency = app
        .scalar("SELECT id AS n FROM agencies WHERE code = 'TH-CA'")
        .await
        .to_string();
    let r = app
        .post_form(
            "/admin/users",
            &[
                ("email", "partner@kehoach.demo"),
                ("role", "partner"),
                ("agency_id", &agency),
                ("password", "long enough password"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("đã được dùng cho tài khoản khác")
    );
    assert_eq!(app.count("users").await, before);
}

async fn codes_are_added_renamed_and_retired_but_never_deleted(app: TestApp) {
    app.login_as("admin").await;
    let r = app
        .post_form(
            "/admin/codes",
            &[
                ("list", "target_group"),
                ("code", "fishermen"),
                ("name_vi", "Ngư dân"),
                ("name_en", "Fishermen"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = app
        .scalar("SELECT id AS n FROM codes WHERE list = 'target_group' AND code = 'fishermen'")
        .await;
    let r = app
        .post_form(
            &format!("/admin/codes/{id}"),
            &[
                ("action", "rename"),
                ("name_vi", "Ngư dân đi biển"),
                ("name_en", "Sea fishermen"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(&format!("/admin/codes/{id}"), &[("action", "retire")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_text("/admin/codes").await;
    assert!(html.contains("Ngư dân đi biển"));
    assert!(html.contains("Ngừng sử dụng"));
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM codes WHERE id = {id} AND retired_at IS NOT NULL"
        ))
        .await,
        1
    );
    // A duplicate or malformed code is refused.
    let r = app
        .post_form(
            "/admin/codes",
            &[
                ("list", "target_group"),
                ("code", "Fisher Men!"),
                ("name_vi", ""),
                ("name_en", "x"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Mã chỉ gồm chữ thường không dấu")
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE object_type = 'code'")
            .await,
        3
    );
}

async fn an_admin_adds_an_agency_and_edits_a_unit(app: TestApp) {
    app.login_as("admin").await;
    let unit = add_commune_police(&app).await.to_string();
    let (_, html) = app.get_text("/admin/agencies").await;
    assert!(html.contains("Công an xã Sơn Thành Tây"));
    let r = app
        .post_form(
            &format!("/admin/org-units/{unit}"),
            &[("ethnic_minority", "on"), ("gso_code", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM org_units WHERE id = {unit} AND ethnic_minority = TRUE"
        ))
        .await,
        1
    );
    let (_, html) = app.get_text("/org-units").await;
    assert!(html.contains("Có đồng bào DTTS"));
}

/// The administrator (signed in on `admin`) adds an agency through the admin page; its id.
pub(crate) async fn add_agency(
    admin: &TestApp,
    code: &str,
    (name, short_name): (&str, &str),
    kind: &str,
    unit: i64,
) -> i64 {
    let r = admin
        .post_form(
            "/admin/agencies",
            &[
                ("code", code),
                ("name", name),
                ("short_name", short_name),
                ("kind", kind),
                ("org_unit_id", &unit.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "agency {code}");
    admin
        .scalar(&format!(
            "SELECT id AS n FROM agencies WHERE code = '{code}'"
        ))
        .await
}

/// The police of Sơn Thành Tây commune, added by the administrator; the commune's id.
pub(crate) async fn add_commune_police(admin: &TestApp) -> i64 {
    let unit = admin
        .scalar("SELECT id AS n FROM org_units WHERE code = 'PY-TH-SONTHANHTAY'")
        .await;
    let names = ("Công an xã Sơn Thành Tây", "CA xã Sơn Thành Tây");
    add_agency(admin, "TH-SONTHANHTAY-CA", names, "police", unit).await;
    unit
}
