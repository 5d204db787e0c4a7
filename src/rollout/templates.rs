//! The standard agencies of a unit, by level (`commune` for communes, wards and special
//! zones; `province`), as templates the administrator edits at `/admin/agency-templates`.
//! A name is written with placeholders: `{tên}` the unit's name without its kind's word
//! ("Ea Tul"), `{loại}` that word in lower case ("xã", "phường", "đặc khu", "tỉnh"), `{mã}` the
//! unit's official code. The agency's code is the unit's code and the template's suffix
//! (`VN-26734-CA`): what makes a second run add only what is missing.

use crate::audit;
use crate::auth::CurrentUser;
use crate::entities::{agency_template, org_unit};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{FieldErrors, FormValues, RawForm};
use crate::web::{Page, flash};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use minijinja::context;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;

pub const LEVELS: [&str; 2] = ["commune", "province"];
pub const PLACEHOLDERS: [&str; 3] = ["{tên}", "{loại}", "{mã}"];

/// The usual agencies: level, code suffix, name, short name, agency kind. The People's
/// Committee comes first. Seeded into the table on a new database; setup uses them as they are.
pub const DEFAULTS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "commune",
        "UBND",
        "Ủy ban nhân dân {loại} {tên}",
        "UBND {loại} {tên}",
        "people_committee",
    ),
    (
        "commune",
        "VHXH",
        "Phòng Văn hóa - Xã hội {loại} {tên}",
        "Phòng VH-XH",
        "office",
    ),
    (
        "commune",
        "CA",
        "Công an {loại} {tên}",
        "Công an {loại}",
        "police",
    ),
    (
        "commune",
        "TYT",
        "Trạm Y tế {loại} {tên}",
        "Trạm Y tế",
        "centre",
    ),
    (
        "commune",
        "HLHPN",
        "Hội Liên hiệp Phụ nữ {loại} {tên}",
        "Hội LHPN {loại}",
        "mass_organisation",
    ),
    (
        "commune",
        "DTN",
        "Đoàn Thanh niên Cộng sản Hồ Chí Minh {loại} {tên}",
        "Đoàn TN {loại}",
        "mass_organisation",
    ),
    (
        "commune",
        "MTTQ",
        "Ủy ban Mặt trận Tổ quốc Việt Nam {loại} {tên}",
        "UBMTTQ {loại}",
        "mass_organisation",
    ),
    (
        "province",
        "UBND",
        "Ủy ban nhân dân {loại} {tên}",
        "UBND {loại} {tên}",
        "people_committee",
    ),
    (
        "province",
        "SYT",
        "Sở Y tế {loại} {tên}",
        "Sở Y tế",
        "department",
    ),
    (
        "province",
        "SVHTTDL",
        "Sở Văn hóa, Thể thao và Du lịch {loại} {tên}",
        "Sở VHTTDL",
        "department",
    ),
    (
        "province",
        "CA",
        "Công an {loại} {tên}",
        "Công an {loại} {tên}",
        "police",
    ),
    (
        "province",
        "HLHPN",
        "Hội Liên hiệp Phụ nữ {loại} {tên}",
        "Hội LHPN {loại}",
        "mass_organisation",
    ),
    (
        "province",
        "TD",
        "Tỉnh đoàn {tên}",
        "Tỉnh đoàn",
        "mass_organisation",
    ),
    (
        "province",
        "MTTQ",
        "Ủy ban Mặt trận Tổ quốc Việt Nam {loại} {tên}",
        "UBMTTQ {loại}",
        "mass_organisation",
    ),
];

/// The template level of a unit kind; none for districts (they ended in July 2025).
pub fn level_of(kind: &str) -> Option<&'static str> {
    match kind {
        "province" => Some("province"),
        "commune" | "ward" | "special_zone" | "town" => Some("commune"),
        _ => None,
    }
}

/// A pattern with the unit's values put in.
pub fn expand(pattern: &str, u: &org_unit::Model) -> String {
    let (word, rest) = crate::org_units::split_name(&u.name);
    let word = word.map(str::to_lowercase).unwrap_or_else(|| {
        match u.kind.as_str() {
            "province" => "tỉnh",
            "ward" => "phường",
            "special_zone" => "đặc khu",
            "town" => "thị trấn",
            _ => "xã",
        }
        .to_owned()
    });
    let code = u.gso_code.clone().unwrap_or_else(|| u.code.clone());
    let out = pattern
        .replace("{tên}", rest)
        .replace("{loại}", &word)
        .replace("{mã}", &code);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One standard agency of a unit: code, name, short name, kind.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Standard {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub kind: String,
}

/// The agencies the templates give a unit, in the templates' order.
pub fn standard_for(u: &org_unit::Model, templates: &[agency_template::Model]) -> Vec<Standard> {
    let Some(level) = level_of(&u.kind) else {
        return Vec::new();
    };
    templates
        .iter()
        .filter(|t| t.level == level)
        .map(|t| Standard {
            code: format!("{}-{}", u.code, t.suffix),
            name: expand(&t.name, u),
            short_name: expand(&t.short_name, u),
            kind: t.kind.clone(),
        })
        .collect()
}

/// The defaults as template rows (not saved).
pub fn defaults() -> Vec<agency_template::Model> {
    let now = DateTime::<Utc>::default();
    DEFAULTS
        .iter()
        .enumerate()
        .map(
            |(i, (level, suffix, name, short, kind))| agency_template::Model {
                id: 0,
                level: (*level).to_owned(),
                suffix: (*suffix).to_owned(),
                name: (*name).to_owned(),
                short_name: (*short).to_owned(),
                kind: (*kind).to_owned(),
                position: i32::try_from(i).unwrap_or(0),
                created_at: now,
                updated_at: now,
            },
        )
        .collect()
}

/// Writes the defaults into an empty table (a new database); a table with rows is the
/// administrator's and stays as it is.
pub async fn seed_defaults(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), DbErr> {
    if agency_template::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    for t in defaults() {
        agency_template::ActiveModel {
            level: Set(t.level),
            suffix: Set(t.suffix),
            name: Set(t.name),
            short_name: Set(t.short_name),
            kind: Set(t.kind),
            position: Set(t.position),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Every template, level by level, in order.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<agency_template::Model>, DbErr> {
    agency_template::Entity::find()
        .order_by_asc(agency_template::Column::Level)
        .order_by_asc(agency_template::Column::Position)
        .order_by_asc(agency_template::Column::Id)
        .all(db)
        .await
}

/// Unknown placeholders in a pattern (`{ten}`, `{name}`): a typo would end up in every name.
fn unknown_placeholder(pattern: &str) -> bool {
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            return true;
        };
        let token = &rest[start..=start + len];
        if !PLACEHOLDERS.contains(&token) {
            return true;
        }
        rest = &rest[start + len + 1..];
    }
    rest.contains('}')
}

/// A template as typed, checked.
fn parse(
    form: &RawForm,
    errors: &mut FieldErrors,
) -> Option<(String, String, String, String, String)> {
    let level = form.get("level").trim().to_owned();
    if !LEVELS.contains(&level.as_str()) {
        errors.add("level", "form.choose");
    }
    let suffix = form.get("suffix").trim().to_uppercase();
    if suffix.is_empty() || suffix.len() > 12 || !suffix.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        errors.add("suffix", "rollout.templates.error.suffix");
    }
    let name = crate::text::nfc(form.get("name").trim());
    if name.is_empty() || name.chars().count() > 200 {
        errors.add("name", "form.required");
    } else if unknown_placeholder(&name) {
        errors.add("name", "rollout.templates.error.placeholder");
    } else if !name.contains("{tên}") && !name.contains("{mã}") {
        // The same name for every unit: the second unit's agency would collide with the first's.
        errors.add("name", "rollout.templates.error.collide");
    }
    let short = crate::text::nfc(form.get("short_name").trim());
    if short.is_empty() || short.chars().count() > 120 {
        errors.add("short_name", "form.required");
    } else if unknown_placeholder(&short) {
        errors.add("short_name", "rollout.templates.error.placeholder");
    }
    let kind = form.get("kind").trim().to_owned();
    if !crate::admin::agencies::KINDS.contains(&kind.as_str()) {
        errors.add("kind", "form.choose");
    }
    errors
        .is_empty()
        .then_some((level, suffix, name, short, kind))
}

async fn show(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    values: minijinja::Value,
    errors: FieldErrors,
    editing: Option<i64>,
) -> AppResult<Response> {
    let rows = all(&state.db).await?;
    // An example of each level, so the administrator sees what the placeholders give.
    let example = |kind: &str, name: &str, code: &str| org_unit::Model {
        id: 0,
        code: format!("VN-{code}"),
        gso_code: Some(code.to_owned()),
        name: name.to_owned(),
        kind: kind.to_owned(),
        parent_id: None,
        valid_from: None,
        valid_to: None,
        ethnic_minority: false,
        border_area: false,
        created_at: DateTime::<Utc>::default(),
        updated_at: DateTime::<Utc>::default(),
        search_name: org_unit::search_name(name),
    };
    // The deployment's own units where it has them; a made-up pair on an empty database.
    let own = |kinds: &'static [&'static str]| {
        org_unit::Entity::find()
            .filter(org_unit::Column::Kind.is_in(kinds.iter().copied()))
            .filter(org_unit::Column::ValidTo.is_null())
            .order_by_asc(org_unit::Column::Id)
            .one(&state.db)
    };
    let commune = own(&["commune", "ward", "special_zone", "town"])
        .await?
        .unwrap_or_else(|| example("commune", "Xã Mẫu", "00001"));
    let province = own(&["province"])
        .await?
        .unwrap_or_else(|| example("province", "Tỉnh Mẫu", "00"));
    let examples: Vec<String> = rows
        .iter()
        .map(|t| {
            let u = if t.level == "province" {
                &province
            } else {
                &commune
            };
            expand(&t.name, u)
        })
        .collect();
    page.render_status(
        state,
        status,
        "rollout/templates.html",
        context! {
            rows => rows, examples => examples, levels => LEVELS,
            kinds => crate::admin::agencies::KINDS, values => values, errors => errors,
            editing => editing, placeholders => PLACEHOLDERS,
        },
    )
}

/// `GET /admin/agency-templates`.
pub async fn get_templates(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    show(
        &state,
        &page,
        StatusCode::OK,
        FormValues::empty(),
        FieldErrors::default(),
        None,
    )
    .await
}

/// Whether another template of the level has this suffix.
async fn suffix_taken(
    db: &impl ConnectionTrait,
    level: &str,
    suffix: &str,
    except: Option<i64>,
) -> Result<bool, DbErr> {
    let mut q = agency_template::Entity::find()
        .filter(agency_template::Column::Level.eq(level))
        .filter(agency_template::Column::Suffix.eq(suffix));
    if let Some(id) = except {
        q = q.filter(agency_template::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.is_some())
}

/// `POST /admin/agency-templates`: adds a template at the end of its level.
pub async fn post_template(
    State(state): State<AppState>,
    page: Page,
    admin: CurrentUser,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    save(&state, &page, &admin, None, &form).await
}

/// `POST /admin/agency-templates/{template_id}`: saves a template, or deletes it
/// (`delete=1`). Agencies made from it stay.
pub async fn post_template_update(
    State(state): State<AppState>,
    page: Page,
    admin: CurrentUser,
    Path(template_id): Path<i64>,
    Form(form): Form<RawForm>,
) -> AppResult<Response> {
    let found = agency_template::Entity::find_by_id(template_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if form.checked("delete") {
        let now = state.clock.now();
        let txn = state.db.begin().await?;
        agency_template::Entity::delete_by_id(found.id)
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            now,
            audit::Event {
                user_id: Some(admin.id),
                action: "agency_template:delete",
                object_type: "agency_template",
                object_id: Some(found.id),
                org_unit_id: None,
                change: json!({ "level": found.level, "suffix": found.suffix, "name": found.name }),
            },
        )
        .await?;
        txn.commit().await?;
        return Ok(flash::redirect(
            &state.config,
            "/admin/agency-templates",
            "flash.deleted",
        ));
    }
    save(&state, &page, &admin, Some(found), &form).await
}

async fn save(
    state: &AppState,
    page: &Page,
    admin: &CurrentUser,
    found: Option<agency_template::Model>,
    form: &RawForm,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let parsed = parse(form, &mut errors);
    let editing = found.as_ref().map(|f| f.id);
    if let Some((level, suffix, ..)) = &parsed
        && suffix_taken(&state.db, level, suffix, editing).await?
    {
        errors.add("suffix", "rollout.templates.error.suffix_taken");
    }
    let Some((level, suffix, name, short, kind)) = parsed.filter(|_| errors.is_empty()) else {
        return show(
            state,
            page,
            StatusCode::UNPROCESSABLE_ENTITY,
            FormValues::of(form),
            errors,
            editing,
        )
        .await;
    };
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let change = json!({ "level": level, "suffix": suffix, "name": name, "short_name": short, "kind": kind });
    let saved = match found {
        Some(f) => {
            let mut row: agency_template::ActiveModel = f.into();
            row.level = Set(level);
            row.suffix = Set(suffix);
            row.name = Set(name);
            row.short_name = Set(short);
            row.kind = Set(kind);
            row.updated_at = Set(now);
            row.update(&txn).await?
        }
        None => {
            let position = agency_template::Entity::find()
                .filter(agency_template::Column::Level.eq(&level))
                .count(&txn)
                .await?;
            agency_template::ActiveModel {
                level: Set(level),
                suffix: Set(suffix),
                name: Set(name),
                short_name: Set(short),
                kind: Set(kind),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    audit::record(
        &txn,
        now,
        audit::Event {
            user_id: Some(admin.id),
            action: if editing.is_some() {
                "agency_template:update"
            } else {
                "agency_template:create"
            },
            object_type: "agency_template",
            object_id: Some(saved.id),
            org_unit_id: None,
            change,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(flash::redirect(
        &state.config,
        "/admin/agency-templates",
        "flash.saved",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(kind: &str, name: &str) -> org_unit::Model {
        org_unit::Model {
            id: 1,
            code: "VN-24181".into(),
            gso_code: Some("24181".into()),
            name: name.into(),
            kind: kind.into(),
            parent_id: None,
            valid_from: None,
            valid_to: None,
            ethnic_minority: false,
            border_area: false,
            created_at: DateTime::<Utc>::default(),
            updated_at: DateTime::<Utc>::default(),
            search_name: org_unit::search_name(name),
        }
    }

    #[test]
    fn placeholders_take_the_units_name_kind_and_code() {
        let u = unit("ward", "Phường Tân Lập");
        assert_eq!(expand("Công an {loại} {tên}", &u), "Công an phường Tân Lập");
        assert_eq!(expand("Trạm {mã}", &u), "Trạm 24181");
        let p = unit("province", "Tỉnh Đắk Lắk");
        let names: Vec<String> = standard_for(&p, &defaults())
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names[0], "Ủy ban nhân dân tỉnh Đắk Lắk");
        assert!(standard_for(&unit("district", "Huyện Tây Hòa"), &defaults()).is_empty());
    }

    #[test]
    fn only_known_placeholders_pass() {
        assert!(!unknown_placeholder("Công an {loại} {tên}"));
        assert!(unknown_placeholder("Công an {ten}"));
        assert!(unknown_placeholder("Công an {tên"));
        assert!(unknown_placeholder("Công an tên}"));
    }
}
