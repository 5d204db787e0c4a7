//! Reading each row into the input of the activity form: references found by code or name,
//! cells read by the forms' rules, then the form's own checks, each problem at its column.

use super::{Importer, Lookups, Outcome, Row, col};
use crate::activities::access::may_write;
use crate::activities::input::{self, ActivityInput};
use crate::activities::service::{self};
use crate::imports::read::{Table, Value};
use crate::imports::{Names, Problem, count, date, text};
use crate::text::fold;
use crate::web::forms::FieldErrors;
use chrono::NaiveDate;
use std::collections::HashMap;

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

/// The plan item: its code and title as the export writes it ("2.1. Tổ chức …"), or its id
/// as the template's list shows it ("12 — II.1. …"). When several readable plans repeat one
/// wording, the plan whose period holds the row's start date wins, then the latest item.
fn plan_item(r: &mut RowReader<'_>, lk: &Lookups, who: &Importer<'_>) -> i64 {
    let raw = r.cell("plan_item").text();
    if raw.is_empty() {
        r.problem("plan_item", "form.required");
        return 0;
    }
    let readable = |id: &i64| {
        lk.item_plan_unit
            .get(id)
            .is_some_and(|u| who.plan_units.contains(u))
    };
    let found = match item_id(&raw) {
        Some(id) => Some(id).filter(readable),
        None => {
            let start = date(r.cell("start_date")).ok().flatten();
            lk.item_titles.get(&fold(&raw)).and_then(|ids| {
                ids.iter().copied().filter(readable).max_by_key(|id| {
                    let within = lk.items.get(id).is_some_and(|it| {
                        start.is_some_and(|d| it.period.0 <= d && d <= it.period.1)
                    });
                    (within, *id)
                })
            })
        }
    };
    found.unwrap_or_else(|| {
        r.unknown("plan_item");
        0
    })
}

/// The id of a cell written as an id alone or as the template's "id — title".
fn item_id(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let digits: String = raw.chars().take_while(char::is_ascii_digit).collect();
    let rest = raw[digits.len()..].trim_start();
    if rest.is_empty() || rest.starts_with('—') {
        digits.parse().ok()
    } else {
        None
    }
}
