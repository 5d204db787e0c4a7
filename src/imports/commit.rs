//! The commit: the staged bytes parsed and checked once more (nothing from the browser is
//! trusted), then written all or nothing in one transaction with the audit rows and the
//! fingerprints that keep a file from being imported twice.

use super::check::{Checked, checked_import, internal, refusal};
use super::handlers::upload_page;
use super::preview::{Preview, render_preview};
use super::read::Table;
use super::staging::{self, Kind};
use super::{Problem, activities, stats};
use crate::activities::edit::Writer;
use crate::audit;
use crate::auth::CurrentUser;
use crate::entities::import;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{Page, flash};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, SqlErr, TransactionTrait};
use serde_json::json;

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
        Kind::Stats | Kind::Units | Kind::People => None,
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
                .map_err(|e| match e {
                    // A lost database stays a 503.
                    crate::activities::service::ActivityError::Db(d) => AppError::from(d),
                    e => internal(e),
                })?
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
                Kind::Units => "org_unit:import",
                Kind::People => "user:import",
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
                Kind::Units | Kind::People => {
                    return Err(internal("committed by imports::units or rollout::people"));
                }
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
