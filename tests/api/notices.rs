//! The occasions of email, each at its moment (the injectable clock), to the right person, in
//! their language, once: reporting (requested, due in 3 days, overdue, returned, approved),
//! activities (3 days and 1 day before, not logged after), the weekly digest to leaders, the
//! preferences that turn the optional ones off, and the administrator's outbox page.

use crate::db_tests;
use crate::email::{set_locale, worker_for};
use crate::helpers::TestApp;
use crate::reports::{act, activity, open_period, report_of};
use crate::smtp::SmtpReceiver;
use chrono::Duration;
use kehoach::entities::outbox_email;
use kehoach::notifications::{render, worker};
use kehoach::state::AppState;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

db_tests!(
    reporting_emails_reach_the_commune_when_opened_due_overdue_returned_and_approved,
    activity_reminders_come_three_days_and_one_day_before_and_the_day_after_once_each,
    turning_reminders_off_stops_them_but_never_a_deadline,
    leaders_get_the_weekly_digest_on_monday_once_with_the_weeks_figures,
    task_deadlines_remind_the_partner_then_tell_both_agencies_when_overdue,
    the_admin_sees_failed_emails_and_puts_them_back_in_the_queue,
);

async fn count(app: &TestApp, template: &str, recipient: &str) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) FROM outbox_emails WHERE template = '{template}' AND recipient = '{recipient}'"
    ))
    .await
}

/// The newest email of a kind to someone, rendered as it is sent.
async fn rendered(
    app: &TestApp,
    state: &AppState,
    template: &str,
    recipient: &str,
) -> render::Rendered {
    let row = outbox_email::Entity::find()
        .filter(outbox_email::Column::Template.eq(template))
        .filter(outbox_email::Column::Recipient.eq(recipient))
        .order_by_desc(outbox_email::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {template} email to {recipient}"));
    render::render(&state.templates, &row, "https://kehoach.example").unwrap()
}

async fn ticks(state: &AppState, mailer: &kehoach::notifications::mailer::Mailer, n: usize) {
    for _ in 0..n {
        worker::tick(state, mailer).await.unwrap();
    }
}

const COMMUNE: &str = "commune@kehoach.demo";

async fn reporting_emails_reach_the_commune_when_opened_due_overdue_returned_and_approved(
    app: TestApp,
) {
    set_locale(&app, COMMUNE, "en").await;
    let smtp = SmtpReceiver::start().await;
    let (state, mailer) = worker_for(&app, &smtp);
    app.login_as("compiler").await;
    let period = open_period(&app).await;

    // Written with the period, to every commune officer of every responding unit, nobody else.
    let officers = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM users u JOIN agencies a ON a.id = u.agency_id \
             JOIN reports r ON r.org_unit_id = a.org_unit_id \
             WHERE r.period_id = {period} AND r.level = 'unit' AND u.role = 'commune' AND u.active = TRUE"
        ))
        .await;
    assert!(officers >= 1);
    let requested = "SELECT COUNT(*) FROM outbox_emails WHERE template = 'report_requested'";
    assert_eq!(app.scalar(requested).await, officers);
    let r = rendered(&app, &state, "report_requested", COMMUNE).await;
    assert_eq!(r.subject, "Report requested: Báo cáo 6 tháng đầu năm 2024");
    assert!(r.text.contains("Due: 05/07/2024"), "{}", r.text);
    let report = report_of(&app, period, "PY-TH-HOAPHONG").await;
    assert!(
        r.text
            .contains(&format!("https://kehoach.example/reports/{report}"))
    );
    ticks(&state, &mailer, 2).await;
    assert_eq!(app.scalar(requested).await, officers);
    assert!(
        smtp.received()
            .iter()
            .any(|m| m.to == vec![COMMUNE.to_owned()])
    );

    // Due on 5 July: nothing on 29 June, one reminder from 2 July on.
    app.clock.advance(Duration::days(9));
    ticks(&state, &mailer, 1).await;
    assert_eq!(count(&app, "report_due", COMMUNE).await, 0);
    app.clock.advance(Duration::days(3));
    ticks(&state, &mailer, 2).await;
    app.clock.advance(Duration::days(1));
    ticks(&state, &mailer, 1).await;
    assert_eq!(count(&app, "report_due", COMMUNE).await, 1);
    let r = rendered(&app, &state, "report_due", COMMUNE).await;
    assert!(
        r.subject.starts_with("3 days until the report is due"),
        "{}",
        r.subject
    );
    // Overdue from 6 July, once.
    assert_eq!(count(&app, "report_overdue", COMMUNE).await, 0);
    app.clock.advance(Duration::days(3));
    ticks(&state, &mailer, 2).await;
    assert_eq!(count(&app, "report_overdue", COMMUNE).await, 1);

    // Submitted, returned with a comment, resubmitted, approved: each decision emailed once.
    let commune = app.another_browser();
    commune.login_as("commune").await;
    assert_eq!(
        act(&commune, report, &[("action", "submit")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // Two weeks on, the compiler's session has long expired.
    app.login_as("compiler").await;
    let comment = "Please add the June figures.";
    let r = act(&app, report, &[("action", "return"), ("comment", comment)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "report_returned", COMMUNE).await, 1);
    let r = rendered(&app, &state, "report_returned", COMMUNE).await;
    assert!(r.text.contains(comment));
    assert!(r.html.contains(comment));
    assert_eq!(
        act(&commune, report, &[("action", "submit")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        act(&app, report, &[("action", "approve")]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(count(&app, "report_approved", COMMUNE).await, 1);
    ticks(&state, &mailer, 2).await;
    // An approved report is not waiting: no more deadline emails for it.
    assert_eq!(count(&app, "report_overdue", COMMUNE).await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE recipient = 'compiler@kehoach.demo'")
            .await,
        0
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE status <> 'sent'")
            .await,
        0
    );
}

async fn activity_reminders_come_three_days_and_one_day_before_and_the_day_after_once_each(
    app: TestApp,
) {
    let smtp = SmtpReceiver::start().await;
    let (state, mailer) = worker_for(&app, &smtp);
    app.login_as("commune").await;
    // Thursday 20 June; the talk is on Monday 24 June.
    let talk = activity(
        &app,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        "2024-06-24",
        None,
    )
    .await;
    ticks(&state, &mailer, 1).await;
    assert_eq!(count(&app, "activity_upcoming", COMMUNE).await, 0);
    app.clock.advance(Duration::days(1));
    ticks(&state, &mailer, 2).await;
    assert_eq!(count(&app, "activity_upcoming", COMMUNE).await, 1);
    app.clock.advance(Duration::days(1));
    ticks(&state, &mailer, 1).await;
    assert_eq!(count(&app, "activity_upcoming", COMMUNE).await, 1);
    app.clock.advance(Duration::days(1));
    ticks(&state, &mailer, 2).await;
    assert_eq!(count(&app, "activity_upcoming", COMMUNE).await, 2);
    let r = rendered(&app, &state, "activity_upcoming", COMMUNE).await;
    assert!(
        r.subject
            .starts_with("Sắp diễn ra: Nói chuyện chuyên đề (24/06/2024)"),
        "{}",
        r.subject
    );
    assert!(r.text.contains("còn 1 ngày nữa"), "{}", r.text);
    assert!(r.text.contains("https://kehoach.example/account"));
    // On the day nothing; the day after, a request to log what happened.
    app.clock.advance(Duration::days(1));
    ticks(&state, &mailer, 1).await;
    assert_eq!(count(&app, "activity_not_logged", COMMUNE).await, 0);
    app.clock.advance(Duration::days(1));
    ticks(&state, &mailer, 2).await;
    app.clock.advance(Duration::days(1));
    ticks(&state, &mailer, 1).await;
    assert_eq!(count(&app, "activity_not_logged", COMMUNE).await, 1);
    let r = rendered(&app, &state, "activity_not_logged", COMMUNE).await;
    assert!(
        r.text
            .contains(&format!("https://kehoach.example/activities/{talk}/log"))
    );
    // Only the organising agency's people hear of it.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE template LIKE 'activity%' AND recipient <> 'commune@kehoach.demo'")
            .await,
        0
    );
    let to_commune = smtp
        .received()
        .into_iter()
        .filter(|m| m.to == vec![COMMUNE.to_owned()])
        .count();
    assert_eq!(to_commune, 3);
}

async fn turning_reminders_off_stops_them_but_never_a_deadline(app: TestApp) {
    let smtp = SmtpReceiver::start().await;
    let (state, mailer) = worker_for(&app, &smtp);
    app.login_as("commune").await;
    let (_, page) = app.get_text("/account").await;
    assert!(page.contains("name=\"reminders\" value=\"on\" checked"));
    // A commune officer gets no digest, so has no switch for it.
    assert!(!page.contains("name=\"digest\" value=\"on\" checked"));
    let r = app.post_form("/account/email", &[("digest", "on")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users WHERE email = 'commune@kehoach.demo' AND email_reminders = FALSE AND email_digest = TRUE")
            .await,
        1
    );
    let (_, page) = app.get_text("/account").await;
    assert!(!page.contains("name=\"reminders\" value=\"on\" checked"));

    activity(
        &app,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        "2024-06-22",
        None,
    )
    .await;
    ticks(&state, &mailer, 2).await;
    assert_eq!(count(&app, "activity_upcoming", COMMUNE).await, 0);
    // A reporting deadline cannot be turned off.
    let compiler = app.another_browser();
    compiler.login_as("compiler").await;
    open_period(&compiler).await;
    assert_eq!(count(&app, "report_requested", COMMUNE).await, 1);
    app.clock.advance(Duration::days(4));
    ticks(&state, &mailer, 1).await;
    assert_eq!(count(&app, "activity_not_logged", COMMUNE).await, 0);
}

async fn leaders_get_the_weekly_digest_on_monday_once_with_the_weeks_figures(app: TestApp) {
    let smtp = SmtpReceiver::start().await;
    let (state, mailer) = worker_for(&app, &smtp);
    app.login_as("commune").await;
    // In the week of 17 to 23 June two talks were held; one is planned for the week after.
    activity(
        &app,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        "2024-06-18",
        Some(("40", "22")),
    )
    .await;
    activity(
        &app,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        "2024-06-19",
        Some(("25", "10")),
    )
    .await;
    activity(
        &app,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        "2024-06-26",
        None,
    )
    .await;
    // Thursday: no digest this week.
    ticks(&state, &mailer, 1).await;
    let digests = "SELECT COUNT(*) FROM outbox_emails WHERE template = 'weekly_digest'";
    assert_eq!(app.scalar(digests).await, 0);
    // Monday 24 June.
    app.clock.advance(Duration::days(4));
    ticks(&state, &mailer, 2).await;
    let leaders = app
        .scalar("SELECT COUNT(*) FROM users WHERE role = 'leader' AND active = TRUE")
        .await;
    assert!(leaders >= 1);
    assert_eq!(app.scalar(digests).await, leaders);
    assert_eq!(count(&app, "weekly_digest", "leader@kehoach.demo").await, 1);

    // The figures, computed independently from the rows of the week.
    let row = outbox_email::Entity::find()
        .filter(outbox_email::Column::Template.eq("weekly_digest"))
        .filter(outbox_email::Column::Recipient.eq("leader@kehoach.demo"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let data: serde_json::Value = serde_json::from_str(&row.data).unwrap();
    let week = "status = 'held' AND start_date >= '2024-06-17' AND start_date <= '2024-06-23'";
    let held = app
        .scalar(&format!("SELECT COUNT(*) FROM activities WHERE {week}"))
        .await;
    let people = app
        .scalar(&format!(
            "SELECT COALESCE(SUM(participants), 0) AS n FROM activities WHERE {week}"
        ))
        .await;
    let women = app
        .scalar(&format!(
            "SELECT COALESCE(SUM(participants_women), 0) AS n FROM activities WHERE {week}"
        ))
        .await;
    assert_eq!(held, 2);
    assert_eq!(data["held"]["count"], held);
    assert_eq!(data["held"]["participants"], people);
    assert_eq!(data["held"]["women"], women);
    assert_eq!(data["upcoming"], 1);
    assert_eq!(data["week_start"], "2024-06-17");
    let r = rendered(&app, &state, "weekly_digest", "leader@kehoach.demo").await;
    assert!(
        r.subject
            .starts_with("Bản tin tuần 17/06/2024 – 23/06/2024"),
        "{}",
        r.subject
    );
    assert!(
        r.text
            .contains("Hoạt động đã tổ chức: 2, với 65 lượt người tham dự (trong đó 32 lượt nữ"),
        "{}",
        r.text
    );
    assert!(r.text.contains("https://kehoach.example/dashboard"));

    // Tuesday: still that one digest. The leader turns it off; next Monday brings none.
    app.clock.advance(Duration::days(1));
    ticks(&state, &mailer, 1).await;
    assert_eq!(count(&app, "weekly_digest", "leader@kehoach.demo").await, 1);
    let leader = app.another_browser();
    leader.login_as("leader").await;
    let (_, page) = leader.get_text("/account").await;
    assert!(page.contains("name=\"digest\" value=\"on\" checked"));
    let r = leader
        .post_form("/account/email", &[("reminders", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.clock.advance(Duration::days(6));
    ticks(&state, &mailer, 1).await;
    assert_eq!(count(&app, "weekly_digest", "leader@kehoach.demo").await, 1);
}

async fn the_admin_sees_failed_emails_and_puts_them_back_in_the_queue(app: TestApp) {
    let smtp = SmtpReceiver::start().await;
    let (state, mailer) = worker_for(&app, &smtp);
    app.login_as("compiler").await;
    open_period(&app).await;
    let email = app
        .scalar("SELECT MIN(id) AS n FROM outbox_emails WHERE template = 'report_requested'")
        .await;
    // As the worker leaves an email it gave up on.
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!(
            "UPDATE outbox_emails SET status = 'failed', attempts = 8, last_error = '<b>550 mailbox unavailable</b>' WHERE id = {email}"
        ),
    )
    .await
    .unwrap();
    let admin = app.another_browser();
    admin.login_as("admin").await;
    let (status, page) = admin.get_text("/admin/outbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("&lt;b&gt;550 mailbox unavailable&lt;&#x2f;b&gt;")
            || page.contains("&lt;b&gt;550 mailbox unavailable&lt;/b&gt;"),
        "{page}"
    );
    assert!(page.contains("Yêu cầu báo cáo"));
    // The counts by status: one failed, the rest of the period's emails waiting.
    let pending = app
        .scalar("SELECT COUNT(*) FROM outbox_emails WHERE status = 'pending'")
        .await;
    assert!(page.contains("Lỗi (1)"), "{page}");
    assert!(page.contains(&format!("Đang chờ ({pending})")));
    assert!(page.contains(&format!("/admin/outbox/{email}/retry")));
    let (status, _) = admin.get_text("/admin/outbox?status=nonsense").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Others may not see it.
    assert_eq!(
        app.get("/admin/outbox").await.status(),
        StatusCode::FORBIDDEN
    );

    let r = admin
        .post_form(&format!("/admin/outbox/{email}/retry"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM outbox_emails WHERE id = {email} AND status = 'pending' AND attempts = 0"))
            .await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'outbox:retry'")
            .await,
        1
    );
    ticks(&state, &mailer, 1).await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM outbox_emails WHERE id = {email} AND status = 'sent'"
        ))
        .await,
        1
    );
    // Only a failed email goes back: a sent one is refused, and nothing changes.
    let r = admin
        .post_form(&format!("/admin/outbox/{email}/retry"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'outbox:retry'")
            .await,
        1
    );
    assert_eq!(
        admin
            .post_form("/admin/outbox/999999/retry", &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn task_deadlines_remind_the_partner_then_tell_both_agencies_when_overdue(app: TestApp) {
    let smtp = SmtpReceiver::start().await;
    let (state, mailer) = worker_for(&app, &smtp);
    app.login_as("compiler").await;
    let task = crate::tasks::request(
        &app,
        "TH-CA",
        "2024-06-25",
        "2024-07-10",
        "Xác minh nguồn tin",
    )
    .await;
    let partner = "partner@kehoach.demo";
    // Acknowledgement due on 25 June: a reminder the day before, once.
    app.clock.advance(Duration::days(3));
    ticks(&state, &mailer, 1).await;
    assert_eq!(count(&app, "task_ack_due", partner).await, 0);
    app.clock.advance(Duration::days(1));
    ticks(&state, &mailer, 2).await;
    app.clock.advance(Duration::days(1));
    ticks(&state, &mailer, 1).await;
    assert_eq!(count(&app, "task_ack_due", partner).await, 1);
    let r = rendered(&app, &state, "task_ack_due", partner).await;
    assert!(
        r.subject
            .starts_with("Sắp hết hạn xác nhận nhiệm vụ: Xác minh nguồn tin"),
        "{}",
        r.subject
    );
    assert!(r.text.contains("25/06/2024"));
    // Acknowledged in time: no escalation; not done by 10 July: both agencies hear, once.
    let police = app.another_browser();
    police.login_as("partner").await;
    assert_eq!(
        crate::tasks::act(&police, task, &[("action", "acknowledge")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    app.clock.advance(Duration::days(15));
    ticks(&state, &mailer, 1).await;
    assert_eq!(count(&app, "task_overdue", partner).await, 0);
    app.clock.advance(Duration::days(1));
    ticks(&state, &mailer, 2).await;
    assert_eq!(count(&app, "task_overdue", partner).await, 1);
    assert_eq!(
        count(&app, "task_overdue", "compiler@kehoach.demo").await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox_emails WHERE template = 'task_escalated'")
            .await,
        0
    );
    let r = rendered(&app, &state, "task_overdue", "compiler@kehoach.demo").await;
    assert!(r.text.contains("đã quá 1 ngày"), "{}", r.text);
}
