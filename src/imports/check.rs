//! Reading and checking an upload, the same for both kinds: the file into the import's columns
//! (off the async threads), then every row against the database (looked up through the pool,
//! before any transaction), and the messages a user reads about it.

use super::read::{self, FileError, Table};
use super::staging::{self, Kind};
use super::{Problem, activities, stats};
use crate::activities::edit::Writer;
use crate::auth::CurrentUser;
use crate::entities::{import, user};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::http::StatusCode;
use sea_orm::EntityTrait;

pub(crate) fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("import: {e}"))
}

/// The header of a column, in the user's language.
pub(crate) fn header(state: &AppState, user: &CurrentUser, kind: Kind, key: &str) -> String {
    let k = match kind {
        Kind::Activities => format!("sheet.activity.{key}"),
        Kind::Stats => format!("import.stats.column.{key}"),
        Kind::Units => format!("import.units.column.{key}"),
        Kind::People => format!("rollout.people.column.{key}"),
    };
    state.i18n.t(user.locale, &k).to_owned()
}

/// Every header a column may carry: both languages.
pub(crate) fn headers(state: &AppState, kind: Kind, key: &str) -> Vec<String> {
    use crate::web::i18n::Locale;
    let k = match kind {
        Kind::Activities => format!("sheet.activity.{key}"),
        Kind::Stats => format!("import.stats.column.{key}"),
        Kind::Units => format!("import.units.column.{key}"),
        Kind::People => format!("rollout.people.column.{key}"),
    };
    [Locale::Vi, Locale::En]
        .iter()
        .map(|l| state.i18n.t(*l, &k).to_owned())
        .collect()
}

pub(super) fn spec(kind: Kind) -> &'static [read::ColumnSpec] {
    match kind {
        Kind::Activities => activities::SPEC,
        Kind::Stats => stats::SPEC,
        // Read by `units::read_units`, which knows both layouts.
        Kind::Units => &[],
        Kind::People => crate::rollout::people::SPEC,
    }
}

/// Reads a file into the import's columns, off the async threads.
pub(super) async fn table_of(
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
pub(crate) fn refusal(
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
pub(crate) fn problem_text(
    state: &AppState,
    user: &CurrentUser,
    kind: Kind,
    p: &Problem,
) -> String {
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
pub(super) enum Checked {
    Activities(activities::Outcome, Box<activities::Lookups>),
    Stats(stats::Outcome, Box<stats::Lookups>),
}

impl Checked {
    pub(super) fn problems(&self) -> &[Problem] {
        match self {
            Checked::Activities(o, _) => &o.problems,
            Checked::Stats(o, _) => &o.problems,
        }
    }

    pub(super) fn fingerprint(&self) -> String {
        match self {
            Checked::Activities(o, _) => o.fingerprint(),
            Checked::Stats(o, _) => o.fingerprint(),
        }
    }

    pub(super) fn row_count(&self) -> usize {
        match self {
            Checked::Activities(o, _) => o.rows.len(),
            Checked::Stats(o, _) => o.rows.len(),
        }
    }
}

/// Reads and checks a file; everything is looked up through the pool, before any transaction.
pub(super) async fn check(
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
        Kind::Units => return Err(internal("the unit list is checked by imports::units")),
        Kind::People => return Err(internal("accounts are checked by rollout::people")),
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

/// "Already imported on … by …".
pub(crate) async fn already(
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

/// Checks a staged import and says whether it may be committed: its problems, or the same
/// rows already imported.
pub(super) async fn checked_import(
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
