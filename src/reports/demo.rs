//! Demo reporting data: the six-month period of 2024 with unit reports in every state, the
//! district police asked to answer as a partner agency (its report submitted), and a district
//! report ready to export.

use crate::entities::{agency, org_unit, plan, report, user};
use crate::org_units::scope::Scope;
use crate::reports::narrative;
use crate::reports::service::{self, Actor, NewPeriod};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

/// The demo's commune chairs who sign their units' reports.
const SIGNERS: [&str; 4] = [
    "Nguyễn Văn Hùng",
    "Trần Thị Lan",
    "Lê Minh Tuấn",
    "Phạm Thị Hoa",
];

fn date(y: i32, m: u32, d: u32) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).context("date")
}

pub async fn demo_reports(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<()> {
    if crate::entities::reporting_period::Entity::find()
        .count(db)
        .await?
        > 0
    {
        return Ok(());
    }
    let district = crate::org_units::repo::by_code(db, "PY-TH")
        .await?
        .context("district")?;
    let plan = plan::Entity::find()
        .filter(plan::Column::Code.eq("PY-TH-2024-HTNN"))
        .one(db)
        .await?
        .context("plan")?;
    let compiler = user::Entity::find()
        .filter(user::Column::Email.eq("compiler@kehoach.demo"))
        .one(db)
        .await?
        .context("compiler")?;
    let actor = Actor {
        user_id: compiler.id,
        now,
    };
    let scope = Scope::of_unit(db, district.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let communes: Vec<i64> = org_unit::Entity::find()
        .filter(org_unit::Column::ParentId.eq(district.id))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let police = agency::Entity::find()
        .filter(agency::Column::Code.eq("TH-CA"))
        .one(db)
        .await?
        .context("police")?;
    let period = service::open_period(
        db,
        &actor,
        &scope,
        NewPeriod {
            kind: "six_month".into(),
            title: "Báo cáo kết quả thực hiện công tác hỗ trợ nạn nhân bị mua bán người 6 tháng đầu năm 2024".into(),
            period_start: date(2024, 1, 1)?,
            period_end: date(2024, 6, 30)?,
            due_date: date(2024, 7, 5)?,
            plan_id: plan.id,
            org_unit_id: district.id,
            responders: communes,
            agencies: vec![police.id],
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo period: {e:?}"))?;
    let reports = report::Entity::find()
        .filter(report::Column::PeriodId.eq(period.id))
        .all(db)
        .await?;
    let all_units = org_unit::Entity::find().all(db).await?;
    let units: std::collections::HashMap<i64, String> =
        all_units.iter().map(|u| (u.id, u.code.clone())).collect();
    let names: std::collections::HashMap<i64, String> =
        all_units.into_iter().map(|u| (u.id, u.name)).collect();
    let on = |d: NaiveDate| d.and_hms_opt(3, 0, 0).map(|t| t.and_utc());
    for r in reports {
        let code = units.get(&r.org_unit_id).cloned().unwrap_or_default();
        let mut row: report::ActiveModel = r.clone().into();
        if r.agency_id.is_some() {
            // The police answered on time; the compiler has not reviewed it yet.
            let mut n = narrative::Narrative::new();
            n.insert("situation".into(), narrative::Section { draft: String::new(), text: Some("Trong 6 tháng đầu năm 2024, Công an huyện chưa phát hiện vụ việc mua bán người trên địa bàn; tiếp tục nắm tình hình tại các xã có nhiều lao động đi làm ăn xa.".into()) });
            n.insert("next_tasks".into(), narrative::Section { draft: String::new(), text: Some("Phối hợp Phòng Lao động - Thương binh và Xã hội kiểm tra các cơ sở tư vấn, giới thiệu việc làm; tuyên truyền tại các xã giáp ranh trong đợt cao điểm 30/7.".into()) });
            let mut row: report::ActiveModel = r.into();
            row.narrative = Set(serde_json::to_string(&n)?);
            row.status = Set(service::SUBMITTED.to_owned());
            row.submitted_at = Set(on(date(2024, 7, 4)?));
            row.update(db).await?;
            continue;
        }
        let (status, submitted, comment) = match code.as_str() {
            "PY-TH-HOAPHONG" | "PY-TH-PHUTHU" => (service::APPROVED, on(date(2024, 7, 3)?), None),
            "PY-TH-HOABINH1" => (service::SUBMITTED, on(date(2024, 7, 4)?), None),
            "PY-TH-HOAMYTAY" => (service::SUBMITTED, on(date(2024, 7, 9)?), None),
            "PY-TH-HOADONG" => (
                service::RETURNED,
                on(date(2024, 7, 2)?),
                Some("Đề nghị bổ sung số liệu cấp phát tờ rơi và kết quả phát thanh tháng 6."),
            ),
            _ if r.level == service::COMPILED => (service::DRAFT, None, None),
            _ => (service::DRAFT, None, None),
        };
        if r.level == service::UNIT && status != service::DRAFT {
            // "trên địa bàn thị trấn" for a town: the unit's own kind word.
            let name = names.get(&r.org_unit_id).cloned().unwrap_or_default();
            let kind = crate::org_units::split_name(&name)
                .0
                .map_or_else(|| "xã".to_owned(), str::to_lowercase);
            let mut n = narrative::Narrative::new();
            n.insert("situation".into(), narrative::Section { draft: String::new(), text: Some(format!("Tình hình an ninh trật tự trên địa bàn {kind} ổn định; chưa phát hiện trường hợp mua bán người.")) });
            row.narrative = Set(serde_json::to_string(&n)?);
            // Sent by its leader as the unit's own document: signed, numbered and dated.
            row.signer_name = Set(SIGNERS[(r.org_unit_id as usize) % SIGNERS.len()].to_owned());
            let serial = 10 + (r.org_unit_id % 40);
            row.document_number = Set(Some(format!("{serial:02}/BC-UBND")));
            row.document_date = Set(submitted.map(|at| at.date_naive()));
        }
        if r.level == service::COMPILED {
            let mut n = narrative::Narrative::new();
            n.insert("situation".into(), narrative::Section { draft: String::new(), text: Some("Trong 6 tháng đầu năm 2024, tình hình an ninh chính trị, trật tự an toàn xã hội trên địa bàn huyện ổn định; công tác phòng, chống mua bán người được các cấp, các ngành quan tâm triển khai.".into()) });
            n.insert("next_tasks".into(), narrative::Section { draft: String::new(), text: Some("Tiếp tục đẩy mạnh tuyên truyền hưởng ứng Ngày toàn dân phòng, chống mua bán người 30/7; hướng dẫn các xã hoàn thiện kế hoạch năm.".into()) });
            n.insert("recommendations".into(), narrative::Section { draft: String::new(), text: Some("Đề nghị Sở Lao động - Thương binh và Xã hội tiếp tục hỗ trợ tài liệu truyền thông và tập huấn cho cán bộ cấp xã.".into()) });
            row.narrative = Set(serde_json::to_string(&n)?);
        }
        row.status = Set(status.to_owned());
        row.submitted_at = Set(submitted);
        row.return_comment = Set(comment.map(str::to_owned));
        let saved = row.update(db).await?;
        if status == service::APPROVED {
            let f = service::figures_of(db, &saved, &period)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            // Approval keeps the drafts of the frozen figures, as `service::approve` does.
            let n = narrative::refresh(
                &service::narrative_of(&saved),
                &f,
                narrative::Level::of(&saved),
            );
            let mut row: report::ActiveModel = saved.into();
            row.narrative = Set(serde_json::to_string(&n)?);
            row.snapshot = Set(Some(serde_json::to_string(&f)?));
            row.approved_at = Set(on(date(2024, 7, 6)?));
            row.approved_by = Set(Some(compiler.id));
            let approved = row.update(db).await?;
            // As an approval through the app would: the unit's months are locked.
            use crate::support_stats::period::YearMonth;
            for m in YearMonth::of(period.period_start).through(YearMonth::of(period.period_end)) {
                crate::support_stats::service::lock_month(
                    db,
                    approved.org_unit_id,
                    m,
                    Some(compiler.id),
                    now,
                )
                .await?;
            }
        }
    }
    Ok(())
}
