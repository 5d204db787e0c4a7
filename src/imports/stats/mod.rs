//! Importing monthly support statistics: one row per figure (unit, month, which figure, its
//! breakdown, how many), gathered into the month inputs of the entry form and held to its
//! rules — whole non-negative counts, persons received in full groups of the five criteria,
//! support types of the law in force that month, supported and referred persons not more than
//! those received plus carried over, plausible loans (`support_stats::input::check`) — and to
//! the rules of saving: a unit the user may enter, a month that has begun, a month not locked
//! by an approved report. Each month in the file replaces that month's figures, as the entry
//! form does; months not in the file are left alone. Aggregates only: the file has no column
//! for text, and none is stored.

mod rows;

pub use rows::check_rows;

use super::read::{ColumnSpec, Table, Value};
use super::{Names, Problem, code_names, text, unit_names};
use crate::auth::CurrentUser;
use crate::entities::{code, org_unit, support_stat_month as month};
use crate::org_units::scope::Scope;
use crate::support_stats::input::MonthInput;
use crate::support_stats::period::YearMonth;
use crate::support_stats::service;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::HashMap;

/// The columns; headers are the translations `import.stats.column.<key>`.
pub const SPEC: &[ColumnSpec] = &[
    ColumnSpec::required("unit"),
    ColumnSpec::required("month"),
    ColumnSpec::required("figure"),
    ColumnSpec::optional("sex"),
    ColumnSpec::optional("age_band"),
    ColumnSpec::optional("purpose"),
    ColumnSpec::optional("manner"),
    ColumnSpec::optional("trafficked_to"),
    ColumnSpec::optional("support_type"),
    ColumnSpec::optional("destination"),
    ColumnSpec::required("value"),
];

/// The figures a row may give (`import.stats.figure.<key>`).
pub const FIGURES: &[&str] = &[
    "carried_over",
    "received",
    "support",
    "referral",
    "hotline_received",
    "hotline_handled",
    "hotline_referred",
    "loans_count",
    "loans_amount",
];

/// The code list behind each breakdown column.
pub const LISTS: &[(&str, &str)] = &[
    ("sex", "sex"),
    ("age_band", "age_band"),
    ("purpose", "trafficking_purpose"),
    ("manner", "return_manner"),
    ("trafficked_to", "trafficked_to"),
    ("support_type", "support_type"),
    ("destination", "referral_destination"),
];

pub(super) fn col(key: &str) -> usize {
    SPEC.iter().position(|c| c.key == key).unwrap_or(0)
}

/// Everything rows are checked against, loaded before any transaction.
pub struct Lookups {
    units: Names,
    unit_rows: HashMap<i64, org_unit::Model>,
    figures: HashMap<String, &'static str>,
    /// Per breakdown column: names → ids, and the codes themselves.
    lists: HashMap<&'static str, Names>,
    codes: HashMap<i64, code::Model>,
    /// The stored month rows of the units and months the file names.
    months: HashMap<(i64, YearMonth), (month::Model, MonthInput)>,
}

impl Lookups {
    /// Loads the lists, and the stored months of the units and months the file names.
    pub async fn load(
        db: &impl ConnectionTrait,
        i18n: &crate::web::i18n::I18n,
        table: &Table,
    ) -> Result<Lookups, DbErr> {
        let units = org_unit::Entity::find().all(db).await?;
        let lists: Vec<&str> = LISTS.iter().map(|(_, l)| *l).collect();
        let codes = code::Entity::find()
            .filter(code::Column::List.is_in(lists))
            .all(db)
            .await?;
        let mut ordered: Vec<&code::Model> = codes.iter().collect();
        ordered.sort_by_key(|c| (c.retired_at.is_some(), c.position, c.id));
        let by_column = LISTS
            .iter()
            .map(|(column, list)| {
                let names = code_names(ordered.iter().copied().filter(|c| c.list == *list));
                (*column, names)
            })
            .collect();
        let mut figures = HashMap::new();
        for f in FIGURES {
            figures.insert(crate::text::fold(f), *f);
            for locale in [crate::web::i18n::Locale::Vi, crate::web::i18n::Locale::En] {
                let key = format!("import.stats.figure.{f}");
                figures.insert(crate::text::fold(i18n.t(locale, &key)), *f);
            }
        }
        let mut lk = Lookups {
            units: unit_names(&units),
            unit_rows: units.into_iter().map(|u| (u.id, u)).collect(),
            figures,
            lists: by_column,
            codes: codes.into_iter().map(|c| (c.id, c)).collect(),
            months: HashMap::new(),
        };
        // The stored months: their lock, and the codes they already use (which stay choosable
        // even if retired since, as on the entry form).
        let mut wanted: Vec<(i64, YearMonth)> = table
            .rows
            .iter()
            .filter_map(|(_, cells)| {
                Some((lk.unit(cells).ok()?, month_of(cell(cells, "month")).ok()?))
            })
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        for (unit, m) in wanted {
            if let Some(row) = service::month_row(db, unit, m).await? {
                let stored = service::load(db, &row).await?;
                lk.months.insert((unit, m), (row, stored));
            }
        }
        Ok(lk)
    }

    fn unit(&self, cells: &[Value]) -> Result<i64, ()> {
        let t = text(cell(cells, "unit")).ok_or(())?;
        let ids = self.units.find(&t);
        // Prefer a current unit of that name; ids are stable, so the choice is too.
        let mut ids: Vec<i64> = ids.to_vec();
        ids.sort_by_key(|id| {
            (
                self.unit_rows.get(id).is_some_and(|u| u.valid_to.is_some()),
                *id,
            )
        });
        ids.first().copied().ok_or(())
    }
}

pub(super) fn cell<'a>(cells: &'a [Value], key: &str) -> &'a Value {
    cells.get(col(key)).unwrap_or(&Value::Empty)
}

pub(super) fn month_of(v: &Value) -> Result<YearMonth, &'static str> {
    use chrono::Datelike;
    let bad = "stats.error.month";
    let of = |d: NaiveDate| YearMonth::new(d.year(), d.month());
    match v {
        Value::Empty => Err("form.required"),
        Value::Date(d) => of(*d).ok_or(bad),
        Value::Number(n) => super::read::excel_date(*n).and_then(of).ok_or(bad),
        Value::Text(s) => YearMonth::parse(s)
            .or_else(|| crate::web::format::parse_date(s).and_then(of))
            .ok_or(bad),
    }
}

/// Who imports, and when.
pub struct Importer<'a> {
    pub user: &'a CurrentUser,
    pub scope: &'a Scope,
    pub today: NaiveDate,
}

/// One month of one unit, as the file gives it.
#[derive(Clone, Debug)]
pub struct Month {
    pub unit_id: i64,
    pub month: YearMonth,
    pub input: MonthInput,
    /// The rows it was read from.
    pub rows: Vec<usize>,
    /// Whether figures are already stored for it (the import replaces them).
    pub replaces: bool,
}

/// A row read and checked, for the preview.
#[derive(Clone, Debug)]
pub struct Row {
    pub number: usize,
    pub unit_id: i64,
    pub month: YearMonth,
    pub figure: &'static str,
    pub codes: Vec<Option<i64>>,
    pub value: i64,
}

#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub months: Vec<Month>,
    pub rows: Vec<Row>,
    pub problems: Vec<Problem>,
}

impl Outcome {
    pub fn fingerprint(&self) -> String {
        let mut canonical = String::new();
        for m in &self.months {
            canonical.push_str(&format!("{}|{}|{:?}\n", m.unit_id, m.month.key(), m.input));
        }
        super::sha256_hex(canonical.as_bytes())
    }
}

/// A row as the preview shows it.
pub fn shown(
    row: &Row,
    lk: &Lookups,
    i18n: &crate::web::i18n::I18n,
    locale: crate::web::i18n::Locale,
) -> Vec<String> {
    let code = |c: Option<i64>| {
        c.and_then(|id| lk.codes.get(&id))
            .map(|c| crate::codes::name(c, locale).to_owned())
            .unwrap_or_default()
    };
    let mut out = vec![
        lk.unit_rows
            .get(&row.unit_id)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        row.month.label(),
        i18n.t(locale, &format!("import.stats.figure.{}", row.figure))
            .to_owned(),
    ];
    out.extend(row.codes.iter().map(|c| code(*c)));
    out.push(crate::web::format::number(row.value));
    out
}

/// The unit's name, for the preview's month summary.
pub fn unit_name(lk: &Lookups, id: i64) -> String {
    lk.unit_rows
        .get(&id)
        .map(|u| u.name.clone())
        .unwrap_or_default()
}

/// Writes every month, in the caller's transaction, with one audit row per month. `None` when
/// a month turned out locked (an approval landed meanwhile): the caller rolls back.
pub async fn write(
    txn: &DatabaseTransaction,
    user: &CurrentUser,
    import_id: i64,
    months: &[Month],
    now: DateTime<Utc>,
) -> Result<Option<usize>, DbErr> {
    for m in months {
        let before = match service::month_row(txn, m.unit_id, m.month).await? {
            Some(r) => service::load(txn, &r).await?,
            None => MonthInput::default(),
        };
        let Some(row) =
            service::write_month(txn, m.unit_id, m.month, &m.input, Some(user.id), now).await?
        else {
            return Ok(None);
        };
        crate::audit::record(
            txn,
            now,
            crate::audit::Event {
                user_id: Some(user.id),
                action: "support_stats:import",
                object_type: "support_stat_month",
                object_id: Some(row.id),
                org_unit_id: Some(m.unit_id),
                change: json!({
                    "unit_id": m.unit_id,
                    "month": m.month.iso(),
                    "import_id": import_id,
                    "before": service::before_after(&before),
                    "after": service::before_after(&m.input),
                }),
            },
        )
        .await?;
    }
    Ok(Some(months.len()))
}
