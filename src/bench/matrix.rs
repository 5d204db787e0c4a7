//! `kehoach bench --matrix`: every default page of four users of one database, in process and
//! over HTTP — a new commune with no activity at all, the busiest commune, a province leader and
//! the national administrator (issue 24). The point is the spread: a user's page should cost
//! about the same whatever the size of everyone else's data.
//!
//! The new commune is made by the bench (unit `BENCH-EMPTY` under the first generated province,
//! with its people's committee) if it is not there: `gen-data` makes none without activities.

use super::{stats, time};
use crate::auth::permissions::Role;
use crate::auth::users::{self, NewUser};
use crate::config::Config;
use crate::entities::{activity, agency, org_unit, user};
use crate::state::Clock;
use crate::web::i18n::Locale;
use anyhow::Context;
use axum::body::Body;
use axum::http::{Request, header};
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

pub struct Options {
    pub runs: usize,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The users to measure (`new`, `busiest`, `leader`, `admin`); empty: all four.
    pub users: Vec<String>,
}

/// One user of the matrix: who, and how many activities their scope's own units hold.
struct Subject {
    label: &'static str,
    user: user::Model,
    own: u64,
}

/// A bench user of `role` in `agency` (made once, found by its address afterwards).
async fn user_in(
    db: &DatabaseConnection,
    role: Role,
    agency: &agency::Model,
) -> anyhow::Result<user::Model> {
    let email = format!("bench-{}-{}@kehoach.local", role.code(), agency.id);
    if let Some(u) = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?
    {
        return Ok(u);
    }
    let new = NewUser {
        email,
        display_name: "Benchmark".into(),
        role,
        agency_id: agency.id,
        locale: Locale::Vi,
        password: crate::auth::password::random()?,
    };
    users::create(db, None, new, chrono::Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// The first generated province's people's committee.
async fn province_agency(db: &DatabaseConnection) -> anyhow::Result<agency::Model> {
    agency::Entity::find()
        .filter(agency::Column::Code.like("G%-P01-UBND"))
        .order_by_asc(agency::Column::Id)
        .one(db)
        .await?
        .context("no generated province: run `kehoach gen-data` first")
}

/// A commune with no activity, under the first generated province: made if missing.
async fn empty_commune(
    db: &DatabaseConnection,
    province: &agency::Model,
) -> anyhow::Result<agency::Model> {
    const CODE: &str = "BENCH-EMPTY";
    let unit = match org_unit::Entity::find()
        .filter(org_unit::Column::Code.eq(CODE))
        .one(db)
        .await?
    {
        Some(u) => u,
        None => {
            let now = chrono::Utc::now();
            org_unit::ActiveModel {
                code: Set(CODE.into()),
                gso_code: Set(None),
                name: Set("Xã Mới (benchmark)".into()),
                kind: Set("commune".into()),
                parent_id: Set(Some(province.org_unit_id)),
                valid_from: Set(None),
                valid_to: Set(None),
                ethnic_minority: Set(false),
                border_area: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    let code = format!("{CODE}-UBND");
    if let Some(a) = agency::Entity::find()
        .filter(agency::Column::Code.eq(&code))
        .one(db)
        .await?
    {
        return Ok(a);
    }
    let now = chrono::Utc::now();
    Ok(agency::ActiveModel {
        code: Set(code),
        org_unit_id: Set(unit.id),
        name: Set("UBND Xã Mới (benchmark)".into()),
        short_name: Set("UBND Xã Mới".into()),
        kind: Set("people_committee".into()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The commune of the first generated province with the most activities, and their count.
async fn busiest_commune(
    db: &DatabaseConnection,
    province: &agency::Model,
) -> anyhow::Result<(agency::Model, u64)> {
    let communes: Vec<i64> = org_unit::Entity::find()
        .filter(org_unit::Column::ParentId.eq(province.org_unit_id))
        .filter(org_unit::Column::Code.ne("BENCH-EMPTY"))
        .select_only()
        .column(org_unit::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut best: Option<(i64, u64)> = None;
    for c in communes {
        let n = activity::Entity::find()
            .filter(activity::Column::OrgUnitId.eq(c))
            .count(db)
            .await?;
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((c, n));
        }
    }
    let (unit, n) = best.context("the province has no commune")?;
    let ag = agency::Entity::find()
        .filter(agency::Column::OrgUnitId.eq(unit))
        .order_by_asc(agency::Column::Id)
        .one(db)
        .await?
        .context("the commune has no agency")?;
    Ok((ag, n))
}

/// Activities of a scope's units (the national administrator: all of them).
async fn own_rows(db: &DatabaseConnection, role: Role, unit: i64) -> anyhow::Result<u64> {
    let scope = crate::auth::identity::scope_of(db, role, unit).await?;
    let mut q = activity::Entity::find();
    if !scope.all {
        q = q.filter(activity::Column::OrgUnitId.is_in(scope.ids()));
    }
    Ok(q.count(db).await?)
}

/// One GET over a new loopback connection (`Connection: close`, read to the end): the status.
async fn http_get(addr: std::net::SocketAddr, path: &str, cookie: &str) -> anyhow::Result<u16> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nAccept-Language: vi\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::with_capacity(64 * 1024);
    s.read_to_end(&mut buf).await?;
    let head = String::from_utf8_lossy(buf.get(..12).unwrap_or_default()).into_owned();
    head.get(9..12)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("not an HTTP response: {head}"))
}

pub async fn run(config: Config, db: DatabaseConnection, o: Options) -> anyhow::Result<()> {
    let province = province_agency(&db).await?;
    let empty = empty_commune(&db, &province).await?;
    let (busiest, busiest_n) = busiest_commune(&db, &province).await?;
    let mut subjects = Vec::new();
    for (key, label, role, ag) in [
        ("new", "new commune", Role::Commune, &empty),
        ("busiest", "busiest commune", Role::Commune, &busiest),
        ("leader", "province leader", Role::Leader, &province),
        ("admin", "national admin", Role::Admin, &province),
    ] {
        if !o.users.is_empty() && !o.users.iter().any(|u| u == key) {
            continue;
        }
        let u = user_in(&db, role, ag).await?;
        let own = if label == "busiest commune" {
            busiest_n
        } else {
            own_rows(&db, role, ag.org_unit_id).await?
        };
        subjects.push(Subject {
            label,
            user: u,
            own,
        });
    }

    // The app's connection adds up the time of its statements (sea-orm's metric callback).
    let page_sql = Arc::new(AtomicU64::new(0));
    let statements = Arc::new(AtomicU64::new(0));
    let mut app_db = db.clone();
    let (counter, count) = (page_sql.clone(), statements.clone());
    app_db.set_metric_callback(move |info| {
        let nanos = u64::try_from(info.elapsed.as_nanos()).unwrap_or(u64::MAX);
        counter.fetch_add(nanos, Ordering::Relaxed);
        count.fetch_add(1, Ordering::Relaxed);
        if std::env::var_os("KEHOACH_BENCH_SQL").is_some() {
            eprintln!(
                "{:>8.2} ms  {}",
                info.elapsed.as_secs_f64() * 1000.0,
                info.statement
            );
        }
    });
    let mut config = config;
    config.addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let app = crate::startup::Application::build(config, app_db, Clock::System).await?;
    let addr = app.local_addr()?;
    let router = crate::startup::build_router(app.state.clone());
    let server = tokio::spawn(app.run_until_stopped());

    let total = activity::Entity::find().count(&db).await?;
    let year = format!("from={}&to={}", o.from, o.to);
    println!(
        "backend {:?}, {total} activities, {} runs per page (median), period {}..{}",
        db.get_database_backend(),
        o.runs,
        o.from,
        o.to
    );
    println!(
        "| user | own activities | page | status | in process p50 | HTTP p50 | in-SQL p50 | statements |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|");
    for s in &subjects {
        let session = crate::auth::session::create(&db, s.user.id, chrono::Utc::now()).await?;
        let cookie = format!("{}={}", crate::auth::session::COOKIE, session.token);
        let pages: Vec<(&str, String)> = vec![
            ("home", "/".into()),
            ("activities", "/activities".into()),
            ("activities of the year", format!("/activities?{year}")),
            ("calendar", "/activities/calendar".into()),
            ("dashboard", "/dashboard".into()),
            ("dashboard of the year", format!("/dashboard?{year}")),
            ("tasks board", "/tasks".into()),
            ("tasks inbox", "/tasks/inbox".into()),
            ("reports", "/reports".into()),
            ("statistics", "/stats".into()),
        ];
        for (name, path) in pages {
            if std::env::var_os("KEHOACH_BENCH_SQL").is_some() {
                eprintln!("== {} {name}", s.label);
            }
            let status = std::sync::Mutex::new(0u16);
            let in_sql = std::sync::Mutex::new(Vec::new());
            let stmts = AtomicU64::new(0);
            let inproc = time(o.runs, || {
                let req = Request::get(&path)
                    .header(header::COOKIE, &cookie)
                    .header(header::ACCEPT_LANGUAGE, "vi")
                    .body(Body::empty());
                let router = router.clone();
                let (page_sql, statements, status, in_sql, stmts) =
                    (&page_sql, &statements, &status, &in_sql, &stmts);
                async move {
                    page_sql.store(0, Ordering::Relaxed);
                    statements.store(0, Ordering::Relaxed);
                    let res = router.oneshot(req?).await?;
                    let code = res.status().as_u16();
                    axum::body::to_bytes(res.into_body(), usize::MAX).await?;
                    if let Ok(mut v) = in_sql.lock() {
                        v.push(Duration::from_nanos(page_sql.load(Ordering::Relaxed)));
                    }
                    stmts.store(statements.load(Ordering::Relaxed), Ordering::Relaxed);
                    if let Ok(mut st) = status.lock() {
                        *st = code;
                    }
                    Ok(())
                }
            })
            .await?;
            let http = time(o.runs, || async {
                let code = http_get(addr, &path, &cookie).await?;
                anyhow::ensure!(code < 500, "{path}: {code}");
                Ok(())
            })
            .await?;
            let (p50, _) = stats(inproc);
            let (h50, _) = stats(http);
            let mut in_sql = in_sql.into_inner().unwrap_or_default();
            if !in_sql.is_empty() {
                in_sql.remove(0); // the warm-up's
            }
            let (s50, _) = stats(in_sql);
            let code = status.into_inner().unwrap_or_default();
            println!(
                "| {} | {} | {name} | {code} | {p50:.1} | {h50:.1} | {s50:.1} | {} |",
                s.label,
                s.own,
                stmts.load(Ordering::Relaxed)
            );
        }
    }
    server.abort();
    Ok(())
}
