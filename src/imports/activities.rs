//! Importing activities: the columns of the activity export (so that an export imports back),
//! each row read into the input of the activity form and held to the same rules — the form's
//! own checks (`activities::input::check`, and `check_held` for an activity already held),
//! and the references the service checks (codes of the right lists, a plan item of a readable
//! plan, a unit in scope, an active organising agency the user may write for), here against
//! lists loaded once rather than a query per row. Types, target groups, units and agencies are
//! found by code or by name, accents and case ignored. A row that repeats an earlier row, or an
//! activity already in the database (same unit, type, title and start date), is refused.

use super::read::{ColumnSpec, Table, Value};
use super::{Names, Problem, code_names, count, date, text, unit_names};
use crate::activities::access::may_write;
use crate::activities::input::{self, ActivityInput};
use crate::activities::service::{self, Ctx};
use crate::auth::CurrentUser;
use crate::entities::{activity, agency, code, org_unit, plan, plan_item};
use crate::org_units::scope::Scope;
use crate::text::fold;
use crate::web::forms::FieldErrors;
use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use std::collections::{BTreeSet, HashMap};

/// The columns, in the order of the export (`spreadsheets::activities::COLUMNS`); headers are
/// the translations `sheet.activity.<key>`.
pub const SPEC: &[ColumnSpec] = &[
    ColumnSpec::optional("id"),
    ColumnSpec::required("title"),
    ColumnSpec::required("activity_type"),
    ColumnSpec::required("plan_item"),
    ColumnSpec::required("org_unit"),
    ColumnSpec::required("agency"),
    ColumnSpec::required("start_date"),
    ColumnSpec::optional("end_date"),
    ColumnSpec::optional("place"),
    ColumnSpec::optional("target_groups"),
    ColumnSpec::optional("status"),
    ColumnSpec::optional("held_on"),
    ColumnSpec::optional("planned_participants"),
    ColumnSpec::optional("participants"),
    ColumnSpec::optional("women"),
    ColumnSpec::optional("ethnic_minority"),
    ColumnSpec::optional("children"),
    ColumnSpec::optional("notes"),
];

/// The column of a key (its index in [`SPEC`]).
fn col(key: &str) -> usize {
    SPEC.iter().position(|c| c.key == key).unwrap_or(0)
}

/// Everything rows are checked against, loaded before any transaction.
pub struct Lookups {
    types: Names,
    groups: Names,
    units: Names,
    unit_rows: HashMap<i64, org_unit::Model>,
    agencies: Names,
    agency_rows: HashMap<i64, agency::Model>,
    /// Plan item → the unit of its plan.
    item_plan_unit: HashMap<i64, i64>,
    /// Codes by id, for the preview.
    codes: HashMap<i64, code::Model>,
    statuses: HashMap<String, &'static str>,
}

impl Lookups {
    pub async fn load(
        db: &impl ConnectionTrait,
        i18n: &crate::web::i18n::I18n,
    ) -> Result<Lookups, DbErr> {
        let codes = code::Entity::find()
            .filter(code::Column::List.is_in(["activity_type", "target_group"]))
            .all(db)
            .await?;
        // Retired codes still name their code (as the service accepts them), but a live code
        // of the same name comes first.
        let mut ordered: Vec<&code::Model> = codes.iter().collect();
        ordered.sort_by_key(|c| (c.retired_at.is_some(), c.position, c.id));
        let types = code_names(
            ordered
                .iter()
                .copied()
                .filter(|c| c.list == "activity_type"),
        );
        let groups = code_names(ordered.iter().copied().filter(|c| c.list == "target_group"));
        let units = org_unit::Entity::find().all(db).await?;
        let agencies = agency::Entity::find().all(db).await?;
        let mut agency_names = Names::default();
        for a in &agencies {
            agency_names.add(&a.code, a.id);
            agency_names.add(&a.short_name, a.id);
            agency_names.add(&a.name, a.id);
        }
        let plans: HashMap<i64, i64> = plan::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.org_unit_id))
            .collect();
        let item_plan_unit = plan_item::Entity::find()
            .select_only()
            .column(plan_item::Column::Id)
            .column(plan_item::Column::PlanId)
            .into_tuple::<(i64, i64)>()
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(item, p)| plans.get(&p).map(|u| (item, *u)))
            .collect();
        let mut statuses = HashMap::new();
        for s in [
            service::PLANNED,
            service::HELD,
            service::POSTPONED,
            service::CANCELLED,
        ] {
            statuses.insert(fold(s), s);
            for locale in [crate::web::i18n::Locale::Vi, crate::web::i18n::Locale::En] {
                let key = format!("activity.status.{s}");
                statuses.insert(fold(i18n.t(locale, &key)), s);
            }
        }
        Ok(Lookups {
            types,
            groups,
            units: unit_names(&units),
            unit_rows: units.into_iter().map(|u| (u.id, u)).collect(),
            agencies: agency_names,
            agency_rows: agencies.into_iter().map(|a| (a.id, a)).collect(),
            item_plan_unit,
            codes: codes.into_iter().map(|c| (c.id, c)).collect(),
            statuses,
        })
    }
}

/// Who imports: what the rules of the service need.
pub struct Importer<'a> {
    pub user: &'a CurrentUser,
    pub scope: &'a Scope,
    pub plan_units: &'a [i64],
    pub today: NaiveDate,
}

/// A row read and checked: what will be saved.
#[derive(Clone, Debug)]
pub struct Row {
    pub number: usize,
    pub input: ActivityInput,
    pub held: bool,
}

/// Every row of a file, and every problem.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub rows: Vec<Row>,
    pub problems: Vec<Problem>,
}

impl Outcome {
    /// The fingerprint of the rows as read (not of the bytes): the same rows saved again by
    /// a spreadsheet program have the same one.
    pub fn fingerprint(&self) -> String {
        let mut canonical = String::new();
        for r in &self.rows {
            canonical.push_str(&format!("{:?}|{}\n", r.input, r.held));
        }
        super::sha256_hex(canonical.as_bytes())
    }
}

/// The field names of the form's checks, as columns of the file.
fn column_of_field(field: &str) -> Option<&'static str> {
    Some(match field {
        "title" | "description" => "title",
        "start_date" => "start_date",
        "end_date" | "end_time" | "start_time" => "end_date",
        "place" => "place",
        "notes" => "notes",
        "held_on" => "held_on",
        "planned_participants"
        | "planned_women"
        | "planned_ethnic_minority"
        | "planned_children" => "planned_participants",
        "actual_participants" => "participants",
        "actual_women" => "women",
        "actual_ethnic_minority" => "ethnic_minority",
        "actual_children" => "children",
        "activity_type_id" => "activity_type",
        "plan_item_id" => "plan_item",
        "org_unit_id" => "org_unit",
        "agency_id" => "agency",
        "target_groups" => "target_groups",
        "status" => "status",
        _ => return None,
    })
}

struct RowReader<'a> {
    number: usize,
    cells: &'a [Value],
    problems: Vec<Problem>,
}

impl RowReader<'_> {
    fn cell(&self, key: &str) -> &Value {
        self.cells.get(col(key)).unwrap_or(&Value::Empty)
    }

    fn problem(&mut self, column: &'static str, key: &str) {
        self.problems.push(Problem::at(self.number, column, key));
    }

    fn unknown(&mut self, column: &'static str) {
        let value = self.cell(column).text();
        self.problems
            .push(Problem::at(self.number, column, "import.error.unknown").with("value", value));
    }

    fn count(&mut self, column: &'static str) -> Option<i64> {
        match count(self.cell(column)) {
            Ok(n) => n,
            Err(key) => {
                self.problem(column, &key);
                None
            }
        }
    }

    fn date(&mut self, column: &'static str) -> Option<NaiveDate> {
        match date(self.cell(column)) {
            Ok(d) => d,
            Err(key) => {
                self.problem(column, &key);
                None
            }
        }
    }

    /// A cell that names one thing of `names`; `pick` chooses among several.
    fn one(&mut self, column: &'static str, names: &Names, pick: impl Fn(&[i64]) -> i64) -> i64 {
        let Some(t) = text(self.cell(column)) else {
            self.problem(column, "form.required");
            return 0;
        };
        match names.find(&t) {
            [] => {
                self.unknown(column);
                0
            }
            ids => pick(ids),
        }
    }
}

/// Reads and checks every row (no database: everything is in `lk`).
pub fn check_rows(table: &Table, lk: &Lookups, who: &Importer<'_>) -> Outcome {
    let mut out = Outcome::default();
    let mut seen: HashMap<(i64, i64, String, NaiveDate), usize> = HashMap::new();
    for (number, cells) in &table.rows {
        let mut r = RowReader {
            number: *number,
            cells,
            problems: Vec::new(),
        };
        let (input, held) = read_row(&mut r, lk, who);
        if r.problems.is_empty() {
            let key = (
                input.org_unit_id,
                input.activity_type_id,
                fold(&input.title),
                input.start_date,
            );
            if let Some(first) = seen.get(&key) {
                r.problems.push(
                    Problem::at(*number, "title", "import.error.duplicate_row")
                        .with("row", first.to_string()),
                );
            } else {
                seen.insert(key, *number);
            }
        }
        if r.problems.is_empty() {
            out.rows.push(Row {
                number: *number,
                input,
                held,
            });
        } else {
            out.problems.extend(r.problems);
        }
    }
    out
}

fn read_row(r: &mut RowReader<'_>, lk: &Lookups, who: &Importer<'_>) -> (ActivityInput, bool) {
    let title = text(r.cell("title")).unwrap_or_default();
    let activity_type_id = r.one("activity_type", &lk.types, |ids| {
        ids.first().copied().unwrap_or(0)
    });
    let plan_item_id = plan_item(r, lk, who);
    let org_unit_id = r.one("org_unit", &lk.units, |ids| {
        // Several units of one name (history keeps old units): the one in scope, current first.
        let mut best: Vec<i64> = ids.to_vec();
        best.sort_by_key(|id| {
            let current = lk
                .unit_rows
                .get(id)
                .is_some_and(|u| crate::org_units::repo::is_current(u, who.today));
            (!who.scope.contains(*id), !current, *id)
        });
        best.first().copied().unwrap_or(0)
    });
    if org_unit_id != 0 && !who.scope.contains(org_unit_id) {
        r.problem("org_unit", "import.error.out_of_scope");
    }
    let agency_id = r.one("agency", &lk.agencies, |ids| {
        let mut best: Vec<i64> = ids.to_vec();
        best.sort_by_key(|id| {
            let a = lk.agency_rows.get(id);
            (
                a.is_none_or(|a| a.org_unit_id != org_unit_id),
                a.is_none_or(|a| !who.plan_units.contains(&a.org_unit_id) || !a.active),
                *id,
            )
        });
        best.first().copied().unwrap_or(0)
    });
    if agency_id != 0
        && lk
            .agency_rows
            .get(&agency_id)
            .is_none_or(|a| !who.plan_units.contains(&a.org_unit_id) || !a.active)
    {
        r.problem("agency", "form.choose");
    }
    let start = r.date("start_date");
    if start.is_none() && !r.problems.iter().any(|p| p.column == Some("start_date")) {
        r.problem("start_date", "form.required");
    }
    let end = r.date("end_date").or(start);
    let held_on = r.date("held_on");
    let status = match text(r.cell("status")) {
        None if held_on.is_some() => service::HELD,
        None => service::PLANNED,
        Some(t) => match lk.statuses.get(&fold(&t)) {
            Some(s) => s,
            None => {
                r.unknown("status");
                service::PLANNED
            }
        },
    };
    if status == service::POSTPONED || status == service::CANCELLED {
        r.problem("status", "import.error.status");
    }
    let mut target_groups = Vec::new();
    if let Some(t) = text(r.cell("target_groups")) {
        for part in t
            .split([';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match lk.groups.find(part) {
                [id, ..] => target_groups.push(*id),
                [] => {
                    // Perhaps a list separated by commas.
                    let pieces: Vec<&[i64]> =
                        part.split(',').map(|p| lk.groups.find(p.trim())).collect();
                    if pieces.iter().all(|p| !p.is_empty()) {
                        target_groups.extend(pieces.iter().filter_map(|p| p.first()));
                    } else {
                        r.problems.push(
                            Problem::at(r.number, "target_groups", "import.error.unknown")
                                .with("value", part),
                        );
                    }
                }
            }
        }
    }
    let input = ActivityInput {
        activity_type_id,
        title,
        plan_item_id,
        org_unit_id,
        agency_id,
        start_date: start.unwrap_or_default(),
        end_date: end.unwrap_or_default(),
        place: text(r.cell("place")),
        target_groups,
        planned: input::Figures {
            participants: r.count("planned_participants"),
            ..Default::default()
        },
        actual: input::Figures {
            participants: r.count("participants"),
            women: r.count("women"),
            ethnic_minority: r.count("ethnic_minority"),
            children: r.count("children"),
            ..Default::default()
        },
        held_on,
        notes: text(r.cell("notes")),
        ..Default::default()
    };
    let held = status == service::HELD;
    // The form's own rules, with their messages, at the column of their field.
    let mut errors = FieldErrors::default();
    input::check(&input, who.today, &mut errors);
    if held {
        input::check_held(&input, &mut errors);
    }
    if errors.is_empty()
        && r.problems.is_empty()
        && !may_write(who.user, who.scope, org_unit_id, agency_id)
    {
        errors.add("agency_id", "activity.error.not_yours");
    }
    for (field, key) in errors.0 {
        let column = column_of_field(&field).unwrap_or("title");
        if !r.problems.iter().any(|p| p.column == Some(column)) {
            r.problem(column, &key);
        }
    }
    (input, held)
}

/// The plan item: its id (the export's column), possibly followed by its title as the
/// template's list shows it ("12 — II.1 ...").
fn plan_item(r: &mut RowReader<'_>, lk: &Lookups, who: &Importer<'_>) -> i64 {
    let raw = r.cell("plan_item").text();
    if raw.is_empty() {
        r.problem("plan_item", "form.required");
        return 0;
    }
    let digits: String = raw.chars().take_while(char::is_ascii_digit).collect();
    match digits.parse::<i64>() {
        Ok(id)
            if lk
                .item_plan_unit
                .get(&id)
                .is_some_and(|u| who.plan_units.contains(u)) =>
        {
            id
        }
        _ => {
            r.unknown("plan_item");
            0
        }
    }
}

/// Refuses rows that are already activities: same unit, type, title and start date.
pub async fn check_existing(db: &impl ConnectionTrait, out: &mut Outcome) -> Result<(), DbErr> {
    let units: BTreeSet<i64> = out.rows.iter().map(|r| r.input.org_unit_id).collect();
    let (Some(from), Some(to)) = (
        out.rows.iter().map(|r| r.input.start_date).min(),
        out.rows.iter().map(|r| r.input.start_date).max(),
    ) else {
        return Ok(());
    };
    let mut existing: HashMap<(i64, i64, String, NaiveDate), i64> = HashMap::new();
    // In chunks: a bound list has limits on both databases.
    let units: Vec<i64> = units.into_iter().collect();
    for chunk in units.chunks(500) {
        let found = activity::Entity::find()
            .select_only()
            .column(activity::Column::Id)
            .column(activity::Column::OrgUnitId)
            .column(activity::Column::ActivityTypeId)
            .column(activity::Column::Title)
            .column(activity::Column::StartDate)
            .filter(activity::Column::OrgUnitId.is_in(chunk.to_vec()))
            .filter(activity::Column::StartDate.between(from, to))
            .into_tuple::<(i64, i64, i64, String, NaiveDate)>()
            .all(db)
            .await?;
        for (id, unit, kind, title, start) in found {
            existing.insert((unit, kind, fold(&title), start), id);
        }
    }
    let mut kept = Vec::with_capacity(out.rows.len());
    for r in std::mem::take(&mut out.rows) {
        let key = (
            r.input.org_unit_id,
            r.input.activity_type_id,
            fold(&r.input.title),
            r.input.start_date,
        );
        match existing.get(&key) {
            Some(id) => out.problems.push(
                Problem::at(r.number, "title", "import.error.exists").with("id", id.to_string()),
            ),
            None => kept.push(r),
        }
    }
    out.rows = kept;
    out.problems.sort_by_key(|p| p.row);
    Ok(())
}

/// A row as the preview shows it: what will be saved, in the columns of the file.
pub fn shown(
    row: &Row,
    lk: &Lookups,
    i18n: &crate::web::i18n::I18n,
    locale: crate::web::i18n::Locale,
) -> Vec<String> {
    let name = |id: i64| {
        lk.codes
            .get(&id)
            .map(|c| crate::codes::name(c, locale).to_owned())
            .unwrap_or_default()
    };
    let n = |v: Option<i64>| v.map(crate::web::format::number).unwrap_or_default();
    let i = &row.input;
    let status = if row.held {
        service::HELD
    } else {
        service::PLANNED
    };
    vec![
        String::new(),
        i.title.clone(),
        name(i.activity_type_id),
        i.plan_item_id.to_string(),
        lk.unit_rows
            .get(&i.org_unit_id)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        lk.agency_rows
            .get(&i.agency_id)
            .map(|a| a.short_name.clone())
            .unwrap_or_default(),
        crate::web::format::date(i.start_date),
        crate::web::format::date(i.end_date),
        i.place.clone().unwrap_or_default(),
        i.target_groups
            .iter()
            .map(|g| name(*g))
            .collect::<Vec<_>>()
            .join("; "),
        i18n.t(locale, &format!("activity.status.{status}"))
            .to_owned(),
        i.held_on.map(crate::web::format::date).unwrap_or_default(),
        n(i.planned.participants),
        n(i.actual.participants),
        n(i.actual.women),
        n(i.actual.ethnic_minority),
        n(i.actual.children),
        i.notes.clone().unwrap_or_default(),
    ]
}

/// Writes every row, in the caller's transaction, through the service's own insert (which
/// writes each activity's audit row).
pub async fn write(
    txn: &DatabaseTransaction,
    ctx: &Ctx<'_>,
    rows: &[Row],
) -> Result<usize, service::ActivityError> {
    for r in rows {
        service::insert(txn, ctx, &r.input, r.held, None, None).await?;
    }
    Ok(rows.len())
}
