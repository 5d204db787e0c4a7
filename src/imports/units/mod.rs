//! The official list of administrative units: provinces and communes (and, in lists from before
//! July 2025, districts), by the statistics office's code. A file — the statistics office's own
//! CSV/XLSX ("Mã TP, Tên TP, [Mã QH, Tên QH,] Mã PX, Tên PX, Cấp") or the app's simple layout
//! (`code, name, kind, parent_code`, the layout of `seed/units-2025.csv`) — is read into
//! [`Listed`] units, checked, and compared with the units in the database, matched by official
//! code (`org_units.gso_code`):
//!
//! - a code not in the database is a new unit (app code `VN-<code>`), open from the effective date;
//! - a unit whose name, kind or parent changed is closed the day before the effective date and a
//!   successor opened on it, linked by a `rename` lineage row — the app's way of renaming
//!   (`org_units::repo::record_merge` with one predecessor): history stays with the old unit;
//! - an open unit with an official code that the list no longer holds is closed the day before
//!   the effective date (never deleted) — if it lies under a province the file lists, or
//!   anywhere when the file is the whole country's list;
//! - anything else is untouched, so that importing the same list twice changes nothing.
//!
//! [`pages`] are the admin pages (upload, preview, commit); [`load_official`] is the command line's
//! `kehoach units load-official`. Both go through [`read_units`], [`plan`] and [`apply`].

pub mod pages;

use super::Problem;
use super::read::{self, ColumnSpec, FileError, Table, Value};
use crate::audit;
use crate::entities::{org_lineage, org_unit};
use crate::text::fold;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// Today's official list (34 provinces, 3,321 communes since 1 July 2025), in the simple
/// layout; where it comes from is told in `docs/org-units.md`.
pub const OFFICIAL_2025: &[u8] = include_bytes!("../../../seed/units-2025.csv");
pub const OFFICIAL_2025_NAME: &str = "units-2025.csv";

/// The day the official list took effect.
pub fn official_2025_effective() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 1).unwrap_or_default()
}

/// The app's own layout: one row per unit.
const SIMPLE: &[ColumnSpec] = &[
    ColumnSpec::required("code"),
    ColumnSpec::required("name"),
    ColumnSpec::required("kind"),
    ColumnSpec::optional("parent_code"),
];

/// The statistics office's layout: one row per commune, with its province (and district).
const GSO: &[ColumnSpec] = &[
    ColumnSpec::required("province_code"),
    ColumnSpec::required("province_name"),
    ColumnSpec::optional("district_code"),
    ColumnSpec::optional("district_name"),
    ColumnSpec::required("commune_code"),
    ColumnSpec::required("commune_name"),
    ColumnSpec::optional("level"),
];

/// Every column key, for the messages (`import.units.column.<key>`).
pub const COLUMNS: &[&str] = &[
    "code",
    "name",
    "kind",
    "parent_code",
    "province_code",
    "province_name",
    "district_code",
    "district_name",
    "commune_code",
    "commune_name",
    "level",
];

/// The headers a column may carry (compared folded: accents and case ignored).
fn headers(key: &str) -> Vec<String> {
    let h: &[&str] = match key {
        "code" => &["Mã", "Mã đơn vị", "Mã số", "Code"],
        "name" => &["Tên", "Tên đơn vị", "Name"],
        "kind" => &["Loại", "Cấp", "Loại đơn vị", "Kind"],
        "parent_code" => &["Mã cấp trên", "Mã đơn vị cấp trên", "Parent", "Parent code"],
        "province_code" => &["Mã TP", "Mã tỉnh", "Mã tỉnh/TP", "Mã tỉnh/thành phố"],
        "province_name" => &["Tên TP", "Tên tỉnh", "Tên tỉnh/TP", "Tên tỉnh/thành phố"],
        "district_code" => &["Mã QH", "Mã huyện", "Mã quận/huyện"],
        "district_name" => &["Tên QH", "Tên huyện", "Tên quận/huyện"],
        "commune_code" => &["Mã PX", "Mã xã", "Mã phường/xã", "Mã xã/phường"],
        "commune_name" => &["Tên PX", "Tên xã", "Tên phường/xã", "Tên xã/phường"],
        "level" => &["Cấp", "Loại"],
        _ => &[],
    };
    h.iter().map(|s| (*s).to_owned()).collect()
}

/// A unit kind from a cell: the app's codes or the Vietnamese words, accents ignored.
pub fn kind_of(text: &str) -> Option<&'static str> {
    match fold(text).replace('_', " ").as_str() {
        "province" | "tinh" | "thanh pho truc thuoc trung uong" | "thanh pho trung uong" => {
            Some("province")
        }
        "district" | "huyen" | "quan" | "thi xa" | "thanh pho thuoc tinh" => Some("district"),
        "commune" | "xa" => Some("commune"),
        "ward" | "phuong" => Some("ward"),
        "town" | "thi tran" => Some("town"),
        "special zone" | "dac khu" => Some("special_zone"),
        _ => None,
    }
}

/// The kind a name says ("Xã …", "Phường …"), for a statistics office file without "Cấp".
fn kind_of_name(name: &str) -> Option<&'static str> {
    let f = fold(name);
    [
        ("xa ", "commune"),
        ("phuong ", "ward"),
        ("thi tran ", "town"),
        ("dac khu ", "special_zone"),
    ]
    .into_iter()
    .find(|(p, _)| f.starts_with(p))
    .map(|(_, k)| k)
}

/// 0 for provinces, 1 for districts, 2 for communes, wards, towns and special zones.
pub fn rank(kind: &str) -> u8 {
    match kind {
        "province" => 0,
        "district" => 1,
        _ => 2,
    }
}

/// An official code as the statistics office writes it: digits padded to the level's width
/// (2 for provinces, 3 for districts, 5 for communes), so that `66`, `066` and a number cell
/// all read the same. Other codes are kept as written (upper case).
pub fn normalise_code(code: &str, kind: &str) -> String {
    let c = code.trim();
    if !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()) {
        let width = match rank(kind) {
            0 => 2,
            1 => 3,
            _ => 5,
        };
        let digits = c.trim_start_matches('0');
        format!("{digits:0>width$}")
    } else {
        c.to_uppercase()
    }
}

fn well_formed(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 20
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The columns of one [`Listed`] unit in the file, for the messages.
#[derive(Clone, Copy, Debug)]
pub struct Cols {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: &'static str,
    pub parent: &'static str,
}

/// One unit as the file lists it.
#[derive(Clone, Debug)]
pub struct Listed {
    pub row: usize,
    /// As written (normalised once the kind is known).
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    /// The parent's code as written.
    pub parent: Option<String>,
    /// A province or district repeated on every commune row of a statistics office file.
    pub implied: bool,
    pub cols: Cols,
}

/// The file read: its units, and the problems of its rows.
#[derive(Debug, Default)]
pub struct Read {
    pub units: Vec<Listed>,
    pub problems: Vec<Problem>,
}

/// Reads a file into the units it lists (off the async threads: call through
/// `spawn_blocking`). A file without the headers of either layout is a [`FileError`].
pub fn read_units(bytes: &[u8]) -> Result<Read, FileError> {
    let grid = read::grid(bytes)?;
    match read::table(grid.clone(), GSO, headers) {
        Ok(t) => Ok(from_gso(&t)),
        Err(FileError::NoHeader) => read::table(grid, SIMPLE, headers).map(|t| from_simple(&t)),
        Err(e) => Err(e),
    }
}

fn cell(v: &Value) -> String {
    super::text(v).unwrap_or_default()
}

fn from_simple(t: &Table) -> Read {
    let mut out = Read::default();
    let cols = Cols {
        code: "code",
        name: "name",
        kind: "kind",
        parent: "parent_code",
    };
    for (row, cells) in &t.rows {
        let get = |i: usize| cells.get(i).map(cell).unwrap_or_default();
        let (code, name, kind, parent) = (get(0), get(1), get(2), get(3));
        let kind = if kind.is_empty() {
            out.problems
                .push(Problem::at(*row, "kind", "form.required"));
            continue;
        } else if let Some(k) = kind_of(&kind) {
            k
        } else {
            out.problems.push(
                Problem::at(*row, "kind", "import.units.error.kind").with("value", kind.clone()),
            );
            continue;
        };
        out.units.push(Listed {
            row: *row,
            code,
            name,
            kind,
            parent: (!parent.is_empty()).then_some(parent),
            implied: false,
            cols,
        });
    }
    out
}

fn from_gso(t: &Table) -> Read {
    let mut out = Read::default();
    for (row, cells) in &t.rows {
        let get = |i: usize| cells.get(i).map(cell).unwrap_or_default();
        let (p_code, p_name, d_code, d_name, c_code, c_name, level) =
            (get(0), get(1), get(2), get(3), get(4), get(5), get(6));
        // The province of the row: a commune under no province is refused here.
        if p_code.is_empty() {
            out.problems
                .push(Problem::at(*row, "province_code", "form.required"));
            continue;
        }
        out.units.push(Listed {
            row: *row,
            code: p_code.clone(),
            name: p_name,
            kind: "province",
            parent: None,
            implied: true,
            cols: Cols {
                code: "province_code",
                name: "province_name",
                kind: "province_name",
                parent: "province_code",
            },
        });
        let mut parent = p_code;
        let mut parent_col = "province_code";
        if !d_code.is_empty() {
            out.units.push(Listed {
                row: *row,
                code: d_code.clone(),
                name: d_name,
                kind: "district",
                parent: Some(parent),
                implied: true,
                cols: Cols {
                    code: "district_code",
                    name: "district_name",
                    kind: "district_name",
                    parent: "province_code",
                },
            });
            parent = d_code;
            parent_col = "district_code";
        }
        let kind = if level.is_empty() {
            kind_of_name(&c_name)
        } else {
            kind_of(&level)
        };
        let Some(kind) = kind else {
            let p = if level.is_empty() {
                Problem::at(*row, "level", "form.required")
            } else {
                Problem::at(*row, "level", "import.units.error.kind").with("value", level)
            };
            out.problems.push(p);
            continue;
        };
        out.units.push(Listed {
            row: *row,
            code: c_code,
            name: c_name,
            kind,
            parent: Some(parent),
            implied: false,
            cols: Cols {
                code: "commune_code",
                name: "commune_name",
                kind: "level",
                parent: parent_col,
            },
        });
    }
    out
}

/// A unit the import opens.
#[derive(Clone, Debug, Serialize)]
pub struct NewUnit {
    pub row: usize,
    pub gso: String,
    pub name: String,
    pub kind: &'static str,
    pub parent: Option<String>,
}

/// A unit whose name, kind or parent changed: closed, and a successor opened.
#[derive(Clone, Debug, Serialize)]
pub struct Changed {
    pub row: usize,
    pub old: org_unit::Model,
    pub unit: NewUnit,
}

/// What an import would do, or why it cannot.
#[derive(Debug, Default)]
pub struct Plan {
    pub new: Vec<NewUnit>,
    pub changed: Vec<Changed>,
    pub closed: Vec<org_unit::Model>,
    pub unchanged: usize,
    /// Problems of rows: nothing is written while there is one.
    pub problems: Vec<Problem>,
    /// Units the list no longer holds that opened on or after the effective date: they cannot
    /// close before they opened (name, opening day).
    pub too_early: Vec<(String, NaiveDate)>,
}

impl Plan {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.too_early.is_empty()
    }

    pub fn changes(&self) -> usize {
        self.new.len() + self.changed.len() + self.closed.len()
    }
}

/// Units are compared by their official code, padded by their kind.
fn key_of(u: &org_unit::Model) -> Option<String> {
    u.gso_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| normalise_code(c, &u.kind))
}

/// Checks what the file lists and compares it with `existing` (every org unit) as of
/// `effective`. `whole_country`: the file is the list of the whole country, and units under
/// provinces it does not name close too.
pub fn plan(
    read: Read,
    existing: &[org_unit::Model],
    effective: NaiveDate,
    whole_country: bool,
) -> Plan {
    let mut p = Plan {
        problems: read.problems,
        ..Plan::default()
    };
    // Each unit once, by its normalised code.
    let mut listed: Vec<Listed> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for mut u in read.units {
        if u.code.is_empty() {
            p.problems
                .push(Problem::at(u.row, u.cols.code, "form.required"));
            continue;
        }
        if !well_formed(&u.code) {
            p.problems.push(
                Problem::at(u.row, u.cols.code, "import.units.error.code").with("value", u.code),
            );
            continue;
        }
        u.code = normalise_code(&u.code, u.kind);
        u.name = u.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some(&i) = at.get(&u.code) {
            let first = &listed[i];
            let same = u.implied && first.implied && first.name == u.name && first.kind == u.kind;
            if !same {
                p.problems.push(
                    Problem::at(u.row, u.cols.code, "import.units.error.duplicate")
                        .with("code", u.code.clone())
                        .with("first", first.row.to_string()),
                );
            }
            continue;
        }
        if u.name.is_empty() {
            p.problems
                .push(Problem::at(u.row, u.cols.name, "form.required"));
        }
        at.insert(u.code.clone(), listed.len());
        listed.push(u);
    }
    let open: HashMap<String, &org_unit::Model> = {
        let mut m = HashMap::new();
        let mut sorted: Vec<&org_unit::Model> =
            existing.iter().filter(|u| u.valid_to.is_none()).collect();
        sorted.sort_by_key(|u| u.id);
        for u in sorted {
            if let Some(k) = key_of(u) {
                m.entry(k).or_insert(u);
            }
        }
        m
    };
    let by_id: HashMap<i64, &org_unit::Model> = existing.iter().map(|u| (u.id, u)).collect();
    // Parents: a unit of a higher level, in the file or open in the database. Gives the
    // parent's normalised code and its rank.
    let find = |code: &str, kind: &str| -> Option<(String, u8)> {
        let k = normalise_code(code, kind);
        if let Some(&i) = at.get(&k)
            && rank(listed[i].kind) == rank(kind)
        {
            return Some((k, rank(kind)));
        }
        open.get(&k)
            .filter(|u| rank(&u.kind) == rank(kind))
            .map(|_| (k.clone(), rank(kind)))
    };
    let mut parents: Vec<Option<String>> = Vec::with_capacity(listed.len());
    for u in &listed {
        let resolved = match (&u.parent, rank(u.kind)) {
            (None, 0) => None,
            (Some(_), 0) => {
                p.problems.push(Problem::at(
                    u.row,
                    u.cols.parent,
                    "import.units.error.province_parent",
                ));
                None
            }
            (None, _) => {
                p.problems.push(Problem::at(
                    u.row,
                    u.cols.parent,
                    "import.units.error.no_parent",
                ));
                None
            }
            (Some(code), r) => {
                let written = code.trim();
                // A code of three digits is a district's; otherwise a province's first.
                let tries: &[&str] = if written.len() == 3 {
                    &["district", "province", "commune"]
                } else {
                    &["province", "district", "commune"]
                };
                let found = tries.iter().find_map(|k| find(written, k));
                match found {
                    Some((k, parent_rank)) if parent_rank < r => Some(k),
                    Some(_) => {
                        p.problems.push(
                            Problem::at(u.row, u.cols.parent, "import.units.error.parent_kind")
                                .with("code", written.to_owned()),
                        );
                        None
                    }
                    None => {
                        let key = if rank(u.kind) == 2 && u.cols.parent == "province_code" {
                            "import.units.error.no_province"
                        } else {
                            "import.units.error.parent_unknown"
                        };
                        p.problems.push(
                            Problem::at(u.row, u.cols.parent, key).with("code", written.to_owned()),
                        );
                        None
                    }
                }
            }
        };
        parents.push(resolved);
    }
    if !p.problems.is_empty() {
        p.problems.sort_by_key(|x| x.row);
        return p;
    }
    let parent_key = |u: &org_unit::Model| -> Option<String> {
        u.parent_id
            .and_then(|id| by_id.get(&id))
            .and_then(|x| key_of(x))
    };
    let mut order: Vec<usize> = (0..listed.len()).collect();
    order.sort_by_key(|&i| (rank(listed[i].kind), listed[i].row));
    let mut matched: HashSet<i64> = HashSet::new();
    for i in order {
        let u = &listed[i];
        let unit = NewUnit {
            row: u.row,
            gso: u.code.clone(),
            name: u.name.clone(),
            kind: u.kind,
            parent: parents[i].clone(),
        };
        match open.get(&u.code) {
            Some(old) => {
                matched.insert(old.id);
                if old.name == u.name && old.kind == u.kind && parent_key(old) == parents[i] {
                    p.unchanged += 1;
                } else if old.valid_from.is_some_and(|f| f >= effective) {
                    p.problems.push(
                        Problem::at(u.row, u.cols.code, "import.units.error.before_opening")
                            .with("name", old.name.clone())
                            .with(
                                "opened",
                                crate::web::format::date(old.valid_from.unwrap_or(effective)),
                            ),
                    );
                } else {
                    p.changed.push(Changed {
                        row: u.row,
                        old: (*old).clone(),
                        unit,
                    });
                }
            }
            None => p.new.push(unit),
        }
    }
    // Units the list no longer holds.
    let provinces: HashSet<&str> = listed
        .iter()
        .filter(|u| u.kind == "province")
        .map(|u| u.code.as_str())
        .collect();
    let top = |u: &org_unit::Model| -> Option<String> {
        let mut cur = u;
        for _ in 0..16 {
            match cur.parent_id.and_then(|id| by_id.get(&id)) {
                Some(parent) => cur = parent,
                None => break,
            }
        }
        key_of(cur).filter(|_| cur.kind == "province")
    };
    let mut closing: Vec<&org_unit::Model> = open
        .values()
        .filter(|u| !matched.contains(&u.id))
        .filter(|u| whole_country || top(u).is_some_and(|k| provinces.contains(k.as_str())))
        .copied()
        .collect();
    closing.sort_by_key(|u| (rank(&u.kind), u.name.clone(), u.id));
    for u in closing {
        match u.valid_from {
            Some(f) if f >= effective => p.too_early.push((u.name.clone(), f)),
            _ => p.closed.push(u.clone()),
        }
    }
    p.problems.sort_by_key(|x| x.row);
    p
}

/// What [`apply`] wrote.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Applied {
    pub opened: usize,
    pub renamed: usize,
    pub closed: usize,
}

/// Rows per INSERT: well under SQLite's limit of bound values.
const BATCH: usize = 300;

/// The app's code for a unit of the official list: `VN-<code>`, or with the effective day when
/// a closed unit holds it already.
fn app_code(gso: &str, effective: NaiveDate, taken: &mut HashSet<String>) -> String {
    let mut code = format!("VN-{gso}");
    if taken.contains(&code) {
        code = format!("VN-{gso}-{}", effective.format("%Y%m%d"));
        let base = code.clone();
        let mut n = 2;
        while taken.contains(&code) {
            code = format!("{base}-{n}");
            n += 1;
        }
    }
    taken.insert(code.clone());
    code
}

/// Writes a clean plan inside the caller's transaction: closures, renames (successor and
/// lineage row), new units level by level in batches, and one audit row.
pub async fn apply(
    db: &impl ConnectionTrait,
    plan: &Plan,
    effective: NaiveDate,
    source: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Applied, DbErr> {
    let closing = effective.pred_opt().unwrap_or(effective);
    let existing = org_unit::Entity::find().all(db).await?;
    let mut taken: HashSet<String> = existing.iter().map(|u| u.code.clone()).collect();
    let mut current: HashMap<String, i64> = HashMap::new();
    let mut open_sorted: Vec<&org_unit::Model> =
        existing.iter().filter(|u| u.valid_to.is_none()).collect();
    open_sorted.sort_by_key(|u| u.id);
    for u in open_sorted {
        if let Some(k) = key_of(u) {
            current.entry(k).or_insert(u.id);
        }
    }
    let closed_ids: Vec<i64> = plan
        .closed
        .iter()
        .map(|u| u.id)
        .chain(plan.changed.iter().map(|c| c.old.id))
        .collect();
    for chunk in closed_ids.chunks(BATCH) {
        org_unit::Entity::update_many()
            .col_expr(org_unit::Column::ValidTo, Expr::value(Some(closing)))
            .col_expr(org_unit::Column::UpdatedAt, Expr::value(now))
            .filter(org_unit::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    for r in 0..=2u8 {
        for c in plan.changed.iter().filter(|c| rank(c.unit.kind) == r) {
            let successor = org_unit::ActiveModel {
                code: Set(app_code(&c.unit.gso, effective, &mut taken)),
                gso_code: Set(Some(c.unit.gso.clone())),
                name: Set(c.unit.name.clone()),
                kind: Set(c.unit.kind.to_owned()),
                parent_id: Set(c.unit.parent.as_ref().and_then(|k| current.get(k).copied())),
                valid_from: Set(Some(effective)),
                valid_to: Set(None),
                ethnic_minority: Set(c.old.ethnic_minority),
                border_area: Set(c.old.border_area),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
            org_lineage::ActiveModel {
                kind: Set("rename".to_owned()),
                predecessor_id: Set(c.old.id),
                successor_id: Set(successor.id),
                effective_date: Set(effective),
                legal_basis: Set(source.to_owned()),
                created_by: Set(actor),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
            current.insert(c.unit.gso.clone(), successor.id);
        }
        let fresh: Vec<&NewUnit> = plan.new.iter().filter(|u| rank(u.kind) == r).collect();
        for chunk in fresh.chunks(BATCH) {
            let mut codes = Vec::with_capacity(chunk.len());
            let rows: Vec<org_unit::ActiveModel> = chunk
                .iter()
                .map(|u| {
                    let code = app_code(&u.gso, effective, &mut taken);
                    codes.push((code.clone(), u.gso.clone()));
                    org_unit::ActiveModel {
                        code: Set(code),
                        gso_code: Set(Some(u.gso.clone())),
                        name: Set(u.name.clone()),
                        kind: Set(u.kind.to_owned()),
                        parent_id: Set(u.parent.as_ref().and_then(|k| current.get(k).copied())),
                        valid_from: Set(Some(effective)),
                        valid_to: Set(None),
                        ethnic_minority: Set(false),
                        border_area: Set(false),
                        created_at: Set(now),
                        updated_at: Set(now),
                        // A bulk insert runs no `before_save`.
                        search_name: Set(org_unit::search_name(&u.name)),
                        ..Default::default()
                    }
                })
                .collect();
            org_unit::Entity::insert_many(rows).exec(db).await?;
            if r < 2 {
                // Their ids, for the units below them.
                let ids: Vec<(i64, String)> = org_unit::Entity::find()
                    .select_only()
                    .column(org_unit::Column::Id)
                    .column(org_unit::Column::Code)
                    .filter(org_unit::Column::Code.is_in(codes.iter().map(|(c, _)| c.clone())))
                    .into_tuple()
                    .all(db)
                    .await?;
                for (id, code) in ids {
                    if let Some((_, gso)) = codes.iter().find(|(c, _)| *c == code) {
                        current.insert(gso.clone(), id);
                    }
                }
            }
        }
    }
    let applied = Applied {
        opened: plan.new.len(),
        renamed: plan.changed.len(),
        closed: plan.closed.len(),
    };
    audit::record(
        db,
        now,
        audit::Event {
            user_id: actor,
            action: "org_unit:import",
            object_type: "org_unit",
            object_id: None,
            org_unit_id: None,
            change: json!({
                "source": source,
                "effective_date": effective,
                "opened": applied.opened,
                "renamed": plan.changed.iter().map(|c| json!({ "code": c.unit.gso, "from": c.old.name, "to": c.unit.name })).collect::<Vec<_>>(),
                "closed": plan.closed.iter().map(|u| u.gso_code.clone()).collect::<Vec<_>>(),
            }),
        },
    )
    .await?;
    Ok(applied)
}

/// Why the official list did not load.
#[derive(Debug)]
pub enum LoadError {
    Db(DbErr),
    /// The list itself is unreadable or has problems (cannot happen with the shipped file).
    Invalid(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Db(e) => write!(f, "{e}"),
            LoadError::Invalid(s) => write!(f, "{s}"),
        }
    }
}

impl std::error::Error for LoadError {}

impl From<DbErr> for LoadError {
    fn from(e: DbErr) -> Self {
        LoadError::Db(e)
    }
}

/// `kehoach units load-official`: today's official list, as the whole country's, effective on
/// `effective`, in one transaction. Loading it again writes nothing.
pub async fn load_official(
    db: &DatabaseConnection,
    effective: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Applied, LoadError> {
    let read = read_units(OFFICIAL_2025)
        .map_err(|e| LoadError::Invalid(format!("{OFFICIAL_2025_NAME}: {e:?}")))?;
    let txn = db.begin().await?;
    let existing = org_unit::Entity::find().all(&txn).await?;
    let p = plan(read, &existing, effective, true);
    if !p.is_clean() {
        let mut what: Vec<String> = p
            .problems
            .iter()
            .take(5)
            .map(|x| format!("row {}: {} {:?}", x.row, x.key, x.args))
            .collect();
        what.extend(
            p.too_early
                .iter()
                .take(5)
                .map(|(n, d)| format!("{n} opened on {d}, after the effective date")),
        );
        return Err(LoadError::Invalid(what.join("; ")));
    }
    if p.changes() == 0 {
        return Ok(Applied::default());
    }
    let applied = apply(&txn, &p, effective, OFFICIAL_2025_NAME, None, now).await?;
    txn.commit().await?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any rows under either header: read and planned against a unit that exists, never a
        /// panic, and every problem is at a data row (the header is row 1).
        #[test]
        fn any_rows_are_read_and_planned_without_panic(
            rows in proptest::collection::vec(
                proptest::collection::vec("[0-9]{0,6}|[a-zA-ZđĐàáạ _-]{0,8}|Xã A|66|province|ward|", 5),
                1..12,
            ),
            gso in any::<bool>(),
        ) {
            let header = if gso { "Mã TP,Tên TP,Mã PX,Tên PX,Cấp" } else { "code,name,kind,parent_code,x" };
            let mut csv = format!("{header}\n");
            for r in &rows {
                csv.push_str(&r.join(","));
                csv.push('\n');
            }
            let existing = vec![org_unit::Model {
                id: 1,
                code: "VN-66".into(),
                gso_code: Some("66".into()),
                name: "Tỉnh Đắk Lắk".into(),
                kind: "province".into(),
                parent_id: None,
                valid_from: NaiveDate::from_ymd_opt(2025, 7, 1),
                valid_to: None,
                ethnic_minority: false,
                border_area: false,
                created_at: chrono::DateTime::UNIX_EPOCH,
                updated_at: chrono::DateTime::UNIX_EPOCH,
                search_name: "tinh dak lak".into(),
            }];
            if let Ok(read) = read_units(csv.as_bytes()) {
                let p = plan(read, &existing, official_2025_effective(), gso);
                prop_assert!(p.problems.iter().all(|x| x.row >= 2));
            }
        }
    }

    #[test]
    fn the_shipped_list_reads_whole() {
        let r = read_units(OFFICIAL_2025).unwrap();
        assert!(r.problems.is_empty());
        let count = |k: &str| r.units.iter().filter(|u| u.kind == k).count();
        assert_eq!(count("province"), 34);
        assert_eq!(count("commune"), 2621);
        assert_eq!(count("ward"), 687);
        assert_eq!(count("special_zone"), 13);
        let p = plan(r, &[], official_2025_effective(), true);
        assert!(p.is_clean(), "{:?}", p.problems.first());
        assert_eq!(p.new.len(), 34 + 3321);
        let tay_hoa = p.new.iter().find(|u| u.gso == "22255").unwrap();
        assert_eq!(tay_hoa.name, "Xã Tây Hòa");
        assert_eq!(tay_hoa.parent.as_deref(), Some("66"));
    }

    #[test]
    fn a_statistics_office_file_names_its_provinces_on_every_row() {
        let csv = "Mã TP,Tên TP,Mã PX,Tên PX,Cấp\n66,Tỉnh Đắk Lắk,22255,Xã Tây Hòa,Xã\n66,Tỉnh Đắk Lắk,22250,Xã Sơn Thành,Xã\n";
        let r = read_units(csv.as_bytes()).unwrap();
        assert!(r.problems.is_empty());
        let p = plan(r, &[], official_2025_effective(), false);
        assert!(p.is_clean());
        assert_eq!(p.new.len(), 3);
        let csv = "MA TP;ten tp;Mã PX;Tên PX;Cấp\n66;Tỉnh Đắk Lắk;22255;Xã Tây Hòa;Xã\n67;Tỉnh Khác;22250;Xã Sơn Thành;Thôn\n66;Tỉnh Đắk Lắk Mới;22256;Xã A;Phường\n";
        let p = plan(
            read_units(csv.as_bytes()).unwrap(),
            &[],
            official_2025_effective(),
            false,
        );
        let keys: Vec<(usize, &str)> = p.problems.iter().map(|x| (x.row, x.key.as_str())).collect();
        assert_eq!(
            keys,
            vec![
                (3, "import.units.error.kind"),
                (4, "import.units.error.duplicate")
            ]
        );
    }

    #[test]
    fn a_list_from_before_2025_carries_its_districts() {
        let csv = "Mã TP,Tên TP,Mã QH,Tên QH,Mã PX,Tên PX,Cấp\n\
            54,Tỉnh Phú Yên,562,Huyện Tây Hòa,22231,Thị trấn Phú Thứ,Thị trấn\n\
            54,Tỉnh Phú Yên,562,Huyện Tây Hòa,22234,Xã Hòa Phong,Xã\n";
        let p = plan(
            read_units(csv.as_bytes()).unwrap(),
            &[],
            NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            false,
        );
        assert!(p.is_clean(), "{:?}", p.problems);
        let kinds: Vec<(&str, &str, Option<&str>)> = p
            .new
            .iter()
            .map(|u| (u.gso.as_str(), u.kind, u.parent.as_deref()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("54", "province", None),
                ("562", "district", Some("54")),
                ("22231", "town", Some("562")),
                ("22234", "commune", Some("562")),
            ]
        );
    }

    #[test]
    fn codes_read_the_same_however_written() {
        assert_eq!(normalise_code("66", "province"), "66");
        assert_eq!(normalise_code("4", "province"), "04");
        assert_eq!(normalise_code("70", "ward"), "00070");
        assert_eq!(normalise_code("000070", "ward"), "00070");
        assert_eq!(kind_of("Đặc khu"), Some("special_zone"));
        assert_eq!(kind_of("PHƯỜNG"), Some("ward"));
        assert_eq!(kind_of("thôn"), None);
    }
}
