//! Calendar feeds: created on the account page, fetched without a session by the token in the
//! address, parsed back as RFC 5545, scoped like their owner, and dead once revoked.

use crate::db_tests;
use crate::helpers::TestApp;
use chrono::NaiveDate;
use kehoach::activities::input::ActivityInput;
use kehoach::activities::service::{self, Ctx};
use kehoach::auth::identity::AuthMethod;
use kehoach::auth::{CurrentUser, Role};
use kehoach::entities::{activity, agency, code, ics_token, org_unit, plan, plan_item, user};
use kehoach::org_units::scope::Scope;
use kehoach::web::i18n::Locale;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::BTreeMap;

db_tests!(
    a_planners_unit_feed_is_valid_icalendar_with_the_districts_activities,
    an_edited_activity_keeps_its_uid_with_a_higher_sequence_and_a_cancelled_one_says_so,
    a_user_feed_holds_the_activities_of_the_users_agency_and_no_other,
    a_commune_officer_cannot_make_a_feed_beyond_their_commune,
    revoked_made_up_and_orphaned_tokens_answer_an_empty_404,
    only_the_owner_can_revoke_a_feed,
    planned_reads_the_same_on_the_page_the_csv_the_xlsx_and_the_feed,
);

// ---------------------------------------------------------------------------------------------
// Acting through the activity service as a demo user

struct Actor {
    user: CurrentUser,
    scope: Scope,
    plan_units: Vec<i64>,
}

async fn actor(app: &TestApp, email: &str) -> Actor {
    let u = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let a = agency::Entity::find_by_id(u.agency_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let scope = Scope::of_unit(&app.db, a.org_unit_id).await.unwrap();
    // Plans are readable in the scope and in the units above it.
    let mut plan_units = scope.ids();
    let mut parent = org_unit::Entity::find_by_id(a.org_unit_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .parent_id;
    while let Some(p) = parent {
        plan_units.push(p);
        parent = org_unit::Entity::find_by_id(p)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .parent_id;
    }
    Actor {
        user: CurrentUser {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: Role::parse(&u.role).unwrap(),
            agency_id: a.id,
            agency_name: a.name,
            org_unit_id: a.org_unit_id,
            locale: Locale::Vi,
            auth: AuthMethod::ApiToken,
            scope_cache: Default::default(),
        },
        scope,
        plan_units,
    }
}

impl Actor {
    fn ctx(&self, app: &TestApp) -> Ctx<'_> {
        Ctx {
            user: &self.user,
            scope: &self.scope,
            plan_units: &self.plan_units,
            now: app.clock.now(),
            today: app.clock.today(),
        }
    }
}

async fn unit_id(app: &TestApp, code: &str) -> i64 {
    org_unit::Entity::find()
        .filter(org_unit::Column::Code.eq(code))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn agency_id(app: &TestApp, code: &str) -> i64 {
    agency::Entity::find()
        .filter(agency::Column::Code.eq(code))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A planned activity: all day unless `times` is given.
struct Plan<'a> {
    title: &'a str,
    unit: &'a str,
    agency: &'a str,
    start: &'a str,
    end: &'a str,
    times: Option<(&'a str, &'a str)>,
    place: Option<&'a str>,
}

impl<'a> Plan<'a> {
    fn new(title: &'a str, unit: &'a str, agency: &'a str) -> Self {
        Plan {
            title,
            unit,
            agency,
            start: "2024-07-30",
            end: "2024-07-30",
            times: None,
            place: None,
        }
    }
}

async fn schedule(app: &TestApp, by: &Actor, p: Plan<'_>) -> activity::Model {
    let plan = plan::Entity::find()
        .filter(plan::Column::Code.eq("PY-TH-2024-HTNN"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // The plan's first item an activity can belong to (a section heading cannot).
    let items = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(plan.id))
        .order_by_asc(plan_item::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let item = items
        .iter()
        .find(|i| !items.iter().any(|c| c.parent_id == Some(i.id)))
        .unwrap()
        .clone();
    let talk = code::Entity::find()
        .filter(code::Column::List.eq("activity_type"))
        .filter(code::Column::Code.eq("talk"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let input = ActivityInput {
        activity_type_id: talk.id,
        title: p.title.to_owned(),
        plan_item_id: item.id,
        org_unit_id: unit_id(app, p.unit).await,
        agency_id: agency_id(app, p.agency).await,
        start_date: day(p.start),
        end_date: day(p.end),
        start_time: p.times.map(|t| t.0.to_owned()),
        end_time: p.times.map(|t| t.1.to_owned()),
        place: p.place.map(str::to_owned),
        ..Default::default()
    };
    service::create(&app.db, &by.ctx(app), input, false, None, None)
        .await
        .unwrap()
}

async fn reload(app: &TestApp, a: &activity::Model) -> activity::Model {
    activity::Entity::find_by_id(a.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Feeds over HTTP

/// Creates a feed on the account page as the signed-in user; returns the path of the address
/// the page shows (its host is the configured base URL, not the test server).
async fn create_feed(app: &TestApp, kind: &str, unit: Option<i64>) -> String {
    let unit = unit.map(|u| u.to_string()).unwrap_or_default();
    let r = app
        .post_form(
            "/account/calendar",
            &[("kind", kind), ("org_unit_id", unit.as_str())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    let marker = "value=\"";
    let input = html
        .find("data-feed-url")
        .expect("the new address is shown");
    let start = html[..input].rfind(marker).unwrap() + marker.len();
    let end = start + html[start..].find('"').unwrap();
    let url = &html[start..end];
    assert!(url.starts_with("http://127.0.0.1/ics/"), "{url}");
    assert!(url.ends_with(".ics"));
    url.trim_start_matches("http://127.0.0.1").to_owned()
}

/// Fetches a feed the way a calendar app does: no cookies, no session.
async fn fetch(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let r = reqwest::Client::new()
        .get(app.url(path))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

async fn feed_ok(app: &TestApp, path: &str) -> Calendar {
    let (status, ct, body) = fetch(app, path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    assert_eq!(ct, "text/calendar; charset=utf-8");
    parse(&body)
}

async fn assert_gone(app: &TestApp, path: &str) {
    let (status, _, body) = fetch(app, path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    assert!(body.is_empty(), "a dead feed answers no content: {body}");
}

// ---------------------------------------------------------------------------------------------
// A small RFC 5545 reader, independent of the writer under test

#[derive(Debug)]
struct Calendar {
    /// Properties outside any VEVENT (the calendar and its time zone).
    head: Vec<(String, String)>,
    events: Vec<BTreeMap<String, String>>,
}

impl Calendar {
    fn event(&self, uid: &str) -> Option<&BTreeMap<String, String>> {
        self.events.iter().find(|e| e["UID"] == uid)
    }

    fn has(&self, name: &str, value: &str) -> bool {
        self.head.iter().any(|(n, v)| n == name && v == value)
    }

    fn uids(&self) -> Vec<String> {
        let mut v: Vec<String> = self.events.iter().map(|e| e["UID"].clone()).collect();
        v.sort();
        v
    }
}

/// Reads an escaped TEXT value; a bare comma or semicolon is an escaping mistake.
fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        assert!(c != ',' && c != ';', "unescaped {c:?} in {value}");
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Checks the physical form (CRLF only, lines of at most 75 octets), unfolds, and reads the
/// properties; in a VEVENT, `NAME;PARAMS` is the key and TEXT values are unescaped.
fn parse(body: &str) -> Calendar {
    assert!(body.ends_with("\r\n"), "the last line ends with CRLF");
    let physical: Vec<&str> = body.trim_end_matches("\r\n").split("\r\n").collect();
    for line in &physical {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "bare line break"
        );
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    let mut lines: Vec<String> = Vec::new();
    for line in physical {
        if let Some(rest) = line.strip_prefix(' ').or_else(|| line.strip_prefix('\t')) {
            lines
                .last_mut()
                .expect("a continuation follows a line")
                .push_str(rest);
        } else {
            lines.push(line.to_owned());
        }
    }
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    let mut cal = Calendar {
        head: Vec::new(),
        events: Vec::new(),
    };
    let mut current: Option<BTreeMap<String, String>> = None;
    for line in lines {
        let (name, value) = line.split_once(':').expect("NAME:VALUE");
        match (name, value) {
            ("BEGIN", "VEVENT") => current = Some(BTreeMap::new()),
            ("END", "VEVENT") => cal.events.push(current.take().unwrap()),
            _ => match current.as_mut() {
                Some(e) => {
                    let text = matches!(name, "SUMMARY" | "LOCATION" | "DESCRIPTION" | "UID");
                    let v = if text {
                        unescape(value)
                    } else {
                        value.to_owned()
                    };
                    assert!(e.insert(name.to_owned(), v).is_none(), "{name} twice");
                }
                None if name == "X-WR-CALNAME" => cal.head.push((name.to_owned(), unescape(value))),
                None => cal.head.push((name.to_owned(), value.to_owned())),
            },
        }
    }
    cal
}

// ---------------------------------------------------------------------------------------------

const LONG_TITLE: &str = "Hội nghị tuyên truyền phòng, chống mua bán người; tập huấn kỹ năng \
    nhận diện thủ đoạn lừa đảo việc làm cho đồng bào dân tộc thiểu số ở thôn Phú Thạnh";

async fn a_planners_unit_feed_is_valid_icalendar_with_the_districts_activities(app: TestApp) {
    let planner = actor(&app, "planner@kehoach.demo").await;
    let all_day = schedule(
        &app,
        &planner,
        Plan {
            end: "2024-07-31",
            place: Some("Hội trường UBND xã, thôn Phú Thạnh; sân vận động"),
            ..Plan::new(LONG_TITLE, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND")
        },
    )
    .await;
    let timed = schedule(
        &app,
        &planner,
        Plan {
            start: "2024-07-15",
            end: "2024-07-15",
            times: Some(("08:00", "11:30")),
            ..Plan::new("Tọa đàm với Hội Liên hiệp Phụ nữ", "PY-TH", "TH-VHTT")
        },
    )
    .await;
    // Outside the window (more than 18 months ahead of 20 June 2024).
    let far = schedule(
        &app,
        &planner,
        Plan {
            start: "2026-01-05",
            end: "2026-01-05",
            ..Plan::new("Hoạt động năm sau nữa", "PY-TH", "TH-VHTT")
        },
    )
    .await;

    app.login_as("planner").await;
    let (status, page) = app.get_text("/account/calendar").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Bạn chưa tạo địa chỉ lịch nào."));
    let district = unit_id(&app, "PY-TH").await;
    let path = create_feed(&app, "unit", Some(district)).await;
    let secret = path
        .trim_start_matches("/ics/")
        .trim_end_matches(".ics")
        .to_owned();

    // Stored as a hash with a short hint, and the creation is audited.
    let token = ics_token::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.token_hash, kehoach::auth::tokens::sha256_hex(&secret));
    assert_eq!(token.token_hint.as_deref(), Some(&secret[..8]));
    assert_eq!(
        (token.kind.as_str(), token.org_unit_id),
        ("unit", Some(district))
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'ics_token:create'")
            .await,
        1
    );
    // Afterwards the page shows only the hint.
    let (_, page) = app.get_text("/account/calendar").await;
    assert!(!page.contains(&secret));
    assert!(page.contains(&format!("/ics/{}…", &secret[..8])));

    let (status, _, raw) = fetch(&app, &path).await;
    assert_eq!(status, StatusCode::OK);
    // The long Vietnamese title had to be folded to fit.
    assert!(!raw.contains("thủ đoạn lừa đảo việc làm cho đồng bào dân tộc thiểu số"));
    let cal = feed_ok(&app, &path).await;
    // Without the suffix too.
    feed_ok(&app, &format!("/ics/{secret}")).await;

    assert!(cal.has("VERSION", "2.0"));
    assert!(cal.has("CALSCALE", "GREGORIAN"));
    assert!(cal.head.iter().any(|(n, _)| n == "PRODID"));
    assert!(cal.has("X-WR-CALNAME", "Huyện Tây Hòa"));
    assert!(cal.has("BEGIN", "VTIMEZONE"));
    assert!(cal.has("TZID", "Asia/Ho_Chi_Minh"));
    assert!(cal.has("TZOFFSETTO", "+0700"));

    let e = cal
        .event(&format!("activity-{}@kehoach", all_day.id))
        .expect("the all-day activity");
    assert_eq!(e["SUMMARY"], LONG_TITLE);
    assert_eq!(
        e["LOCATION"],
        "Hội trường UBND xã, thôn Phú Thạnh; sân vận động"
    );
    assert_eq!(e["DTSTART;VALUE=DATE"], "20240730");
    assert_eq!(e["DTEND;VALUE=DATE"], "20240801", "exclusive end");
    assert_eq!(e["SEQUENCE"], "1");
    assert_eq!(e["STATUS"], "CONFIRMED");
    assert_eq!(e["DTSTAMP"], "20240620T020000Z");
    assert_eq!(e["LAST-MODIFIED"], "20240620T020000Z");
    assert!(e["DESCRIPTION"].contains("Xã Hòa Phong"));
    assert!(e["DESCRIPTION"].contains("Nói chuyện chuyên đề"));
    assert!(e["DESCRIPTION"].contains("Tình trạng: Đã lên lịch"));

    let e = cal
        .event(&format!("activity-{}@kehoach", timed.id))
        .expect("the timed activity");
    assert_eq!(e["DTSTART;TZID=Asia/Ho_Chi_Minh"], "20240715T080000");
    assert_eq!(e["DTEND;TZID=Asia/Ho_Chi_Minh"], "20240715T113000");
    assert!(!e.contains_key("DTSTART;VALUE=DATE"));

    assert!(cal.event(&format!("activity-{}@kehoach", far.id)).is_none());
    assert_eq!(cal.events.len(), 2);
}

async fn an_edited_activity_keeps_its_uid_with_a_higher_sequence_and_a_cancelled_one_says_so(
    app: TestApp,
) {
    let planner = actor(&app, "planner@kehoach.demo").await;
    let a = schedule(
        &app,
        &planner,
        Plan::new("Nói chuyện chuyên đề", "PY-TH-HOATHINH", "TH-HOATHINH-UBND"),
    )
    .await;
    app.login_as("planner").await;
    let path = create_feed(&app, "unit", Some(unit_id(&app, "PY-TH").await)).await;
    let uid = format!("activity-{}@kehoach", a.id);
    let before = feed_ok(&app, &path).await;
    assert_eq!(before.event(&uid).unwrap()["SEQUENCE"], "1");

    app.clock.advance(chrono::Duration::hours(3));
    let mut input = service::current_input(&app.db, &a).await.unwrap();
    input.title = "Nói chuyện chuyên đề: lừa đảo qua mạng, “việc nhẹ lương cao”".into();
    let edited = service::update(&app.db, &planner.ctx(&app), &a, a.version, input)
        .await
        .unwrap();
    let cal = feed_ok(&app, &path).await;
    let e = cal.event(&uid).expect("same UID after an edit");
    assert_eq!(e["SEQUENCE"], "2");
    assert_eq!(
        e["SUMMARY"],
        "Nói chuyện chuyên đề: lừa đảo qua mạng, “việc nhẹ lương cao”"
    );
    assert_eq!(e["LAST-MODIFIED"], "20240620T050000Z");
    assert_eq!(cal.events.len(), 1);

    let moved = service::postpone(
        &app.db,
        &planner.ctx(&app),
        &edited,
        edited.version,
        day("2024-08-06"),
        day("2024-08-06"),
        "Trùng lịch họp của huyện",
    )
    .await
    .unwrap();
    let cal = feed_ok(&app, &path).await;
    let e = cal.event(&uid).unwrap();
    assert_eq!(e["SEQUENCE"], "3");
    assert_eq!(e["STATUS"], "TENTATIVE");
    assert_eq!(e["DTSTART;VALUE=DATE"], "20240806");

    service::cancel(
        &app.db,
        &planner.ctx(&app),
        &moved,
        moved.version,
        "Mưa bão",
    )
    .await
    .unwrap();
    assert_eq!(reload(&app, &a).await.version, 4);
    let cal = feed_ok(&app, &path).await;
    let e = cal.event(&uid).expect("a cancelled activity stays, marked");
    assert_eq!(e["SEQUENCE"], "4");
    assert_eq!(e["STATUS"], "CANCELLED");
    assert!(e["DESCRIPTION"].contains("Đã hủy"));
    assert!(
        !e["DESCRIPTION"].contains("Mưa bão"),
        "free text stays in the app"
    );
}

async fn a_user_feed_holds_the_activities_of_the_users_agency_and_no_other(app: TestApp) {
    let planner = actor(&app, "planner@kehoach.demo").await;
    let commune = actor(&app, "commune@kehoach.demo").await;
    let for_commune = schedule(
        &app,
        &planner,
        Plan::new(
            "Do huyện lên lịch cho xã",
            "PY-TH-HOAPHONG",
            "TH-HOAPHONG-UBND",
        ),
    )
    .await;
    let by_district_in_commune = schedule(
        &app,
        &planner,
        Plan::new("Phòng VH-TT tổ chức tại xã", "PY-TH-HOAPHONG", "TH-VHTT"),
    )
    .await;
    let other_commune = schedule(
        &app,
        &planner,
        Plan::new(
            "Hoạt động xã Hòa Thịnh",
            "PY-TH-HOATHINH",
            "TH-HOATHINH-UBND",
        ),
    )
    .await;
    let own = schedule(
        &app,
        &commune,
        Plan::new("Xã tự tổ chức", "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND"),
    )
    .await;

    app.login_as("commune").await;
    let path = create_feed(&app, "user", None).await;
    let cal = feed_ok(&app, &path).await;
    let mut expected = vec![
        format!("activity-{}@kehoach", for_commune.id),
        format!("activity-{}@kehoach", own.id),
    ];
    expected.sort();
    assert_eq!(cal.uids(), expected);
    assert!(cal.has("X-WR-CALNAME", "Lê Thị Hồng · UBND xã Hòa Phong"));

    // The planner's own feed: VH-TT's activities, and those the planner created for others.
    let planner_browser = app.another_browser();
    planner_browser.login_as("planner").await;
    let cal = feed_ok(&app, &create_feed(&planner_browser, "user", None).await).await;
    let mut expected = vec![
        format!("activity-{}@kehoach", for_commune.id),
        format!("activity-{}@kehoach", by_district_in_commune.id),
        format!("activity-{}@kehoach", other_commune.id),
    ];
    expected.sort();
    assert_eq!(cal.uids(), expected);
}

async fn a_commune_officer_cannot_make_a_feed_beyond_their_commune(app: TestApp) {
    let planner = actor(&app, "planner@kehoach.demo").await;
    let here = schedule(
        &app,
        &planner,
        Plan::new("Ở Hòa Phong", "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND"),
    )
    .await;
    schedule(
        &app,
        &planner,
        Plan::new("Ở Hòa Thịnh", "PY-TH-HOATHINH", "TH-HOATHINH-UBND"),
    )
    .await;
    schedule(&app, &planner, Plan::new("Ở huyện", "PY-TH", "TH-VHTT")).await;

    app.login_as("commune").await;
    let (_, page) = app.get_text("/account/calendar").await;
    assert!(page.contains("Xã Hòa Phong"));
    assert!(
        !page.contains("Xã Hòa Thịnh"),
        "only units in scope are offered"
    );
    for unit in [
        unit_id(&app, "PY-TH-HOATHINH").await.to_string(),
        unit_id(&app, "PY-TH").await.to_string(),
        "999999".to_owned(),
        "abc".to_owned(),
    ] {
        let r = app
            .post_form(
                "/account/calendar",
                &[("kind", "unit"), ("org_unit_id", unit.as_str())],
            )
            .await;
        assert!(r.status().is_client_error(), "unit {unit}: {}", r.status());
        assert!(!r.text().await.unwrap().contains("data-feed-url"));
    }
    let r = app
        .post_form("/account/calendar", &[("kind", "everything")])
        .await;
    assert!(r.status().is_client_error());
    assert_eq!(app.count("ics_tokens").await, 0, "nothing written");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'ics_token:create'")
            .await,
        0
    );

    let path = create_feed(&app, "unit", Some(unit_id(&app, "PY-TH-HOAPHONG").await)).await;
    let cal = feed_ok(&app, &path).await;
    assert_eq!(cal.uids(), [format!("activity-{}@kehoach", here.id)]);
    assert!(cal.has("X-WR-CALNAME", "Xã Hòa Phong"));
}

async fn revoked_made_up_and_orphaned_tokens_answer_an_empty_404(app: TestApp) {
    let planner = actor(&app, "planner@kehoach.demo").await;
    schedule(&app, &planner, Plan::new("Ở huyện", "PY-TH", "TH-VHTT")).await;
    app.login_as("planner").await;
    let district = unit_id(&app, "PY-TH").await;
    let revoked = create_feed(&app, "unit", Some(district)).await;
    let kept = create_feed(&app, "user", None).await;
    feed_ok(&app, &revoked).await;

    let token_id = ics_token::Entity::find()
        .filter(ics_token::Column::Kind.eq("unit"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = app
        .post_form(&format!("/account/calendar/{token_id}/revoke"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_gone(&app, &revoked).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'ics_token:revoke'")
            .await,
        1
    );
    // A second revoke changes nothing and records nothing.
    app.post_form(&format!("/account/calendar/{token_id}/revoke"), &[])
        .await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'ics_token:revoke'")
            .await,
        1
    );
    feed_ok(&app, &kept).await;

    assert_gone(&app, &format!("/ics/{}.ics", "3f".repeat(32))).await;
    assert_gone(&app, "/ics/not-a-token.ics").await;

    // A unit feed dies when the unit leaves the owner's scope: the planner moves to a commune.
    let unit_feed = create_feed(&app, "unit", Some(district)).await;
    feed_ok(&app, &unit_feed).await;
    let planner_row = user::Entity::find_by_id(planner.user.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut moved: user::ActiveModel = planner_row.clone().into();
    moved.agency_id = Set(agency_id(&app, "TH-HOATHINH-UBND").await);
    moved.update(&app.db).await.unwrap();
    assert_gone(&app, &unit_feed).await;
    let mut back: user::ActiveModel = planner_row.into();
    back.agency_id = Set(planner.user.agency_id);
    back.update(&app.db).await.unwrap();
    feed_ok(&app, &unit_feed).await;

    // Every feed of a deactivated owner stops at once.
    let admin = app.another_browser();
    admin.login_as("admin").await;
    let r = admin
        .post_form(&format!("/admin/users/{}/active", planner.user.id), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_gone(&app, &kept).await;
    assert_gone(&app, &unit_feed).await;
}

async fn only_the_owner_can_revoke_a_feed(app: TestApp) {
    app.login_as("planner").await;
    let path = create_feed(&app, "user", None).await;
    let token_id = ics_token::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;

    let other = app.another_browser();
    other.login_as("commune").await;
    let r = other
        .post_form(&format!("/account/calendar/{token_id}/revoke"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, page) = other.get_text("/account/calendar").await;
    assert!(!page.contains(&format!("/account/calendar/{token_id}/revoke")));
    let token = ics_token::Entity::find_by_id(token_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(token.revoked_at.is_none());
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'ics_token:revoke'")
            .await,
        0
    );
    feed_ok(&app, &path).await;
}

/// Every XML part of an XLSX file, concatenated.
fn xlsx_xml(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = String::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        if f.name().ends_with(".xml") {
            f.read_to_string(&mut out).unwrap();
        }
    }
    out
}

async fn planned_reads_the_same_on_the_page_the_csv_the_xlsx_and_the_feed(app: TestApp) {
    let commune = actor(&app, "commune@kehoach.demo").await;
    let a = schedule(
        &app,
        &commune,
        Plan::new("Tuyên truyền tại chợ", "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND"),
    )
    .await;
    assert_eq!(a.status, "planned");
    app.login_as("commune").await;
    for (locale, word, other) in [
        ("vi", "Đã lên lịch", "Đã lên kế hoạch"),
        ("en", "Planned", "Scheduled"),
    ] {
        app.post_form("/lang", &[("locale", locale), ("next", "/")])
            .await;
        let (status, page) = app.get_text(&format!("/activities/{}", a.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&format!(">{word}</span>")), "page, {locale}");
        let csv = app
            .get("/activities/export.csv?q=ch%E1%BB%A3")
            .await
            .text()
            .await
            .unwrap();
        let row = csv
            .lines()
            .find(|l| l.contains("Tuyên truyền tại chợ"))
            .expect("the activity in the CSV");
        assert!(row.split(',').any(|c| c == word), "CSV, {locale}: {row}");
        let xlsx = app
            .get("/activities/export.xlsx?q=ch%E1%BB%A3")
            .await
            .bytes()
            .await
            .unwrap();
        assert!(
            xlsx_xml(&xlsx).contains(&format!(">{word}</t>")),
            "XLSX, {locale}"
        );
        // The feed speaks the language of its owner at the time it is fetched.
        let path = create_feed(&app, "user", None).await;
        let cal = feed_ok(&app, &path).await;
        let e = cal.event(&format!("activity-{}@kehoach", a.id)).unwrap();
        let status_line = e["DESCRIPTION"].lines().last().unwrap().to_owned();
        assert!(
            status_line.ends_with(&format!(": {word}")),
            "ICS, {locale}: {status_line}"
        );
        for text in [&page, &csv, &e["DESCRIPTION"]] {
            assert!(!text.contains(other), "{locale}: no second wording");
        }
    }
}
