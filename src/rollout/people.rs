//! `/rollout/people`: accounts from a spreadsheet (XLSX or CSV) — email, full name, role, and
//! the unit or agency by code or name (accents and case ignored; a phone column is ignored,
//! never stored). Read, staged and previewed through the imports' machinery, every problem at
//! its row and column; committed all or nothing, each new account with no usable password and
//! an invitation email (`super::invite`). The same file is imported once; an email already in
//! use is a problem of its row.

use super::invite;
use crate::audit;
use crate::auth::{CurrentUser, Role};
use crate::entities::{agency, import, org_unit, user};
use crate::error::{AppError, AppResult};
use crate::imports::check::{already, internal, problem_text, refusal};
use crate::imports::handlers::read_upload_with;
use crate::imports::read::{self, ColumnSpec, FileError, Table, Value};
use crate::imports::staging::{self, Kind};
use crate::imports::{Names, Problem, sha256_hex, text, unit_names};
use crate::org_units::scope::Scope;
use crate::state::AppState;
use crate::web::i18n::Locale;
use crate::web::{Page, flash};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde::Serialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};

const KIND: Kind = Kind::People;
/// Rows listed on the preview; the rest are counted.
const MAX_LISTED: usize = 500;

pub const SPEC: &[ColumnSpec] = &[
    ColumnSpec::required("email"),
    ColumnSpec::required("full_name"),
    ColumnSpec::required("role"),
    ColumnSpec::optional("unit"),
    ColumnSpec::optional("agency"),
];

/// The headers a column may carry, besides its key (compared folded).
pub fn headers(key: &str) -> Vec<String> {
    let h: &[&str] = match key {
        "email" => &["Email", "Thư điện tử", "E-mail", "Địa chỉ email"],
        "full_name" => &["Họ và tên", "Họ tên", "Full name", "Name"],
        "role" => &["Vai trò", "Role"],
        "unit" => &["Đơn vị", "Xã/phường", "Unit"],
        "agency" => &["Cơ quan", "Agency"],
        _ => &[],
    };
    h.iter().map(|s| (*s).to_owned()).collect()
}

/// One account to create.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub row: usize,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub agency_id: i64,
    pub agency: String,
    pub unit: String,
    pub unit_id: i64,
}

/// The file checked: the accounts, and every problem.
#[derive(Debug, Default)]
pub struct Outcome {
    pub rows: Vec<Row>,
    pub problems: Vec<Problem>,
}

impl Outcome {
    /// The accounts as read, whatever the file's layout.
    pub fn fingerprint(&self) -> String {
        let canonical: String = self
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{}|{}|{}|{}\n",
                    r.email,
                    r.display_name,
                    r.role.code(),
                    r.agency_id
                )
            })
            .collect();
        sha256_hex(canonical.as_bytes())
    }
}

/// What a cell may name.
pub struct Lookups {
    roles: HashMap<String, Role>,
    units: Names,
    unit_rows: HashMap<i64, org_unit::Model>,
    agencies: Names,
    agency_rows: HashMap<i64, agency::Model>,
    emails: HashSet<String>,
}

impl Lookups {
    pub async fn load(state: &AppState) -> AppResult<Lookups> {
        let mut roles = HashMap::new();
        for r in Role::ALL {
            roles.insert(crate::text::fold(r.code()), r);
            for l in [Locale::Vi, Locale::En] {
                roles.insert(
                    crate::text::fold(state.i18n.t(l, &format!("role.{}", r.code()))),
                    r,
                );
            }
        }
        let units: Vec<org_unit::Model> = org_unit::Entity::find()
            .filter(org_unit::Column::ValidTo.is_null())
            .all(&state.db)
            .await?;
        let agencies = agency::Entity::find()
            .filter(agency::Column::Active.eq(true))
            .all(&state.db)
            .await?;
        let mut agency_names = Names::default();
        for a in &agencies {
            agency_names.add(&a.code, a.id);
            agency_names.add(&a.name, a.id);
        }
        let emails: Vec<String> = user::Entity::find()
            .all(&state.db)
            .await?
            .into_iter()
            .map(|u| u.email)
            .collect();
        Ok(Lookups {
            roles,
            units: unit_names(&units),
            unit_rows: units.into_iter().map(|u| (u.id, u)).collect(),
            agencies: agency_names,
            agency_rows: agencies.into_iter().map(|a| (a.id, a)).collect(),
            emails: emails.into_iter().collect(),
        })
    }
}

/// Who imports: their role (only an administrator creates administrators) and scope.
pub struct Importer<'a> {
    pub role: Role,
    pub scope: &'a Scope,
}

fn cell(cells: &[Value], i: usize) -> String {
    cells.get(i).and_then(text).unwrap_or_default()
}

/// The unit a cell names, if exactly one.
fn one_unit(lk: &Lookups, row: usize, raw: &str, problems: &mut Vec<Problem>) -> Option<i64> {
    match lk.units.find(raw) {
        [id] => Some(*id),
        [] => {
            problems.push(Problem::at(row, "unit", "rollout.people.error.unit").with("value", raw));
            None
        }
        _ => {
            problems.push(
                Problem::at(row, "unit", "rollout.people.error.unit_ambiguous").with("value", raw),
            );
            None
        }
    }
}

/// The agency a row names: by code or name (within the unit, if one is named), or the
/// unit's People's Committee when only the unit is named.
fn agency_of(
    lk: &Lookups,
    row: usize,
    unit: Option<i64>,
    raw: &str,
    problems: &mut Vec<Problem>,
) -> Option<i64> {
    if raw.is_empty() {
        let unit = unit?;
        let committee = lk
            .agency_rows
            .values()
            .filter(|a| a.org_unit_id == unit && a.kind == "people_committee")
            .map(|a| a.id)
            .min();
        if committee.is_none() {
            problems.push(Problem::at(
                row,
                "unit",
                "rollout.people.error.no_committee",
            ));
        }
        return committee;
    }
    let found: Vec<i64> = lk
        .agencies
        .find(raw)
        .iter()
        .copied()
        .filter(|id| {
            unit.is_none_or(|u| lk.agency_rows.get(id).is_some_and(|a| a.org_unit_id == u))
        })
        .collect();
    match found.as_slice() {
        [id] => Some(*id),
        [] => {
            problems
                .push(Problem::at(row, "agency", "rollout.people.error.agency").with("value", raw));
            None
        }
        _ => {
            problems.push(
                Problem::at(row, "agency", "rollout.people.error.agency_ambiguous")
                    .with("value", raw),
            );
            None
        }
    }
}

/// Checks every row; an account is kept only when its row has no problem.
pub fn check_rows(table: &Table, lk: &Lookups, who: &Importer<'_>) -> Outcome {
    let mut out = Outcome::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row, cells) in &table.rows {
        let row = *row;
        let before = out.problems.len();
        let raw_email = cell(cells, 0);
        let email = crate::auth::users::normalize_email(&raw_email);
        if email.is_empty() {
            out.problems
                .push(Problem::at(row, "email", "form.required"));
        } else if !crate::auth::users::valid_email(&email) {
            out.problems.push(
                Problem::at(row, "email", "rollout.people.error.email").with("value", raw_email),
            );
        } else if let Some(first) = seen.get(&email) {
            out.problems.push(
                Problem::at(row, "email", "rollout.people.error.duplicate")
                    .with("value", email.clone())
                    .with("first", first.to_string()),
            );
        } else if lk.emails.contains(&email) {
            out.problems.push(
                Problem::at(row, "email", "rollout.people.error.taken")
                    .with("value", email.clone()),
            );
        }
        if !email.is_empty() {
            seen.entry(email.clone()).or_insert(row);
        }
        let name = cell(cells, 1);
        if name.is_empty() {
            out.problems
                .push(Problem::at(row, "full_name", "form.required"));
        } else if name.chars().count() > 120 {
            out.problems.push(Problem::at(
                row,
                "full_name",
                "rollout.people.error.too_long",
            ));
        } else if crate::text::contains_personal_number(&name) {
            out.problems.push(Problem::at(
                row,
                "full_name",
                "activity.error.personal_data",
            ));
        }
        let raw_role = cell(cells, 2);
        let role = if raw_role.is_empty() {
            out.problems.push(Problem::at(row, "role", "form.required"));
            None
        } else {
            match lk.roles.get(&crate::text::fold(&raw_role)) {
                None => {
                    out.problems.push(
                        Problem::at(row, "role", "rollout.people.error.role")
                            .with("value", raw_role),
                    );
                    None
                }
                Some(Role::Admin) if who.role != Role::Admin => {
                    out.problems.push(
                        Problem::at(row, "role", "rollout.people.error.role_forbidden")
                            .with("value", raw_role),
                    );
                    None
                }
                Some(r) => Some(*r),
            }
        };
        let raw_unit = cell(cells, 3);
        let raw_agency = cell(cells, 4);
        let unit = if raw_unit.is_empty() {
            None
        } else {
            one_unit(lk, row, &raw_unit, &mut out.problems)
        };
        let agency_id = if raw_unit.is_empty() && raw_agency.is_empty() {
            out.problems
                .push(Problem::at(row, "agency", "rollout.people.error.where"));
            None
        } else if !raw_unit.is_empty() && unit.is_none() {
            None
        } else {
            agency_of(lk, row, unit, &raw_agency, &mut out.problems)
        };
        let agency = agency_id.and_then(|id| lk.agency_rows.get(&id));
        if let Some(a) = agency
            && !who.scope.contains(a.org_unit_id)
        {
            let column = if raw_agency.is_empty() {
                "unit"
            } else {
                "agency"
            };
            out.problems.push(
                Problem::at(row, column, "rollout.people.error.scope")
                    .with("value", a.name.clone()),
            );
            continue;
        }
        if out.problems.len() > before {
            continue;
        }
        let (Some(role), Some(a)) = (role, agency) else {
            continue;
        };
        out.rows.push(Row {
            row,
            email,
            display_name: name,
            role,
            agency_id: a.id,
            agency: a.name.clone(),
            unit: lk
                .unit_rows
                .get(&a.org_unit_id)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            unit_id: a.org_unit_id,
        });
    }
    out
}

/// Reads a file into the import's columns, off the async threads.
async fn table_of(bytes: Vec<u8>) -> AppResult<Result<Table, FileError>> {
    tokio::task::spawn_blocking(move || {
        let grid = read::grid(&bytes)?;
        read::table(grid, SPEC, headers)
    })
    .await
    .map_err(internal)
}

/// Reads and checks a file against the database as it is now.
async fn check(
    state: &AppState,
    user: &CurrentUser,
    bytes: Vec<u8>,
) -> AppResult<Result<(Outcome, usize), FileError>> {
    let table = match table_of(bytes).await? {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let scope = super::scope(state, user).await?;
    let lk = Lookups::load(state).await?;
    let out = check_rows(
        &table,
        &lk,
        &Importer {
            role: user.role,
            scope: &scope,
        },
    );
    Ok(Ok((out, table.rows.len())))
}

fn upload_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    error: Option<String>,
) -> AppResult<Response> {
    page.render_status(
        state,
        status,
        "rollout/people_upload.html",
        context! {
            error => error, max_mb => read::MAX_BYTES / (1024 * 1024),
            max_rows => crate::web::format::number(i64::try_from(read::MAX_ROWS).unwrap_or(0)),
            days => invite::VALIDITY.num_days(),
        },
    )
}

/// `GET /rollout/people`.
pub async fn get_people(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    upload_page(&state, &page, StatusCode::OK, None)
}

/// `POST /rollout/people` (multipart: `file`).
pub async fn post_people(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let (name, bytes) = match read_upload_with(multipart, &[]).await {
        Ok((name, bytes, _)) => (name, bytes),
        Err(e) => {
            let (status, message) = refusal(&state, &user, KIND, &e);
            return upload_page(&state, &page, status, Some(message));
        }
    };
    let sha = sha256_hex(&bytes);
    if let Some(earlier) = staging::committed_file(&state.db, KIND, &sha).await? {
        let message = already(&state, &user, &earlier).await?;
        return upload_page(&state, &page, StatusCode::CONFLICT, Some(message));
    }
    if let Err(e) = table_of(bytes.clone()).await? {
        let (status, message) = refusal(&state, &user, KIND, &e);
        return upload_page(&state, &page, status, Some(message));
    }
    let now = state.clock.now();
    let size = bytes.len();
    let txn = state.db.begin().await?;
    let staged = staging::stage(&txn, KIND, &user, &name, bytes, now).await?;
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(user.id),
            action: "user:import_upload",
            object_type: "import",
            object_id: Some(staged.id),
            org_unit_id: Some(user.org_unit_id),
            change: json!({ "file_name": staged.file_name, "size": size, "sha256": sha }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("{}/{}", KIND.base(), staged.id)).into_response())
}

#[allow(clippy::too_many_arguments)]
fn render(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    status: StatusCode,
    found: &import::Model,
    checked: Option<(&Outcome, usize)>,
    blocked: Option<String>,
) -> AppResult<Response> {
    let (problems, rows, total, problem_count, valid) = match checked {
        Some((o, total)) => (
            o.problems
                .iter()
                .take(MAX_LISTED)
                .map(|p| problem_text(state, user, KIND, p))
                .collect::<Vec<_>>(),
            o.rows.iter().take(MAX_LISTED).collect::<Vec<_>>(),
            total,
            o.problems.len(),
            o.rows.len(),
        ),
        None => (Vec::new(), Vec::new(), 0, 0, 0),
    };
    let can_commit = found.status == staging::STAGED
        && blocked.is_none()
        && checked.is_some_and(|(o, _)| o.problems.is_empty() && !o.rows.is_empty());
    page.render_status(
        state,
        status,
        "rollout/people_preview.html",
        context! {
            import => found, committed => found.status == staging::COMMITTED,
            problems => problems, problem_count => problem_count,
            more_problems => problem_count.saturating_sub(MAX_LISTED),
            rows => rows, more_rows => valid.saturating_sub(MAX_LISTED),
            total => total, valid => valid, blocked => blocked, can_commit => can_commit,
            days => invite::VALIDITY.num_days(),
        },
    )
}

/// The same rows imported already, if so: "imported on … by …".
async fn blocked_by(
    state: &AppState,
    user: &CurrentUser,
    o: &Outcome,
    staged: &import::Model,
) -> AppResult<Option<String>> {
    if let Some(earlier) = staging::committed_file(&state.db, KIND, &staged.file_sha256).await? {
        return Ok(Some(already(state, user, &earlier).await?));
    }
    if o.problems.is_empty()
        && let Some(earlier) = staging::committed_content(&state.db, KIND, &o.fingerprint()).await?
    {
        return Ok(Some(already(state, user, &earlier).await?));
    }
    Ok(None)
}

/// `GET /rollout/people/{import_id}`: the preview, every problem at its row and column.
pub async fn get_people_preview(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(import_id): Path<i64>,
) -> AppResult<Response> {
    let found = staging::own(&state.db, KIND, user.id, import_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.status == staging::COMMITTED {
        return render(&state, &page, &user, StatusCode::OK, &found, None, None);
    }
    match check(&state, &user, found.content.clone().unwrap_or_default()).await? {
        Ok((o, total)) => {
            let blocked = blocked_by(&state, &user, &o, &found).await?;
            let status = if o.problems.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            render(
                &state,
                &page,
                &user,
                status,
                &found,
                Some((&o, total)),
                blocked,
            )
        }
        Err(e) => {
            let (status, message) = refusal(&state, &user, KIND, &e);
            upload_page(&state, &page, status, Some(message))
        }
    }
}

/// `POST /rollout/people/{import_id}`: checked again, then every account, its invitation and
/// email and the audit rows written in one transaction.
pub async fn post_people_commit(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Path(import_id): Path<i64>,
) -> AppResult<Response> {
    let found = staging::own(&state.db, KIND, user.id, import_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let here = format!("{}/{}", KIND.base(), found.id);
    if found.status == staging::COMMITTED {
        return Ok(Redirect::to(&here).into_response());
    }
    let (o, total) = match check(&state, &user, found.content.clone().unwrap_or_default()).await? {
        Ok(c) => c,
        Err(e) => {
            let (status, message) = refusal(&state, &user, KIND, &e);
            return upload_page(&state, &page, status, Some(message));
        }
    };
    if !o.problems.is_empty() || o.rows.is_empty() {
        return render(
            &state,
            &page,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            &found,
            Some((&o, total)),
            None,
        );
    }
    if let Some(blocked) = blocked_by(&state, &user, &o, &found).await? {
        return render(
            &state,
            &page,
            &user,
            StatusCode::CONFLICT,
            &found,
            Some((&o, total)),
            Some(blocked),
        );
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    for r in &o.rows {
        let created = user::ActiveModel {
            email: Set(r.email.clone()),
            display_name: Set(r.display_name.clone()),
            password_hash: Set(invite::NO_PASSWORD.to_owned()),
            role: Set(r.role.code().to_owned()),
            agency_id: Set(r.agency_id),
            locale: Set(Locale::Vi.code().to_owned()),
            active: Set(true),
            password_changed_at: Set(now),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        let created = match created {
            Ok(c) => c,
            // Someone took the address meanwhile: the preview, checked again, says which.
            Err(e)
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                drop(txn);
                return Ok(Redirect::to(&here).into_response());
            }
            Err(e) => return Err(e.into()),
        };
        audit::record(
            &txn,
            now,
            audit::Event {
                user_id: Some(user.id),
                action: "user:create",
                object_type: "user",
                object_id: Some(created.id),
                org_unit_id: Some(r.unit_id),
                change: json!({ "email": created.email, "role": created.role, "agency_id": r.agency_id, "import_id": found.id }),
            },
        )
        .await?;
        invite::send(&txn, &created, Some(user.id), now).await?;
    }
    if !staging::mark_committed(&txn, KIND, &found, &o.fingerprint(), o.rows.len(), now).await? {
        return Ok(Redirect::to(&here).into_response());
    }
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(user.id),
            action: "user:import",
            object_type: "import",
            object_id: Some(found.id),
            org_unit_id: Some(user.org_unit_id),
            change: json!({ "file_name": found.file_name, "accounts": o.rows.len() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(flash::redirect(&state.config, &here, "rollout.people.done"))
}

/// `GET /rollout/people/template.xlsx`: the columns, with drop-downs of the roles the user
/// may give and the units and agencies of their scope.
pub async fn get_people_template(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Response> {
    use crate::imports::template::{List, Template, build};
    use crate::spreadsheets::sheet::Column;
    let l = user.locale;
    let scope = super::scope(&state, &user).await?;
    let units: Vec<String> = org_unit::Entity::find()
        .filter(org_unit::Column::ValidTo.is_null())
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|u| scope.contains(u.id))
        .map(|u| u.name)
        .collect();
    let agencies: Vec<String> = agency::Entity::find()
        .filter(agency::Column::Active.eq(true))
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|a| scope.contains(a.org_unit_id))
        .map(|a| a.name)
        .collect();
    let roles: Vec<String> = Role::ALL
        .iter()
        .filter(|r| user.role == Role::Admin || **r != Role::Admin)
        .map(|r| state.i18n.t(l, &format!("role.{}", r.code())).to_owned())
        .collect();
    let header = |k: &str| {
        state
            .i18n
            .t(l, &format!("rollout.people.column.{k}"))
            .to_owned()
    };
    let t = Template {
        sheet: state.i18n.t(l, "rollout.people.sheet").to_owned(),
        title: state.i18n.t(l, "rollout.people.template_title").to_owned(),
        columns: SPEC
            .iter()
            .map(|c| Column {
                header: header(c.key),
                width: if c.key == "role" { 18.0 } else { 34.0 },
            })
            .collect(),
        lists: vec![
            List {
                column: 2,
                header: header("role"),
                choices: roles,
                open: false,
            },
            List {
                column: 3,
                header: header("unit"),
                choices: units,
                open: true,
            },
            List {
                column: 4,
                header: header("agency"),
                choices: agencies,
                open: true,
            },
        ],
        lists_sheet: state.i18n.t(l, "import.template.lists").to_owned(),
        dates: Vec::new(),
        counts: Vec::new(),
        texts: vec![0, 1, 3, 4],
    };
    let bytes = tokio::task::spawn_blocking(move || build(&t))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    Ok(crate::spreadsheets::attachment(
        crate::spreadsheets::XLSX,
        "mau-nhap-tai-khoan.xlsx",
        axum::body::Body::from(bytes),
    ))
}
