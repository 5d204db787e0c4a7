//! The demo's present: the 1 July 2025 reform recorded over the 2024 history, and the current
//! year's work of tỉnh Đắk Lắk and xã Tây Hòa with dates counted from the day it is seeded.
//!
//! Public sources give the new communes of the former Tây Hòa district: xã Tây Hòa = thị trấn
//! Phú Thứ + Hòa Phong + Hòa Tân Tây + Hòa Bình 1; xã Sơn Thành = Hòa Phú + Sơn Thành Đông +
//! Sơn Thành Tây. How Hòa Thịnh, Hòa Đồng, Hòa Mỹ Đông and Hòa Mỹ Tây formed xã Hòa Thịnh and
//! xã Hòa Mỹ is NOT verified: the demo pairs them by name. The official codes are the
//! statistics office's (tỉnh Đắk Lắk 66; xã Tây Hòa 22255, Sơn Thành 22250, Hòa Thịnh 22276,
//! Hòa Mỹ 22285). Signers' names are invented.

use super::{Demo, TaskCast, agency_id_by_code, insert_activities, insert_tasks, unit_id_by_code};
use crate::entities::{code, org_unit, plan_item, report, user};
use crate::org_units::repo::{self, LineageKind, Merge};
use crate::plans::service::{self as plans, Actor, ItemInput, PlanHeader, TargetInput};
use crate::reports::service::{self as reports, NewPeriod};
use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// The day districts ended and the new communes began.
pub const EFFECTIVE: NaiveDate = match NaiveDate::from_ymd_opt(2025, 7, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};

const PROVINCE_BASIS: &str =
    "Nghị quyết của Quốc hội về việc sắp xếp đơn vị hành chính cấp tỉnh năm 2025";
const COMMUNE_BASIS: &str = "Nghị quyết của Ủy ban Thường vụ Quốc hội về việc sắp xếp các đơn vị hành chính cấp xã của tỉnh Đắk Lắk năm 2025";

/// The new communes: official code, name, and the 2024 units they were formed from.
const COMMUNES: [(&str, &str, &[&str]); 4] = [
    (
        "22255",
        "Xã Tây Hòa",
        &[
            "PY-TH-PHUTHU",
            "PY-TH-HOAPHONG",
            "PY-TH-HOATANTAY",
            "PY-TH-HOABINH1",
        ],
    ),
    (
        "22250",
        "Xã Sơn Thành",
        &["PY-TH-HOAPHU", "PY-TH-SONTHANHDONG", "PY-TH-SONTHANHTAY"],
    ),
    // Unverified composition: paired by name.
    (
        "22276",
        "Xã Hòa Thịnh",
        &["PY-TH-HOATHINH", "PY-TH-HOADONG"],
    ),
    ("22285", "Xã Hòa Mỹ", &["PY-TH-HOAMYDONG", "PY-TH-HOAMYTAY"]),
];

/// Where each demo login works after the reform.
const LOGINS: [(&str, &str); 6] = [
    ("admin@kehoach.demo", "VN-66-UBND"),
    ("leader@kehoach.demo", "VN-66-UBND"),
    ("compiler@kehoach.demo", "VN-66-SYT"),
    ("partner@kehoach.demo", "VN-66-CA"),
    ("planner@kehoach.demo", "VN-22255-VHXH"),
    ("commune@kehoach.demo", "VN-22255-UBND"),
];

/// The commune leader who approves xã Tây Hòa's report for sending up.
pub const COMMUNE_LEADER: &str = "lanhdao.xa@kehoach.demo";

fn ymd(y: i32, m: u32, d: u32) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).context("date")
}

async fn user_id(db: &DatabaseConnection, email: &str) -> anyhow::Result<i64> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?
        .with_context(|| format!("demo user {email}"))?
        .id)
}

async fn code_id(db: &DatabaseConnection, list: &str, c: &str) -> anyhow::Result<i64> {
    Ok(code::Entity::find()
        .filter(code::Column::List.eq(list))
        .filter(code::Column::Code.eq(c))
        .one(db)
        .await?
        .with_context(|| format!("code {list}/{c}"))?
        .id)
}

/// Records the reform and the current year's work, if the demo is seeded on or after the
/// reform and has not been already. Returns the number of activities added.
pub async fn demo_today(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let today = crate::state::vn_date(now);
    if today < EFFECTIVE || repo::by_code(db, "VN-66").await?.is_some() {
        return Ok(0);
    }
    let admin = user_id(db, "admin@kehoach.demo").await?;
    let province = reorganise(db, admin, now).await?;
    move_logins(db, now).await?;
    let (plan, commune_plan) = plans_of_the_year(db, &province, today, now).await?;
    let added = activities(db, &plan, commune_plan, today, now).await?;
    tasks(db, &plan, now).await?;
    statistics(db, today, now).await?;
    period(db, &province, plan.plan.id, today, now).await?;
    Ok(added)
}

/// The merges of 1 July 2025, the district's end and the new units' agencies.
async fn reorganise(
    db: &DatabaseConnection,
    admin: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<org_unit::Model> {
    let old_province = unit_id_by_code(db, "PY").await?;
    let province = repo::record_merge(
        db,
        admin,
        Merge {
            kind: LineageKind::Merge,
            predecessors: vec![old_province],
            successor_code: "VN-66".into(),
            successor_name: "Tỉnh Đắk Lắk".into(),
            successor_kind: "province".into(),
            successor_parent: None,
            effective_date: EFFECTIVE,
            legal_basis: PROVINCE_BASIS.into(),
            ethnic_minority: true,
            border_area: false,
        },
        now,
    )
    .await?;
    let province = set_gso(db, province, "66", now).await?;
    crate::setup::add_agencies(db, &province, true, now).await?;
    for (gso, name, predecessors) in COMMUNES {
        let mut ids = Vec::new();
        for c in predecessors {
            ids.push(unit_id_by_code(db, c).await?);
        }
        let commune = repo::record_merge(
            db,
            admin,
            Merge {
                kind: LineageKind::Merge,
                predecessors: ids,
                successor_code: format!("VN-{gso}"),
                successor_name: name.into(),
                successor_kind: "commune".into(),
                successor_parent: Some(province.id),
                effective_date: EFFECTIVE,
                legal_basis: COMMUNE_BASIS.into(),
                ethnic_minority: gso == "22255",
                border_area: false,
            },
            now,
        )
        .await?;
        let commune = set_gso(db, commune, gso, now).await?;
        crate::setup::add_agencies(db, &commune, gso == "22255", now).await?;
    }
    let district = unit_id_by_code(db, "PY-TH").await?;
    repo::abolish(db, admin, district, EFFECTIVE, COMMUNE_BASIS, now).await?;
    Ok(province)
}

async fn set_gso(
    db: &DatabaseConnection,
    u: org_unit::Model,
    gso: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<org_unit::Model> {
    let mut a: org_unit::ActiveModel = u.into();
    a.gso_code = Set(Some(gso.to_owned()));
    a.updated_at = Set(now);
    Ok(a.update(db).await?)
}

/// The demo logins move to the new units; xã Tây Hòa gets a leader who signs its reports.
async fn move_logins(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<()> {
    for (email, agency) in LOGINS {
        let agency_id = agency_id_by_code(db, agency).await?;
        let u = user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(db)
            .await?
            .with_context(|| format!("demo user {email}"))?;
        let mut a: user::ActiveModel = u.into();
        a.agency_id = Set(agency_id);
        a.updated_at = Set(now);
        a.update(db).await?;
    }
    crate::auth::users::create(
        db,
        None,
        crate::auth::users::NewUser {
            email: COMMUNE_LEADER.into(),
            display_name: "Lãnh đạo UBND xã Tây Hòa".into(),
            role: crate::auth::permissions::Role::Leader,
            agency_id: agency_id_by_code(db, "VN-22255-UBND").await?,
            locale: crate::web::i18n::Locale::Vi,
            password: super::DEMO_PASSWORD.into(),
        },
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo commune leader: {e}"))?;
    Ok(())
}

/// The province's plan for the year and its items: what activities attach to.
struct YearPlan {
    plan: crate::entities::plan::Model,
    /// Content areas in order: communication, victim support, training, inspection,
    /// coordination; each with its first bullet.
    bullets: Vec<i64>,
}

async fn plans_of_the_year(
    db: &DatabaseConnection,
    province: &org_unit::Model,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<(YearPlan, Option<YearPlan>)> {
    let year = today.year();
    let compiler = user_id(db, "compiler@kehoach.demo").await?;
    let actor = Actor {
        user_id: compiler,
        now,
    };
    let err = |e: plans::PlanError| anyhow::anyhow!("demo plan: {e:?}");
    let plan = plans::create_plan(
        db,
        actor,
        PlanHeader {
            title: format!(
                "Kế hoạch thực hiện công tác phòng, chống mua bán người và hỗ trợ nạn nhân bị mua bán người trên địa bàn tỉnh năm {year}"
            ),
            org_unit_id: province.id,
            drafting_agency_id: Some(agency_id_by_code(db, "VN-66-SYT").await?),
            period_start: ymd(year, 1, 1)?,
            period_end: ymd(year, 12, 31)?,
            place: "Đắk Lắk".into(),
            preamble: "Ủy ban nhân dân tỉnh ban hành Kế hoạch thực hiện công tác phòng, chống mua bán người và hỗ trợ nạn nhân bị mua bán người trên địa bàn tỉnh như sau:".into(),
            legal_bases: vec![
                "Luật Phòng, chống mua bán người ngày 28 tháng 11 năm 2024".into(),
            ],
            signer_authority: "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH".into(),
            signer_title: "PHÓ CHỦ TỊCH".into(),
            signer_name: "Lê Quang Huy".into(),
            recipients: vec![
                "Các sở, ban, ngành tỉnh".into(),
                "UBND các xã, phường".into(),
                "Lưu: VT, SYT".into(),
            ],
        },
    )
    .await
    .map_err(err)?;
    let item = |parent: Option<i64>, label: &str, heading: &str, area: Option<&str>| {
        let input = ItemInput {
            label: label.into(),
            heading: heading.into(),
            area_kind: area.map(str::to_owned),
            ..Default::default()
        };
        async move {
            plans::add_item(db, actor, plan.id, parent, input, None)
                .await
                .map_err(err)
        }
    };
    let aims = item(None, "I", "MỤC ĐÍCH, YÊU CẦU", None).await?;
    item(
        Some(aims.id),
        "1",
        "Nâng cao nhận thức của người dân, nhất là ở vùng đồng bào dân tộc thiểu số, về phòng, chống mua bán người",
        None,
    )
    .await?;
    let tasks = item(None, "II", "NHIỆM VỤ, GIẢI PHÁP", None).await?;
    let areas = [
        (
            "Đẩy mạnh truyền thông, nâng cao nhận thức về phòng, chống mua bán người",
            "communication",
            "Tuyên truyền trên hệ thống truyền thanh cơ sở, mạng xã hội và tại các thôn, buôn",
        ),
        (
            "Tiếp nhận, xác minh, bảo vệ và hỗ trợ nạn nhân bị mua bán người",
            "victim_support",
            "Tiếp nhận, hỗ trợ nạn nhân và xử lý thông tin qua Tổng đài 111",
        ),
        (
            "Nâng cao năng lực cán bộ làm công tác hỗ trợ nạn nhân",
            "training",
            "Tập huấn cho cán bộ cấp xã",
        ),
        (
            "Kiểm tra, giám sát, thống kê",
            "inspection",
            "Kiểm tra các cơ sở kinh doanh dịch vụ việc làm, môi giới",
        ),
        (
            "Phối hợp liên ngành",
            "coordination",
            "Phối hợp chuyển tuyến, hỗ trợ nạn nhân giữa các cơ quan",
        ),
    ];
    let mut bullets = Vec::new();
    for (n, (heading, kind, bullet)) in areas.into_iter().enumerate() {
        let area = item(Some(tasks.id), &(n + 1).to_string(), heading, Some(kind)).await?;
        let b = item(Some(area.id), "-", bullet, None).await?;
        bullets.push(b.id);
    }
    item(None, "III", "KINH PHÍ THỰC HIỆN", None).await?;
    item(None, "IV", "TỔ CHỨC THỰC HIỆN", None).await?;
    let target = |item_id: i64, indicator: i64, activity_type: Option<i64>, value: i64| {
        let t = TargetInput {
            indicator_id: indicator,
            activity_type_id: activity_type,
            value,
            unit: String::new(),
        };
        async move {
            plans::add_target(db, actor, plan.id, item_id, t, None)
                .await
                .map_err(err)
        }
    };
    let sessions = code_id(db, "indicator", "sessions").await?;
    let participants = code_id(db, "indicator", "participants").await?;
    let trainings = code_id(db, "indicator", "trainings").await?;
    let inspections = code_id(db, "indicator", "inspections").await?;
    let talk = code_id(db, "activity_type", "talk").await?;
    let first = |n: usize| bullets.get(n).copied().context("bullet");
    target(first(0)?, sessions, Some(talk), 40).await?;
    target(first(0)?, participants, None, 4000).await?;
    target(first(2)?, trainings, None, 2).await?;
    target(first(3)?, inspections, None, 4).await?;
    let issued_on = ymd(year, 1, 20)?.min(today);
    let plan = plans::issue(db, actor, plan.id, "45/KH-UBND".into(), issued_on)
        .await
        .map_err(err)?;
    // xã Tây Hòa's own plan, made from the province's, with a target of its own.
    let tay_hoa = unit_id_by_code(db, "VN-22255").await?;
    let planner = Actor {
        user_id: user_id(db, "planner@kehoach.demo").await?,
        now,
    };
    let own = plans::cascade(db, planner, plan.id, tay_hoa)
        .await
        .map_err(err)?;
    let own_items = plan_item::Entity::find()
        .filter(plan_item::Column::PlanId.eq(own.id))
        .order_by_asc(plan_item::Column::Id)
        .all(db)
        .await?;
    let copy_of = |src: i64| {
        own_items
            .iter()
            .find(|i| i.source_item_id == Some(src))
            .map(|i| i.id)
    };
    let own_bullets: Vec<i64> = bullets.iter().filter_map(|b| copy_of(*b)).collect();
    if let Some(b) = own_bullets.first() {
        plans::add_target(
            db,
            planner,
            own.id,
            *b,
            TargetInput {
                indicator_id: sessions,
                activity_type_id: Some(talk),
                value: 12,
                unit: String::new(),
            },
            None,
        )
        .await
        .map_err(err)?;
    }
    let own = plans::issue(
        db,
        planner,
        own.id,
        "12/KH-UBND".into(),
        (issued_on + Duration::days(14)).min(today),
    )
    .await
    .map_err(err)?;
    let commune = (own_bullets.len() == bullets.len()).then_some(YearPlan {
        plan: own,
        bullets: own_bullets,
    });
    Ok((YearPlan { plan, bullets }, commune))
}

/// Activities of the four new communes around today: the last five months (held, a few not yet
/// logged) and the next two (planned), within the plan's year.
async fn activities(
    db: &DatabaseConnection,
    plan: &YearPlan,
    commune_plan: Option<YearPlan>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let (talk, loudspeaker, leaflet, integrated, training) = (
        code_id(db, "activity_type", "talk").await?,
        code_id(db, "activity_type", "loudspeaker").await?,
        code_id(db, "activity_type", "leaflet").await?,
        code_id(db, "activity_type", "integrated").await?,
        code_id(db, "activity_type", "training").await?,
    );
    let public = code_id(db, "target_group", "public").await?;
    let women = code_id(db, "target_group", "women").await?;
    let officials = code_id(db, "target_group", "officials").await?;
    let leaflets = code_id(db, "material_kind", "leaflet").await?;
    let from = (today - Duration::days(150)).max(plan.plan.period_start);
    let to = (today + Duration::days(60)).min(plan.plan.period_end);
    let mut all = Vec::new();
    for (n, (gso, name, _)) in COMMUNES.iter().enumerate() {
        let unit = unit_id_by_code(db, &format!("VN-{gso}")).await?;
        let agency = agency_id_by_code(db, &format!("VN-{gso}-UBND")).await?;
        let short = name.trim_start_matches("Xã ");
        // xã Tây Hòa works under its own plan; the others under the province's.
        let bullets = match (&commune_plan, *gso) {
            (Some(p), "22255") => &p.bullets,
            _ => &plan.bullets,
        };
        let communication = bullets.first().copied().context("bullet")?;
        let step = if *gso == "22255" { 9 } else { 23 };
        let mut day = from + Duration::days(i64::try_from(n).unwrap_or(0) * 2);
        let mut i = 0usize;
        while day <= to {
            let (kind, title, people, broadcasts, material) = match i % 4 {
                0 => (
                    talk,
                    format!(
                        "Nói chuyện chuyên đề về phòng, chống mua bán người tại thôn {}",
                        i % 7 + 1
                    ),
                    65,
                    None,
                    None,
                ),
                1 => (
                    loudspeaker,
                    format!(
                        "Phát thanh tuyên truyền phòng, chống mua bán người trên đài truyền thanh xã {short}"
                    ),
                    0,
                    Some((3, 45)),
                    None,
                ),
                2 => (
                    integrated,
                    "Lồng ghép tuyên truyền trong sinh hoạt chi hội phụ nữ".to_owned(),
                    45,
                    None,
                    None,
                ),
                _ => (
                    leaflet,
                    "Cấp phát tờ rơi về phòng, chống mua bán người tại chợ".to_owned(),
                    0,
                    None,
                    Some((300, 280)),
                ),
            };
            all.push(Demo {
                unit,
                agency,
                item: communication,
                kind,
                title,
                place: format!("Xã {short}"),
                date: day,
                time: (people > 0).then_some("08:00"),
                people,
                broadcasts,
                leaflets: material,
                groups: if kind == integrated {
                    vec![women]
                } else {
                    vec![public]
                },
            });
            day += Duration::days(step);
            i += 1;
        }
    }
    // The province trains commune staff once in the period shown.
    if let (Some(b), Ok(unit)) = (plan.bullets.get(2), unit_id_by_code(db, "VN-66").await) {
        all.push(Demo {
            unit,
            agency: agency_id_by_code(db, "VN-66-SYT").await?,
            item: *b,
            kind: training,
            title: "Tập huấn kỹ năng hỗ trợ nạn nhân bị mua bán người cho cán bộ cấp xã".into(),
            place: "Hội trường Sở Y tế tỉnh Đắk Lắk".into(),
            date: (today - Duration::days(40)).max(from),
            time: Some("08:00"),
            people: 80,
            broadcasts: None,
            leaflets: None,
            groups: vec![officials],
        });
    }
    insert_activities(db, all, today, leaflets, true, now).await
}

/// Coordination tasks between the province's offices, the police and xã Tây Hòa.
async fn tasks(db: &DatabaseConnection, plan: &YearPlan, now: DateTime<Utc>) -> anyhow::Result<()> {
    insert_tasks(
        db,
        now,
        TaskCast {
            item: plan.bullets.get(1).copied().context("bullet")?,
            lead: agency_id_by_code(db, "VN-66-SYT").await?,
            commune: agency_id_by_code(db, "VN-22255-UBND").await?,
            bank: agency_id_by_code(db, "VN-66-HLHPN").await?,
            police: agency_id_by_code(db, "VN-66-CA").await?,
            trainer: agency_id_by_code(db, "VN-22255-VHXH").await?,
            note: "Đề nghị phối hợp thực hiện theo Kế hoạch số 45/KH-UBND của UBND tỉnh.",
        },
    )
    .await?;
    Ok(())
}

/// xã Tây Hòa's monthly statistics since January: hotline-111 tips most months, and two women
/// received back from abroad three months ago, supported under the 2024 law then and after.
async fn statistics(
    db: &DatabaseConnection,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    use crate::support_stats::input::{Group, MonthInput};
    use crate::support_stats::period::YearMonth;
    let unit = unit_id_by_code(db, "VN-22255").await?;
    let last = YearMonth::of(today).prev();
    let first = YearMonth::of(ymd(today.year(), 1, 1)?);
    let months = first.through(last);
    let reception = last.prev().prev();
    let group = Group {
        sex: code_id(db, "sex", "female").await?,
        age_band: code_id(db, "age_band", "18-29").await?,
        purpose: code_id(db, "trafficking_purpose", "forced_labour").await?,
        manner: code_id(db, "return_manner", "self").await?,
        trafficked_to: code_id(db, "trafficked_to", "abroad").await?,
    };
    let support = |c: &'static str| code_id(db, "support_type", c);
    let (essential, medical, psychological) = (
        support("2024_essential").await?,
        support("2024_medical").await?,
        support("2024_psychological").await?,
    );
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    for (n, m) in months.iter().enumerate() {
        let tips = i64::try_from(n % 3).unwrap_or(0);
        let mut input = MonthInput {
            hotline_received: tips,
            hotline_handled: tips,
            hotline_referred: tips / 2,
            ..Default::default()
        };
        if *m == reception {
            input.received.insert(group, 2);
            input.support = [(essential, 2), (medical, 2), (psychological, 2)].into();
        } else if *m > reception {
            input.carried_over = 2;
            input.support = [(psychological, 2)].into();
        }
        crate::support_stats::service::write_month(&txn, unit, *m, &input, None, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The province asks its four communes to report on the year so far, due in five days: xã Sơn
/// Thành's report approved, xã Tây Hòa's submitted with its number, xã Hòa Thịnh's returned,
/// xã Hòa Mỹ's still a draft.
async fn period(
    db: &DatabaseConnection,
    province: &org_unit::Model,
    plan_id: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let compiler = user_id(db, "compiler@kehoach.demo").await?;
    let actor = reports::Actor {
        user_id: compiler,
        now,
    };
    let scope = crate::org_units::scope::Scope::of_unit(db, province.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let start = ymd(today.year(), 1, 1)?;
    let end = (today - Duration::days(1)).max(start);
    let mut communes = Vec::new();
    for (gso, _, _) in COMMUNES {
        communes.push(unit_id_by_code(db, &format!("VN-{gso}")).await?);
    }
    // The provincial police report too: the partner's home shows its own report (a draft).
    let police = user::Entity::find()
        .filter(user::Column::Email.eq("partner@kehoach.demo"))
        .one(db)
        .await?
        .context("demo partner")?
        .agency_id;
    let err = |e: reports::ReportError| anyhow::anyhow!("demo report: {e:?}");
    let period = reports::open_period(
        db,
        &actor,
        &scope,
        NewPeriod {
            kind: "ad_hoc".into(),
            title: format!(
                "Báo cáo kết quả thực hiện Kế hoạch số 45/KH-UBND từ đầu năm {} đến ngày {}",
                today.year(),
                end.format("%d/%m/%Y")
            ),
            period_start: start,
            period_end: end,
            due_date: today + Duration::days(5),
            plan_id,
            org_unit_id: province.id,
            responders: communes.clone(),
            agencies: vec![police],
        },
    )
    .await
    .map_err(err)?;
    let report_of = |unit: i64| {
        report::Entity::find()
            .filter(report::Column::PeriodId.eq(period.id))
            .filter(report::Column::OrgUnitId.eq(unit))
            .filter(report::Column::Level.eq(reports::UNIT))
            .one(db)
    };
    let commune_actor = reports::Actor {
        user_id: user_id(db, COMMUNE_LEADER).await?,
        now,
    };
    let doc = |n: &str| Some((n.to_owned(), today - Duration::days(1)));
    // xã Tây Hòa (0): submitted with its number; xã Sơn Thành (1): approved; xã Hòa Thịnh (2):
    // returned with a comment; xã Hòa Mỹ (3): a draft.
    for (n, unit) in communes.iter().enumerate() {
        let r = report_of(*unit).await?.context("unit report")?;
        if n == 3 {
            continue;
        }
        // Signed by the commune's chair: the unit's own official document.
        let mut signed: report::ActiveModel = r.into();
        signed.signer_name = Set(["Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Minh Tuấn"][n].to_owned());
        let r = signed.update(db).await?;
        let number = match n {
            0 => "25/BC-UBND",
            1 => "18/BC-UBND",
            _ => "09/BC-UBND",
        };
        let r = reports::submit(db, &commune_actor, &r, r.version, doc(number))
            .await
            .map_err(err)?;
        match n {
            1 => {
                reports::approve(db, &actor, &r, &period, r.version, None)
                    .await
                    .map_err(err)?;
            }
            2 => {
                reports::return_report(
                    db,
                    &actor,
                    &r,
                    r.version,
                    "Đề nghị bổ sung số liệu tuyên truyền tại các thôn vùng đồng bào dân tộc thiểu số.",
                )
                .await
                .map_err(err)?;
            }
            _ => {}
        }
    }
    Ok(())
}
