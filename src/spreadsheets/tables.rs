//! The smaller exports, built whole (each is bounded: a board of tasks, a period's figures, one
//! row per responding unit) and written as XLSX or CSV: coordination tasks, support statistics
//! (through the same suppression as the screen) and reporting completeness of a period.

use crate::auth::{CurrentUser, Role};
use crate::entities::{coordination_task, report, reporting_period};
use crate::error::{AppError, AppResult};
use crate::spreadsheets::sheet::{Cell, Column, XlsxSheet, csv_head, csv_line};
use crate::spreadsheets::{XLSX, attachment, audit_export, internal};
use crate::state::AppState;
use crate::support_stats::access::readable_unit;
use crate::support_stats::data::{self, Selection};
use crate::support_stats::views::{StatsQuery, audit_read};
use crate::support_stats::views_model::Tr;
use crate::support_stats::{export, figures};
use crate::tasks::views::{TaskFilter, rows_of, visible};
use crate::web::i18n::Locale;
use crate::web::query::Query;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Xlsx,
}

/// A whole table: title row, columns, rows.
pub struct Table {
    pub file: String,
    pub sheet: String,
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

pub async fn respond(kind: Kind, t: Table) -> AppResult<Response> {
    match kind {
        Kind::Csv => {
            let mut out = csv_head(&t.columns);
            for r in &t.rows {
                csv_line(&mut out, r);
            }
            Ok(attachment(
                "text/csv; charset=utf-8",
                &format!("{}.csv", t.file),
                Body::from(out),
            ))
        }
        Kind::Xlsx => {
            let bytes = tokio::task::spawn_blocking(move || {
                let mut wb = rust_xlsxwriter::Workbook::new();
                let ws = wb.add_worksheet();
                let mut sheet = XlsxSheet::start(ws, &t.sheet, &t.title, &t.columns)?;
                for r in &t.rows {
                    sheet.row(r)?;
                }
                wb.save_to_buffer()
            })
            .await
            .map_err(internal)?
            .map_err(internal)?;
            Ok(attachment(
                XLSX,
                &format!("{}.xlsx", t.file),
                Body::from(bytes),
            ))
        }
    }
}

fn cols(state: &AppState, locale: Locale, prefix: &str, spec: &[(&str, f64)]) -> Vec<Column> {
    spec.iter()
        .map(|(k, w)| Column {
            header: state.i18n.t(locale, &format!("{prefix}.{k}")).to_owned(),
            width: *w,
        })
        .collect()
}

/// The most tasks one export holds, as on the board.
const TASK_LIMIT: u64 = 5000;

async fn tasks(
    state: AppState,
    user: CurrentUser,
    filter: TaskFilter,
    kind: Kind,
) -> AppResult<Response> {
    filter.check_agency_id()?;
    let scope = user.scope(&state).await?;
    let found = coordination_task::Entity::find()
        .filter(visible(&state, &user, &scope).await?)
        .filter(filter.condition())
        .order_by_asc(coordination_task::Column::DueDate)
        .limit(TASK_LIMIT)
        .all(&state.db)
        .await?;
    let rows = rows_of(&state, &user, found).await?;
    let l = user.locale;
    let status = |s: &str| state.i18n.t(l, &format!("task.status.{s}")).to_owned();
    audit_export(
        &state,
        &user,
        "task:export",
        "coordination_task",
        serde_json::json!({ "format": if kind == Kind::Csv { "csv" } else { "xlsx" },
            "rows": rows.len() }),
    )
    .await?;
    let table = Table {
        file: "nhiem-vu-phoi-hop".into(),
        sheet: state.i18n.t(l, "sheet.task.sheet").to_owned(),
        title: state.i18n.t(l, "sheet.task.heading").to_owned(),
        columns: cols(
            &state,
            l,
            "sheet.task",
            &[
                ("id", 8.0),
                ("title", 44.0),
                ("kind", 24.0),
                ("lead", 20.0),
                ("partner", 20.0),
                ("requested_on", 12.0),
                ("due_date", 12.0),
                ("status", 16.0),
                ("loans_count", 12.0),
                ("loans_amount", 16.0),
            ],
        ),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Int(r.task.id),
                    Cell::text(&r.task.title),
                    Cell::text(&r.kind),
                    Cell::text(&r.lead),
                    Cell::text(&r.partner),
                    Cell::Date(r.task.requested_on),
                    Cell::Date(r.task.due_date),
                    Cell::text(status(&r.task.status)),
                    Cell::opt_int(r.task.loans_count),
                    Cell::opt_int(r.task.loans_amount),
                ]
            })
            .collect(),
    };
    respond(kind, table).await
}

pub async fn get_tasks_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(filter): Query<TaskFilter>,
) -> AppResult<Response> {
    tasks(state, user, filter, Kind::Xlsx).await
}

pub async fn get_tasks_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(filter): Query<TaskFilter>,
) -> AppResult<Response> {
    tasks(state, user, filter, Kind::Csv).await
}

/// `GET /stats/export.xlsx`: the lines of the CSV export (already suppressed for this reader)
/// as a sheet, figures as numbers and hidden ones as `x`.
pub async fn get_stats_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<StatsQuery>,
) -> AppResult<Response> {
    let w = crate::support_stats::views::resolve_unit(&state, &user, &q)
        .await?
        .and_then(|q| q.parse(&user, state.clock.today()))
        .map_err(|errors| crate::web::query::QueryField::of_errors(&errors))?;
    let (unit, _) = readable_unit(&state, &user, w.unit_id).await?;
    let sel = Selection {
        unit,
        from: w.from,
        to: w.to,
    };
    let data = data::load(&state.db, &sel).await?;
    let tr = Tr {
        i18n: &state.i18n,
        locale: user.locale,
    };
    let report = figures::report_for(&state.db, &data, &sel, &user, &tr).await?;
    audit_read(
        &state.db,
        &user,
        "support_stats:export",
        "xlsx",
        &w,
        report.exact,
        state.clock.now(),
    )
    .await?;
    let mut lines = export::lines(&report, &tr).into_iter();
    let header = lines.next().unwrap_or_default();
    let widths = [40.0, 30.0, 30.0, 12.0];
    let table = Table {
        file: format!(
            "thong-ke-ho-tro-{}-{}-{}",
            w.unit_id,
            w.from.iso(),
            w.to.iso()
        ),
        sheet: tr.t("sheet.stats.sheet"),
        title: format!(
            "{} — {} — {} – {}",
            tr.t("sheet.stats.heading"),
            report.unit_name,
            w.from.label(),
            w.to.label()
        ),
        columns: header
            .into_iter()
            .zip(widths)
            .map(|(header, width)| Column { header, width })
            .collect(),
        rows: lines
            .map(|[t, r, c, v]| {
                let value = v.parse::<i64>().map_or(Cell::Text(v), Cell::Int);
                vec![Cell::Text(t), Cell::Text(r), Cell::Text(c), value]
            })
            .collect(),
    };
    let shown = respond(Kind::Xlsx, table).await?;
    Ok(crate::support_stats::views::no_store(shown))
}

async fn completeness(
    state: AppState,
    user: CurrentUser,
    period_id: i64,
    kind: Kind,
) -> AppResult<Response> {
    let period = reporting_period::Entity::find_by_id(period_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = user.scope(&state).await?;
    if !scope.contains(period.org_unit_id) || user.role == Role::Partner {
        return Err(AppError::NotFound);
    }
    let reports = report::Entity::find()
        .filter(report::Column::PeriodId.eq(period_id))
        .all(&state.db)
        .await?;
    // Units and the partner agencies asked, each under its own name.
    let names = crate::reports::service::responder_names(&state.db, &reports).await?;
    let today = state.clock.today();
    let (_, states) = crate::reports::views::completeness(&reports, &period, today);
    let l = user.locale;
    // The units first, then the partner agencies asked, each by name (as on the board).
    let mut keyed: Vec<((bool, String), Vec<Cell>)> = reports
        .iter()
        .filter_map(|r| {
            let st = states.iter().find(|(id, _)| *id == r.id)?.1;
            let submitted = r.submitted_at.map(crate::state::vn_date);
            let name = names.get(&r.id).cloned().unwrap_or_default();
            let key = (r.agency_id.is_some(), name.clone());
            Some((
                key,
                vec![
                    Cell::text(name),
                    Cell::text(state.i18n.t(l, &format!("report.status.{}", r.status))),
                    Cell::text(
                        state
                            .i18n
                            .t(l, &format!("sheet.completeness.standing.{st}")),
                    ),
                    Cell::opt_date(submitted),
                    Cell::Date(period.due_date),
                ],
            ))
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let rows: Vec<Vec<Cell>> = keyed.into_iter().map(|(_, row)| row).collect();
    audit_export(
        &state,
        &user,
        "report:export_completeness",
        "reporting_period",
        serde_json::json!({ "period_id": period_id,
            "format": if kind == Kind::Csv { "csv" } else { "xlsx" } }),
    )
    .await?;
    let table = Table {
        file: format!("tinh-hinh-bao-cao-{period_id}"),
        sheet: state.i18n.t(l, "sheet.completeness.sheet").to_owned(),
        title: format!(
            "{} — {} – {}",
            state.i18n.t(l, "sheet.completeness.heading"),
            crate::web::format::date(period.period_start),
            crate::web::format::date(period.period_end)
        ),
        columns: cols(
            &state,
            l,
            "sheet.completeness",
            &[
                ("unit", 28.0),
                ("status", 18.0),
                ("state", 18.0),
                ("submitted_on", 14.0),
                ("due_date", 14.0),
            ],
        ),
        rows,
    };
    respond(kind, table).await
}

pub async fn get_completeness_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(period_id): Path<i64>,
) -> AppResult<Response> {
    completeness(state, user, period_id, Kind::Xlsx).await
}

pub async fn get_completeness_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(period_id): Path<i64>,
) -> AppResult<Response> {
    completeness(state, user, period_id, Kind::Csv).await
}
