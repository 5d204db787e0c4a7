//! The import pages, the same for both kinds: the upload page (with the template), the upload
//! itself (read, refused with a message or staged), the preview (the staged file parsed and
//! checked again, rows page by page, every problem by row and column) and the commit (parsed
//! and checked once more, then written all or nothing with the audit rows, in one transaction).

use super::read::{self, FileError, Table};
use super::staging::{self, Kind};
use super::{Problem, activities, stats};
use crate::activities::edit::Writer;
use crate::audit;
use crate::auth::CurrentUser;
use crate::entities::{import, user};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{Page, flash};
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use sea_orm::{DbErr, EntityTrait, SqlErr, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Rows per page of the preview.
const PER_PAGE: usize = 100;
/// Problems listed on the preview; the rest are counted.
const MAX_LISTED: usize = 1000;

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("import: {e}"))
}

/// The header of a column, in the user's language.
fn header(state: &AppState, user: &CurrentUser, kind: Kind, key: &str) -> String {
    let k = match kind {
        Kind::Activities => format!("sheet.activity.{key}"),
        Kind::Stats => format!("import.stats.column.{key}"),
    };
    state.i18n.t(user.locale, &k).to_owned()
}

/// Every header a column may carry: both languages.
fn headers(state: &AppState, kind: Kind, key: &str) -> Vec<String> {
    use crate::web::i18n::Locale;
    let k = match kind {
        Kind::Activities => format!("sheet.activity.{key}"),
        Kind::Stats => format!("import.stats.column.{key}"),
    };
    [Locale::Vi, Locale::En]
        .iter()
        .map(|l| state.i18n.t(*l, &k).to_owned())
        .collect()
}

fn spec(kind: Kind) -> &'static [read::ColumnSpec] {
    match kind {
        Kind::Activities => activities::SPEC,
        Kind::Stats => stats::SPEC,
    }
}

/// Reads a file into the import's columns, off the async threads.
async fn table_of(
    state: &AppState,
    kind: Kind,
    bytes: Vec<u8>,
) -> AppResult<Result<Table, FileError>> {
    let labels: Vec<(&'static str, Vec<String>)> = spec(kind)
        .iter()
        .map(|c| (c.key, headers(state, kind, c.key)))
        .collect();
    tokio::task::spawn_blocking(move || {
        let grid = read::grid(&bytes)?;
        read::table(grid, spec(kind), |key| {
            labels
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, h)| h.clone())
                .unwrap_or_default()
        })
    })
    .await
    .map_err(internal)
}

/// The message of a file that cannot be read, and its status.
fn refusal(
    state: &AppState,
    user: &CurrentUser,
    kind: Kind,
    e: &FileError,
) -> (StatusCode, String) {
    let status = match e {
        FileError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        FileError::Type | FileError::OldExcel => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let mb = (read::MAX_BYTES / (1024 * 1024)).to_string();
    let rows = crate::web::format::number(i64::try_from(read::MAX_ROWS).unwrap_or(0));
    let columns = match e {
        FileError::MissingColumns(keys) => keys
            .iter()
            .map(|k| header(state, user, kind, k))
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    };
    let message = state.i18n.format(
        user.locale,
        e.message_key(),
        &[("mb", mb), ("rows", rows), ("columns", columns)],
    );
    (status, message)
}

/// A problem as the user reads it: "Dòng 7, cột Ngày bắt đầu: …".
fn problem_text(state: &AppState, user: &CurrentUser, kind: Kind, p: &Problem) -> String {
    let args: Vec<(&str, String)> = p.args.iter().map(|(k, v)| (*k, v.clone())).collect();
    let message = state.i18n.format(user.locale, &p.key, &args);
    match p.column {
        Some(c) => state.i18n.format(
            user.locale,
            "import.at",
            &[
                ("row", p.row.to_string()),
                ("column", header(state, user, kind, c)),
                ("message", message),
            ],
        ),
        None => state.i18n.format(
            user.locale,
            "import.at_row",
            &[("row", p.row.to_string()), ("message", message)],
        ),
    }
}

/// A file checked against the database: what would be written, and every problem.
enum Checked {
    Activities(activities::Outcome, Box<activities::Lookups>),
    Stats(stats::Outcome, Box<stats::Lookups>),
}

impl Checked {
    fn problems(&self) -> &[Problem] {
        match self {
            Checked::Activities(o, _) => &o.problems,
            Checked::Stats(o, _) => &o.problems,
        }
    }

    fn fingerprint(&self) -> String {
        match self {
            Checked::Activities(o, _) => o.fingerprint(),
            Checked::Stats(o, _) => o.fingerprint(),
        }
    }

    fn row_count(&self) -> usize {
        match self {
            Checked::Activities(o, _) => o.rows.len(),
            Checked::Stats(o, _) => o.rows.len(),
        }
    }
}

/// Reads and checks a file; everything is looked up through the pool, before any transaction.
async fn check(
    state: &AppState,
    user: &CurrentUser,
    kind: Kind,
    bytes: Vec<u8>,
) -> AppResult<Result<(Checked, usize), FileError>> {
    let table = match table_of(state, kind, bytes).await? {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let total = table.rows.len();
    let today = state.clock.today();
    let checked = match kind {
        Kind::Activities => {
            let w = Writer::of(state, user).await?;
            let lk = activities::Lookups::load(&state.db, &state.i18n).await?;
            let who = activities::Importer {
                user,
                scope: &w.scope,
                plan_units: &w.plan_units,
                today,
            };
            let mut out = activities::check_rows(&table, &lk, &who);
            activities::check_existing(&state.db, &mut out).await?;
            Checked::Activities(out, Box::new(lk))
        }
        Kind::Stats => {
            let scope = user.scope(state).await?;
            let lk = stats::Lookups::load(&state.db, &state.i18n, &table).await?;
            let who = stats::Importer {
                user,
                scope: &scope,
                today,
            };
            let out = stats::check_rows(&table, &lk, &who);
            Checked::Stats(out, Box::new(lk))
        }
    };
    Ok(Ok((checked, total)))
}

fn title_key(kind: Kind) -> &'static str {
    match kind {
        Kind::Activities => "import.activities.title",
        Kind::Stats => "import.stats.title",
    }
}

/// The upload page, with a message when an upload was refused.
fn upload_page(
    state: &AppState,
    page: &Page,
    kind: Kind,
    status: StatusCode,
    error: Option<String>,
) -> AppResult<Response> {
    page.render_status(
        state,
        status,
        "imports/upload.html",
        context! {
            kind => kind, base => kind.base(), title_key => title_key(kind), error => error,
            max_mb => read::MAX_BYTES / (1024 * 1024),
            max_rows => crate::web::format::number(i64::try_from(read::MAX_ROWS).unwrap_or(0)),
        },
    )
}

pub async fn get_activities_import(
    State(state): State<AppState>,
    page: Page,
) -> AppResult<Response> {
    upload_page(&state, &page, Kind::Activities, StatusCode::OK, None)
}

pub async fn get_stats_import(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    upload_page(&state, &page, Kind::Stats, StatusCode::OK, None)
}

/// "Already imported on … by …".
async fn already(
    state: &AppState,
    user: &CurrentUser,
    earlier: &import::Model,
) -> AppResult<String> {
    let who = user::Entity::find_by_id(earlier.user_id)
        .one(&state.db)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    let at = earlier
        .committed_at
        .map(crate::web::format::datetime)
        .unwrap_or_default();
    Ok(state.i18n.format(
        user.locale,
        "import.error.already",
        &[("at", at), ("who", who)],
    ))
}

/// Reads the upload: one field `file`, at most [`read::MAX_BYTES`] kept (the rest drained, so
/// that the browser gets the answer rather than a broken connection).
async fn read_upload(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(String, Vec<u8>), FileError> {
    let mut multipart = multipart.map_err(|_| FileError::Empty)?;
    let mut file = None;
    let mut too_large = false;
    while let Some(field) = multipart.next_field().await.map_err(|e| body_refusal(&e))? {
        if field.name() == Some("file") && file.is_none() {
            let name = field.file_name().unwrap_or_default().to_owned();
            let (bytes, over) = read_bounded(field).await?;
            too_large |= over;
            file = Some((name, bytes));
        }
    }
    if too_large {
        return Err(FileError::TooLarge);
    }
    match file {
        Some((name, bytes)) if !bytes.is_empty() => Ok((name, bytes)),
        _ => Err(FileError::Empty),
    }
}

async fn read_bounded(mut field: Field<'_>) -> Result<(Vec<u8>, bool), FileError> {
    let mut bytes = Vec::new();
    let mut over = false;
    while let Some(chunk) = field.chunk().await.map_err(|e| body_refusal(&e))? {
        if over {
            continue;
        }
        if bytes.len() + chunk.len() > read::MAX_BYTES {
            over = true;
            bytes = Vec::new();
        } else {
            bytes.extend_from_slice(&chunk);
        }
    }
    Ok((bytes, over))
}

fn body_refusal(e: &MultipartError) -> FileError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        FileError::TooLarge
    } else {
        FileError::Empty
    }
}

async fn post_import(
    state: AppState,
    page: Page,
    user: CurrentUser,
    kind: Kind,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let (name, bytes) = match read_upload(multipart).await {
        Ok(f) => f,
        Err(e) => {
            let (status, message) = refusal(&state, &user, kind, &e);
            return upload_page(&state, &page, kind, status, Some(message));
        }
    };
    let sha = super::sha256_hex(&bytes);
    if let Some(earlier) = staging::committed_file(&state.db, kind, &sha).await? {
        let message = already(&state, &user, &earlier).await?;
        return upload_page(&state, &page, kind, StatusCode::CONFLICT, Some(message));
    }
    // A file that cannot be read at all is refused here; one with bad rows is staged, and
    // its preview lists them.
    if let Err(e) = table_of(&state, kind, bytes.clone()).await? {
        let (status, message) = refusal(&state, &user, kind, &e);
        return upload_page(&state, &page, kind, status, Some(message));
    }
    let now = state.clock.now();
    let size = bytes.len();
    let txn = state.db.begin().await?;
    let staged = staging::stage(&txn, kind, &user, &name, bytes, now).await?;
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(user.id),
            action: match kind {
                Kind::Activities => "activity:import_upload",
                Kind::Stats => "support_stats:import_upload",
            },
            object_type: "import",
            object_id: Some(staged.id),
            org_unit_id: Some(user.org_unit_id),
            change: json!({ "file_name": staged.file_name, "size": size, "sha256": sha }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(axum::response::Redirect::to(&format!("{}/{}", kind.base(), staged.id)).into_response())
}

pub async fn post_activities_import(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    post_import(state, page, user, Kind::Activities, multipart).await
}

pub async fn post_stats_import(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    post_import(state, page, user, Kind::Stats, multipart).await
}

#[derive(Deserialize, Default)]
pub struct PreviewQuery {
    #[serde(default)]
    page: Option<String>,
}

#[derive(Serialize)]
struct MonthSummary {
    unit: String,
    month: String,
    received: i64,
    carried_over: i64,
    supported: i64,
    referred: i64,
    hotline: String,
    loans: String,
    replaces: bool,
}

/// What the preview shows, and with which status.
struct Preview<'a> {
    import: &'a import::Model,
    checked: Option<&'a Checked>,
    total: usize,
    page: usize,
    status: StatusCode,
    /// Why it cannot be committed, besides its problems.
    blocked: Option<String>,
}

fn render_preview(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    kind: Kind,
    p: Preview<'_>,
) -> AppResult<Response> {
    let problems: Vec<String> = p
        .checked
        .map(|c| c.problems())
        .unwrap_or(&[])
        .iter()
        .take(MAX_LISTED)
        .map(|pr| problem_text(state, user, kind, pr))
        .collect();
    let problem_count = p.checked.map_or(0, |c| c.problems().len());
    let valid = p.checked.map_or(0, Checked::row_count);
    let pages = valid.div_ceil(PER_PAGE).max(1);
    let current = p.page.clamp(1, pages);
    let skip = (current - 1) * PER_PAGE;
    let l = user.locale;
    let (rows, months): (Vec<(usize, Vec<String>)>, Vec<MonthSummary>) = match p.checked {
        Some(Checked::Activities(o, lk)) => (
            o.rows
                .iter()
                .skip(skip)
                .take(PER_PAGE)
                .map(|r| (r.number, activities::shown(r, lk, &state.i18n, l)))
                .collect(),
            Vec::new(),
        ),
        Some(Checked::Stats(o, lk)) => (
            o.rows
                .iter()
                .skip(skip)
                .take(PER_PAGE)
                .map(|r| (r.number, stats::shown(r, lk, &state.i18n, l)))
                .collect(),
            o.months
                .iter()
                .map(|m| MonthSummary {
                    unit: stats::unit_name(lk, m.unit_id),
                    month: m.month.label(),
                    received: m.input.received_total(),
                    carried_over: m.input.carried_over,
                    supported: m.input.support.values().sum(),
                    referred: m.input.referrals.values().sum(),
                    hotline: format!(
                        "{} / {} / {}",
                        m.input.hotline_received, m.input.hotline_handled, m.input.hotline_referred
                    ),
                    loans: format!(
                        "{} / {}",
                        m.input.loans_count,
                        crate::web::format::number(m.input.loans_amount)
                    ),
                    replaces: m.replaces,
                })
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    // The activity template's first column (the export's id) is not imported.
    let keys: Vec<&str> = spec(kind)
        .iter()
        .map(|c| c.key)
        .filter(|k| *k != "id")
        .collect();
    let columns: Vec<String> = keys.iter().map(|k| header(state, user, kind, k)).collect();
    let rows: Vec<(usize, Vec<String>)> = match kind {
        Kind::Activities => rows
            .into_iter()
            .map(|(n, cells)| (n, cells.into_iter().skip(1).collect()))
            .collect(),
        Kind::Stats => rows,
    };
    let can_commit = p.import.status == staging::STAGED
        && p.checked.is_some()
        && problem_count == 0
        && valid > 0
        && p.blocked.is_none();
    page.render_status(
        state,
        p.status,
        "imports/preview.html",
        context! {
            kind => kind, base => kind.base(), title_key => title_key(kind), import => p.import,
            committed => p.import.status == staging::COMMITTED,
            total => p.total, valid => valid, problems => problems, problem_count => problem_count,
            more_problems => problem_count.saturating_sub(MAX_LISTED),
            columns => columns, rows => rows, months => months, page => current, pages => pages,
            blocked => p.blocked, can_commit => can_commit,
        },
    )
}

fn page_number(q: &PreviewQuery) -> usize {
    q.page
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
}

/// Checks a staged import and says whether it may be committed: its problems, or the same
/// rows already imported.
async fn checked_import(
    state: &AppState,
    user: &CurrentUser,
    kind: Kind,
    staged: &import::Model,
) -> AppResult<(Result<(Checked, usize), FileError>, Option<String>)> {
    let bytes = staged.content.clone().unwrap_or_default();
    let checked = check(state, user, kind, bytes).await?;
    let mut blocked = None;
    if let Ok((c, _)) = &checked {
        if let Some(earlier) = staging::committed_file(&state.db, kind, &staged.file_sha256).await?
        {
            blocked = Some(already(state, user, &earlier).await?);
        } else if c.problems().is_empty()
            && let Some(earlier) =
                staging::committed_content(&state.db, kind, &c.fingerprint()).await?
        {
            blocked = Some(already(state, user, &earlier).await?);
        }
    }
    Ok((checked, blocked))
}

async fn get_preview(
    state: AppState,
    page: Page,
    user: CurrentUser,
    kind: Kind,
    id: i64,
    q: PreviewQuery,
) -> AppResult<Response> {
    let found = staging::own(&state.db, kind, user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.status == staging::COMMITTED {
        let p = Preview {
            import: &found,
            checked: None,
            total: usize::try_from(found.rows.unwrap_or(0)).unwrap_or(0),
            page: 1,
            status: StatusCode::OK,
            blocked: None,
        };
        return render_preview(&state, &page, &user, kind, p);
    }
    let (checked, blocked) = checked_import(&state, &user, kind, &found).await?;
    match checked {
        Ok((c, total)) => {
            let p = Preview {
                import: &found,
                checked: Some(&c),
                total,
                page: page_number(&q),
                status: StatusCode::OK,
                blocked,
            };
            render_preview(&state, &page, &user, kind, p)
        }
        Err(e) => {
            let (status, message) = refusal(&state, &user, kind, &e);
            upload_page(&state, &page, kind, status, Some(message))
        }
    }
}

pub async fn get_activities_import_preview(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(import_id): Path<i64>,
    Query(q): Query<PreviewQuery>,
) -> AppResult<Response> {
    get_preview(state, page, user, Kind::Activities, import_id, q).await
}

pub async fn get_stats_import_preview(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(import_id): Path<i64>,
    Query(q): Query<PreviewQuery>,
) -> AppResult<Response> {
    get_preview(state, page, user, Kind::Stats, import_id, q).await
}

/// Why a commit wrote nothing.
enum Refused {
    /// The same file or rows went in first (a unique fingerprint).
    Already,
    /// A row turned out to exist, or a month to be locked, inside the transaction.
    Changed(Vec<Problem>),
    /// Someone committed this very upload meanwhile.
    Gone,
}

fn unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Writes a checked import in one transaction: its rows, its audit rows, its fingerprints.
async fn write_all(
    state: &AppState,
    user: &CurrentUser,
    kind: Kind,
    staged: &import::Model,
    checked: Checked,
) -> AppResult<Result<usize, Refused>> {
    let now = state.clock.now();
    let fingerprint = checked.fingerprint();
    let rows = checked.row_count();
    let w = match kind {
        Kind::Activities => Some(Writer::of(state, user).await?),
        Kind::Stats => None,
    };
    let txn = state.db.begin().await?;
    let written = match (checked, &w) {
        (Checked::Activities(mut out, _), Some(w)) => {
            // Rows saved since the check (another import, the form) are refused, not doubled.
            activities::check_existing(&txn, &mut out).await?;
            if !out.problems.is_empty() {
                return Ok(Err(Refused::Changed(out.problems)));
            }
            let ctx = w.ctx(state, user);
            activities::write(&txn, &ctx, &out.rows)
                .await
                .map_err(|e| internal(format!("{e}")))?
        }
        (Checked::Stats(out, _), _) => {
            match stats::write(&txn, user, staged.id, &out.months, now).await? {
                Some(n) => n,
                None => {
                    let locked = out
                        .rows
                        .first()
                        .map(|r| Problem::at(r.number, "month", "import.error.locked"))
                        .into_iter()
                        .collect();
                    return Ok(Err(Refused::Changed(locked)));
                }
            }
        }
        (Checked::Activities(..), None) => return Err(internal("no writer")),
    };
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(user.id),
            action: match kind {
                Kind::Activities => "activity:import",
                Kind::Stats => "support_stats:import_commit",
            },
            object_type: "import",
            object_id: Some(staged.id),
            org_unit_id: Some(user.org_unit_id),
            change: json!({
                "file_name": staged.file_name,
                "sha256": staged.file_sha256,
                "rows_sha256": fingerprint,
                "written": written,
            }),
        },
    )
    .await?;
    match staging::mark_committed(&txn, kind, staged, &fingerprint, rows, now).await {
        Ok(true) => {}
        Ok(false) => return Ok(Err(Refused::Gone)),
        Err(e) if unique_violation(&e) => return Ok(Err(Refused::Already)),
        Err(e) => return Err(e.into()),
    }
    match txn.commit().await {
        Ok(()) => Ok(Ok(written)),
        Err(e) if unique_violation(&e) => Ok(Err(Refused::Already)),
        Err(e) => Err(e.into()),
    }
}

async fn post_commit(
    state: AppState,
    page: Page,
    user: CurrentUser,
    kind: Kind,
    id: i64,
) -> AppResult<Response> {
    let found = staging::own(&state.db, kind, user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let here = format!("{}/{}", kind.base(), found.id);
    if found.status == staging::COMMITTED {
        return Ok(axum::response::Redirect::to(&here).into_response());
    }
    // Everything again, from the staged bytes: nothing the browser sent is trusted.
    let (checked, blocked) = checked_import(&state, &user, kind, &found).await?;
    let (checked, total) = match checked {
        Ok(c) => c,
        Err(e) => {
            let (status, message) = refusal(&state, &user, kind, &e);
            return upload_page(&state, &page, kind, status, Some(message));
        }
    };
    if !checked.problems().is_empty() || blocked.is_some() || checked.row_count() == 0 {
        let status = if blocked.is_some() {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let p = Preview {
            import: &found,
            checked: Some(&checked),
            total,
            page: 1,
            status,
            blocked,
        };
        return render_preview(&state, &page, &user, kind, p);
    }
    match write_all(&state, &user, kind, &found, checked).await? {
        Ok(_) => Ok(flash::redirect(&state.config, &here, "import.done")),
        Err(Refused::Gone) => Ok(axum::response::Redirect::to(&here).into_response()),
        Err(Refused::Already) => {
            let blocked = Some(
                state
                    .i18n
                    .t(user.locale, "import.error.already_now")
                    .to_owned(),
            );
            let p = Preview {
                import: &found,
                checked: None,
                total,
                page: 1,
                status: StatusCode::CONFLICT,
                blocked,
            };
            render_preview(&state, &page, &user, kind, p)
        }
        Err(Refused::Changed(problems)) => {
            let changed = match kind {
                Kind::Activities => Checked::Activities(
                    activities::Outcome {
                        rows: Vec::new(),
                        problems,
                    },
                    Box::new(activities::Lookups::load(&state.db, &state.i18n).await?),
                ),
                Kind::Stats => {
                    let lk =
                        stats::Lookups::load(&state.db, &state.i18n, &Table::default()).await?;
                    Checked::Stats(
                        stats::Outcome {
                            problems,
                            ..Default::default()
                        },
                        Box::new(lk),
                    )
                }
            };
            let p = Preview {
                import: &found,
                checked: Some(&changed),
                total,
                page: 1,
                status: StatusCode::CONFLICT,
                blocked: None,
            };
            render_preview(&state, &page, &user, kind, p)
        }
    }
}

pub async fn post_activities_import_commit(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(import_id): Path<i64>,
) -> AppResult<Response> {
    post_commit(state, page, user, Kind::Activities, import_id).await
}

pub async fn post_stats_import_commit(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(import_id): Path<i64>,
) -> AppResult<Response> {
    post_commit(state, page, user, Kind::Stats, import_id).await
}

/// `GET /activities/import/template.xlsx`.
pub async fn get_activities_template(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Response> {
    let t = super::template::activities(&state, &user).await?;
    send_template(t, "mau-nhap-hoat-dong.xlsx").await
}

/// `GET /stats/import/template.xlsx`.
pub async fn get_stats_template(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Response> {
    let t = super::template::stats(&state, &user).await?;
    send_template(t, "mau-nhap-so-lieu-ho-tro.xlsx").await
}

async fn send_template(t: super::template::Template, name: &str) -> AppResult<Response> {
    let bytes = tokio::task::spawn_blocking(move || super::template::build(&t))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    Ok(crate::spreadsheets::attachment(
        crate::spreadsheets::XLSX,
        name,
        axum::body::Body::from(bytes),
    ))
}
