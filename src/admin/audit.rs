//! `/admin/audit`: the audit log, read — filtered by user, object type, action and dates, newest
//! first, a page at a time, and exported as CSV or XLSX (each export itself audited).
//!
//! Administrators see every event. Leaders see the events recorded against an org unit in their
//! scope, and none of the events without one: those are the system's own business (code lists,
//! the email outbox, passwords and API tokens), not the work of a unit.
//!
//! The page shows what the rows hold and nothing more; the change is JSON, shown escaped.

use crate::auth::CurrentUser;
use crate::auth::users::normalize_email;
use crate::entities::audit_event::{self, Column, Entity};
use crate::entities::{org_unit, user};
use crate::error::{AppError, AppResult};
use crate::org_units::scope::Scope;
use crate::spreadsheets::audit_export;
use crate::spreadsheets::sheet::{Cell, Column as SheetColumn};
use crate::spreadsheets::tables::{Kind, Table, respond};
use crate::state::{AppState, VN_OFFSET};
use crate::web::Page;
use crate::web::format::{datetime, parse_date};
use crate::web::query::{Query, QueryField};
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use minijinja::context;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;

/// Events per page.
pub const PAGE_SIZE: u64 = 50;
/// The most events one export holds (newest first); narrow the filter for older ones.
pub const EXPORT_LIMIT: u64 = 10_000;

/// The filter as typed: every field optional, all text, checked by [`AuditQuery::parse`].
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct AuditQuery {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    object_type: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    /// Keyset cursor: events older than this id.
    #[serde(default)]
    before: Option<String>,
}

/// A checked filter.
struct Filter {
    user: Option<user::Model>,
    object_type: Option<String>,
    action: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    before: Option<i64>,
}

fn given(s: Option<&String>) -> Option<&str> {
    s.map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// Object types and actions are codes: `activity`, `plan:issue`.
fn code_like(s: &str, colon: bool) -> bool {
    s.len() <= 64
        && s.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || (colon && c == ':')
        })
}

/// A refused filter, naming its field with its own message.
fn refused(field: &str, key: &'static str) -> AppError {
    AppError::Query(QueryField::new(field, key))
}

/// An object type or action: a code, and one the log of this scope holds (the choices the
/// page offers); a code it does not hold is refused rather than listing nothing.
async fn code(
    db: &impl ConnectionTrait,
    scope: &Scope,
    s: Option<&String>,
    column: Column,
    field: &str,
    error: &'static str,
) -> AppResult<Option<String>> {
    let Some(s) = given(s) else {
        return Ok(None);
    };
    if !code_like(s, matches!(column, Column::Action)) {
        return Err(refused(field, error));
    }
    let held = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(visible(scope))
        .filter(column.eq(s))
        .into_tuple::<i64>()
        .one(db)
        .await?;
    match held {
        Some(_) => Ok(Some(s.to_owned())),
        None => Err(refused(field, error)),
    }
}

impl AuditQuery {
    async fn parse(&self, db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Filter> {
        let user = match given(self.user.as_ref()) {
            None => None,
            Some(u) => {
                let found = match u.parse::<i64>() {
                    Ok(id) => user::Entity::find_by_id(id).one(db).await?,
                    Err(_) => {
                        user::Entity::find()
                            .filter(user::Column::Email.eq(normalize_email(u)))
                            .one(db)
                            .await?
                    }
                };
                Some(found.ok_or_else(|| refused("user", "admin.audit.error.user"))?)
            }
        };
        let date = |s: Option<&String>, field: &str| {
            given(s)
                .map(|s| parse_date(s).ok_or_else(|| refused(field, "admin.audit.error.date")))
                .transpose()
        };
        let from = date(self.from.as_ref(), "from")?;
        let to = date(self.to.as_ref(), "to")?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(refused("to", "admin.audit.error.range"));
        }
        let before = given(self.before.as_ref())
            .map(|s| {
                s.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| refused("before", "admin.audit.error.page"))
            })
            .transpose()?;
        Ok(Filter {
            user,
            object_type: code(
                db,
                scope,
                self.object_type.as_ref(),
                Column::ObjectType,
                "object_type",
                "admin.audit.error.object_type",
            )
            .await?,
            action: code(
                db,
                scope,
                self.action.as_ref(),
                Column::Action,
                "action",
                "admin.audit.error.action",
            )
            .await?,
            from,
            to,
            before,
        })
    }
}

/// The first instant of a day in Vietnam.
fn start_of(d: NaiveDate) -> DateTime<Utc> {
    VN_OFFSET
        .from_local_datetime(&d.and_time(NaiveTime::MIN))
        .single()
        .map_or_else(
            || d.and_time(NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

/// What the caller may see: everything (administrator), or the events of the units in scope.
fn visible(scope: &Scope) -> Condition {
    if scope.all {
        Condition::all()
    } else {
        Condition::all().add(Column::OrgUnitId.is_in(scope.ids()))
    }
}

impl Filter {
    fn condition(&self, scope: &Scope) -> Condition {
        let mut c = visible(scope);
        if let Some(u) = &self.user {
            c = c.add(Column::UserId.eq(u.id));
        }
        if let Some(t) = &self.object_type {
            c = c.add(Column::ObjectType.eq(t.as_str()));
        }
        if let Some(a) = &self.action {
            c = c.add(Column::Action.eq(a.as_str()));
        }
        if let Some(f) = self.from {
            c = c.add(Column::CreatedAt.gte(start_of(f)));
        }
        if let Some(t) = self.to.and_then(|t| t.succ_opt()) {
            c = c.add(Column::CreatedAt.lt(start_of(t)));
        }
        if let Some(b) = self.before {
            c = c.add(Column::Id.lt(b));
        }
        c
    }

    /// The filter in a link, without the page cursor; what the form shows.
    fn echo(&self, raw: &AuditQuery) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(u) = given(raw.user.as_ref()) {
            out.push(("user", u.to_owned()));
        }
        if let Some(t) = &self.object_type {
            out.push(("object_type", t.clone()));
        }
        if let Some(a) = &self.action {
            out.push(("action", a.clone()));
        }
        if let Some(f) = self.from {
            out.push(("from", f.to_string()));
        }
        if let Some(t) = self.to {
            out.push(("to", t.to_string()));
        }
        out
    }
}

/// Names of the users, units and objects the rows mention.
struct Names {
    users: HashMap<i64, user::Model>,
    units: HashMap<i64, String>,
    /// (object type, id) → title, for activities, plans and tasks.
    titles: HashMap<(&'static str, i64), String>,
}

/// The ids of the rows' objects of one type.
fn ids_of(rows: &[audit_event::Model], object_type: &str) -> Vec<i64> {
    rows.iter()
        .filter(|r| r.object_type == object_type)
        .filter_map(|r| r.object_id)
        .collect()
}

impl Names {
    async fn of(db: &impl ConnectionTrait, rows: &[audit_event::Model]) -> AppResult<Names> {
        let user_ids: Vec<i64> = rows.iter().filter_map(|r| r.user_id).collect();
        let unit_ids: Vec<i64> = rows.iter().filter_map(|r| r.org_unit_id).collect();
        let users = user::Entity::find()
            .filter(user::Column::Id.is_in(user_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let units = org_unit::Entity::find()
            .filter(org_unit::Column::Id.is_in(unit_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        let mut titles = HashMap::new();
        for a in crate::entities::activity::Entity::find()
            .filter(crate::entities::activity::Column::Id.is_in(ids_of(rows, "activity")))
            .all(db)
            .await?
        {
            titles.insert(("activity", a.id), a.title);
        }
        for p in crate::entities::plan::Entity::find()
            .filter(crate::entities::plan::Column::Id.is_in(ids_of(rows, "plan")))
            .all(db)
            .await?
        {
            titles.insert(("plan", p.id), p.title);
        }
        for t in crate::entities::coordination_task::Entity::find()
            .filter(crate::entities::coordination_task::Column::Id.is_in(ids_of(rows, "task")))
            .all(db)
            .await?
        {
            titles.insert(("task", t.id), t.title);
        }
        Ok(Names {
            users,
            units,
            titles,
        })
    }

    fn title(&self, row: &audit_event::Model) -> Option<&str> {
        let kind = match row.object_type.as_str() {
            "activity" => "activity",
            "plan" => "plan",
            "task" => "task",
            _ => return None,
        };
        self.titles.get(&(kind, row.object_id?)).map(String::as_str)
    }

    fn user(&self, id: Option<i64>) -> Option<&user::Model> {
        id.and_then(|id| self.users.get(&id))
    }

    fn unit(&self, id: Option<i64>) -> Option<&str> {
        id.and_then(|id| self.units.get(&id)).map(String::as_str)
    }
}

/// The page of the object an event is about, where it has one the caller can open.
fn link(row: &audit_event::Model, admin: bool) -> Option<String> {
    let id = row.object_id?;
    let path = match row.object_type.as_str() {
        "activity" => format!("/activities/{id}"),
        "plan" => format!("/plans/{id}"),
        "task" => format!("/tasks/{id}"),
        "report" => format!("/reports/{id}"),
        "org_unit" if admin => format!("/admin/org-units/{id}/edit"),
        _ => return None,
    };
    Some(path)
}

/// The change as indented JSON (the template escapes it); stored text that is not JSON is
/// shown as it is.
fn pretty(change: &str) -> String {
    serde_json::from_str::<serde_json::Value>(change)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| change.to_owned())
}

async fn distinct(state: &AppState, scope: &Scope, column: Column) -> AppResult<Vec<String>> {
    Ok(Entity::find()
        .select_only()
        .column(column)
        .distinct()
        .filter(visible(scope))
        .order_by_asc(column)
        .into_tuple()
        .all(&state.db)
        .await?)
}

pub async fn get_audit(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    let filter = q.parse(&state.db, &scope).await?;
    let mut rows = Entity::find()
        .filter(filter.condition(&scope))
        .order_by_desc(Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await?;
    let more = rows.len() > usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    let names = Names::of(&state.db, &rows).await?;
    let admin = scope.all;
    let view: Vec<minijinja::Value> = rows
        .iter()
        .map(|r| {
            let who = names.user(r.user_id);
            context! {
                id => r.id,
                created_at => r.created_at.to_rfc3339(),
                user_id => r.user_id,
                user_name => who.map(|u| u.display_name.clone()),
                user_email => who.map(|u| u.email.clone()),
                action => r.action,
                // The sentence's phrase: `audit.does.<object>.<verb>`.
                phrase => format!("audit.does.{}", r.action.replace(':', ".")),
                title => names.title(r),
                object_type => r.object_type,
                object_id => r.object_id,
                link => link(r, admin),
                unit => names.unit(r.org_unit_id),
                change => pretty(&r.change),
            }
        })
        .collect();
    let echo = filter.echo(&q);
    let query = serde_urlencoded::to_string(&echo).unwrap_or_default();
    let older = more.then(|| rows.last().map(|r| r.id)).flatten();
    // Every field present, empty when not given: the template's undefined values are errors.
    let mut form: HashMap<&str, String> = ["user", "object_type", "action", "from", "to"]
        .into_iter()
        .map(|k| (k, String::new()))
        .collect();
    form.extend(echo);
    page.render(
        &state,
        "admin/audit.html",
        context! {
            rows => view,
            form => form,
            query => query,
            older => older,
            paged => filter.before.is_some(),
            admin => admin,
            object_types => distinct(&state, &scope, Column::ObjectType).await?,
            actions => distinct(&state, &scope, Column::Action).await?,
        },
    )
}

async fn export(
    state: AppState,
    user: CurrentUser,
    q: AuditQuery,
    kind: Kind,
) -> AppResult<Response> {
    let scope = user.scope(&state).await?;
    let mut filter = q.parse(&state.db, &scope).await?;
    // An export holds every page of the selection.
    filter.before = None;
    let rows = Entity::find()
        .filter(filter.condition(&scope))
        .order_by_desc(Column::Id)
        .limit(EXPORT_LIMIT)
        .all(&state.db)
        .await?;
    let names = Names::of(&state.db, &rows).await?;
    audit_export(
        &state,
        &user,
        "audit:export",
        "audit_event",
        json!({
            "format": if kind == Kind::Csv { "csv" } else { "xlsx" },
            "rows": rows.len(),
            "filter": {
                "user_id": filter.user.as_ref().map(|u| u.id),
                "object_type": filter.object_type,
                "action": filter.action,
                "from": filter.from,
                "to": filter.to,
            },
        }),
    )
    .await?;
    let l = user.locale;
    let t = |k: &str| state.i18n.t(l, k).to_owned();
    let columns = [
        ("id", 8.0),
        ("when", 17.0),
        ("user", 28.0),
        ("action", 24.0),
        ("object_type", 18.0),
        ("object_id", 10.0),
        ("unit", 24.0),
        ("change", 80.0),
    ]
    .iter()
    .map(|(k, w)| SheetColumn {
        header: t(&format!("sheet.audit.{k}")),
        width: *w,
    })
    .collect();
    let table = Table {
        file: "nhat-ky-thao-tac".into(),
        sheet: t("sheet.audit.sheet"),
        title: t("sheet.audit.heading"),
        columns,
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Int(r.id),
                    Cell::text(datetime(r.created_at)),
                    names
                        .user(r.user_id)
                        .map_or(Cell::Empty, |u| Cell::text(&u.email)),
                    Cell::text(&r.action),
                    Cell::text(&r.object_type),
                    Cell::opt_int(r.object_id),
                    names.unit(r.org_unit_id).map_or(Cell::Empty, Cell::text),
                    Cell::text(&r.change),
                ]
            })
            .collect(),
    };
    respond(kind, table).await
}

pub async fn get_audit_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    export(state, user, q, Kind::Csv).await
}

pub async fn get_audit_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    export(state, user, q, Kind::Xlsx).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_at_midnight_in_vietnam() {
        let d = NaiveDate::from_ymd_opt(2024, 6, 20).unwrap();
        assert_eq!(start_of(d).to_rfc3339(), "2024-06-19T17:00:00+00:00");
    }

    #[test]
    fn codes_are_lowercase_words() {
        assert!(code_like("plan:issue", true));
        assert!(!code_like("plan:issue", false));
        assert!(!code_like("x' OR 1=1", true));
        assert!(!code_like(&"a".repeat(65), false));
    }
}
