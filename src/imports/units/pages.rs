//! `/admin/org-units/import`: the official list of administrative units, uploaded (or the
//! shipped list of 2025 chosen), previewed — what opens, what is renamed, what closes, every
//! problem by row and column — and committed all or nothing. The effective date and whether
//! the file is the whole country's list ride along in the preview's address and the commit
//! form; the commit reads the staged bytes and checks everything again, inside its transaction.

use super::{OFFICIAL_2025, OFFICIAL_2025_NAME, Plan, official_2025_effective, plan, read_units};
use crate::audit;
use crate::auth::CurrentUser;
use crate::entities::{import, org_unit};
use crate::error::{AppError, AppResult};
use crate::imports::check::{internal, problem_text, refusal};
use crate::imports::handlers::read_upload_with;
use crate::imports::read::FileError;
use crate::imports::staging::{self, Kind};
use crate::state::AppState;
use crate::web::format::parse_date;
use crate::web::forms::{FieldErrors, RawForm};
use crate::web::query::Query;
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use minijinja::context;
use sea_orm::{EntityTrait, SqlErr, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;

const KIND: Kind = Kind::Units;
/// New units listed on the preview; the rest are counted.
const MAX_NEW_LISTED: usize = 200;
/// Problems listed on the preview; the rest are counted.
const MAX_LISTED: usize = 1000;

/// The import's options, as the upload form, the preview's address and the commit form carry
/// them.
#[derive(Clone, Copy, Debug)]
struct Options {
    effective: NaiveDate,
    whole_country: bool,
}

impl Options {
    fn parse(effective: &str, whole_country: &str) -> Result<Options, FieldErrors> {
        let mut errors = FieldErrors::default();
        let effective = match effective.trim() {
            "" => {
                errors.add("effective", "form.required");
                None
            }
            raw => {
                let d = parse_date(raw);
                if d.is_none() {
                    errors.add("effective", "form.date");
                }
                d
            }
        };
        let whole_country = matches!(whole_country.trim(), "on" | "1" | "true");
        match effective {
            Some(effective) if errors.is_empty() => Ok(Options {
                effective,
                whole_country,
            }),
            _ => Err(errors),
        }
    }

    fn query(self) -> String {
        format!(
            "effective={}{}",
            self.effective.format("%Y-%m-%d"),
            if self.whole_country {
                "&whole_country=1"
            } else {
                ""
            }
        )
    }
}

/// The upload page, with a message or field errors when an upload was refused.
fn upload_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    error: Option<String>,
    errors: FieldErrors,
    effective: &str,
    whole_country: bool,
) -> AppResult<Response> {
    page.render_status(
        state,
        status,
        "admin/org_units_import.html",
        context! {
            error => error, errors => errors, effective => effective,
            whole_country => whole_country,
            official_effective => official_2025_effective().format("%Y-%m-%d").to_string(),
            max_mb => crate::imports::read::MAX_BYTES / (1024 * 1024),
        },
    )
}

pub async fn get_units_import(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    let today = state.clock.today().format("%Y-%m-%d").to_string();
    upload_page(
        &state,
        &page,
        StatusCode::OK,
        None,
        FieldErrors::default(),
        &today,
        false,
    )
}

/// Reads a file into units, off the async threads.
async fn read_of(bytes: Vec<u8>) -> AppResult<Result<super::Read, FileError>> {
    tokio::task::spawn_blocking(move || read_units(&bytes))
        .await
        .map_err(internal)
}

/// Stages the bytes and sends the user to their preview.
async fn stage(
    state: &AppState,
    user: &CurrentUser,
    name: &str,
    bytes: Vec<u8>,
    options: Options,
) -> AppResult<Response> {
    let sha = crate::imports::sha256_hex(&bytes);
    let size = bytes.len();
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let staged = staging::stage(&txn, KIND, user, name, bytes, now).await?;
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(user.id),
            action: "org_unit:import_upload",
            object_type: "import",
            object_id: Some(staged.id),
            org_unit_id: Some(user.org_unit_id),
            change: json!({ "file_name": staged.file_name, "size": size, "sha256": sha }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!(
        "{}/{}?{}",
        KIND.base(),
        staged.id,
        options.query()
    ))
    .into_response())
}

/// `POST /admin/org-units/import` (multipart: `file`, `effective`, `whole_country`).
pub async fn post_units_import(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let (name, bytes, fields) =
        match read_upload_with(multipart, &["effective", "whole_country"]).await {
            Ok(f) => f,
            Err(e) => {
                let (status, message) = refusal(&state, &user, KIND, &e);
                let today = state.clock.today().format("%Y-%m-%d").to_string();
                return upload_page(
                    &state,
                    &page,
                    status,
                    Some(message),
                    FieldErrors::default(),
                    &today,
                    false,
                );
            }
        };
    let effective = fields.first().cloned().unwrap_or_default();
    let whole = fields.get(1).cloned().unwrap_or_default();
    let options = match Options::parse(&effective, &whole) {
        Ok(o) => o,
        Err(errors) => {
            return upload_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                errors,
                &effective,
                !whole.is_empty(),
            );
        }
    };
    // A file that cannot be read at all is refused here; one with bad rows is staged, and its
    // preview lists them.
    if let Err(e) = read_of(bytes.clone()).await? {
        let (status, message) = refusal(&state, &user, KIND, &e);
        return upload_page(
            &state,
            &page,
            status,
            Some(message),
            FieldErrors::default(),
            &effective,
            options.whole_country,
        );
    }
    stage(&state, &user, &name, bytes, options).await
}

/// `POST /admin/org-units/import/official`: the shipped list of 2025, as the whole country's,
/// effective on 1 July 2025 — previewed like any upload.
pub async fn post_units_official(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Response> {
    let options = Options {
        effective: official_2025_effective(),
        whole_country: true,
    };
    stage(
        &state,
        &user,
        OFFICIAL_2025_NAME,
        OFFICIAL_2025.to_vec(),
        options,
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct PreviewQuery {
    #[serde(default)]
    effective: Option<String>,
    #[serde(default)]
    whole_country: Option<String>,
}

#[derive(Serialize)]
struct UnitLine {
    row: usize,
    code: String,
    name: String,
    old_name: String,
    kind: String,
    parent: String,
}

/// Renders the preview of a staged (or committed) import.
fn render(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    status: StatusCode,
    found: &import::Model,
    plan: Option<&Plan>,
    options: Options,
) -> AppResult<Response> {
    let l = user.locale;
    let mut problems: Vec<String> = Vec::new();
    let (mut new, mut changed, mut closed) = (Vec::new(), Vec::new(), Vec::new());
    let mut counts = (0, 0, 0, 0, 0);
    if let Some(p) = plan {
        problems = p
            .problems
            .iter()
            .take(MAX_LISTED)
            .map(|x| problem_text(state, user, KIND, x))
            .collect();
        let field = state.i18n.t(l, "import.units.effective").to_owned();
        let effective = crate::web::format::date(options.effective);
        problems.extend(p.too_early.iter().map(|(name, opened)| {
            state.i18n.format(
                l,
                "import.units.error.closure_before_opening",
                &[
                    ("field", field.clone()),
                    ("name", name.clone()),
                    ("opened", crate::web::format::date(*opened)),
                    ("effective", effective.clone()),
                ],
            )
        }));
        new = p
            .new
            .iter()
            .take(MAX_NEW_LISTED)
            .map(|u| UnitLine {
                row: u.row,
                code: u.gso.clone(),
                name: u.name.clone(),
                old_name: String::new(),
                kind: u.kind.to_owned(),
                parent: u.parent.clone().unwrap_or_default(),
            })
            .collect();
        changed = p
            .changed
            .iter()
            .map(|c| UnitLine {
                row: c.row,
                code: c.unit.gso.clone(),
                name: c.unit.name.clone(),
                old_name: c.old.name.clone(),
                kind: c.unit.kind.to_owned(),
                parent: c.unit.parent.clone().unwrap_or_default(),
            })
            .collect();
        closed = p
            .closed
            .iter()
            .map(|u| UnitLine {
                row: 0,
                code: u.gso_code.clone().unwrap_or_default(),
                name: u.name.clone(),
                old_name: String::new(),
                kind: u.kind.clone(),
                parent: String::new(),
            })
            .collect();
        counts = (
            p.new.len(),
            p.changed.len(),
            p.closed.len(),
            p.unchanged,
            p.problems.len() + p.too_early.len(),
        );
    }
    let can_commit =
        found.status == staging::STAGED && plan.is_some_and(|p| p.is_clean() && p.changes() > 0);
    page.render_status(
        state,
        status,
        "admin/org_units_import_preview.html",
        context! {
            import => found, committed => found.status == staging::COMMITTED,
            effective => options.effective.format("%Y-%m-%d").to_string(),
            effective_shown => crate::web::format::date(options.effective),
            whole_country => options.whole_country,
            problems => problems, problem_count => counts.4,
            more_problems => counts.4.saturating_sub(problems.len()),
            new => new, more_new => counts.0.saturating_sub(MAX_NEW_LISTED),
            changed => changed, closed => closed,
            new_count => counts.0, changed_count => counts.1, closed_count => counts.2,
            unchanged_count => counts.3,
            nothing => plan.is_some_and(|p| p.is_clean() && p.changes() == 0),
            can_commit => can_commit,
        },
    )
}

/// The staged import's file read and compared with the units in the database now.
async fn checked(
    state: &AppState,
    found: &import::Model,
    options: Options,
) -> AppResult<Result<Plan, FileError>> {
    let bytes = found.content.clone().unwrap_or_default();
    let read = match read_of(bytes).await? {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let existing = org_unit::Entity::find().all(&state.db).await?;
    Ok(Ok(plan(
        read,
        &existing,
        options.effective,
        options.whole_country,
    )))
}

/// `GET /admin/org-units/import/{id}?effective=…&whole_country=1`.
pub async fn get_units_import_preview(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(import_id): Path<i64>,
    Query(q): Query<PreviewQuery>,
) -> AppResult<Response> {
    let found = staging::own(&state.db, KIND, user.id, import_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let effective = q.effective.unwrap_or_default();
    let whole = q.whole_country.unwrap_or_default();
    let options = match Options::parse(&effective, &whole) {
        Ok(o) => o,
        Err(errors) if found.status == staging::STAGED => {
            return upload_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                errors,
                &effective,
                !whole.is_empty(),
            );
        }
        Err(_) => Options {
            effective: state.clock.today(),
            whole_country: false,
        },
    };
    if found.status == staging::COMMITTED {
        return render(&state, &page, &user, StatusCode::OK, &found, None, options);
    }
    match checked(&state, &found, options).await? {
        Ok(p) => render(
            &state,
            &page,
            &user,
            StatusCode::OK,
            &found,
            Some(&p),
            options,
        ),
        Err(e) => {
            let (status, message) = refusal(&state, &user, KIND, &e);
            upload_page(
                &state,
                &page,
                status,
                Some(message),
                FieldErrors::default(),
                &effective,
                options.whole_country,
            )
        }
    }
}

/// `POST /admin/org-units/import/{id}` (form: `effective`, `whole_country`): everything read
/// and checked again inside the transaction, then written all or nothing.
pub async fn post_units_import_commit(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(import_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let found = staging::own(&state.db, KIND, user.id, import_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let here = format!("{}/{}", KIND.base(), found.id);
    if found.status == staging::COMMITTED {
        return Ok(Redirect::to(&here).into_response());
    }
    let options = match Options::parse(form.get("effective"), form.get("whole_country")) {
        Ok(o) => o,
        Err(errors) => {
            return upload_page(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                errors,
                form.get("effective"),
                form.checked("whole_country"),
            );
        }
    };
    let here = format!("{here}?{}", options.query());
    let bytes = found.content.clone().unwrap_or_default();
    let read = match read_of(bytes).await? {
        Ok(r) => r,
        Err(e) => {
            let (status, message) = refusal(&state, &user, KIND, &e);
            return upload_page(
                &state,
                &page,
                status,
                Some(message),
                FieldErrors::default(),
                form.get("effective"),
                options.whole_country,
            );
        }
    };
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let existing = org_unit::Entity::find().all(&txn).await?;
    let p = plan(read, &existing, options.effective, options.whole_country);
    if !p.is_clean() {
        drop(txn);
        return render(
            &state,
            &page,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            &found,
            Some(&p),
            options,
        );
    }
    if p.changes() == 0 {
        drop(txn);
        return Ok(flash::redirect(
            &state.config,
            &here,
            "import.units.nothing",
        ));
    }
    let applied = super::apply(
        &txn,
        &p,
        options.effective,
        &found.file_name,
        Some(user.id),
        now,
    )
    .await;
    match applied {
        Ok(_) => {}
        // Another import wrote the same units meanwhile (a unique code): the preview, compared
        // with the units as they are now, tells what is left to do.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            drop(txn);
            return Ok(Redirect::to(&here).into_response());
        }
        Err(e) => return Err(e.into()),
    }
    if !staging::mark_applied(&txn, &found, p.changes(), now).await? {
        // Someone committed this very upload meanwhile.
        return Ok(Redirect::to(&here).into_response());
    }
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        "/admin/org-units",
        "import.units.done",
    ))
}
