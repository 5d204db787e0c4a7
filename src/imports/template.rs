//! The XLSX templates: the first sheet has the import's columns (the activity template's are the
//! export's), a title row that says how to fill it in, a frozen header row, and drop-down lists
//! (data validation) fed by a second sheet that lists the codes, units and agencies the user may
//! name. Dates and counts are checked by Excel as they are typed; the import checks everything
//! again anyway.

use crate::spreadsheets::sheet::{Column, XlsxSheet};
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DataValidationRule, Format, Formula, Workbook,
    Worksheet, XlsxError,
};

/// Rows of the first sheet that carry drop-downs (the import's row limit).
const LAST_ROW: u32 = super::read::MAX_ROWS as u32 + 1;

/// One drop-down: the column (index in the import's columns) and its choices.
pub struct List {
    pub column: usize,
    pub header: String,
    pub choices: Vec<String>,
    /// Choices only suggest: other text is allowed (a list of target groups, "a; b").
    pub open: bool,
}

/// What a template holds.
pub struct Template {
    pub sheet: String,
    pub title: String,
    pub columns: Vec<Column>,
    pub lists: Vec<List>,
    pub lists_sheet: String,
    /// Columns of dates, of whole counts, and of text (kept as typed: a month such as
    /// "06/2024" must not turn into a date).
    pub dates: Vec<usize>,
    pub counts: Vec<usize>,
    pub texts: Vec<usize>,
}

fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// `A`, `B`, ... `AA`: a column's letters.
fn letters(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(char::from(b'A' + u8::try_from(i % 26).unwrap_or(0)));
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.iter().rev().collect()
}

/// The template as the bytes of an XLSX file.
pub fn build(t: &Template) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    {
        let _sheet = XlsxSheet::start(ws, &t.sheet, &t.title, &t.columns)?;
    }
    main_sheet(ws, t)?;
    let lists = wb.add_worksheet();
    lists.set_name(&t.lists_sheet)?;
    let head = Format::new().set_bold().set_background_color("#DDEBF7");
    for (i, l) in t.lists.iter().enumerate() {
        lists.set_column_width(col(i), 36)?;
        lists.write_string_with_format(0, col(i), &l.header, &head)?;
        for (r, choice) in l.choices.iter().enumerate() {
            let row = u32::try_from(r + 1).unwrap_or(u32::MAX);
            lists.write_string(
                row,
                col(i),
                crate::spreadsheets::sheet::neutralise(choice).as_ref(),
            )?;
        }
    }
    wb.save_to_buffer()
}

fn main_sheet(ws: &mut Worksheet, t: &Template) -> Result<(), XlsxError> {
    let first = crate::spreadsheets::sheet::FIRST_DATA_ROW;
    for (i, l) in t.lists.iter().enumerate() {
        if l.choices.is_empty() {
            continue;
        }
        let range = format!(
            "='{}'!${c}$2:${c}${}",
            t.lists_sheet.replace('\'', "''"),
            l.choices.len() + 1,
            c = letters(i)
        );
        let mut dv = DataValidation::new().allow_list_formula(Formula::new(range));
        if l.open {
            dv = dv.set_error_style(DataValidationErrorStyle::Information);
        }
        ws.add_data_validation(first, col(l.column), LAST_ROW, col(l.column), &dv)?;
    }
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    for c in &t.dates {
        ws.set_column_format(col(*c), &date_format)?;
        let dv = DataValidation::new()
            .allow_date(DataValidationRule::Between(
                chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default(),
                chrono::NaiveDate::from_ymd_opt(2100, 12, 31).unwrap_or_default(),
            ))
            .set_error_style(DataValidationErrorStyle::Warning);
        ws.add_data_validation(first, col(*c), LAST_ROW, col(*c), &dv)?;
    }
    for c in &t.counts {
        let dv = DataValidation::new()
            .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0))
            .set_error_style(DataValidationErrorStyle::Warning);
        ws.add_data_validation(first, col(*c), LAST_ROW, col(*c), &dv)?;
    }
    let text_format = Format::new().set_num_format("@");
    for c in &t.texts {
        ws.set_column_format(col(*c), &text_format)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(letters(0), "A");
        assert_eq!(letters(25), "Z");
        assert_eq!(letters(26), "AA");
        assert_eq!(letters(27), "AB");
    }
}

/// The lists a user's templates offer: what they may name.
mod data {
    use super::{List, Template};
    use crate::activities::edit::Writer;
    use crate::activities::service;
    use crate::auth::{CurrentUser, Role};
    use crate::entities::{agency, code, org_unit};
    use crate::error::AppResult;
    use crate::imports::{activities, stats};
    use crate::spreadsheets::sheet::Column;
    use crate::state::AppState;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    fn index(spec: &[crate::imports::read::ColumnSpec], key: &str) -> usize {
        spec.iter().position(|c| c.key == key).unwrap_or(0)
    }

    /// Current units of the user's scope, by name.
    async fn units(state: &AppState, user: &CurrentUser) -> AppResult<Vec<String>> {
        let scope = user.scope(state).await?;
        let today = state.clock.today();
        Ok(org_unit::Entity::find()
            .filter(org_unit::Column::Id.is_in(scope.ids()))
            .order_by_asc(org_unit::Column::Name)
            .all(&state.db)
            .await?
            .into_iter()
            .filter(|u| crate::org_units::repo::is_current(u, today))
            .map(|u| u.name)
            .collect())
    }

    async fn codes(state: &AppState, user: &CurrentUser, list: &str) -> AppResult<Vec<String>> {
        Ok(crate::codes::list(&state.db, list)
            .await?
            .iter()
            .filter(|c: &&code::Model| c.retired_at.is_none())
            .map(|c| crate::codes::name(c, user.locale).to_owned())
            .collect())
    }

    pub async fn activities(state: &AppState, user: &CurrentUser) -> AppResult<Template> {
        let l = user.locale;
        let t = |k: &str| state.i18n.t(l, k).to_owned();
        let spec = activities::SPEC;
        let w = Writer::of(state, user).await?;
        let agencies: Vec<String> = agency::Entity::find()
            .filter(agency::Column::OrgUnitId.is_in(w.plan_units.clone()))
            .filter(agency::Column::Active.eq(true))
            .order_by_asc(agency::Column::Name)
            .all(&state.db)
            .await?
            .into_iter()
            .filter(|a| user.role != Role::Partner || a.id == user.agency_id)
            .map(|a| a.short_name)
            .collect();
        let mut items = Vec::new();
        for (_, plan_items) in
            crate::activities::service::plan_items_for(&state.db, &w.plan_units).await?
        {
            items.extend(
                plan_items
                    .iter()
                    .map(|i| format!("{} — {}", i.id, crate::activities::repo::item_title(i))),
            );
        }
        let list = |key: &str, choices: Vec<String>, open: bool| List {
            column: index(spec, key),
            header: t(&format!("sheet.activity.{key}")),
            choices,
            open,
        };
        let lists = vec![
            list(
                "activity_type",
                codes(state, user, "activity_type").await?,
                false,
            ),
            list("plan_item", items, false),
            list("org_unit", units(state, user).await?, false),
            list("agency", agencies, false),
            list(
                "target_groups",
                codes(state, user, "target_group").await?,
                true,
            ),
            list(
                "status",
                [service::PLANNED, service::HELD]
                    .map(|s| service::status_label(&state.i18n, user.locale, s))
                    .to_vec(),
                false,
            ),
        ];
        let at = |keys: &[&str]| keys.iter().map(|k| index(spec, k)).collect();
        Ok(Template {
            sheet: t("sheet.activity.sheet"),
            title: t("import.template.activities_note"),
            columns: crate::spreadsheets::activities::columns(state, l),
            lists,
            lists_sheet: t("import.template.lists"),
            dates: at(&["start_date", "end_date", "held_on"]),
            counts: at(&[
                "planned_participants",
                "participants",
                "women",
                "ethnic_minority",
                "children",
            ]),
            texts: at(&["title", "place", "notes"]),
        })
    }

    pub async fn stats(state: &AppState, user: &CurrentUser) -> AppResult<Template> {
        let l = user.locale;
        let t = |k: &str| state.i18n.t(l, k).to_owned();
        let spec = stats::SPEC;
        let mut lists = vec![
            List {
                column: index(spec, "unit"),
                header: t("import.stats.column.unit"),
                choices: units(state, user).await?,
                open: false,
            },
            List {
                column: index(spec, "figure"),
                header: t("import.stats.column.figure"),
                choices: stats::FIGURES
                    .iter()
                    .map(|f| t(&format!("import.stats.figure.{f}")))
                    .collect(),
                open: false,
            },
        ];
        for (column, list) in stats::LISTS {
            lists.push(List {
                column: index(spec, column),
                header: t(&format!("import.stats.column.{column}")),
                choices: codes(state, user, list).await?,
                open: false,
            });
        }
        let widths = [
            28.0, 10.0, 36.0, 14.0, 16.0, 24.0, 22.0, 18.0, 36.0, 28.0, 12.0,
        ];
        Ok(Template {
            sheet: t("import.stats.sheet"),
            title: t("import.template.stats_note"),
            columns: spec
                .iter()
                .zip(widths)
                .map(|(c, width)| Column {
                    header: t(&format!("import.stats.column.{}", c.key)),
                    width,
                })
                .collect(),
            lists,
            lists_sheet: t("import.template.lists"),
            dates: Vec::new(),
            counts: vec![index(spec, "value")],
            texts: vec![index(spec, "month")],
        })
    }
}

pub use data::{activities, stats};
