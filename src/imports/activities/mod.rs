//! Importing activities: the columns of the activity export (so that an export imports back),
//! each row read into the input of the activity form and held to the same rules — the form's
//! own checks (`activities::input::check`, and `check_held` for an activity already held),
//! and the references the service checks (codes of the right lists, a plan item of a readable
//! plan, a unit in scope, an active organising agency the user may write for), here against
//! lists loaded once rather than a query per row. Types, target groups, units and agencies are
//! found by code or by name, accents and case ignored. A row that repeats an earlier row, or an
//! activity already in the database (same unit, type, title and start date), is refused.

mod rows;

pub use rows::check_rows;

use super::read::ColumnSpec;
use super::{Names, Problem, code_names, unit_names};
use crate::activities::input::ActivityInput;
use crate::activities::service::{self, Ctx};
use crate::auth::CurrentUser;
use crate::entities::{activity, agency, code, org_unit, plan, plan_item};
use crate::org_units::scope::Scope;
use crate::text::fold;
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
pub(super) fn col(key: &str) -> usize {
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
    /// Plan item → its plan's period and its code and title as the export writes it
    /// (`activities::repo::export_titles`).
    items: HashMap<i64, ItemRef>,
    /// Folded code and title → the items of that wording (several plans may repeat one).
    item_titles: HashMap<String, Vec<i64>>,
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
        let plans: HashMap<i64, plan::Model> = plan::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let mut item_plan_unit = HashMap::new();
        let mut items = HashMap::new();
        let mut item_titles: HashMap<String, Vec<i64>> = HashMap::new();
        let all_items = plan_item::Entity::find().all(db).await?;
        let mut titles = crate::activities::repo::export_titles(&all_items);
        for i in all_items {
            let Some(p) = plans.get(&i.plan_id) else {
                continue;
            };
            let title = titles.remove(&i.id).unwrap_or_default();
            item_plan_unit.insert(i.id, p.org_unit_id);
            item_titles.entry(fold(&title)).or_default().push(i.id);
            items.insert(
                i.id,
                ItemRef {
                    period: (p.period_start, p.period_end),
                    title,
                },
            );
        }
        let mut statuses = HashMap::new();
        for s in service::STATUSES {
            statuses.insert(fold(s), s);
            for locale in [crate::web::i18n::Locale::Vi, crate::web::i18n::Locale::En] {
                statuses.insert(fold(&service::status_label(i18n, locale, s)), s);
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
            items,
            item_titles,
            codes: codes.into_iter().map(|c| (c.id, c)).collect(),
            statuses,
        })
    }
}

/// What a row's plan item is checked and shown against.
struct ItemRef {
    period: (NaiveDate, NaiveDate),
    title: String,
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
        lk.items
            .get(&i.plan_item_id)
            .map(|it| it.title.clone())
            .unwrap_or_else(|| i.plan_item_id.to_string()),
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
        service::status_label(i18n, locale, status),
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
    let mut keys = Vec::with_capacity(rows.len());
    for r in rows {
        let a = service::insert(txn, ctx, &r.input, r.held, None, None).await?;
        keys.push((a.org_unit_id, a.start_date));
    }
    crate::dashboard::rollups::refresh(txn, keys).await?;
    Ok(rows.len())
}
