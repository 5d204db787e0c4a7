//! The dashboard page.

use crate::auth::{Capability, CurrentUser, Role};
use crate::dashboard::data::{Links, Period, PeriodQuery, Rows, plan_in_force};
use crate::dashboard::sections::{self, BaseUnit, Ctx, Section};
use crate::dashboard::sql::Frame;
use crate::entities::{agency, code, org_unit, plan, plan_budget, plan_target};
use crate::error::AppResult;
use crate::plans::repo::ItemForest;
use crate::state::AppState;
use crate::web::Page;
use crate::web::query::Query;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use minijinja::context;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;

/// Communes, towns, wards and special zones: the units whose coverage is shown.
const BASE_KINDS: [&str; 4] = ["commune", "town", "ward", "special_zone"];

/// The plan in force for the user and period, with its items and those derived from them.
pub async fn plan_and_items(
    db: &impl ConnectionTrait,
    scope: &crate::org_units::scope::Scope,
    user: &CurrentUser,
    period: &Period,
) -> Result<Option<(plan::Model, ItemForest)>, DbErr> {
    match plan_in_force(db, scope, user.org_unit_id, period).await? {
        Some(p) => {
            let forest = ItemForest::load(db, p.id).await?;
            Ok(Some((p, forest)))
        }
        None => Ok(None),
    }
}

/// What the statements need to know about the user; the items of the plan in force (with
/// those derived from them) are the ones shown one by one (`Frame::items`).
pub async fn frame(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    scope: crate::org_units::scope::Scope,
    period: &Period,
    today: NaiveDate,
    plan: Option<&(plan::Model, ItemForest)>,
) -> Result<Frame, DbErr> {
    let items = plan
        .iter()
        .flat_map(|(_, forest)| forest.items().iter().map(|i| i.id))
        .collect();
    let partner = user.role == Role::Partner;
    let agencies_in_scope = if partner || scope.all {
        Vec::new()
    } else {
        agency::Entity::find()
            .filter(agency::Column::OrgUnitId.is_in(scope.ids()))
            .select_only()
            .column(agency::Column::Id)
            .into_tuple()
            .all(db)
            .await?
    };
    Ok(Frame {
        scope,
        from: period.from,
        to: period.to,
        today,
        agency_id: user.agency_id,
        partner,
        agencies_in_scope,
        longest_span: crate::activities::repo::longest_span(db).await?,
        items,
    })
}

pub async fn base_units(db: &impl ConnectionTrait, f: &Frame) -> Result<Vec<BaseUnit>, DbErr> {
    let mut q = org_unit::Entity::find()
        .select_only()
        .columns([
            org_unit::Column::Id,
            org_unit::Column::Name,
            org_unit::Column::EthnicMinority,
            org_unit::Column::BorderArea,
        ])
        .filter(org_unit::Column::Kind.is_in(BASE_KINDS))
        .filter(
            Condition::any()
                .add(org_unit::Column::ValidTo.is_null())
                .add(org_unit::Column::ValidTo.gte(f.from)),
        )
        .order_by_asc(org_unit::Column::Name);
    if !f.scope.all {
        q = q.filter(org_unit::Column::Id.is_in(f.scope.ids()));
    }
    q.into_model().all(db).await
}

pub async fn get_dashboard(
    State(state): State<AppState>,
    page: Page,
    user: CurrentUser,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Response> {
    let db = &state.db;
    let today = state.clock.today();
    let scope = user.scope(&state).await?;
    let period = if q.from.is_none() && q.to.is_none() {
        crate::dashboard::attention::default_period(db, &scope, user.org_unit_id, today).await?
    } else {
        Period::parse(&q, today)
    };
    let plan = plan_and_items(db, &scope, &user, &period).await?;
    let f = frame(db, &user, scope, &period, today, plan.as_ref()).await?;
    let rows = Rows::fetch(db, &f).await?;
    let codes: HashMap<i64, code::Model> = code::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let links = Links::new(&period);
    let c = Ctx {
        rows: &rows,
        links: &links,
        period: &period,
        codes: &codes,
        locale: user.locale,
    };
    let t = |k: &str| page.t(&state, k);
    // A partner agency answers for its own report only: the others' completeness is not its.
    let reporting = if user.can(Capability::ViewReports) && user.role != Role::Partner {
        Some(crate::dashboard::followup::reporting_rows(db, &f.scope, today).await?)
    } else {
        None
    };
    let units = base_units(db, &f).await?;
    let mut list: Vec<Section> = Vec::new();
    if let Some(rows) = &reporting {
        list.push(Section::new("reporting", rows));
    }
    list.push(sections::reach(&c));
    let mut plan_budgets = Vec::new();
    let mut progress = Vec::new();
    if let Some((p, forest)) = &plan {
        let own: Vec<i64> = forest
            .items()
            .iter()
            .filter(|i| i.plan_id == p.id)
            .map(|i| i.id)
            .collect();
        let targets = plan_target::Entity::find()
            .filter(plan_target::Column::PlanItemId.is_in(own.clone()))
            .order_by_asc(plan_target::Column::Id)
            .all(db)
            .await?;
        plan_budgets = plan_budget::Entity::find()
            .filter(plan_budget::Column::PlanItemId.is_in(own))
            .all(db)
            .await?;
        list.push(crate::dashboard::execution::execution(
            &c, p, forest, &targets,
        ));
        progress = crate::dashboard::execution::target_progress(&c, p, forest, &targets, today);
    }
    list.push(sections::months(
        &c,
        (t("dashboard.scheduled"), t("dashboard.held")),
    ));
    list.push(sections::coverage(&c, &units));
    list.push(sections::materials(&c));
    list.push(sections::budget(
        &c,
        &plan_budgets,
        (t("dashboard.budget.planned"), t("dashboard.budget.spent")),
    ));
    list.push(sections::tasks(&c));
    let band = crate::dashboard::attention::attention(
        &state,
        &user,
        &f.scope,
        &c,
        crate::dashboard::attention::Inputs {
            reporting: reporting.as_deref().unwrap_or_default(),
            units: &units,
            targets: progress,
            period: &period,
        },
    )
    .await?;
    if user.can(Capability::ViewStats) {
        list.push(crate::dashboard::followup::support(&state, &user, &period).await?);
    }
    page.render(
        &state,
        "dashboard/index.html",
        context! {
            period => period, plan => plan.map(|(p, _)| p), sections => list, band => band,
            period_query => period.query(),
            year => chrono::Datelike::year(&period.from),
        },
    )
}
