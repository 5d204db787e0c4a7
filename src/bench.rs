//! `kehoach bench`: times the heavy pages against a database, both through the app (the full
//! router and middleware, in process, with a signed-in session) and as the raw SQL behind each
//! page, and prints median, p95 and the ratio app/raw. A subcommand rather than `benches/`:
//! it needs a database URL, the app's own session and user setup, and must run unchanged
//! against SQLite and PostgreSQL files made by `gen-data`.

pub mod import;
pub mod matrix;

use crate::activities::repo::{self, Filter};
use crate::auth::identity::scope_of;
use crate::auth::permissions::Role;
use crate::auth::users::{self, NewUser};
use crate::config::Config;
use crate::dashboard::data::Period;
use crate::entities::{agency, user};
use crate::state::Clock;
use crate::web::i18n::Locale;
use anyhow::Context;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use std::time::{Duration, Instant};
use tower::ServiceExt;

pub struct Options {
    pub runs: usize,
    pub role: Role,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The bench user: a leader (or admin) of the first generated province, else of Tây Hòa.
async fn bench_user(db: &DatabaseConnection, role: Role) -> anyhow::Result<user::Model> {
    let email = format!("bench-{}@kehoach.local", role.code());
    if let Some(u) = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?
    {
        return Ok(u);
    }
    let generated = agency::Entity::find()
        .filter(agency::Column::Code.like("G%-P01-UBND"))
        .order_by_asc(agency::Column::Id)
        .one(db)
        .await?;
    let ag = match generated {
        Some(a) => a,
        None => agency::Entity::find()
            .filter(agency::Column::Code.eq("TH-UBND"))
            .one(db)
            .await?
            .context("no agency for the bench user: run `kehoach seed` and `gen-data` first")?,
    };
    let new = NewUser {
        email,
        display_name: "Benchmark".into(),
        role,
        agency_id: ag.id,
        locale: Locale::Vi,
        password: crate::auth::password::random()?,
    };
    users::create(db, None, new, chrono::Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort_unstable();
    let at = |q: f64| {
        let i = ((v.len() as f64 - 1.0) * q).round() as usize;
        v.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    (at(0.5), at(0.95))
}

async fn time<F, Fut>(runs: usize, mut f: F) -> anyhow::Result<Vec<Duration>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    f().await?; // warm-up: caches and prepared statements, as on a running server
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        out.push(t.elapsed());
    }
    Ok(out)
}

/// The pages measured. Issue 7 adds "composing a report" here: its path and the statements
/// behind it, as for the others.
#[derive(Clone, Copy)]
enum Scenario {
    Dashboard,
    List,
    Calendar,
}

pub async fn run(config: Config, db: DatabaseConnection, o: Options) -> anyhow::Result<()> {
    let u = bench_user(&db, o.role).await?;
    let unit = agency::Entity::find_by_id(u.agency_id)
        .one(&db)
        .await?
        .context("the bench user's agency")?
        .org_unit_id;
    let role = o.role;
    let session = crate::auth::session::create(&db, u.id, chrono::Utc::now()).await?;
    let cookie = format!("{}={}", crate::auth::session::COOKIE, session.token);
    // The app's own connection reports the time of every statement it runs: the SQL inside
    // the page, as the driver timed it while the page ran.
    let page_sql = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let statements = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut app_db = db.clone();
    let (counter, count) = (page_sql.clone(), statements.clone());
    app_db.set_metric_callback(move |info| {
        let nanos = u64::try_from(info.elapsed.as_nanos()).unwrap_or(u64::MAX);
        counter.fetch_add(nanos, std::sync::atomic::Ordering::Relaxed);
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if std::env::var_os("KEHOACH_BENCH_SQL").is_some() {
            eprintln!(
                "{:>8.2} ms  {}",
                info.elapsed.as_secs_f64() * 1000.0,
                info.statement
            );
        }
    });
    let report_db = app_db.clone();
    let app = crate::startup::Application::build(config, app_db, Clock::System).await?;
    let router = crate::startup::build_router(app.state.clone());
    let scope_of_user = || scope_of(&db, role, unit);
    let period = Period {
        from: o.from,
        to: o.to,
    };
    let month = o.from.format("%Y-%m").to_string();
    println!(
        "backend {:?}, user {} (scope root {}), period {}..{}, {} runs",
        db.get_database_backend(),
        role.code(),
        unit,
        o.from,
        o.to,
        o.runs
    );
    println!(
        "{:<10} {:>9} {:>9} {:>9} {:>8} {:>6} {:>9} {:>9} {:>7}",
        "page", "app p50", "app p95", "in-SQL", "app/SQL", "stmts", "raw p50", "raw p95", "app/raw"
    );
    for s in [Scenario::Dashboard, Scenario::List, Scenario::Calendar] {
        let (name, path) = match s {
            Scenario::Dashboard => ("dashboard", format!("/dashboard?{}", period.query())),
            Scenario::List => (
                "list",
                format!("/activities?{}&status=held", period.query()),
            ),
            Scenario::Calendar => ("calendar", format!("/activities/calendar?month={month}")),
        };
        let in_sql = std::sync::Mutex::new(Vec::with_capacity(o.runs + 1));
        let app_times = time(o.runs, || {
            let req = Request::get(&path)
                .header(header::COOKIE, &cookie)
                .body(Body::empty());
            let router = router.clone();
            let (page_sql, in_sql, statements) = (&page_sql, &in_sql, &statements);
            async move {
                page_sql.store(0, std::sync::atomic::Ordering::Relaxed);
                statements.store(0, std::sync::atomic::Ordering::Relaxed);
                let res = router.oneshot(req?).await?;
                let status = res.status();
                let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
                let nanos = page_sql.load(std::sync::atomic::Ordering::Relaxed);
                if let Ok(mut v) = in_sql.lock() {
                    v.push(Duration::from_nanos(nanos));
                }
                anyhow::ensure!(
                    status == StatusCode::OK,
                    "{status}: {}",
                    String::from_utf8_lossy(&body)
                );
                Ok(())
            }
        })
        .await?;
        let raw_times = time(o.runs, || async {
            // The scope lookup is part of every page, so it is part of the raw SQL too.
            let scope = scope_of_user().await?;
            let b = db.get_database_backend();
            let statements = match s {
                Scenario::Dashboard => {
                    let me = crate::auth::CurrentUser {
                        id: u.id,
                        email: u.email.clone(),
                        display_name: String::new(),
                        role,
                        agency_id: u.agency_id,
                        agency_name: String::new(),
                        org_unit_id: unit,
                        locale: Locale::Vi,
                        auth: crate::auth::identity::AuthMethod::ApiToken,
                        scope_cache: Default::default(),
                    };
                    let plan =
                        crate::dashboard::views::plan_and_items(&db, &scope, &me, &period).await?;
                    let f = crate::dashboard::views::frame(
                        &db,
                        &me,
                        scope,
                        &period,
                        chrono::Utc::now().date_naive(),
                        plan.as_ref(),
                    )
                    .await?;
                    crate::dashboard::sql::all(b, &f)
                }
                Scenario::List => {
                    let filter = Filter {
                        from: Some(o.from.to_string()),
                        to: Some(o.to.to_string()),
                        status: Some("held".into()),
                        longest_span: Some(repo::longest_span(&db).await?),
                        ..Default::default()
                    };
                    vec![b.build(&repo::list_query(&scope, &filter, repo::PAGE_SIZE))]
                }
                Scenario::Calendar => {
                    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")?;
                    let last = first + chrono::Duration::days(41);
                    vec![b.build(&repo::calendar_query(
                        &scope,
                        &Filter {
                            longest_span: Some(repo::longest_span(&db).await?),
                            ..Default::default()
                        },
                        first,
                        last,
                        crate::activities::views::CALENDAR_LIMIT,
                    ))]
                }
            };
            for st in statements {
                db.query_all_raw(st).await?;
            }
            Ok(())
        })
        .await?;
        let (a50, a95) = stats(app_times);
        let (r50, r95) = stats(raw_times);
        // The first entry is the warm-up's.
        let mut in_sql = in_sql.into_inner().unwrap_or_default();
        if !in_sql.is_empty() {
            in_sql.remove(0);
        }
        let (s50, _) = stats(in_sql);
        println!(
            "{name:<10} {a50:>7.1}ms {a95:>7.1}ms {s50:>7.1}ms {:>8.2} {:>6} {r50:>7.1}ms {r95:>7.1}ms {:>7.2}",
            a50 / s50.max(0.001),
            statements.load(std::sync::atomic::Ordering::Relaxed),
            a50 / r50.max(0.001)
        );
    }
    report(&report_db, unit, &o, &page_sql).await
}

/// Composing a report for the bench user's unit over the period — figures from the rows, the
/// narrative drafts, the DOCX with its annexes and the XLSX annex — as the export does it.
/// `sql` adds up the time of the statements run on `db` (its metric callback).
async fn report(
    db: &DatabaseConnection,
    unit: i64,
    o: &Options,
    sql: &std::sync::atomic::AtomicU64,
) -> anyhow::Result<()> {
    use crate::entities::{org_unit, plan, report, reporting_period};
    let the_unit = org_unit::Entity::find_by_id(unit)
        .one(db)
        .await?
        .context("bench unit")?;
    let the_plan = match plan::Entity::find()
        .filter(plan::Column::OrgUnitId.eq(unit))
        .one(db)
        .await?
    {
        Some(p) => p,
        None => plan::Entity::find().one(db).await?.context("a plan")?,
    };
    let now = chrono::Utc::now();
    let period = reporting_period::Model {
        id: 0,
        kind: "annual".into(),
        title: "Báo cáo năm".into(),
        period_start: o.from,
        period_end: o.to,
        due_date: o.to,
        plan_id: the_plan.id,
        org_unit_id: unit,
        status: "open".into(),
        created_by: None,
        created_at: now,
        updated_at: now,
    };
    let r = report::Model {
        id: 0,
        period_id: 0,
        org_unit_id: unit,
        agency_id: None,
        level: crate::reports::service::COMPILED.into(),
        status: "draft".into(),
        narrative: "{}".into(),
        snapshot: None,
        submitted_at: None,
        approved_at: None,
        approved_by: None,
        return_comment: None,
        document_number: None,
        document_date: None,
        signer_authority: "KT. CHỦ TỊCH".into(),
        signer_title: "PHÓ CHỦ TỊCH".into(),
        signer_name: String::new(),
        recipients: String::new(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let held = crate::reports::service::figures_of(db, &r, &period)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .activities_held;
    sql.store(0, std::sync::atomic::Ordering::Relaxed);
    let compose = time(o.runs, || async {
        crate::reports::service::figures_of(db, &r, &period)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    })
    .await?;
    // Warm-up included: runs + 1 compositions.
    let in_sql_ms =
        sql.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e6 / (compose.len() + 1) as f64;
    let f = crate::reports::service::figures_of(db, &r, &period)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let n = crate::reports::narrative::refresh(
        &Default::default(),
        &f,
        crate::reports::narrative::Level::Compiled,
    );
    let doc = crate::reports::document::ReportDoc {
        report: &r,
        period: &period,
        plan: &the_plan,
        unit: &the_unit,
        plan_unit: None,
        agency: None,
        figures: &f,
        narrative: &n,
    };
    let docx = time(o.runs, || async {
        crate::reports::document::docx(&doc)?;
        Ok(())
    })
    .await?;
    let xlsx = time(o.runs, || async {
        crate::reports::document::xlsx(&doc)?;
        Ok(())
    })
    .await?;
    for (name, times) in [
        ("report: figures", compose),
        ("report: DOCX", docx),
        ("report: XLSX", xlsx),
    ] {
        let (p50, p95) = stats(times);
        println!("{name:<16} {p50:>7.1}ms {p95:>7.1}ms  ({held} activities held in the period)");
    }
    println!("report: figures, mean in-SQL {in_sql_ms:.1}ms (no SQL in the DOCX and XLSX)");
    Ok(())
}
