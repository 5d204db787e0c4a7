//! `kehoach bench --import`: times importing a file of activities (10,000 rows by default)
//! through the app, in process: the upload (read, staged), the preview (read again, checked
//! against the database, first page rendered) and the commit (read and checked again, then
//! every row written with its audit row in one transaction). Each run imports a new file (the
//! titles carry the run's number, so nothing is a duplicate), as a district planner of the
//! seeded Tây Hòa data; the rows stay in the database.

use crate::auth::permissions::Role;
use crate::auth::users::{self, NewUser};
use crate::config::Config;
use crate::entities::{agency, org_unit, plan_item, user};
use crate::state::Clock;
use crate::web::i18n::Locale;
use anyhow::Context;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const HEADER: &str = "Tên hoạt động,Loại hoạt động,Mục kế hoạch (mã),Địa bàn,Cơ quan tổ chức,Từ ngày,Đến ngày,Địa điểm,Đối tượng,Trạng thái,Ngày tổ chức,Số người dự kiến,Số người tham dự,Trong đó nữ,Người dân tộc thiểu số,Trẻ em,Ghi chú";

const TYPES: &[&str] = &[
    "talk",
    "mobile",
    "integrated",
    "loudspeaker",
    "leaflet",
    "school",
];

async fn planner(db: &DatabaseConnection) -> anyhow::Result<user::Model> {
    let email = "bench-import@kehoach.local";
    if let Some(u) = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?
    {
        return Ok(u);
    }
    let ag = agency::Entity::find()
        .filter(agency::Column::Code.eq("TH-VHTT"))
        .one(db)
        .await?
        .context("no agency TH-VHTT: run `kehoach seed --demo` first")?;
    let new = NewUser {
        email: email.into(),
        display_name: "Benchmark".into(),
        role: Role::Planner,
        agency_id: ag.id,
        locale: Locale::Vi,
        password: crate::auth::password::random()?,
    };
    users::create(db, None, new, chrono::Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// A valid file of `rows` activities in the Tây Hòa communes, all of 2024 (planned, or held
/// with figures when in the past).
async fn file(db: &DatabaseConnection, run: usize, rows: usize) -> anyhow::Result<Vec<u8>> {
    let district = org_unit::Entity::find()
        .filter(org_unit::Column::Code.eq("PY-TH"))
        .one(db)
        .await?
        .context("no unit PY-TH: run `kehoach seed --demo` first")?;
    let communes: Vec<String> = org_unit::Entity::find()
        .filter(org_unit::Column::ParentId.eq(district.id))
        .order_by_asc(org_unit::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.name)
        .collect();
    let item = plan_item::Entity::find()
        .filter(plan_item::Column::AreaKind.eq("communication"))
        .one(db)
        .await?
        .context("no plan item: run `kehoach seed --demo` first")?;
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let today = chrono::Utc::now().date_naive();
    let mut out = String::from(HEADER);
    for i in 0..rows {
        let day = start + chrono::Duration::days(i64::try_from(i % 366).unwrap_or(0));
        let d = day.format("%d/%m/%Y");
        let unit = communes
            .get(i % communes.len().max(1))
            .cloned()
            .unwrap_or_default();
        let kind = TYPES.get(i % TYPES.len()).copied().unwrap_or("talk");
        let held = day <= today;
        let (status, held_on, actual) = if held {
            (
                "Đã tổ chức",
                d.to_string(),
                format!("{},{},{},{}", 80 + i % 50, 40, 5, 10),
            )
        } else {
            ("Đã lên lịch", String::new(), ",,,".to_owned())
        };
        out.push_str(&format!(
            "\r\nTuyên truyền phòng chống mua bán người – đợt {run}.{i},{kind},{},{unit},Phòng VH-TT,{d},{d},Nhà văn hóa thôn {},Người dân nói chung; Phụ nữ,{status},{held_on},{},{actual},",
            item.id,
            i % 7 + 1,
            100 + i % 50,
        ));
    }
    Ok(out.into_bytes())
}

fn multipart(bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "kehoach-bench-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn ms(v: &mut [Duration]) -> f64 {
    v.sort_unstable();
    v.get(v.len() / 2).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

pub async fn run(
    config: Config,
    db: DatabaseConnection,
    runs: usize,
    rows: usize,
) -> anyhow::Result<()> {
    let u = planner(&db).await?;
    let session = crate::auth::session::create(&db, u.id, chrono::Utc::now()).await?;
    let cookie = format!("{}={}", crate::auth::session::COOKIE, session.token);
    let app = crate::startup::Application::build(config, db.clone(), Clock::System).await?;
    let router = crate::startup::build_router(app.state.clone());
    let send = |req: Request<Body>| {
        let router = router.clone();
        async move {
            let res = router.oneshot(req).await?;
            let status = res.status();
            let location = res
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
            anyhow::Ok((status, location, body))
        }
    };
    println!(
        "backend {:?}, {rows} rows per file, {runs} runs (each a new file)",
        db.get_database_backend()
    );
    let (mut upload, mut preview, mut commit, mut total) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        let bytes = file(&db, run, rows).await?;
        let size = bytes.len();
        let (content_type, body) = multipart(&bytes);
        let t0 = Instant::now();
        let req = Request::post(format!(
            "/activities/import?csrf_token={}",
            session.csrf_token
        ))
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))?;
        let (status, location, body) = send(req).await?;
        let location = match (status, location) {
            (StatusCode::SEE_OTHER, Some(l)) => l,
            _ => anyhow::bail!("upload: {status}: {}", String::from_utf8_lossy(&body)),
        };
        let t1 = Instant::now();
        let req = Request::get(&location)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())?;
        let (status, _, body) = send(req).await?;
        anyhow::ensure!(status == StatusCode::OK, "preview: {status}");
        anyhow::ensure!(
            String::from_utf8_lossy(&body).contains("csrf_token"),
            "preview has no commit form"
        );
        let t2 = Instant::now();
        let req = Request::post(&location)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf_token={}", session.csrf_token)))?;
        let (status, _, body) = send(req).await?;
        anyhow::ensure!(
            status == StatusCode::SEE_OTHER,
            "commit: {status}: {}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(2000)
                .collect::<String>()
        );
        let t3 = Instant::now();
        println!(
            "run {run}: {size} bytes, upload {:.0} ms, preview {:.0} ms, commit {:.0} ms",
            (t1 - t0).as_secs_f64() * 1000.0,
            (t2 - t1).as_secs_f64() * 1000.0,
            (t3 - t2).as_secs_f64() * 1000.0
        );
        upload.push(t1 - t0);
        preview.push(t2 - t1);
        commit.push(t3 - t2);
        total.push(t3 - t0);
    }
    println!(
        "median: upload {:.0} ms, preview {:.0} ms, commit {:.0} ms, total {:.0} ms",
        ms(&mut upload),
        ms(&mut preview),
        ms(&mut commit),
        ms(&mut total)
    );
    Ok(())
}
