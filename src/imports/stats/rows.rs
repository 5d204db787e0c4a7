//! Reading each row into the month it belongs to, then each month by the entry form's rules,
//! each problem at the row and column that caused it.

use super::{Importer, LISTS, Lookups, Month, Outcome, Row, cell, month_of};
use crate::imports::read::Table;
use crate::imports::{Problem, count, text};
use crate::support_stats::codes::in_force;
use crate::support_stats::input::{self, Group, MonthInput};
use crate::support_stats::period::YearMonth;
use crate::web::forms::FieldErrors;
use std::collections::{BTreeMap, HashMap};

/// A month being gathered: its input, and which row gave which field of it.
struct Draft {
    input: MonthInput,
    rows: Vec<usize>,
    fields: HashMap<String, usize>,
}

/// The codes a month may use: not retired (unless the stored month uses them), and for
/// support types, those of the law in force that month — the entry form's choices.
fn usable(lk: &Lookups, id: i64, column: &str, m: YearMonth, keep: &[i64]) -> bool {
    let Some(c) = lk.codes.get(&id) else {
        return false;
    };
    let list = LISTS
        .iter()
        .find(|(k, _)| *k == column)
        .map_or("", |(_, l)| *l);
    c.list == list
        && (c.retired_at.is_none() || keep.contains(&id))
        && (column != "support_type" || in_force(c, m))
}

fn kept_codes(stored: Option<&MonthInput>) -> Vec<i64> {
    let Some(s) = stored else {
        return Vec::new();
    };
    let mut keep: Vec<i64> = s
        .support
        .keys()
        .chain(s.referrals.keys())
        .copied()
        .collect();
    for g in s.received.keys() {
        keep.extend([g.sex, g.age_band, g.purpose, g.manner, g.trafficked_to]);
    }
    keep
}

/// Reads and checks every row, then every month.
pub fn check_rows(table: &Table, lk: &Lookups, who: &Importer<'_>) -> Outcome {
    let mut out = Outcome::default();
    let mut drafts: BTreeMap<(i64, YearMonth), Draft> = BTreeMap::new();
    for (number, cells) in &table.rows {
        let number = *number;
        let mut problems: Vec<Problem> = Vec::new();
        let unknown = |column: &'static str| {
            Problem::at(number, column, "import.error.unknown")
                .with("value", cell(cells, column).text())
        };
        let unit = match lk.unit(cells) {
            Ok(id) if who.scope.contains(id) => Some(id),
            Ok(_) => {
                problems.push(Problem::at(number, "unit", "import.error.out_of_scope"));
                None
            }
            Err(()) if text(cell(cells, "unit")).is_none() => {
                problems.push(Problem::at(number, "unit", "form.required"));
                None
            }
            Err(()) => {
                problems.push(unknown("unit"));
                None
            }
        };
        let m = match month_of(cell(cells, "month")) {
            Ok(m) => Some(m),
            Err(key) => {
                problems.push(Problem::at(number, "month", key));
                None
            }
        };
        let figure = match text(cell(cells, "figure")) {
            None => {
                problems.push(Problem::at(number, "figure", "form.required"));
                None
            }
            Some(t) => match lk.figures.get(&crate::text::fold(&t)) {
                Some(f) => Some(*f),
                None => {
                    problems.push(unknown("figure"));
                    None
                }
            },
        };
        let value = match count(cell(cells, "value")) {
            Ok(Some(n)) => Some(n),
            Ok(None) => {
                problems.push(Problem::at(number, "value", "form.required"));
                None
            }
            Err(key) => {
                problems.push(Problem::at(number, "value", &key));
                None
            }
        };
        let (Some(unit), Some(m), Some(figure), Some(value)) = (unit, m, figure, value) else {
            out.problems.extend(problems);
            continue;
        };
        let stored = lk.months.get(&(unit, m));
        let keep = kept_codes(stored.map(|(_, s)| s));
        // The breakdown this figure needs, each a code the month may use.
        let needs: &[&str] = match figure {
            // A group left at zero is an unused line, whatever its criteria say (the form).
            "received" if value == 0 => &[],
            "received" => &["sex", "age_band", "purpose", "manner", "trafficked_to"],
            "support" => &["support_type"],
            "referral" => &["destination"],
            _ => &[],
        };
        let mut codes: Vec<Option<i64>> = vec![None; LISTS.len()];
        for column in needs {
            let Some(t) = text(cell(cells, column)) else {
                problems.push(Problem::at(number, column, "stats.error.line_incomplete"));
                continue;
            };
            let names = lk.lists.get(column).map(|n| n.find(&t)).unwrap_or(&[]);
            match names.iter().find(|id| usable(lk, **id, column, m, &keep)) {
                Some(id) => {
                    if let Some(slot) = LISTS
                        .iter()
                        .position(|(k, _)| k == column)
                        .and_then(|i| codes.get_mut(i))
                    {
                        *slot = Some(*id);
                    }
                }
                None if *column == "support_type" && !names.is_empty() => {
                    problems.push(Problem::at(number, column, "stats.error.support_type_law"));
                }
                None => problems.push(unknown(column)),
            }
        }
        if !problems.is_empty() {
            out.problems.extend(problems);
            continue;
        }
        let draft = drafts.entry((unit, m)).or_insert_with(|| Draft {
            input: MonthInput::default(),
            rows: Vec::new(),
            fields: HashMap::new(),
        });
        draft.rows.push(number);
        let code_at = |column: &str| {
            LISTS
                .iter()
                .position(|(k, _)| *k == column)
                .and_then(|i| codes.get(i).copied().flatten())
                .unwrap_or(0)
        };
        // The field of the entry form this row fills, for the rules' messages.
        let field = match figure {
            "received" => "received".to_owned(),
            "support" => format!("support_{}", code_at("support_type")),
            "referral" => format!("referral_{}", code_at("destination")),
            other => other.to_owned(),
        };
        if figure != "received" && draft.fields.contains_key(&field) {
            let first = draft.fields.get(&field).copied().unwrap_or(0);
            out.problems.push(
                Problem::at(number, "figure", "import.error.duplicate_row")
                    .with("row", first.to_string()),
            );
            continue;
        }
        draft.fields.entry(field).or_insert(number);
        let i = &mut draft.input;
        match figure {
            "received" if value > 0 => {
                let g = Group {
                    sex: code_at("sex"),
                    age_band: code_at("age_band"),
                    purpose: code_at("purpose"),
                    manner: code_at("manner"),
                    trafficked_to: code_at("trafficked_to"),
                };
                // The same group on two rows is one group (as on the form).
                *i.received.entry(g).or_insert(0) += value;
            }
            "support" if value > 0 => {
                i.support.insert(code_at("support_type"), value);
            }
            "referral" if value > 0 => {
                i.referrals.insert(code_at("destination"), value);
            }
            "carried_over" => i.carried_over = value,
            "hotline_received" => i.hotline_received = value,
            "hotline_handled" => i.hotline_handled = value,
            "hotline_referred" => i.hotline_referred = value,
            "loans_count" => i.loans_count = value,
            "loans_amount" => i.loans_amount = value,
            _ => {}
        }
        out.rows.push(Row {
            number,
            unit_id: unit,
            month: m,
            figure,
            codes,
            value,
        });
    }
    for ((unit_id, m), d) in drafts {
        let first = d.rows.first().copied().unwrap_or(0);
        let mut problems = Vec::new();
        let stored = lk.months.get(&(unit_id, m));
        if m.first_day() > who.today {
            problems.extend(
                d.rows
                    .iter()
                    .map(|r| Problem::at(*r, "month", "stats.error.future_month")),
            );
        } else if stored.is_some_and(|(row, _)| row.locked_at.is_some()) {
            problems.extend(
                d.rows
                    .iter()
                    .map(|r| Problem::at(*r, "month", "import.error.locked")),
            );
        }
        // The entry form's rules, at the row that gave the field.
        let mut errors = FieldErrors::default();
        input::check(&d.input, &mut errors);
        for (field, key) in errors.0 {
            let row = d
                .fields
                .get(&field)
                .or_else(|| match field.as_str() {
                    // A loan amount without a count: the amount's row.
                    "loans_count" => d.fields.get("loans_amount"),
                    "loans_amount" => d.fields.get("loans_count"),
                    _ => None,
                })
                .copied()
                .unwrap_or(first);
            problems.push(Problem::at(row, "value", &key));
        }
        if problems.is_empty() {
            out.months.push(Month {
                unit_id,
                month: m,
                input: d.input,
                rows: d.rows,
                replaces: stored.is_some_and(|(_, s)| *s != MonthInput::default()),
            });
        } else {
            out.problems.extend(problems);
            // Its rows are not what will be saved: the month is not.
            out.rows.retain(|r| (r.unit_id, r.month) != (unit_id, m));
        }
    }
    out.problems.sort_by_key(|p| p.row);
    out
}
