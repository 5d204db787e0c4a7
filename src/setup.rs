//! The first start of a deployment: its own root unit (a province, or a commune and its
//! province) by name and official code, the first administrator, and optionally the standard
//! agencies of the root unit. Done once, from the one-time setup page that `serve` opens on an
//! empty database, or from `kehoach setup` for scripts; refused once any account exists.

use crate::auth::permissions::Role;
use crate::auth::users::{self, NewUser};
use crate::entities::{agency, org_unit, user};
use crate::web::forms::FieldErrors;
use crate::web::i18n::Locale;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use std::sync::Mutex;

/// The one-time token of the setup page, held by the serving process while the database has no
/// account: the page answers 404 without it, and after setup.
#[derive(Default)]
pub struct SetupGate {
    token: Mutex<Option<String>>,
}

impl SetupGate {
    /// Opens the gate with a new random token and returns it.
    pub fn open(&self) -> anyhow::Result<String> {
        let token = crate::auth::tokens::random_token()?;
        if let Ok(mut t) = self.token.lock() {
            *t = Some(token.clone());
        }
        Ok(token)
    }

    pub fn accepts(&self, candidate: &str) -> bool {
        self.token
            .lock()
            .ok()
            .and_then(|t| t.clone())
            .is_some_and(|t| crate::auth::tokens::constant_time_eq(&t, candidate))
    }

    pub fn close(&self) {
        if let Ok(mut t) = self.token.lock() {
            *t = None;
        }
    }
}

/// The kinds of unit a deployment can be rooted at.
pub const ROOT_KINDS: [&str; 4] = ["province", "commune", "ward", "special_zone"];

/// What the administrator enters at setup.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct SetupInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub unit_name: String,
    #[serde(default)]
    pub unit_code: String,
    /// For a commune-level root: the province it belongs to.
    #[serde(default)]
    pub province_name: String,
    #[serde(default)]
    pub province_code: String,
    #[serde(default)]
    pub admin_email: String,
    #[serde(default)]
    pub admin_name: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub standard_agencies: Option<String>,
}

#[derive(Debug)]
pub enum SetupError {
    Invalid(FieldErrors),
    /// An account exists: setup is over.
    AlreadyDone,
    Internal(anyhow::Error),
}

impl From<sea_orm::DbErr> for SetupError {
    fn from(e: sea_orm::DbErr) -> Self {
        SetupError::Internal(e.into())
    }
}

/// What setup made.
#[derive(Debug)]
pub struct SetupDone {
    pub root_unit_id: i64,
    pub admin_id: i64,
    pub agencies: usize,
}

/// The word an official name starts with, by kind.
fn prefix(kind: &str) -> &'static str {
    match kind {
        "province" => "Tỉnh",
        "ward" => "Phường",
        "special_zone" => "Đặc khu",
        _ => "Xã",
    }
}

/// An official name from what was typed: a name that starts with a kind's word keeps it
/// (capitalised: "xã Ea Tul" → "Xã Ea Tul"); a bare one gets the kind's ("Ea Tul" → "Xã Ea Tul").
fn official_name(kind: &str, typed: &str) -> String {
    let typed = crate::text::nfc(typed.trim());
    match crate::org_units::split_name(&typed) {
        (Some(word), rest) => format!("{word} {rest}"),
        (None, rest) => format!("{} {rest}", prefix(kind)),
    }
}

/// The name without the kind's word: "Xã Ea Tul" → "Ea Tul".
pub fn bare_name(name: &str) -> &str {
    crate::org_units::split_name(name).1
}

fn valid_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 5 && code.chars().all(|c| c.is_ascii_digit())
}

fn validate(input: &SetupInput) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let commune_level = input.kind != "province";
    if !ROOT_KINDS.contains(&input.kind.as_str()) {
        errors.add("kind", "form.choose");
    }
    if input.unit_name.trim().is_empty() || input.unit_name.chars().count() > 120 {
        errors.add("unit_name", "form.required");
    }
    if !valid_code(input.unit_code.trim()) {
        errors.add("unit_code", "setup.error.code");
    }
    if commune_level {
        if input.province_name.trim().is_empty() || input.province_name.chars().count() > 120 {
            errors.add("province_name", "form.required");
        }
        if !valid_code(input.province_code.trim()) {
            errors.add("province_code", "setup.error.code");
        } else if input.province_code.trim() == input.unit_code.trim() {
            errors.add("unit_code", "setup.error.same_code");
        }
    }
    if !users::valid_email(&users::normalize_email(&input.admin_email)) {
        errors.add("admin_email", "account.error.email_invalid");
    }
    if input.admin_name.trim().is_empty() {
        errors.add("admin_name", "form.required");
    }
    if input.password.chars().count() < crate::auth::password::MIN_LENGTH {
        errors.add("password", "account.error.password_short");
    }
    for text in [&input.unit_name, &input.province_name, &input.admin_name] {
        if crate::text::contains_personal_number(text) {
            errors.add("unit_name", "activity.error.personal_data");
        }
    }
    errors
}

/// The unit with this official code, or a new one.
async fn unit(
    db: &impl ConnectionTrait,
    kind: &str,
    name: &str,
    code: &str,
    parent: Option<i64>,
    now: DateTime<Utc>,
) -> Result<org_unit::Model, sea_orm::DbErr> {
    if let Some(u) = org_unit::Entity::find()
        .filter(org_unit::Column::GsoCode.eq(code))
        .filter(org_unit::Column::ValidTo.is_null())
        .one(db)
        .await?
    {
        return Ok(u);
    }
    org_unit::ActiveModel {
        code: Set(format!("VN-{code}")),
        gso_code: Set(Some(code.to_owned())),
        name: Set(official_name(kind, name)),
        kind: Set(kind.to_owned()),
        parent_id: Set(parent),
        valid_from: Set(None),
        valid_to: Set(None),
        ethnic_minority: Set(false),
        border_area: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The standard agencies of a unit: its People's Committee first. Names follow the two-tier
/// system: victim support with the health sector, communication with culture, the police.
/// They are the default agency templates (`rollout::templates::DEFAULTS`), which the
/// administrator may later edit for bulk onboarding.
pub fn standard_agencies(u: &org_unit::Model) -> Vec<(String, String, String, String)> {
    crate::rollout::templates::standard_for(u, &crate::rollout::templates::defaults())
        .into_iter()
        .map(|s| (s.code, s.name, s.short_name, s.kind))
        .collect()
}

/// Creates the agencies of `u` that do not exist yet (by code); only the People's Committee
/// unless `all`. Returns how many were added.
pub async fn add_agencies(
    db: &impl ConnectionTrait,
    u: &org_unit::Model,
    all: bool,
    now: DateTime<Utc>,
) -> Result<usize, sea_orm::DbErr> {
    let mut added = 0;
    for (i, (code, name, short, kind)) in standard_agencies(u).into_iter().enumerate() {
        if i > 0 && !all {
            break;
        }
        let exists = agency::Entity::find()
            .filter(agency::Column::Code.eq(&code))
            .one(db)
            .await?
            .is_some();
        if exists {
            continue;
        }
        agency::ActiveModel {
            code: Set(code),
            org_unit_id: Set(u.id),
            name: Set(name),
            short_name: Set(short),
            kind: Set(kind),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        added += 1;
    }
    Ok(added)
}

/// Sets the deployment up: nothing is written unless everything is valid.
pub async fn run(
    db: &DatabaseConnection,
    input: &SetupInput,
    now: DateTime<Utc>,
) -> Result<SetupDone, SetupError> {
    if user::Entity::find().count(db).await? > 0 {
        return Err(SetupError::AlreadyDone);
    }
    let errors = validate(input);
    if !errors.is_empty() {
        return Err(SetupError::Invalid(errors));
    }
    crate::seed::reference(db, now)
        .await
        .map_err(SetupError::Internal)?;
    let txn = db.begin().await?;
    let kind = input.kind.as_str();
    let root = if kind == "province" {
        unit(
            &txn,
            kind,
            &input.unit_name,
            input.unit_code.trim(),
            None,
            now,
        )
        .await?
    } else {
        let province = unit(
            &txn,
            "province",
            &input.province_name,
            input.province_code.trim(),
            None,
            now,
        )
        .await?;
        add_agencies(&txn, &province, false, now).await?;
        unit(
            &txn,
            kind,
            &input.unit_name,
            input.unit_code.trim(),
            Some(province.id),
            now,
        )
        .await?
    };
    let all = input.standard_agencies.is_some();
    let agencies = add_agencies(&txn, &root, all, now).await?;
    let committee = agency::Entity::find()
        .filter(agency::Column::OrgUnitId.eq(root.id))
        .filter(agency::Column::Kind.eq("people_committee"))
        .one(&txn)
        .await?
        .ok_or_else(|| SetupError::Internal(anyhow::anyhow!("no People's Committee")))?;
    txn.commit().await?;
    let admin = users::create(
        db,
        None,
        NewUser {
            email: input.admin_email.clone(),
            display_name: crate::text::nfc(input.admin_name.trim()),
            role: Role::Admin,
            agency_id: committee.id,
            locale: Locale::Vi,
            password: input.password.clone(),
        },
        now,
    )
    .await
    .map_err(|e| match e.field_message() {
        Some((field, key)) => {
            let mut errors = FieldErrors::default();
            errors.add(field, key);
            SetupError::Invalid(errors)
        }
        None => SetupError::Internal(anyhow::anyhow!("{e}")),
    })?;
    Ok(SetupDone {
        root_unit_id: root.id,
        admin_id: admin.id,
        agencies,
    })
}

/// `GET /setup/{token}`: the one-time setup page; 404 without the token or after setup.
pub async fn get_setup(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    page: crate::web::page::Page,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> crate::error::AppResult<axum::response::Response> {
    gate(&state, &token).await?;
    page.render(
        &state,
        "setup.html",
        minijinja::context! {
            token => token, values => SetupInput { kind: "commune".into(), ..Default::default() },
            kinds => ROOT_KINDS, errors => FieldErrors::default(),
        },
    )
}

async fn gate(state: &crate::state::AppState, token: &str) -> crate::error::AppResult<()> {
    if !state.setup.accepts(token) || user::Entity::find().count(&state.db).await? > 0 {
        return Err(crate::error::AppError::NotFound);
    }
    Ok(())
}

/// `POST /setup/{token}`: sets the deployment up, closes the page and goes to sign-in.
pub async fn post_setup(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    page: crate::web::page::Page,
    axum::extract::Path(token): axum::extract::Path<String>,
    axum::Form(input): axum::Form<SetupInput>,
) -> crate::error::AppResult<axum::response::Response> {
    gate(&state, &token).await?;
    match run(&state.db, &input, state.clock.now()).await {
        Ok(_) => {
            state.setup.close();
            Ok(crate::web::flash::redirect(
                &state.config,
                "/login",
                "setup.done",
            ))
        }
        Err(SetupError::Invalid(errors)) => {
            let values = SetupInput {
                password: String::new(),
                ..input
            };
            page.render_status(
                &state,
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "setup.html",
                minijinja::context! { token => token, values => values, kinds => ROOT_KINDS, errors => errors },
            )
        }
        Err(SetupError::AlreadyDone) => Err(crate::error::AppError::NotFound),
        Err(SetupError::Internal(e)) => Err(crate::error::AppError::Internal(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_names_carry_the_kind_once() {
        assert_eq!(official_name("commune", "Ea Tul"), "Xã Ea Tul");
        assert_eq!(official_name("commune", "xã Ea Tul"), "Xã Ea Tul");
        assert_eq!(official_name("province", "Đắk Lắk"), "Tỉnh Đắk Lắk");
        assert_eq!(official_name("ward", "Phường Tân Lập"), "Phường Tân Lập");
        assert_eq!(bare_name("Đặc khu Phú Quốc"), "Phú Quốc");
    }
}
