//! Entering a month's figures in the browser, and reopening a locked month. The form shows the
//! support types of the law in force that month, zeros by default, and keeps what was typed
//! when a rule fails (422) or the month is locked (409).

use crate::auth::{Capability, CurrentUser};
use crate::entities::org_unit;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::support_stats::access::writable_unit;
use crate::support_stats::codes::{self, FormCodes};
use crate::support_stats::input::{self, MonthInput};
use crate::support_stats::period::YearMonth;
use crate::support_stats::service::{self, Entry, StatsError};
use crate::support_stats::views::{Wanted, audit_read, no_store};
use crate::web::forms::{FieldErrors, FormValues, RawForm};
use crate::web::query::{Query, QueryField};
use crate::web::search::{self, Choice, Picker};
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Blank lines offered for new groups of persons received, and added by "more lines".
const BLANK_LINES: usize = 3;

#[derive(Deserialize, Default)]
pub struct EntryQuery {
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    month: Option<String>,
}

/// The unit and month of an entry, from the query or the form: the user's own unit and the
/// last finished month unless said otherwise. A value that cannot be read is refused naming
/// its field (a unit id is a positive whole number; a month `yyyy-mm` or `mm/yyyy`).
fn target(
    user: &CurrentUser,
    unit: &str,
    month: &str,
    today: chrono::NaiveDate,
) -> Result<(i64, YearMonth), QueryField> {
    let unit_id = match unit.trim() {
        "" => user.org_unit_id,
        u => u
            .parse()
            .ok()
            .filter(|id: &i64| *id > 0)
            .ok_or_else(|| QueryField::wrong("unit"))?,
    };
    let m = match month.trim() {
        "" => YearMonth::of(today).prev(),
        m => YearMonth::parse(m).ok_or_else(|| QueryField::new("month", "stats.error.month"))?,
    };
    Ok((unit_id, m))
}

/// [`target`] for the hidden fields of a posted form: a tampered form is a bad request with
/// the field's own message (the refusal of a query names "the address").
fn form_target(
    user: &CurrentUser,
    form: &RawForm,
    today: chrono::NaiveDate,
) -> AppResult<(i64, YearMonth)> {
    target(user, form.get("unit"), form.get("month"), today).map_err(|f| match f.field.as_str() {
        "month" => AppError::BadRequest("stats.error.month"),
        _ => AppError::BadRequest("stats.error.selection"),
    })
}

struct Shown<'a> {
    unit: &'a org_unit::Model,
    month: YearMonth,
    codes: &'a FormCodes,
    values: BTreeMap<String, String>,
    lines: usize,
    typed: &'a MonthInput,
    locked: Option<chrono::DateTime<chrono::Utc>>,
    /// The month has a saved row (the one-tap "no case" is offered only before that).
    entered: bool,
    errors: FieldErrors,
}

async fn render(
    state: &AppState,
    page: &Page,
    user: &CurrentUser,
    status: StatusCode,
    s: Shown<'_>,
) -> AppResult<Response> {
    // The compiling office picks among the units in its scope; a commune officer has one.
    let units = Picker::new(
        entry_choices(state, user, s.month, Some(s.unit.id)).await?,
        &s.unit.id.to_string(),
    );
    let today = state.clock.today();
    let shown = page.render_status(
        state,
        status,
        "stats/entry.html",
        context! {
            unit => s.unit, units => units, month => s.month, month_label => s.month.label(),
            prev => s.month.prev(), next => s.month.next(), prev_label => s.month.prev().label(),
            next_label => s.month.next().label(), future => s.month.first_day() > today,
            codes => s.codes, legal_bases => s.codes.legal_bases(),
            values => Value::from_object(FormValues(s.values)), lines => (0..s.lines).collect::<Vec<_>>(),
            line_count => s.lines, received_total => s.typed.received_total(),
            cap => s.typed.received_total() + s.typed.carried_over,
            support_total => s.typed.support.values().sum::<i64>(),
            referral_total => s.typed.referrals.values().sum::<i64>(),
            locked => s.locked, entered => s.entered, can_reopen => user.can(Capability::ReopenStats), errors => s.errors,
        },
    )?;
    Ok(no_store(shown))
}

/// The units whose figures the user may enter for `month`: the units of the scope in force
/// that month (and the one shown), in tree order.
async fn entry_choices(
    state: &AppState,
    user: &CurrentUser,
    month: YearMonth,
    shown: Option<i64>,
) -> AppResult<Vec<Choice>> {
    let scope = user.scope(state).await?;
    Ok(
        crate::org_units::listing::unit_choices(&state.db, Some(&scope), month.first_day(), |r| {
            r.current || Some(r.unit.id) == shown
        })
        .await?,
    )
}

pub async fn get_entry(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Query(q): Query<EntryQuery>,
) -> AppResult<Response> {
    let today = state.clock.today();
    let typed = q.unit.as_deref().unwrap_or("").trim();
    // Words typed in the unit picker name one unit of the scope, or the chooser comes back
    // with the message at the field (422) and the matching units as suggestions.
    let unit_raw = if typed.is_empty() || typed.parse::<i64>().is_ok() {
        typed.to_owned()
    } else {
        let (_, m) = target(&user, "", q.month.as_deref().unwrap_or(""), today)?;
        let choices = entry_choices(&state, &user, m, None).await?;
        let mut errors = FieldErrors::default();
        match search::resolve_field(&choices, typed, "unit", false, &mut errors) {
            Some(id) => id.to_string(),
            None => {
                let shown = page.render_status(
                    &state,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "stats/entry_pick.html",
                    context! {
                        units => Picker::new(choices, typed), month => m, errors => errors,
                    },
                )?;
                return Ok(no_store(shown));
            }
        }
    };
    let (unit_id, m) = target(&user, &unit_raw, q.month.as_deref().unwrap_or(""), today)?;
    let (unit, _) = writable_unit(&state, &user, unit_id).await?;
    let row = service::month_row(&state.db, unit_id, m).await?;
    let stored = match &row {
        Some(r) => service::load(&state.db, r).await?,
        None => MonthInput::default(),
    };
    let codes = codes::form_codes(&state.db, m, &stored).await?;
    // The form shows the month's exact figures: a view like any other.
    let w = Wanted {
        unit_id,
        from: m,
        to: m,
        requested: None,
    };
    audit_read(
        &state.db,
        &user,
        "support_stats:view",
        "entry",
        &w,
        true,
        state.clock.now(),
    )
    .await?;
    let lines = stored.received.len() + BLANK_LINES;
    let s = Shown {
        unit: &unit,
        month: m,
        codes: &codes,
        values: input::values_of(&stored, lines),
        lines,
        typed: &stored,
        entered: row.is_some(),
        locked: row.and_then(|r| r.locked_at),
        errors: FieldErrors::default(),
    };
    render(&state, &page, &user, StatusCode::OK, s).await
}

pub async fn post_entry(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let today = state.clock.today();
    let (unit_id, m) = form_target(&user, &form, today)?;
    let (unit, _) = writable_unit(&state, &user, unit_id).await?;
    let row = service::month_row(&state.db, unit_id, m).await?;
    let stored = match &row {
        Some(r) => service::load(&state.db, r).await?,
        None => MonthInput::default(),
    };
    let codes = codes::form_codes(&state.db, m, &stored).await?;
    let mut errors = FieldErrors::default();
    // "No case this month" in one tap: every figure of the month is zero, whatever else came.
    let typed = if form.checked("no_case") {
        MonthInput::default()
    } else {
        input::from_form(&form, &codes.choices(), &mut errors)
    };
    // Every message at once: the rules run on what could be read, even if a field failed.
    input::check(&typed, &mut errors);
    let lines = input::line_count(&form).max(1);
    let locked = row.as_ref().and_then(|r| r.locked_at);
    let entered = row.is_some();
    let shown = |values, lines, errors| Shown {
        unit: &unit,
        month: m,
        codes: &codes,
        values,
        lines,
        typed: &typed,
        locked,
        entered,
        errors,
    };
    // "More lines" shows the form again with what was typed and room for more groups.
    if !form.get("add_lines").is_empty() {
        let more = (lines + BLANK_LINES).min(input::MAX_LINES);
        let mut values = form.values();
        values.insert("lines".into(), more.to_string());
        let s = shown(values, more, FieldErrors::default());
        return render(&state, &page, &user, StatusCode::OK, s).await;
    }
    let result = if errors.is_empty() {
        let entry = Entry {
            user: &user,
            unit_id,
            month: m,
            today,
            now: state.clock.now(),
        };
        service::save(&state.db, &entry, &codes, &typed).await
    } else {
        Err(StatsError::Invalid(errors))
    };
    match result {
        Ok(_) => Ok(flash::redirect(
            &state.config,
            &format!("/stats/entry?unit={unit_id}&month={}", m.iso()),
            "flash.saved",
        )),
        Err(StatsError::Invalid(errors)) => {
            let s = shown(form.values(), lines, errors);
            render(&state, &page, &user, StatusCode::UNPROCESSABLE_ENTITY, s).await
        }
        Err(StatsError::Locked) => {
            let mut errors = FieldErrors::default();
            errors.add("month", "stats.error.locked");
            let s = Shown {
                locked: locked.or(Some(state.clock.now())),
                ..shown(form.values(), lines, errors)
            };
            render(&state, &page, &user, StatusCode::CONFLICT, s).await
        }
        Err(StatsError::Db(e)) => Err(e.into()),
    }
}

/// Reopens a locked month (the compiling office), with a reason kept in the audit log.
pub async fn post_reopen(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let today = state.clock.today();
    let (unit_id, m) = form_target(&user, &form, today)?;
    let (unit, _) = writable_unit(&state, &user, unit_id).await?;
    let now = state.clock.now();
    match service::reopen_month(&state.db, &user, unit_id, m, form.get("reason"), now).await {
        Ok(()) => Ok(flash::redirect(
            &state.config,
            &format!("/stats/entry?unit={unit_id}&month={}", m.iso()),
            "flash.reopened",
        )),
        Err(StatsError::Invalid(errors)) => {
            let row = service::month_row(&state.db, unit_id, m).await?;
            let stored = match &row {
                Some(r) => service::load(&state.db, r).await?,
                None => MonthInput::default(),
            };
            let codes = codes::form_codes(&state.db, m, &stored).await?;
            let lines = stored.received.len() + BLANK_LINES;
            let mut values = input::values_of(&stored, lines);
            values.insert("reason".into(), form.get("reason").to_owned());
            let s = Shown {
                unit: &unit,
                month: m,
                codes: &codes,
                values,
                lines,
                typed: &stored,
                entered: row.is_some(),
                locked: row.and_then(|r| r.locked_at),
                errors,
            };
            render(&state, &page, &user, StatusCode::UNPROCESSABLE_ENTITY, s).await
        }
        Err(StatsError::Locked) => Err(AppError::Conflict),
        Err(StatsError::Db(e)) => Err(e.into()),
    }
}
